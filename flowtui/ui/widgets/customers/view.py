"""The customer browser: a server-paged table of customers, custom fields included.

Pages come from the service in a worker (never blocking the UI), 100 at a time, planned by
the :class:`~flowtui.ui.logic.pager.Pager` so paging works past EPCC's 10,000 offset cap.
``/`` searches (debounced; a stale answer never overwrites a newer one), ``s``/``S`` sort on
the server, ``o`` chooses columns, ``v`` shows the detail pane, ``e``/``enter`` edits, ``n``
creates, ``d`` deletes. Every cell is server text shown literally. A saved customer's row is
updated in place from the app's change signal.

For a store far away (issue 14) a page seen before is shown at once from the pager's page
cache (and fetched again in the background when old), the next page is fetched ahead, page
keys pressed during a load move the target rather than sending a request each, and a page is
swapped into the table without rebuilding it (:mod:`.fetching` holds the request rules).

The view owns the state (reactives) and its small widgets show it, bound with ``data_bind``:
the table (:mod:`.table`), the search and find bars (:mod:`.bars`), the detail pane
(:mod:`.detail`) and the badges of the status bar (:mod:`.badges`). Marks and bulk edit live
in :mod:`.marking`, find-by-any-field in the local index in :mod:`.finding`. The view never
pushes a screen: it posts ``EditAsked``, ``ColumnsAsked``, ``NewAsked``, ``BulkEditAsked``
and ``ConfirmAsked``, which the main screen answers.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import DataTable

from flowtui.api.errors import AuthError, ForbiddenError, NotFoundError
from flowtui.api.models import Customer, Page
from flowtui.api.service import Change
from flowtui.ui.logic import browse as B
from flowtui.ui.logic.pager import REVALIDATE_AFTER, Query, Request, age_note
from flowtui.ui.typeahead import action_of
from flowtui.ui.widgets.customers.addressing import Addressing
from flowtui.ui.widgets.customers.badges import IndexBadge, MarksBadge
from flowtui.ui.widgets.customers.bars import Bar, FindBar, SearchBar
from flowtui.ui.widgets.customers.detail import DetailPane
from flowtui.ui.widgets.customers.fetching import FIELDS, take_early
from flowtui.ui.widgets.customers.finding import Finding
from flowtui.ui.widgets.customers.keys import BINDINGS
from flowtui.ui.widgets.customers.marking import Marking
from flowtui.ui.widgets.customers.rowpatch import patch_row
from flowtui.ui.widgets.customers.table import CustomerTable
from flowtui.ui.widgets.safe import display, safe
from flowtui.ui.widgets.tables import cursor_key
from flowtui.ui.widgets.view import StatusLine

PAGE_SIZE = B.PAGE_SIZE


def page_status(page: Page[Customer], noun: str = "customers") -> str:
    """``"201-300 of 12,345 customers"`` (or an empty-state sentence)."""
    return B.page_range(page.offset, len(page.items), page.total, noun)


#: The actions of the keys that move the page (never held while a page loads).
PAGE_ACTIONS = frozenset(
    {"next_page", "prev_page", "first_page", "last_page"}
    | {"page_down", "page_up", "scroll_top", "scroll_bottom"}
)


class CustomersView(Finding, Marking, Addressing):
    """Browse, search, sort and edit customers page by page."""

    DEFAULT_CSS = """
    CustomersView #customers-bar { height: auto; max-height: 3; }
    CustomersView #customers-status { width: auto; max-width: 100%; height: auto; }
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

    BINDINGS = BINDINGS

    @dataclass
    class EditAsked(Message):
        """Edit ``customer`` (the host pushes the customer editor)."""

        customer: Customer

    @dataclass
    class NewAsked(Message):
        """Create a customer (the host pushes the new-customer form)."""

    @dataclass
    class ColumnsAsked(Message):
        """Choose columns among ``options`` (``chosen`` first); ``then`` takes the choice
        (None: cancelled)."""

        options: list[tuple[str, str]]
        chosen: list[str]
        then: Callable[[list[str] | None], None]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.set_reactive(CustomersView.status_line, "Loading customers…")
        self.columns: list[str] | None = None  # None: the default (every custom field)
        #: perf_counter() when the last page was drawn (the benchmark reads it).
        self.drawn_at = 0.0

    def compose(self) -> ComposeResult:
        with Horizontal(id="customers-bar"):
            yield StatusLine(
                "Loading customers…", id="customers-status", classes="status"
            ).data_bind(text=CustomersView.status_line, error=CustomersView.status_error)
            yield MarksBadge("", id="customers-marks", classes="status").data_bind(
                text=CustomersView.marks_note
            )
            yield IndexBadge("", id="customers-info", classes="status").data_bind(
                CustomersView.sort,
                CustomersView.search,
                CustomersView.index_note,
                CustomersView.note_is_age,
                finding=CustomersView.finding,
            )
        yield SearchBar(
            placeholder="search: name, or email when it has an @ (enter: done, esc: clear)",
            compact=True,
            id="customers-search",
        ).data_bind(shown=CustomersView.searching)
        yield FindBar(
            placeholder="find: delivery_notes:knope loyalty_tier>=4 … (enter: done, esc: back)",
            compact=True,
            id="customers-find",
        ).data_bind(shown=CustomersView.finding)
        with Horizontal(id="customers-body"):
            yield CustomerTable(
                id="customers-table", cursor_type="row", zebra_stripes=True
            ).data_bind(CustomersView.marks)
            yield DetailPane(id="customers-detail").data_bind(
                customer=CustomersView.current,
                fields=CustomersView.fields_shown,
                shown=CustomersView.detail_shown,
            )

    def on_mount(self) -> None:
        if self.app.size.width >= 110:
            self.detail_shown = True
        self.flow_app.follow_changes(self, self.store_changed)
        self.load()
        self.start_index()

    def holds_key(self, key: str) -> bool:
        """Type-ahead (ui/typeahead.py): while the page asked for is loading, keys typed in
        the table wait for it (they act on its rows); the page keys go on (they move the
        target). Index results (``f``) are paged from the page shown: every key waits."""
        if self.app.focused is not self.table:
            return False
        group = "customers.find" if self.find_query is not None else "customers.load"
        if not any(
            w.node is self and w.group == group and not w.is_finished for w in self.app.workers
        ):
            return False
        return group == "customers.find" or not self.moves_target(key)

    def moves_target(self, key: str) -> bool:
        """Type-ahead: in the table the page keys only move the page the browser goes to
        (``load`` coalesces them), so the next page key need not wait for one to settle."""
        if self.app.focused is not self.table or self.find_query is not None:
            return False
        return action_of(self.app.screen, key) in PAGE_ACTIONS

    def on_unmount(self) -> None:
        self.fetcher.cancel_all()

    # -- state the pager keeps ---------------------------------------------------------------

    def watch_sort(self, sort: B.Sort) -> None:
        self.pager.set_sort(sort)

    def watch_search(self, search: B.Search) -> None:
        self.pager.set_search(search)

    # -- loading ------------------------------------------------------------------------
    # A page is shown from the cache at once when it is there (no worker, no request);
    # otherwise one load worker (the "driver") fetches it. Page keys pressed while it waits
    # move the pager's target; the driver then goes on to wherever they lead, one request
    # at a time and never the same one twice (see flowtui.ui.widgets.customers.fetching).

    def load(
        self, target: int | None = None, *, reset: bool = False, refresh: bool = False
    ) -> None:
        """Show the page at ``target`` (default: the current one): from the cache when it
        holds it (unless ``refresh``: ask the store), else fetched in a worker."""
        if self.find_query is not None:  # index results: page through those instead
            self.find(0 if reset else (self.pager.position if target is None else target))
            return
        if reset:
            self.fetcher.cancel_all()  # a new search or sort: nothing on its way is of use
        request = self.pager.request(target, reset=reset)
        if not refresh and self.show_cached(request.target):
            return
        if self._driving and not reset and not refresh:
            return  # the load on its way goes on to the new target
        self._refresh = refresh
        self._load(request)

    async def ensure_fields(self) -> None:
        if self.fields_loaded:
            return
        early = take_early(self.flow_app.api, FIELDS)
        if early is not None:
            self.fields = await early
        else:
            self.fields = await self.flow_app.api.value_fields("customers")
        self.fields_loaded = True

    def show_cached(self, target: int) -> bool:
        """Show the page at ``target`` from the cache, at once; False when it is not there
        (or cannot be shown yet: no columns before the fields are known)."""
        pager = self.pager
        if not self.fields_loaded or pager.search.problem:
            return False
        plan = pager.peek(target)
        if isinstance(plan, B.Unreachable):
            return False
        query = pager.query(plan)
        cached = pager.cache.get(query)
        if cached is None:
            return False
        self._land(plan, query, cached.answer, age=pager.cache.age(cached))
        return True

    async def _page_and_fields(self, query: Query) -> Page[Customer]:
        """The store's answer to ``query``; the fields too when not known yet: on the first
        load both requests go out together (a failure of either is one error: the first)."""
        fetcher = self.fetcher
        early = take_early(self.flow_app.api, query)
        if early is not None:
            fetcher.adopt(query, early)

        async def page() -> Page[Customer]:
            cached = self.pager.cache.get(query)
            if early is not None and query not in fetcher.tasks and cached is not None:
                return cached.answer  # the early request had answered already
            return await fetcher.get(query)

        if self.fields_loaded:
            return await page()
        if self.drawn_at:  # a reload (the fields changed): the fields first, as they decide
            await self.ensure_fields()  # the columns; only the first page is in a hurry
            return await page()
        fields, answer = await asyncio.gather(self.ensure_fields(), page(), return_exceptions=True)
        for outcome in (fields, answer):
            if isinstance(outcome, BaseException):
                raise outcome
        assert isinstance(answer, Page)
        return answer

    @work(exclusive=True, group="customers.load", exit_on_error=False)
    async def _load(self, request: Request) -> None:
        pager = self.pager
        epoch = pager.epoch
        refresh, self._refresh = self._refresh, False
        reloading = refresh  # the page on screen again (r, a change): not a move to look past
        self._driving = True
        self.state = "loading"
        self.status("Loading customers…")
        self.workers.cancel_group(self, "customers.background")
        try:
            while True:
                search = pager.search
                if search.problem:
                    if not self.fields_loaded:
                        await self.ensure_fields()
                    self.state = "error"
                    self.status(f"Cannot search: {search.problem}", error=True)
                    return
                plan = pager.step_plan(request.target)
                if isinstance(plan, B.Unreachable):
                    self.state = "error"
                    self.status(plan.reason, error=True)
                    return
                query = pager.query(plan)
                cached = None if refresh else pager.cache.get(query)
                if cached is not None and self.fields_loaded:
                    answer = cached.answer
                else:
                    answer = await self._page_and_fields(query)
                refresh = False
                if pager.epoch != epoch or pager.pending is None:
                    return  # another list took over (or the target was shown from the cache)
                if pager.pending == plan.offset:
                    break
                # The keys moved the target on meanwhile (or this was a step on the way past
                # the offset cap): keep what the answer teaches the planner, go on.
                pager.landed(plan, answer)
                request = Request(pager.pending, pager.generation)
        except ForbiddenError:
            if not self.flow_app.api.read_only:
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
            if pager.is_current(request):
                pager.failed()
                self.load_failed("customers", exc)
            return
        finally:
            self._driving = False
        self._land(plan, query, answer, look=not reloading)

    def _land(
        self,
        plan: B.Plan,
        query: Query,
        answer: Page[Customer],
        age: float = 0.0,
        *,
        look: bool = True,
    ) -> None:
        """Show the store's ``answer`` to ``plan`` (``age`` seconds old when cached), then
        look ahead (``look``: the user moved here): revalidate it when old, prefetch its
        neighbours. A reload (``r``, a customer created or deleted) does not look ahead: a
        request nobody asked for would fail unseen on a failing store."""
        pager = self.pager
        page = pager.landed(plan, answer)
        pager.pending = None
        self._shown_query = query
        self.show(page, note=age_note(age))
        if not look:
            return
        # After the frame: an answer parsed meanwhile (at 0 ms it comes at once) would hold
        # the page back from the screen.
        self.call_after_refresh(self.look_ahead, revalidate=age >= REVALIDATE_AFTER)

    # -- looking ahead ------------------------------------------------------------------

    def look_ahead(self, *, revalidate: bool = False) -> None:
        """Fetch in the background, one at a time: the page on screen again when it came
        from the cache and is old, then the pages next to it that the cache lacks."""
        pager = self.pager
        if pager.search.problem:
            return
        queries: list[Query] = []
        if revalidate and self._shown_query is not None:
            queries.append(self._shown_query)
        for target in pager.prefetch_targets():
            query = pager.query_for(target)
            if query is not None and not pager.cache.fresh(query):
                queries.append(query)
        background = self.fetcher.background
        if background is not None and background not in queries:
            self.fetcher.cancel_background()
        if queries:
            self._look_ahead(queries, pager.epoch)

    @work(exclusive=True, group="customers.background", exit_on_error=False)
    async def _look_ahead(self, queries: list[Query], epoch: int) -> None:
        fetcher = self.fetcher
        for query in queries:
            if self.pager.epoch != epoch or fetcher.waiting:
                return
            revalidating = query == self._shown_query
            if not revalidating and self.pager.cache.fresh(query):
                continue
            task = fetcher.tasks.get(query) or fetcher.prefetch(query)
            if task is None:
                return
            await asyncio.wait([task])
            if task.cancelled():
                return
            error = task.exception()
            if isinstance(error, AuthError):
                raise error  # the login screen; anything else waits until the user goes there
            if error is not None:
                return
            if revalidating and query == self._shown_query and self.pager.epoch == epoch:
                self.revalidated(query, task.result())
            elif self.pager.epoch == epoch:
                self.prepare(task.result())

    def revalidated(self, query: Query, answer: Page[Customer]) -> None:
        """The page on screen, fetched again: changed rows update in place (the whole page
        is swapped when its rows are not the same ones any more)."""
        pager = self.pager
        if self._driving or pager.pending is not None or pager.page is None:
            return
        plan = pager.peek(pager.page.offset)
        if not isinstance(plan, B.Plan) or pager.query(plan) != query:
            return
        page = pager.landed(plan, answer)
        if [c.id for c in page.items] != list(self.customers):
            self.show(page)
            return
        pager.shown(page)
        for customer in page.items:
            if self.customers.get(customer.id) != customer:
                self.update_customer(customer)
        self.status(page_status(page))

    def visible_columns(self) -> list[str]:
        options = {k for k, _ in B.column_options(self.fields)}
        wanted = self.columns if self.columns is not None else B.default_columns(self.fields)
        return [k for k in wanted if k in options] or ["name", "email"]

    def column_label(self, key: str) -> str:
        return dict(B.column_options(self.fields)).get(key, key)

    def show(self, page: Page[Customer], note: str = "") -> None:
        """Put ``page`` in the table (``note``: how old it is, when shown from the cache)."""
        self.pager.shown(page)
        table = self.table
        cursor = table.cursor_row
        columns = self.visible_columns()
        labels = [(key, self.column_label(key)) for key in columns]
        widths = B.column_widths(labels, table.scrollable_content_region.width - 1)
        heads = [(key, label, width) for (key, label), width in zip(labels, widths, strict=True)]
        if heads != self._heads:
            table.clear(columns=True)
            for key, label, width in heads:
                table.add_column(safe(label, 30), key=key, width=width)
            self._heads = heads
        self.customers = {c.id: c for c in page.items}
        # Same columns: the rows are swapped in place, the table not rebuilt (issue 14).
        table.swap_rows([(c.id, self.row_cells(c, columns)) for c in page.items])
        if page.items:
            table.move_cursor(row=min(max(cursor, 0), len(page.items) - 1), scroll=False)
        self.state = "loaded" if page.items else "empty"
        search = self.pager.search
        if page.total == 0 and search.terms:
            self.status(f"No customers match: {search.description}. Esc in / clears it.")
        elif page.total == 0:
            self.status("No customers yet. Press n to create one.")
        else:
            self.status(page_status(page) + (f" · {note}, refreshing…" if note else ""))
        self.show_detail()
        self.drawn_at = time.perf_counter()

    def on_resize(self) -> None:
        """A wider (or narrower) table shares its room out again: redraw when widths change."""
        page = self.page
        if page is None or self.state != "loaded" or not self._heads:
            return
        labels = [(key, label) for key, label, _ in self._heads]
        widths = B.column_widths(labels, self.table.scrollable_content_region.width - 1)
        if widths != [width for _, _, width in self._heads]:
            self.call_after_refresh(self.show, page)

    def cells(self, customer: Customer, columns: list[str]) -> list[Text]:
        return [safe(B.cell_value(customer, key), 60) for key in columns]

    def row_cells(self, customer: Customer, columns: list[str]) -> list[Text]:
        """``cells``, kept per customer record: a page built ahead (prefetched, then
        :meth:`prepare`) is not built again in the key's frame."""
        return self.row_memo.cells(customer, columns, self.cells)

    def prepare(self, page: Page[Customer]) -> None:
        """Build the cells of a page fetched ahead, while nothing else is going on."""
        if self.fields_loaded and self.state == "loaded":
            columns = self.visible_columns()
            for customer in page.items:
                self.row_cells(customer, columns)

    def highlighted(self) -> Customer | None:
        key = cursor_key(self.table)
        return self.customers.get(key) if key else None

    def show_detail(self) -> None:
        """Hand the detail pane the highlighted customer (it shows it when shown)."""
        self.fields_shown = tuple(self.fields)
        self.current = self.highlighted()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.show_detail()

    def on_customer_table_opened(self, event: CustomerTable.Opened) -> None:
        event.stop()
        self.action_edit()

    def update_customer(self, customer: Customer) -> bool:
        """Show a changed customer in its row (no reload); False if it is not on this page."""
        if customer.id not in self.customers:
            return False
        self.customers[customer.id] = customer
        columns = self.visible_columns()
        # That row alone is drawn again (update_cell would redraw every row on screen).
        cells = dict(zip(columns, self.cells(customer, columns), strict=True))
        patch_row(self.table, customer.id, cells)
        self.show_detail()
        return True

    def store_changed(self, change: Change) -> None:
        """Follow a change the service reported: update a row in place, or reload."""
        self.follow_marks(change)
        self.follow_index_change(change)
        if change.resource == "customer":
            if change.action == "updated" and isinstance(change.item, Customer):
                self.pager.cache.patch(change.item)
                self.update_customer(change.item)  # in place; not on this page: nothing to do
                return
            self.pager.cache.clear()  # a customer more or fewer: every offset after it moves
            self.load(refresh=True)
        elif change.resource in ("field", "flow") and change.flow_slug in ("customers", None):
            self.fields_loaded = False
            self.load(refresh=True)

    # -- paging -------------------------------------------------------------------------

    def on_customer_table_page_asked(self, event: CustomerTable.PageAsked) -> None:
        event.stop()
        getattr(self, f"action_{event.action}")()

    # Page keys move the target from where the browser is going (the page on its way, if
    # any), so keys pressed during a load coalesce into one request for where they lead.

    def action_next_page(self) -> None:
        self._turn(1)

    def action_prev_page(self) -> None:
        self._turn(-1)

    def _turn(self, pages: int) -> None:
        target = self.pager.step(pages)
        if target is None:
            self.app.bell()
        else:
            self.load(target)

    def action_first_page(self) -> None:
        self.pager.direction = 0
        self.load(0)

    def action_last_page(self) -> None:
        target = self.pager.last_target()
        if target is not None:
            self.pager.direction = 0
            self.load(target)

    def action_reload(self) -> None:
        self.load(refresh=True)

    # -- search and sort ----------------------------------------------------------------

    def action_search(self) -> None:
        if self.find_query is not None:
            self.close_find()  # a store search replaces the index results
        self.searching = True
        self.search_input.focus()

    def on_bar_settled(self, event: Bar.Settled) -> None:
        event.stop()
        if isinstance(event.bar, FindBar):
            self.find_settled(event.value)
        else:
            self.apply_search(event.value)
        if event.done:
            self.table.focus()

    def apply_search(self, text: str) -> None:
        search = B.search_for(text)
        if search == self.search:
            return
        self.search = search
        self.load(0, reset=True)
        if self.pager.pending is not None:  # not in the cache: the store is asked
            self.search_locally()

    def on_search_bar_cleared(self, event: SearchBar.Cleared) -> None:
        event.stop()
        self.clear_search()

    def clear_search(self) -> None:
        """Empty and hide the ``/`` box, back to the table, the store's unsearched pages."""
        box = self.search_input
        box.value = ""
        self.searching = False
        self.table.focus()
        if self.search != B.Search():
            self.search = B.Search()
            self.load(0, reset=True)

    def back_step(self) -> str | None:
        """What ``esc`` in the table undoes next: ``"find"`` (leave the index results),
        ``"detail"`` (close the pane), ``"search"`` (clear it), or None: nothing to back out of
        (the key then goes on to the screen)."""
        if self.find_query is not None:
            return "find"
        if self.detail_shown:
            return "detail"
        if self.search != B.Search() or self.searching:
            return "search"
        return None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "back":
            return self.back_step() is not None
        return True

    def action_back(self) -> None:
        """Back out one level (issue 16): find mode, then the detail pane, then the search."""
        step = self.back_step()
        if step == "find":
            self.close_find()
        elif step == "detail":
            self.action_toggle_detail()
        elif step == "search":
            self.clear_search()

    def action_cycle_sort(self) -> None:
        self.sort = B.next_sort(self.sort)
        self.load(0, reset=True)

    def action_flip_sort(self) -> None:
        self.sort = self.sort.reversed()
        self.load(0, reset=True)

    # -- columns and detail -------------------------------------------------------------

    def action_columns(self) -> None:
        def chosen(columns: list[str] | None) -> None:
            if columns:
                self.columns = columns
                if self.page is not None:
                    self.show(self.page)

        options = B.column_options(self.fields)
        self.post_message(self.ColumnsAsked(options, self.visible_columns(), chosen))

    def action_toggle_detail(self) -> None:
        self.detail_shown = not self.detail_shown
        self.show_detail()

    # -- writes -------------------------------------------------------------------------

    def action_edit(self) -> None:
        customer = self.highlighted()
        if customer is None:
            self.app.bell()
            return
        if self.writable("change customers"):
            self.post_message(self.EditAsked(customer))

    def action_new(self) -> None:
        self.post_message(self.NewAsked())

    def action_delete(self) -> None:
        customer = self.highlighted()
        if customer is None:
            self.app.bell()
            return
        if not self.writable("delete customers"):
            return
        self.ask(
            f"Delete customer {display(customer.name)} <{display(customer.email)}>?",
            f"Id {customer.id}. Undo (u, or the journal: j) re-creates it with a new id; its "
            "password and anything linked to the old id (addresses, orders) are not restored.",
            "Delete",
            lambda: self.delete(customer),
        )

    @work(exclusive=True, group="customers.delete", exit_on_error=False)
    async def delete(self, customer: Customer) -> None:
        try:
            await self.flow_app.api.delete_customer(customer.id)
        except NotFoundError:
            # Gone already (e.g. an earlier attempt whose answer was lost): what was asked.
            self.notify(f"Customer {customer.email} was already deleted", markup=False, timeout=3)
            self.load()
            return
        self.notify(f"Deleted customer {customer.email}", markup=False, timeout=3)

    def action_copy(self, what: str) -> None:
        customer = self.highlighted()
        if customer is None:
            self.app.bell()
            return
        value = customer.email if what == "email" else customer.id
        self.app.copy_to_clipboard(value)
        self.notify(f"Copied {what}: {value}", markup=False, timeout=2)
