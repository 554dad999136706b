"""A profile with ``verify_tls = false`` works against an HTTPS store whose certificate no
default CA vouches for, and the header says so on every screen: TLS NOT VERIFIED."""

from __future__ import annotations

from flowtui.config.profiles import Profile, ProfileStore
from flowtui.config.resolve import Resolved
from flowtui.config.secrets import secret_store
from flowtui.sandbox.server import BackgroundServer
from flowtui.ui.app import FlowApp
from tests.conftest import CLIENT_ID, CLIENT_SECRET
from tests.tls import make_certs
from tests.ui.conftest import BASE_URL, build_app, seeded_sandbox, wait_for_customers


def insecure_profile(url: str) -> tuple[ProfileStore, Resolved]:
    profiles = ProfileStore()
    profile = Profile(name="insecure", base_url=url, client_id=CLIENT_ID, verify_tls=False)
    profiles.save(profile)
    secret_store(profile).set_secret("insecure", CLIENT_SECRET)
    return profiles, Resolved(profile=profile, secret=CLIENT_SECRET, source="profile")


async def test_verify_tls_false_connects_over_https_and_shows_the_badge(tmp_path):
    certs = make_certs(tmp_path / "tls")
    sandbox = seeded_sandbox(3)
    server = BackgroundServer(sandbox, tls=(str(certs.cert), str(certs.key))).start()
    try:
        profiles, resolved = insecure_profile(server.url)
        app = FlowApp(profiles, resolved=resolved, cursor_blink=False)  # real service_for
        async with app.run_test(size=(100, 30)) as pilot:
            view = await wait_for_customers(pilot)
            assert view.table.row_count == 3
            assert app.service is not None and app.service.is_sandbox
            badge = app.screen.query_one("#header-tls")
            assert str(badge.render()) == "TLS NOT VERIFIED"
            await app.service.aclose()  # no keep-alive connection holds the server's shutdown
    finally:
        server.stop()
        sandbox.state.store.close()


def test_snapshot_tls_not_verified_badge(snap_compare):
    sandbox = seeded_sandbox(5)
    profiles, resolved = insecure_profile(BASE_URL)
    app = build_app(sandbox, profiles=profiles, resolved=resolved)

    async def run_before(pilot) -> None:
        await wait_for_customers(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
