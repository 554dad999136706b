"""Find by any field, custom ones too, in the profile's local index (``f``): the results
replace the rows until ``esc``. The app opens the index and keeps it following the service;
the browser syncs it in the background while it is on screen (its age and progress show on
the right of the status line) and searches it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from textual import work
from textual.timer import Timer

from flowtui.api.errors import ApiError
from flowtui.api.models import Customer, Page
from flowtui.api.service import Change
from flowtui.ui.logic.browse import PAGE_SIZE
from flowtui.ui.widgets.customers.bars import FindBar
from flowtui.ui.widgets.customers.marking import Marking

if TYPE_CHECKING:
    from flowtui.index import CustomerIndex

# flowtui.index (SQLite, the query language) is imported where it is used, not at start-up:
# a profile without an index never needs it to show its first page.

INDEX_TICK = 30.0  # seconds between refreshes of the index's age in the status line
INDEX_REFRESH = 300.0  # an index older than this is synced again in the background


async def _nothing() -> AsyncIterator[Customer]:
    return
    yield  # an async generator that yields nothing


class Finding(Marking):
    """The find part of the customer browser."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._index_syncing = False
        self._index_again = False
        self._index_timer: Timer | None = None
        self._find_generation = 0

    @property
    def index(self) -> CustomerIndex | None:
        """The profile's index, as the app holds it (None until opened)."""
        return self.flow_app.index

    def open_index(self, *, create: bool = True) -> CustomerIndex | None:
        """The app's index (opened, and created empty when missing and ``create``); None
        without a session or when it cannot be opened (the status line says why)."""
        try:
            return self.flow_app.open_index(create=create)
        except Exception as exc:
            self.set_index_note(f"index: cannot open ({exc})")
            return None

    def start_index(self) -> None:
        """When the profile has an index, refresh it now and every few minutes (in the
        background); a profile without one gets it when ``f`` is first pressed."""
        if self.open_index(create=False) is not None:
            self.sync_index()

    def follow_index_change(self, change: Change) -> None:
        """The index followed ``change`` itself (the app subscribed it to the service); a
        change to the customers' fields rebuilds it (a new default shows on everyone)."""
        index = self.index
        if index is None:
            return
        self.call_later(self._index_caught_up)
        customer_fields = change.resource in ("field", "flow") and change.flow_slug in (
            "customers",
            None,
        )
        if customer_fields and index.synced_at is not None:
            self.sync_index()

    def _index_caught_up(self) -> None:
        if self.flow_app.index_behind:
            self.flow_app.index_behind = False
            self.index_note = "index: will catch up at the next sync"
            self.note_is_age = False

    def _index_tick(self) -> None:
        index = self.index
        if index is None:
            return
        age = index.age()
        if age is None or age >= INDEX_REFRESH:
            self.sync_index()
        elif not self._index_syncing:
            self.set_index_note(self._age_note(), age=True)

    def _age_note(self) -> str:
        from flowtui.index import age_text

        index = self.index
        return f"index: {age_text(index.age())}" if index is not None else ""

    def set_index_note(self, note: str, *, age: bool = False) -> None:
        self.index_note = note
        self.note_is_age = age
        if self.find_query is not None and self.page is not None and self.state != "error":
            self._find_status()

    @work(group="customers.index", exit_on_error=False)
    async def sync_index(self, full: bool = False) -> None:
        """Bring the index up to date in the background; progress and failures show in the
        status line (an expired login goes to the login screen, as everywhere)."""
        from flowtui.index import sync_index as sync_with_store

        if self._index_syncing:
            self._index_again = True  # something changed meanwhile: once more afterwards
            return
        index = self.open_index()
        if index is None:
            return
        self._index_syncing = True
        self._index_again = False
        if self._index_timer is None:  # keep it fresh while the view is open
            self._index_timer = self.set_interval(INDEX_TICK, self._index_tick)
        building = full or index.synced_at is None
        verb = "building" if building else "syncing"
        self.set_index_note(f"index: {verb}…")

        def progress(done: int, total: int) -> None:
            share = done / total if total else 1.0
            self.index_note = f"index: {verb} {share:.0%}"
            self.note_is_age = False

        try:
            result = await sync_with_store(index, self.flow_app.api, progress=progress, full=full)
        except Exception as exc:
            # The index's state says it failed (until the next sync), and the error takes
            # the one road (a toast; a login that expired opens the login screen).
            summary = exc.summary if isinstance(exc, ApiError) else str(exc)
            self.set_index_note(f"index: sync failed: {summary}")
            raise
        finally:
            self._index_syncing = False
        self.set_index_note(self._age_note(), age=True)
        if self.find_query is not None and (result.fetched or result.deleted or building):
            self.find(self.pager.position)
        if self._index_again:
            self.sync_index()

    def action_find(self) -> None:
        index = self.open_index()
        if index is None:
            self.app.bell()
            return
        if index.synced_at is None:
            self.sync_index()  # first use: build it (progress in the status line)
        self.searching = False
        box = self.find_input
        box.focus()
        if self.find_query is None:
            self.pager.invalidate()  # a store page on its way must not replace the results
            self.find_query = box.value
            self.find(0)

    def close_find(self) -> None:
        """Back to the store's pages (the first one)."""
        self.find_input.stop_timer()
        self.table.focus()
        if self.find_query is None:
            return
        self.find_query = None
        self._find_generation += 1
        self.load(0, reset=True)

    def on_find_bar_closed(self, event: FindBar.Closed) -> None:
        event.stop()
        self.close_find()

    def find_settled(self, value: str) -> None:
        if value != self.find_query:
            self.find_query = value
            self.find(0)

    def find(self, offset: int = 0) -> None:
        """Show the page of index results at ``offset`` (in a worker)."""
        self._find_generation += 1
        self._find(self.find_query or "", max(0, offset), self._find_generation)

    @work(exclusive=True, group="customers.find", exit_on_error=False)
    async def _find(self, query: str, offset: int, generation: int) -> None:
        from flowtui.index import QueryError

        index = self.index
        if index is None:
            return
        await self.ensure_fields()
        try:
            result = await asyncio.to_thread(index.search, query, limit=PAGE_SIZE, offset=offset)
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

    # -- the store's search, answered first by the index ------------------------------------

    def search_locally(self) -> None:
        """While the store searches (``/``), show what the profile's index finds for the
        same text at once, marked as local; the store's answer replaces it when it comes."""
        search = self.pager.search
        index = self.index
        if not search.terms or index is None or index.synced_at is None:
            return
        _op, attr, pattern = search.terms[0]
        text = pattern.strip("*")
        if "\\" in text:
            return  # the index's language escapes with it: not worth the guesswork
        self._search_locally(index, f'{attr}:"{text}"', self.pager.epoch)

    @work(exclusive=True, group="customers.local", exit_on_error=False)
    async def _search_locally(self, index: CustomerIndex, text: str, epoch: int) -> None:
        from flowtui.index import QueryError

        try:
            result = await asyncio.to_thread(index.search, text, limit=PAGE_SIZE)
        except QueryError:
            return
        if self.pager.epoch != epoch or self.pager.pending is None or self.find_query is not None:
            return  # the store answered first (or the search changed meanwhile)
        page = Page(result.customers, PAGE_SIZE, 0, result.total, 1, 1)
        self.show(page)
        self.state = "loading"  # still waiting for the store
        age = self._age_note()
        shown = f" (1-{len(page.items):,})" if page.items else ""
        self.status(
            f"local index: {result.total:,} matches{shown} · {age} · "
            "waiting for the store's answer…"
        )

    def _find_status(self) -> None:
        from flowtui.index import age_text

        page = self.page
        if page is None:
            return
        index = self.index
        age = age_text(index.age()) if index is not None else "never synced"
        shown = f" ({page.first_index:,}-{page.last_index:,})" if page.items else ""
        syncing = " · syncing…" if self._index_syncing else ""
        self.status(f"index: {page.total:,} matches{shown} · index {age}{syncing}")

    async def matching_customers(self) -> tuple[int, AsyncIterator[Customer]]:
        """In find mode, every customer the index matches (all pages), as it holds them."""
        from flowtui.index import QueryError
        from flowtui.ops import bulk  # when first used: not needed to start (issue 14)

        index = self.index
        if self.find_query is None or index is None:
            return await super().matching_customers()
        query = self.find_query
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
