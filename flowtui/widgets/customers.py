"""The customer browser: a server-paged table of customers, custom fields included.

Pages come from the service in a worker (never blocking the UI), 100 at a time, planned by
:mod:`flowtui.browse_logic` so paging works past EPCC's 10,000 offset cap. ``/`` searches
(debounced; a generation counter makes sure a stale answer never overwrites a newer one),
``s``/``S`` sort on the server, ``o`` chooses columns, ``v`` shows the detail pane, ``e``/``enter``
edits, ``n`` creates, ``d`` deletes. Every cell is server text shown literally. A saved
customer's row is updated in place from the service's change notification.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.timer import Timer
from textual.widgets import DataTable, Input, Label, Static

from flowtui import browse_logic as B
from flowtui.api.errors import ApiError, AuthError, ForbiddenError, NotFoundError
from flowtui.api.models import Customer, Field, Page
from flowtui.api.service import Change
from flowtui.screens.base import ErrorFunnel
from flowtui.widgets.inputs import TextInput
from flowtui.widgets.safe import display, safe
from flowtui.widgets.tables import cursor_key

PAGE_SIZE = B.PAGE_SIZE
SEARCH_DELAY = 0.3  # seconds of quiet typing before a search is sent
DETAIL_LIMIT = 2_000  # characters of one value shown in the detail pane


def page_status(page: Page, noun: str = "customers") -> str:
    """``"201-300 of 12,345 customers"`` (or an empty-state sentence)."""
    return B.page_range(page.offset, len(page.items), page.total, noun)


def detail_text(customer: Customer, fields: list[Field]) -> Text:
    """Every attribute of ``customer``, custom fields labelled by their field name and typed."""
    text = Text(no_wrap=False, end="")

    def line(label: str, value: Any, kind: str = "") -> None:
        text.append(f"{label}\n", style="bold")
        if value is None or value == "":
            text.append("  (none)", style="dim")
        else:
            shown = display(value)
            if len(shown) > DETAIL_LIMIT:
                shown = shown[:DETAIL_LIMIT] + f"… ({len(shown):,} characters)"
            text.append("  " + shown)
        if kind:
            text.append(f"  {kind}", style="dim")
        text.append("\n")

    line("Name", customer.name)
    line("Email", customer.email)
    line("External ref", customer.external_ref)
    line("Password", "set" if customer.has_password else "not set")
    line("Id", customer.id)
    line("Created", customer.created_at)
    line("Updated", customer.updated_at)
    known = set()
    if fields:
        text.append("\nCustom fields\n", style="bold underline")
    for f in fields:
        known.add(f.slug)
        line(f.name or f.slug, customer.custom.get(f.slug), f.field_type)
    others = [k for k in customer.custom if k not in known]
    if others:
        text.append("\nOther attributes\n", style="bold underline")
        for key in others:
            line(key, customer.custom[key])
    return text


class CustomerTable(DataTable):
    """The table; page keys turn server pages rather than scroll within the page."""

    class PageKey(Message):
        def __init__(self, action: str) -> None:
            super().__init__()
            self.action = action

    def action_page_down(self) -> None:
        self.post_message(self.PageKey("next_page"))

    def action_page_up(self) -> None:
        self.post_message(self.PageKey("prev_page"))

    def action_scroll_top(self) -> None:
        """ctrl+home: to the top row; at the top row already, to the first page."""
        if self.cursor_row <= 0:
            self.post_message(self.PageKey("first_page"))
        else:
            super().action_scroll_top()

    def action_scroll_bottom(self) -> None:
        """ctrl+end: to the bottom row; at the bottom row already, to the last page."""
        if self.cursor_row >= self.row_count - 1:
            self.post_message(self.PageKey("last_page"))
        else:
            super().action_scroll_bottom()


class SearchInput(TextInput):
    """The ``/`` search box; ``esc`` clears the search and goes back to the table."""

    BINDINGS = [
        Binding(
            "escape",
            "clear",
            "Clear search",
            id="customers.search_clear",
            tooltip="Clear the search and go back to the table",
        )
    ]

    class Cleared(Message):
        """Esc was pressed in the search box."""

    def action_clear(self) -> None:
        self.post_message(self.Cleared())


class CustomersView(ErrorFunnel, Vertical):
    """Browse, search, sort and edit customers page by page."""

    DEFAULT_CSS = """
    CustomersView #customers-bar { height: 1; }
    CustomersView #customers-status { width: auto; }
    CustomersView #customers-info { width: 1fr; text-align: right; }
    CustomersView #customers-search { height: 1; margin: 0 1; display: none; }
    CustomersView #customers-search.shown { display: block; }
    CustomersView #customers-body { height: 1fr; }
    CustomersView #customers-table { width: 1fr; height: 1fr; }
    CustomersView #customers-detail {
        width: 38; height: 1fr; border-left: solid $accent; padding: 0 1; display: none;
    }
    CustomersView #customers-detail.shown { display: block; }
    CustomersView #customers-status.error { color: $error; }
    """

    BINDINGS = [
        Binding("slash", "search", "Search", id="customers.search", tooltip="Search name or email"),
        Binding(
            "pagedown,right_square_bracket,ctrl+pagedown",
            "next_page",
            "Next page",
            id="customers.next_page",
            tooltip="Load the next page of customers from the store",
        ),
        Binding(
            "pageup,left_square_bracket,ctrl+pageup",
            "prev_page",
            "Prev page",
            id="customers.prev_page",
            tooltip="Load the previous page of customers",
        ),
        Binding(
            "ctrl+home,g",
            "first_page",
            "First page",
            id="customers.first_page",
            show=False,
            tooltip="Go to the first page (ctrl+home: the top row first, then the first page)",
        ),
        Binding(
            "ctrl+end,G",
            "last_page",
            "Last page",
            id="customers.last_page",
            show=False,
            tooltip="Go to the last page (ctrl+end: the bottom row first, then the last page)",
        ),
        Binding(
            "s",
            "cycle_sort",
            "Sort",
            id="customers.sort",
            tooltip="Sort by the next of created, updated, name, email (on the server)",
        ),
        Binding(
            "S",
            "flip_sort",
            "Reverse",
            id="customers.sort_direction",
            show=False,
            tooltip="Reverse the sort direction",
        ),
        Binding("e", "edit", "Edit", id="customers.edit", tooltip="Edit the highlighted customer"),
        Binding("n", "new", "New", id="customers.new", tooltip="Create a customer"),
        Binding(
            "d",
            "delete",
            "Delete",
            id="customers.delete",
            tooltip="Delete the highlighted customer (asks first)",
        ),
        Binding("o", "columns", "Columns", id="customers.columns", tooltip="Choose columns"),
        Binding(
            "v",
            "toggle_detail",
            "Details",
            id="customers.detail",
            tooltip="Show or hide every attribute of the highlighted customer",
        ),
        Binding(
            "c",
            "copy('email')",
            "Copy email",
            id="customers.copy_email",
            show=False,
            tooltip="Copy the highlighted customer's email (works over SSH: OSC 52)",
        ),
        Binding(
            "C",
            "copy('id')",
            "Copy id",
            id="customers.copy_id",
            show=False,
            tooltip="Copy the highlighted customer's id",
        ),
        Binding(
            "r", "reload", "Reload", id="customers.reload", show=False, tooltip="Reload this page"
        ),
    ]

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.page_offset = 0
        self.fields: list[Field] = []
        self.fields_loaded = False
        self.customers: dict[str, Customer] = {}
        self.page: Page | None = None
        self.sort = B.Sort()
        self.search = B.Search()
        self.columns: list[str] | None = None  # None: the default (every custom field)
        self.loaded: B.Loaded | None = None
        self.plan: B.Plan | B.Unreachable | None = None
        self.generation = 0
        self.state = "loading"  # loading | loaded | empty | error | forbidden
        self._search_timer: Timer | None = None
        #: perf_counter() when the last page was drawn (the benchmark reads it).
        self.drawn_at = 0.0
        self._heads: list[tuple[str, str]] = []

    def compose(self) -> ComposeResult:
        with Horizontal(id="customers-bar"):
            yield Label("Loading customers…", id="customers-status", classes="status")
            yield Label("", id="customers-info", classes="status")
        yield SearchInput(
            placeholder="search: name, or email when it has an @ (enter: done, esc: clear)",
            compact=True,
            id="customers-search",
        )
        with Horizontal(id="customers-body"):
            yield CustomerTable(id="customers-table", cursor_type="row", zebra_stripes=True)
            with VerticalScroll(id="customers-detail"):
                yield Static("", id="customers-detail-body")

    def on_mount(self) -> None:
        if self.app.size.width >= 110:
            self.query_one("#customers-detail").add_class("shown")
        self.load()

    @property
    def table(self) -> CustomerTable:
        return self.query_one("#customers-table", CustomerTable)

    @property
    def search_input(self) -> Input:
        return self.query_one("#customers-search", Input)

    def status(self, text: str, error: bool = False) -> None:
        label = self.query_one("#customers-status", Label)
        label.update(Text(text))
        label.set_class(error, "error")

    def status_text(self) -> str:
        return str(self.query_one("#customers-status", Label).render())

    def show_info(self) -> None:
        parts = [f"sort: {self.sort.describe()}"]
        if self.search.description:
            parts.insert(0, self.search.description)
        self.query_one("#customers-info", Label).update(Text(" · ".join(parts)))

    # -- loading ------------------------------------------------------------------------

    def load(self, target: int | None = None, *, reset: bool = False) -> None:
        """Fetch the page at ``target`` (default: the current one) in a worker."""
        self.generation += 1
        if reset:
            self.loaded = None
            self.page = None
        self.show_info()
        self._load(self.page_offset if target is None else target, self.generation)

    async def ensure_fields(self) -> None:
        if self.fields_loaded:
            return
        self.fields = await self.app.service.value_fields("customers")
        self.fields_loaded = True

    @work(exclusive=True, group="customers.load", exit_on_error=False)
    async def _load(self, target: int, generation: int) -> None:
        service = self.app.service
        self.state = "loading"
        self.status("Loading customers…")
        try:
            await self.ensure_fields()
            search = self.search
            if search.problem:
                self.state = "error"
                self.status(f"Cannot search: {search.problem}", error=True)
                return
            total = self.page.total if self.page is not None else 0
            plan = B.plan_page(target, total, self.sort, current=self.loaded)
            if isinstance(plan, B.Unreachable):
                self.plan = plan
                self.state = "error"
                self.status(plan.reason, error=True)
                return
            page = await service.list_customers(
                filters=[*search.terms, *plan.filters],
                sort=plan.sort,
                limit=plan.limit,
                offset=plan.query_offset,
            )
        except ForbiddenError:
            if not service.read_only:
                raise
            self.state = "forbidden"
            self.table.clear(columns=True)
            self._heads = []
            self.status(
                "Read-only profile: EPCC does not let implicit tokens read or change customers, "
                "so writes are disabled. Flows and fields (f3) are readable."
            )
            return
        except Exception as exc:
            if isinstance(exc, AuthError):
                raise  # the error funnel opens the login screen
            if generation == self.generation:
                # Said in the status line, in place of the page (no toast on top of it).
                self.state = "error"
                summary = exc.summary if isinstance(exc, ApiError) else str(exc)
                self.status(f"Could not load customers: {summary} (r retries)", error=True)
            return
        if generation != self.generation:
            return  # a newer request was made meanwhile: its answer wins
        items = list(reversed(page.items)) if plan.reverse else list(page.items)
        total = page.total
        if plan.how == "keyset" and self.page is not None:
            total = self.page.total  # a keyset answer counts only the rows past the key
        logical = dataclasses.replace(page, items=items, offset=plan.offset, total=total)
        self.plan = plan
        self.loaded = B.loaded(plan, items, self.sort, self.loaded)
        self.show(logical)

    def visible_columns(self) -> list[str]:
        options = {k for k, _ in B.column_options(self.fields)}
        wanted = self.columns if self.columns is not None else B.default_columns(self.fields)
        return [k for k in wanted if k in options] or ["name", "email"]

    def column_label(self, key: str) -> str:
        return dict(B.column_options(self.fields)).get(key, key)

    def show(self, page: Page[Customer]) -> None:
        self.page = page
        self.page_offset = page.offset
        table = self.table
        cursor = table.cursor_row
        columns = self.visible_columns()
        heads = [(key, self.column_label(key)) for key in columns]
        if heads == self._heads:
            table.clear()  # same columns: keep them (cheaper to lay out)
        else:
            table.clear(columns=True)
            for key, label in heads:
                table.add_column(safe(label, 30), key=key, width=B.column_width(key, label))
            self._heads = heads
        self.customers = {c.id: c for c in page.items}
        for c in page.items:
            table.add_row(*self.cells(c, columns), key=c.id)
        if page.items:
            table.move_cursor(row=min(max(cursor, 0), len(page.items) - 1), scroll=False)
        self.state = "loaded" if page.items else "empty"
        if page.total == 0 and self.search.terms:
            self.status(f"No customers match: {self.search.description}. Esc in / clears it.")
        elif page.total == 0:
            self.status("No customers yet. Press n to create one.")
        else:
            self.status(page_status(page))
        self.show_detail()
        self.drawn_at = time.perf_counter()

    def cells(self, customer: Customer, columns: list[str]) -> list[Text]:
        return [safe(B.cell_value(customer, key), 60) for key in columns]

    def highlighted(self) -> Customer | None:
        key = cursor_key(self.table)
        return self.customers.get(key) if key else None

    def show_detail(self) -> None:
        pane = self.query_one("#customers-detail")
        if not pane.has_class("shown"):
            return
        customer = self.highlighted()
        body = self.query_one("#customers-detail-body", Static)
        if customer is None:
            body.update(Text("No customer highlighted.", style="dim"))
        else:
            body.update(detail_text(customer, self.fields))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.show_detail()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_edit()

    def update_customer(self, customer: Customer) -> bool:
        """Show a changed customer in its row (no reload); False if it is not on this page."""
        if customer.id not in self.customers:
            return False
        self.customers[customer.id] = customer
        table = self.table
        columns = self.visible_columns()
        for key, cell in zip(columns, self.cells(customer, columns), strict=True):
            table.update_cell(customer.id, key, cell)
        if self.highlighted() and self.highlighted().id == customer.id:
            self.show_detail()
        return True

    # -- paging -------------------------------------------------------------------------

    def on_customer_table_page_key(self, event: CustomerTable.PageKey) -> None:
        event.stop()
        getattr(self, f"action_{event.action}")()

    def action_next_page(self) -> None:
        if self.page and self.page.has_next:
            self.load(self.page.offset + PAGE_SIZE)
        else:
            self.app.bell()

    def action_prev_page(self) -> None:
        if self.page and self.page.offset > 0:
            self.load(max(0, self.page.offset - PAGE_SIZE))
        else:
            self.app.bell()

    def action_first_page(self) -> None:
        self.load(0)

    def action_last_page(self) -> None:
        if self.page is not None:
            self.load(B.last_page_offset(self.page.total, PAGE_SIZE))

    def action_reload(self) -> None:
        self.load()

    # -- search and sort ----------------------------------------------------------------

    def action_search(self) -> None:
        box = self.search_input
        box.add_class("shown")
        box.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id != "customers-search":
            return
        event.stop()
        if self._search_timer is not None:
            self._search_timer.stop()
        self._search_timer = self.set_timer(SEARCH_DELAY, self.apply_search)

    def apply_search(self) -> None:
        self._search_timer = None
        search = B.search_for(self.search_input.value)
        if search == self.search:
            return
        self.search = search
        self.load(0, reset=True)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "customers-search":
            return
        event.stop()
        if self._search_timer is not None:
            self._search_timer.stop()
        self.apply_search()
        self.table.focus()

    def on_search_input_cleared(self, event: SearchInput.Cleared) -> None:
        event.stop()
        if self._search_timer is not None:
            self._search_timer.stop()
            self._search_timer = None
        box = self.search_input
        box.value = ""
        box.remove_class("shown")
        self.table.focus()
        if self.search != B.Search():
            self.search = B.Search()
            self.load(0, reset=True)

    def action_cycle_sort(self) -> None:
        self.sort = B.next_sort(self.sort)
        self.load(0, reset=True)

    def action_flip_sort(self) -> None:
        self.sort = self.sort.reversed()
        self.load(0, reset=True)

    # -- columns and detail -------------------------------------------------------------

    def action_columns(self) -> None:
        from flowtui.screens.customer_editor import ColumnsScreen

        def chosen(columns: list[str] | None) -> None:
            if columns:
                self.columns = columns
                if self.page is not None:
                    self.show(self.page)

        self.app.push_screen(
            ColumnsScreen(B.column_options(self.fields), self.visible_columns()), chosen
        )

    def action_toggle_detail(self) -> None:
        self.query_one("#customers-detail").toggle_class("shown")
        self.show_detail()

    # -- writes -------------------------------------------------------------------------

    def writable(self, what: str) -> bool:
        return bool(getattr(self.app, "_writable", lambda _w: True)(what))

    def action_edit(self) -> None:
        customer = self.highlighted()
        if customer is None:
            self.app.bell()
            return
        if not self.writable("change customers"):
            return
        from flowtui.screens.customer_editor import EditCustomerScreen

        self.app.push_screen(EditCustomerScreen(customer))

    def action_new(self) -> None:
        self.app.action_new_customer()

    def action_delete(self) -> None:
        customer = self.highlighted()
        if customer is None:
            self.app.bell()
            return
        if not self.writable("delete customers"):
            return
        from flowtui.screens.dialogs import ConfirmDialog, ask

        ask(
            self.app,
            ConfirmDialog(
                f"Delete customer {display(customer.name)} <{display(customer.email)}>?",
                f"Id {customer.id}. This cannot be undone.",
                "Delete",
            ),
            lambda: self.delete(customer),
        )

    @work(exclusive=True, group="customers.delete", exit_on_error=False)
    async def delete(self, customer: Customer) -> None:
        try:
            await self.app.service.delete_customer(customer.id)
        except NotFoundError:
            # Gone already (e.g. an earlier attempt whose answer was lost): what was asked.
            self.app.notify(
                f"Customer {customer.email} was already deleted", markup=False, timeout=3
            )
            self.load()
            return
        self.app.notify(f"Deleted customer {customer.email}", markup=False, timeout=3)

    def action_copy(self, what: str) -> None:
        customer = self.highlighted()
        if customer is None:
            self.app.bell()
            return
        value = customer.email if what == "email" else customer.id
        self.app.copy_to_clipboard(value)
        self.app.notify(f"Copied {what}: {value}", markup=False, timeout=2)

    def on_change(self, change: Change) -> None:
        """Follow a change the service reported: update a row in place, or reload."""
        if change.resource == "customer":
            if change.action == "updated" and isinstance(change.item, Customer):
                self.update_customer(change.item)  # in place; not on this page: nothing to do
                return
            self.load()
        elif change.resource in ("field", "flow") and change.flow_slug in ("customers", None):
            self.fields_loaded = False
            self.load()
