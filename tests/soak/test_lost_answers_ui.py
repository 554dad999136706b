"""Saves whose answer was lost, in the app: the cases the UI soak meets by chance, here on
purpose. The sandbox (real HTTP, its own thread) drops the connection of exactly one write
after carrying it out; the app's service makes one attempt per request, so the loss reaches
the form. Saving again must not show a conflict with itself, create a second customer or
report a failure for what worked.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from flowtui.api.transport import RetryPolicy
from flowtui.config.profiles import Profile, ProfileStore
from flowtui.config.resolve import Resolved
from flowtui.config.secrets import secret_store
from flowtui.ops.connect import service_for
from flowtui.sandbox.server import BackgroundServer
from flowtui.ui.app import FlowApp
from flowtui.ui.screens.address_editor import AddressEditorScreen
from flowtui.ui.screens.customer_editor import EditCustomerScreen
from flowtui.ui.screens.dialogs import ConfirmDialog
from flowtui.ui.screens.forms import NewCustomerScreen
from flowtui.ui.screens.main import MainScreen
from flowtui.ui.widgets.flows import FlowsView
from tests.conftest import CLIENT_ID, CLIENT_SECRET
from tests.ui.conftest import seeded_sandbox, until, wait_for_customers, workers_done
from tests.ui.test_addresses import (
    customer_without_addresses,
    open_addresses,
    open_form,
    pick_country,
    stored_addresses,
)
from tests.ui.test_customer_editor import type_into
from tests.ui.test_forms import editor, form_ready


@pytest.fixture
def live() -> Iterator[tuple[Any, str]]:
    app = seeded_sandbox(50)
    server = BackgroundServer(app).start()
    try:
        yield app, server.url
    finally:
        server.stop()
        app.state.store.close()


def app_for(url: str) -> FlowApp:
    profiles = ProfileStore()
    profile = Profile(name="lossy", base_url=url, client_id=CLIENT_ID)
    profiles.save(profile)
    secret_store(profile).set_secret("lossy", CLIENT_SECRET)
    resolved = Resolved(profile=profile, secret=CLIENT_SECRET, source="profile")

    def factory(resolved: Resolved, **kw: Any):
        return service_for(resolved, retry=RetryPolicy(attempts=1), **kw)

    return FlowApp(profiles, resolved=resolved, service_factory=factory, cursor_blink=False)


async def drop_first(pilot: Any, sandbox: Any, method: str) -> list[str]:
    """Make the sandbox drop the connection of the next ``method`` request (after doing it).

    The drop is a sandbox-wide switch set as each request leaves, so a background request
    leaving at the same moment (the flows view's delayed first load, a prefetch) could turn
    it off before the sandbox handles the one aimed at: wait until the app is quiet first."""
    app: FlowApp = pilot.app
    main = next(s for s in app.screen_stack if isinstance(s, MainScreen))
    flows = main.query_one(FlowsView)
    flows.ensure_loaded()
    await until(pilot, lambda: flows.state != "loading")
    await workers_done(app)
    await pilot.pause()
    dropped: list[str] = []

    async def hook(request: httpx.Request) -> None:
        drop = request.method == method and not dropped
        sandbox.state.config.drop_rate = 1.0 if drop else 0.0
        if drop:
            dropped.append(request.url.path)

    app.service.client.event_hooks["request"].append(hook)
    return dropped


def form_message(app: FlowApp) -> str:
    return str(app.screen.query_one("#form-message").render())


async def save(pilot) -> None:
    await pilot.press("ctrl+s")
    await until(pilot, lambda: not getattr(pilot.app.screen, "saving", False))
    await pilot.pause()


async def test_edit_saved_again_after_a_lost_answer(live) -> None:
    sandbox, url = live
    app = app_for(url)
    async with app.run_test(size=(80, 24)) as pilot:
        view = await wait_for_customers(pilot)
        customer = view.highlighted()
        dropped = await drop_first(pilot, sandbox, "PUT")
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, EditCustomerScreen) and form_ready(app))
        editor(app, "delivery_notes").input.value = "Leave by the back door"
        await save(pilot)
        assert dropped, "the PUT went through"
        assert isinstance(app.screen, EditCustomerScreen)
        assert "broke during PUT" in form_message(app)
        assert editor(app, "delivery_notes").input.value == "Leave by the back door"
        # It was carried out: saving again finds the store already holds it.
        await save(pilot)
        assert isinstance(app.screen, MainScreen), type(app.screen).__name__
    row = sandbox.state.store.get_customer(customer.id)
    assert "Leave by the back door" in row["custom"].values()


async def test_create_saved_again_after_a_lost_answer(live) -> None:
    sandbox, url = live
    app = app_for(url)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_customers(pilot)
        dropped = await drop_first(pilot, sandbox, "POST")
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, NewCustomerScreen) and form_ready(app))
        editor(app, "name").input.value = "Leslie Knope"
        editor(app, "email").input.value = "leslie@pawnee.example"
        await pilot.pause()
        await save(pilot)
        assert dropped == ["/v2/customers"]
        assert isinstance(app.screen, NewCustomerScreen)
        assert "may have been carried out" in form_message(app)
        await save(pilot)
        assert isinstance(app.screen, MainScreen), form_message(app)
    rows, _ = sandbox.state.store.list_customers([], ("created_at", False), 1000, 0)
    assert [r["name"] for r in rows if r["email"] == "leslie@pawnee.example"] == ["Leslie Knope"]


async def new_address(pilot: Any) -> None:
    """Open the new-address form from the address list and fill it in."""
    await open_form(pilot, "n")
    for key, text in [("first_name", "Ann"), ("last_name", "Perkins"), ("line_1", "2 Elm St")]:
        await type_into(pilot, key, text, paste=True)
    await type_into(pilot, "postcode", "46002", paste=True)
    await pick_country(pilot, "germ")


async def addresses_of_a_customer(pilot: Any, sandbox: Any) -> tuple[Any, Any]:
    """The highlighted customer, without addresses, and its address list, open."""
    view = await wait_for_customers(pilot)
    customer = await customer_without_addresses(sandbox, view)
    return customer, await open_addresses(pilot)


async def test_an_address_created_although_its_answer_was_lost_is_found(live) -> None:
    # The store made the address, then the connection broke: the editor looks among the
    # customer's addresses it did not know (one GET) and closes as saved; an identical
    # address the customer already had is not taken for it.
    sandbox, url = live
    app = app_for(url)
    async with app.run_test(size=(100, 30)) as pilot:
        customer, listing = await addresses_of_a_customer(pilot, sandbox)
        await new_address(pilot)
        await save(pilot)  # the twin, saved normally
        await until(pilot, lambda: app.screen is listing and len(listing.addresses) == 1)
        twin = listing.addresses[0]
        dropped = await drop_first(pilot, sandbox, "POST")
        await new_address(pilot)
        await save(pilot)
        assert dropped == [f"/v2/customers/{customer.id}/addresses"]
        await until(pilot, lambda: app.screen is listing and len(listing.addresses) == 2)
        made = listing.addresses[1]
    stored = await stored_addresses(sandbox, customer.id)
    assert [a["id"] for a in stored] == [twin.id, made.id]
    assert all(a["last_name"] == "Perkins" for a in stored)


async def test_an_address_not_created_when_its_answer_was_lost_can_be_saved_again(live) -> None:
    sandbox, url = live
    app = app_for(url)
    async with app.run_test(size=(100, 30)) as pilot:
        customer, listing = await addresses_of_a_customer(pilot, sandbox)
        await new_address(pilot)

        async def refuse_posts(request: httpx.Request) -> None:
            sandbox.state.config.fault_rate = 1.0 if request.method == "POST" else 0.0

        app.service.client.event_hooks["request"].append(refuse_posts)
        await save(pilot)
        app.service.client.event_hooks["request"].remove(refuse_posts)
        sandbox.state.config.fault_rate = 0.0
        assert isinstance(app.screen, AddressEditorScreen)
        assert "no new address like this one, so saving again is safe" in form_message(app)
        assert await stored_addresses(sandbox, customer.id) == []
        await save(pilot)
        await until(pilot, lambda: app.screen is listing and len(listing.addresses) == 1)
    assert len(await stored_addresses(sandbox, customer.id)) == 1


async def test_delete_again_after_a_lost_answer(live) -> None:
    sandbox, url = live
    app = app_for(url)
    async with app.run_test(size=(80, 24)) as pilot:
        view = await wait_for_customers(pilot)
        customer = view.highlighted()
        said: list[str] = []
        notify = app.notify

        def recording(message: str, *args: Any, **kwargs: Any) -> None:
            said.append(str(message))
            notify(message, *args, **kwargs)

        app.notify = recording  # type: ignore[method-assign]
        dropped = await drop_first(pilot, sandbox, "DELETE")
        for _ in range(2):
            await pilot.press("d")
            await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
            await pilot.press("y")
            await until(pilot, lambda: isinstance(app.screen, MainScreen))
            await until(pilot, lambda: not any(w.is_running for w in app.workers))
            await pilot.pause()
        assert dropped
        assert any("broke during DELETE" in m for m in said), (
            said,
            [n.message for n in app._notifications],
        )
        assert said[-1] == f"Customer {customer.email} was already deleted"
    assert sandbox.state.store.get_customer(customer.id) is None


async def test_flows_view_failures_are_shown(live) -> None:
    # The flows view's workers report to the view, not its screen: a failed toggle once
    # said nothing, and a failed load left "Loading flows…".
    from tests.ui.designer_helpers import open_designer, select_flow

    sandbox, url = live
    app = app_for(url)
    async with app.run_test(size=(80, 24)) as pilot:
        view = await open_designer(pilot)
        await select_flow(pilot, "customers")
        said: list[str] = []
        notify = app.notify

        def recording(message: str, *args: Any, **kwargs: Any) -> None:
            said.append(str(message))
            notify(message, *args, **kwargs)

        app.notify = recording  # type: ignore[method-assign]
        sandbox.state.config.fault_rate = 1.0
        await pilot.press("space")
        await until(pilot, lambda: any("Injected fault" in m for m in said))
        await pilot.press("r")
        label = view.query_one("#flows-status")
        await until(pilot, lambda: "Could not load flows" in str(label.render()))
        sandbox.state.config.fault_rate = 0.0
        await pilot.press("r")
        await until(
            pilot, lambda: "flows" in str(label.render()) and "Could" not in str(label.render())
        )


async def test_customer_fields_failing_to_load_is_said(live) -> None:
    # The customers view loads the custom fields before a page; when that failed, the
    # status line kept saying "Loading customers…" for good.
    sandbox, url = live
    app = app_for(url)
    async with app.run_test(size=(80, 24)) as pilot:
        view = await wait_for_customers(pilot)

        async def fields_fail(request: httpx.Request) -> None:
            failing = request.url.path.endswith("/fields")
            sandbox.state.config.fault_rate = 1.0 if failing else 0.0

        app.service.client.event_hooks["request"].append(fields_fail)
        view.fields_loaded = False
        view.table.focus()
        await pilot.press("r")
        await until(pilot, lambda: view.state == "error")
        assert view.status_text().startswith("Could not load customers: 50")
        app.service.client.event_hooks["request"].remove(fields_fail)
        sandbox.state.config.fault_rate = 0.0
        await pilot.press("r")
        await until(pilot, lambda: view.state == "loaded")
