"""The journal screen: this profile's journaled writes, newest first, and undo.

``u`` undoes the highlighted change (the newest is highlighted when the screen opens) after a
confirmation; :func:`confirm_undo` is shared with the main screen's ``u`` (the last change).
Undo itself lives in :mod:`flowtui.ops.undo` (no Textual): it refuses, in one sentence, when the
record changed since, and writes through the service, so every view refreshes as usual.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Label, Static

from flowtui.api.service import Change
from flowtui.core.textsafe import printable
from flowtui.ops import journal as J
from flowtui.ops.undo import UndoRefused, label, plan, undo
from flowtui.ui.screens.base import BaseScreen
from flowtui.ui.screens.dialogs import ConfirmDialog, ask
from flowtui.ui.widgets.footer import Footer
from flowtui.ui.widgets.header import StoreHeader
from flowtui.ui.widgets.safe import safe
from flowtui.ui.widgets.tables import cursor_key

LIMIT = 1000
#: Undo workers: one at a time (another is refused meanwhile; none is cancelled half-way).
UNDO_GROUP = "journal.undo"


def confirm_undo(
    screen: BaseScreen, record: Mapping[str, Any], then: Callable[[], object] | None = None
) -> None:
    """Ask before undoing ``record``, then undo it in a worker of ``screen`` (errors go
    through its error funnel; a refusal is a warning). ``then()`` runs after an attempt."""
    app = screen.flow_app
    if not app.writable("undo changes"):
        return
    if any(w.group == UNDO_GROUP and w.is_running for w in app.workers):
        app.report(
            "An undo is still running; try again when it is done.",
            title="",
            severity="information",
        )
        return
    try:
        what = plan(record)
    except UndoRefused as exc:
        app.report(printable(str(exc)), title="Cannot undo", severity="warning")
        return

    async def run() -> None:
        try:
            said = await undo(app.api, record)
        except UndoRefused as exc:
            app.report(printable(str(exc)), title="Not undone", severity="warning")
        else:
            app.notify(printable(said), title="Undone")
        finally:
            if then is not None:
                then()

    # Journal text came from the store: shown with control characters made visible.
    dialog = ConfirmDialog(
        printable(f"Undo #{record['seq']}: {record.get('action')} {label(record)}?"),
        printable(f"{J.when(record)} UTC. {what} flowtui first checks nobody changed it since."),
        "Undo",
    )
    ask(
        app,
        dialog,
        lambda: screen.run_worker(run(), group=UNDO_GROUP, exit_on_error=False),
    )


class JournalScreen(BaseScreen):
    """This profile's journal, newest first."""

    DEFAULT_CSS = """
    JournalScreen #journal-title { text-style: bold; padding: 0 1; }
    JournalScreen #journal-table { height: 1fr; }
    JournalScreen #journal-detail { height: auto; max-height: 4; padding: 0 1;
        border-top: solid $accent; }
    """
    BINDINGS = [
        Binding("escape", "back", "Back", id="journal.back", tooltip="Back to the main screen"),
        Binding("u", "undo", "Undo", id="journal.undo", tooltip="Undo the highlighted change"),
        Binding("r", "reload", "Reload", id="journal.reload", tooltip="Read the journal again"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.records: dict[str, J.JournalRecord] = {}

    def compose(self) -> ComposeResult:
        resolved = self.flow_app.resolved
        if resolved is not None:  # which store the undo is in (issue 16)
            yield StoreHeader(resolved.profile, bool(self.flow_app.api.is_sandbox), "Journal")
        yield Label("Journal", id="journal-title")
        yield Label("Reading the journal…", id="journal-status", classes="status")
        yield DataTable(id="journal-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="journal-detail")
        yield Footer()

    @property
    def table(self) -> DataTable:
        return self.query_one("#journal-table", DataTable)

    def on_mount(self) -> None:
        name = self.flow_app.api.profile_name or "?"
        self.query_one("#journal-title", Label).update(Text(f"Journal of profile {name}"))
        self.table.focus()
        self.flow_app.follow_changes(self, self.store_changed)
        self.load()

    @work(exclusive=True, group="journal.load", exit_on_error=False)
    async def load(self) -> None:
        service = self.flow_app.api
        journal = J.readable(service.journal)
        status = self.query_one("#journal-status", Label)
        if journal is None:
            status.update("This session keeps no journal.")
            return
        records = await asyncio.to_thread(journal.entries, service.profile_name, LIMIT)
        table = self.table
        cursor = table.cursor_row
        table.clear(columns=True)
        table.add_column("#", key="seq")
        table.add_column("Time (UTC)", key="time")
        table.add_column("What", key="resource")
        table.add_column("Id", key="id")
        table.add_column("Action", key="action")
        table.add_column("Change", key="change")
        self.records = {}
        for record in records:
            key = str(record["seq"])
            self.records[key] = record
            action = str(record.get("action", ""))
            if record.get("undo_of") is not None:
                action = f"undo #{record['undo_of']}"
            style = "dim strike" if record.get("undone_by") is not None else ""
            table.add_row(
                Text(key, style=style),
                Text(J.when(record), style=style),
                safe(record.get("resource"), 10, style),
                safe(str(record.get("id", ""))[:10], style=style),
                safe(action, 14, style),
                safe(J.summary(record), 120, style),
                key=key,
            )
        if records:
            table.move_cursor(row=min(max(cursor, 0), len(records) - 1))
            shown = f"{len(records):,} change(s), newest first"
            if len(records) >= LIMIT:
                shown = f"the newest {LIMIT:,} changes"
            status.update(Text(f"{shown}, u undoes the highlighted · {journal.display_name}"))
            self.show_detail()
        else:
            status.update(
                Text(f"No changes journaled yet for this profile ({journal.display_name}).")
            )

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.show_detail()

    def show_detail(self) -> None:
        """The highlighted change in full (the table cuts it), and whether it was undone."""
        record = self.highlighted()
        detail = self.query_one("#journal-detail", Static)
        if record is None:
            detail.update("")
            return
        action = str(record.get("action"))
        if record.get("undo_of") is not None:
            action = f"undo of #{record['undo_of']}:"
        text = f"#{record['seq']} {action} {label(record)}: {J.summary(record)}"
        if record.get("undone_by") is not None:
            text += f" (undone by #{record['undone_by']})"
        shown = safe(text, 600)
        shown.no_wrap = False
        detail.update(shown)

    def highlighted(self) -> J.JournalRecord | None:
        key = cursor_key(self.table)
        return self.records.get(key) if key else None

    def store_changed(self, change: Change) -> None:
        if change.via == "write":
            self.load()

    def action_back(self) -> None:
        self.dismiss(None)

    def action_reload(self) -> None:
        self.load()

    def action_undo(self) -> None:
        record = self.highlighted()
        if record is None:
            self.app.bell()
            self.flow_app.report("Nothing to undo.", title="", severity="information")
            return
        confirm_undo(self, record, then=self.load)
