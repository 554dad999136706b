"""The customer browser's paging state as a pure object (no Textual, no I/O).

A :class:`Pager` knows where the browser is (the page on screen and its position), how the
pages are ordered and filtered (sort, search), what the planner needs to reach the next page
past EPCC's offset cap (:class:`~flowtui.ui.logic.browse.Loaded`), and which request is the
newest (a generation counter: a stale answer never overwrites a newer one).

The view drives it in four steps: :meth:`Pager.request` a target, :meth:`Pager.plan_for` it,
send :meth:`Pager.query` for that plan to the store, and hand the answer to
:meth:`Pager.landed` (when :meth:`Pager.is_current`) before showing it (:meth:`Pager.shown`).

The seam for a page cache and prefetch (issue 14): a :class:`Query` is frozen and hashable,
exactly what one request sends, so a cache maps ``Query -> Page`` between :meth:`Pager.query`
and the fetch; :meth:`Pager.neighbours` names the targets worth fetching ahead.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
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


@dataclass(frozen=True, slots=True)
class Request:
    """A page asked for: its logical offset and the generation it belongs to."""

    target: int
    generation: int


class Pager:
    """Position, total, sort, search and the pending target of a server-paged list."""

    def __init__(self, limit: int = PAGE_SIZE) -> None:
        self.limit = limit
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
            self.loaded = None
            self.page = None
        target = self.position if target is None else max(0, target)
        self.pending = target
        return Request(target, self.generation)

    def invalidate(self) -> None:
        """Drop every answer on its way (another list, such as index results, took over)."""
        self.generation += 1
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

    def query(self, plan: Plan) -> Query:
        """What to send for ``plan``: the search's terms ANDed with the plan's."""
        return Query((*self.search.terms, *plan.filters), plan.sort, plan.limit, plan.query_offset)

    # -- what came back --------------------------------------------------------------------

    def landed(self, plan: Plan, answer: Page[Customer]) -> Page[Customer]:
        """Take the store's ``answer`` to ``plan``: the logical page (items in view order,
        the offset and total of the whole list), remembered for planning the next one."""
        items: Sequence[Customer] = (
            list(reversed(answer.items)) if plan.reverse else list(answer.items)
        )
        total = answer.total
        if plan.how == "keyset" and self.page is not None:
            total = self.page.total  # a keyset answer counts only the rows past the key
        page = dataclasses.replace(answer, items=list(items), offset=plan.offset, total=total)
        self.plan = plan
        self.loaded = loaded(plan, items, self.sort, self.loaded)
        self.pending = None
        return page

    def shown(self, page: Page[Customer]) -> None:
        """``page`` is on screen now (a store page, or a page of index results)."""
        self.page = page
        self.position = page.offset
