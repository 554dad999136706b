"""The walks keep N requests really in flight (issue 14), against the real sandbox.

What the sandbox sees is counted by a small ASGI wrapper (how many ``/v2/customers`` requests
it is answering at once, at each arrival); the sandbox's own latency makes requests overlap.
No timing is asserted: the concurrency the store observed, the pages the walk held, what the
store's rate limit refused, and that every customer comes exactly once, in key order.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import random
import uuid
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest

from flowtui.api.errors import ApiError
from flowtui.api.inflight import FlightStats, gather_limited
from flowtui.api.models import Customer
from flowtui.api.paging import HEAD_PAGES, WalkError, WalkStats, walk_pages
from flowtui.api.stamps import before, plainly_inside
from flowtui.ops import bulk
from flowtui.sandbox.store import Store
from tests.conftest import make_sandbox

from .conftest import inprocess_service

WORKER = "flowtui.walk.worker"


class InFlight:
    """In front of the sandbox: how many customer-list requests it answers at once."""

    def __init__(self, app: Any, path: str = "/v2/customers") -> None:
        self.app, self.state, self.path = app, app.state, path
        self.now = 0
        self.arrivals: list[int] = []  # requests in flight (this one included) at each arrival

    @property
    def most(self) -> int:
        return max(self.arrivals, default=0)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.path):
            await self.app(scope, receive, send)
            return
        self.now += 1
        self.arrivals.append(self.now)
        try:
            await self.app(scope, receive, send)
        finally:
            self.now -= 1


class IgnoresFilters:
    """A store that ignores ``filter`` on customer lists (it still sorts and pages)."""

    def __init__(self, app: Any) -> None:
        self.app, self.state = app, app.state

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and scope["path"] == "/v2/customers":
            query = parse_qsl(scope["query_string"].decode(), keep_blank_values=True)
            kept = urlencode([(k, v) for k, v in query if k != "filter"]).encode()
            scope = {**scope, "query_string": kept}
        await self.app(scope, receive, send)


def stamp(base: dt.datetime, ms: float) -> str:
    value = base + dt.timedelta(milliseconds=ms)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def fill(store: Store, stamps: list[str], *, updated: list[str] | None = None) -> None:
    store.insert_customers(
        (
            str(uuid.uuid4()),
            f"C {i}",
            f"c{i}@example.com",
            None,
            None,
            {},
            s,
            (updated or stamps)[i],
        )
        for i, s in enumerate(stamps)
    )


def even(count: int) -> list[str]:
    """``count`` stamps a minute apart."""
    base = dt.datetime(2025, 1, 1)
    return [stamp(base, 60_000 * i) for i in range(count)]


def uneven() -> list[str]:
    """Few customers over months, a burst of 200 within a second, 120 sharing one
    millisecond, then a few more: a store time-even windows would cut badly."""
    base = dt.datetime(2025, 1, 1)
    spread = [stamp(base, 86_400_000 * d) for d in range(12)]
    burst = [stamp(base, 86_400_000 * 20 + 5 * i) for i in range(200)]
    tied = [stamp(base, 86_400_000 * 30)] * 120
    late = [stamp(base, 86_400_000 * (40 + d)) for d in range(8)]
    return spread + burst + tied + late


def truth(store: Store, key: str = "created_at") -> list[str]:
    rows, total = store.list_customers([], (key, False), 1_000_000, 0)
    assert len(rows) == total
    return [r["id"] for r in rows]


async def collect(pages) -> list[Customer]:
    return [c async for page in pages for c in page]


def assert_once_in_order(got: list[Customer], expected: list[str]) -> None:
    ids = [c.id for c in got]
    assert len(ids) == len(set(ids)), "a customer came twice"
    assert ids == expected


@pytest.fixture
def shop(store: Store) -> Store:
    fill(store, even(300))
    return store


@pytest.mark.parametrize("concurrency", [2, 5])
async def test_the_walk_keeps_n_requests_in_flight(shop, concurrency) -> None:
    counted = InFlight(make_sandbox(shop, latency_ms=50))
    stats = WalkStats()
    async with inprocess_service(counted) as service:
        pages = walk_pages(
            service, page_size=5, concurrency=concurrency, window_pages=3, stats=stats
        )
        assert_once_in_order(await collect(pages), truth(shop))
    # The store saw N at once, never more, and most requests went out beside N - 1 others
    # (the first page, the newest key and the last windows' tails are the exceptions).
    assert counted.most == concurrency == stats.most_in_flight
    full = sum(1 for n in counted.arrivals if n == concurrency)
    assert full >= 0.6 * len(counted.arrivals), counted.arrivals
    assert stats.windows >= concurrency


async def test_at_latency_zero_the_walk_is_complete_and_never_over_n(shop) -> None:
    counted = InFlight(make_sandbox(shop))
    stats = WalkStats()
    async with inprocess_service(counted) as service:
        pages = walk_pages(service, page_size=7, concurrency=3, window_pages=2, stats=stats)
        assert_once_in_order(await collect(pages), truth(shop))
    assert counted.most <= 3 and stats.most_in_flight <= 3
    assert stats.requests == len(counted.arrivals)


@pytest.mark.parametrize("key", ["created_at", "updated_at"])
@pytest.mark.parametrize("latency", [0, 20])
async def test_every_customer_once_in_order_with_ties_bursts_and_cuts(store, key, latency):
    stamps = uneven()
    # updated_at: the same shape, in another order than created_at.
    fill(store, stamps, updated=list(reversed(stamps)))
    stats = WalkStats()
    async with inprocess_service(make_sandbox(store, latency_ms=latency)) as service:
        pages = walk_pages(
            service, key, page_size=10, concurrency=4, window_pages=2, buffer=12, stats=stats
        )
        assert_once_in_order(await collect(pages), truth(store, key))
    assert stats.splits > 0, "the burst was cut where its customers are"
    assert stats.most_held <= 12


async def test_a_range_and_a_search_are_walked_within_them(shop) -> None:
    ids = truth(shop)
    rows = {r["id"]: r for r in shop.list_customers([], ("created_at", False), 1000, 0)[0]}
    lo, hi = rows[ids[40]]["created_at"], rows[ids[260]]["created_at"]
    async with inprocess_service(make_sandbox(shop)) as service:
        pages = walk_pages(service, "created_at", lo, hi, page_size=9, window_pages=2)
        assert_once_in_order(await collect(pages), ids[40:260])
        # A search: the names ending in 7 (like), its terms kept on every request.
        terms = [("like", "name", "*7")]
        found = [c.id async for c in bulk.iter_matching(service, terms, page_size=4)]
        assert found == [i for i in ids if rows[i]["name"].endswith("7")]
        # Nine terms leave no room for a window's bounds: one chain, still complete.
        nine = [("ge", "created_at", "2000-01-01T00:00:00.000Z")] * 9
        everyone = [c.id async for c in bulk.iter_matching(service, nine, page_size=50)]
        assert everyone == ids


async def test_the_buffer_never_holds_more_than_its_bound(shop) -> None:
    stats = WalkStats()
    buffer = 8
    got: list[Customer] = []
    async with inprocess_service(make_sandbox(shop)) as service:
        pages = walk_pages(
            service, page_size=5, concurrency=4, window_pages=2, buffer=buffer, stats=stats
        )
        async with contextlib.aclosing(pages):
            async for page in pages:
                got += page
                if len(got) <= 50:
                    # A slow reader: let the workers fill the buffer before reading on.
                    for _ in range(100_000):
                        if stats.held >= buffer - HEAD_PAGES and stats.in_flight == 0:
                            break
                        await asyncio.sleep(0)
                    else:
                        pytest.fail("the workers never filled the buffer")
                assert stats.held <= buffer
    assert_once_in_order(got, truth(shop))
    assert buffer - HEAD_PAGES <= stats.most_held <= buffer


@pytest.mark.parametrize("stamps", [even(60), ["2025-05-05T05:05:05.555Z"] * 60])
async def test_a_store_that_ignores_filters_raises_instead_of_looping(store, stamps) -> None:
    fill(store, stamps)
    async with inprocess_service(IgnoresFilters(make_sandbox(store))) as service:
        for windows in (None, 1):
            seen = 0
            with pytest.raises(WalkError) as caught:
                async with asyncio.timeout(60):  # a guard against a hang, not a measure
                    pages = walk_pages(service, page_size=10, windows=windows)
                    async for page in pages:
                        seen += len(page)
                        assert seen <= 60, "a customer came twice"
    assert isinstance(caught.value, ApiError)
    assert "ignored the walk's filter" in str(caught.value.errors[0].title)
    assert "filter" in caught.value.errors[0].detail


async def test_cancelling_a_walk_leaves_no_task_behind(shop) -> None:
    got: list[Customer] = []
    started = asyncio.Event()
    async with inprocess_service(make_sandbox(shop, latency_ms=20)) as service:

        async def reader() -> None:
            async for page in walk_pages(service, page_size=10, concurrency=4, window_pages=2):
                got.extend(page)
                if len(got) >= 30:
                    started.set()

        task = asyncio.create_task(reader())
        await started.wait()
        assert any(t.get_name() == WORKER for t in asyncio.all_tasks())
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert not [t for t in asyncio.all_tasks() if t.get_name() == WORKER]
        # Leaving a walk early (closing it) stops its workers too.
        pages = walk_pages(service, page_size=10, concurrency=4, window_pages=2)
        async with contextlib.aclosing(pages):
            async for _ in pages:
                break
        assert not [t for t in asyncio.all_tasks() if t.get_name() == WORKER]
        assert await service.count_customers() == 300  # the service still works


async def test_the_walk_stays_within_the_profiles_pacing(shop) -> None:
    # The store allows 20 requests a second (a token bucket): the profile says 20 too.
    app = make_sandbox(shop, rate_limit=20)
    stats = WalkStats()
    async with inprocess_service(app, rate_limit=20) as service:
        pages = walk_pages(service, page_size=10, concurrency=8, window_pages=2, stats=stats)
        assert_once_in_order(await collect(pages), truth(shop))
    assert stats.requests > 20, "enough requests to go over the store's limit unpaced"
    assert stats.most_in_flight == 8
    assert app.state.counts.rate_limited == 0


async def test_lookups_keep_n_in_flight(shop) -> None:
    counted = InFlight(make_sandbox(shop, latency_ms=30))
    ids = truth(shop)[:24]
    found: list[str] = []
    stats = FlightStats()
    async with inprocess_service(counted) as service:

        async def one(customer_id: str) -> None:
            found.append((await service.get_customer(customer_id)).id)

        jobs = [lambda i=i: one(i) for i in ids]
        await gather_limited(jobs, 6, stats)
    assert sorted(found) == sorted(ids)
    assert counted.most == 6 == stats.most_in_flight
    assert sum(1 for n in counted.arrivals if n == 6) >= len(ids) // 2


@pytest.mark.parametrize("form", ["%Y-%m-%dT%H:%M:%S.%fZ", "%Y-%m-%dT%H:%M:%SZ"])
async def test_timestamps_in_another_precision_are_walked_without_a_false_alarm(store, form):
    # A store writing microseconds (or whole seconds): the walk's cuts are milliseconds, so
    # its checks must not take text order for time order.
    base = dt.datetime(2025, 1, 1)
    stamps = [
        (base + dt.timedelta(seconds=i, microseconds=7 * i)).strftime(form) for i in range(200)
    ]
    fill(store, stamps)
    async with inprocess_service(make_sandbox(store)) as service:
        pages = walk_pages(service, page_size=10, concurrency=4, window_pages=2)
        assert_once_in_order(await collect(pages), truth(store))


class Reverses:
    """A store that answers customer lists of more than one in the opposite order."""

    def __init__(self, app: Any) -> None:
        self.app, self.state = app, app.state

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["path"] != "/v2/customers":
            await self.app(scope, receive, send)
            return
        parts: list[bytes] = []

        async def keep(message) -> None:
            if message["type"] == "http.response.body":
                parts.append(message.get("body", b""))
                if not message.get("more_body"):
                    body = json.loads(b"".join(parts))
                    body["data"].reverse()
                    await send({"type": "http.response.body", "body": json.dumps(body).encode()})
            else:
                headers = [(k, v) for k, v in message["headers"] if k != b"content-length"]
                await send({**message, "headers": headers})

        await self.app(scope, receive, keep)


async def test_a_page_out_of_order_in_the_stores_own_form_is_refused(store) -> None:
    fill(store, even(60))
    async with inprocess_service(Reverses(make_sandbox(store))) as service:
        with pytest.raises(WalkError) as caught:
            await collect(walk_pages(service, page_size=10))
    assert "customers out of order" in caught.value.errors[0].detail


def checked_one_by_one(stamps: list[str], lower: tuple[str, str, str] | None, hi: str | None):
    """Whether the walk's check, customer by customer, passes ``stamps`` (distinct ids in
    order, so only the stamps decide)."""
    previous = None
    for s in stamps:
        if not s:
            return False
        if lower is not None and (before(s, lower[2]) or (lower[0] == "gt" and s == lower[2])):
            return False
        if hi is not None and not before(s, hi, certain=False):
            return False
        if previous is not None and before(s, previous):
            return False
        previous = s
    return True


def test_the_quick_check_of_a_page_never_passes_what_the_one_by_one_check_refuses() -> None:
    rng = random.Random(14)
    pool = [f"2025-01-01T00:00:0{i}.000Z" for i in range(10)] + [
        "2025-01-01T00:00:03.5Z",
        "2025-01-01T00:00:04Z",
        "",
    ]
    passed = 0
    for _ in range(5000):
        stamps = sorted(rng.choices(pool, k=rng.randint(0, 6)))
        if rng.random() < 0.3:
            rng.shuffle(stamps)
        lower = (rng.choice(["ge", "gt"]), "created_at", rng.choice(pool[:11]))
        low = lower if rng.random() < 0.8 else None
        hi = rng.choice([None, *pool[:11]])
        if plainly_inside(stamps, low, hi):
            passed += 1
            assert checked_one_by_one(stamps, low, hi), (stamps, low, hi)
    assert passed > 100  # the quick check does pass the usual page
