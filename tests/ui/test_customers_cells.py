"""The customers table draws its cells its own way (issue 14: a cached page turn within
50 ms): every line must be exactly what Textual's DataTable draws for the same rows, segment
for segment (text, colours and the row/column metadata mouse clicks read), hostile and wide
text included, with the cursor, the mouse hover, zebra stripes and focus."""

from __future__ import annotations

from rich.text import Text
from textual.app import App, ComposeResult
from textual.coordinate import Coordinate
from textual.widgets import DataTable

from flowtui.api.models import Customer
from flowtui.ui.widgets.customers.table import CustomerTable, marked
from flowtui.ui.widgets.safe import safe

HOSTILE = [
    "Leslie Knope",
    "",
    "  spaced  ",
    "[bold red]not markup[/]",
    "\x1b[31mred\x1b[0m \x07 bell",
    "rtl \u202egnp.exe\u202c end",
    "zero\u200bwidth\u200d",
    "日本語のテキストが長い",
    "a日b本c語",
    "emoji 👩‍🚀🚀 ok",
    "e\u0301\u0301 combining",
    "x" * 300,
    "tab\there\nnewline",
    "\ud800 lone surrogate",
]


class Tables(App[None]):
    CSS = "DataTable { height: 1fr; }"

    def compose(self) -> ComposeResult:
        yield CustomerTable(id="ours", cursor_type="row", zebra_stripes=True)
        yield DataTable(id="theirs", cursor_type="row", zebra_stripes=True)


def strips(table: DataTable) -> list[list[tuple[str, object]]]:
    return [[(s.text, s.style) for s in table.render_line(y)] for y in range(table.size.height)]


async def test_lines_are_datatables_own_segment_for_segment():
    app = Tables()
    async with app.run_test(size=(100, 40)) as pilot:
        ours = app.query_one("#ours", CustomerTable)
        theirs = app.query_one("#theirs", DataTable)
        widths = [1, 2, 3, 7, 12, 30]
        ours.marks = {"id-3": Customer(id="id-3", name="m", email="m@x.test")}
        for table in (ours, theirs):
            for i, width in enumerate(widths):
                table.add_column(safe(f"col {i}", 30), key=f"c{i}", width=width)
        values = [*HOSTILE, Text("styled", style="bold"), 42]
        for r in range(len(values)):
            cells = [
                values[(r + c) % len(values)] if c % 2 else safe(values[(r + c) % len(values)], 60)
                for c in range(len(widths))
            ]
            cells = [cell if isinstance(cell, Text) else safe(cell) for cell in cells]
            ours.add_row(*cells, key=f"id-{r}")
            first = marked(cells[0]) if r == 3 else cells[0]
            theirs.add_row(first, *cells[1:], key=f"id-{r}")

        async def seen(table: DataTable, focused: bool) -> list[list[tuple[str, object]]]:
            if focused:
                table.focus()
            else:
                app.set_focus(None)
            await pilot.pause()
            return strips(table)

        async def same(focused: bool = True) -> None:
            assert await seen(ours, focused) == await seen(theirs, focused)

        await same()
        await same(focused=False)
        for table in (ours, theirs):  # the cursor elsewhere, the mouse over a row
            table.cursor_coordinate = Coordinate(5, 0)
            table.hover_coordinate = Coordinate(2, 0)
            table._set_hover_cursor(True)
        await same()
        await same(focused=False)
        # a page swapped in: still the same lines
        page = [(f"p-{r}", [safe(v) for v in reversed(HOSTILE[: len(widths)])]) for r in range(9)]
        ours.swap_rows(page)
        theirs.clear()
        for key, cells in page:
            theirs.add_row(*cells, key=key)
        theirs.move_cursor(row=ours.cursor_row)
        theirs.hover_coordinate = ours.hover_coordinate  # (clear() moves the hover to 0, 0)
        await same()
        await same(focused=False)
        # a longer page, scrolled down (the rows under the header come from further on)
        page = [(f"q-{r}", [safe(f"{v} {r}") for v in HOSTILE[: len(widths)]]) for r in range(40)]
        ours.swap_rows(page)
        theirs.clear()
        for key, cells in page:
            theirs.add_row(*cells, key=key)
        await pilot.pause()
        for table in (ours, theirs):
            table.move_cursor(row=12)
            table.scroll_to(y=7, animate=False, immediate=True)
        await same()
        assert ours.scroll_offset.y == 7
