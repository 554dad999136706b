"""The compare view's tables (ui/screens/compare.py): the plan side by side with the pick
marks, the preview before → after, and the results of an apply. Their widths fit the terminal
(80 columns and up); every cell of store text goes through :func:`safe`, column labels too (a
``str`` label is parsed as markup)."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.binding import Binding
from textual.widgets import DataTable

from flowtui.ops.schema import Plan, PlanItem
from flowtui.ui.logic import compare as L
from flowtui.ui.widgets.safe import safe

ACTION_STYLE = {
    "create": "green",
    "update": "yellow",
    "replace": "bold magenta",
    "delete": "bold red",
}


def pick_cell(picked: bool) -> Text:
    return Text("[x]" if picked else "[ ]", end="")


class PlanTable(DataTable[Any]):
    """The side-by-side plan; ``space`` picks the highlighted item, ``a`` all (the screen's
    actions: the screen owns the picks)."""

    BINDINGS = [
        Binding(
            "space,x",
            "screen.pick",
            "Pick",
            id="compare.toggle",
            tooltip="Pick or drop the highlighted item (with what it depends on)",
        ),
        Binding("a", "screen.pick_all", "All", id="compare.all", tooltip="Pick all / none"),
    ]

    def show(self, plan: Plan, picks: L.Picks, here: str, other: str) -> None:
        """``plan`` as rows: pick mark, action, item, this store (``here``) | ``other``."""
        row = self.cursor_row
        self.clear(columns=True)
        # The item takes a third of the width the pick and action columns and the cells'
        # padding leave (up to 24), both sides share the rest: it fits 80 columns.
        content = self.app.size.width - 16 - 3 - 7
        item_width = min(24, max(16, content // 3))
        side = max(16, (content - item_width) // 2)
        self.add_column("", width=3, key="pick")
        self.add_column("Action", width=7, key="action")
        self.add_column("Item", width=item_width, key="item")
        self.add_column(safe(f"This store ({here})", 200), width=side, key="current")
        self.add_column(safe(f"Other ({other})", 200), width=side, key="other")
        for r in L.rows(plan):
            self.add_row(
                pick_cell(r.key in picks.keys),
                Text(r.action, style=ACTION_STYLE.get(r.action, "")),
                safe(r.what, 80),
                safe(r.current, 120),
                safe(r.other, 120),
                key=r.key,
            )
        if plan.items:
            self.move_cursor(row=min(max(row, 0), len(plan.items) - 1))

    def mark(self, keys: set[str], picks: L.Picks) -> None:
        """Redraw the pick marks of ``keys`` (only those: a plan may hold a thousand)."""
        for key in keys:
            self.update_cell(key, "pick", pick_cell(key in picks.keys))


def show_preview(table: DataTable[Any], picked: list[PlanItem], other: str) -> None:
    """The picked items before (this store) → after (``other``), one attribute a row."""
    table.clear(columns=True)
    content = table.app.size.width - 16 - 12
    item_width = min(32, max(20, content * 2 // 5))
    side = max(14, (content - item_width) // 2)
    table.add_column("Item", width=item_width, key="item")
    table.add_column("Attribute", width=16, key="attr")
    table.add_column("Before (this store)", width=side, key="before")
    table.add_column(safe(f"After ({other})", 200), width=side, key="after")
    table.add_rows(
        (safe(what, 80), safe(attr, 40), safe(before, 120), safe(after, 120))
        for what, attr, before, after in L.preview_table(picked)
    )


def show_waiting(table: DataTable[Any], picked: list[PlanItem]) -> None:
    """The results table of a run about to start: every item waiting."""
    table.clear(columns=True)
    table.add_column("Item", width=30, key="item")
    table.add_column("Action", width=7, key="action")
    table.add_column("Result", width=max(20, table.app.size.width - 30 - 7 - 16), key="result")
    for item in picked:
        table.add_row(
            safe(L.item_name(item), 80),
            Text(item.action),
            Text("waiting", style="dim"),
            key=item.key,
        )
