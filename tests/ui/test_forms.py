"""Creating customers (and flows) through the forms: checks as you type, the store's own
rejections next to their field, the result in the view and in the store; read-only refusals."""

from __future__ import annotations

from textual.widgets import Button

from flowtui.ui.screens.dialogs import ConfirmDialog
from flowtui.ui.screens.forms import NewCustomerScreen, NewFlowScreen
from flowtui.ui.screens.main import MainScreen
from flowtui.ui.widgets.form import FieldEditor
from tests.ui.conftest import (
    SEEDED,
    logged_in_app,
    raw_get,
    run_command,
    until,
    wait_for_customers,
)


def editor(app, key: str) -> FieldEditor:
    return app.screen.query_one(f"#field-{key}", FieldEditor)


def field_error(app, key: str) -> str:
    return editor(app, key).problem_shown


def status(app) -> str:
    return str(app.screen.query_one("#customers-status").render())


def save_disabled(app) -> bool:
    return app.screen.query_one("#save", Button).disabled


def form_ready(app) -> bool:
    """The form on top has mounted an editor, with its input, for every spec."""
    form = app.screen
    editors = form.editors()
    return bool(form.specs) and len(editors) == len(form.specs) and all(e.input for e in editors)


async def open_new_customer(pilot) -> NewCustomerScreen:
    """From the customers view, ``n`` opens the form; wait for its fields (a worker)."""
    await pilot.press("n")
    app = pilot.app
    await until(pilot, lambda: isinstance(app.screen, NewCustomerScreen))
    await until(pilot, lambda: form_ready(app))
    return app.screen


async def test_new_customer_checks_as_you_type_and_creates_it(sandbox):
    app = logged_in_app(sandbox)
    async with app.run_test(size=(120, 36)) as pilot:
        view = await wait_for_customers(pilot)
        form = await open_new_customer(pilot)
        # The custom fields of the customers flow are part of the form.
        assert len(form.specs) > 4
        assert app.focused is editor(app, "name").input  # typing starts at the top
        assert save_disabled(app)
        await pilot.press(*"Leslie", "tab")
        await pilot.press(*"leslie@")
        assert field_error(app, "email") == "must be an email address"
        assert save_disabled(app)
        await pilot.press(*"pawnee.gov")
        assert field_error(app, "email") == ""
        assert not save_disabled(app)
        await pilot.press("f10")  # the ctrl+s fallback
        await until(pilot, lambda: isinstance(app.screen, MainScreen))
        await until(pilot, lambda: str(view.table.get_row_at(0)[1]) == "leslie@pawnee.gov")
        assert str(view.table.get_row_at(0)[0]) == "Leslie"
        assert status(app) == f"1-100 of {SEEDED + 1} customers"
    body = await raw_get(sandbox, "/v2/customers", filter="eq(email,leslie@pawnee.gov)")
    assert [c["name"] for c in body["data"]] == ["Leslie"]
    assert body["meta"]["results"]["total"] == 1


async def test_duplicate_email_lands_next_to_the_email_field(sandbox):
    taken = (await raw_get(sandbox, "/v2/customers", **{"page[limit]": 1}))["data"][0]["email"]
    app = logged_in_app(sandbox)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for_customers(pilot)
        form = await open_new_customer(pilot)
        editor(app, "name").input.value = "Second Leslie"
        editor(app, "email").input.value = taken
        await until(pilot, lambda: not save_disabled(app))
        await pilot.press("ctrl+s")
        await until(pilot, lambda: field_error(app, "email") != "")
        assert app.screen is form  # nothing lost: the form stays open
        assert "already" in field_error(app, "email").lower() or taken in field_error(app, "email")
        assert field_error(app, "name") == ""
        assert form.query_one("#form-message").has_class("error")
        assert not save_disabled(app)  # fix it and try again
        assert editor(app, "name").input.value == "Second Leslie"
        # Typing in the field clears the store's complaint.
        editor(app, "email").input.value = "second.leslie@pawnee.gov"
        await until(pilot, lambda: field_error(app, "email") == "")
    body = await raw_get(sandbox, "/v2/customers", filter=f"eq(email,{taken})")
    assert body["meta"]["results"]["total"] == 1


async def test_esc_closes_a_clean_form_and_asks_before_dropping_a_dirty_one(sandbox):
    app = logged_in_app(sandbox)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for_customers(pilot)
        await open_new_customer(pilot)
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)
        form = await open_new_customer(pilot)
        await pilot.press(*"Ann")
        await pilot.press("escape")
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("escape")  # esc backs out of the question: the form is still there
        assert app.screen is form
        assert editor(app, "name").input.value == "Ann"
        await pilot.press("escape", "y")
        assert isinstance(app.screen, MainScreen)


async def test_read_only_profile_shows_a_badge_and_refuses_new_customers(sandbox):
    app = logged_in_app(sandbox, read_only=True)
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: "Read-only profile" in status(app))
        # EPCC does not let implicit tokens read customers: the view says so, no error toast.
        assert "implicit tokens" in status(app)
        assert str(app.screen.query_one("#header-readonly").render()) == "READ-ONLY"
        assert app.service.read_only
        await pilot.press("f3")  # flows are readable
        await until(pilot, lambda: app.screen.query_one("#flows-table").row_count == 3)
        await pilot.press("f2", "n")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        await run_command(pilot, "customer: new")
        await run_command(pilot, "flow: new")
        assert isinstance(app.screen, MainScreen)
        messages = [n.message for n in app._notifications]
        assert len(messages) == 3, messages
        assert "read-only" in messages[0] and "cannot create customers" in messages[0]
        assert messages[1] == messages[0]
        assert "cannot create flows" in messages[2]


async def test_the_read_only_message_is_whole_at_80_columns(sandbox):
    """Issue 16: at 80 columns the read-only message was cut off."""
    app = logged_in_app(sandbox, read_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: "Read-only profile" in status(app))
        await pilot.pause()
        line = app.screen.query_one("#customers-status")
        assert line.region.right <= 80 and line.region.height >= 2
        shown = " ".join(
            strip.text.strip() for strip in line.render_lines(line.region.reset_offset)
        )
        assert shown.endswith("Flows and fields (f3) are readable.")


async def test_new_flow_checks_the_slug_and_creates_it(sandbox):
    app = logged_in_app(sandbox)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for_customers(pilot)
        await pilot.press("f3", "n")
        await until(pilot, lambda: isinstance(app.screen, NewFlowScreen) and form_ready(app))
        editor(app, "name").input.value = "Parks"
        slug = editor(app, "slug").input
        slug.value = "Parks Dept"
        await pilot.pause()
        assert field_error(app, "slug") != ""
        assert save_disabled(app)
        slug.value = "parks"
        await until(pilot, lambda: not save_disabled(app))
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, MainScreen))
        flows = app.screen.query_one("#flows-table")
        await until(pilot, lambda: flows.row_count == 4)
    body = await raw_get(sandbox, "/v2/flows")
    assert "parks" in [f["slug"] for f in body["data"]]


async def test_boolean_fields_show_a_whole_checkbox_and_toggle_with_space(sandbox):
    app = logged_in_app(sandbox)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for_customers(pilot)
        await open_new_customer(pilot)
        box = editor(app, "newsletter").input

        def drawn() -> str:
            return "".join(segment.text for segment in box.render_line(0))

        assert box.size.height == 1 and drawn().startswith("▐X▌")
        box.focus()
        await pilot.pause()
        assert box.size.height == 1 and drawn().startswith("▐X▌")  # focus keeps it visible
        assert box.value is False
        await pilot.press("space")
        assert box.value is True
        assert editor(app, "newsletter").value() == (True, None)


async def test_question_mark_types_into_a_field_instead_of_opening_help(sandbox):
    app = logged_in_app(sandbox)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for_customers(pilot)
        await open_new_customer(pilot)
        await pilot.press("a", "question_mark", "b")
        assert editor(app, "name").input.value == "a?b"
        assert not app.screen.query("HelpPanel")
        await pilot.press("f1")  # f1 still works inside a form
        assert app.screen.query("HelpPanel")


def form_message(app) -> str:
    return str(app.screen.query_one("#form-message").render())


async def test_ctrl_s_on_an_incomplete_form_says_what_is_missing_and_goes_there(sandbox):
    """Issue 16: ctrl+s with a required field empty did nothing and said nothing."""
    app = logged_in_app(sandbox)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for_customers(pilot)
        form = await open_new_customer(pilot)
        await pilot.press(*"Leslie Knope")  # the name, no email
        await pilot.press("tab")
        await pilot.press("tab")  # the focus is on the password now
        assert app.focused is editor(app, "password").input
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is form and not form.saving
        assert form_message(app) == "Not saved: Email is required."
        assert field_error(app, "email") == "is required"
        assert app.focused is editor(app, "email").input
        # two problems: the first is named, the focus goes to it, the count of the rest
        await pilot.press(*"x@")
        editor(app, "name").input.value = ""
        await pilot.press("f10")
        await pilot.pause()
        assert form_message(app) == "Not saved: Name is required (and 1 more above)."
        assert app.focused is editor(app, "name").input
        assert field_error(app, "email") == "must be an email address"
        total = (await raw_get(sandbox, "/v2/customers"))["meta"]["results"]["total"]
        assert total == SEEDED  # nothing was sent
