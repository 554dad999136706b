"""The flow and field designer: the store's flows above, the fields of the highlighted flow
(in their ``order``) below.

Flows: ``n`` new, ``e`` edit, ``space`` enable/disable, ``d`` delete (core flows behind a typed
confirmation), ``enter`` opens a custom flow's entries (or the fields of a core flow), ``p``
previews the form the flow produces. Fields: ``a`` add, ``e`` edit, ``space`` enable/disable,
``d`` delete, ``K``/``J`` (shift+up/down) reorder. Every write asks the service from a worker;
the view reloads from the app's change signal. Read-only profiles can look, and are told
why they cannot change anything. The view pushes no screen: it posts ``EntriesAsked``,
``FlowFormAsked``, ``FieldFormAsked``, ``PreviewAsked`` and ``ConfirmAsked`` to its screen.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from typing import Any

from rich.text import Text
from textual import getters, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable, Label

from flowtui.api.errors import ApiError, AuthError
from flowtui.api.models import Field, Flow
from flowtui.api.service import Change
from flowtui.ui.logic import designer as L
from flowtui.ui.widgets.safe import literal, safe
from flowtui.ui.widgets.tables import cursor_key
from flowtui.ui.widgets.view import READ_ONLY_NOTE, StatusLine, View

__all__ = ["READ_ONLY_NOTE", "FieldTable", "FlowTable", "FlowsView"]


class DesignerTable(DataTable[Any]):
    """A table whose keys run designer actions on the :class:`FlowsView` it sits in."""

    def action_designer(self, name: str) -> None:
        view = next(a for a in self.ancestors if isinstance(a, FlowsView))
        getattr(view, f"do_{name}")()


class FlowTable(DesignerTable):
    BINDINGS = [
        Binding(
            "enter",
            "designer('open')",
            "Open",
            id="flows.open",
            tooltip="A custom flow: browse its entries. A core flow: go to its fields",
        ),
        Binding("e", "designer('edit_flow')", "Edit", id="flows.edit", tooltip="Edit the flow"),
        Binding(
            "space,x",
            "designer('toggle_flow')",
            "On/off",
            id="flows.toggle",
            tooltip="Enable or disable the flow",
        ),
        Binding(
            "d,delete",
            "designer('delete_flow')",
            "Delete",
            id="flows.delete",
            tooltip="Delete the flow (says what goes with it first)",
        ),
        Binding(
            "p",
            "designer('preview')",
            "Preview",
            id="flows.preview",
            tooltip="The form this flow produces for a customer, an address or an entry",
        ),
        Binding("c", "designer('copy')", "Copy id", id="flows.copy_id", tooltip="Copy the id"),
    ]


class FieldTable(DesignerTable):
    BINDINGS = [
        Binding("a", "designer('add_field')", "Add", id="fields.add", tooltip="Add a field"),
        Binding("e,enter", "designer('edit_field')", "Edit", id="fields.edit", tooltip="Edit"),
        Binding(
            "space,x",
            "designer('toggle_field')",
            "On/off",
            id="fields.toggle",
            tooltip="Enable or disable the field",
        ),
        Binding(
            "d,delete",
            "designer('delete_field')",
            "Delete",
            id="fields.delete",
            tooltip="Delete the field (says what data is lost first)",
        ),
        Binding(
            "K,shift+up",
            "designer('move_up')",
            "Move up",
            id="fields.move_up",
            tooltip="Move the field up (writes its order)",
        ),
        Binding(
            "J,shift+down",
            "designer('move_down')",
            "Move down",
            id="fields.move_down",
            tooltip="Move the field down (writes its order)",
        ),
        Binding(
            "p",
            "designer('preview')",
            "Preview",
            id="fields.preview",
            tooltip="The form this flow produces",
        ),
        Binding(
            "escape",
            "designer('back')",
            "Flows",
            id="fields.back",
            tooltip="Back to the flows",
        ),
    ]


class FlowsView(View):
    """The designer: flows and the fields of the highlighted flow."""

    @dataclass
    class EntriesAsked(Message):
        """Browse the entries of the custom ``flow`` (the host pushes the entries screen)."""

        flow: Flow
        fields: list[Field]

    @dataclass
    class FlowFormAsked(Message):
        """Create a flow (``flow`` None) or edit ``flow``; ``taken``: the flows there are."""

        flow: Flow | None
        taken: list[Flow]

    @dataclass
    class FieldFormAsked(Message):
        """Add a field to ``flow`` (``field`` None) or edit ``field``."""

        flow: Flow
        fields: list[Field]
        custom_flows: list[str]
        field: Field | None = None

    @dataclass
    class PreviewAsked(Message):
        """Preview the form ``flow`` produces."""

        flow: Flow
        fields: list[Field]

    NOTE_READ_ONLY = True

    DEFAULT_CSS = """
    FlowsView #flows-table { height: auto; max-height: 40%; min-height: 3; }
    FlowsView #fields-table { height: 1fr; min-height: 5; }
    FlowsView #fields-status { background: $boost; }
    """

    BINDINGS = [
        Binding("n", "new", "New flow", id="flows.new", tooltip="Create a flow"),
        Binding("r", "reload", "Reload", id="flows.reload", tooltip="Reload flows and fields"),
        Binding(
            "C",
            "app.compare_with",
            "Compare with…",
            id="flows.compare",
            show=False,
            tooltip="Compare with another profile or a schema file; apply its design here",
        ),
    ]

    table = getters.query_one("#flows-table", FlowTable)
    fields_table = getters.query_one("#fields-table", FieldTable)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.set_reactive(FlowsView.status_line, "Loading flows…")
        self.flows: dict[str, Flow] = {}
        self.fields_by_flow: dict[str, list[Field]] = {}
        self.shown_flow_id: str | None = None
        self.loaded = False
        self.requested = False  # whether a load was ever started (the view loads lazily)
        self._reordering = False
        self._reload_after_reorder = False
        self._stale = False  # changes heard while hidden: load when shown again

    def compose(self) -> ComposeResult:
        yield StatusLine("Loading flows…", id="flows-status", classes="status").data_bind(
            text=FlowsView.status_line
        )
        yield FlowTable(id="flows-table", cursor_type="row", zebra_stripes=True)
        yield Label("", id="fields-status", classes="status")
        yield FieldTable(id="fields-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        self.flow_app.follow_changes(self, self.store_changed)
        self.app.screen_change_signal.subscribe(self, self.screen_changed)

    def ensure_loaded(self, later: float = 0.0) -> None:
        """Load the flows unless that was done (the view loads lazily: hidden behind the
        customers view at start-up, it loads ``later`` seconds on, so it doesn't compete with
        the first customers page, or at once when shown)."""
        if later:
            self.set_timer(later, self.ensure_loaded)
        elif not self.requested:
            self.load()

    # -- state -----------------------------------------------------------------------------

    def highlighted(self) -> Flow | None:
        key = cursor_key(self.table)
        return self.flows.get(key) if key else None

    def current_fields(self) -> list[Field]:
        flow = self.highlighted()
        return self.fields_by_flow.get(flow.id, []) if flow else []

    def highlighted_field(self) -> Field | None:
        fields = self.current_fields()
        row = self.fields_table.cursor_row
        return fields[row] if fields and 0 <= row < len(fields) else None

    # -- loading ---------------------------------------------------------------------------

    @work(exclusive=True, group="flows.load", exit_on_error=False)
    async def load(self) -> None:
        self.requested = True
        service = self.flow_app.api
        self.state = "loading"
        self.status("Loading flows…")
        try:
            flows = await service.list_flows()
            all_fields = await service.list_fields()
        except ApiError as exc:
            if isinstance(exc, AuthError):
                raise  # the error funnel opens the login screen
            self.load_failed("flows", exc)
            return
        grouped: dict[str, list[Field]] = defaultdict(list)
        for field in all_fields:
            grouped[field.flow_id].append(field)
        self.fields_by_flow = {k: L.in_order(v) for k, v in grouped.items()}
        selected = self.highlighted()
        table = self.table
        table.clear(columns=True)
        table.add_columns("Name", "Slug", "Kind", "Enabled", "Fields")
        self.flows = {f.id: f for f in flows}
        for f in flows:
            kind = f"core: extends {f.resource}" if f.is_core else "custom (entries)"
            table.add_row(
                safe(f.name, 40),
                safe(f.slug, 40),
                Text(kind),
                Text("yes" if f.enabled else "no"),
                Text(str(len(self.fields_by_flow.get(f.id, [])))),
                key=f.id,
            )
        if selected is not None and selected.id in self.flows:
            table.move_cursor(row=table.get_row_index(selected.id))
        self.status(f"{len(flows)} flows" if flows else "No flows yet. Press n to create one.")
        self.state = "loaded" if flows else "empty"
        self.loaded = True
        self.show_fields(keep_cursor=True)

    def show_fields(self, keep_cursor: bool = False) -> None:
        """Fill the fields table with the highlighted flow's fields, in order."""
        flow = self.highlighted()
        table = self.fields_table
        same = keep_cursor or (flow is not None and flow.id == self.shown_flow_id)
        cursor = table.cursor_row if same else 0
        table.clear(columns=True)
        table.add_columns("Name", "Slug", "Type", "Req", "On", "Rules", "Default")
        label = self.query_one("#fields-status", Label)
        self.shown_flow_id = flow.id if flow else None
        if flow is None:
            label.update(Text("Fields: create a flow first (n)."))
            return
        fields = self.fields_by_flow.get(flow.id, [])
        for f in fields:
            table.add_row(
                safe(f.name, 30),
                safe(f.slug, 30),
                safe(f.field_type, 40),
                Text("yes" if f.required else ""),
                Text("yes" if f.enabled else "no"),
                safe(L.describe_rules(f.validation_rules), 18),
                safe(f.default, 20),
                key=f.id,
            )
        if fields:
            table.move_cursor(row=min(max(cursor, 0), len(fields) - 1))
        what = f"extends {flow.resource}" if flow.is_core else "custom flow, entries: enter"
        count = f"{len(fields)} field{'s' if len(fields) != 1 else ''}"
        hint = "  a: add a field" if not fields else ""
        label.update(literal(f"Fields of {flow.slug} ({what}): {count}{hint}"))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "flows-table":
            flow = self.highlighted()
            if flow is not None and flow.id != self.shown_flow_id:
                self.show_fields()

    def store_changed(self, change: Change) -> None:
        if change.resource in ("flow", "field") and self.requested:
            if self._reordering and change.resource == "field":
                self._reload_after_reorder = True
                return
            if not self.shown():
                # Hidden behind a full screen (compare with… applying 1,000 creates reloaded
                # the designer 1,000 times, each load's requests taking the apply's pace):
                # once, when it shows again.
                self._stale = True
                return
            self.load()

    def shown(self) -> bool:
        """Whether the view's screen is on top, or under a dialog (not under a full screen)."""
        top = self.app.screen
        return top is self.screen or (top.is_modal and self.screen in self.app.screen_stack)

    def screen_changed(self, screen: object) -> None:
        if self._stale and self.shown():
            self._stale = False
            self.load()

    # -- flow actions ----------------------------------------------------------------------

    def action_reload(self) -> None:
        self.load()

    def action_new(self) -> None:
        if self.writable("create flows"):
            self.post_message(self.FlowFormAsked(None, list(self.flows.values())))

    def do_copy(self) -> None:
        flow = self.highlighted()
        if flow is None:
            self.app.bell()
            return
        self.app.copy_to_clipboard(flow.id)
        self.notify(f"Copied id: {flow.id}", markup=False, timeout=2)

    def do_open(self) -> None:
        flow = self.highlighted()
        if flow is None:
            self.app.bell()
            return
        if flow.is_core:
            self.fields_table.focus()
            return
        self.post_message(self.EntriesAsked(flow, self.fields_by_flow.get(flow.id, [])))

    def do_edit_flow(self) -> None:
        flow = self.highlighted()
        if flow is None:
            self.app.bell()
        elif self.writable("change flows"):
            self.post_message(self.FlowFormAsked(flow, list(self.flows.values())))

    def do_toggle_flow(self) -> None:
        flow = self.highlighted()
        if flow is None:
            self.app.bell()
        elif self.writable("enable or disable flows"):
            self.write_flow(flow, enabled=not flow.enabled)

    @work(exclusive=True, group="flows.write", exit_on_error=False)
    async def write_flow(self, flow: Flow, **changes: Any) -> None:
        updated = await self.flow_app.api.update_flow(flow.id, **changes)
        state = "enabled" if updated.enabled else "disabled"
        self.notify(f"Flow {updated.slug} {state}", markup=False, timeout=3)

    def do_delete_flow(self) -> None:
        flow = self.highlighted()
        if flow is None:
            self.app.bell()
        elif self.writable("delete flows"):
            self.ask_delete_flow(flow)

    async def record_count(self, flow: Flow) -> int | None:
        """How many records hold values of this flow's fields (None when unknown)."""
        service = self.flow_app.api
        try:
            if flow.slug == "customers":
                return await service.count_customers()
            if not flow.is_core:
                return (await service.list_entries(flow.slug, limit=1)).total
        except ApiError:
            return None
        return None

    @work(exclusive=True, group="flows.ask", exit_on_error=False)
    async def ask_delete_flow(self, flow: Flow) -> None:
        count = await self.record_count(flow)
        nfields = len(self.fields_by_flow.get(flow.id, []))
        warning = L.delete_flow_warning(flow.slug, flow.resource, nfields, count)

        if flow.is_core:
            self.ask(
                f"Delete the core flow {flow.slug!r}?",
                f"{flow.slug!r} extends the {flow.resource} resource. {warning}",
                "Rename and delete",
                lambda: self.delete_flow(flow),
                typed=flow.slug,
            )
        else:
            self.ask(
                f"Delete the flow {flow.slug!r}?", warning, "Delete", lambda: self.delete_flow(flow)
            )

    @work(exclusive=True, group="flows.write", exit_on_error=False)
    async def delete_flow(self, flow: Flow) -> None:
        await self.flow_app.api.delete_flow(flow, core_confirmed=flow.is_core)
        self.notify(f"Deleted flow {flow.slug}", markup=False)

    def do_preview(self) -> None:
        flow = self.highlighted()
        if flow is None:
            self.app.bell()
            return
        self.post_message(self.PreviewAsked(flow, self.fields_by_flow.get(flow.id, [])))

    # -- field actions ---------------------------------------------------------------------

    def do_back(self) -> None:
        self.table.focus()

    def do_add_field(self) -> None:
        flow = self.highlighted()
        if flow is None:
            self.app.bell()
        elif self.writable("add fields"):
            self.post_message(self.FieldFormAsked(flow, self.current_fields(), self.custom_flows()))

    def custom_flows(self) -> list[str]:
        return sorted(f.slug for f in self.flows.values() if not f.is_core)

    def do_edit_field(self) -> None:
        flow, field = self.highlighted(), self.highlighted_field()
        if flow is None or field is None:
            self.app.bell()
        elif self.writable("change fields"):
            self.post_message(
                self.FieldFormAsked(flow, self.current_fields(), self.custom_flows(), field)
            )

    def do_toggle_field(self) -> None:
        flow, field = self.highlighted(), self.highlighted_field()
        if flow is None or field is None:
            self.app.bell()
        elif self.writable("enable or disable fields"):
            self.write_field(flow, field, enabled=not field.enabled)

    @work(exclusive=True, group="fields.write", exit_on_error=False)
    async def write_field(self, flow: Flow, field: Field, **changes: Any) -> None:
        updated = await self.flow_app.api.update_field(field.id, flow_slug=flow.slug, **changes)
        state = "enabled" if updated.enabled else "disabled"
        self.notify(f"Field {updated.slug} {state}", markup=False, timeout=3)

    def do_delete_field(self) -> None:
        flow, field = self.highlighted(), self.highlighted_field()
        if flow is None or field is None:
            self.app.bell()
        elif self.writable("delete fields"):
            self.ask_delete_field(flow, field)

    @work(exclusive=True, group="fields.ask", exit_on_error=False)
    async def ask_delete_field(self, flow: Flow, field: Field) -> None:
        count = await self.record_count(flow)
        warning = L.delete_field_warning(field.name or field.slug, flow.slug, flow.resource, count)
        self.ask(
            f"Delete the field {field.slug!r} of {flow.slug}?",
            warning,
            "Delete",
            lambda: self.delete_field(flow, field),
        )

    @work(exclusive=True, group="fields.write", exit_on_error=False)
    async def delete_field(self, flow: Flow, field: Field) -> None:
        await self.flow_app.api.delete_field(field, flow.slug)
        self.notify(f"Deleted field {field.slug} of {flow.slug}", markup=False)

    def do_move_up(self) -> None:
        self.move(-1)

    def do_move_down(self) -> None:
        self.move(+1)

    def move(self, delta: int) -> None:
        flow = self.highlighted()
        fields = self.current_fields()
        if flow is None or not fields or not self.writable("reorder fields"):
            return
        row = self.fields_table.cursor_row
        new = L.moved(fields, row, delta)
        if new is None:
            self.app.bell()
            return
        self.fields_by_flow[flow.id] = new
        self.show_fields(keep_cursor=True)
        self.fields_table.move_cursor(row=row + delta)
        if not self._reordering:
            self._reordering = True
            self.write_order(flow)

    @work(exclusive=True, group="fields.reorder", exit_on_error=False)
    async def write_order(self, flow: Flow) -> None:
        """Write ``order`` until the store matches what the table shows (moves made while
        a write is running are picked up by the next round)."""
        self._reordering = True
        try:
            while True:
                desired = list(self.fields_by_flow.get(flow.id, []))
                if all(f.order == i for i, f in enumerate(desired, start=1)):
                    break
                updated = await self.flow_app.api.reorder_fields(desired, flow.slug)
                by_id = {f.id: f for f in updated}
                current = self.fields_by_flow.get(flow.id, [])
                self.fields_by_flow[flow.id] = [
                    replace(f, order=by_id[f.id].order) if f.id in by_id else f for f in current
                ]
            self.notify(f"Saved the field order of {flow.slug}", markup=False, timeout=2)
        finally:
            self._reordering = False
            if self._reload_after_reorder:
                self._reload_after_reorder = False
                self.load()
