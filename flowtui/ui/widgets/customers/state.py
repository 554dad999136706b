"""What the browser's parts share: the view's reactives (handed down to its small widgets with
``data_bind``), the widgets found by ``textual.getters.query_one``, and the few methods the
marking and finding parts call on the view (the view defines them)."""

from __future__ import annotations

from typing import Any

from textual import getters
from textual.reactive import var

from flowtui.api.models import Customer, Field, Page
from flowtui.ui.logic import browse as B
from flowtui.ui.logic.pager import Pager, Query
from flowtui.ui.widgets.customers.bars import FindBar, SearchBar
from flowtui.ui.widgets.customers.detail import DetailPane
from flowtui.ui.widgets.customers.fetching import Fetcher
from flowtui.ui.widgets.customers.rows import RowMemo
from flowtui.ui.widgets.customers.table import CustomerTable
from flowtui.ui.widgets.view import View


class Browser(View):
    """The customer browser's state; :class:`CustomersView` is the whole of it."""

    #: The store's sort and search of the pages (the pager follows them).
    sort: var[B.Sort] = var(B.Sort)
    search: var[B.Search] = var(B.Search)
    #: Whether the ``/`` box is shown.
    searching: var[bool] = var(False)
    #: The customer under the cursor (the detail pane shows it).
    current: var[Customer | None] = var[Customer | None](None)
    #: The customers flow's fields (columns, detail labels).
    fields_shown: var[tuple[Field, ...]] = var[tuple[Field, ...]](())
    #: Whether the detail pane is shown.
    detail_shown: var[bool] = var(False)
    #: Marked customers by id, as last seen (kept across pages and searches; the table
    #: flags them).
    marks: var[dict[str, Customer]] = var(dict)
    #: ``"3 marked (b: bulk edit)"`` next to the status, or what marking is doing.
    marks_note: var[str] = var("")
    #: The query whose index results the table shows; None: the store's pages.
    find_query: var[str | None] = var[str | None](None)
    #: Whether index results are shown (the find bar with them).
    finding: var[bool] = var(False)
    #: The index's state on the right of the status bar ("index: 3 min old", ...), and
    #: whether it is only its age (which index results already say on the left).
    index_note: var[str] = var("")
    note_is_age: var[bool] = var(False)

    table = getters.query_one("#customers-table", CustomerTable)
    search_input = getters.query_one("#customers-search", SearchBar)
    find_input = getters.query_one("#customers-find", FindBar)
    detail = getters.query_one("#customers-detail", DetailPane)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.pager = Pager()
        #: The browser's page requests (deduplicated; prefetches in the background).
        self.fetcher = Fetcher(self._fetch_page, self.pager.cache)
        #: Whether a load worker is on its way to the pager's target.
        self._driving = False
        #: The next load asks the store even when the cache holds the page (``r``).
        self._refresh = False
        #: The query whose answer is on screen (what a revalidation fetches again).
        self._shown_query: Query | None = None
        self.fields: list[Field] = []
        self.fields_loaded = False
        #: The customers on the page shown, by id.
        self.customers: dict[str, Customer] = {}
        #: The columns shown, as (key, label, width).
        self._heads: list[tuple[str, str, int]] = []
        #: The table's cells per customer record (built ahead for prefetched pages).
        self.row_memo = RowMemo()

    def watch_find_query(self, query: str | None) -> None:
        self.finding = query is not None

    async def _fetch_page(self, query: Query) -> Page[Customer]:
        return await self.flow_app.api.list_customers(
            filters=list(query.filters), sort=query.sort, limit=query.limit, offset=query.offset
        )

    @property
    def page(self) -> Page[Customer] | None:
        return self.pager.page

    # -- defined by the view ----------------------------------------------------------------

    def load(self, target: int | None = None, *, reset: bool = False) -> None:
        raise NotImplementedError

    def show(self, page: Page[Customer]) -> None:
        raise NotImplementedError

    def highlighted(self) -> Customer | None:
        raise NotImplementedError

    async def ensure_fields(self) -> None:
        raise NotImplementedError

    def cells(self, customer: Customer, columns: list[str]) -> list[Any]:
        raise NotImplementedError
