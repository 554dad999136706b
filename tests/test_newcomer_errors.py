"""The errors a newcomer hits first, each one sentence saying what to do, under real conditions.

No profile; credentials refused (a bad secret, or a client id from the other region); a store
that cannot be reached (nothing listening on a loopback port, a host name that does not
resolve, a server that never answers); the sandbox's port already taken. On the command line
and on the login screen. Nothing here leaves the machine: ``.invalid`` names never resolve
(RFC 6761), and the resolver answers that at once.
"""

from __future__ import annotations

import socket
import time

import httpx
import pytest
from textual.widgets import Input, Select, Static

from flowtui.api.advice import advice
from flowtui.api.auth import MemoryTokenCache
from flowtui.api.errors import ApiError
from flowtui.api.service import ApiService
from flowtui.api.transport import RetryPolicy
from flowtui.cli import main
from flowtui.config.profiles import EU_WEST, LEGACY_EU_WEST, US_EAST, Profile, ProfileStore
from flowtui.config.secrets import secret_store
from flowtui.ops.connect import service_for
from flowtui.ops.demo import EmbeddedSandbox
from flowtui.ui.app import FlowApp
from flowtui.ui.screens.login import LoginScreen
from tests.conftest import CLIENT_ID, CLIENT_SECRET
from tests.ui.conftest import build_app, until

SECRET_MARK = "wrong-secret-never-printed"


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cli(capsys, *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    assert out.out == ""
    lines = out.err.strip().splitlines()
    assert len(lines) == 1, out.err
    assert "Traceback" not in out.err and SECRET_MARK not in out.err
    return code, lines[0]


def add_profile(name: str, url: str, client_id: str = CLIENT_ID, secret: str = CLIENT_SECRET):
    profiles = ProfileStore()
    profile = Profile(name=name, base_url=url, client_id=client_id)
    profiles.save(profile)
    profiles.set_default(name)
    secret_store(profile).set_secret(name, secret)
    return profile


# -- no profile ------------------------------------------------------------------------------


@pytest.mark.parametrize("argv", [["login", "--check"], ["export", "customers"]])
def test_no_profile_says_add_one_or_try_the_demo(capsys, argv):
    code, line = cli(capsys, *argv)
    assert code == 1
    assert line.startswith("flowtui: No profile yet: run `flowtui profile add NAME`")
    assert "`flowtui --demo`" in line


# -- credentials refused ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "client_id, secret", [(CLIENT_ID, SECRET_MARK), ("a-client-of-another-store", CLIENT_SECRET)]
)
def test_refused_credentials_on_a_sandbox_say_use_the_printed_pair(
    capsys, live_sandbox, client_id, secret
):
    add_profile("shop", live_sandbox, client_id, secret)
    code, line = cli(capsys, "login", "--check")
    assert code == 1
    assert line == (
        f"flowtui: The sandbox at {live_sandbox} refused client id {client_id!r} and its "
        "secret: use the pair it printed when it started (or give it yours with --client-id "
        "and --client-secret)."
    )


@pytest.mark.parametrize(
    "base, here, other, flag",
    [
        (EU_WEST, "EU West", US_EAST, "--region us-east"),
        (LEGACY_EU_WEST, "EU West", US_EAST, "--region us-east"),
        (US_EAST, "US East", EU_WEST, "--region eu-west"),
    ],
)
async def test_refused_credentials_on_a_region_suggest_the_other_region(
    sandbox_app, base, here, other, flag
):
    """The store answers as a real one would for a client id it does not know (the sandbox,
    reached in-process under the region's URL: nothing leaves the machine)."""
    service = ApiService(
        base,
        "id-from-the-other-region",
        SECRET_MARK,
        transport=httpx.ASGITransport(app=sandbox_app),
        rate_limit=None,
        token_cache=MemoryTokenCache(),
    )
    async with service:
        with pytest.raises(ApiError) as info:
            await service.verify()
    text = advice(info.value, base, "id-from-the-other-region")
    assert text == (
        f"The {here} store at {base} refused client id 'id-from-the-other-region' and its "
        f"secret: check both in Commerce Manager → Application Keys, and if the store is in "
        f"{'US East' if here == 'EU West' else 'EU West'}, pick that region instead "
        f"({flag}, {other})."
    )


def test_a_refusal_from_any_other_store_says_where_to_check(sandbox_app):
    from flowtui.api.errors import AuthError, ErrorItem

    refused = AuthError([ErrorItem("Unauthorized")], status=401, path="/oauth/access_token")
    assert advice(refused, "https://shop.example.com/", "abc") == (
        "The store at https://shop.example.com refused client id 'abc' and its secret: "
        "check both in Commerce Manager → Application Keys."
    )
    # A 401 on a /v2 request is a session that ended, not a login refused: no advice.
    assert advice(AuthError(status=401, path="/v2/flows"), EU_WEST) is None


def test_a_profile_whose_base_url_ends_in_v2_is_told_so(capsys, live_sandbox):
    """Issue 16: a base URL pasted from the API docs (``…/v2``) read as refused credentials."""
    add_profile("shop", f"{live_sandbox}/v2")  # e.g. written by hand in config.toml
    code, line = cli(capsys, "login", "--check")
    assert code == 1
    assert line == (
        f"flowtui: The base URL {live_sandbox}/v2 ends in /v2, which flowtui adds itself: "
        f"use {live_sandbox} instead."
    )


async def test_the_login_screen_drops_a_pasted_v2_and_connects(live_sandbox):
    app = FlowApp(ProfileStore(), service_factory=real_network_factory, cursor_blink=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, LoginScreen))
        screen = app.screen
        screen.query_one("#name", Input).value = "shop"
        screen.query_one("#region", Select).value = "custom"
        await pilot.pause()
        screen.query_one("#url", Input).value = f" {live_sandbox}/v2/ "
        screen.query_one("#client-id", Input).value = CLIENT_ID
        screen.query_one("#secret", Input).value = CLIENT_SECRET
        await pilot.press("ctrl+t")
        message = screen.query_one("#login-message", Static)
        await until(pilot, lambda: "Connected to" in str(message.render()), timeout=10)
        assert screen.query_one("#url", Input).value == live_sandbox  # shown as used


# -- offline ---------------------------------------------------------------------------------


def test_nothing_listening_on_a_loopback_port_says_start_the_sandbox(capsys):
    url = f"http://127.0.0.1:{closed_port()}"
    add_profile("local", url)
    started = time.monotonic()
    code, line = cli(capsys, "login", "--check")
    assert code == 1
    assert line == (
        f"flowtui: Cannot reach {url}: nothing is listening there, so start the sandbox "
        "(flowtui sandbox) or fix the profile's base URL."
    )
    assert time.monotonic() - started < 10  # a few quick retries, then the answer


def test_a_host_that_does_not_resolve_says_check_the_network(capsys):
    url = "https://store.flowtui.invalid"
    add_profile("far", url)
    code, line = cli(capsys, "export", "customers")
    assert code == 1
    assert line == f"flowtui: Cannot reach {url}: check your network or the profile's base URL."


async def test_a_store_that_never_answers_says_so():
    with socket.socket() as silent:  # accepts connections (backlog), never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        service = ApiService(
            url,
            CLIENT_ID,
            CLIENT_SECRET,
            timeout=httpx.Timeout(0.3),
            retry=RetryPolicy(attempts=1),
            token_cache=MemoryTokenCache(),
        )
        async with service:
            with pytest.raises(ApiError) as info:
                await service.verify()
    assert advice(info.value, url) == (
        f"{url} did not answer in time: check your network or the profile's base URL."
    )


# -- the sandbox's port ----------------------------------------------------------------------


def test_a_taken_port_says_pick_another_or_any(capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        code = main(["sandbox", "--port", str(port), "--memory"])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert err == (
        f"flowtui sandbox: Port {port} on 127.0.0.1 is already in use (another sandbox?): "
        "stop what is using it, or pick another port with --port (--port 0 picks a free one)"
    )


def test_the_demo_takes_a_free_port_even_when_the_sandbox_port_is_taken():
    with socket.socket() as taken:
        taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            taken.bind(("127.0.0.1", 8710))
            taken.listen(1)
        except OSError:
            pass  # something else holds it already: just as good
        demo = EmbeddedSandbox(customers=3)
        resolved = demo.start(ProfileStore())
        try:
            assert not resolved.profile.base_url.endswith(":8710")
            assert httpx.get(f"{resolved.profile.base_url}/_sandbox/health").status_code == 200
        finally:
            demo.stop()


# -- the same on the login screen ------------------------------------------------------------


def real_network_factory(resolved, **kw):
    """Services over real sockets (one attempt each, so the test is quick)."""
    return service_for(resolved, rate_limit=None, retry=RetryPolicy(attempts=1), **kw)


async def fill_login(pilot, region: str, url: str, client_id: str, secret: str) -> str:
    screen = pilot.app.screen
    assert isinstance(screen, LoginScreen)
    screen.query_one("#name", Input).value = "shop"
    screen.query_one("#region", Select).value = region
    await pilot.pause()
    if url:
        screen.query_one("#url", Input).value = url
    screen.query_one("#client-id", Input).value = client_id
    screen.query_one("#secret", Input).value = secret
    await pilot.press("ctrl+t")
    message = screen.query_one("#login-message", Static)
    await until(pilot, lambda: message.has_class("error"), timeout=10)
    return str(message.render())


async def test_login_screen_refused_on_a_region_suggests_the_other(sandbox_app):
    app = build_app(sandbox_app)  # in-process sandbox under whatever URL the form says
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, LoginScreen))
        text = await fill_login(pilot, "eu-west", "", "id-from-us-east", SECRET_MARK)
    assert text.startswith(f"The EU West store at {EU_WEST} refused client id 'id-from-us-east'")
    assert "Commerce Manager → Application Keys" in text
    assert f"pick that region instead (--region us-east, {US_EAST})" in text
    assert SECRET_MARK not in text


async def test_login_screen_offline_says_check_the_network():
    url = f"http://127.0.0.1:{closed_port()}"
    app = FlowApp(ProfileStore(), service_factory=real_network_factory, cursor_blink=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, LoginScreen))
        text = await fill_login(pilot, "custom", url, CLIENT_ID, CLIENT_SECRET)
    assert text == (
        f"Cannot reach {url}: nothing is listening there, so start the sandbox "
        "(flowtui sandbox) or fix the profile's base URL."
    )


async def test_start_up_with_an_unreachable_store_opens_login_saying_why():
    url = "https://store.flowtui.invalid"
    profile = add_profile("far", url)
    from flowtui.config.resolve import resolve

    app = FlowApp(
        ProfileStore(),
        resolved=resolve(),
        service_factory=real_network_factory,
        cursor_blink=False,
    )
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, LoginScreen), timeout=10)
        await pilot.pause()
        text = str(app.screen.query_one("#login-message", Static).render())
    assert text == (
        f"Could not log in with profile {profile.name}. Cannot reach {url}: check your "
        "network or the profile's base URL."
    )


def test_the_readme_quotes_the_messages_as_they_are():
    from pathlib import Path

    from flowtui.api.errors import AuthError, ErrorItem, NetworkError
    from flowtui.config.resolve import NO_PROFILE
    from flowtui.sandbox.server import PortInUse, bind

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    refused = AuthError([ErrorItem("Unauthorized")], status=401, path="/oauth/access_token")
    offline = NetworkError([ErrorItem("Cannot reach the store", "…")])
    local = "http://127.0.0.1:8710"
    quoted = [
        NO_PROFILE,
        advice(refused, EU_WEST, "XXXX"),
        advice(offline, local),
    ]
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        with pytest.raises(PortInUse) as info:
            bind("127.0.0.1", port)
    quoted.append(str(info.value).replace(str(port), "8710"))
    for text in quoted:
        assert f"*{text}*" in readme or f"*{text}.*" in readme, text
