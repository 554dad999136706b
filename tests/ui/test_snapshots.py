"""Snapshots of every screen state that matters, on deterministic demo data.

Deterministic by construction: the profile's base URL is fixed (the requests go in-process
to the sandbox whatever it says), the demo seed fixes ids, names and dates, the cursor does
not blink, there is no clock on screen, and every shot waits until its data has loaded.
Regenerate with ``pytest tests/ui/test_snapshots.py --snapshot-update`` and look at the SVGs.
"""

from __future__ import annotations

from textual.widgets import Input, Select

from flowtui.ui.screens.forms import NewCustomerScreen
from flowtui.ui.screens.login import LoginScreen
from tests.conftest import CLIENT_ID
from tests.ui.conftest import (
    BASE_URL,
    build_app,
    logged_in_app,
    open_palette,
    palette_hits,
    until,
    wait_for_customers,
    workers_done,
)
from tests.ui.test_forms import editor, field_error, form_ready

SIZE = (100, 30)


async def _settle(pilot) -> None:
    await workers_done(pilot.app)
    await pilot.pause()


def test_login_empty(snap_compare, sandbox):
    app = build_app(sandbox)

    async def run_before(pilot) -> None:
        await until(pilot, lambda: isinstance(pilot.app.screen, LoginScreen))
        await _settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_login_error(snap_compare, sandbox):
    app = build_app(sandbox)

    async def run_before(pilot) -> None:
        screen = app.screen
        screen.query_one("#name", Input).value = "pawnee"
        screen.query_one("#region", Select).value = "custom"
        await pilot.pause()
        screen.query_one("#url", Input).value = BASE_URL
        screen.query_one("#client-id", Input).value = CLIENT_ID
        screen.query_one("#secret", Input).value = "wrong-secret"
        screen.query_one("#save").focus()
        await pilot.press("enter")
        await until(pilot, lambda: screen.query_one("#login-message").has_class("error"))
        await _settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_main_customers(snap_compare, sandbox):
    async def run_before(pilot) -> None:
        await wait_for_customers(pilot)

    assert snap_compare(logged_in_app(sandbox), terminal_size=SIZE, run_before=run_before)


def test_main_flows(snap_compare, sandbox):
    async def run_before(pilot) -> None:
        await wait_for_customers(pilot)
        await pilot.press("f3")
        await until(pilot, lambda: pilot.app.screen.query_one("#flows-table").row_count == 3)
        await _settle(pilot)

    assert snap_compare(logged_in_app(sandbox), terminal_size=SIZE, run_before=run_before)


def test_help_panel(snap_compare, sandbox):
    async def run_before(pilot) -> None:
        await wait_for_customers(pilot)
        await pilot.press("f1")
        await until(pilot, lambda: pilot.app.screen.query("HelpPanel"))
        await _settle(pilot)

    assert snap_compare(logged_in_app(sandbox), terminal_size=SIZE, run_before=run_before)


def test_command_palette(snap_compare, sandbox):
    async def run_before(pilot) -> None:
        await wait_for_customers(pilot)
        palette = await open_palette(pilot)
        field = palette.query_one(Input)
        field.cursor_blink = False
        await pilot.press(*"customer")
        await until(pilot, lambda: {"customer: new", "view: customers"} <= set(palette_hits(app)))
        await _settle(pilot)

    app = logged_in_app(sandbox)
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_new_customer_invalid_email(snap_compare, sandbox):
    async def run_before(pilot) -> None:
        app = pilot.app
        await wait_for_customers(pilot)
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, NewCustomerScreen) and form_ready(app))
        await pilot.press(*"Leslie", "tab", *"leslie@")
        await until(pilot, lambda: field_error(app, "email") == "must be an email address")
        assert editor(app, "email").input.value == "leslie@"
        await _settle(pilot)

    assert snap_compare(logged_in_app(sandbox), terminal_size=SIZE, run_before=run_before)


def test_customers_80x24(snap_compare, sandbox):
    async def run_before(pilot) -> None:
        await wait_for_customers(pilot)

    assert snap_compare(logged_in_app(sandbox), terminal_size=(80, 24), run_before=run_before)


# -- addresses (issue 18) ----------------------------------------------------------------------


async def _addresses_listed(pilot) -> None:
    from flowtui.ui.screens.address_editor import AddressesScreen

    await wait_for_customers(pilot)
    await pilot.press("a")
    await until(pilot, lambda: isinstance(pilot.app.screen, AddressesScreen))
    await until(pilot, lambda: pilot.app.screen.loaded)
    await _settle(pilot)


def test_customer_detail_with_addresses(snap_compare, sandbox):
    async def run_before(pilot) -> None:
        from flowtui.ui.widgets.customers.addresses import AddressesBlock

        await wait_for_customers(pilot)
        block = pilot.app.screen.query_one(AddressesBlock)
        await until(pilot, lambda: "Addresses (" in str(block.render()))
        await _settle(pilot)

    assert snap_compare(logged_in_app(sandbox), terminal_size=(120, 36), run_before=run_before)


def test_address_list(snap_compare, sandbox):
    assert snap_compare(logged_in_app(sandbox), terminal_size=SIZE, run_before=_addresses_listed)


def test_address_editor_invalid_with_the_country_picker_open(snap_compare, sandbox):
    async def run_before(pilot) -> None:
        await _addresses_listed(pilot)
        await pilot.press("e")
        await until(pilot, lambda: form_ready(pilot.app))
        await _settle(pilot)
        editor(pilot.app, "postcode").input.value = ""
        country = editor(pilot.app, "country").input
        country.focus()
        country.value = ""
        await pilot.press(*"ger")
        await until(pilot, lambda: field_error(pilot.app, "postcode") != "")
        await _settle(pilot)

    assert snap_compare(logged_in_app(sandbox), terminal_size=SIZE, run_before=run_before)
