"""``flowtui --demo``: an embedded sandbox with demo data, opened straight away."""

from __future__ import annotations

import httpx
import pytest

from flowtui.app import FlowApp
from flowtui.cli import build_parser, main
from flowtui.config.profiles import ProfileStore
from flowtui.config.secrets import FileSecrets
from flowtui.sandbox.embedded import DEMO_PROFILE, EmbeddedSandbox
from flowtui.screens.main import MainScreen
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
        embedded.stop()
    assert embedded.server is None and embedded.store is None
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/_sandbox/health", timeout=2)


def test_demo_keeps_its_data_unless_reset():
    first = EmbeddedSandbox(customers=5)
    first.start(ProfileStore())
    first.store.set_setting("marker", "kept")
    first.stop()
    again = EmbeddedSandbox(customers=5)
    again.start(ProfileStore())
    try:
        assert again.store.get_setting("marker") == "kept"
    finally:
        again.stop()
    fresh = EmbeddedSandbox(customers=5, reset=True)
    fresh.start(ProfileStore())
    try:
        assert fresh.store.get_setting("marker") is None
        assert fresh.store.count_customers() == 5
    finally:
        fresh.stop()


def test_demo_flags_parse(capsys):
    args = build_parser().parse_args(["--demo", "--reset"])
    assert args.demo and args.reset and args.command is None
    with pytest.raises(SystemExit) as exc:
        main(["--reset"])
    assert exc.value.code == 2
    assert "--reset goes with --demo" in capsys.readouterr().err
