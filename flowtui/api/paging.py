"""Walking every customer of a store by key, never by offset (no Textual).

EPCC caps offsets at 10,000, so a store of any size is walked by a timestamp key
(``created_at`` or ``updated_at``, ties broken by id): each page asks for the customers at or
after the last key seen. :func:`iter_customers` cuts the time span into windows walked
concurrently; :func:`walk_customers` walks one range in order. Both need only a
:class:`CustomerLister` (the :class:`~flowtui.api.service.ApiService` is one).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Iterable
from typing import Literal, Protocol

from flowtui.api.models import Customer, Page

#: The most a store returns in one page.
PAGE_LIMIT = 100

#: The keys a walk can follow.
WalkKey = Literal["created_at", "updated_at"]


class CustomerLister(Protocol):
    """What a walk needs: one page of customers for filters, a sort and a limit."""

    async def list_customers(
        self,
        *,
        filters: Iterable[tuple[str, str, str]] = (),
        sort: str | None = None,
        limit: int = PAGE_LIMIT,
        offset: int = 0,
    ) -> Page[Customer]: ...


class _Done:
    """Marks the end of a window's pages in its queue."""


_DONE = _Done()


async def iter_customers(
    lister: CustomerLister,
    *,
    page_size: int = PAGE_LIMIT,
    concurrency: int = 4,
    windows: int | None = None,
) -> AsyncIterator[Customer]:
    """Every customer, oldest first, paged by key (created_at, then id), never by offset,
    so it walks stores of any size.

    The time span is cut into windows walked by up to ``concurrency`` concurrent workers;
    each window's pages are buffered (at most two pages) and yielded in order, so memory
    stays bounded and the output is sorted. ``page_size`` is capped at the store's page
    limit (100): a short page is how a window's end is recognised.
    """
    page_size = max(1, min(page_size, PAGE_LIMIT))
    first = await lister.list_customers(sort="created_at", limit=1)
    if not first.items:
        return
    last = await lister.list_customers(sort="-created_at", limit=1)
    start, end = first.items[0].created_at, last.items[0].created_at
    bounds = time_windows(start, end, windows or max(1, concurrency * 4))
    queues: list[asyncio.Queue[list[Customer] | _Done | BaseException]] = [
        asyncio.Queue(maxsize=2) for _ in bounds
    ]
    semaphore = asyncio.Semaphore(max(1, concurrency))

    async def walk(index: int) -> None:
        lo, hi = bounds[index]
        async with semaphore:
            try:
                async for page in _walk_window(lister, lo, hi, page_size):
                    await queues[index].put(page)
                await queues[index].put(_DONE)
            except BaseException as exc:
                await queues[index].put(exc)
                raise

    tasks = [asyncio.create_task(walk(i)) for i in range(len(bounds))]
    try:
        for queue in queues:
            while True:
                page = await queue.get()
                if isinstance(page, _Done):
                    break
                if isinstance(page, BaseException):
                    raise page
                for customer in page:
                    yield customer
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def walk_customers(
    lister: CustomerLister,
    key: WalkKey = "created_at",
    lo: str | None = None,
    hi: str | None = None,
    *,
    page_size: int = PAGE_LIMIT,
) -> AsyncIterator[list[Customer]]:
    """Pages of the customers with ``lo <= key < hi`` (None: unbounded) in ``key`` order,
    ties by id, paged by key (``ge`` on the last timestamp seen), never by offset.

    ``key`` is ``created_at`` or ``updated_at``. With ``updated_at`` and only ``lo``, this
    is "everything changed since": a customer updated during the walk moves to the end
    and is seen again there.
    """
    page_size = max(1, min(page_size, PAGE_LIMIT))
    async for page in _walk_window(lister, lo, hi, page_size, key):
        yield page


def _stamp(customer: Customer, key: WalkKey) -> str:
    return customer.created_at if key == "created_at" else customer.updated_at


async def _walk_window(
    lister: CustomerLister,
    lo: str | None,
    hi: str | None,
    page_size: int,
    key: WalkKey = "created_at",
) -> AsyncIterator[list[Customer]]:
    """Pages of the customers with lo <= key < hi (None: unbounded), by key."""
    after: tuple[str, str] | None = None  # (key value, id) of the last one yielded
    while True:
        terms: list[tuple[str, str, str]] = []
        if after is None:
            if lo is not None:
                terms.append(("ge", key, lo))
        else:
            terms.append(("ge", key, after[0]))
        if hi is not None:
            terms.append(("lt", key, hi))
        page = await lister.list_customers(filters=terms, sort=key, limit=page_size)
        items = page.items
        if after is not None:
            # ge() repeats the ones at the boundary timestamp already yielded: skip them.
            seen = after
            items = [c for c in items if (_stamp(c, key), c.id) > seen]
            if not items and len(page.items) == page_size:
                # A full page of one timestamp: drain that timestamp by id instead.
                async for chunk in _drain_tie(lister, after, page_size, key):
                    yield chunk
                    after = (_stamp(chunk[-1], key), chunk[-1].id)
                terms = [("gt", key, after[0])]
                if hi is not None:
                    terms.append(("lt", key, hi))
                page = await lister.list_customers(filters=terms, sort=key, limit=page_size)
                items = page.items
        if items:
            yield items
            after = (_stamp(items[-1], key), items[-1].id)
        if len(page.items) < page_size:
            return


async def _drain_tie(
    lister: CustomerLister, after: tuple[str, str], page_size: int, key: WalkKey = "created_at"
) -> AsyncIterator[list[Customer]]:
    """Pages of the customers whose ``key`` equals ``after``'s, by id after ``after``'s."""
    while True:
        terms = [("eq", key, after[0]), ("gt", "id", after[1])]
        page = await lister.list_customers(filters=terms, sort="id", limit=page_size)
        if page.items:
            yield page.items
            after = (_stamp(page.items[-1], key), page.items[-1].id)
        if len(page.items) < page_size:
            return


def parse_stamp(value: str) -> dt.datetime:
    """A store timestamp (ISO 8601, ``Z`` for UTC) as an aware datetime."""
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def format_stamp(value: dt.datetime) -> str:
    """``value`` as the store writes timestamps: UTC, milliseconds, ``Z``."""
    value = value.astimezone(dt.UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


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
