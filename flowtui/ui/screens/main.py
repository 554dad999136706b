"""The main screen: header, the Customers and Flows views, and the footer of keys.

The views never push screens: they post what they want (``CustomersView.EditAsked``,
``FlowsView.EntriesAsked``, ``View.ConfirmAsked``, ...) and this screen pushes the editor, the
columns chooser, the confirmations, bulk edit, the flow and field forms, previews, entries.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from textual import getters, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widget import AwaitMount
from textual.widgets import ContentSwitcher, Input

from flowtui.config.profiles import Profile
from flowtui.core.textsafe import printable
from flowtui.ops import journal as J
from flowtui.ui.screens.asking import ViewHost
from flowtui.ui.screens.base import AHEAD_STEP_DELAY
from flowtui.ui.widgets.customers import CustomersView
from flowtui.ui.widgets.footer import Footer
from flowtui.ui.widgets.header import StoreHeader

if TYPE_CHECKING:
    from flowtui.ui.widgets.flows import FlowsView

VIEWS = {"customers": "Customers", "flows": "Flows"}


#: Seconds after the first customers page before the hidden flows view loads.
FLOWS_PREFETCH_DELAY = 1.0
#: Seconds after the main screen opens (then between tries, at most 20) before the customer
#: editor and the new-customer form are composed ahead of their first open.
FORMS_PREPARE_DELAY = 1.5


class MainScreen(ViewHost):
    class FormsPrepared(Message):
        """The customer forms are composed, laid out and rendered ahead (the app freezes the
        heap again: flowtui.ui.app.freeze_heap)."""

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
        #: Done once the flows view is mounted (it is added after the first customers page).
        self._flows_mounted: AwaitMount | None = None
        self.profile = profile
        self.is_sandbox = is_sandbox
        self.initial_view = view

    def compose(self) -> ComposeResult:
        yield StoreHeader(self.profile, self.is_sandbox, VIEWS[self.initial_view])
        with ContentSwitcher(initial=self.initial_view, id="views"):
            yield CustomersView(id="customers")
            if self.initial_view == "flows":
                yield self._new_flows_view()
        yield Footer()

    switcher = getters.query_one("#views", ContentSwitcher)
    header = getters.query_one(StoreHeader)

    @staticmethod
    def _new_flows_view() -> FlowsView:
        from flowtui.ui.widgets.flows import FlowsView

        return FlowsView(id="flows")

    def _added_flows_view(self) -> FlowsView | None:
        for view in self.switcher.children:
            if view.id == "flows":
                return view  # type: ignore[return-value]
        return None

    @property
    def flows(self) -> FlowsView:
        """The flows view. Hidden behind the customers view at start, it is composed (and its
        module imported) once the first customers page is in, not before: it is no part of
        the first frame (start-up, issue 14). Asked for earlier, it is added then."""
        return self._added_flows_view() or self._add_flows_view()

    def _add_flows_view(self) -> FlowsView:
        """Add the flows view, hidden unless it is the current one; it reads its flows
        FLOWS_PREFETCH_DELAY seconds on (or when shown, whichever is first)."""
        view = self._new_flows_view()
        view.display = self.switcher.current == "flows"
        self._flows_mounted = self.switcher.mount(view)
        self.set_timer(FLOWS_PREFETCH_DELAY, view.ensure_loaded)
        return view

    def on_mount(self) -> None:
        self.focus_view(self.initial_view)
        if self.initial_view == "flows":
            self.flows.ensure_loaded()
        else:
            customers = self.query_one(CustomersView)
            self.watch(customers, "state", self._customers_state)
        self.set_timer(FORMS_PREPARE_DELAY, self.prepare_forms)

    def _customers_state(self, state: str) -> None:
        """The first customers page (or why not) is in: the flows view is added after the
        frame that shows it."""
        if state != "loading":
            self.call_after_refresh(self._flows_after_first_page)

    def _flows_after_first_page(self) -> None:
        # Not while the app is closing (ctrl+q as the first page lands): nothing to add to.
        if self.is_attached and self.switcher.is_attached and not self._closing:
            self._added_flows_view() or self._add_flows_view()

    def prepare_forms(self, tries: int = 20) -> None:
        """Compose the customer forms ahead of their first open, once the customers view
        shows a page, the fields are kept and the app is idle (ui/screens/forms.py,
        ``FormScreen.compose_ahead``); then lay them out and render them, off screen, a step
        at a time AHEAD_STEP_DELAY apart, each while the app is idle
        (``FormScreen.lay_out_ahead``); then say so (:class:`FormsPrepared`)."""
        from flowtui.ui.screens.customer_editor import EditCustomerScreen
        from flowtui.ui.screens.forms import NewCustomerScreen

        customer = self.query_one(CustomersView).highlighted()
        # Only while nothing else goes on: not while a search is typed or anything loads.
        idle = not isinstance(self.app.focused, Input) and all(
            w.is_finished for w in self.app.workers
        )
        composed = (
            idle
            and customer is not None
            and (
                EditCustomerScreen.compose_ahead(self.app, lambda: EditCustomerScreen(customer))
                and NewCustomerScreen.compose_ahead(self.app, NewCustomerScreen)
            )
        )
        drawn = (
            composed
            and EditCustomerScreen.lay_out_ahead(self.app)
            and NewCustomerScreen.lay_out_ahead(self.app)
        )
        if drawn:
            self.post_message(self.FormsPrepared())
        elif tries > 1:
            delay = AHEAD_STEP_DELAY if composed else FORMS_PREPARE_DELAY
            self.set_timer(delay, lambda: self.prepare_forms(tries - 1))

    @property
    def current_view(self) -> str:
        return self.switcher.current or "customers"

    def focus_view(self, name: str) -> None:
        self.query_one(f"#{name}-table").focus()

    async def action_show_view(self, name: str) -> None:
        if name == "flows":
            flows = self.flows
            if self._flows_mounted is not None:
                await self._flows_mounted  # (added just now, or still mounting)
            flows.ensure_loaded()
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
        from flowtui.ui.screens.forms import NewCustomerScreen

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

    # The flows view's messages by handler name: FlowsView is imported when first shown.
    def on_flows_view_entries_asked(self, event: FlowsView.EntriesAsked) -> None:
        from flowtui.ui.screens.entries import EntriesScreen

        self.app.push_screen(EntriesScreen(event.flow, event.fields))

    def on_flows_view_flow_form_asked(self, event: FlowsView.FlowFormAsked) -> None:
        from flowtui.ui.screens.flow_form import FlowFormScreen

        self.app.push_screen(FlowFormScreen(event.flow, taken=event.taken))

    def on_flows_view_field_form_asked(self, event: FlowsView.FieldFormAsked) -> None:
        from flowtui.ui.screens.field_form import FieldFormScreen

        self.app.push_screen(
            FieldFormScreen(event.flow, event.fields, event.custom_flows, field=event.field)
        )

    def on_flows_view_preview_asked(self, event: FlowsView.PreviewAsked) -> None:
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
