"""Create or edit a flow. The slug is checked as you type (the store's rules and "already
taken"); the note under the form says whether the slug makes a core flow, and which
resource it extends, or a custom flow with entries."""

from __future__ import annotations

from typing import Any

from textual import work

from flowtui.api.errors import ApiError
from flowtui.api.models import Flow
from flowtui.ui.logic import designer as L
from flowtui.ui.screens.forms import NewFlowScreen
from flowtui.ui.widgets.form import FieldEditor, FormField


class FlowFormScreen(NewFlowScreen):
    """Create (``flow`` None) or edit a flow. A :class:`NewFlowScreen` that also knows the
    store's other flows ("already taken") and can edit."""

    DEFAULT_CSS = "FlowFormScreen { align: center middle; }"

    def __init__(self, flow: Flow | None = None, taken: list[Flow] | None = None) -> None:
        super().__init__()
        self.flow = flow
        self.taken = taken
        self.TITLE_TEXT = f"Edit flow {flow.slug}" if flow else "New flow"

    # NewFlowScreen.on_mount builds the form with ``flow_specs()``; Textual also runs the
    # handlers of base classes, so this class fills it in ``set_specs`` rather than mounting
    # its own.

    def start_values(self) -> dict[str, Any]:
        if self.flow is None:
            return {"enabled": True}
        f = self.flow
        return {"name": f.name, "slug": f.slug, "description": f.description, "enabled": f.enabled}

    async def set_specs(self, specs: list[FormField], values: dict[str, Any] | None = None) -> None:
        await super().set_specs(specs, values if values is not None else self.start_values())
        if self.taken is None:
            self.load_taken()
        self.show_note()

    @work(exclusive=True, group="form.taken", exit_on_error=False)
    async def load_taken(self) -> None:
        self.taken = await self.flow_app.api.list_flows()
        for editor in self.editors():
            if editor.spec.key == "slug":
                editor.show_problem(editor.value()[1])
        self.revalidate()
        self.show_note()

    def slug_problem(self, value: str) -> str | None:
        editing = self.flow.id if self.flow else None
        return L.flow_slug_check(value, self.taken or [], editing)[0]

    def flow_specs(self) -> list[FormField]:  # type: ignore[override]
        return [
            FormField("name", "Name", required=True),
            FormField("slug", "Slug", required=True, extra=self.slug_problem),
            FormField("description", "Description"),
            FormField("enabled", "Enabled", field_type="boolean", default=True),
        ]

    def show_note(self) -> None:
        editors = {e.spec.key: e for e in self.editors()}
        if "slug" not in editors:
            return
        value, problem = editors["slug"].value()
        if problem or not isinstance(value, str):
            self.message("")
            return
        editing = self.flow.id if self.flow else None
        _, note = L.flow_slug_check(value, self.taken or [], editing)
        if self.flow is not None and self.flow.is_core and value != self.flow.slug:
            note += (
                f" Renaming makes it stop extending the {self.flow.resource} resource: "
                "its fields no longer appear there."
            )
        self.message(note)

    def on_field_editor_changed(self, event: FieldEditor.Changed) -> None:
        # The base classes' handlers run after this one (and NewFlowScreen's writes its own
        # note): put this note in place once they have.
        if event.editor.spec.key == "slug":
            self.call_after_refresh(self.show_note)

    @work(exclusive=True, group="form.save", exit_on_error=False)
    async def submit(self, values: dict[str, Any]) -> None:
        service = self.flow_app.api
        values["description"] = values.get("description") or ""
        values["enabled"] = bool(values.get("enabled"))
        try:
            if self.flow is None:
                flow = await service.create_flow(
                    values["name"], values["slug"], values["description"], values["enabled"]
                )
                self.notify(f"Created flow {flow.slug}", markup=False)
            else:
                changes = L.flow_changes(self.flow, values)
                if not changes:
                    self.dismiss(self.flow)
                    return
                flow = await service.update_flow(self.flow.id, **changes)
                self.notify(f"Saved flow {flow.slug}", markup=False)
        except ApiError as exc:
            self.saving = False
            self.revalidate()
            self.show_server_errors(exc)
            return
        self.dismiss(flow)
