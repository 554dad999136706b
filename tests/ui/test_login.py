"""The login screen: first run, creating a profile against a running sandbox, a wrong
secret, read-only profiles and switching profiles."""

from __future__ import annotations

from textual.widgets import Input, OptionList, Select, Static

from flowtui.config.profiles import ProfileStore
from flowtui.config.secrets import FileSecrets
from flowtui.sandbox import demo
from flowtui.ui.app import FlowApp
from flowtui.ui.screens.login import LoginScreen
from flowtui.ui.screens.main import MainScreen
from tests.conftest import CLIENT_ID, CLIENT_SECRET
from tests.ui.conftest import (
    PROFILE,
    build_app,
    customers_loaded,
    save_profile,
    until,
    wait_for_customers,
)


def login_message(app: FlowApp) -> str:
    return str(app.screen.query_one("#login-message", Static).render())


async def type_into(pilot, selector: str, text: str) -> None:
    """Focus the input ``selector`` and type ``text`` key by key."""
    pilot.app.screen.query_one(selector, Input).focus()
    await pilot.pause()
    await pilot.press(*text)


async def fill(pilot, *, region: str | None = None, **values: str) -> None:
    """Set login form inputs by id (``client_id`` is ``#client-id``) without typing."""
    screen = pilot.app.screen
    if region is not None:
        screen.query_one("#region", Select).value = region
        await pilot.pause()
    for key, value in values.items():
        screen.query_one("#" + key.replace("_", "-"), Input).value = value
    await pilot.pause()


async def test_first_run_keyboard_only_creates_a_profile_against_a_live_sandbox(
    sandbox_app, live_sandbox
):
    """No profile yet, 80x24, keys only: fill the form, Save & connect, land on customers."""
    demo.seed(sandbox_app.state.store, 30)  # the store live_sandbox serves over real HTTP
    # Short credentials: every character below is a key press.
    sandbox_app.state.config.client_id, sandbox_app.state.config.client_secret = "cli", "s3cret"
    profiles = ProfileStore()
    app = FlowApp(profiles, cursor_blink=False)  # the real service_for, real HTTP
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        assert isinstance(screen, LoginScreen) and screen.mode == "first"
        assert app.focused is screen.query_one("#name", Input)
        await pilot.press(*"local")
        await pilot.press("tab")  # region
        assert app.focused is screen.query_one("#region", Select)
        await pilot.press("enter", "down", "down", "enter")  # Custom URL
        await until(pilot, lambda: screen.query_one("#region", Select).value == "custom")
        await pilot.press("tab")  # base URL, enabled by "Custom URL"
        assert app.focused is screen.query_one("#url", Input)
        await pilot.press(*live_sandbox)
        await pilot.press("tab", *"cli", "tab", *"s3cret")
        assert app.focused is screen.query_one("#secret", Input)
        await pilot.press("tab", "tab", "tab")  # read-only, Test connection, Save & connect
        assert app.focused is screen.query_one("#save")
        await pilot.press("enter")
        await until(pilot, lambda: customers_loaded(app), timeout=10)
        assert [type(s).__name__ for s in app.screen_stack] == ["SplashScreen", "MainScreen"]
        view = await wait_for_customers(pilot)
        assert view.table.row_count == 30
        status = str(app.screen.query_one("#customers-status").render())
        assert status == "1-30 of 30 customers"
        assert str(app.screen.query_one("#header-kind").render()) == "SANDBOX"
        assert app.resolved.profile.name == "local"

    saved = ProfileStore().get("local")
    assert saved.base_url == live_sandbox and saved.client_id == "cli"
    assert ProfileStore().default_name() == "local"
    assert FileSecrets().get_secret("local") == "s3cret"
    assert FileSecrets().get_token("local") is not None


async def test_wrong_secret_shows_the_error_inline_and_saves_nothing(live_sandbox):
    profiles = ProfileStore()
    app = FlowApp(profiles, cursor_blink=False)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        await type_into(pilot, "#name", "oops")
        await fill(pilot, region="custom", url=live_sandbox, client_id=CLIENT_ID)
        await type_into(pilot, "#secret", "wrong")
        await pilot.click("#save")
        await until(pilot, lambda: "refused client id" in login_message(app))
        assert app.screen is screen  # still on the login screen
        assert screen.query_one("#login-message").has_class("error")
        assert "Traceback" not in login_message(app)
        # The typed form is kept, so the secret can be corrected.
        assert screen.query_one("#name", Input).value == "oops"
    assert ProfileStore().names() == []
    assert FileSecrets().get_secret("oops") is None


async def test_startup_with_a_refused_secret_offers_the_profile_again(sandbox):
    profiles = ProfileStore()
    resolved = save_profile(profiles, secret="stale")
    app = build_app(sandbox, profiles=profiles, resolved=resolved)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, LoginScreen))
        screen = app.screen
        assert screen.mode == "first"
        assert login_message(app).startswith(f"Could not log in with profile {PROFILE}")
        assert screen.query_one("#name", Input).value == PROFILE
        await pilot.press("escape")  # nothing to go back to on the first screen
        assert app.screen is screen
        secret = screen.query_one("#secret", Input)
        secret.focus()
        secret.value = CLIENT_SECRET
        await pilot.press("enter")  # enter in a field is Save & connect
        await until(pilot, lambda: customers_loaded(app))
    assert FileSecrets().get_secret(PROFILE) == CLIENT_SECRET


async def test_saved_profiles_are_listed_and_open_with_enter(sandbox):
    profiles = ProfileStore()
    save_profile(profiles, "eagleton", read_only=True)
    save_profile(profiles, PROFILE)
    app = build_app(sandbox, profiles=profiles)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        options = screen.query_one("#profile-list", OptionList)
        assert app.focused is options
        names = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert names == ["eagleton", PROFILE, "+ New profile"]
        assert options.highlighted == 1  # the default profile: enter alone connects it
        await pilot.press("enter")
        await until(pilot, lambda: customers_loaded(app))
        assert app.resolved.profile.name == PROFILE


async def test_switch_profile_to_a_read_only_one(sandbox):
    profiles = ProfileStore()
    save_profile(profiles, "eagleton", read_only=True, default=False)
    resolved = save_profile(profiles, PROFILE)
    app = build_app(sandbox, profiles=profiles, resolved=resolved)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for_customers(pilot)
        first_main = app.screen
        assert not first_main.query("#header-readonly")
        app.action_switch_profile()
        await until(pilot, lambda: app.screen.query_one("#profile-list", OptionList).option_count)
        assert isinstance(app.screen, LoginScreen) and app.screen.mode == "switch"
        assert app.screen.query_one("#profile-list", OptionList).highlighted == 1  # default
        await pilot.press("up", "enter")  # eagleton
        await until(pilot, lambda: app.main_screen() not in (None, first_main))
        assert [type(s).__name__ for s in app.screen_stack] == ["SplashScreen", "MainScreen"]
        assert app.resolved.profile.name == "eagleton"
        assert app.service.read_only
        assert str(app.screen.query_one("#header-readonly").render()) == "READ-ONLY"
        assert str(app.screen.query_one("#header-profile").render()) == "profile eagleton"


async def test_read_only_profile_needs_no_secret(live_sandbox):
    app = FlowApp(ProfileStore(), cursor_blink=False)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        await type_into(pilot, "#name", "viewer")
        await fill(pilot, region="custom", url=live_sandbox, client_id=CLIENT_ID)
        screen.query_one("#read-only").focus()
        await pilot.press("space")  # tick Read-only
        await pilot.click("#save")
        await until(pilot, lambda: isinstance(app.screen, MainScreen), timeout=10)
        assert str(app.screen.query_one("#header-readonly").render()) == "READ-ONLY"
    saved = ProfileStore().get("viewer")
    assert saved.read_only
    assert FileSecrets().get_secret("viewer") is None


async def test_read_only_box_reads_without_colour_and_enter_on_it_connects(live_sandbox):
    """Issue 16: enter on *Read-only* toggled it instead of saving; ticked and unticked (and
    focused or not) differed only in colour. Now: ``[x]``/``[ ]``, a ``›`` marks the focus,
    space ticks and enter saves and connects."""
    app = FlowApp(ProfileStore(), cursor_blink=False)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        box = screen.query_one("#read-only")

        def shown() -> str:
            return str(box.render())

        await type_into(pilot, "#name", "viewer")
        await fill(pilot, region="custom", url=live_sandbox, client_id=CLIENT_ID)
        assert shown().startswith(" [ ] Read-only")  # not focused, not ticked
        box.focus()
        await pilot.pause()
        assert shown().startswith("›[ ] Read-only")
        await pilot.press("space")
        assert box.value and shown().startswith("›[x] Read-only")
        await pilot.press("enter")  # saves and connects; does not untick
        await until(pilot, lambda: isinstance(app.screen, MainScreen), timeout=10)
        assert str(app.screen.query_one("#header-readonly").render()) == "READ-ONLY"
    assert ProfileStore().get("viewer").read_only


async def test_incomplete_form_says_what_is_missing(sandbox):
    app = build_app(sandbox)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.click("#test")
        message = login_message(app)
        assert "Name:" in message and "Client id: required" in message
        assert "Client secret: required" in message
    assert ProfileStore().names() == []


async def test_incomplete_form_moves_the_focus_to_the_first_problem(sandbox):
    """Save & connect on an incomplete form says what is missing and puts the cursor there:
    the name first, then (with a name) the client id, then the secret."""
    app = build_app(sandbox)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.click("#save")
        await until(pilot, lambda: "Name:" in login_message(app))
        assert app.focused is app.screen.query_one("#name")
        await type_into(pilot, "#name", "shop")
        await fill(pilot, region="custom", url="http://127.0.0.1:9")
        app.screen.query_one("#url").focus()
        await pilot.press("enter")
        await until(pilot, lambda: "Name:" not in login_message(app))
        assert "Client id: required" in login_message(app)
        assert app.focused is app.screen.query_one("#client-id")
        await type_into(pilot, "#client-id", "id")
        await pilot.press("enter")
        await until(pilot, lambda: "Client id" not in login_message(app))
        assert "Client secret: required" in login_message(app)
        assert app.focused is app.screen.query_one("#secret")
    assert ProfileStore().names() == []
