"""The main screen: header, the Customers and Flows views, and the footer of keys."""

from __future__ import annotations

import asyncio

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import ContentSwitcher

from flowtui.config.profiles import Profile
from flowtui.ui.screens.base import BaseScreen
from flowtui.ui.widgets.customers import CustomersView
from flowtui.ui.widgets.flows import FlowsView
from flowtui.ui.widgets.footer import Footer
from flowtui.ui.widgets.header import StoreHeader

VIEWS = {"customers": "Customers", "flows": "Flows"}


#: Seconds after the main screen opens before the hidden flows view loads.
FLOWS_PREFETCH_DELAY = 1.0


class MainScreen(BaseScreen):
    BINDINGS = [
        Binding(
            "f2",
            "show_view('customers')",
            "Customers",
            id="app.view_customers",
            tooltip="Switch to the customers view",
        ),
        Binding(
            "f3",
            "show_view('flows')",
            "Flows",
            id="app.view_flows",
            tooltip="Switch to the flows and fields view",
        ),
        Binding(
            "j",
            "journal",
            "Journal",
            id="app.journal",
            show=False,
            tooltip="The changes flowtui made with this profile (undo from there)",
        ),
        Binding(
            "u",
            "undo_last",
            "Undo",
            id="app.undo",
            show=False,
            tooltip="Undo the last change made with this profile (asks first)",
        ),
    ]

    def __init__(self, profile: Profile, is_sandbox: bool, view: str = "customers") -> None:
        super().__init__()
        self.profile = profile
        self.is_sandbox = is_sandbox
        self.initial_view = view

    def compose(self) -> ComposeResult:
        yield StoreHeader(self.profile, self.is_sandbox, VIEWS[self.initial_view])
        with ContentSwitcher(initial=self.initial_view, id="views"):
            yield CustomersView(id="customers")
            yield FlowsView(id="flows")
        yield Footer()

    def on_mount(self) -> None:
        self.focus_view(self.initial_view)
        flows = self.query_one(FlowsView)
        flows.ensure_loaded(later=0 if self.initial_view == "flows" else FLOWS_PREFETCH_DELAY)

    @property
    def current_view(self) -> str:
        return self.query_one("#views", ContentSwitcher).current or "customers"

    def focus_view(self, name: str) -> None:
        self.query_one(f"#{name}-table").focus()

    def action_show_view(self, name: str) -> None:
        if name == "flows":
            self.query_one(FlowsView).ensure_loaded()
        self.query_one("#views", ContentSwitcher).current = name
        self.query_one(StoreHeader).set_view(VIEWS[name])
        self.focus_view(name)

    def action_journal(self) -> None:
        from flowtui.ui.screens.journal import JournalScreen

        if not isinstance(self.app.screen, JournalScreen):
            self.app.push_screen(JournalScreen())

    def action_undo_last(self) -> None:
        # Found in a worker: in a large journal shared with other profiles it takes a while.
        self.run_worker(self.undo_last(), group="journal.find", exclusive=True, exit_on_error=False)

    async def undo_last(self) -> None:
        from flowtui.core.textsafe import printable
        from flowtui.ops.undo import UndoRefused, plan
        from flowtui.ui.screens.journal import confirm_undo

        service = self.app.service
        journal = getattr(service, "journal", None)
        if journal is None:
            self.notify("This session keeps no journal: nothing to undo.", markup=False)
            return
        record = await asyncio.to_thread(journal.last_change, service.profile_name)
        if record is None:
            self.notify("Nothing to undo: no change of this profile is journaled.", markup=False)
            return
        try:
            plan(record)
        except UndoRefused as exc:
            self.notify(
                printable(f"{exc} Press j to pick another change in the journal."),
                title="Cannot undo the last change",
                severity="warning",
                markup=False,
            )
            return
        confirm_undo(self, record)
