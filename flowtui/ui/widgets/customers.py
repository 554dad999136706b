"""The customer browser: a server-paged table of customers, custom fields included.

Pages come from the service in a worker (never blocking the UI), 100 at a time, planned by
:mod:`flowtui.ui.logic.browse` so paging works past EPCC's 10,000 offset cap. ``/`` searches
(debounced; a generation counter makes sure a stale answer never overwrites a newer one),
``s``/``S`` sort on the server, ``o`` chooses columns, ``v`` shows the detail pane, ``e``/``enter``
edits, ``n`` creates, ``d`` deletes. Every cell is server text shown literally. A saved
customer's row is updated in place from the service's change notification.

``f`` finds by any field, custom ones too, in the profile's local index (:mod:`flowtui.index`):
the results replace the rows until ``esc``; the index syncs in the background while the view
is open and its age shows on the right of the status line.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from collections.abc import AsyncIterator
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.timer import Timer
from textual.widgets import DataTable, Input, Label, Static
from textual.widgets.data_table import CellDoesNotExist, RowKey

from flowtui.api.errors import ApiError, AuthError, ForbiddenError, NotFoundError
from flowtui.api.models import Customer, Field, Page
from flowtui.api.service import Change
from flowtui.ops import bulk
from flowtui.ui.logic import browse as B
from flowtui.ui.session import ErrorFunnel
from flowtui.ui.widgets.inputs import TextInput
from flowtui.ui.widgets.safe import display, safe
from flowtui.ui.widgets.tables import cursor_key

PAGE_SIZE = B.PAGE_SIZE
SEARCH_DELAY = 0.3  # seconds of quiet typing before a search is sent
DETAIL_LIMIT = 2_000  # characters of one value shown in the detail pane
FIND_DELAY = 0.2  # seconds of quiet typing before the index is searched
INDEX_TICK = 30.0  # seconds between refreshes of the index's age in the status line
INDEX_REFRESH = 300.0  # an index older than this is synced again in the background


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


MARK = "● "


async def _nothing() -> AsyncIterator[Customer]:
    return
    yield  # an async generator that yields nothing


def marked(cell: Any) -> Text:
    """A cell with the mark in front (marked customers' first column)."""
    text = cell.copy() if isinstance(cell, Text) else Text(str(cell), end="")
    return Text(MARK, style="bold", end="") + text


class CustomerTable(DataTable):
    """The table; page keys turn server pages rather than scroll within the page."""

    class PageKey(Message):
        def __init__(self, action: str) -> None:
            super().__init__()
            self.action = action

    #: The marked customers by id (the view's ``marks``); their first cell shows MARK.
    marks: dict[str, Customer] | None = None

    def is_marked(self, key: Any) -> bool:
        key = key.value if isinstance(key, RowKey) else key
        return self.marks is not None and key in self.marks

    def add_row(self, *cells: Any, key: str | None = None, **kwargs: Any) -> RowKey:
        if cells and self.is_marked(key):
            cells = (marked(cells[0]), *cells[1:])
        return super().add_row(*cells, key=key, **kwargs)

    def update_cell(self, row_key: Any, column_key: Any, value: Any, **kwargs: Any) -> None:
        columns = self.ordered_columns
        if columns and column_key == columns[0].key and self.is_marked(row_key):
            value = marked(value)
        super().update_cell(row_key, column_key, value, **kwargs)

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


class FindInput(TextInput):
    """The ``f`` box: find by any field in the local index; ``esc`` goes back to the store."""

    BINDINGS = [
        Binding(
            "escape",
            "close",
            "Back to the store",
            id="customers.find_close",
            tooltip="Leave the index results and show the store's pages again",
        )
    ]

    class Closed(Message):
        """Esc was pressed in the find box."""

    def action_close(self) -> None:
        self.post_message(self.Closed())


class CustomersView(ErrorFunnel, Vertical):
    """Browse, search, sort and edit customers page by page."""

    DEFAULT_CSS = """
    CustomersView #customers-bar { height: 1; }
    CustomersView #customers-status { width: auto; }
    CustomersView #customers-marks { width: auto; text-style: bold; display: none; }
    CustomersView #customers-marks.shown { display: block; }
    CustomersView #customers-info { width: 1fr; text-align: right; }
    CustomersView #customers-search { height: 1; margin: 0 1; display: none; }
    CustomersView #customers-search.shown { display: block; }
    CustomersView #customers-find { height: 1; margin: 0 1; display: none; }
    CustomersView #customers-find.shown { display: block; }
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
        Binding(
            "space",
            "toggle_mark",
            "Mark",
            id="customers.mark",
            show=False,
            tooltip="Mark or unmark the highlighted customer for a bulk edit",
        ),
        Binding(
            "A",
            "mark_all",
            "Mark all",
            id="customers.mark_all",
            show=False,
            tooltip="Mark every customer matching the search (every page)",
        ),
        Binding(
            "x",
            "clear_marks",
            "Unmark all",
            id="customers.clear_marks",
            show=False,
            tooltip="Clear every mark",
        ),
        Binding(
            "b",
            "bulk_edit",
            "Bulk edit",
            id="customers.bulk_edit",
            show=False,
            tooltip="Set one field for the marked customers (or the highlighted one)",
        ),
        Binding(
            "f",
            "find",
            "Find",
            id="customers.find",
            show=False,
            tooltip="Find by any field, custom ones too, in the local index "
            "(e.g. delivery_notes:knope loyalty_tier>=4)",
        ),
        Binding(
            "escape",
            "close_find",
            "Back to the store",
            id="customers.find_back",
            show=False,
            tooltip="Leave the index results and show the store's pages again",
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
        #: Marked customers by id, as last seen (kept across pages and searches).
        self.marks: dict[str, Customer] = {}
        self.marking = False
        #: The local search index (flowtui.index), opened once the view is on screen when the
        #: profile has one, or when ``f`` is first pressed.
        self.index = None
        #: The query whose index results the table shows; None: the store's pages.
        self.find_query: str | None = None
        self.index_note = ""  # "index: 3 min old", "index: syncing 45%", ...
        self._index_syncing = False
        self._index_again = False
        self._find_timer: Timer | None = None
        self._index_timer: Timer | None = None
        self._find_generation = 0

    def compose(self) -> ComposeResult:
        with Horizontal(id="customers-bar"):
            yield Label("Loading customers…", id="customers-status", classes="status")
            yield Label("", id="customers-marks", classes="status")
            yield Label("", id="customers-info", classes="status")
        yield SearchInput(
            placeholder="search: name, or email when it has an @ (enter: done, esc: clear)",
            compact=True,
            id="customers-search",
        )
        yield FindInput(
            placeholder="find: delivery_notes:knope loyalty_tier>=4 … (enter: done, esc: back)",
            compact=True,
            id="customers-find",
        )
        with Horizontal(id="customers-body"):
            yield CustomerTable(id="customers-table", cursor_type="row", zebra_stripes=True)
            with VerticalScroll(id="customers-detail"):
                yield Static("", id="customers-detail-body")

    def on_mount(self) -> None:
        if self.app.size.width >= 110:
            self.query_one("#customers-detail").add_class("shown")
        self.flow_app.follow_changes(self, self.store_changed)
        self.load()
        self.start_index()

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
        if self.find_query is not None:
            parts = ["sort: name"]
        if self.index_note and not (
            self.find_query is not None and self.index_note == self._age_note()
        ):  # index results say the age on the left already
            parts.append(self.index_note)
        self.query_one("#customers-info", Label).update(Text(" · ".join(parts)))

    # -- loading ------------------------------------------------------------------------

    def load(self, target: int | None = None, *, reset: bool = False) -> None:
        """Fetch the page at ``target`` (default: the current one) in a worker."""
        if self.find_query is not None:  # index results: page through those instead
            self.find(0 if reset else (self.page_offset if target is None else target))
            return
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
            # The fields first (for the columns), then the page: one failed request, one
            # message (tests/soak counts them); only the first load fetches the fields.
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
        if self.find_query is not None:
            self.close_find()  # a store search replaces the index results
        box = self.search_input
        box.add_class("shown")
        box.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "customers-find":
            event.stop()
            self._find_changed(event)
            return
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
        if event.input.id == "customers-find":
            event.stop()
            if self._find_timer is not None:
                self._find_timer.stop()
            self._apply_find()
            self.table.focus()
            return
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
        from flowtui.ui.screens.customer_editor import ColumnsScreen

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
        return self.flow_app.writable(what)

    def action_edit(self) -> None:
        customer = self.highlighted()
        if customer is None:
            self.app.bell()
            return
        if not self.writable("change customers"):
            return
        from flowtui.ui.screens.customer_editor import EditCustomerScreen

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
        from flowtui.ui.screens.dialogs import ConfirmDialog, ask

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

    def store_changed(self, change: Change) -> None:
        """Follow a change the service reported: update a row in place, or reload."""
        self.follow_marks(change)
        if self.index is not None:
            try:
                self.index.apply_change(change)
            except Exception:  # the next sync puts it right
                self.index_note = "index: will catch up at the next sync"
            customer_fields = change.resource in ("field", "flow") and change.flow_slug in (
                "customers",
                None,
            )
            if customer_fields and self.index.synced_at is not None:
                self.sync_index()  # a new default shows on everyone: the index is rebuilt
        if change.resource == "customer":
            if change.action == "updated" and isinstance(change.item, Customer):
                self.update_customer(change.item)  # in place; not on this page: nothing to do
                return
            self.load()
        elif change.resource in ("field", "flow") and change.flow_slug in ("customers", None):
            self.fields_loaded = False
            self.load()

    # -- marks and bulk edit ------------------------------------------------------------

    def show_marks(self, text: str | None = None) -> None:
        """``"3 marked (b: bulk edit)"`` next to the status, or what marking is doing."""
        if text is None:
            count = len(self.marks)
            text = f"{count:,} marked (b: bulk edit, x: unmark all)" if count else ""
        label = self.query_one("#customers-marks", Label)
        label.update(Text(text))
        label.set_class(bool(text), "shown")

    def repaint_mark(self, customer_id: str) -> None:
        """Redraw the first cell of a customer's row (with or without the mark)."""
        customer = self.customers.get(customer_id)
        if customer is None or not self._heads:
            return
        first = self._heads[0][0]
        with contextlib.suppress(CellDoesNotExist):
            self.table.update_cell(customer_id, first, self.cells(customer, [first])[0])

    def repaint_marks(self) -> None:
        for customer_id in list(self.customers):
            self.repaint_mark(customer_id)

    def action_toggle_mark(self) -> None:
        customer = self.highlighted()
        if customer is None:
            self.app.bell()
            return
        self.table.marks = self.marks
        if self.marks.pop(customer.id, None) is None:
            self.marks[customer.id] = customer
        self.repaint_mark(customer.id)
        self.show_marks()
        self.table.action_cursor_down()

    def action_clear_marks(self) -> None:
        self.workers.cancel_group(self, "customers.mark_all")
        self.marking = False
        self.marks.clear()
        self.repaint_marks()
        self.show_marks()

    def action_mark_all(self) -> None:
        if self.search.problem or self.state == "forbidden":
            self.app.bell()
            return
        self.mark_matching()

    async def matching_customers(self) -> tuple[int, AsyncIterator[Customer]]:
        """How many customers the current search matches, and all of them.

        Walks the server's filters by key (past the 10,000 offset cap); a search mode with
        its own results (a local index) overrides this to yield those instead.
        """
        if self.find_query is not None and self.index is not None:
            return await self.matching_found()
        service = self.app.service
        terms = list(self.search.terms)
        total = await bulk.count_matching(service, terms)
        return total, bulk.iter_matching(service, terms)

    async def matching_found(self) -> tuple[int, AsyncIterator[Customer]]:
        """Find mode: every customer the index matches (all pages), as the index holds them."""
        from flowtui.index import QueryError

        index, query = self.index, self.find_query or ""
        try:
            first = await asyncio.to_thread(index.search, query, limit=bulk.PAGE)
        except QueryError:
            return 0, _nothing()  # the status line already says what is wrong with the query

        async def customers() -> AsyncIterator[Customer]:
            result, offset = first, 0
            while True:
                for customer in result.customers:
                    yield customer
                offset += bulk.PAGE
                if offset >= result.total:
                    return
                result = await asyncio.to_thread(
                    index.search, query, limit=bulk.PAGE, offset=offset
                )

        return first.total, customers()

    @work(exclusive=True, group="customers.mark_all", exit_on_error=False)
    async def mark_matching(self) -> None:
        self.show_marks("Counting the matching customers…")
        try:
            total, customers = await self.matching_customers()
        except Exception:
            self.show_marks()
            raise
        if total > bulk.MARK_ALL_ASK:
            from flowtui.ui.screens.dialogs import ConfirmDialog

            pages = -(-total // bulk.PAGE)
            yes = await self.app.push_screen_wait(
                ConfirmDialog(
                    f"Mark all {total:,} matching customers?",
                    f"They are read from the store, {bulk.PAGE} at a time ({pages:,} "
                    "requests), and kept in memory until you unmark them (x).",
                    "Mark all",
                )
            )
            if not yes:
                self.show_marks()
                return
        self.table.marks = self.marks
        self.marking = True
        count = 0
        try:
            async for customer in customers:
                self.marks[customer.id] = customer
                count += 1
                if count % bulk.PAGE == 0:
                    self.show_marks(f"Marking… {count:,} of {total:,}")
        finally:
            self.marking = False
            self.repaint_marks()
            self.show_marks()
        self.app.notify(f"Marked {count:,} matching customers.", timeout=3)

    def follow_marks(self, change: Change) -> None:
        """Keep the marked customers as the service last saw them; forget deleted ones."""
        if change.resource != "customer" or change.id not in self.marks:
            return
        if change.action == "deleted":
            del self.marks[change.id]
            self.show_marks()
        elif isinstance(change.item, Customer):
            self.marks[change.id] = change.item

    def action_bulk_edit(self) -> None:
        if not self.writable("bulk-edit customers"):
            return
        if self.marking:
            self.app.bell()
            self.app.notify("Still marking the matching customers; a moment.", timeout=3)
            return
        customers = list(self.marks.values())
        if not customers:
            customer = self.highlighted()
            if customer is None:
                self.app.bell()
                return
            customers = [customer]
        from flowtui.ui.screens.bulk import BulkEditScreen

        self.app.push_screen(BulkEditScreen(customers))

    # -- find by any field: the local index ---------------------------------------------

    def _profile_name(self) -> str | None:
        resolved = getattr(self.app, "resolved", None)
        return resolved.profile.name if resolved is not None else None

    def open_index(self) -> bool:
        """Open the profile's index (created empty when missing); False without a session."""
        if self.index is not None:
            return True
        name = self._profile_name()
        if name is None or getattr(self.app, "service", None) is None:
            return False
        from flowtui.index import CustomerIndex, index_path

        try:
            self.index = CustomerIndex(index_path(name))
        except Exception as exc:
            self.set_index_note(f"index: cannot open ({exc})")
            return False
        return True

    def start_index(self) -> None:
        """When the profile has an index, refresh it now and every few minutes (in the
        background); a profile without one gets it when ``f`` is first pressed."""
        name = self._profile_name()
        if name is None:
            return
        from flowtui.index import index_path

        if not index_path(name).exists() or not self.open_index():
            return
        self.sync_index()

    def _index_tick(self) -> None:
        if self.index is None:
            return
        age = self.index.age()
        if age is None or age >= INDEX_REFRESH:
            self.sync_index()
        elif not self._index_syncing:
            self.set_index_note(self._age_note())

    def _age_note(self) -> str:
        from flowtui.index import age_text

        return f"index: {age_text(self.index.age())}" if self.index is not None else ""

    def set_index_note(self, note: str) -> None:
        self.index_note = note
        self.show_info()
        if self.find_query is not None and self.page is not None and self.state != "error":
            self._find_status()

    @work(group="customers.index", exit_on_error=False)
    async def sync_index(self, full: bool = False) -> None:
        """Bring the index up to date in the background; progress and failures show in the
        status line (an expired login goes to the login screen, as everywhere)."""
        if self._index_syncing:
            self._index_again = True  # something changed meanwhile: once more afterwards
            return
        if not self.open_index():
            return
        self._index_syncing = True
        self._index_again = False
        if self._index_timer is None:  # keep it fresh while the view is open
            self._index_timer = self.set_interval(INDEX_TICK, self._index_tick)
        building = full or self.index.synced_at is None
        verb = "building" if building else "syncing"
        self.set_index_note(f"index: {verb}…")

        from flowtui.index import sync as index_sync

        def progress(done: int, total: int) -> None:
            share = done / total if total else 1.0
            self.index_note = f"index: {verb} {share:.0%}"
            self.show_info()

        try:
            result = await index_sync.sync_index(
                self.index, self.app.service, progress=progress, full=full
            )
        except Exception as exc:
            summary = exc.summary if isinstance(exc, ApiError) else str(exc)
            self.set_index_note(f"index: sync failed: {summary}")
            if isinstance(exc, AuthError):
                raise
            return
        finally:
            self._index_syncing = False
        self.set_index_note(self._age_note())
        if self.find_query is not None and (result.fetched or result.deleted or building):
            self.find(self.page_offset)
        if self._index_again:
            self.sync_index()

    def action_find(self) -> None:
        if not self.open_index():
            self.app.bell()
            return
        if self.index.synced_at is None:
            self.sync_index()  # first use: build it (progress in the status line)
        self.search_input.remove_class("shown")
        box = self.query_one("#customers-find", FindInput)
        box.add_class("shown")
        box.focus()
        if self.find_query is None:
            self.generation += 1  # a store page still on its way must not replace the results
            self.find_query = box.value
            self.find(0)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "close_find":
            return self.find_query is not None
        return True

    def action_close_find(self) -> None:
        self.close_find()

    def close_find(self) -> None:
        """Back to the store's pages (the first one)."""
        if self._find_timer is not None:
            self._find_timer.stop()
            self._find_timer = None
        box = self.query_one("#customers-find", FindInput)
        box.remove_class("shown")
        self.table.focus()
        if self.find_query is None:
            return
        self.find_query = None
        self._find_generation += 1
        self.load(0, reset=True)

    def on_find_input_closed(self, event: FindInput.Closed) -> None:
        event.stop()
        self.close_find()

    def _find_changed(self, event: Input.Changed) -> None:
        if self._find_timer is not None:
            self._find_timer.stop()
        self._find_timer = self.set_timer(FIND_DELAY, self._apply_find)

    def _apply_find(self) -> None:
        self._find_timer = None
        value = self.query_one("#customers-find", FindInput).value
        if value != self.find_query:
            self.find_query = value
            self.find(0)

    def find(self, offset: int = 0) -> None:
        """Show the page of index results at ``offset`` (in a worker)."""
        self._find_generation += 1
        self.show_info()
        self._find(self.find_query or "", max(0, offset), self._find_generation)

    @work(exclusive=True, group="customers.find", exit_on_error=False)
    async def _find(self, query: str, offset: int, generation: int) -> None:
        from flowtui.index import QueryError

        await self.ensure_fields()
        try:
            result = await asyncio.to_thread(
                self.index.search, query, limit=PAGE_SIZE, offset=offset
            )
        except QueryError as exc:
            if generation == self._find_generation:
                self.state = "error"
                self.status(f"Cannot search the index: {exc}", error=True)
            return
        if generation != self._find_generation or self.find_query is None:
            return  # typed on meanwhile, or left: a newer answer wins
        pages = -(-result.total // PAGE_SIZE) if result.total else 0
        page = Page(
            items=result.customers,
            limit=PAGE_SIZE,
            offset=offset,
            total=result.total,
            pages=pages,
            current=offset // PAGE_SIZE + 1,
        )
        self.show(page)
        self._find_status()

    def _find_status(self) -> None:
        page = self.page
        if page is None:
            return
        from flowtui.index import age_text

        age = age_text(self.index.age()) if self.index is not None else "never synced"
        shown = f" ({page.first_index:,}-{page.last_index:,})" if page.items else ""
        syncing = " · syncing…" if self._index_syncing else ""
        self.status(f"index: {page.total:,} matches{shown} · index {age}{syncing}")

    def on_unmount(self) -> None:
        if self.index is not None:
            self.index.close()
