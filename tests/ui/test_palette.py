"""The command palette: namespaced commands, offered only when they can work."""

from __future__ import annotations

import pytest
from textual.command import CommandPalette
from textual.widgets import ContentSwitcher, Input

from flowtui.ui.screens.forms import NewCustomerScreen, NewFlowScreen
from flowtui.ui.screens.login import LoginScreen
from flowtui.ui.screens.main import MainScreen
from tests.ui.conftest import (
    build_app,
    logged_in_app,
    open_palette,
    palette_hits,
    run_command,
    until,
    wait_for_customers,
)
from tests.ui.test_typeahead import burst, settled


async def test_palette_lists_the_namespaced_commands(sandbox):
    app = logged_in_app(sandbox)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for_customers(pilot)
        await open_palette(pilot)
        wanted = {
            "profile: switch",
            "profile: new",
            "customer: new",
            "flow: new",
            "view: customers",
            "view: flows",
            "keys: show",
        }
        await until(pilot, lambda: wanted <= set(palette_hits(app)))
        assert not [hit for hit in palette_hits(app) if hit.startswith("theme: ")]
        app.screen.query_one(Input).value = "theme"
        await until(pilot, lambda: "theme: textual-light" in palette_hits(app))
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


async def test_palette_lists_keys_and_theme_once(sandbox):
    """Issue 16: Textual's own *Keys* and *Theme* were listed besides ``keys: show`` and
    ``theme: …``."""
    app = logged_in_app(sandbox)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for_customers(pilot)
        await open_palette(pilot)
        await until(pilot, lambda: "keys: show" in palette_hits(app))
        await pilot.pause(0.3)  # let every provider answer
        hits = palette_hits(app)
        assert "Keys" not in hits and "Theme" not in hits
        assert hits.count("keys: show") == 1
        assert "Quit" in hits  # Textual's other commands stay
        app.screen.query_one(Input).value = "theme"
        await until(pilot, lambda: "theme: choose" in palette_hits(app))
        await pilot.pause(0.3)
        assert "Theme" not in palette_hits(app) and palette_hits(app).count("theme: choose") == 1


async def test_palette_before_login_offers_no_store_commands(sandbox):
    app = build_app(sandbox)
    async with app.run_test(size=(120, 36)) as pilot:
        assert isinstance(app.screen, LoginScreen)
        await open_palette(pilot, "new")
        await until(pilot, lambda: "profile: new" in palette_hits(app))
        await pilot.pause(0.3)  # let every provider answer
        assert "customer: new" not in palette_hits(app)
        assert "flow: new" not in palette_hits(app)


async def test_view_commands_switch_views(sandbox):
    app = logged_in_app(sandbox)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for_customers(pilot)
        switcher = app.screen.query_one("#views", ContentSwitcher)
        await run_command(pilot, "view: flows")
        assert switcher.current == "flows"
        await run_command(pilot, "view: customers")
        assert switcher.current == "customers"


async def test_theme_command_changes_the_theme(sandbox):
    app = logged_in_app(sandbox)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for_customers(pilot)
        assert app.theme != "textual-light"
        await run_command(pilot, "theme: textual-light")
        assert app.theme == "textual-light"


async def test_new_commands_open_their_forms_and_esc_backs_out(sandbox):
    app = logged_in_app(sandbox)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for_customers(pilot)
        await run_command(pilot, "customer: new")
        assert isinstance(app.screen, NewCustomerScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)
        await run_command(pilot, "flow: new")
        assert isinstance(app.screen, NewFlowScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


async def test_profile_commands_open_the_login_screen(sandbox):
    app = logged_in_app(sandbox)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for_customers(pilot)
        await run_command(pilot, "profile: switch")
        assert isinstance(app.screen, LoginScreen) and app.screen.mode == "switch"
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)
        await run_command(pilot, "profile: new")
        assert isinstance(app.screen, LoginScreen) and app.screen.mode == "new"
        assert app.focused is app.screen.query_one("#name")
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


async def test_keys_show_command_opens_help(sandbox):
    app = logged_in_app(sandbox)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for_customers(pilot)
        await run_command(pilot, "keys: show")
        assert len(app.screen.query("HelpPanel")) == 1


@pytest.mark.parametrize("latency", [0, 150], ids=["L0", "L150"])
@pytest.mark.parametrize("listing", [False, True], ids=["ctrl+p-too", "list-shown"])
async def test_a_command_typed_ahead_runs_the_command_found(sandbox, latency, listing):
    """A command's name and enter in one burst (type-ahead), with ctrl+p in the burst too or
    typed into the palette already listing every command: enter waits for the palette's
    search for what was typed, so it runs the command a slow typist would see first, not
    the one the list showed on top before, nor nothing."""
    sandbox.state.config.latency_ms = latency
    app = logged_in_app(sandbox)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for_customers(pilot)
        if listing:
            await open_palette(pilot)
            hits = lambda: palette_hits(app)  # noqa: E731
            await until(pilot, lambda: "flow: new" in hits() and hits()[0] != "flow: new")
        await settled(pilot, burst(app, ("" if listing else "\x10") + "flow: new\r"))
        await until(pilot, lambda: isinstance(app.screen, NewFlowScreen))
        assert not CommandPalette.is_open(app)
