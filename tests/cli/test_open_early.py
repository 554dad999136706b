"""``flowtui`` with a saved profile (cli/app.py ``open_early``): the log-in check, the fields
and the first page leave before the UI is imported, the app opens on them, and garbage
collection and the thread switch interval are as before once the app has ended."""

from __future__ import annotations

import gc
import sys

from textual.pilot import Pilot

from flowtui.cli.app import open_early
from flowtui.config.profiles import Profile, ProfileStore
from flowtui.config.resolve import Resolved
from flowtui.config.secrets import secret_store
from flowtui.sandbox.server import BackgroundServer
from flowtui.ui.screens.main import MainScreen
from tests.conftest import CLIENT_ID, CLIENT_SECRET
from tests.ui.conftest import seeded_sandbox, wait_for_customers
from tests.ui.test_customers_remote import Recorder


async def test_flowtui_opens_the_profile_on_the_requests_sent_before_the_ui():
    sandbox = Recorder(seeded_sandbox(120))
    server = BackgroundServer(sandbox).start()
    try:
        profiles = ProfileStore()
        profile = Profile(name="pawnee", base_url=server.url, client_id=CLIENT_ID)
        profiles.save(profile)
        secret_store(profile).set_secret("pawnee", CLIENT_SECRET)
        resolved = Resolved(profile=profile, secret=CLIENT_SECRET, source="profile")
        switch = sys.getswitchinterval()
        seen: dict[str, object] = {}

        async def look(pilot: Pilot) -> None:
            view = await wait_for_customers(pilot)
            seen["gc during start-up"] = gc.isenabled()
            seen["screens"] = [type(s).__name__ for s in pilot.app.screen_stack]
            seen["rows"] = view.table.row_count
            seen["early taken"] = pilot.app.early is None and pilot.app.service is not None
            seen["requests"] = [s.path for s in sandbox.sent]
            pilot.app.exit()

        code = await open_early(profiles, resolved, headless=True, size=(120, 36), auto_pilot=look)
        assert code == 0
        assert seen["screens"] == ["SplashScreen", MainScreen.__name__]
        assert seen["rows"] == 100 and seen["early taken"] is True
        assert seen["gc during start-up"] is False
        # a log-in (no token cached yet), then the check, the fields and the page together
        requests = seen["requests"]
        assert isinstance(requests, list) and requests[0] == "/oauth/access_token"
        assert sorted(requests[1:4]) == ["/v2/customers", "/v2/flows", "/v2/flows/customers/fields"]
        assert requests.count("/v2/flows/customers/fields") == 1  # taken, not asked again
        assert gc.isenabled() and sys.getswitchinterval() == switch
        assert secret_store(profile).get_token("pawnee") is not None  # cached for next time
    finally:
        server.stop()
        sandbox.state.store.close()
