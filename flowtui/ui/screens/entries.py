"""Entries of a custom flow: a table paged by the store, and a form generated from the flow's
fields (checked as you type, like the customer form) to create and edit them. Relationship
fields are set by picking related records (customers, or entries of another custom flow)."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import getters, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, DataTable, Input, Label, Static, TextArea

from flowtui.api.errors import ApiError, NotFoundError
from flowtui.api.models import Entry, Field, Flow
from flowtui.core import fields as F
from flowtui.ui.logic import designer as L
from flowtui.ui.screens.asking import ViewHost
from flowtui.ui.screens.base import BaseModal
from flowtui.ui.screens.forms import FormScreen
from flowtui.ui.widgets.entries import EntriesView, relation_items, relation_text
from flowtui.ui.widgets.footer import Footer
from flowtui.ui.widgets.form import FormField
from flowtui.ui.widgets.inputs import TextInput
from flowtui.ui.widgets.safe import display, literal, safe


class EntriesScreen(ViewHost):
    """Browse, create, edit and delete the entries of one custom flow: the screen hosts an
    :class:`EntriesView` and opens the entry form it asks for."""

    DEFAULT_CSS = """
    EntriesScreen #entries-title { text-style: bold; padding: 0 1; }
    """
    view = getters.query_one(EntriesView)
    table = getters.query_one("#entries-table", DataTable)

    def __init__(self, flow: Flow, fields: list[Field]) -> None:
        super().__init__()
        self.flow = flow
        self.initial_fields = fields

    def compose(self) -> ComposeResult:
        yield Label(literal(f"Entries of {self.flow.name} ({self.flow.slug})"), id="entries-title")
        yield EntriesView(self.flow, self.initial_fields, id="entries")
        yield Footer()

    def on_mount(self) -> None:
        self.table.focus()

    @on(EntriesView.BackAsked)
    def back(self) -> None:
        self.dismiss(None)

    @on(EntriesView.EditAsked)
    def open_form(self, event: EntriesView.EditAsked) -> None:
        self.app.push_screen(
            EntryFormScreen(event.flow, event.fields, event.entry), self.after_save
        )

    def after_save(self, entry: Entry | None) -> None:
        self.view.load()


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
        yield Label(literal(self.field.name or self.field.slug), classes="field-label")
        yield Static(self.describe(), classes="relation-value")
        yield Button("Pick…", id=f"pick-{self.field.slug}", compact=True)

    def describe(self) -> Text:
        return literal(
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

    # A worker replaces the form's plain hook: Textual's @work makes the method return its
    # Worker, which callers ignore.
    @work(exclusive=True, group="form.fields", exit_on_error=False)
    async def load_fields(self) -> None:
        """The flow's fields changed while the form was open: read them and follow."""
        try:
            fields = await self.flow_app.api.list_fields(self.flow.slug)
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
    async def submit(self, values: dict[str, Any]) -> None:
        service = self.flow_app.api
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
                yield Label(literal(f"{self.target} records ({what})"), classes="dialog-title")
                yield Static(
                    literal(
                        f"flowtui cannot list {self.target} records (it lists customers and "
                        f"entries of custom flows), so type the {self.target} ids to relate."
                    ),
                    id="picker-why",
                )
                yield TextArea("\n".join(self.chosen), id="picker-ids", soft_wrap=True)
            else:
                how = "enter adds or removes, Done keeps" if many else "enter picks"
                yield Label(literal(f"Pick {self.target} records ({how})"), classes="dialog-title")
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
        self.query_one("#picker-chosen", Static).update(literal(f"Chosen: {text}"))

    def on_input_changed(self, event: Input.Changed) -> None:
        self.search(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.query_one("#picker-table", DataTable).focus()

    @work(exclusive=True, group="picker.search", exit_on_error=False)
    async def search(self, query: str) -> None:
        service = self.flow_app.api
        table = self.query_one("#picker-table", DataTable)
        rows: list[tuple[str, list[str]]] = []
        if self.target == "customer":
            terms = [("like", "name", f"*{query.strip()}*")] if query.strip() else []
            customers = await service.list_customers(filters=terms, sort="name", limit=50)
            rows = [(c.id, [c.name, c.email]) for c in customers.items]
            headers = ["Name", "Email"]
        else:
            entries = await service.list_entries(self.target, limit=100)
            headers = ["Id", "Values"]
            for e in entries.items:
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
