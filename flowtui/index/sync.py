"""Keeping the local index in step with the store (no Textual).

* **Full sync** (first time, ``--full``, another store, or the customers flow's fields changed
  in a way that changes values without moving ``updated_at``): every customer is walked by
  created_at windows concurrently (:meth:`ApiService.iter_customers`) into a new file that
  replaces the old one when complete; then an incremental pass from the newest ``updated_at``
  seen *before* the walk picks up whatever changed during it.
* **Incremental sync**: the customers with ``updated_at >= watermark``, paged by key
  (``ge(updated_at, …)``, sorted by updated_at, ties drained by id; never an offset past the
  first page, except the few ``page[limit]=1`` look-ups that cut a very uneven range), with
  ``concurrency`` requests in flight and the pages still in order
  (:func:`flowtui.api.paging.walk_pages`), are written in one transaction per page, and the
  watermark moves to the newest one seen.
* **Deletes** leave nothing to find by ``updated_at``: after an incremental sync the store's
  customer count is compared with the index's. When they differ, the created_at span is cut
  into windows; a window whose counts agree is skipped, one that differs is halved until it
  holds at most a few pages, which are then fetched and compared id by id (customers gone
  from the store leave the index). A few deletes among 100,000 customers cost a few dozen
  count requests (``concurrency`` in flight, each round of halving at once), not a full
  walk. A delete and a create in the same window between two syncs
  would cancel out in the counts; ``--full`` rebuilds from scratch.

One sync at a time per index, across processes: every sync holds the index's lock
(:func:`flowtui.config._files.locked`), so four ``flowtui index sync`` started together, or a
command-line sync while the app syncs in the background, run one after the other; each decides
between a full and an incremental sync only once it holds the lock (so the three that waited
find the first one's index and only catch up). A sync that waits longer than ``wait`` seconds
stops with :class:`~flowtui.config._files.LockTimeout`, one sentence saying to wait. A full
build writes a private file of its own and only a finished build replaces the index.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

from flowtui.api.inflight import Lanes
from flowtui.api.models import Customer
from flowtui.api.paging import format_stamp, parse_stamp, time_windows
from flowtui.api.service import ApiService
from flowtui.config._files import locked
from flowtui.index.store import CustomerIndex
from flowtui.index.writer import fields_meta, fields_signature

Progress = Callable[[int, int], None]
#: A window with at most this many customers is fetched rather than halved again.
SMALL_WINDOW = 500
BATCH = 2000  # customers per transaction in a full build
#: Seconds a sync waits for another process's sync of the same index before it gives up.
LOCK_WAIT = 120.0


@dataclass(frozen=True, slots=True)
class SyncResult:
    mode: str  # "full" or "incremental"
    fetched: int  # customers new or changed since the last sync (written)
    deleted: int  # customers removed because the store no longer has them
    count: int  # customers in the index afterwards
    seconds: float
    reconciled: bool = False  # the counts differed and ids were compared


def _noop(_done: int, _total: int) -> None:
    return None


async def sync_index(
    index: CustomerIndex,
    service: ApiService,
    *,
    progress: Progress | None = None,
    full: bool = False,
    concurrency: int = 4,
    wait: float | None = None,
) -> SyncResult:
    """Bring ``index`` up to date with ``service``'s store (see the module docstring); waits
    up to ``wait`` seconds (default :data:`LOCK_WAIT`) for a sync of the same index running
    in another process."""
    async with sync_lock(index.path, LOCK_WAIT if wait is None else wait):
        return await _sync(index, service, progress, full, concurrency)


@contextlib.asynccontextmanager
async def sync_lock(path: Path, wait: float = LOCK_WAIT) -> AsyncIterator[None]:
    """Hold the lock of the index at ``path`` (across processes) without blocking the event
    loop while waiting for it."""
    lock = locked(path, timeout=wait, what=f"the search index {path.name}")
    taking = asyncio.ensure_future(asyncio.to_thread(lock.__enter__))
    try:
        await asyncio.shield(taking)
    except BaseException:
        # Cancelled while waiting: the thread may still get the lock; let it go at once.
        def release(done: asyncio.Future) -> None:
            if not done.cancelled() and done.exception() is None:
                lock.__exit__(None, None, None)

        taking.add_done_callback(release)
        raise
    try:
        yield
    finally:
        lock.__exit__(None, None, None)


async def _sync(
    index: CustomerIndex,
    service: ApiService,
    progress: Progress | None,
    full: bool,
    concurrency: int,
) -> SyncResult:
    started = time.monotonic()
    progress = progress or _noop
    fields = await service.value_fields("customers")
    signature = fields_signature(fields)
    needs_full = (
        full
        or not index.meta("synced_at")
        or index.meta("fields_sig") != signature
        or index.meta("base_url") != service.base_url
    )
    if needs_full:
        fetched = await _full(index, service, fields, signature, progress, concurrency)
        extra, deleted, reconciled = await _incremental(index, service, None, concurrency)
        mode = "full"
        fetched += extra
    else:
        index.set_meta(fields=fields_meta(fields))  # names may have changed
        fetched, deleted, reconciled = await _incremental(index, service, progress, concurrency)
        mode = "incremental"
    index.set_meta(synced_at=repr(time.time()))
    return SyncResult(mode, fetched, deleted, index.count(), time.monotonic() - started, reconciled)


async def _full(
    index: CustomerIndex,
    service: ApiService,
    fields: list,
    signature: str,
    progress: Progress,
    concurrency: int,
) -> int:
    # The newest change before the walk starts: anything changed during the walk is newer,
    # so the incremental pass that follows finds it.
    newest = await service.list_customers(sort="-updated_at", limit=1)
    total = newest.total
    watermark = newest.items[0].updated_at if newest.items else ""
    builder = index.builder(fields)
    pending: asyncio.Future | None = None
    try:
        progress(0, total)
        batch: list[Customer] = []
        done = 0
        async for customer in service.iter_customers(concurrency=concurrency):
            batch.append(customer)
            done += 1
            if len(batch) >= BATCH:
                if pending is not None:
                    await pending
                # Written in a thread while the next pages arrive.
                pending = asyncio.ensure_future(asyncio.to_thread(builder.add, batch))
                batch = []
            if done % 100 == 0:
                progress(done, max(total, done))
        if pending is not None:
            await pending
            pending = None
        await asyncio.to_thread(builder.add, batch)
        progress(done, max(total, done))
        meta = {
            "base_url": service.base_url,
            "fields": fields_meta(fields),
            "fields_sig": signature,
            "watermark": watermark,
            "full_synced_at": repr(time.time()),
        }
        await asyncio.to_thread(builder.finish, meta)
    except BaseException:
        if pending is not None:
            pending.cancel()
            await asyncio.gather(pending, return_exceptions=True)
        builder.discard()
        raise
    await asyncio.to_thread(index.install, builder)
    return builder.count


async def _incremental(
    index: CustomerIndex, service: ApiService, progress: Progress | None, concurrency: int
) -> tuple[int, int, bool]:
    """(customers fetched, customers deleted, whether ids were reconciled)."""
    since = index.meta("watermark") or None
    total = 0
    if progress is not None:
        terms = [("ge", "updated_at", since)] if since else []
        total = await service.count_customers(terms)
        progress(0, total)
    newest = since or ""
    fetched = read = 0
    pending: asyncio.Future | None = None  # the previous page, being written in a thread
    pending_newest = newest

    async def written() -> None:
        nonlocal fetched, pending
        if pending is not None:
            fetched += await pending
            pending = None
            # Recorded page by page: an interrupted sync resumes where it stopped.
            index.set_meta(watermark=pending_newest)

    try:
        pages = service.walk_customers("updated_at", since, concurrency=concurrency)
        async for page in pages:
            await written()
            newest = max(newest, page[-1].updated_at)
            pending, pending_newest = (
                asyncio.ensure_future(asyncio.to_thread(index.upsert, page)),
                newest,
            )
            read += len(page)
            if progress is not None:
                progress(read, max(total, read))
        await written()
    finally:
        if pending is not None:  # a thread cannot be stopped: let it finish
            await asyncio.gather(pending, return_exceptions=True)
    deleted, reconciled = 0, False
    if await service.count_customers() != index.count():
        deleted = await reconcile(index, service, concurrency)
        reconciled = True
    return fetched, deleted, reconciled


async def reconcile(index: CustomerIndex, service: ApiService, concurrency: int = 4) -> int:
    """Make the index hold exactly the store's customers by comparing counts in created_at
    windows (see the module docstring), ``concurrency`` counts in flight; returns how many
    were deleted from the index."""
    first, last = await asyncio.gather(
        service.list_customers(sort="created_at", limit=1),
        service.list_customers(sort="-created_at", limit=1),
    )
    if not first.items or not last.items:
        return index.delete_ids(index.ids_between(None, None))
    start, end = first.items[0].created_at, last.items[0].created_at
    windows = time_windows(start, end, 16)
    deleted = 0
    lanes = Lanes(concurrency)
    while windows:
        batch, windows = windows, []
        counts = await asyncio.gather(
            *(lanes.run(functools.partial(service.count_customers, _terms(*w))) for w in batch)
        )
        for (lo, hi), in_store in zip(batch, counts, strict=True):
            if in_store == index.count_between(lo, hi):
                continue
            halves = None if in_store <= SMALL_WINDOW else _halve(lo or start, hi or end)
            if halves is None:
                seen: set[str] = set()
                async for page in service.walk_customers("created_at", lo, hi):
                    await asyncio.to_thread(index.upsert, page)
                    seen.update(c.id for c in page)
                gone = index.ids_between(lo, hi) - seen
                deleted += await asyncio.to_thread(index.delete_ids, gone)
            else:
                mid = halves
                windows += [(lo, mid), (mid, hi)]
    return deleted


def _terms(lo: str | None, hi: str | None) -> list[tuple[str, str, str]]:
    terms = []
    if lo is not None:
        terms.append(("ge", "created_at", lo))
    if hi is not None:
        terms.append(("lt", "created_at", hi))
    return terms


def _halve(lo: str, hi: str) -> str | None:
    """The timestamp halfway between ``lo`` and ``hi``; None when they are too close."""
    try:
        a, b = parse_stamp(lo), parse_stamp(hi)
    except ValueError:
        return None
    mid = format_stamp(a + (b - a) / 2)
    return mid if lo < mid < hi else None
