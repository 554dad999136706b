"""The customer browser's paging state as a pure object (no Textual, no I/O).

A :class:`Pager` knows where the browser is (the page on screen and its position), how the
pages are ordered and filtered (sort, search), what the planner needs to reach the next page
past EPCC's offset cap (:class:`~flowtui.ui.logic.browse.Loaded`), and which request is the
newest (a generation counter: a stale answer never overwrites a newer one).

The view drives it in four steps: :meth:`Pager.request` a target, :meth:`Pager.plan_for` it,
send :meth:`Pager.query` for that plan to the store, and hand the answer to
:meth:`Pager.landed` (when :meth:`Pager.is_current`) before showing it (:meth:`Pager.shown`).

Remote stores (issue 14): a :class:`Query` is frozen and hashable, exactly what one request
sends, so the :class:`PageCache` maps ``Query -> store answer`` (with the time it was
fetched) between :meth:`Pager.query` and the fetch. The cache keeps the last
:data:`CACHE_PAGES` pages; a cached page younger than :data:`REVALIDATE_AFTER` seconds is shown
as it is, an older one is shown at once and fetched again in the background, and one older
than :data:`STALE_AFTER` seconds says its age until the fresh answer replaces it
(:func:`age_note`). :meth:`Pager.step` moves the *target* (the pending one while a page is on
its way), so page keys pressed during a load coalesce into one request for where they lead;
:meth:`Pager.prefetch_targets` names the pages worth fetching ahead, in the direction of
travel first.
"""

from __future__ import annotations

import dataclasses
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from flowtui.api.models import Customer, Page
from flowtui.ui.logic.browse import (
    PAGE_SIZE,
    Loaded,
    Plan,
    Search,
    Sort,
    Term,
    Unreachable,
    last_page_offset,
    loaded,
    plan_page,
)


@dataclass(frozen=True, slots=True)
class Query:
    """What one page request sends to the store (hashable: a page cache's key)."""

    filters: tuple[Term, ...]
    sort: str
    limit: int
    offset: int


#: How many pages the cache keeps (the least recently used one goes first): 20 pages of 100
#: customers are a few megabytes at most.
CACHE_PAGES = 20
#: Seconds a cached page is trusted as it is; an older one is shown and fetched again.
REVALIDATE_AFTER = 10.0
#: Seconds after which a page shown from the cache says how old it is.
STALE_AFTER = 30.0


@dataclass(slots=True)
class Cached:
    """A store answer kept in the cache, and when it was fetched (``clock`` seconds)."""

    answer: Page[Customer]
    fetched_at: float


class PageCache:
    """The last ``size`` store answers by :class:`Query` (least recently used dropped)."""

    def __init__(self, size: int = CACHE_PAGES, clock: Callable[[], float] = time.monotonic):
        self.size = size
        self.clock = clock
        self._pages: OrderedDict[Query, Cached] = OrderedDict()

    def __len__(self) -> int:
        return len(self._pages)

    def __contains__(self, query: object) -> bool:
        return query in self._pages

    def get(self, query: Query) -> Cached | None:
        cached = self._pages.get(query)
        if cached is not None:
            self._pages.move_to_end(query)
        return cached

    def put(self, query: Query, answer: Page[Customer]) -> Cached:
        cached = Cached(answer, self.clock())
        self._pages[query] = cached
        self._pages.move_to_end(query)
        while len(self._pages) > self.size:
            self._pages.popitem(last=False)
        return cached

    def age(self, cached: Cached) -> float:
        return max(0.0, self.clock() - cached.fetched_at)

    def fresh(self, query: Query) -> bool:
        """Whether ``query``'s answer is cached and young enough to show without asking."""
        cached = self._pages.get(query)
        return cached is not None and self.age(cached) < REVALIDATE_AFTER

    def patch(self, customer: Customer) -> int:
        """Put ``customer`` (as changed) in every cached page holding it; how many pages."""
        patched = 0
        for cached in self._pages.values():
            items = cached.answer.items
            for i, item in enumerate(items):
                if item.id == customer.id:
                    items[i] = customer
                    patched += 1
                    break
        return patched

    def clear(self) -> None:
        """Forget every page (a customer created or deleted moves every offset after it)."""
        self._pages.clear()


def age_note(seconds: float) -> str:
    """How old a page shown from the cache is (``""`` while younger than STALE_AFTER)."""
    if seconds < STALE_AFTER:
        return ""
    if seconds < 90:
        return f"as of {seconds:.0f} s ago"
    if seconds < 5400:
        return f"as of {seconds / 60:.0f} min ago"
    return f"as of {seconds / 3600:.0f} h ago"


@dataclass(frozen=True, slots=True)
class Request:
    """A page asked for: its logical offset and the generation it belongs to."""

    target: int
    generation: int


class Pager:
    """Position, total, sort, search and the pending target of a server-paged list."""

    def __init__(self, limit: int = PAGE_SIZE, cache: PageCache | None = None) -> None:
        self.limit = limit
        #: The store's answers by query (shown at once when revisited).
        self.cache = cache or PageCache()
        #: Bumped by a reset (new sort or search) and by :meth:`invalidate`: an answer sent
        #: for an older epoch is of no use to the page on screen.
        self.epoch = 0
        #: +1 after a step forward, -1 after a step back, 0 after a jump (prefetch order).
        self.direction = 0
        self.sort = Sort()
        self.search = Search()
        #: The page on screen (logical: items in view order, offset from the list's start).
        self.page: Page[Customer] | None = None
        #: The logical offset of the page on screen (kept while a reset page is loading).
        self.position = 0
        #: What the planner knows of the page on screen (edges for keyset paging).
        self.loaded: Loaded | None = None
        #: How the page on screen was fetched, or why the last target could not be.
        self.plan: Plan | Unreachable | None = None
        #: The target of the newest request not answered yet.
        self.pending: int | None = None
        #: Bumped by every request: an answer of an older generation is dropped.
        self.generation = 0

    # -- where we are ----------------------------------------------------------------------

    @property
    def total(self) -> int:
        return self.page.total if self.page is not None else 0

    def next_target(self) -> int | None:
        """The offset of the next page, or None on the last one (or with nothing shown)."""
        if self.page is not None and self.page.has_next:
            return self.page.offset + self.limit
        return None

    def prev_target(self) -> int | None:
        if self.page is not None and self.page.offset > 0:
            return max(0, self.page.offset - self.limit)
        return None

    def last_target(self) -> int | None:
        if self.page is None:
            return None
        return last_page_offset(self.page.total, self.limit)

    def neighbours(self) -> list[int]:
        """The targets a prefetch would fetch ahead: the next page, then the previous one."""
        return [t for t in (self.next_target(), self.prev_target()) if t is not None]

    def prefetch_targets(self) -> list[int]:
        """The pages worth fetching ahead of the one on screen: the next one; moving
        backwards, the previous one first; after a jump (g, G, a search), both."""
        ahead, back = self.next_target(), self.prev_target()
        if self.direction > 0:
            order = [ahead]
        elif self.direction < 0:
            order = [back, ahead]
        else:
            order = [ahead, back]
        return [t for t in order if t is not None]

    def step(self, pages: int) -> int | None:
        """The target ``pages`` pages on from where the browser is going: the pending target
        while a page is on its way (page keys pressed during a load move the target, not the
        request), else the page on screen. None when that is past either end."""
        if self.page is None:
            return None
        base = self.pending if self.pending is not None else self.page.offset
        target = base + pages * self.limit
        if pages > 0 and target >= self.page.total:
            return None
        if pages < 0 and base <= 0:
            return None
        self.direction = 1 if pages > 0 else -1
        return max(0, target)

    # -- what we ask for -------------------------------------------------------------------

    def set_sort(self, sort: Sort) -> bool:
        """Sort differently (the view then loads the first page); False when unchanged."""
        if sort == self.sort:
            return False
        self.sort = sort
        return True

    def set_search(self, search: Search) -> bool:
        """Search differently (the view then loads the first page); False when unchanged."""
        if search == self.search:
            return False
        self.search = search
        return True

    def request(self, target: int | None = None, *, reset: bool = False) -> Request:
        """A new request for ``target`` (default: the current position); ``reset`` forgets
        the page on screen (a new sort or search: its total and edges no longer apply)."""
        self.generation += 1
        if reset:
            self.epoch += 1
            self.direction = 0
            self.loaded = None
            self.page = None
        target = self.position if target is None else max(0, target)
        self.pending = target
        return Request(target, self.generation)

    def failed(self) -> None:
        """The page waited for could not be fetched: nothing is on its way any more, so the
        next page key moves from the page on screen (and asks for the failed page again)."""
        self.pending = None

    def invalidate(self) -> None:
        """Drop every answer on its way (another list, such as index results, took over)."""
        self.generation += 1
        self.epoch += 1
        self.pending = None

    def is_current(self, request: Request) -> bool:
        return request.generation == self.generation

    def plan_for(self, target: int) -> Plan | Unreachable:
        """How to fetch ``target`` (see :func:`~flowtui.ui.logic.browse.plan_page`); an
        unreachable target is remembered as the plan (the view says why)."""
        plan = plan_page(target, self.total, self.sort, limit=self.limit, current=self.loaded)
        if isinstance(plan, Unreachable):
            self.plan = plan
        return plan

    def peek(self, target: int) -> Plan | Unreachable:
        """How ``target`` would be fetched from the page on screen (remembers nothing)."""
        return plan_page(target, self.total, self.sort, limit=self.limit, current=self.loaded)

    def step_plan(self, target: int) -> Plan | Unreachable:
        """The plan for ``target``, or, when it cannot be reached directly (past the offset
        cap, reachable only by key from a neighbour), for the neighbouring page towards it:
        a coalesced target past the cap is reached page by page."""
        plan = self.peek(target)
        if isinstance(plan, Plan) or self.page is None:
            return self.plan_for(target)
        here = self.loaded.offset if self.loaded is not None else self.page.offset
        toward = here + self.limit if target > here else here - self.limit
        if toward == target:
            return self.plan_for(target)
        step = self.peek(toward)
        return step if isinstance(step, Plan) else self.plan_for(target)

    def query(self, plan: Plan) -> Query:
        """What to send for ``plan``: the search's terms ANDed with the plan's."""
        return Query((*self.search.terms, *plan.filters), plan.sort, plan.limit, plan.query_offset)

    def query_for(self, target: int) -> Query | None:
        """What a prefetch of ``target`` would send (None: not reachable from here)."""
        plan = self.peek(target)
        return self.query(plan) if isinstance(plan, Plan) else None

    # -- what came back --------------------------------------------------------------------

    def landed(self, plan: Plan, answer: Page[Customer]) -> Page[Customer]:
        """Take the store's ``answer`` to ``plan``: the logical page (items in view order,
        the offset and total of the whole list), remembered for planning the next one.
        (The pending target is cleared only when this is the page it asked for.)"""
        items: Sequence[Customer] = (
            list(reversed(answer.items)) if plan.reverse else list(answer.items)
        )
        total = answer.total
        if plan.how == "keyset" and self.page is not None:
            total = self.page.total  # a keyset answer counts only the rows past the key
        page = dataclasses.replace(answer, items=list(items), offset=plan.offset, total=total)
        self.plan = plan
        self.loaded = loaded(plan, items, self.sort, self.loaded)
        if self.pending == plan.offset:
            self.pending = None
        return page

    def shown(self, page: Page[Customer]) -> None:
        """``page`` is on screen now (a store page, or a page of index results)."""
        self.page = page
        self.position = page.offset
