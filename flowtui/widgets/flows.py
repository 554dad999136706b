"""The flows view: every flow with its kind (core extends a resource, custom has entries),
whether it is enabled, and how many fields it has."""

from __future__ import annotations

from collections import Counter

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Label

from flowtui.api.models import Flow
from flowtui.api.service import Change
from flowtui.widgets.safe import safe


class FlowsView(Vertical):
    BINDINGS = [
        Binding("n", "new", "New flow", id="flows.new", tooltip="Create a flow"),
        Binding("r", "reload", "Reload", id="flows.reload", tooltip="Reload the flows"),
        Binding("c", "copy", "Copy id", id="flows.copy_id", tooltip="Copy the flow's id"),
    ]

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.flows: dict[str, Flow] = {}

    def compose(self) -> ComposeResult:
        yield Label("Loading flows…", id="flows-status", classes="status")
        yield DataTable(id="flows-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        self.load()

    @property
    def table(self) -> DataTable:
        return self.query_one("#flows-table", DataTable)

    def status(self, text: str) -> None:
        self.query_one("#flows-status", Label).update(Text(text))

    @work(exclusive=True, group="flows.load", exit_on_error=False)
    async def load(self) -> None:
        service = self.app.service
        self.status("Loading flows…")
        flows = await service.list_flows()
        counts = Counter(f.flow_id for f in await service.list_fields())
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
                Text(str(counts.get(f.id, 0))),
                key=f.id,
            )
        self.status(f"{len(flows)} flows" if flows else "No flows yet. Press n to create one.")

    def highlighted(self) -> Flow | None:
        table = self.table
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        return self.flows.get(key.value) if key else None

    def action_reload(self) -> None:
        self.load()

    def action_new(self) -> None:
        self.app.action_new_flow()

    def action_copy(self) -> None:
        flow = self.highlighted()
        if flow is None:
            self.app.bell()
            return
        self.app.copy_to_clipboard(flow.id)
        self.app.notify(f"Copied id: {flow.id}", markup=False, timeout=2)

    def on_change(self, change: Change) -> None:
        if change.resource in ("flow", "field"):
            self.load()
