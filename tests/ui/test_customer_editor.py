"""The customer editor by keyboard against the real sandbox: seed steps 4-6 checked by raw
HTTP, only changed attributes sent, validation for every field type and rule, the store's
rejections on their field, a conflicting edit, the unsaved-changes guard, delete, snapshots."""

from __future__ import annotations

from textual.widgets import Checkbox, Select

from flowtui.ui.screens.customer_editor import ConflictScreen, EditCustomerScreen
from flowtui.ui.screens.dialogs import ConfirmDialog
from flowtui.ui.screens.forms import NewCustomerScreen
from flowtui.ui.screens.main import MainScreen
from tests.conftest import CLIENT_ID, make_sandbox
from tests.ui.conftest import (
    logged_in_app,
    raw_client,
    raw_get,
    until,
    wait_for_customers,
    workers_done,
)
from tests.ui.test_forms import editor, field_error, form_ready, save_disabled


async def token(client, sandbox) -> dict:
    form = {
        "grant_type": "client_credentials",
        "client_id": CLIENT_ID,
        "client_secret": sandbox.state.config.client_secret,
    }
    tok = (await client.post("/oauth/access_token", data=form)).json()["access_token"]
    return {"Authorization": f"Bearer {tok}"}


async def raw(sandbox, method: str, path: str, data: dict | None = None) -> dict:
    async with raw_client(sandbox) as client:
        headers = await token(client, sandbox)
        r = await client.request(
            method, path, json={"data": data} if data else None, headers=headers
        )
        assert r.status_code in (200, 201, 204), r.text
        return r.json() if r.content else {}


def record_requests(app) -> list[tuple[str, str, bytes]]:
    """Every request the app's service sends from now on (observed, not mocked)."""
    seen: list[tuple[str, str, bytes]] = []

    async def hook(request):
        seen.append((request.method, request.url.path, request.content))

    app.service.client.event_hooks["request"].append(hook)
    return seen


async def open_editor(pilot, key: str = "e") -> EditCustomerScreen:
    app = pilot.app
    await pilot.press(key)
    await until(pilot, lambda: isinstance(app.screen, EditCustomerScreen))
    await until(pilot, lambda: form_ready(app))
    await pilot.pause()
    return app.screen


async def type_into(pilot, key: str, text: str, paste: bool = False) -> None:
    """Type ``text`` into a field key by key (or set it at once, as a paste would)."""
    widget = editor(pilot.app, key).input
    widget.focus()
    widget.value = ""
    if paste or not text.isascii():
        widget.value = text
    elif text:
        await pilot.press(*text)
    await pilot.pause()


async def test_seed_steps_4_to_6_through_the_ui():
    sandbox = make_sandbox()
    # steps 2-3 (the flow and field) as the seed sends them
    flow = await raw(
        sandbox,
        "POST",
        "/v2/flows",
        {
            "type": "flow",
            "name": "Customers",
            "slug": "customers",
            "description": "Extends the default customer object",
            "enabled": True,
        },
    )
    await raw(
        sandbox,
        "POST",
        "/v2/fields",
        {
            "type": "field",
            "name": "Delivery Details",
            "slug": "delivery_details",
            "field_type": "string",
            "description": "customers delivery details",
            "required": False,
            "unique": False,
            "default": 0,
            "enabled": True,
            "order": 1,
            "relationships": {"flow": {"data": {"type": "flow", "id": flow["data"]["id"]}}},
        },
    )
    app = logged_in_app(sandbox)
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, MainScreen))
        view = app.screen.query_one("CustomersView")
        await until(pilot, lambda: view.state == "empty")
        # step 4: create a customer with the custom field
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, NewCustomerScreen) and form_ready(app))
        await type_into(pilot, "name", "Ron Swanson")
        await type_into(pilot, "email", "ron.swanson@gmail.com")
        await type_into(pilot, "delivery_details", "Do NOT leave in a government building")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, MainScreen))
        await until(pilot, lambda: view.state == "loaded")
        # step 5: get the customer (raw HTTP)
        listed = await raw_get(sandbox, "/v2/customers", filter="eq(email,ron.swanson@gmail.com)")
        customer_id = listed["data"][0]["id"]
        got = await raw_get(sandbox, f"/v2/customers/{customer_id}")
        assert got["data"]["name"] == "Ron Swanson"
        assert got["data"]["delivery_details"] == "Do NOT leave in a government building"
        # step 6: update the delivery details, sending only them
        seen = record_requests(app)
        await open_editor(pilot)
        await type_into(pilot, "delivery_details", "Leave in Leslie Knope’s office")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, MainScreen))
        got = await raw_get(sandbox, f"/v2/customers/{customer_id}")
        assert got["data"]["delivery_details"] == "Leave in Leslie Knope’s office"
        puts = [body for method, _, body in seen if method == "PUT"]
        assert len(puts) == 1 and b'"name"' not in puts[0] and b"delivery_details" in puts[0]
        # the row updated in place: no list request after the save
        assert not [p for m, p, _ in seen if m == "GET" and p == "/v2/customers"]
        assert "Leave in Leslie Knope’s office" in [
            str(c) for c in view.table.get_column("custom:delivery_details")
        ]


async def add_rule_fields(sandbox) -> None:
    flows = await raw_get(sandbox, "/v2/flows")
    flow_id = next(f["id"] for f in flows["data"] if f["slug"] == "customers")
    specs = [
        ("Referrer email", "referrer", "string", [{"type": "email"}], False),
        ("Handle", "handle", "string", [{"type": "slug"}], False),
        ("Account uuid", "account_uuid", "string", [{"type": "uuid"}], False),
        ("Shoe size", "shoe_size", "integer", [{"type": "enum", "options": [40, 41, 42]}], False),
        ("Discount", "discount", "float", [{"type": "enum", "options": [0.5, 1.0]}], False),
        (
            "Delivery day",
            "delivery_day",
            "date",
            [{"type": "enum", "options": ["2026-12-24", "2026-12-25"]}],
            False,
        ),
        ("Memo", "memo", "string", [], True),
    ]
    for order, (name, slug, kind, rules, required) in enumerate(specs, start=10):
        await raw(
            sandbox,
            "POST",
            "/v2/fields",
            {
                "type": "field",
                "name": name,
                "slug": slug,
                "field_type": kind,
                "description": name,
                "required": required,
                "enabled": True,
                "order": order,
                "validation_rules": rules,
                "default": "memo" if required else None,
                "relationships": {"flow": {"data": {"type": "flow", "id": flow_id}}},
            },
        )


async def test_every_field_type_and_rule_is_checked_as_you_type(sandbox):
    await add_rule_fields(sandbox)
    app = logged_in_app(sandbox)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for_customers(pilot)
        form = await open_editor(pilot)
        # a widget per type
        assert isinstance(editor(app, "newsletter").input, Checkbox)
        for key in ("contact_window", "shoe_size", "discount", "delivery_day"):
            assert isinstance(editor(app, key).input, Select), key
        assert editor(app, "password").input.password and editor(app, "password").input.value == ""
        assert "*" in str(editor(app, "memo").query_one(".field-label").render())
        cases = [
            ("name", "", "is required"),
            ("email", "not-an-email", "email"),
            ("loyalty_tier", "9", "between"),
            ("loyalty_tier", "2.5", "whole number"),  # pasted: typing refuses the dot
            ("lifetime_value", "abc", "number"),
            ("lifetime_value", "-1", "between"),
            ("birthday", "2024-13-01", "date"),
            ("referrer", "nobody", "email"),
            ("handle", "no spaces!", "letters, digits"),
            ("account_uuid", "1234", "uuid"),
            ("memo", "", "required"),
        ]
        for key, text, problem in cases:
            good = editor(app, key).input.value
            await type_into(pilot, key, text, paste=True)
            assert problem in field_error(app, key).lower(), (key, field_error(app, key))
            assert save_disabled(app), key
            editor(app, key).input.value = good
            await pilot.pause()
            assert field_error(app, key) == "", key
        assert not save_disabled(app)
        assert form.dirty() is False


async def test_store_rejection_lands_on_its_field(sandbox):
    app = logged_in_app(sandbox)
    async with app.run_test(size=(120, 36)) as pilot:
        view = await wait_for_customers(pilot)
        other = list(view.customers.values())[1]
        await open_editor(pilot)
        await type_into(pilot, "email", other.email)
        await pilot.press("ctrl+s")
        await until(pilot, lambda: field_error(app, "email") != "")
        assert isinstance(app.screen, EditCustomerScreen)
        assert not save_disabled(app)


async def test_a_conflicting_edit_shows_both_versions_and_overwrites_nothing_silently(sandbox):
    app = logged_in_app(sandbox)
    async with app.run_test(size=(120, 36)) as pilot:
        view = await wait_for_customers(pilot)
        customer = view.highlighted()
        form = await open_editor(pilot)
        # someone else renames the customer meanwhile
        await raw(
            sandbox,
            "PUT",
            f"/v2/customers/{customer.id}",
            {"type": "customer", "name": "Changed Elsewhere"},
        )
        await type_into(pilot, "loyalty_tier", "4")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, ConflictScreen))
        shown = " ".join(str(s.render()) for s in app.screen.query("Static"))
        assert "Changed Elsewhere" in shown and customer.name in shown and "4" in shown
        # cancel: nothing written
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is form and not form.saving)
        stored = (await raw_get(sandbox, f"/v2/customers/{customer.id}"))["data"]
        assert stored.get("loyalty_tier") != 4
        # keep mine: my change goes in, their rename stays
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, ConflictScreen))
        await pilot.press("m")
        await until(pilot, lambda: isinstance(app.screen, MainScreen))
        stored = (await raw_get(sandbox, f"/v2/customers/{customer.id}"))["data"]
        assert stored["loyalty_tier"] == 4 and stored["name"] == "Changed Elsewhere"
        # the browser row followed without a reload
        await until(pilot, lambda: view.customers[customer.id].name == "Changed Elsewhere")


async def test_take_theirs_reloads_the_form_and_writes_nothing(sandbox):
    app = logged_in_app(sandbox)
    async with app.run_test(size=(120, 36)) as pilot:
        view = await wait_for_customers(pilot)
        customer = view.highlighted()
        form = await open_editor(pilot)
        await raw(
            sandbox, "PUT", f"/v2/customers/{customer.id}", {"type": "customer", "name": "Theirs"}
        )
        before = (await raw_get(sandbox, f"/v2/customers/{customer.id}"))["data"]
        await type_into(pilot, "name", "Mine")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, ConflictScreen))
        await pilot.press("t")
        await until(pilot, lambda: app.screen is form and form_ready(app))
        await until(pilot, lambda: editor(app, "name").input.value == "Theirs")
        after = (await raw_get(sandbox, f"/v2/customers/{customer.id}"))["data"]
        assert after == before


async def test_esc_with_changes_asks_first(sandbox):
    app = logged_in_app(sandbox)
    async with app.run_test(size=(120, 36)) as pilot:
        view = await wait_for_customers(pilot)
        customer = view.highlighted()
        form = await open_editor(pilot)
        await pilot.press("escape")  # clean: closes at once
        await until(pilot, lambda: isinstance(app.screen, MainScreen))
        form = await open_editor(pilot, "enter")
        await type_into(pilot, "name", "Unsaved")
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("n")
        await until(pilot, lambda: app.screen is form)
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("y")
        await until(pilot, lambda: isinstance(app.screen, MainScreen))
        stored = (await raw_get(sandbox, f"/v2/customers/{customer.id}"))["data"]
        assert stored["name"] == customer.name


async def test_password_is_set_but_never_shown(sandbox):
    app = logged_in_app(sandbox)
    async with app.run_test(size=(120, 36)) as pilot:
        view = await wait_for_customers(pilot)
        customer = view.highlighted()
        await open_editor(pilot)
        await type_into(pilot, "password", "s3cret-pass")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, MainScreen))
        stored = (await raw_get(sandbox, f"/v2/customers/{customer.id}"))["data"]
        assert stored["password"] is True
        await open_editor(pilot)
        assert editor(app, "password").input.value == ""


async def test_delete_confirmation_names_the_customer(sandbox):
    app = logged_in_app(sandbox)
    async with app.run_test(size=(120, 36)) as pilot:
        view = await wait_for_customers(pilot)
        customer = view.highlighted()
        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        assert app.screen.question == f"Delete customer {customer.name} <{customer.email}>?"
        # issue 16: not "This cannot be undone": undo re-creates it, and says what it cannot
        detail = str(app.screen.detail)
        assert "cannot be undone" not in detail
        assert "re-creates it with a new id" in detail and "are not restored" in detail
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, MainScreen))
        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("y")
        await until(pilot, lambda: customer.id not in view.customers)
        async with raw_client(sandbox) as client:
            r = await client.get(
                f"/v2/customers/{customer.id}", headers=await token(client, sandbox)
            )
        assert r.status_code == 404


# -- snapshots ---------------------------------------------------------------------------

SIZE = (120, 36)


def test_snapshot_editor_with_validation_errors(snap_compare, sandbox):
    app = logged_in_app(sandbox)

    async def run_before(pilot) -> None:
        await wait_for_customers(pilot)
        await open_editor(pilot)
        await type_into(pilot, "email", "not-an-email")
        await type_into(pilot, "loyalty_tier", "9")
        await workers_done(pilot.app)
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_snapshot_conflict_screen(snap_compare, sandbox):
    import datetime

    sandbox.state.store.clock = lambda: datetime.datetime(2026, 1, 2, 3, 4, 5)
    app = logged_in_app(sandbox)

    async def run_before(pilot) -> None:
        view = await wait_for_customers(pilot)
        customer = view.highlighted()
        await open_editor(pilot)
        await raw(
            sandbox,
            "PUT",
            f"/v2/customers/{customer.id}",
            {"type": "customer", "name": "Changed Elsewhere", "loyalty_tier": 5},
        )
        await type_into(pilot, "loyalty_tier", "4")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(pilot.app.screen, ConflictScreen))
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_snapshot_delete_confirmation(snap_compare, sandbox):
    app = logged_in_app(sandbox)

    async def run_before(pilot) -> None:
        await wait_for_customers(pilot)
        await pilot.press("d")
        await until(pilot, lambda: isinstance(pilot.app.screen, ConfirmDialog))
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
