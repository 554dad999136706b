"""Entries of a custom flow: a table paged by the store, and a form generated from the flow's
fields (checked as you type, like the customer form) to create and edit them. Relationship
fields are set by picking related records (customers, or entries of another custom flow)."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, DataTable, Footer, Input, Label, Static, TextArea

from flowtui.api.errors import ApiError, NotFoundError
from flowtui.api.models import Entry, Field, Flow, Page
from flowtui.api.service import Change
from flowtui.core import fields as F
from flowtui.ui.logic import designer as L
from flowtui.ui.screens.base import BaseModal, BaseScreen
from flowtui.ui.screens.dialogs import ConfirmDialog, ask
from flowtui.ui.screens.forms import FormScreen
from flowtui.ui.widgets.form import FormField
from flowtui.ui.widgets.inputs import TextInput
from flowtui.ui.widgets.safe import display, safe
from flowtui.ui.widgets.tables import cursor_key

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


class EntriesScreen(BaseScreen):
    """Browse, create, edit and delete the entries of one custom flow."""

    DEFAULT_CSS = """
    EntriesScreen #entries-title { text-style: bold; padding: 0 1; }
    """
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

    def __init__(self, flow: Flow, fields: list[Field]) -> None:
        super().__init__()
        self.flow = flow
        self.fields = [f for f in L.in_order(fields) if f.enabled]
        self.entries: dict[str, Entry] = {}
        self.page: Page[Entry] | None = None
        self.page_offset = 0
        self._unsubscribe = None
        #: The flow's fields changed since they were read: the next load reads them again.
        self.fields_stale = False

    def compose(self) -> ComposeResult:
        yield Label(Text(f"Entries of {self.flow.name} ({self.flow.slug})"), id="entries-title")
        yield Label("Loading entries…", id="entries-status", classes="status")
        yield DataTable(id="entries-table", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#entries-table", DataTable).focus()
        self.flow_app.follow_changes(self, self.store_changed)
        self.load()

    @property
    def table(self) -> DataTable:
        return self.query_one("#entries-table", DataTable)

    def status(self, text: str) -> None:
        if getattr(self.app.service, "read_only", False):
            text += " · read-only profile (implicit token): you can look, not change"
        self.query_one("#entries-status", Label).update(Text(text))

    @work(exclusive=True, group="entries.load", exit_on_error=False)
    async def load(self) -> None:
        if self.fields_stale:
            try:
                fields = await self.app.service.list_fields(self.flow.slug)
            except NotFoundError:
                fields = []
            self.fields = [f for f in L.in_order(fields) if f.enabled]
            self.fields_stale = False
        page = await self.app.service.list_entries(
            self.flow.slug, limit=PAGE_SIZE, offset=self.page_offset
        )
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
        self.dismiss(None)

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
        if self.flow_app.writable("create entries"):
            self.app.push_screen(EntryFormScreen(self.flow, self.fields), self.after_save)

    def action_edit(self) -> None:
        entry = self.highlighted()
        if entry is None:
            self.app.bell()
        elif self.flow_app.writable("change entries"):
            self.app.push_screen(EntryFormScreen(self.flow, self.fields, entry), self.after_save)

    def after_save(self, entry: Entry | None) -> None:
        self.load()

    def action_delete(self) -> None:
        entry = self.highlighted()
        if entry is None:
            self.app.bell()
            return
        if not self.flow_app.writable("delete entries"):
            return

        ask(
            self.app,
            ConfirmDialog(
                f"Delete entry {entry.id[:8]} of {self.flow.slug}?",
                "Its values and relationships are deleted. This cannot be undone.",
                "Delete",
            ),
            lambda: self.delete(entry),
        )

    @work(exclusive=True, group="entries.write", exit_on_error=False)
    async def delete(self, entry: Entry) -> None:
        await self.app.service.delete_entry(self.flow.slug, entry.id)
        self.app.notify(f"Deleted entry {entry.id[:8]}", markup=False)
        self.load()


class RelationRow(Horizontal):
    """A relationship field in an entry form: what it points at, and a button to pick."""

    DEFAULT_CSS = """
    RelationRow { height: auto; margin-bottom: 1; }
    RelationRow .field-label { width: 20; padding-right: 1; text-style: bold; }
    RelationRow .relation-value { width: 1fr; }
    RelationRow Button { min-width: 10; height: 1; border: none; }
    """

    def __init__(self, field: Field, items: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.field = field
        rule = F.relationship_rule(field.validation_rules) or {}
        self.cardinality = str(rule.get("type", "one-to-many"))
        self.target = str(rule.get("to", ""))
        self.items = list(items)
        self.initial = list(items)
        self.labels: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        yield Label(Text(self.field.name or self.field.slug), classes="field-label")
        yield Static(self.describe(), classes="relation-value")
        yield Button("Pick…", id=f"pick-{self.field.slug}", compact=True)

    def describe(self) -> Text:
        return Text(
            f"{relation_text(self.items, self.labels)}  ({self.cardinality} → {self.target})"
        )

    def set_items(self, picked: list[tuple[str, str, str]]) -> None:
        self.items = [(t, i) for t, i, _ in picked]
        self.labels.update({i: label for _, i, label in picked})
        self.query_one(".relation-value", Static).update(self.describe())

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()

        def picked(result: list[tuple[str, str, str]] | None) -> None:
            if result is not None:
                self.set_items(result)

        self.app.push_screen(RecordPicker(self.target, self.cardinality, self.items), picked)


class EntryFormScreen(FormScreen):
    """Create or edit an entry; inputs generated from the flow's fields."""

    DEFAULT_CSS = "EntryFormScreen { align: center middle; }"

    def __init__(self, flow: Flow, fields: list[Field], entry: Entry | None = None) -> None:
        super().__init__()
        self.flow = flow
        self.fields = fields
        self.entry = entry
        self.TITLE_TEXT = (
            f"Edit entry {entry.id[:8]} of {flow.slug}" if entry else f"New entry of {flow.slug}"
        )
        self.FIELDS_FLOW = flow.slug

    def on_mount(self) -> None:
        self.prepare()

    def spec_values(self, specs: list[FormField]) -> dict:
        return dict(self.entry.values) if self.entry else {}

    @work(exclusive=True, group="form.fields", exit_on_error=False)
    async def prepare(self) -> None:
        await self.show_fields()

    @work(exclusive=True, group="form.fields", exit_on_error=False)
    async def load_fields(self) -> None:
        """The flow's fields changed while the form was open: read them and follow."""
        try:
            fields = await self.app.service.list_fields(self.flow.slug)
        except NotFoundError:
            return
        self.fields = [f for f in L.in_order(fields) if f.enabled]
        await self.show_fields()

    async def show_fields(self) -> None:
        """Value editors, then a row per relationship field; a rebuild keeps what was typed
        and picked."""
        specs = [FormField.from_field(f) for f in self.fields if f.field_type != "relationship"]
        kept = {r.field.slug: r for r in self.relation_rows()}
        for row in kept.values():
            await row.remove()
        await self.follow_specs(specs)
        body = self.query_one("#form-fields", VerticalScroll)
        rows = []
        for f in self.fields:
            if f.field_type != "relationship":
                continue
            old = kept.get(f.slug)
            if old is not None:
                items = old.items
            else:
                items = relation_items(self.entry.relationships.get(f.slug)) if self.entry else []
            row = RelationRow(f, items, id=f"relation-{f.slug}")
            if old is not None:
                row.initial, row.labels = old.initial, old.labels
            rows.append(row)
        if rows:
            await body.mount_all(rows)
        if not specs:
            self.query_one("#save").disabled = False
            if not rows:
                self.message("This flow has no enabled fields: the entry will be empty.")

    def relation_rows(self) -> list[RelationRow]:
        return list(self.query(RelationRow))

    def revalidate(self) -> None:
        super().revalidate()
        if not self.specs and not self.saving:
            self.query_one("#save").disabled = False

    def dirty(self) -> bool:
        return super().dirty() or any(r.items != r.initial for r in self.relation_rows())

    @work(exclusive=True, group="form.save", exit_on_error=False)
    async def submit(self, values: dict) -> None:
        service = self.app.service
        try:
            if self.entry is None:
                entry = await service.create_entry(
                    self.flow.slug, {k: v for k, v in values.items() if v is not None}
                )
            else:
                changes = {
                    k: v
                    for k, v in values.items()
                    if self.entry.values.get(k) != v
                    or type(self.entry.values.get(k)) is not type(v)
                }
                entry = self.entry
                if changes:
                    entry = await service.update_entry(self.flow.slug, self.entry.id, changes)
            for row in self.relation_rows():
                if row.items != row.initial or (self.entry is None and row.items):
                    await service.set_relationship(
                        self.flow.slug, entry.id, row.field.slug, row.items
                    )
                    row.initial = list(row.items)
        except ApiError as exc:
            self.saving = False
            self.revalidate()
            self.show_server_errors(exc)
            return
        self.app.notify(f"Saved entry {entry.id[:8]} of {self.flow.slug}", markup=False)
        self.dismiss(entry)


def listable(target: str) -> bool:
    """Whether the picker can list ``target`` records: customers, or entries of a custom flow
    (the other core resources, such as products, are not served by flowtui)."""
    return target == "customer" or target not in L.RELATIONSHIP_TARGETS


def parse_ids(text: str) -> list[str]:
    """Record ids typed one per line or comma-separated, in order, without repeats."""
    ids: list[str] = []
    for part in text.replace(",", "\n").splitlines():
        part = part.strip()
        if part and part not in ids:
            ids.append(part)
    return ids


class RecordPicker(BaseModal):
    """Pick related records: customers (searched by name) or entries of a custom flow.
    ``enter`` picks (one-to-one) or adds/removes (one-to-many); Done returns the choice.
    Records flowtui cannot list (products, orders…) are given by their ids, typed."""

    DEFAULT_CSS = """
    RecordPicker { align: center middle; }
    RecordPicker #picker-table { height: 1fr; }
    RecordPicker .form-dialog { height: 80%; }
    RecordPicker #picker-ids { height: 1fr; }
    RecordPicker #picker-why { color: $text-muted; }
    """
    BINDINGS = [
        Binding("escape", "dismiss_modal", "Cancel", id="picker.cancel", tooltip="Keep as it was"),
        Binding("ctrl+s,f10", "done", "Done", id="picker.done", tooltip="Use the chosen records"),
    ]

    def __init__(self, target: str, cardinality: str, items: list[tuple[str, str]]) -> None:
        super().__init__()
        self.target = target
        self.cardinality = cardinality
        self.chosen: dict[str, str] = {i: i[:8] for _, i in items}
        self.rows: dict[str, str] = {}
        self.manual = not listable(target)

    def compose(self) -> ComposeResult:
        many = self.cardinality == "one-to-many"
        with Vertical(classes="form-dialog"):
            if self.manual:
                what = "ids, one per line or comma-separated" if many else "one id"
                yield Label(Text(f"{self.target} records ({what})"), classes="dialog-title")
                yield Static(
                    Text(
                        f"flowtui cannot list {self.target} records (it lists customers and "
                        f"entries of custom flows), so type the {self.target} ids to relate."
                    ),
                    id="picker-why",
                )
                yield TextArea("\n".join(self.chosen), id="picker-ids", soft_wrap=True)
            else:
                how = "enter adds or removes, Done keeps" if many else "enter picks"
                yield Label(Text(f"Pick {self.target} records ({how})"), classes="dialog-title")
                yield TextInput(placeholder="search by name", id="picker-search", compact=True)
                yield DataTable(id="picker-table", cursor_type="row")
            yield Static("", id="picker-chosen")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Done", variant="primary", id="done")
                yield Button("Clear", id="clear")
                yield Button("Cancel", id="cancel")
        yield Footer()

    def on_mount(self) -> None:
        self.show_chosen()
        if self.manual:
            self.query_one("#picker-ids", TextArea).focus()
            return
        self.search("")
        self.query_one("#picker-table", DataTable).focus()

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        self.chosen = {i: i[:8] for i in parse_ids(event.text_area.text)}
        self.show_chosen()

    def show_chosen(self) -> None:
        text = ", ".join(self.chosen.values()) or "(none)"
        self.query_one("#picker-chosen", Static).update(Text(f"Chosen: {text}"))

    def on_input_changed(self, event: Input.Changed) -> None:
        self.search(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.query_one("#picker-table", DataTable).focus()

    @work(exclusive=True, group="picker.search", exit_on_error=False)
    async def search(self, query: str) -> None:
        service = self.app.service
        table = self.query_one("#picker-table", DataTable)
        rows: list[tuple[str, list[str]]] = []
        if self.target == "customer":
            terms = [("like", "name", f"*{query.strip()}*")] if query.strip() else []
            page = await service.list_customers(filters=terms, sort="name", limit=50)
            rows = [(c.id, [c.name, c.email]) for c in page.items]
            headers = ["Name", "Email"]
        else:
            page = await service.list_entries(self.target, limit=100)
            headers = ["Id", "Values"]
            for e in page.items:
                shown = ", ".join(display(v) for v in e.values.values() if v is not None)
                if query.strip().lower() in shown.lower():
                    rows.append((e.id, [e.id[:8], shown]))
        table.clear(columns=True)
        table.add_columns(" ", *headers)
        self.rows = {}
        for record_id, cells in rows:
            mark = "✓" if record_id in self.chosen else ""
            table.add_row(Text(mark), *(safe(c, 50) for c in cells), key=record_id)
            self.rows[record_id] = cells[0] if self.target == "customer" else cells[1][:30]

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        record_id = event.row_key.value
        if record_id is None:
            return
        label = self.rows.get(record_id, record_id[:8]) or record_id[:8]
        if self.cardinality != "one-to-many":
            self.dismiss([(self.target, record_id, label)])
            return
        if record_id in self.chosen:
            del self.chosen[record_id]
        else:
            self.chosen[record_id] = label
        table = event.data_table
        column = next(iter(table.columns))
        table.update_cell(record_id, column, Text("✓" if record_id in self.chosen else ""))
        self.show_chosen()

    def action_done(self) -> None:
        if self.manual and self.cardinality != "one-to-many" and len(self.chosen) > 1:
            self.app.bell()
            self.query_one("#picker-chosen", Static).update(
                Text("A one-to-one relationship takes a single id.")
            )
            return
        self.dismiss([(self.target, i, label) for i, label in self.chosen.items()])

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "done":
            self.action_done()
        elif event.button.id == "clear":
            self.dismiss([])
        else:
            self.dismiss(None)
