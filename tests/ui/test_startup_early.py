"""Start-up as ``flowtui`` does it (issue 14): the log-in check, the customers flow's fields
and the first page are sent before the app exists (ui/logic/early.py, while the cli imports
the UI), and the app takes them over. At 0 and 150 ms: with a cached token the first page
costs those three requests and nothing else; a bad secret, a store that is down and a cached
token the store refuses each end in one message (or one new log-in), never in a toast."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from flowtui.config.profiles import Profile, ProfileStore
from flowtui.config.resolve import Resolved
from flowtui.config.secrets import CachedToken, secret_store
from flowtui.ops.connect import service_for
from flowtui.sandbox.server import BackgroundServer
from flowtui.ui.app import FlowApp
from flowtui.ui.logic.early import Early, begin
from flowtui.ui.screens.login import LoginScreen
from tests.api.conftest import FAST
from tests.conftest import CLIENT_ID, CLIENT_SECRET
from tests.ui.conftest import (
    PROFILE,
    customers_loaded,
    factory_for,
    save_profile,
    seeded_sandbox,
    until,
    wait_for_customers,
    workers_done,
)
from tests.ui.test_customers_remote import LATENCIES, Recorder, recorded

TOKEN = "/oauth/access_token"


@pytest.fixture
def far() -> Iterator[Any]:
    made: list[Recorder] = []

    def make(latency: int) -> Recorder:
        made.append(recorded(250, latency))
        return made[-1]

    yield make
    for recorder in made:
        recorder.state.store.close()


def app_for(early: Early, profiles: ProfileStore, sandbox: Any) -> FlowApp:
    return FlowApp(
        profiles,
        resolved=early.resolved,
        early=early,
        service_factory=factory_for(sandbox),
        cursor_blink=False,
    )


async def cached_token(sandbox: Any, resolved: Resolved) -> None:
    """Log in once, as an earlier run did: the token is in the profile's credentials."""
    service = factory_for(sandbox)(resolved)
    async with service:
        await service.login()
    assert secret_store(resolved.profile).get_token(PROFILE) is not None


def login_message(app: FlowApp) -> str:
    return str(app.screen.query_one("#login-message").render())


@pytest.mark.parametrize("latency", LATENCIES)
async def test_the_first_page_is_what_was_sent_before_the_app_existed(far, latency):
    sandbox = far(latency)
    profiles = ProfileStore()
    resolved = save_profile(profiles)
    await cached_token(sandbox, resolved)
    sandbox.sent.clear()
    early = begin(resolved, factory=factory_for(sandbox))
    await until_sent(sandbox, 3)  # on their way with no app yet
    assert sorted(s.path for s in sandbox.sent) == [
        "/v2/customers",
        "/v2/flows",
        "/v2/flows/customers/fields",
    ]
    app = app_for(early, profiles, sandbox)
    async with app.run_test(size=(120, 36)) as pilot:
        view = await wait_for_customers(pilot)
        assert [type(s).__name__ for s in app.screen_stack] == ["SplashScreen", "MainScreen"]
        assert view.table.row_count == 100 and app.service is early.service
        paths = [s.path for s in sandbox.sent]
        assert TOKEN not in paths
        assert paths.count("/v2/flows/customers/fields") == 1  # the view took the early one
        # (a second /v2/flows may follow: the flows view reads its list a second after start)
        assert sandbox.pages()[0] is next(s for s in sandbox.sent if s.path == "/v2/customers")
        assert len(sandbox.pages()) == 2  # the first page and one ahead, nothing again
        assert not app._notifications


async def until_sent(sandbox: Recorder, n: int) -> None:
    for _ in range(500):
        if len(sandbox.sent) >= n:
            return
        await asyncio.sleep(0.002)
    raise AssertionError(f"only {len(sandbox.sent)} requests sent")


@pytest.mark.parametrize("latency", LATENCIES)
async def test_a_bad_secret_gives_one_message_and_one_login(far, latency):
    sandbox = far(latency)
    profiles = ProfileStore()
    resolved = save_profile(profiles, secret="stale")
    early = begin(resolved, factory=factory_for(sandbox))
    app = app_for(early, profiles, sandbox)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, LoginScreen))
        await workers_done(app)
        await pilot.pause()
        assert app.screen.mode == "first"
        assert login_message(app).startswith(f"Could not log in with profile {PROFILE}")
        # Nothing but log-ins reached the store; at 150 ms the three requests wait for the
        # same log-in and share its failure: one. (In-process at 0 ms each request's log-in is
        # answered before the next request starts, so nothing is in flight together there;
        # tests/api/test_auth_shared_failure.py shows one log-in at 0 ms over loopback.)
        paths = [s.path for s in sandbox.sent]
        assert set(paths) == {TOKEN}
        if latency:
            assert paths == [TOKEN]
        assert not app._notifications and app.service is None


async def test_a_store_that_is_down_gives_one_message():
    with socket.socket() as probe:  # a loopback port nothing listens on
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}"
    profiles = ProfileStore()
    profile = Profile(name=PROFILE, base_url=url, client_id="id")
    profiles.save(profile)
    resolved = Resolved(profile=profile, secret="secret", source="profile")
    early = begin(resolved, factory=lambda r, **kw: service_for(r, retry=FAST, **kw))
    app = FlowApp(profiles, resolved=resolved, early=early, cursor_blink=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, LoginScreen), timeout=20)
        await workers_done(app)
        await pilot.pause()
        message = login_message(app)
        assert message.startswith(f"Could not log in with profile {PROFILE}"), message
        assert "Traceback" not in message
        assert not app._notifications and app.service is None


@pytest.mark.parametrize("latency", LATENCIES)
async def test_a_refused_cached_token_costs_one_login_and_no_message(far, latency):
    sandbox = far(latency)
    profiles = ProfileStore()
    resolved = save_profile(profiles)
    refused = CachedToken("the-store-restarted-since", 4_102_444_800.0, "client_credentials")
    secret_store(resolved.profile).set_token(PROFILE, refused)
    early = begin(resolved, factory=factory_for(sandbox))
    app = app_for(early, profiles, sandbox)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for_customers(pilot)
        assert customers_loaded(app)
        assert [s.path for s in sandbox.sent].count(TOKEN) == 1
        assert not app._notifications
        assert not any(isinstance(s, LoginScreen) for s in app.screen_stack)
    token = secret_store(resolved.profile).get_token(PROFILE)
    assert token is not None and token.access_token != refused.access_token


async def test_an_early_session_for_another_profile_is_not_taken(far):
    """The app takes an early session only for the profile it opens (identity, not name)."""
    sandbox = far(0)
    profiles = ProfileStore()
    resolved = save_profile(profiles)
    early = begin(resolved, factory=factory_for(sandbox))
    other = Resolved(profile=resolved.profile, secret=resolved.secret, source="profile")
    app = FlowApp(
        profiles,
        resolved=other,
        early=early,
        service_factory=factory_for(sandbox),
        cursor_blink=False,
    )
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for_customers(pilot)
        assert app.service is not early.service
    await early.abandon()
    assert early.verified.done()


async def test_left_tells_when_the_early_requests_are_in_the_networks_hands():
    """Over loopback (httpcore's trace): the log-in alone leaves first when no token is
    cached (the other two wait for it), all three when one is; the transport is the
    service's own again afterwards."""
    sandbox = seeded_sandbox(10)
    sandbox.state.config.latency_ms = 150  # answers come long after the requests left
    server = BackgroundServer(sandbox).start()
    try:
        profiles = ProfileStore()
        profile = Profile(name=PROFILE, base_url=server.url, client_id=CLIENT_ID)
        profiles.save(profile)
        resolved = Resolved(profile=profile, secret=CLIENT_SECRET, source="profile")
        for expected in (1, 3):  # the second run has the first run's token
            early = begin(resolved)
            own = early.leaving.inner if early.leaving else None
            assert early.leaving is not None and early.leaving.expected == expected
            assert await early.left(timeout=5) is True
            assert not early.verified.done()  # left, not answered
            assert early.service.transport.inner is own and early.leaving is None
            await early.verified
            await early.abandon()
    finally:
        server.stop()
        sandbox.state.store.close()
