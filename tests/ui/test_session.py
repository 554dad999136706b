"""A session that expires during use: silently renewed when the credentials still work,
else the login screen over the current view, nothing typed lost."""

from __future__ import annotations

from textual.widgets import Input, Static

from flowtui.config.secrets import FileSecrets
from flowtui.ui.screens.forms import NewCustomerScreen
from flowtui.ui.screens.login import LoginScreen
from flowtui.ui.screens.main import MainScreen
from tests.ui.conftest import PROFILE, logged_in_app, raw_get, until, wait_for_customers
from tests.ui.test_forms import editor, open_new_customer, save_disabled


def revoke_tokens(sandbox) -> None:
    """The store forgets every token it issued (as after a restart or a revocation)."""
    sandbox.state.store.db.execute("DELETE FROM tokens")


async def test_revoked_token_is_renewed_silently(sandbox):
    app = logged_in_app(sandbox)
    async with app.run_test(size=(120, 36)) as pilot:
        view = await wait_for_customers(pilot)
        logins = app.service.auth.logins
        token = app.service.auth.token.access_token
        revoke_tokens(sandbox)
        await pilot.press("right_square_bracket")  # the next action needs the store
        await until(
            pilot, lambda: str(view.query_one("#customers-status").render()).startswith("101-200")
        )
        assert app.service.auth.logins == logins + 1
        assert app.service.auth.token.access_token != token
        assert [type(s) for s in app.screen_stack][1:] == [MainScreen]
        assert not app._notifications  # nothing to tell the user


async def test_expired_credentials_ask_again_over_a_half_filled_form(sandbox):
    app = logged_in_app(sandbox)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for_customers(pilot)
        form = await open_new_customer(pilot)
        await pilot.press(*"Ron", "tab", *"ron@pawnee.gov")
        revoke_tokens(sandbox)
        sandbox.state.config.client_secret = "rotated"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, LoginScreen))
        login = app.screen
        assert login.mode == "reauth"
        assert [type(s) for s in app.screen_stack] == [
            type(app.screen_stack[0]),
            MainScreen,
            NewCustomerScreen,
            LoginScreen,
        ]
        message = str(login.query_one("#login-message", Static).render())
        assert "refused" in message
        assert login.query_one("#name", Input).value == PROFILE  # the profile is preselected
        assert app.focused is login.query_one("#secret", Input)
        await pilot.press(*"rotated", "enter")
        await until(pilot, lambda: app.screen is form)
        # The form kept what was typed, and saving now works with the renewed session.
        assert editor(app, "name").input.value == "Ron"
        assert editor(app, "email").input.value == "ron@pawnee.gov"
        assert FileSecrets().get_secret(PROFILE) == "rotated"
        assert not save_disabled(app)
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, MainScreen))
    body = await raw_get(sandbox, "/v2/customers", filter="eq(email,ron@pawnee.gov)")
    assert [c["name"] for c in body["data"]] == ["Ron"]


async def test_a_listener_that_raises_is_shown_not_swallowed(sandbox):
    """The service tells its listeners of every change; one that raises reaches the error
    funnel (a toast naming the error), and the others, the views, still follow."""
    app = logged_in_app(sandbox)
    async with app.run_test(size=(120, 36)) as pilot:
        view = await wait_for_customers(pilot)

        def broken(change) -> None:
            raise RuntimeError("listener broke on purpose")

        app.service.subscribe(broken)
        first = view.page.items[0]
        await app.service.update_customer(first.id, {"name": "Leslie Knope"})
        await until(pilot, lambda: any("listener broke" in n.message for n in app._notifications))
        (toast,) = [n for n in app._notifications if "listener broke" in n.message]
        assert toast.severity == "error"
        assert view.customers[first.id].name == "Leslie Knope"  # the view heard it too


async def test_a_view_whose_change_handler_raises_is_reported(sandbox):
    """A node subscribed to the app's ``changed`` signal whose callback raises: the error
    takes the funnel, and the next subscriber still hears the change."""
    from flowtui.api.service import Change

    app = logged_in_app(sandbox)
    async with app.run_test(size=(120, 36)) as pilot:
        view = await wait_for_customers(pilot)
        heard: list[Change] = []

        def broken(change: Change) -> None:
            raise ValueError("handler broke on purpose")

        app.follow_changes(view, broken)
        app.follow_changes(app.screen, heard.append)
        app.publish_change(Change("session", "renewed", ""))
        await until(pilot, lambda: any("handler broke" in n.message for n in app._notifications))
        assert [c.action for c in heard] == ["renewed"]
