"""The main screen: header, the Customers and Flows views, and the footer of keys.

The views never push screens: they post what they want (``CustomersView.EditAsked``,
``FlowsView.EntriesAsked``, ``View.ConfirmAsked``, ...) and this screen pushes the editor, the
columns chooser, the confirmations, bulk edit, the flow and field forms, previews, entries.
"""

from __future__ import annotations

import asyncio

from textual import getters, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import ContentSwitcher, Input

from flowtui.config.profiles import Profile
from flowtui.core.textsafe import printable
from flowtui.ops import journal as J
from flowtui.ui.screens.asking import ViewHost
from flowtui.ui.screens.forms import NewCustomerScreen
from flowtui.ui.widgets.customers import CustomersView
from flowtui.ui.widgets.flows import FlowsView
from flowtui.ui.widgets.footer import Footer
from flowtui.ui.widgets.header import StoreHeader

VIEWS = {"customers": "Customers", "flows": "Flows"}


#: Seconds after the main screen opens before the hidden flows view loads.
FLOWS_PREFETCH_DELAY = 1.0
#: Seconds after the main screen opens (then between tries, at most 20) before the customer
#: editor and the new-customer form are composed ahead of their first open.
FORMS_PREPARE_DELAY = 1.5


class MainScreen(ViewHost):
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

    flows = getters.query_one(FlowsView)
    switcher = getters.query_one("#views", ContentSwitcher)
    header = getters.query_one(StoreHeader)

    def on_mount(self) -> None:
        self.focus_view(self.initial_view)
        self.flows.ensure_loaded(later=0 if self.initial_view == "flows" else FLOWS_PREFETCH_DELAY)
        self.set_timer(FORMS_PREPARE_DELAY, self.prepare_forms)

    def prepare_forms(self, tries: int = 20) -> None:
        """Compose the customer forms ahead of their first open, once the customers view
        shows a page, the fields are kept and the app is idle (ui/screens/forms.py,
        ``FormScreen.compose_ahead``)."""
        from flowtui.ui.screens.customer_editor import EditCustomerScreen

        customer = self.query_one(CustomersView).highlighted()
        # Only while nothing else goes on: not while a search is typed or anything loads.
        idle = not isinstance(self.app.focused, Input) and all(
            w.is_finished for w in self.app.workers
        )
        done = (
            idle
            and customer is not None
            and (
                EditCustomerScreen.compose_ahead(self.app, lambda: EditCustomerScreen(customer))
                and NewCustomerScreen.compose_ahead(self.app, NewCustomerScreen)
            )
        )
        if not done and tries > 1:
            self.set_timer(FORMS_PREPARE_DELAY, lambda: self.prepare_forms(tries - 1))

    @property
    def current_view(self) -> str:
        return self.switcher.current or "customers"

    def focus_view(self, name: str) -> None:
        self.query_one(f"#{name}-table").focus()

    def action_show_view(self, name: str) -> None:
        if name == "flows":
            self.flows.ensure_loaded()
        self.switcher.current = name
        self.header.set_view(VIEWS[name])
        self.focus_view(name)

    # -- what the views ask for ---------------------------------------------------------------
    # The screens pushed from here are imported when first asked for: none of them is needed
    # to show the first page, and importing them all costs ~35 ms of start-up.

    @on(CustomersView.EditAsked)
    def edit_customer(self, event: CustomersView.EditAsked) -> None:
        from flowtui.ui.screens.customer_editor import EditCustomerScreen

        self.app.push_screen(EditCustomerScreen.opening(self.app, event.customer))

    @on(CustomersView.NewAsked)
    def new_customer(self) -> None:
        if self.flow_app.writable("create customers"):
            self.app.push_screen(NewCustomerScreen.opening(self.app))

    @on(CustomersView.AddressesAsked)
    def customer_addresses(self, event: CustomersView.AddressesAsked) -> None:
        from flowtui.ui.screens.address_editor import AddressesScreen

        self.app.push_screen(AddressesScreen(event.customer))

    @on(CustomersView.ColumnsAsked)
    def choose_columns(self, event: CustomersView.ColumnsAsked) -> None:
        from flowtui.ui.screens.customer_editor import ColumnsScreen

        self.app.push_screen(ColumnsScreen(event.options, event.chosen), event.then)

    @on(CustomersView.BulkEditAsked)
    def bulk_edit(self, event: CustomersView.BulkEditAsked) -> None:
        from flowtui.ui.screens.bulk import BulkEditScreen

        self.app.push_screen(BulkEditScreen(event.customers))

    @on(FlowsView.EntriesAsked)
    def open_entries(self, event: FlowsView.EntriesAsked) -> None:
        from flowtui.ui.screens.entries import EntriesScreen

        self.app.push_screen(EntriesScreen(event.flow, event.fields))

    @on(FlowsView.FlowFormAsked)
    def flow_form(self, event: FlowsView.FlowFormAsked) -> None:
        from flowtui.ui.screens.flow_form import FlowFormScreen

        self.app.push_screen(FlowFormScreen(event.flow, taken=event.taken))

    @on(FlowsView.FieldFormAsked)
    def field_form(self, event: FlowsView.FieldFormAsked) -> None:
        from flowtui.ui.screens.field_form import FieldFormScreen

        self.app.push_screen(
            FieldFormScreen(event.flow, event.fields, event.custom_flows, field=event.field)
        )

    @on(FlowsView.PreviewAsked)
    def preview(self, event: FlowsView.PreviewAsked) -> None:
        from flowtui.ui.screens.designer_dialogs import PreviewScreen

        self.app.push_screen(PreviewScreen(event.flow, event.fields))

    # -- the journal ---------------------------------------------------------------------------

    def action_journal(self) -> None:
        from flowtui.ui.screens.journal import JournalScreen

        if not isinstance(self.app.screen, JournalScreen):
            self.app.push_screen(JournalScreen())

    def action_undo_last(self) -> None:
        # Found in a worker: in a large journal shared with other profiles it takes a while.
        self.run_worker(self.undo_last(), group="journal.find", exclusive=True, exit_on_error=False)

    async def undo_last(self) -> None:
        from flowtui.ops.undo import UndoRefused, plan
        from flowtui.ui.screens.journal import confirm_undo

        service = self.flow_app.api
        journal = J.readable(service.journal)
        if journal is None:
            self.flow_app.report(
                "This session keeps no journal: nothing to undo.", title="", severity="information"
            )
            return
        record = await asyncio.to_thread(journal.last_change, service.profile_name)
        if record is None:
            self.flow_app.report(
                "Nothing to undo: no change of this profile is journaled.",
                title="",
                severity="information",
            )
            return
        try:
            plan(record)
        except UndoRefused as exc:
            self.flow_app.report(
                printable(f"{exc} Press j to pick another change in the journal."),
                title="Cannot undo the last change",
                severity="warning",
            )
            return
        confirm_undo(self, record)
