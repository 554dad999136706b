"""Crashes on either side (issue 7, "Faults"): the app killed mid-edit loses only the form it
had not saved; a sandbox stopped (or killed) and started again mid-session is survived with
a reconnect, the user doing nothing but retrying.

The sandbox is ``flowtui sandbox`` in its own process on a file database. The kill test runs
``flowtui`` itself in a pseudo-terminal and sends it SIGKILL; the restart test drives the app
with Pilot.
"""

from __future__ import annotations

import asyncio
import signal
import sqlite3
from typing import Any

import httpx
import pytest

from flowtui.config.profiles import Profile, ProfileStore
from flowtui.config.resolve import Resolved
from flowtui.config.secrets import secret_store
from flowtui.ops.connect import service_for
from flowtui.ui.app import FlowApp
from flowtui.ui.screens.customer_editor import EditCustomerScreen
from flowtui.ui.screens.main import MainScreen
from tests.conftest import CLIENT_ID, CLIENT_SECRET
from tests.ui.conftest import until, wait_for_customers
from tests.ui.test_forms import editor, form_ready

from .common import FaultySandbox, read_store, record
from .terminal import Terminal

pytestmark = pytest.mark.soak
CUSTOMERS = 20


def save_profile(url: str) -> Resolved:
    profiles = ProfileStore()
    profile = Profile(name="soak", base_url=url, client_id=CLIENT_ID)
    profiles.save(profile)
    secret_store(profile).set_secret("soak", CLIENT_SECRET)
    profiles.set_default("soak")
    return Resolved(profile=profile, secret=CLIENT_SECRET, source="profile")


def customer_now(url: str, customer_id: str) -> dict:
    """The customer as the store has it (raw HTTP, a token of its own)."""
    form = {"grant_type": "client_credentials", "client_id": CLIENT_ID}
    form["client_secret"] = CLIENT_SECRET
    with httpx.Client(base_url=url, timeout=10) as client:
        token = client.post("/oauth/access_token", data=form).json()["access_token"]
        response = client.get(
            f"/v2/customers/{customer_id}", headers={"Authorization": f"Bearer {token}"}
        )
        response.raise_for_status()
        return response.json()["data"]


def test_killed_mid_edit_loses_only_the_unsaved_form(tmp_path) -> None:
    sandbox = FaultySandbox(tmp_path, customers=CUSTOMERS, faults={})
    rows, _ = read_store(sandbox.db)
    newest = rows[-1]  # the first row of the customers view (newest first)
    terminals: list[Terminal] = []
    try:
        with sandbox:
            save_profile(sandbox.url)
            app = Terminal()
            terminals.append(app)
            app.wait_for(f"of {CUSTOMERS} customers")
            app.press("e")
            app.wait_for("Edit customer")
            app.wait_for("External ref")  # its fields are there (kept from the browser's read)
            app.press("end", *" Saved", "ctrl+s")
            app.wait_for(f"{newest['email']}:")  # the toast: "Saved EMAIL: name"
            saved = customer_now(sandbox.url, newest["id"])
            assert saved["name"] == newest["name"] + " Saved"

            app.press("e")
            app.wait_for("Edit customer")
            app.wait_for("External ref")  # its fields are there (kept from the browser's read)
            app.press("end", *" Unsaved")
            app.wait_for("Unsaved")
            assert app.kill() == -signal.SIGKILL

            # The saved change is there, the unsaved one is not.
            assert customer_now(sandbox.url, newest["id"]) == saved
            # The configuration and the credentials survived intact.
            profiles = ProfileStore()
            profile = profiles.get("soak")
            assert profiles.default_name() == "soak"
            secrets = secret_store(profile)
            assert secrets.get_secret("soak") == CLIENT_SECRET
            token = secrets.get_token("soak")
            assert token is not None and token.valid()

            # And the app starts again on them.
            again = Terminal()
            terminals.append(again)
            again.wait_for(f"of {CUSTOMERS} customers")
            assert again.quit() == 0
        record(
            "app killed mid-edit",
            {"saved changes lost": 0, "unsaved forms lost": 1, "config and credentials": "intact"},
        )
    finally:
        for terminal in terminals:
            terminal.close()


def app_for(resolved: Resolved) -> FlowApp:
    def factory(resolved: Resolved, **kw: Any):
        return service_for(resolved, **kw)

    return FlowApp(ProfileStore(), resolved=resolved, service_factory=factory, cursor_blink=False)


async def open_editor(pilot: Any) -> EditCustomerScreen:
    app = pilot.app
    await pilot.press("e")
    await until(pilot, lambda: isinstance(app.screen, EditCustomerScreen) and form_ready(app))
    return app.screen


async def save_notes(pilot: Any, notes: str) -> None:
    await open_editor(pilot)
    editor(pilot.app, "delivery_notes").input.value = notes
    await pilot.pause()
    await pilot.press("ctrl+s")
    await until(pilot, lambda: isinstance(pilot.app.screen, MainScreen), timeout=20)


def one_sentence(text: str) -> None:
    assert text and "\n" not in text and "Traceback" not in text, text


@pytest.mark.parametrize(
    ("how", "forget_tokens"),
    [(signal.SIGTERM, False), (signal.SIGKILL, True)],
    ids=["stopped", "killed-and-tokens-lost"],
)
async def test_sandbox_restarted_mid_session(tmp_path, how, forget_tokens) -> None:
    sandbox = FaultySandbox(tmp_path, customers=CUSTOMERS, faults={})

    def outage() -> None:
        sandbox.stop(how)
        if forget_tokens:  # a store that lost its tokens: the next request gets 401
            with sqlite3.connect(sandbox.db) as db:
                db.execute("DELETE FROM tokens")

    with sandbox:
        app = app_for(save_profile(sandbox.url))
        async with app.run_test(size=(80, 24)) as pilot:
            view = await wait_for_customers(pilot)
            customer = view.highlighted()
            await save_notes(pilot, "Saved before the restart")
            logins = app.service.auth.logins

            # Down while browsing: the list says so in one sentence; r brings it back.
            await asyncio.to_thread(outage)  # the app's loop keeps running meanwhile
            view.table.focus()
            await pilot.press("r")
            await until(pilot, lambda: view.state == "error", timeout=30)
            status = view.status_text()
            one_sentence(status)
            assert status.startswith("Could not load customers: Cannot connect to "), status
            assert status.endswith("(r retries)")
            await asyncio.to_thread(sandbox.start)  # the same port and database
            await pilot.press("r")
            await until(pilot, lambda: view.state == "loaded", timeout=30)
            assert view.customers[customer.id].value("delivery_notes") == (
                "Saved before the restart"
            )

            # Down while editing: Save fails in one sentence, the form keeps what was typed,
            # Save again once it is back works.
            form = await open_editor(pilot)
            editor(app, "delivery_notes").input.value = "Typed while it was down"
            await pilot.pause()
            await asyncio.to_thread(outage)
            await pilot.press("ctrl+s")
            await until(pilot, lambda: not form.saving, timeout=30)
            message = str(form.query_one("#form-message").render())
            one_sentence(message)
            assert message.startswith("Network error: Cannot connect to "), message
            assert editor(app, "delivery_notes").input.value == "Typed while it was down"
            await asyncio.to_thread(sandbox.start)
            await pilot.press("ctrl+s")
            await until(pilot, lambda: isinstance(app.screen, MainScreen), timeout=30)
            assert view.customers[customer.id].value("delivery_notes") == (
                "Typed while it was down"
            )
            assert app.service.auth.logins == logins + (2 if forget_tokens else 0)
        sandbox.stop()
    rows, ids = read_store(sandbox.db)
    notes = {r["id"]: r["custom"].get(ids["delivery_notes"]) for r in rows}
    assert notes[customer.id] == "Typed while it was down"
    name = "sandbox " + ("killed, tokens lost" if forget_tokens else "stopped") + ", restarted"
    record(name, {"outages": 2, "saves lost": 0, "re-logins": 2 if forget_tokens else 0})
