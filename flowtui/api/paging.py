"""Walking every customer of a store by key, never by offset, with N requests in flight
(no Textual).

EPCC caps offsets at 10,000, so a store of any size is walked by a timestamp key
(``created_at`` or ``updated_at``, ties broken by id, as the contract sorts): each page asks
for the customers at or after the last key seen. One such chain is one request at a time, so
:func:`walk_pages` cuts the range into **windows** and walks several at once:

* The first page tells how many customers match; when they fill more than one window, the
  span between the oldest and the newest key is cut evenly in time.
* A window whose first own page says it holds far more than a window should (customers are
  rarely created evenly: an import makes thousands in a minute) is cut again where its
  customers are, by asking for the key at a few offsets inside it (``page[limit]=1``).
* ``concurrency`` workers take the earliest window that may fetch its next page, one request
  each; a worker holds a slot of the shared :class:`~flowtui.api.inflight.Lanes` only while
  its request is out, never while it waits, so N requests are really in flight and the
  transport's pacer keeps them within the profile's rate.
* Pages are yielded in key order: the pages of windows ahead of the one being read wait in a
  buffer of at most ``buffer`` pages; a window ahead fetches only while the buffer has room,
  and the window being read may always hold two pages, so memory stays bounded and the walk
  never deadlocks.
* Every answer is checked against what was asked (inside the key bounds, sorted by key then
  id): a store that ignores the filters would otherwise make a walk loop forever; it raises
  :class:`WalkError` instead. Each request also has to move the walk on, or it stops.

:func:`iter_customers` and :func:`walk_customers` are the walks the service offers; they need
only a :class:`CustomerLister` (the :class:`~flowtui.api.service.ApiService` is one).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import math
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator, Iterable, Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any, Generic, Literal, Protocol, TypeVar

from flowtui.api.errors import ErrorItem, ProtocolError
from flowtui.api.inflight import FlightStats, Lanes
from flowtui.api.models import Customer, Keyed, Page
from flowtui.api.stamps import before as _before
from flowtui.api.stamps import format_stamp, parse_stamp, plainly_inside

#: The most a store returns in one page.
PAGE_LIMIT = 100
#: The largest ``page[offset]`` a store accepts.
MAX_OFFSET = 10_000
#: The most filter terms one request may combine.
MAX_FILTERS = 10
#: Requests a walk keeps in flight unless told otherwise.
CONCURRENCY = 4
#: Pages a walk holds (fetched, not yet yielded) at most, unless told otherwise.
BUFFER_PAGES = 128
#: Pages the window being read may hold whatever the rest of the buffer holds.
HEAD_PAGES = 2

#: The keys a walk can follow.
WalkKey = Literal["created_at", "updated_at"]
Term = tuple[str, str, str]
K = TypeVar("K", bound=Keyed)  # what a walk yields: Customer, or CustomerRow as sent


class CustomerLister(Protocol[K]):
    """What a walk needs: one page of customers for filters, a sort and a limit."""

    async def list_customers(
        self,
        *,
        filters: Iterable[tuple[str, str, str]] = (),
        sort: str | None = None,
        limit: int = PAGE_LIMIT,
        offset: int = 0,
    ) -> Page[K]: ...


class WalkError(ProtocolError):
    """The store's answers cannot be walked by key (it ignores filters or sorts otherwise
    than asked): going on would never end or would skip customers."""

    kind = "The store cannot be walked"


@dataclass
class WalkStats(FlightStats):
    """What a walk did (:class:`FlightStats`, plus its buffer and windows)."""

    #: Pages fetched and not yet yielded, and the most there ever were.
    held: int = 0
    most_held: int = 0
    #: Windows walked (the first cut and every later cut included).
    windows: int = 0
    #: Windows cut again because they held far more than a window should.
    splits: int = 0
    #: How many customers the walk's range held when it began (the store's count with its
    #: first page), -1 until that page came.
    total: int = -1


def _stamp(customer: Keyed, key: WalkKey) -> str:
    return customer.created_at if key == "created_at" else customer.updated_at


@dataclass(eq=False)
class _Window:
    """One [lo, hi) range of the key, walked page by page."""

    lo: str | None
    hi: str | None
    #: (key value, id) of the last customer taken from this window.
    after: tuple[str, str] | None = None
    #: How the next page is asked for: "ge" the last key (skipping those seen), "gt" it
    #: (after a tie was drained), or "tie": the customers sharing the last key, by id.
    mode: Literal["ge", "gt", "tie"] = "ge"
    pages: deque[list[Any]] = field(default_factory=deque)
    busy: bool = False
    done: bool = False
    #: Whether its own count was seen (and a cut decided).
    sized: bool = False
    #: Customers left after its last page, as the store counted them (None: not known).
    left: int | None = None
    #: An idle worker is cutting it in two (see :meth:`_Walk.steal`).
    cutting: bool = False


def _cuts(start: str, end: str, count: int) -> list[str]:
    """``count - 1`` increasing timestamps cutting [start, end] evenly (fewer when the span
    is too short, none when the stamps cannot be read)."""
    try:
        lo, hi = parse_stamp(start), parse_stamp(end)
    except ValueError:
        return []
    span = (hi - lo) / max(1, count)
    if count <= 1 or span < dt.timedelta(milliseconds=1):
        return []
    cuts: list[str] = []
    for i in range(1, count):
        cut = format_stamp(lo + span * i)
        if start < cut <= end and (not cuts or cut > cuts[-1]):
            cuts.append(cut)
    return cuts


class _Walk(Generic[K]):
    """The state of one walk (see the module docstring)."""

    def __init__(
        self,
        lister: CustomerLister[K],
        key: WalkKey,
        lo: str | None,
        hi: str | None,
        terms: Sequence[Term],
        page_size: int,
        concurrency: int,
        buffer: int,
        windows: int | None,
        window_pages: int | None,
        stats: WalkStats | None,
        newest_early: bool = False,
    ) -> None:
        self.lister = lister
        self.key: WalkKey = key
        self.lo, self.hi = lo, hi
        self.terms = list(terms)
        self.page_size = max(1, min(page_size, PAGE_LIMIT))
        self.stats = stats if stats is not None else WalkStats()
        self.lanes = Lanes(concurrency, self.stats)
        self.buffer = max(buffer, HEAD_PAGES + 1)
        self.windows_wanted = windows
        self.newest_early = newest_early
        self.window_pages = window_pages or max(2, (self.buffer - HEAD_PAGES) // self.lanes.size)
        #: Cutting needs two more filter terms (a window's bounds) within the store's limit.
        self.can_cut = len(self.terms) <= MAX_FILTERS - 2
        self.queue: list[_Window] = []  # in key order; the first is the one being read
        self.reserved = 0  # fetches out, each counted as a page to come
        self.error: BaseException | None = None
        self._changed = asyncio.Event()

    # -- waking ---------------------------------------------------------------------------

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def _wait(self) -> None:
        await self._changed.wait()

    # -- requests -------------------------------------------------------------------------

    async def _list(self, filters: list[Term], sort: str, limit: int, offset: int = 0) -> Page[K]:
        call = functools.partial(
            self.lister.list_customers, filters=filters, sort=sort, limit=limit, offset=offset
        )
        return await self.lanes.run(call)

    def _bounds(self, lower: Term | None, hi: str | None) -> list[Term]:
        terms = list(self.terms)
        if lower is not None:
            terms.append(lower)
        if hi is not None:
            terms.append(("lt", self.key, hi))
        return terms

    # -- checking answers -----------------------------------------------------------------

    def _refuse(self, filters: list[Term], sort: str, problem: str) -> WalkError:
        asked = ":".join(f"{op}({attr},{value})" for op, attr, value in filters) or "none"
        return WalkError(
            [
                ErrorItem(
                    "The store ignored the walk's filter or sort",
                    f"Asked for customers with filter {asked} sorted by {sort}, the store "
                    f"answered {problem}: a walk by {self.key} cannot go on (it would never "
                    "end, or skip customers).",
                )
            ],
            method="GET",
            path="/v2/customers",
        )

    def _check(
        self, items: list[K], lower: Term | None, hi: str | None, filters: list[Term]
    ) -> bool:
        """Every customer inside the bounds asked for, sorted by key then id; True when the
        stamps are all in the store's form and rise strictly (text order is time order)."""
        key = self.key
        stamps = list(map(attrgetter(key), items))
        if plainly_inside(stamps, lower, hi):
            return True
        previous: tuple[str, str] | None = None
        for c in items:
            stamp = _stamp(c, key)
            if not stamp:
                raise self._refuse(filters, key, f"a customer without {key} ({c.id})")
            if lower is not None:
                op, _, value = lower
                if _before(stamp, value) or (op == "gt" and stamp == value):
                    raise self._refuse(filters, key, f"{key} {stamp} (outside the filter)")
            if hi is not None and not _before(stamp, hi, certain=False):
                raise self._refuse(filters, key, f"{key} {stamp} (outside the filter)")
            if previous is not None and (
                _before(stamp, previous[0]) or (stamp == previous[0] and c.id < previous[1])
            ):
                raise self._refuse(filters, key, "customers out of order")
            previous = (stamp, c.id)
        return False

    def _check_tie(self, items: list[K], after: tuple[str, str], filters: list[Term]) -> None:
        previous = after[1]
        for c in items:
            if _stamp(c, self.key) != after[0] or c.id <= previous:
                raise self._refuse(filters, "id", f"customer {c.id} (outside the filter)")
            previous = c.id

    # -- the start ------------------------------------------------------------------------

    async def start(self) -> None:
        """The first page (and, for a large range, the newest key): the first windows."""
        key, size = self.key, self.page_size
        lower = ("ge", key, self.lo) if self.lo is not None else None
        filters = self._bounds(lower, self.hi)
        newest: Page[K] | None = None
        if self.newest_early and self.can_cut:  # asked with the first page, not after it
            first, newest = await asyncio.gather(
                self._list(filters, key, size), self._list(filters, f"-{key}", 1)
            )
        else:
            first = await self._list(filters, key, size)
        self._check(first.items, lower, self.hi, filters)
        self.stats.total = first.total
        items = first.items
        head = _Window(self.lo, self.hi)
        self.queue.append(head)
        self.stats.windows = 1
        if len(items) < size:
            head.done = True
            self._hold(head, items)
            return
        count = self.windows_wanted
        if count is None:
            count = window_count(first.total, size, self.window_pages, self.lanes.size)
        cuts: list[str] = []
        if count > 1 and self.can_cut:
            last = newest or await self._list(filters, f"-{key}", 1)
            if last.items:
                cuts = _cuts(_stamp(items[0], key), _stamp(last.items[0], key), count)
        if cuts:
            head.hi = cuts[0]
            bounds = [*cuts, self.hi]
            self.queue += [_Window(bounds[i], bounds[i + 1]) for i in range(len(cuts))]
            self.stats.windows += len(cuts)
        inside = [c for c in items if head.hi is None or _stamp(c, key) < head.hi]
        if len(inside) < len(items):
            head.done = True  # the rest of the page is past the window: all of it is here
        self._take(head, inside)

    def _hold(self, window: _Window, items: list[K]) -> None:
        if not items:
            return
        window.pages.append(items)
        self.stats.held += 1
        self.stats.most_held = max(self.stats.most_held, self.stats.held)

    def _take(self, window: _Window, items: list[K]) -> None:
        if items:
            self._hold(window, items)
            window.after = (_stamp(items[-1], self.key), items[-1].id)

    # -- one step of a window -------------------------------------------------------------

    async def step(self, w: _Window) -> None:
        """One request for ``w`` (or, when it is found too large, the few that cut it)."""
        before = (w.after, w.mode, w.done, w.hi)
        if w.mode == "tie":
            await self._drain(w)
        else:
            await self._page(w)
        if (w.after, w.mode, w.done, w.hi) == before:
            raise WalkError(
                [
                    ErrorItem(
                        "The walk made no progress",
                        f"A page of customers by {self.key} brought nothing new: the store "
                        "seems to ignore the walk's filters.",
                    )
                ]
            )

    async def _drain(self, w: _Window) -> None:
        assert w.after is not None
        filters = [*self.terms, ("eq", self.key, w.after[0]), ("gt", "id", w.after[1])]
        page = await self._list(filters, "id", self.page_size)
        self._check_tie(page.items, w.after, filters)
        self._take(w, page.items)
        if len(page.items) < self.page_size:
            w.mode = "gt"

    async def _page(self, w: _Window) -> None:
        key, size = self.key, self.page_size
        if w.after is not None:
            lower: Term | None = (w.mode, key, w.after[0])
        else:
            lower = ("ge", key, w.lo) if w.lo is not None else None
        hi = w.hi
        filters = self._bounds(lower, hi)
        page = await self._list(filters, key, size)
        rising = self._check(page.items, lower, hi, filters)
        items = page.items
        if w.after is not None and w.mode == "ge":
            # ge() repeats the ones at the boundary key already taken: skip them.
            seen = w.after
            if not rising:
                items = [c for c in items if (_stamp(c, key), c.id) > seen]
            elif items and _stamp(items[0], key) == seen[0]:
                # Stamps rising strictly: only the first can have the boundary key.
                if items[0].id <= seen[1]:
                    items = items[1:]
        w.mode = "ge"
        w.left = max(0, page.total - len(page.items))
        if w.hi != hi:
            # An idle worker took the far part of this window while the page was out.
            items = self._trim(w, items)
            w.left = None  # counted before the cut: known again after the next page
        elif not w.sized:
            w.sized = True
            if len(page.items) == size and page.total > 2 * self.window_pages * size:
                items = await self._cut(w, lower, page.total, items)
        if len(page.items) < size:
            w.done = True
        if items:
            self._take(w, items)
        elif not w.done and w.after is not None:
            # A full page of one key, all taken already: drain that key by id.
            w.mode = "tie"

    def _trim(self, w: _Window, items: list[K]) -> list[K]:
        """``items`` before ``w``'s (new) end; when some were past it, ``w`` is complete:
        the page held all of ``w`` that was left."""
        kept = [c for c in items if w.hi is None or _stamp(c, self.key) < w.hi]
        if len(kept) < len(items):
            w.done = True
        return kept

    def _insert(self, w: _Window, cuts: list[str]) -> None:
        """New windows after ``w`` from its ``cuts`` to its end; ``w`` ends at the first."""
        at = self.queue.index(w)
        bounds = [*cuts, w.hi]
        self.queue[at + 1 : at + 1] = [_Window(bounds[i], bounds[i + 1]) for i in range(len(cuts))]
        self.stats.windows += len(cuts)
        self.stats.splits += 1
        w.hi = cuts[0]
        self._notify()

    def _victim(self) -> _Window | None:
        """The window with the most customers left, when an idle worker may take half."""
        if not self.can_cut or self.stats.held + self.reserved >= self.buffer - HEAD_PAGES - 1:
            return None
        best, most = None, 0
        for w in self.queue:
            if w.done or w.cutting or w.left is None or w.mode == "tie":
                continue
            left = w.left - (self.page_size if w.busy else 0)
            if left >= 2 * self.page_size and left > most:
                best, most = w, left
        return best

    async def steal(self, w: _Window) -> None:
        """Cut ``w`` in two where half of what it has left begins (one ``page[limit]=1``
        request), so an idle worker walks the far half: the last windows of a walk do not
        leave workers idle."""
        key, size = self.key, self.page_size
        ahead = size if w.busy else 0
        assert w.left is not None
        offset = min(MAX_OFFSET, ahead + (w.left - ahead) // 2)
        if w.after is not None:
            lower: Term | None = (w.mode, key, w.after[0])
        else:
            lower = ("ge", key, w.lo) if w.lo is not None else None
        hi = w.hi
        filters = self._bounds(lower, hi)
        w.cutting = True
        try:
            probe = await self._list(filters, key, 1, offset)
        finally:
            w.cutting = False
        self._check(probe.items, lower, hi, filters)
        # Whatever comes of it, what is left is known again only after the next page: a
        # window is never probed twice on one count.
        w.left = None
        if not probe.items or w.done:
            return
        cut = _stamp(probe.items[0], key)
        floor = w.after[0] if w.after is not None else (w.lo or "")
        if cut > floor and (w.hi is None or cut < w.hi):
            self._insert(w, [cut])

    async def _cut(self, w: _Window, lower: Term | None, total: int, items: list[K]) -> list[K]:
        """Cut ``w`` where its customers are (the key at a few offsets); returns what of
        ``items`` stays in ``w``."""
        if not self.can_cut:
            return items
        key, step = self.key, self.window_pages * self.page_size
        offsets = [o for o in range(step, total, step) if o <= MAX_OFFSET]
        hi = w.hi
        filters = self._bounds(lower, hi)
        w.cutting = True
        try:
            probes = await asyncio.gather(*(self._list(filters, key, 1, o) for o in offsets))
        finally:
            w.cutting = False
        w.left = None
        floor = items[-1] if items else None
        least = _stamp(floor, key) if floor is not None else (lower[2] if lower else "")
        cuts: list[str] = []
        for probe in probes:
            self._check(probe.items, lower, hi, filters)
            if probe.items:
                cut = _stamp(probe.items[0], key)
                if cut > least and (not cuts or cut > cuts[-1]):
                    cuts.append(cut)
        if not cuts:
            return items
        self._insert(w, cuts)
        return self._trim(w, items)

    # -- the workers ----------------------------------------------------------------------

    def _pick(self) -> _Window | None:
        """The earliest window that may fetch now (see the module docstring)."""
        for i, w in enumerate(self.queue):
            if w.done or w.busy:
                continue
            if i == 0:
                if len(w.pages) < HEAD_PAGES:
                    return w
                continue
            if self.stats.held + self.reserved < self.buffer - HEAD_PAGES:
                return w
            return None
        return None

    def _finished(self) -> bool:
        return all(w.done for w in self.queue)

    async def worker(self) -> None:
        try:
            while self.error is None:
                w = self._pick()
                if w is None:
                    if self._finished():
                        return
                    victim = self._victim()
                    if victim is not None:
                        await self.steal(victim)
                    else:
                        await self._wait()
                    continue
                w.busy = True
                self.reserved += 1
                try:
                    await self.step(w)
                finally:
                    w.busy = False
                    self.reserved -= 1
                    self._notify()
        except Exception as exc:
            if self.error is None:
                self.error = exc
            self._notify()

    async def pages(self) -> AsyncGenerator[list[K], None]:
        """The pages in key order, as the workers bring them."""
        await self.start()
        tasks = [
            asyncio.create_task(self.worker(), name="flowtui.walk.worker")
            for _ in range(self.lanes.size)
        ]
        try:
            while self.queue:
                if self.error is not None:
                    raise self.error
                head = self.queue[0]
                if head.pages:
                    page = head.pages.popleft()
                    self.stats.held -= 1
                    self._notify()
                    yield page
                elif head.done and not head.busy:
                    self.queue.pop(0)
                    self._notify()
                else:
                    await self._wait()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)


def walk_pages(
    lister: CustomerLister[K],
    key: WalkKey = "created_at",
    lo: str | None = None,
    hi: str | None = None,
    *,
    terms: Sequence[Term] = (),
    page_size: int = PAGE_LIMIT,
    concurrency: int = CONCURRENCY,
    buffer: int = BUFFER_PAGES,
    windows: int | None = None,
    window_pages: int | None = None,
    stats: WalkStats | None = None,
    newest_early: bool = False,
) -> AsyncGenerator[list[K], None]:
    """Pages of the customers matching ``terms`` with ``lo <= key < hi`` (None: unbounded),
    in ``key`` order, ties by id, each customer once, with ``concurrency`` requests in flight
    and at most ``buffer`` pages held (see the module docstring).

    ``windows`` sets how many windows the range is first cut into (default: by the count,
    ``window_pages`` pages each); ``stats`` is filled in as the walk goes. With
    ``updated_at`` and no ``hi``, this is "everything changed since ``lo``": a customer
    updated during the walk moves to the end and may be seen again there. ``page_size`` is
    capped at the store's limit (100): a short page is how a window's end is recognised.
    Terms beyond eight leave no room for a window's bounds: such a walk is one chain.
    ``newest_early``: the newest key (which the first cut needs) is asked for together with
    the first page, a round trip sooner, at the cost of a request a walk of one window
    would not make.
    """
    walk = _Walk(
        lister,
        key,
        lo,
        hi,
        terms,
        page_size,
        concurrency,
        buffer,
        windows,
        window_pages,
        stats,
        newest_early,
    )
    return walk.pages()


async def iter_customers(
    lister: CustomerLister[K],
    *,
    page_size: int = PAGE_LIMIT,
    concurrency: int = CONCURRENCY,
    windows: int | None = None,
    terms: Sequence[Term] = (),
    stats: WalkStats | None = None,
) -> AsyncIterator[K]:
    """Every customer (matching ``terms``), oldest first, paged by key (created_at, then
    id), never by offset, so it walks stores of any size (see :func:`walk_pages`)."""
    pages = walk_pages(
        lister,
        terms=terms,
        page_size=page_size,
        concurrency=concurrency,
        windows=windows,
        stats=stats,
    )
    async with contextlib.aclosing(pages):  # leaving early stops the walk's workers now
        async for page in pages:
            for customer in page:
                yield customer


def walk_customers(
    lister: CustomerLister[K],
    key: WalkKey = "created_at",
    lo: str | None = None,
    hi: str | None = None,
    *,
    page_size: int = PAGE_LIMIT,
    concurrency: int = CONCURRENCY,
) -> AsyncIterator[list[K]]:
    """Pages of the customers with ``lo <= key < hi`` (None: unbounded) in ``key`` order,
    ties by id, paged by key, never by offset (see :func:`walk_pages`).

    ``key`` is ``created_at`` or ``updated_at``. With ``updated_at`` and only ``lo``, this
    is "everything changed since": a customer updated during the walk moves to the end
    and is seen again there.
    """
    return walk_pages(lister, key, lo, hi, page_size=page_size, concurrency=concurrency)


class CustomerWalks:
    """The walks as methods of a :class:`CustomerLister` (the service inherits them)."""

    def iter_customers(
        self: CustomerLister[Customer],
        *,
        page_size: int = PAGE_LIMIT,
        concurrency: int = CONCURRENCY,
        windows: int | None = None,
        terms: Sequence[Term] = (),
        stats: WalkStats | None = None,
    ) -> AsyncIterator[Customer]:
        """Every customer (matching ``terms``), oldest first, walked by key with
        ``concurrency`` requests in flight (see :func:`iter_customers`)."""
        return iter_customers(
            self,
            page_size=page_size,
            concurrency=concurrency,
            windows=windows,
            terms=terms,
            stats=stats,
        )

    def walk_customers(
        self: CustomerLister[Customer],
        key: WalkKey = "created_at",
        lo: str | None = None,
        hi: str | None = None,
        *,
        page_size: int = PAGE_LIMIT,
        concurrency: int = CONCURRENCY,
    ) -> AsyncIterator[list[Customer]]:
        """Pages of the customers with ``lo <= key < hi`` in ``key`` order, ``concurrency``
        requests in flight (see :func:`walk_customers`)."""
        return walk_customers(self, key, lo, hi, page_size=page_size, concurrency=concurrency)


def window_count(total: int, page_size: int, window_pages: int, concurrency: int) -> int:
    """How many windows a walk of ``total`` customers starts with: ``window_pages`` pages
    each, and at least one per request in flight once there are two pages for each."""
    pages = math.ceil(total / max(1, page_size))
    return max(1, math.ceil(pages / window_pages), min(concurrency, pages // 2))


def walk_requests(total: int, page_size: int = PAGE_LIMIT) -> int:
    """About how many requests a walk of ``total`` customers costs: a page per
    ``page_size`` customers, plus a short page per window and the newest key."""
    size = max(1, min(page_size, PAGE_LIMIT))
    pages = math.ceil(total / size)
    window = max(2, (BUFFER_PAGES - HEAD_PAGES) // CONCURRENCY)
    windows = window_count(total, size, window, CONCURRENCY)
    return max(1, pages) + windows + (1 if windows > 1 else 0)


def time_windows(start: str, end: str, count: int) -> list[tuple[str | None, str | None]]:
    """``count`` consecutive [lo, hi) windows covering everything (first and last open)."""
    try:
        lo, hi = parse_stamp(start), parse_stamp(end)
    except ValueError:
        return [(None, None)]
    span = (hi - lo) / count
    if count <= 1 or span < dt.timedelta(milliseconds=10):
        return [(None, None)]
    cuts = [format_stamp(lo + span * i) for i in range(1, count)]
    edges: list[str | None] = [None, *cuts, None]
    return [(edges[i], edges[i + 1]) for i in range(count)]
