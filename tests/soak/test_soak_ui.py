"""Soak test of the app (Pilot) against the faulty sandbox (issue 7, "Faults").

Same sandbox faults as the service soak (10 % 500/503, dropped connections, 300 ms latency,
429 above 40 requests/s, 5-second tokens), driven through the customers view, the editor and
the new-customer form in 80x24: 12 edits, 4 creates, 2 deletes. Once the session is open the
service gets no retries of its own (one attempt per request), so every fault reaches the
screens, not only those that outlast the retries.

What a user would check is checked at every step: a Save that fails leaves the form open
with an error on it and what was typed still in it; Save again eventually works; a failed
load or delete says so; the UI never sticks. At the end the store (the database file) holds
exactly what the user saved, each created customer once, the deleted ones gone.
"""

from __future__ import annotations

import asyncio
import collections
import time
from typing import Any

import httpx
import pytest
from textual.widgets import Static
from textual.worker import WorkerState

from flowtui.api.transport import RetryPolicy, _read
from flowtui.config.profiles import Profile, ProfileStore
from flowtui.config.resolve import Resolved
from flowtui.config.secrets import secret_store
from flowtui.ops.connect import service_for
from flowtui.ui.app import FlowApp
from flowtui.ui.screens.customer_editor import ConflictScreen, EditCustomerScreen
from flowtui.ui.screens.dialogs import ConfirmDialog
from flowtui.ui.screens.forms import FormScreen, NewCustomerScreen
from flowtui.ui.screens.login import LoginScreen
from flowtui.ui.screens.main import MainScreen
from flowtui.ui.widgets.flows import FlowsView
from tests.conftest import CLIENT_ID, CLIENT_SECRET
from tests.ui.conftest import customers_view, until
from tests.ui.test_forms import editor, form_ready

from .common import FaultySandbox, read_store, record

pytestmark = pytest.mark.soak

EDITS, CREATES, DELETES = 12, 4, 2
#: Saves (or loads) tried before the test gives up on one operation.
PATIENCE = 12


class Wire(httpx.AsyncBaseTransport):
    """The real transport, counting the attempts that failed (5xx, 429 or a lost answer)."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport(retries=0)
        self.failed: collections.Counter[str] = collections.Counter()
        self.sent = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent += 1
        try:
            # Read here, as the service's transport does, so a cut answer counts as lost.
            response = await _read(await self.inner.handle_async_request(request))
        except httpx.HTTPError:
            self.failed["lost"] += 1
            raise
        if response.status_code >= 500 or response.status_code == 429:
            self.failed[str(response.status_code)] += 1
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


class Driver:
    """Keyboard steps with the checks a user makes, and the tally of failures seen."""

    def __init__(self, pilot: Any) -> None:
        self.pilot = pilot
        self.app: FlowApp = pilot.app
        self.toasts: list[tuple[str, str]] = []
        self.failures_shown: collections.Counter[str] = collections.Counter()
        notify = self.app.notify

        def recording(message: str, *args: Any, **kwargs: Any) -> None:
            self.toasts.append((kwargs.get("severity", "information"), str(message)))
            notify(message, *args, **kwargs)

        self.app.notify = recording  # type: ignore[method-assign]

    async def idle(self) -> None:
        """Until no worker runs (a failed one is fine: its error went to the funnel)."""
        busy = (WorkerState.PENDING, WorkerState.RUNNING)
        await until(
            self.pilot, lambda: not any(w.state in busy for w in self.app.workers), timeout=30
        )
        await self.pilot.pause()
        assert not isinstance(self.app.screen, LoginScreen), "the session was lost"

    def error_toasts_since(self, mark: int) -> list[str]:
        return [m for sev, m in self.toasts[mark:] if sev in ("error", "warning")]

    async def loaded(self) -> Any:
        """The customers list, loaded: ``r`` again while a load failed (which must say so)."""
        # A main screen just pushed may not have composed its views yet.
        await until(self.pilot, lambda: customers_view(self.app) is not None, timeout=20)
        view = customers_view(self.app)
        for _ in range(PATIENCE):
            await self.idle()
            # A load ends loaded or in error (never stuck "loading" once no worker runs).
            await until(self.pilot, lambda: view.state != "loading", timeout=10)
            if view.state == "loaded":
                return view
            assert view.state == "error", view.state
            assert "Could not load customers" in view.status_text(), view.status_text()
            self.failures_shown["load"] += 1
            view.table.focus()
            await self.pilot.press("r")
        raise AssertionError("the customers list never loaded")

    async def highlight(self, customer_id: str) -> None:
        view = await self.loaded()
        assert customer_id in view.customers, (customer_id, view.status_text(), view.page)
        view.table.focus()
        view.table.move_cursor(row=view.table.get_row_index(customer_id))
        await self.pilot.pause()

    async def open_form(self, key: str, screen: type, customer_id: str | None = None) -> Any:
        """Open a form with ``key``; when its fields fail to load (said in a toast), close
        it and open it again."""
        for _ in range(PATIENCE):
            if customer_id:
                await self.highlight(customer_id)
            else:
                await self.loaded()
            mark = len(self.toasts)
            await self.pilot.press(key)
            await until(self.pilot, lambda: isinstance(self.app.screen, screen), timeout=20)
            await self.idle()
            if form_ready(self.app):
                return self.app.screen
            assert self.error_toasts_since(mark), "a form without fields and no error shown"
            self.failures_shown["form fields"] += 1
            await self.pilot.press("escape")
            await until(self.pilot, lambda: isinstance(self.app.screen, MainScreen), timeout=20)
        raise AssertionError(f"the {screen.__name__} never loaded its fields")

    async def type_into(self, key: str, text: str) -> None:
        """Put ``text`` in a field as a paste would (key by key costs seconds per form)."""
        field = editor(self.app, key).input
        field.focus()
        field.value = text
        await self.pilot.pause()

    async def save(self, form: FormScreen, typed: dict[str, str]) -> None:
        """ctrl+s until the form closes; after each failure, the form must still be open,
        say what went wrong and hold what was typed."""
        for _ in range(PATIENCE):
            await self.pilot.press("ctrl+s")
            await self.idle()
            assert not isinstance(self.app.screen, ConflictScreen), "a conflict with itself"
            if self.app.screen is not form:
                assert isinstance(self.app.screen, MainScreen)
                return
            message = form.query_one("#form-message", Static)
            text = str(message.render())
            assert message.has_class("error") and text, f"a failed save said {text!r}"
            assert "Not saved" in text or ":" in text
            for key, value in typed.items():
                assert editor(self.app, key).input.value == value, "typed contents lost"
            assert not form.saving
            self.failures_shown["save"] += 1
        raise AssertionError("Save never worked")

    async def delete(self, customer_id: str) -> None:
        for _ in range(PATIENCE):
            await self.highlight(customer_id)
            mark = len(self.toasts)
            await self.pilot.press("d")
            await until(self.pilot, lambda: isinstance(self.app.screen, ConfirmDialog), timeout=20)
            await self.pilot.press("y")
            await until(self.pilot, lambda: isinstance(self.app.screen, MainScreen), timeout=20)
            await self.idle()
            said = [m for _, m in self.toasts[mark:]]
            if any("Deleted customer" in m or "already deleted" in m for m in said):
                return
            assert self.error_toasts_since(mark), f"a failed delete said nothing: {said}"
            self.failures_shown["delete"] += 1
        raise AssertionError("the delete never worked")


def soak_app(url: str, wire: Wire) -> FlowApp:
    profiles = ProfileStore()
    profile = Profile(name="soak", base_url=url, client_id=CLIENT_ID, rate_limit=100.0)
    profiles.save(profile)
    secret_store(profile).set_secret("soak", CLIENT_SECRET)
    resolved = Resolved(profile=profile, secret=CLIENT_SECRET, source="profile")

    def factory(resolved: Resolved, **kw: Any):
        return service_for(resolved, transport=wire, **kw)

    return FlowApp(profiles, resolved=resolved, service_factory=factory, cursor_blink=False)


async def test_app_survives_the_faulty_sandbox(tmp_path) -> None:
    sandbox = FaultySandbox(tmp_path, customers=250)
    wire = Wire()
    started = time.monotonic()
    expected_notes: dict[str, str] = {}
    created: dict[str, str] = {}
    deleted: list[str] = []
    with sandbox:
        app = soak_app(sandbox.url, wire)
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: isinstance(app.screen, MainScreen), timeout=30)
            driver = Driver(pilot)
            view = await driver.loaded()
            # The hidden flows view loads a moment after start-up: that is start-up too.
            app.main_screen().query_one(FlowsView).ensure_loaded()
            # From here on one attempt per request, and the tally starts (the retries of the
            # start-up were not failures anyone saw).
            await driver.idle()
            app.service.transport.policy = RetryPolicy(attempts=1)
            wire.failed.clear()
            driver.failures_shown.clear()
            ids = [c.id for c in view.page.items]
            edit_ids, delete_ids = ids[:8], ids[10 : 10 + DELETES]

            for n in range(EDITS):
                cid = edit_ids[n % len(edit_ids)]
                form = await driver.open_form("e", EditCustomerScreen, cid)
                notes = f"ui edit {n}"
                await driver.type_into("delivery_notes", notes)
                await driver.save(form, {"delivery_notes": notes})
                expected_notes[cid] = notes

            for n in range(CREATES):
                form = await driver.open_form("n", NewCustomerScreen)
                typed = {
                    "name": f"UI Create {n}",
                    "email": f"ui.create.{n}@example.com",
                    "delivery_notes": f"ui created {n}",
                }
                for key, value in typed.items():
                    await driver.type_into(key, value)
                await driver.save(form, typed)
                created[typed["email"]] = typed["name"]

            for cid in delete_ids:
                await driver.delete(cid)
                deleted.append(cid)

            await driver.loaded()  # the UI is still there and working
        faults = await asyncio.to_thread(sandbox.stats)
        sandbox.stop()
    seconds = time.monotonic() - started

    rows, field_ids = read_store(sandbox.db)
    by_id = {r["id"]: r for r in rows}
    lost = [
        cid
        for cid, notes in expected_notes.items()
        if by_id.get(cid, {"custom": {}})["custom"].get(field_ids["delivery_notes"]) != notes
    ]
    lost += [cid for cid in deleted if cid in by_id]
    emails = collections.Counter(r["email"] for r in rows)
    duplicates = sum(n - 1 for n in emails.values() if n > 1)
    missing = [e for e in created if emails[e] != 1]
    shown = sum(driver.failures_shown.values())
    figures = {
        "operations": {"edit": EDITS, "create": CREATES, "delete": DELETES},
        "failed requests met by the app (one attempt each)": dict(wire.failed),
        "failures shown to the user": dict(driver.failures_shown),
        "faults injected by the sandbox": faults,
        "changes lost": len(lost) + len(missing),
        "duplicates": duplicates,
        "seconds": round(seconds, 1),
    }
    record("ui", figures)

    assert lost == [] and missing == []
    assert duplicates == 0
    # The faults reached the screens, and every failed request was shown to the user, once.
    assert sum(wire.failed.values()) > 0
    assert shown == sum(wire.failed.values()), (driver.failures_shown, wire.failed)
