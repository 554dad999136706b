"""The flow and field designer, driven by keys against the real in-process sandbox.

The seed walkthrough's steps 2 and 3 are done entirely through the designer and then proved
with a raw GET; every rule editor, the type lock, live slug checks, reorder, the delete paths,
entries, read-only refusals and change propagation each have a test; every state has a
snapshot (regenerate with ``--snapshot-update`` and look at the SVGs).
"""

from __future__ import annotations

from textual.widgets import Button, Checkbox, Input, Label, Select, Static, TextArea

from flowtui.ui.screens.customer_editor import EditCustomerScreen
from flowtui.ui.screens.designer_dialogs import PreviewScreen, TypedConfirmDialog
from flowtui.ui.screens.dialogs import ConfirmDialog
from flowtui.ui.screens.entries import EntriesScreen, EntryFormScreen, RecordPicker
from flowtui.ui.screens.field_form import TYPE_LOCKED, FieldFormScreen
from flowtui.ui.screens.flow_form import FlowFormScreen
from flowtui.ui.screens.forms import NewCustomerScreen
from flowtui.ui.screens.main import MainScreen
from flowtui.ui.widgets.customers import CustomersView
from flowtui.ui.widgets.form import FieldEditor
from tests.conftest import make_sandbox
from tests.ui.conftest import SEEDED, logged_in_app, raw_get, until, wait_for_customers
from tests.ui.designer_helpers import (
    column,
    designer,
    notifications,
    open_designer,
    select_field,
    select_flow,
    settle,
    type_into,
)

SIZE = (100, 32)


def text_of(app, selector: str) -> str:
    return str(app.screen.query_one(selector).render())


def error_of(app, key: str) -> str:
    label = app.screen.query_one(f"#ff-{key}-error", Label)
    return str(label.render()) if label.display else ""


def save_enabled(app) -> bool:
    return not app.screen.query_one("#save", Button).disabled


async def fields_of(sandbox, slug: str) -> list[dict]:
    return (await raw_get(sandbox, f"/v2/flows/{slug}/fields"))["data"]


# -- the seed walkthrough ----------------------------------------------------------------------


async def test_seed_steps_2_and_3_through_the_designer():
    """Step 2 (the customers core flow) and step 3 (the delivery_details field), by keys."""
    sandbox = make_sandbox()
    try:
        app = logged_in_app(sandbox)
        async with app.run_test(size=SIZE) as pilot:
            view = await open_designer(pilot, flows=0)
            assert "No flows yet" in text_of(app, "#flows-status")
            await pilot.press("n")
            await until(pilot, lambda: isinstance(app.screen, FlowFormScreen) and app.screen.specs)
            await type_into(pilot, "#input-name", "Customers", keys=True)
            await type_into(pilot, "#input-slug", "customers", keys=True)
            assert "extend the customer resource" in text_of(app, "#form-message")
            await type_into(pilot, "#input-description", "Extends the default customer object")
            await pilot.press("ctrl+s")
            await until(pilot, lambda: isinstance(app.screen, MainScreen))
            await until(pilot, lambda: view.table.row_count == 1)
            await settle(pilot)
            await pilot.press("enter")  # a core flow: enter goes to its fields
            assert app.focused is view.fields_table
            await pilot.press("a")
            await until(pilot, lambda: isinstance(app.screen, FieldFormScreen))
            await type_into(pilot, "#ff-name", "Delivery Details", keys=True)
            assert app.screen.query_one("#ff-slug", Input).value == "delivery_details"
            await type_into(pilot, "#ff-description", "customers delivery details")
            await type_into(pilot, "#ff-default", "0", keys=True)
            assert error_of(app, "default") == ""
            assert save_enabled(app)
            await pilot.press("ctrl+s")
            await until(pilot, lambda: isinstance(app.screen, MainScreen))
            await until(pilot, lambda: view.fields_table.row_count == 1)
        flows = (await raw_get(sandbox, "/v2/flows"))["data"]
        assert len(flows) == 1
        flow = flows[0]
        assert {k: flow[k] for k in ("type", "name", "slug", "description", "enabled")} == {
            "type": "flow",
            "name": "Customers",
            "slug": "customers",
            "description": "Extends the default customer object",
            "enabled": True,
        }
        [field] = await fields_of(sandbox, "customers")
        expected = {
            "type": "field",
            "name": "Delivery Details",
            "slug": "delivery_details",
            "field_type": "string",
            "description": "customers delivery details",
            "required": False,
            "default": "0",  # the seed sends 0 for a string field: stored as its string form
            "enabled": True,
            "order": 1,
            "validation_rules": [],
        }
        assert {k: field[k] for k in expected} == expected
        assert field["relationships"]["flow"]["data"] == {"type": "flow", "id": flow["id"]}
    finally:
        sandbox.state.store.close()


# -- flows -------------------------------------------------------------------------------------


async def test_flow_slug_is_checked_as_you_type(sandbox):
    app = logged_in_app(sandbox)
    async with app.run_test(size=SIZE) as pilot:
        await open_designer(pilot, flows=3)
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, FlowFormScreen) and app.screen.specs)
        slug = app.screen.query_one("#input-slug", Input)
        cases = {
            "$parks": "must not start with $",
            "customer": "is reserved",
            "parks dept": "only letters, digits",
            "wishlists": "already taken",
            "customers": "already taken",
        }
        for value, problem in cases.items():
            slug.value = value
            await pilot.pause()
            message = str(app.screen.query_one("#field-slug .field-error").render())
            assert problem in message, (value, message)
        slug.value = "orders"
        await pilot.pause()
        assert "extend the order resource" in text_of(app, "#form-message")
        slug.value = "parks"
        await pilot.pause()
        assert "custom flow" in text_of(app, "#form-message")


async def test_edit_and_toggle_a_flow(sandbox):
    app = logged_in_app(sandbox)
    async with app.run_test(size=SIZE) as pilot:
        view = await open_designer(pilot, flows=3)
        await select_flow(pilot, "wishlists")
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, FlowFormScreen) and app.screen.specs)
        assert app.screen.query_one("#input-slug", Input).value == "wishlists"
        await type_into(pilot, "#input-name", "Wish lists")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, MainScreen))
        await until(pilot, lambda: "Wish lists" in column(view.table, 0))
        await pilot.press("space")
        await until(pilot, lambda: column(view.table, 3) == ["yes", "no", "yes"])
    flows = {f["slug"]: f for f in (await raw_get(sandbox, "/v2/flows"))["data"]}
    assert flows["wishlists"]["name"] == "Wish lists"
    assert flows["wishlists"]["enabled"] is False


async def test_deleting_a_custom_flow_says_what_goes(sandbox):
    app = logged_in_app(sandbox)
    async with app.run_test(size=SIZE) as pilot:
        view = await open_designer(pilot, flows=3)
        await select_flow(pilot, "wishlists")
        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        detail = str(app.screen.query_one(".dialog-body").render())
        assert "Its 3 fields and 3 entries are deleted with it" in detail
        await pilot.press("n")  # no
        assert isinstance(app.screen, MainScreen)
        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("y")
        await until(pilot, lambda: view.table.row_count == 2)
    flows = (await raw_get(sandbox, "/v2/flows"))["data"]
    assert [f["slug"] for f in flows] == ["customers", "addresses"]


async def test_deleting_a_core_flow_needs_the_typed_slug(sandbox):
    app = logged_in_app(sandbox)
    async with app.run_test(size=SIZE) as pilot:
        view = await open_designer(pilot, flows=3)
        await select_flow(pilot, "customers")
        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, TypedConfirmDialog))
        detail = str(app.screen.query_one(".dialog-body").render())
        assert "extends the customer resource" in detail
        assert f"values on {SEEDED} customers will no longer be shown" in detail
        assert "refuses to delete a core flow" in detail
        yes = app.screen.query_one("#yes", Button)
        await pilot.press(*"customer")
        assert yes.disabled
        await pilot.press("enter")  # not the slug: nothing happens
        assert isinstance(app.screen, TypedConfirmDialog)
        await pilot.press("s")
        assert not yes.disabled
        await pilot.press("enter")
        await until(pilot, lambda: view.table.row_count == 2)
        assert "Deleted flow customers" in notifications(app)
    flows = (await raw_get(sandbox, "/v2/flows"))["data"]
    assert [f["slug"] for f in flows] == ["wishlists", "addresses"]  # the renamed flow went too
    customer = (await raw_get(sandbox, "/v2/customers", **{"page[limit]": 1}))["data"][0]
    assert "loyalty_tier" not in customer


# -- fields ------------------------------------------------------------------------------------


async def add_field(pilot, flow_slug: str, name: str, field_type: str, **inputs) -> None:
    """Open the field form on ``flow_slug``, fill it, save, and wait for the designer."""
    app = pilot.app
    await select_flow(pilot, flow_slug)
    await pilot.press("tab", "a")
    await until(pilot, lambda: isinstance(app.screen, FieldFormScreen))
    await type_into(pilot, "#ff-name", name)
    app.screen.query_one("#ff-type", Select).value = field_type
    await pilot.pause()
    for widget_id, value in inputs.items():
        widget = app.screen.query_one(f"#ff-{widget_id.replace('_', '-')}")
        if isinstance(widget, Input):
            await type_into(pilot, f"#{widget.id}", value)
        else:
            widget.value = value
    await pilot.pause()
    assert save_enabled(app), [error_of(app, k) for k in ("slug", "validation-rules", "default")]
    await pilot.press("ctrl+s")
    await until(pilot, lambda: isinstance(app.screen, MainScreen))
    await settle(pilot)


async def test_every_rule_editor_writes_its_rules(sandbox):
    app = logged_in_app(sandbox)
    async with app.run_test(size=SIZE) as pilot:
        await open_designer(pilot, flows=3)
        await add_field(pilot, "wishlists", "Colour", "string", enum="red, green,blue")
        await add_field(pilot, "wishlists", "Contact", "string", format="email")
        await add_field(pilot, "wishlists", "Code", "string", format="slug", default="a-1")
        await add_field(pilot, "wishlists", "Stars", "integer", **{"from": "1", "to": "5"})
        await add_field(pilot, "wishlists", "Size", "integer", enum="1,2,3", default="2")
        await add_field(pilot, "wishlists", "Budget", "float", **{"from": "0.5", "to": "9.5"})
        await add_field(pilot, "wishlists", "Due", "date", enum="2026-12-24, 2026-12-25")
        await add_field(pilot, "wishlists", "Gift", "boolean", default="true")
        await add_field(
            pilot, "wishlists", "Fans", "relationship", cardinality="one-to-many", target="customer"
        )
    fields = {f["slug"]: f for f in await fields_of(sandbox, "wishlists")}
    rules = {slug: f["validation_rules"] for slug, f in fields.items()}
    assert rules["colour"] == [{"type": "enum", "options": ["red", "green", "blue"]}]
    assert rules["contact"] == [{"type": "email"}]
    assert rules["code"] == [{"type": "slug"}] and fields["code"]["default"] == "a-1"
    assert rules["stars"] == [{"type": "between", "options": {"from": 1, "to": 5}}]
    assert rules["size"] == [{"type": "enum", "options": [1, 2, 3]}]
    assert fields["size"]["default"] == 2
    assert rules["budget"] == [{"type": "between", "options": {"from": 0.5, "to": 9.5}}]
    assert rules["due"] == [{"type": "enum", "options": ["2026-12-24", "2026-12-25"]}]
    assert rules["gift"] == [] and fields["gift"]["default"] is True
    assert rules["fans"] == [{"type": "one-to-many", "to": "customer"}]
    assert fields["fans"]["required"] is False
    assert [f["order"] for f in fields.values()] == list(range(1, 13))


async def test_uuid_format_and_float_enum_rule_editors(sandbox):
    app = logged_in_app(sandbox)
    async with app.run_test(size=SIZE) as pilot:
        await open_designer(pilot, flows=3)
        await add_field(pilot, "wishlists", "Ticket", "string", format="uuid")
        await add_field(pilot, "wishlists", "Ratio", "float", enum="0.5, 1.25,2", default="1.25")
    fields = {f["slug"]: f for f in await fields_of(sandbox, "wishlists")}
    assert fields["ticket"]["field_type"] == "string"
    assert fields["ticket"]["validation_rules"] == [{"type": "uuid"}]
    assert fields["ratio"]["field_type"] == "float"
    assert fields["ratio"]["validation_rules"] == [{"type": "enum", "options": [0.5, 1.25, 2.0]}]
    assert fields["ratio"]["default"] == 1.25


async def test_field_form_validation_messages(sandbox):
    app = logged_in_app(sandbox)
    async with app.run_test(size=SIZE) as pilot:
        await open_designer(pilot, flows=3)
        await select_flow(pilot, "customers")
        await pilot.press("tab", "a")
        await until(pilot, lambda: isinstance(app.screen, FieldFormScreen))
        screen = app.screen
        ftype = screen.query_one("#ff-type", Select)

        async def check(key: str, expected: str) -> None:
            await pilot.pause()
            assert expected in error_of(app, key), (key, error_of(app, key))
            assert not save_enabled(app)

        await type_into(pilot, "#ff-name", "Email")
        await check("slug", "already an attribute of the customer resource")
        await type_into(pilot, "#ff-slug", "loyalty_tier")
        await check("slug", "already a field of this flow")
        await type_into(pilot, "#ff-slug", "weight")
        await check("slug", "is reserved")
        await type_into(pilot, "#ff-slug", "$x")
        await check("slug", "must not start with $")
        await type_into(pilot, "#ff-slug", "score")
        ftype.value = "integer"
        await type_into(pilot, "#ff-from", "5")
        await check("validation-rules", "needs both from and to")
        await type_into(pilot, "#ff-to", "1")
        await check("validation-rules", "from (5) is greater than to (1)")
        await type_into(pilot, "#ff-to", "9")
        await type_into(pilot, "#ff-default", "12")
        await check("default", "must be between 5 and 9")
        await type_into(pilot, "#ff-default", "1.5")
        await check("default", "must be a whole number")
        await type_into(pilot, "#ff-default", "7")
        await type_into(pilot, "#ff-enum", "1, x")
        await check("validation-rules", "option 'x' must be a whole number")
        await type_into(pilot, "#ff-enum", "")
        ftype.value = "string"
        await pilot.pause()
        assert not screen.query_one("#rules-between").display
        assert screen.query_one("#rules-format").display and screen.query_one("#rules-enum").display
        await type_into(pilot, "#ff-enum", "a, b")
        await check("default", "must be one of")
        ftype.value = "boolean"
        await pilot.pause()
        assert not any(
            screen.query_one(f"#rules-{p}").display
            for p in ("format", "between", "enum", "relationship")
        )
        await type_into(pilot, "#ff-default", "maybe")
        await check("default", "must be true or false")
        await type_into(pilot, "#ff-default", "")
        ftype.value = "relationship"
        await check("validation-rules", "needs a target")
        assert screen.query_one("#ff-required", Checkbox).disabled
        await type_into(pilot, "#ff-target", "customer")
        await pilot.pause()
        assert save_enabled(app)


async def test_ctrl_s_on_an_incomplete_field_form_says_what_and_goes_there(sandbox):
    """Issue 16: ctrl+s on a field form with a problem rang the bell and said nothing."""
    app = logged_in_app(sandbox)
    async with app.run_test(size=SIZE) as pilot:
        await open_designer(pilot, flows=3)
        await select_flow(pilot, "customers")
        await pilot.press("tab", "a")
        await until(pilot, lambda: isinstance(app.screen, FieldFormScreen))
        screen = app.screen
        screen.query_one("#ff-type", Select).value = "integer"
        await type_into(pilot, "#ff-from", "5")
        screen.query_one("#ff-default").focus()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is screen and not screen.saving
        assert text_of(app, "#form-message") == (
            "Not saved: Name: name is required (and 2 more above)."
        )
        assert app.focused is screen.query_one("#ff-name")
        await type_into(pilot, "#ff-name", "Score")
        await pilot.press("f10")
        await pilot.pause()
        assert text_of(app, "#form-message").startswith("Not saved: Rules: ")
        assert app.focused is screen.query_one("#ff-from")  # the first input of the rule


async def test_type_is_locked_after_creation(sandbox):
    app = logged_in_app(sandbox)
    async with app.run_test(size=SIZE) as pilot:
        await open_designer(pilot, flows=3)
        await select_field(pilot, "customers", "loyalty_tier")
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, FieldFormScreen))
        assert app.screen.query_one("#ff-type", Select).disabled
        assert text_of(app, "#ff-type-note") == TYPE_LOCKED
        assert app.screen.query_one("#ff-from", Input).value == "1"
        assert app.screen.query_one("#ff-to", Input).value == "5"
        await type_into(pilot, "#ff-to", "10")
        app.screen.query_one("#ff-required", Checkbox).value = True
        await pilot.pause()
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, MainScreen))
    fields = {f["slug"]: f for f in await fields_of(sandbox, "customers")}
    tier = fields["loyalty_tier"]
    assert tier["field_type"] == "integer"
    assert tier["validation_rules"] == [{"type": "between", "options": {"from": 1, "to": 10}}]
    assert tier["required"] is True


async def test_reorder_fields_with_keys(sandbox):
    app = logged_in_app(sandbox)
    async with app.run_test(size=SIZE) as pilot:
        view = await open_designer(pilot, flows=3)
        await select_field(pilot, "customers", "delivery_notes")
        await pilot.press("J", "J", "shift+down")
        assert column(view.fields_table, 1)[3] == "delivery_notes"
        await pilot.press("K")
        await until(pilot, lambda: "Saved the field order of customers" in notifications(app))
        await settle(pilot)
        expected = [
            "loyalty_tier",
            "newsletter",
            "delivery_notes",
            "birthday",
            "contact_window",
            "lifetime_value",
        ]
        assert column(view.fields_table, 1) == expected
        assert view.highlighted_field().slug == "delivery_notes"
        await pilot.press("ctrl+home", "K")  # already first: refused, nothing written
        assert view.highlighted_field().slug == "loyalty_tier"
    stored = await fields_of(sandbox, "customers")
    assert [f["slug"] for f in stored] == expected
    assert [f["order"] for f in stored] == [1, 2, 3, 4, 5, 6]


async def test_toggle_and_delete_a_field_naming_what_is_lost(sandbox):
    app = logged_in_app(sandbox)
    async with app.run_test(size=SIZE) as pilot:
        view = await open_designer(pilot, flows=3)
        await select_field(pilot, "customers", "newsletter")
        await pilot.press("space")
        await until(pilot, lambda: column(view.fields_table, 4)[2] == "no")
        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        detail = str(app.screen.query_one(".dialog-body").render())
        assert f"values of this field on {SEEDED} customers will no longer be shown" in detail
        await pilot.press("y")
        await until(pilot, lambda: view.fields_table.row_count == 5)
        await select_field(pilot, "wishlists", "priority")
        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        detail = str(app.screen.query_one(".dialog-body").render())
        assert "values of this field on 3 entries will be lost" in detail
        await pilot.press("escape")
    slugs = [f["slug"] for f in await fields_of(sandbox, "customers")]
    assert "newsletter" not in slugs and len(slugs) == 5
    assert len(await fields_of(sandbox, "wishlists")) == 3


async def test_preview_is_the_generated_form_and_checks_values(sandbox):
    app = logged_in_app(sandbox)
    async with app.run_test(size=SIZE) as pilot:
        await open_designer(pilot, flows=3)
        await select_flow(pilot, "customers")
        await pilot.press("p")
        await until(pilot, lambda: isinstance(app.screen, PreviewScreen))
        keys = [e.spec.key for e in app.screen.query(FieldEditor)]
        assert keys[:4] == ["name", "email", "password", "external_ref"]
        assert "loyalty_tier" in keys and len(keys) == 10
        tier = app.screen.query_one("#field-loyalty_tier", FieldEditor)
        tier.input.value = "9"
        await pilot.pause()
        assert "must be between 1 and 5" in str(tier.query_one(".field-error").render())
        await pilot.press("escape")
        await select_flow(pilot, "wishlists")
        await pilot.press("p")
        await until(pilot, lambda: isinstance(app.screen, PreviewScreen))
        assert [e.spec.key for e in app.screen.query(FieldEditor)] == ["title", "priority"]
        assert "one-to-one → customer" in text_of(app, "#preview-notes")


async def test_read_only_profile_can_look_but_not_change(sandbox):
    app = logged_in_app(sandbox, read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        view = await open_designer(pilot, flows=3)
        assert "read-only" in text_of(app, "#flows-status")
        await select_flow(pilot, "wishlists")
        await pilot.press("n", "e", "space", "d")
        await pilot.press("tab", "a", "e", "J", "d")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        messages = notifications(app)
        assert len(messages) == 8, messages
        assert all("read-only" in m and "implicit token" in m for m in messages)
        assert "cannot reorder fields" in messages[6]
        assert view.fields_table.row_count == 3  # fields are readable
        await pilot.press("shift+tab", "enter")
        await until(pilot, lambda: isinstance(app.screen, EntriesScreen))
        await until(pilot, lambda: app.screen.table.row_count == 3)
        await pilot.press("n")
        assert "cannot create entries" in notifications(app)[-1]
    flows = {f["slug"]: f for f in (await raw_get(sandbox, "/v2/flows"))["data"]}
    assert flows["wishlists"]["enabled"] is True


async def open_wishlist_entries(app, pilot) -> EntriesScreen:
    """From the main screen: the designer, the wishlists flow, its entries (3 in the demo)."""
    await open_designer(pilot, flows=3)
    await select_flow(pilot, "wishlists")
    await pilot.press("enter")
    await until(pilot, lambda: isinstance(app.screen, EntriesScreen))
    entries = app.screen
    await until(pilot, lambda: entries.table.row_count == 3)
    return entries


# -- entries -----------------------------------------------------------------------------------


async def test_entries_crud_with_a_related_customer(sandbox):
    app = logged_in_app(sandbox)
    async with app.run_test(size=SIZE) as pilot:
        entries = await open_wishlist_entries(app, pilot)
        assert text_of(app, "#entries-status") == "1-3 of 3 entries"
        # create
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, EntryFormScreen) and app.screen.specs)
        form = app.screen
        await type_into(pilot, "#input-title", "Picnic")
        form.query_one("#input-priority", Select).value = 3
        form.query_one("#pick-owner", Button).press()
        await until(pilot, lambda: isinstance(app.screen, RecordPicker))
        await type_into(pilot, "#picker-search", "Knope")
        await settle(pilot)
        picker_table = app.screen.query_one("#picker-table")
        assert picker_table.row_count > 0
        names = column(picker_table, 1)
        assert all("Knope" in n for n in names)
        app.screen.query_one("#picker-table").focus()
        await pilot.press("enter")
        await until(pilot, lambda: app.screen is form)
        assert names[0] in str(form.query_one(".relation-value").render())
        await pilot.press("ctrl+s")
        await until(pilot, lambda: app.screen is entries)
        await until(pilot, lambda: entries.table.row_count == 4)
        created = next(
            e for e in entries.view.entries.values() if e.values.get("title") == "Picnic"
        )
        # edit
        entries.table.move_cursor(row=entries.table.get_row_index(created.id))
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, EntryFormScreen) and app.screen.specs)
        assert app.screen.query_one("#input-title", Input).value == "Picnic"
        await type_into(pilot, "#input-title", "Picnic in the park")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: app.screen is entries)
        body = await raw_get(sandbox, f"/v2/flows/wishlists/entries/{created.id}")
        assert body["data"]["title"] == "Picnic in the park"
        assert body["data"]["priority"] == 3
        owner = body["data"]["relationships"]["owner"]["data"]
        assert owner["type"] == "customer"
        customer = (await raw_get(sandbox, f"/v2/customers/{owner['id']}"))["data"]
        assert customer["name"] == names[0]
        # delete
        await until(
            pilot,
            lambda: entries.view.highlighted() and entries.view.highlighted().id == created.id,
        )
        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("y")
        await until(pilot, lambda: entries.table.row_count == 3)
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)
    listing = await raw_get(sandbox, "/v2/flows/wishlists/entries")
    assert created.id not in [e["id"] for e in listing["data"]]


async def test_entry_form_refuses_bad_values_before_sending(sandbox):
    app = logged_in_app(sandbox)
    async with app.run_test(size=SIZE) as pilot:
        await open_designer(pilot, flows=3)
        await select_flow(pilot, "wishlists")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, EntriesScreen))
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, EntryFormScreen) and app.screen.specs)
        assert app.screen.query_one("#save", Button).disabled  # title is required
        title = app.screen.query_one("#field-title", FieldEditor)
        assert title.problem_shown == ""  # no problem shown (none typed yet)
        await type_into(pilot, "#input-title", "x")
        assert not app.screen.query_one("#save", Button).disabled


# -- everywhere --------------------------------------------------------------------------------


async def test_a_field_added_here_reaches_open_customer_form_and_browser(sandbox):
    app = logged_in_app(sandbox)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_customers(pilot)
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, NewCustomerScreen) and app.screen.specs)
        customer_form = app.screen
        await type_into(pilot, "#input-name", "Ron Swanson")
        assert "delivery_details" not in [e.spec.key for e in customer_form.editors()]
        view = designer(app)
        await until(pilot, lambda: view.loaded)  # the hidden flows view loads a moment later
        flow = next(f for f in view.flows.values() if f.slug == "customers")
        # The designer's field form, opened over the customer form.
        await app.push_screen(FieldFormScreen(flow, view.fields_by_flow[flow.id], ["wishlists"]))
        await until(pilot, lambda: isinstance(app.screen, FieldFormScreen))
        await type_into(pilot, "#ff-name", "Delivery Details")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: app.screen is customer_form)
        await until(
            pilot, lambda: "delivery_details" in [e.spec.key for e in customer_form.editors()]
        )
        await settle(pilot)
        assert customer_form.query_one("#input-name", Input).value == "Ron Swanson"
        assert customer_form.dirty()
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("y")
        await until(pilot, lambda: isinstance(app.screen, MainScreen))
        customers = app.screen.query_one(CustomersView)
        await until(pilot, lambda: "delivery_details" in [f.slug for f in customers.fields])
        await pilot.press("f3")
        view = designer(app)
        await until(pilot, lambda: "7" in column(view.table, 4))


async def add_field_over(pilot, flow_slug: str, name: str) -> None:
    """Open the designer's field form for ``flow_slug`` over the current screen; save a
    string field ``name``; wait until the screen below is back on top."""
    app = pilot.app
    below = app.screen
    view = designer(app)
    await until(pilot, lambda: view.loaded)  # the hidden flows view loads a moment later
    flow = next(f for f in view.flows.values() if f.slug == flow_slug)
    await app.push_screen(FieldFormScreen(flow, view.fields_by_flow[flow.id], ["wishlists"]))
    await until(pilot, lambda: isinstance(app.screen, FieldFormScreen))
    await type_into(pilot, "#ff-name", name)
    await pilot.press("ctrl+s")
    await until(pilot, lambda: app.screen is below)


async def test_a_field_added_here_reaches_an_open_customer_editor(sandbox):
    app = logged_in_app(sandbox)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_customers(pilot)
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, EditCustomerScreen) and app.screen.specs)
        editor = app.screen
        customer = editor.original
        email = editor.query_one("#input-email", Input).value
        assert email == customer.email
        await type_into(pilot, "#input-name", "Ron Swanson")
        assert "delivery_details" not in [e.spec.key for e in editor.editors()]
        await add_field_over(pilot, "customers", "Delivery Details")
        await until(pilot, lambda: "delivery_details" in [e.spec.key for e in editor.editors()])
        await settle(pilot)
        assert editor.query_one("#input-name", Input).value == "Ron Swanson"  # kept
        assert editor.query_one("#input-email", Input).value == email
        assert editor.initial_values["name"] == customer.name  # still knows what it opened with
        assert editor.dirty()
        await type_into(pilot, "#input-delivery_details", "Back door")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, MainScreen))
    body = (await raw_get(sandbox, f"/v2/customers/{customer.id}"))["data"]
    assert body["name"] == "Ron Swanson"
    assert body["delivery_details"] == "Back door"
    assert body["email"] == email


async def test_open_entries_and_entry_form_follow_field_changes(sandbox):
    app = logged_in_app(sandbox)
    async with app.run_test(size=SIZE) as pilot:
        entries = await open_wishlist_entries(app, pilot)
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, EntryFormScreen) and app.screen.specs)
        form = app.screen
        await type_into(pilot, "#input-title", "Picnic")
        await until(pilot, lambda: form.query("#relation-owner"))
        # a new field reaches the open form (typed title kept) and the entries table
        await add_field_over(pilot, "wishlists", "Notes")
        await until(pilot, lambda: "notes" in [e.spec.key for e in form.editors()])
        await settle(pilot)
        assert form.query_one("#input-title", Input).value == "Picnic"
        assert form.query("#relation-owner")  # relationship rows survive the rebuild
        assert form.dirty()
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("y")
        await until(pilot, lambda: app.screen is entries)
        await until(pilot, lambda: "f:notes" in [k.value for k in entries.table.columns])
        # renamed, then disabled (through the service, as the designer does it)
        notes = next(f for f in entries.view.fields if f.slug == "notes")
        await app.service.update_field(notes.id, flow_slug="wishlists", name="Remarks")
        await until(
            pilot, lambda: "Remarks" in [str(c.label) for c in entries.table.columns.values()]
        )
        await app.service.update_field(notes.id, flow_slug="wishlists", enabled=False)
        await until(pilot, lambda: "f:notes" not in [k.value for k in entries.table.columns])
        await settle(pilot)
        assert entries.table.row_count == 3
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, EntryFormScreen) and app.screen.specs)
        assert "notes" not in [e.spec.key for e in app.screen.editors()]


async def test_relationship_to_products_takes_typed_ids(sandbox):
    app = logged_in_app(sandbox)
    async with app.run_test(size=SIZE) as pilot:
        await open_designer(pilot, flows=3)
        await add_field(
            pilot, "wishlists", "Parts", "relationship", cardinality="one-to-many", target="product"
        )
        await select_flow(pilot, "wishlists")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, EntriesScreen))
        entries = app.screen
        await until(pilot, lambda: entries.table.row_count == 3)
        entry = entries.view.highlighted()
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, EntryFormScreen) and app.screen.specs)
        form = app.screen
        await until(pilot, lambda: form.query("#pick-parts"))
        form.query_one("#pick-parts", Button).press()
        await until(pilot, lambda: isinstance(app.screen, RecordPicker))
        picker = app.screen
        assert "cannot list product records" in str(picker.query_one("#picker-why").render())
        assert not picker.query("#picker-table")
        await until(pilot, lambda: app.focused is picker.query_one("#picker-ids", TextArea))
        await pilot.press(*"prod-1, prod-2", "enter", *"prod-3", "enter", *"prod-1")
        await pilot.pause()
        assert "prod-1, prod-2, prod-3" in str(picker.query_one("#picker-chosen").render())
        await pilot.press("ctrl+s")
        await until(pilot, lambda: app.screen is form)
        shown = str(form.query_one("#relation-parts .relation-value", Static).render())
        assert "prod-1, prod-2, prod-3" in shown and "product" in shown
        await pilot.press("ctrl+s")
        await until(pilot, lambda: app.screen is entries)
    body = await raw_get(sandbox, f"/v2/flows/wishlists/entries/{entry.id}")
    assert body["data"]["relationships"]["parts"]["data"] == [
        {"type": "product", "id": "prod-1"},
        {"type": "product", "id": "prod-2"},
        {"type": "product", "id": "prod-3"},
    ]


# -- snapshots ---------------------------------------------------------------------------------


def shoot(snap_compare, sandbox, steps, size=SIZE) -> bool:
    """Snapshot the app after ``steps(pilot)`` ran on the designer."""
    app = logged_in_app(sandbox)

    async def run_before(pilot) -> None:
        await open_designer(pilot, flows=3)
        await steps(pilot)
        await settle(pilot)

    return snap_compare(app, terminal_size=size, run_before=run_before)


async def _field_form(pilot, field_type: str, **values) -> None:
    await select_flow(pilot, "wishlists")
    await pilot.press("tab", "a")
    await until(pilot, lambda: isinstance(pilot.app.screen, FieldFormScreen))
    screen = pilot.app.screen
    await type_into(pilot, "#ff-name", f"A {field_type}")
    screen.query_one("#ff-type", Select).value = field_type
    await pilot.pause()
    for key, value in values.items():
        widget = screen.query_one(f"#ff-{key}")
        widget.value = value
        await pilot.pause()
    screen.query_one("#ff-name", Input).focus()


def test_snapshot_designer_at_80x24(snap_compare, sandbox):
    async def steps(pilot) -> None:
        await select_field(pilot, "customers", "loyalty_tier")

    assert shoot(snap_compare, sandbox, steps, size=(80, 24))


def test_snapshot_flow_form_slug_error(snap_compare, sandbox):
    async def steps(pilot) -> None:
        await pilot.press("n")
        await until(pilot, lambda: isinstance(pilot.app.screen, FlowFormScreen))
        await until(pilot, lambda: pilot.app.screen.specs)
        await type_into(pilot, "#input-name", "Wish lists")
        await type_into(pilot, "#input-slug", "wishlists")

    assert shoot(snap_compare, sandbox, steps)


def test_snapshot_field_form_string(snap_compare, sandbox):
    async def steps(pilot) -> None:
        await _field_form(pilot, "string", format="email", enum="a@b.example, c@d.example")
        await type_into(pilot, "#ff-default", "x@y.example")

    assert shoot(snap_compare, sandbox, steps)


def test_snapshot_field_form_integer_bad_range(snap_compare, sandbox):
    async def steps(pilot) -> None:
        await _field_form(pilot, "integer", **{"from": "9", "to": "1"})

    assert shoot(snap_compare, sandbox, steps)


def test_snapshot_field_form_relationship(snap_compare, sandbox):
    async def steps(pilot) -> None:
        await _field_form(pilot, "relationship", cardinality="one-to-many", target="customer")

    assert shoot(snap_compare, sandbox, steps)


def test_snapshot_field_form_boolean(snap_compare, sandbox):
    async def steps(pilot) -> None:
        await _field_form(pilot, "boolean", default="maybe")

    assert shoot(snap_compare, sandbox, steps)


def test_snapshot_field_form_type_locked(snap_compare, sandbox):
    async def steps(pilot) -> None:
        await select_field(pilot, "customers", "contact_window")
        await pilot.press("e")
        await until(pilot, lambda: isinstance(pilot.app.screen, FieldFormScreen))

    assert shoot(snap_compare, sandbox, steps)


def test_snapshot_delete_core_flow(snap_compare, sandbox):
    async def steps(pilot) -> None:
        await select_flow(pilot, "customers")
        await pilot.press("d")
        await until(pilot, lambda: isinstance(pilot.app.screen, TypedConfirmDialog))
        await pilot.press(*"custom")

    assert shoot(snap_compare, sandbox, steps)


def test_snapshot_preview(snap_compare, sandbox):
    async def steps(pilot) -> None:
        await select_flow(pilot, "wishlists")
        await pilot.press("p")
        await until(pilot, lambda: isinstance(pilot.app.screen, PreviewScreen))
        pilot.app.screen.query_one("#field-priority", FieldEditor).input.value = 3

    assert shoot(snap_compare, sandbox, steps)


def test_snapshot_entries_and_entry_form(snap_compare, sandbox):
    async def steps(pilot) -> None:
        await select_flow(pilot, "wishlists")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(pilot.app.screen, EntriesScreen))
        await until(pilot, lambda: pilot.app.screen.table.row_count == 3)
        await pilot.press("down", "e")
        await until(pilot, lambda: isinstance(pilot.app.screen, EntryFormScreen))
        await until(pilot, lambda: pilot.app.screen.specs)

    assert shoot(snap_compare, sandbox, steps)


def test_snapshot_entries_list(snap_compare, sandbox):
    async def steps(pilot) -> None:
        await select_flow(pilot, "wishlists")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(pilot.app.screen, EntriesScreen))
        await until(pilot, lambda: pilot.app.screen.table.row_count == 3)

    assert shoot(snap_compare, sandbox, steps)
