"""The entries of one custom flow: a table paged by the store, on the views' base (status
line, loading/empty/error states, writability, confirm-and-delete). It asks its screen for
the entry form (``EditAsked``) and for confirmations; it pushes no screen."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual import getters, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable

from flowtui.api.errors import NotFoundError
from flowtui.api.models import Entry, Field, Flow, Page
from flowtui.api.service import Change
from flowtui.ui.logic import designer as L
from flowtui.ui.widgets.safe import safe
from flowtui.ui.widgets.tables import cursor_key
from flowtui.ui.widgets.view import StatusLine, View

PAGE_SIZE = 100


def relation_items(value: Any) -> list[tuple[str, str]]:
    """An entry's relationship data (one object, a list, or null) as ``(type, id)`` items."""
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list):
        return []
    return [
        (str(v.get("type", "")), str(v.get("id", "")))
        for v in value
        if isinstance(v, dict) and v.get("id")
    ]


def relation_text(items: list[tuple[str, str]], labels: dict[str, str] | None = None) -> str:
    if not items:
        return "(none)"
    labels = labels or {}
    return ", ".join(labels.get(i, i[:8]) for _, i in items)


class EntriesView(View):
    """Browse and delete the entries of ``flow``; ask to create and edit them."""

    DEFAULT_CSS = "EntriesView { height: 1fr; }"

    BINDINGS = [
        Binding("escape", "back", "Back", id="entries.back", tooltip="Back to the designer"),
        Binding("n", "new", "New", id="entries.new", tooltip="Create an entry"),
        Binding("e,enter", "edit", "Edit", id="entries.edit", tooltip="Edit the entry"),
        Binding("d,delete", "delete", "Delete", id="entries.delete", tooltip="Delete the entry"),
        Binding(
            "right_square_bracket",
            "page(1)",
            "Next page",
            id="entries.next_page",
            tooltip="Load the next page from the store",
        ),
        Binding(
            "left_square_bracket",
            "page(-1)",
            "Prev page",
            id="entries.prev_page",
            tooltip="Load the previous page",
        ),
        Binding("r", "reload", "Reload", id="entries.reload", tooltip="Reload this page"),
    ]

    @dataclass
    class EditAsked(Message):
        """Open the entry form of ``flow`` for ``entry`` (None: a new entry)."""

        flow: Flow
        fields: list[Field]
        entry: Entry | None = None

    class BackAsked(Message):
        """Esc: back to where the entries were opened from."""

    NOTE_READ_ONLY = True

    table = getters.query_one("#entries-table", DataTable)

    def __init__(self, flow: Flow, fields: list[Field], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.set_reactive(EntriesView.status_line, "Loading entries…")
        self.flow = flow
        self.fields = [f for f in L.in_order(fields) if f.enabled]
        self.entries: dict[str, Entry] = {}
        self.page: Page[Entry] | None = None
        self.page_offset = 0
        #: The flow's fields changed since they were read: the next load reads them again.
        self.fields_stale = False

    def compose(self) -> ComposeResult:
        yield StatusLine("Loading entries…", id="entries-status", classes="status").data_bind(
            text=EntriesView.status_line
        )
        yield DataTable(id="entries-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        self.flow_app.follow_changes(self, self.store_changed)
        self.load()

    @work(exclusive=True, group="entries.load", exit_on_error=False)
    async def load(self) -> None:
        service = self.flow_app.api
        self.state = "loading"
        try:
            if self.fields_stale:
                try:
                    fields = await service.list_fields(self.flow.slug)
                except NotFoundError:
                    fields = []
                self.fields = [f for f in L.in_order(fields) if f.enabled]
                self.fields_stale = False
            page = await service.list_entries(
                self.flow.slug, limit=PAGE_SIZE, offset=self.page_offset
            )
        except Exception:
            self.state = "error"  # the funnel tells what went wrong
            raise
        self.page = page
        table = self.table
        cursor = table.cursor_row
        table.clear(columns=True)
        table.add_column("Id", key="id")
        for f in self.fields:
            table.add_column(safe(f.name or f.slug, 30), key=f"f:{f.slug}")
        self.entries = {e.id: e for e in page.items}
        for e in page.items:
            cells: list[Any] = [safe(e.id[:8])]
            for f in self.fields:
                if f.field_type == "relationship":
                    cells.append(safe(relation_text(relation_items(e.relationships.get(f.slug)))))
                else:
                    cells.append(safe(e.values.get(f.slug), 40))
            table.add_row(*cells, key=e.id)
        if page.items:
            table.move_cursor(row=min(max(cursor, 0), len(page.items) - 1))
        self.state = "loaded" if page.items else "empty"
        if page.total == 0:
            self.status("No entries yet. Press n to create one.")
        else:
            self.status(f"{page.first_index:,}-{page.last_index:,} of {page.total:,} entries")

    def highlighted(self) -> Entry | None:
        key = cursor_key(self.table)
        return self.entries.get(key) if key else None

    def store_changed(self, change: Change) -> None:
        if change.resource == "entry" and change.flow_slug == self.flow.slug:
            self.load()
        elif change.resource == "field" and change.flow_slug in (self.flow.slug, None):
            # A field of this flow was added, renamed, disabled…: columns follow.
            self.fields_stale = True
            self.load()

    def action_back(self) -> None:
        self.post_message(self.BackAsked())

    def action_reload(self) -> None:
        self.load()

    def action_page(self, delta: int) -> None:
        if delta > 0 and self.page and self.page.has_next:
            self.page_offset += PAGE_SIZE
            self.load()
        elif delta < 0 and self.page_offset > 0:
            self.page_offset = max(0, self.page_offset - PAGE_SIZE)
            self.load()

    def action_new(self) -> None:
        if self.writable("create entries"):
            self.post_message(self.EditAsked(self.flow, self.fields))

    def action_edit(self) -> None:
        entry = self.highlighted()
        if entry is None:
            self.app.bell()
        elif self.writable("change entries"):
            self.post_message(self.EditAsked(self.flow, self.fields, entry))

    def action_delete(self) -> None:
        entry = self.highlighted()
        if entry is None:
            self.app.bell()
            return
        if not self.writable("delete entries"):
            return
        self.ask(
            f"Delete entry {entry.id[:8]} of {self.flow.slug}?",
            "Its values and relationships are deleted. This cannot be undone.",
            "Delete",
            lambda: self.delete(entry),
        )

    @work(exclusive=True, group="entries.write", exit_on_error=False)
    async def delete(self, entry: Entry) -> None:
        await self.flow_app.api.delete_entry(self.flow.slug, entry.id)
        self.notify(f"Deleted entry {entry.id[:8]}", markup=False)
        self.load()
