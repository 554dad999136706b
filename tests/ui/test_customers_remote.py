"""The customer browser against a store that is far away (issue 14), at 0 and 150 ms of
latency, counting what reaches the sandbox: a revisited page costs no request, an old one is
revalidated in the background, the next page is prefetched (and the prefetch gives way to
what the user asks for), page keys during a load coalesce, pacing holds, start-up sends its
independent requests together, and a search shows the local index's answer first."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from flowtui.ops.connect import service_for
from flowtui.ui.logic.pager import CACHE_PAGES
from tests.conftest import CLIENT_ID
from tests.ui.conftest import (
    PROFILE,
    build_app,
    logged_in_app,
    seeded_sandbox,
    settle,
    type_burst,
    until,
    wait_for_customers,
)

LATENCIES = [0, 150]


@dataclass
class Sent:
    method: str
    path: str
    query: dict[str, list[str]]
    started: float
    ended: float | None = None
    outcome: str = "open"  # open | done | cancelled


@dataclass
class Recorder:
    """An ASGI wrapper around the sandbox that notes every request, when it started and
    ended, and how many customer pages were on their way at once."""

    app: Any
    sent: list[Sent] = field(default_factory=list)
    in_flight: int = 0
    most_in_flight: int = 0

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/_sandbox/"):
            await self.app(scope, receive, send)
            return
        query = parse_qs(scope.get("query_string", b"").decode())
        record = Sent(scope["method"], scope["path"], query, time.monotonic())
        self.sent.append(record)
        pages = scope["path"] == "/v2/customers" and scope["method"] == "GET"
        if pages:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await self.app(scope, receive, send)
            record.outcome = "done"
        except asyncio.CancelledError:
            record.outcome = "cancelled"
            raise
        finally:
            record.ended = time.monotonic()
            if pages:
                self.in_flight -= 1

    @property
    def state(self) -> Any:
        return self.app.state

    def pages(self, since: int = 0) -> list[Sent]:
        """The customer pages asked for since the ``since``-th request."""
        return [s for s in self.sent[since:] if s.path == "/v2/customers" and s.method == "GET"]


def offsets(sent: list[Sent]) -> list[int]:
    return [int(s.query["page[offset]"][0]) for s in sent]


def statuses(view) -> list[str]:
    """Every text the view's status line shows from now on (the list grows)."""
    seen: list[str] = []

    def note(text: str) -> None:
        seen.append(text)

    view.watch(view, "status_line", note, init=False)
    return seen


def status(app) -> str:
    return str(app.screen.query_one("#customers-status").render())


def recorded(n: int, latency: int, **config: Any) -> Recorder:
    sandbox = seeded_sandbox(n, **config)
    sandbox.state.config.latency_ms = latency
    return Recorder(sandbox)


@pytest.fixture
def far():
    """Makes recorded sandboxes and closes their stores afterwards."""
    made: list[Recorder] = []

    def make(n: int = 250, latency: int = 0, **config: Any) -> Recorder:
        recorder = recorded(n, latency, **config)
        made.append(recorder)
        return recorder

    yield make
    for recorder in made:
        recorder.state.store.close()


async def raw_rename(recorder: Recorder, customer_id: str, name: str) -> None:
    """Change a customer behind flowtui's back (another user, elsewhere)."""
    transport = httpx.ASGITransport(app=recorder.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox.test") as client:
        form = {
            "grant_type": "client_credentials",
            "client_id": CLIENT_ID,
            "client_secret": recorder.state.config.client_secret,
        }
        token = (await client.post("/oauth/access_token", data=form)).json()["access_token"]
        r = await client.put(
            f"/v2/customers/{customer_id}",
            json={"data": {"type": "customer", "name": name}},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert r.status_code == 200, r.text


@pytest.mark.parametrize("latency", LATENCIES)
async def test_a_cache_hit_sends_no_request_and_the_next_page_is_prefetched(far, latency):
    sandbox = far(latency=latency)
    app = logged_in_app(sandbox)
    async with app.run_test(size=(120, 36)) as pilot:
        view = await wait_for_customers(pilot)
        # the first page, then the next one fetched ahead, nothing else
        assert offsets(sandbox.pages()) == [0, 100]
        mark = len(sandbox.sent)
        await pilot.press("pagedown")  # prefetched: on screen at once
        assert view.page.offset == 100 and status(app) == "101-200 of 250 customers"
        await settle(pilot)
        assert offsets(sandbox.pages(mark)) == [200]  # the page after it, ahead
        mark = len(sandbox.sent)
        await pilot.press("pageup", "pagedown", "pagedown", "pageup")
        assert view.page.offset == 100
        await settle(pilot)
        assert sandbox.pages(mark) == []  # every one of them from the cache


@pytest.mark.parametrize("latency", LATENCIES)
async def test_an_old_cached_page_says_its_age_and_is_revalidated(far, latency):
    sandbox = far(latency=latency)
    app = logged_in_app(sandbox)
    async with app.run_test(size=(120, 36)) as pilot:
        view = await wait_for_customers(pilot)
        first = view.highlighted()
        await pilot.press("pagedown")
        await settle(pilot)
        await raw_rename(sandbox, first.id, "Changed Elsewhere")
        cache = view.pager.cache
        fetched = cache.get(view.pager.query_for(0)).fetched_at
        cache.clock = lambda: fetched + 45  # the first page is 45 s old now (the others too)
        mark = len(sandbox.sent)
        seen = statuses(view)
        names_then: list[str] = []
        view.watch(
            view, "status_line", lambda _: names_then.append(view.highlighted().name), init=False
        )
        await pilot.press("pageup")
        assert view.page.offset == 0
        await until(pilot, lambda: view.highlighted().name == "Changed Elsewhere")
        await settle(pilot)
        # shown from the cache at once, saying how old it is, then as fetched again
        assert seen == [
            "1-100 of 250 customers · as of 45 s ago, refreshing…",
            "1-100 of 250 customers",
        ]
        assert names_then[0] == first.name  # the cached row, until the fresh answer came
        # the page on screen once, first; then its neighbour, which is as old
        assert offsets(sandbox.pages(mark)) == [0, 100]
        assert str(view.table.get_cell(first.id, "name")) == "Changed Elsewhere"


async def test_a_prefetch_gives_way_to_the_page_the_user_asks_for(far):
    sandbox = far(1_000, latency=150)
    app = logged_in_app(sandbox)
    async with app.run_test(size=(120, 36)) as pilot:
        view = await wait_for_customers(pilot)
        sandbox.state.config.latency_ms = 1_000  # the prefetch is still on its way at G
        mark = len(sandbox.sent)
        await pilot.press("pagedown")
        await until(pilot, lambda: view.fetcher.background is not None)  # page 3 ahead
        await pilot.press("G")  # the last page: not cached, so the prefetch is cancelled
        await until(pilot, lambda: view.page.offset == 900)
        await settle(pilot)
        pages = sandbox.pages(mark)
        ahead = next(s for s in pages if offsets([s]) == [200])
        last = next(s for s in pages if offsets([s]) == [900])
        assert ahead.outcome == "cancelled" and last.outcome == "done"
        assert ahead.ended is not None and ahead.ended <= last.started + 0.05
        assert sandbox.most_in_flight <= 2


@pytest.mark.parametrize("latency", LATENCIES)
async def test_five_page_downs_land_on_page_six_in_at_most_six_requests(far, latency):
    sandbox = far(1_000, latency=latency)
    app = logged_in_app(sandbox)
    async with app.run_test(size=(120, 36)) as pilot:
        view = await wait_for_customers(pilot)
        mark = len(sandbox.sent)
        await pilot.press(*["pagedown"] * 5)
        await until(pilot, lambda: view.page.offset == 500)
        await settle(pilot)
        assert status(app) == "501-600 of 1,000 customers"
        pages = offsets(sandbox.pages(mark))
        assert len(pages) <= 6 and len(set(pages)) == len(pages), pages
        assert sandbox.most_in_flight <= 2  # the page waited on, and one ahead at most


async def test_held_page_down_keeps_to_the_pacing(far):
    """The profile's pacing (here 10 requests/s, 2 at once) holds however fast keys come;
    a store limited to 10/s never answers 429."""
    sandbox = far(3_000, latency=0, rate_limit=10)
    profiles_app = logged_in_app(sandbox)

    def paced(resolved, **kw):
        transport = httpx.ASGITransport(app=sandbox)
        return service_for(resolved, transport=transport, rate_limit=10, **kw)

    app = build_app(sandbox, profiles=profiles_app.profiles, resolved=profiles_app.initial)
    app.service_factory = paced
    async with app.run_test(size=(120, 36)) as pilot:
        view = await wait_for_customers(pilot)
        for _ in range(25):
            await pilot.press("pagedown")
            await pilot.pause(0.02)
        await until(pilot, lambda: view.pager.pending is None and view.page.offset > 0)
        await settle(pilot)
        assert sandbox.state.counts.rate_limited == 0
        starts = [s.started for s in sandbox.sent]
        # at most rate + burst (10 + 2) requests start in any one second
        assert max(sum(1 for t in starts if s <= t < s + 1) for s in starts) <= 12
        pages = offsets(sandbox.pages())
        assert len(set(pages)) == len(pages)  # and never the same page twice


async def test_memory_stays_bounded_over_many_page_turns(far):
    sandbox = far(1_000, latency=0)
    app = logged_in_app(sandbox)
    async with app.run_test(size=(120, 36)) as pilot:
        view = await wait_for_customers(pilot)
        for _ in range(3):  # three sorts of ten pages each: more than the cache holds
            await pilot.press(*["pagedown"] * 9)
            await until(pilot, lambda: view.page.offset == 900)
            await settle(pilot)
            await pilot.press("s")
            await until(pilot, lambda: view.page.offset == 0 and view.state == "loaded")
        assert len(view.pager.cache) <= CACHE_PAGES
        assert not view.fetcher.tasks and view.fetcher.waiting == 0


@pytest.mark.parametrize("latency", LATENCIES)
async def test_start_up_sends_fields_and_first_page_with_the_log_in(far, latency):
    sandbox = far(latency=latency)
    app = logged_in_app(sandbox)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for_customers(pilot)
        sent = sandbox.sent
        token = next(s for s in sent if s.path == "/oauth/access_token")
        verify = next(s for s in sent if s.path == "/v2/flows")
        fields = next(s for s in sent if s.path == "/v2/flows/customers/fields")
        first = sandbox.pages()[0]
        assert sum(1 for s in sent if s.path == "/oauth/access_token") == 1
        # after the token, the three go out together: none waits for another's answer
        for request in (verify, fields, first):
            assert token.ended is not None and request.started >= token.ended
        assert sent.index(first) <= 3 and len(sandbox.pages()) == 2  # the first, one ahead
        if latency:  # (at 0 ms each is answered before the next one is sent)
            assert first.started < verify.ended and first.started < fields.ended


async def test_a_failure_at_start_up_gives_one_message(far):
    sandbox = far(latency=0)

    async def refuse_fields(scope, receive, send):
        if scope["type"] == "http" and scope["path"] == "/v2/flows/customers/fields":
            body = b'{"errors": [{"status": 400, "title": "Bad Request", "detail": "no"}]}'
            headers = [(b"content-type", b"application/json")]
            await send({"type": "http.response.start", "status": 400, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        await sandbox(scope, receive, send)

    refuse_fields.state = sandbox.state  # type: ignore[attr-defined]
    profiles_app = logged_in_app(sandbox)
    app = build_app(refuse_fields, profiles=profiles_app.profiles, resolved=profiles_app.initial)
    async with app.run_test(size=(120, 36)) as pilot:
        view = await until_view(pilot)
        await until(pilot, lambda: view.state == "error")
        await settle(pilot)
        assert status(app).startswith("Could not load customers:")
        assert not [s for s in sandbox.sent if s.path == "/v2/customers/fields"]
        assert len(app._notifications) == 1


async def until_view(pilot):
    from flowtui.ui.screens.main import MainScreen
    from tests.ui.conftest import customers_view

    await until(pilot, lambda: isinstance(pilot.app.screen, MainScreen))
    return customers_view(pilot.app)


@pytest.mark.parametrize("latency", LATENCIES)
async def test_a_search_shows_the_local_index_first_marked_as_local(far, latency):
    from flowtui.index import CustomerIndex, index_path, sync_index
    from tests.ui.conftest import factory_for

    sandbox = far(latency=latency)
    profiles_app = logged_in_app(sandbox)
    async with factory_for(sandbox)(profiles_app.initial) as service:
        index = CustomerIndex(index_path(PROFILE))
        await sync_index(index, service)
        index.close()
    app = build_app(sandbox, profiles=profiles_app.profiles, resolved=profiles_app.initial)
    async with app.run_test(size=(120, 36)) as pilot:
        view = await wait_for_customers(pilot)
        sandbox.state.config.latency_ms = 300 + latency  # the store is slower than the index
        seen = statuses(view)
        local_rows: list[list[str]] = []

        def noted(text: str) -> None:
            if text.startswith("local index:"):
                local_rows.append([str(c) for c in view.table.get_column("name")])

        view.watch(view, "status_line", noted, init=False)
        await type_burst(pilot, "/knope\r")  # one search, for "knope" (not "kn" on the way)
        await until(pilot, lambda: view.state == "loaded" and not status(app).startswith("local"))
        await settle(pilot)
        local = [text for text in seen if text.startswith("local index:")]
        assert len(local) == 1 and seen.index(local[0]) < len(seen) - 1  # then the store's
        assert "waiting for the store's answer" in local[0]
        assert local_rows[0] and all("knope" in n.lower() for n in local_rows[0])
        total = int(status(app).split(" of ")[1].split()[0])
        assert local[0].startswith(f"local index: {total} matches")


# -- snapshots ---------------------------------------------------------------------------


def test_snapshot_an_old_cached_page_refreshing(snap_compare, far):
    """A page shown from the cache, 45 s old, while the store is asked again."""
    sandbox = far()
    app = logged_in_app(sandbox)

    async def run_before(pilot) -> None:
        view = await wait_for_customers(pilot)
        await pilot.press("pagedown")
        await settle(pilot)
        cache = view.pager.cache
        fetched = cache.get(view.pager.query_for(0)).fetched_at
        cache.clock = lambda: fetched + 45
        sandbox.state.config.latency_ms = 60_000  # held until the app exits
        await pilot.press("pageup")
        await until(pilot, lambda: "refreshing" in status(app))
        await pilot.pause()

    assert snap_compare(app, terminal_size=(120, 36), run_before=run_before)


def test_snapshot_a_search_answered_by_the_local_index_first(snap_compare, far):
    from flowtui.index import CustomerIndex, index_path, sync_index
    from tests.ui.conftest import factory_for

    sandbox = far()
    profiles_app = logged_in_app(sandbox)

    async def build_index() -> None:
        async with factory_for(sandbox)(profiles_app.initial) as service:
            index = CustomerIndex(index_path(PROFILE))
            await sync_index(index, service)
            index.close()

    asyncio.run(build_index())
    app = build_app(sandbox, profiles=profiles_app.profiles, resolved=profiles_app.initial)

    async def run_before(pilot) -> None:
        await wait_for_customers(pilot)
        sandbox.state.config.latency_ms = 60_000  # the store's answer is held
        await type_burst(pilot, "/knope\r")
        await until(pilot, lambda: status(app).startswith("local index:"))
        await pilot.pause()

    assert snap_compare(app, terminal_size=(120, 36), run_before=run_before)
