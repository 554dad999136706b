"""``flowtui --demo``: an embedded sandbox with demo data, opened straight away."""

from __future__ import annotations

import httpx
import pytest

from flowtui.cli import build_parser, main
from flowtui.config.profiles import ProfileStore
from flowtui.config.secrets import FileSecrets
from flowtui.ops.demo import DEMO_PROFILE, EmbeddedSandbox, demo_db
from flowtui.sandbox.store import Store
from flowtui.ui.app import FlowApp
from flowtui.ui.screens.main import MainScreen
from tests.ui.conftest import wait_for_customers


async def test_demo_opens_the_customers_of_an_embedded_sandbox():
    """What ``run_app`` does for --demo: start, open FlowApp on the demo profile, stop."""
    profiles = ProfileStore()
    embedded = EmbeddedSandbox(customers=300)
    resolved = embedded.start(profiles)
    url = resolved.profile.base_url
    try:
        assert resolved.profile.name == DEMO_PROFILE
        assert profiles.get(DEMO_PROFILE).base_url == url
        assert FileSecrets().get_secret(DEMO_PROFILE) == resolved.secret
        app = FlowApp(profiles, resolved=resolved, cursor_blink=False)  # real service_for
        async with app.run_test(size=(100, 30)) as pilot:
            view = await wait_for_customers(pilot)
            assert isinstance(app.screen, MainScreen)
            assert view.page.total == 300
            assert str(app.screen.query_one("#header-kind").render()) == "SANDBOX"
            assert str(app.screen.query_one("#header-profile").render()) == "profile demo"
            await pilot.press("ctrl+q")
    finally:
        proc = embedded.proc
        embedded.stop()
    assert embedded.proc is None and proc.returncode == 0  # stopped gracefully on EOF
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/_sandbox/health", timeout=2)


def _customer_count(resolved) -> int:
    token = httpx.post(
        f"{resolved.profile.base_url}/oauth/access_token",
        data={
            "grant_type": "client_credentials",
            "client_id": resolved.profile.client_id,
            "client_secret": resolved.secret,
        },
    ).json()["access_token"]
    body = httpx.get(
        f"{resolved.profile.base_url}/v2/customers?page[limit]=1",
        headers={"Authorization": f"Bearer {token}"},
    ).json()
    return body["meta"]["results"]["total"]


def test_demo_keeps_its_data_unless_reset():
    first = EmbeddedSandbox(customers=5)
    first.start(ProfileStore())
    first.stop()
    store = Store(demo_db())
    store.set_setting("marker", "kept")
    store.close()
    again = EmbeddedSandbox(customers=5)
    resolved = again.start(ProfileStore())
    try:
        assert _customer_count(resolved) == 5  # a warm start: requests wait in the backlog
    finally:
        again.stop()
    store = Store(demo_db())
    assert store.get_setting("marker") == "kept"
    store.close()
    fresh = EmbeddedSandbox(customers=7, reset=True)
    resolved = fresh.start(ProfileStore())
    try:
        assert _customer_count(resolved) == 7
    finally:
        fresh.stop()
    store = Store(demo_db())
    assert store.get_setting("marker") is None
    store.close()


def test_demo_sandbox_stops_when_flowtui_dies():
    """The child watches its standard input: flowtui killed outright still stops it."""
    embedded = EmbeddedSandbox(customers=3)
    resolved = embedded.start(ProfileStore())
    proc = embedded.proc
    proc.stdin.close()  # what the kernel does for a process that dies, however it dies
    assert proc.wait(10) == 0
    embedded.proc = None
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{resolved.profile.base_url}/_sandbox/health", timeout=2)


def test_a_demo_sandbox_that_cannot_start_says_why():
    demo_db().parent.mkdir(parents=True, exist_ok=True)
    demo_db().write_bytes(b"this is not a database" * 100)
    embedded = EmbeddedSandbox(customers=3)
    resolved = embedded.start(ProfileStore())  # a warm start: it does not wait for the child
    try:
        assert embedded.proc.wait(10) == 1
        assert "cannot open the demo store" in embedded.complaint()
        assert "not a database" in embedded.complaint()
        with pytest.raises(httpx.ConnectError):  # refused at once, not a hang in the backlog
            httpx.get(f"{resolved.profile.base_url}/_sandbox/health", timeout=2)
    finally:
        embedded.stop()


def test_demo_flags_parse(capsys):
    args = build_parser().parse_args(["--demo", "--reset"])
    assert args.demo and args.reset and args.command is None
    with pytest.raises(SystemExit) as exc:
        main(["--reset"])
    assert exc.value.code == 2
    assert "--reset goes with --demo" in capsys.readouterr().err


async def test_a_warm_demo_start_logs_in_without_a_token_request():
    """Tokens live in demo.db, so the token cached by one run still works on the next run's
    new port (one round trip less at start-up); --reset drops it."""
    from flowtui.ops.connect import service_for

    async def requests_of_a_login(resolved) -> list[str]:
        sent: list[str] = []

        async def hook(request: httpx.Request) -> None:
            sent.append(f"{request.method} {request.url.path}")

        async with service_for(resolved) as service:
            service.client.event_hooks["request"].append(hook)
            await service.verify()
        return sent

    for reset, expected in ((False, ["POST /oauth/access_token", "GET /v2/flows"]),
                            (False, ["GET /v2/flows"]),
                            (True, ["POST /oauth/access_token", "GET /v2/flows"])):  # fmt: skip
        embedded = EmbeddedSandbox(customers=3, reset=reset)
        resolved = embedded.start(ProfileStore())
        try:
            assert await requests_of_a_login(resolved) == expected
        finally:
            embedded.stop()
