"""Fixtures for the UI tests: FlowApp driven by Pilot against the real sandbox.

Nothing is mocked. The app's service factory builds the real :class:`ApiService` through
``service_for`` with an ``httpx.ASGITransport`` to an in-process sandbox seeded with the
deterministic demo data (250 customers). Profiles point at a fixed base URL
(``http://127.0.0.1:8710``) so the header, and so the snapshots, never change; requests never
leave the process.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from textual._xterm_parser import XTermParser
from textual.app import App
from textual.command import CommandList, CommandPalette
from textual.pilot import Pilot
from textual.widgets import Input
from textual.worker import WorkerCancelled

from flowtui.config.profiles import Profile, ProfileStore
from flowtui.config.resolve import Resolved
from flowtui.config.secrets import secret_store
from flowtui.ops.connect import service_for
from flowtui.ui.app import FlowApp
from flowtui.ui.screens.main import MainScreen
from flowtui.ui.widgets.customers import CustomersView
from tests.conftest import CLIENT_ID, CLIENT_SECRET, make_sandbox, seeded_store

#: Where profiles "live": fixed, so the header (and the snapshots) never change.
BASE_URL = "http://127.0.0.1:8710"
PROFILE = "pawnee"
SEEDED = 250


def seeded_sandbox(n: int = SEEDED, **config: Any):
    """A sandbox app over an in-memory store holding the demo flows and ``n`` customers."""
    return make_sandbox(seeded_store(n), **config)


@pytest.fixture
def sandbox() -> Iterator[Any]:
    """The demo-seeded in-process sandbox app (``sandbox.state.store`` is its store)."""
    app = seeded_sandbox()
    yield app
    app.state.store.close()


def factory_for(sandbox_app: Any) -> Callable[..., Any]:
    """A service factory whose services talk to ``sandbox_app`` in-process, unpaced."""

    def factory(resolved: Resolved, **kw: Any):
        return service_for(
            resolved, transport=httpx.ASGITransport(app=sandbox_app), rate_limit=None, **kw
        )

    return factory


def save_profile(
    profiles: ProfileStore,
    name: str = PROFILE,
    *,
    read_only: bool = False,
    secret: str | None = CLIENT_SECRET,
    default: bool = True,
) -> Resolved:
    """Save a profile for the sandbox (secret in the credentials store); return it resolved."""
    profile = Profile(name=name, base_url=BASE_URL, client_id=CLIENT_ID, read_only=read_only)
    profiles.save(profile)
    if secret is not None and not read_only:
        secret_store(profile).set_secret(name, secret)
    if default:
        profiles.set_default(name)
    return Resolved(profile=profile, secret=None if read_only else secret, source="profile")


def build_app(
    sandbox_app: Any,
    *,
    profiles: ProfileStore | None = None,
    resolved: Resolved | None = None,
    startup_error: str | None = None,
) -> FlowApp:
    """FlowApp wired to ``sandbox_app``, deterministic (no cursor blink)."""
    return FlowApp(
        profiles or ProfileStore(),
        resolved=resolved,
        startup_error=startup_error,
        service_factory=factory_for(sandbox_app),
        cursor_blink=False,
    )


def logged_in_app(sandbox_app: Any, *, read_only: bool = False) -> FlowApp:
    """FlowApp started with the saved ``pawnee`` profile (the session opens at mount)."""
    profiles = ProfileStore()
    resolved = save_profile(profiles, read_only=read_only)
    return build_app(sandbox_app, profiles=profiles, resolved=resolved)


async def until(pilot: Pilot, predicate: Callable[[], Any], timeout: float = 5.0) -> None:
    """Let the app run until ``predicate()`` is true (exceptions count as false).

    Fails the test after ``timeout`` seconds, naming what it waited for.
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            if predicate():
                return
        except Exception:
            pass
        if time.monotonic() > deadline:
            name = getattr(predicate, "__name__", repr(predicate))
            raise AssertionError(f"timed out after {timeout} s waiting for {name}")
        await pilot.pause(0.01)


def customers_view(app: FlowApp) -> CustomersView:
    return app.screen.query_one(CustomersView)


def customers_loaded(app: FlowApp) -> bool:
    """The main screen is on top and its customers table holds a page."""
    if not isinstance(app.screen, MainScreen):
        return False
    view = app.screen.query_one(CustomersView)
    return view.page is not None and view.table.row_count > 0


async def workers_done(app: App[Any]) -> None:
    """Until every worker of ``app`` has finished, also one started meanwhile.

    A worker cancelled meanwhile (a page load replaced by the next key's, a prefetch given up
    for the page asked for, an exclusive worker started again) has finished too: Textual's
    ``wait_for_complete`` raises ``WorkerCancelled`` for it instead, so a test that waited
    with it failed whenever a cancellation fell inside its wait (on a busy machine, now and
    then). A worker that failed still raises ``WorkerFailed``."""
    while True:
        running = [worker for worker in app.workers if not worker.is_finished]
        if not running:
            return
        for worker in running:
            with contextlib.suppress(WorkerCancelled):
                await worker.wait()


async def settle(pilot: Pilot) -> None:
    """Until the app's workers are done (:func:`workers_done`), then one more frame."""
    await workers_done(pilot.app)
    await pilot.pause()


async def wait_for_customers(pilot: Pilot) -> CustomersView:
    await until(pilot, lambda: customers_loaded(pilot.app))
    await settle(pilot)
    return customers_view(pilot.app)


async def type_burst(pilot: Pilot, data: str) -> None:
    """Type ``data`` as a terminal sends it ("\\r" enter, "\\x7f" backspace) in one burst,
    and wait until the app has handed out every key of it.

    Every event Textual's own terminal parser makes of ``data`` is queued on the app at once,
    as the keys of a fast typist (or of an SSH link) arrive. Pilot's ``press`` instead lets
    the app go idle after each key: on a busy machine that took longer than the search box's
    debounce (0.3 s) now and then, so a search went out for "kn" before "knope" was typed."""
    app = pilot.app
    assert isinstance(app, FlowApp)
    events = list(XTermParser().feed(data))
    expected = app.typeahead.delivered + len(events)
    for event in events:
        event.set_sender(app)
        app.post_message(event)
    await until(pilot, lambda: app.typeahead.delivered >= expected and app.typeahead.idle)


def raw_client(sandbox_app: Any) -> httpx.AsyncClient:
    """A plain httpx client for the sandbox (checks what reached the store, past flowtui)."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox_app), base_url=BASE_URL)


async def raw_get(sandbox_app: Any, path: str, **params: Any) -> Any:
    """GET ``path`` from the sandbox with a fresh client_credentials token; the JSON body."""
    async with raw_client(sandbox_app) as client:
        form = {
            "grant_type": "client_credentials",
            "client_id": CLIENT_ID,
            "client_secret": sandbox_app.state.config.client_secret,
        }
        token = (await client.post("/oauth/access_token", data=form)).json()["access_token"]
        response = await client.get(
            path, params=params, headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 200, response.text
        return response.json()


def palette_hits(app) -> list[str]:
    """The commands the open palette lists, as plain text."""
    results = app.screen.query_one(CommandList)
    return [str(results.get_option_at_index(i).hit.text) for i in range(results.option_count)]


async def open_palette(pilot, query: str = "") -> CommandPalette:
    app = pilot.app
    await pilot.press("ctrl+p")
    await until(pilot, lambda: isinstance(app.screen, CommandPalette))
    palette = app.screen
    if query:
        palette.query_one(Input).value = query
    return palette


async def run_command(pilot, name: str) -> None:
    """Open the palette, search ``name``, wait until it is the top hit and press enter."""
    app = pilot.app
    palette = await open_palette(pilot, name)

    def top_hit_is_it() -> bool:
        results = palette.query_one(CommandList)
        return results.highlighted == 0 and palette_hits(app)[0] == name

    await until(pilot, top_hit_is_it)
    await pilot.press("enter")
    await until(pilot, lambda: not isinstance(app.screen, CommandPalette))
