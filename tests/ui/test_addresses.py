"""A customer's addresses by keyboard against the real sandbox (issue 18): the detail pane's
lines, the list (``a``), add / edit / delete each checked by raw HTTP, validation for every
field type, the store's rejection on its field, a conflicting edit, the unsaved-changes
guard, hostile text shown literally, read-only refusals; at 0 and 150 ms of latency."""

from __future__ import annotations

import json
from typing import Any

import pytest
from textual.widgets import Checkbox, DataTable, Select

from flowtui.api.models import Customer
from flowtui.ui.screens.address_editor import AddressEditorScreen, AddressesScreen
from flowtui.ui.screens.customer_editor import ConflictScreen
from flowtui.ui.screens.designer_dialogs import PreviewScreen
from flowtui.ui.screens.dialogs import ConfirmDialog
from flowtui.ui.screens.field_form import FieldFormScreen
from flowtui.ui.screens.flow_form import FlowFormScreen
from flowtui.ui.screens.main import MainScreen
from flowtui.ui.widgets.country import CountryPicker
from flowtui.ui.widgets.customers.addresses import AddressesBlock
from flowtui.ui.widgets.form import FieldEditor
from tests.conftest import make_sandbox
from tests.hostile import CATALOGUE
from tests.ui.conftest import logged_in_app, raw_get, until, wait_for_customers, workers_done
from tests.ui.designer_helpers import open_designer, select_flow, settle
from tests.ui.designer_helpers import type_into as designer_type
from tests.ui.test_customer_editor import raw, record_requests, type_into
from tests.ui.test_designer import error_of, text_of
from tests.ui.test_forms import editor, field_error, form_ready, save_disabled

SIZE = (120, 36)
LATENCIES = [0, 150]


async def address_flow(sandbox: Any) -> dict[str, dict]:
    """The ``addresses`` core flow with a few typed fields (created when the store has none
    yet); the fields by slug."""
    flows = (await raw_get(sandbox, "/v2/flows"))["data"]
    flow = next((f for f in flows if f["slug"] == "addresses"), None)
    if flow is None:
        flow = (
            await raw(
                sandbox,
                "POST",
                "/v2/flows",
                {
                    "type": "flow",
                    "name": "Addresses",
                    "slug": "addresses",
                    "description": "Extends addresses",
                    "enabled": True,
                },
            )
        )["data"]
    have = {f["slug"]: f for f in (await raw_get(sandbox, "/v2/flows/addresses/fields"))["data"]}
    wanted = [
        ("gate_code", "string", []),
        ("delivery_window", "string", [{"type": "enum", "options": ["morning", "evening"]}]),
        ("floor", "integer", [{"type": "between", "options": {"from": 0, "to": 200}}]),
        ("fee", "float", []),
        ("lift", "boolean", []),
        ("since", "date", []),
    ]
    for order, (slug, kind, rules) in enumerate(wanted):
        if slug in have:
            continue
        body = {
            "type": "field",
            "name": slug.replace("_", " ").title(),
            "slug": slug,
            "field_type": kind,
            "validation_rules": rules,
            "description": slug,
            "required": False,
            "enabled": True,
            "order": 100 + order,
            "relationships": {"flow": {"data": {"type": "flow", "id": flow["id"]}}},
        }
        have[slug] = (await raw(sandbox, "POST", "/v2/fields", body))["data"]
    return have


async def stored_addresses(sandbox: Any, customer_id: str) -> list[dict]:
    return (await raw_get(sandbox, f"/v2/customers/{customer_id}/addresses"))["data"]


async def add_address(sandbox: Any, customer_id: str, **values: Any) -> dict:
    body = {
        "type": "address",
        "first_name": "Leslie",
        "last_name": "Knope",
        "line_1": "1 Main St",
        "postcode": "46001",
        "country": "US",
        **values,
    }
    return (await raw(sandbox, "POST", f"/v2/customers/{customer_id}/addresses", body))["data"]


async def customer_without_addresses(sandbox: Any, view: Any) -> Customer:
    """The highlighted customer, its addresses (demo ones included) removed by raw HTTP,
    behind the app's back: the detail pane forgets what it read of them."""
    customer = view.highlighted()
    for a in await stored_addresses(sandbox, customer.id):
        await raw(sandbox, "DELETE", f"/v2/customers/{customer.id}/addresses/{a['id']}")
    await workers_done(view.app)
    view.query_one(AddressesBlock).cache.clear()
    return customer


def block_text(app: Any) -> str:
    return str(app.screen.query_one(AddressesBlock).render())


def table_text(screen: AddressesScreen) -> str:
    table = screen.query_one(DataTable)
    return " | ".join(str(cell) for row in range(table.row_count) for cell in table.get_row_at(row))


async def open_addresses(pilot: Any) -> AddressesScreen:
    app = pilot.app
    await pilot.press("a")
    await until(pilot, lambda: isinstance(app.screen, AddressesScreen) and app.screen.loaded)
    await pilot.pause()
    return app.screen


async def open_form(pilot: Any, key: str) -> AddressEditorScreen:
    app = pilot.app
    await pilot.press(key)
    await until(pilot, lambda: isinstance(app.screen, AddressEditorScreen))
    await until(pilot, lambda: form_ready(app))
    await pilot.pause()
    return app.screen


async def pick_country(pilot: Any, typed: str, downs: int = 0) -> None:
    picker = pilot.app.screen.query_one(CountryPicker)
    picker.input.focus()
    picker.input.value = ""
    await pilot.press(*typed)
    await pilot.press(*(["down"] * downs), "enter")
    await pilot.pause()


async def back_to_list(pilot: Any, screen: AddressesScreen) -> None:
    await until(pilot, lambda: pilot.app.screen is screen)
    await workers_done(pilot.app)
    await pilot.pause()


@pytest.mark.parametrize("latency", LATENCIES)
async def test_add_edit_and_delete_an_address_with_a_custom_value(sandbox, latency):
    await address_flow(sandbox)
    app = logged_in_app(sandbox)
    async with app.run_test(size=SIZE) as pilot:
        view = await wait_for_customers(pilot)
        customer = await customer_without_addresses(sandbox, view)
        sandbox.state.config.latency_ms = latency
        listing = await open_addresses(pilot)
        assert "No addresses yet" in str(listing.query_one("#addresses-status").render())

        # add: the required attributes, a country picked by name, a custom value
        form = await open_form(pilot, "n")
        assert save_disabled(app)  # required attributes missing
        for key, text in [
            ("name", "Home"),
            ("first_name", "Leslie"),
            ("last_name", "Knope"),
            ("line_1", "1 Main St"),
            ("city", "Pawnee"),
            ("postcode", "46001"),
            ("gate_code", "#4321"),
        ]:
            await type_into(pilot, key, text, paste=True)
        await pick_country(pilot, "germ")
        assert editor(app, "country").value() == ("DE", None)
        assert not save_disabled(app)
        seen = record_requests(app)
        await pilot.press("ctrl+s")
        await back_to_list(pilot, listing)
        stored = await stored_addresses(sandbox, customer.id)
        assert len(stored) == 1
        new = stored[0]
        assert (new["name"], new["first_name"], new["line_1"], new["country"]) == (
            "Home",
            "Leslie",
            "1 Main St",
            "DE",
        )
        assert new["gate_code"] == "#4321"
        posts = [s for s in seen if s[0] == "POST"]
        assert len(posts) == 1 and "line_2" not in json.loads(posts[0][2])["data"]
        # the list and the detail pane followed the change without asking the store
        assert "Home" in table_text(listing) and "#4321" in table_text(listing)

        # edit: only the changed attributes go out
        seen.clear()
        form = await open_form(pilot, "e")
        assert form.original is not None and form.original.id == new["id"]
        await type_into(pilot, "city", "Eagleton", paste=True)
        await type_into(pilot, "gate_code", "")
        await pick_country(pilot, "fr")
        await pilot.press("ctrl+s")
        await back_to_list(pilot, listing)
        (puts,) = [s for s in seen if s[0] == "PUT"]
        sent = json.loads(puts[2])["data"]
        assert {k for k in sent if k not in ("type", "id")} == {"city", "gate_code", "country"}
        stored = (await stored_addresses(sandbox, customer.id))[0]
        assert (stored["city"], stored["country"], stored.get("gate_code")) == (
            "Eagleton",
            "FR",
            None,
        )
        assert "Eagleton" in table_text(listing)

        # delete: the confirmation names the address
        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        question = str(app.screen.query_one(".dialog-title").render())
        assert "Home · 1 Main St, Eagleton 46001, FR" in question
        await pilot.press("y")
        await back_to_list(pilot, listing)
        await until(pilot, lambda: listing.addresses == [])
        assert await stored_addresses(sandbox, customer.id) == []
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, MainScreen))
        await until(pilot, lambda: "(none)" in block_text(app))


@pytest.mark.parametrize("latency", LATENCIES)
async def test_the_detail_pane_lists_addresses_and_a_highlight_move_back_uses_the_cache(
    sandbox, latency
):
    app = logged_in_app(sandbox)
    async with app.run_test(size=SIZE) as pilot:
        view = await wait_for_customers(pilot)
        first = await customer_without_addresses(sandbox, view)
        await add_address(sandbox, first.id, name="Home", city="Pawnee")
        await add_address(sandbox, first.id, name="Office", line_1="2 City Hall", city="Pawnee")
        sandbox.state.config.latency_ms = latency
        block = app.screen.query_one(AddressesBlock)
        block.cache.clear()
        await pilot.press("down", "up")
        await until(pilot, lambda: "Office · 2 City Hall, Pawnee 46001, US" in block_text(app))
        assert "Addresses (2)" in block_text(app)
        assert "Home · 1 Main St, Pawnee 46001, US" in block_text(app)
        # back and forth: the first customer's lines come from the cache, at once
        seen = record_requests(app)
        await pilot.press("down")
        await pilot.press("up")
        assert "Office · 2 City Hall" in block_text(app)
        await workers_done(app)
        assert not any(first.id in path for _, path, _ in seen)


async def test_validation_for_every_type_and_the_store_rejection_on_its_field(sandbox):
    fields = await address_flow(sandbox)
    app = logged_in_app(sandbox)
    async with app.run_test(size=SIZE) as pilot:
        view = await wait_for_customers(pilot)
        customer = await customer_without_addresses(sandbox, view)
        await add_address(sandbox, customer.id, name="Home")
        listing = await open_addresses(pilot)
        await open_form(pilot, "e")
        assert not save_disabled(app)
        cases = [
            ("floor", "1.5", "whole number"),
            ("floor", "999", "between"),
            ("fee", "cheap", "number"),
            ("since", "2026-13-01", "date"),
            ("first_name", "", "required"),
        ]
        for key, text, problem in cases:
            good = editor(app, key).input.value
            await type_into(pilot, key, text, paste=True)  # pasted: typing refuses the dot
            assert problem in field_error(app, key).lower(), (key, text, field_error(app, key))
            assert save_disabled(app)
            editor(app, key).input.value = good
            await pilot.pause()
            assert field_error(app, key) == ""
        # the country: free text is not a country; a code is
        await pick_country(pilot, "atlantis")
        assert "pick a country" in field_error(app, "country") and save_disabled(app)
        await pick_country(pilot, "nz")
        assert editor(app, "country").value() == ("NZ", None) and not save_disabled(app)
        assert isinstance(editor(app, "lift").input, Checkbox)
        assert isinstance(editor(app, "delivery_window").input, Select)
        # the store's own rejection: the enum shrank on the server while the form was open
        editor(app, "delivery_window").input.value = "evening"
        await raw(
            sandbox,
            "PUT",
            f"/v2/fields/{fields['delivery_window']['id']}",
            {"type": "field", "validation_rules": [{"type": "enum", "options": ["morning"]}]},
        )
        await pilot.press("ctrl+s")
        await until(pilot, lambda: field_error(app, "delivery_window") != "")
        assert isinstance(app.screen, AddressEditorScreen) and not save_disabled(app)
        # the unsaved-changes guard
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, AddressEditorScreen))
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("y")
        await until(pilot, lambda: app.screen is listing)
        assert (await stored_addresses(sandbox, customer.id))[0]["country"] == "US"


@pytest.mark.parametrize("latency", LATENCIES)
async def test_a_conflicting_edit_shows_both_versions_first(sandbox, latency):
    await address_flow(sandbox)
    app = logged_in_app(sandbox)
    async with app.run_test(size=SIZE) as pilot:
        view = await wait_for_customers(pilot)
        customer = await customer_without_addresses(sandbox, view)
        address = await add_address(sandbox, customer.id, name="Home", city="Pawnee")
        sandbox.state.config.latency_ms = latency
        listing = await open_addresses(pilot)
        form = await open_form(pilot, "e")
        path = f"/v2/customers/{customer.id}/addresses/{address['id']}"
        await raw(sandbox, "PUT", path, {"type": "address", "city": "Changed Elsewhere"})
        await type_into(pilot, "postcode", "47001", paste=True)
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, ConflictScreen))

        def shown() -> str:
            return " ".join(str(s.render()) for s in app.screen.query("Static"))

        await until(pilot, lambda: "Changed Elsewhere" in shown())  # theirs
        assert "47001" in shown() and "Pawnee" in shown()  # mine: my postcode, my city
        await pilot.press("escape")  # not now: nothing written
        await until(pilot, lambda: app.screen is form and not form.saving)
        assert (await raw_get(sandbox, path))["data"]["postcode"] == "46001"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, ConflictScreen))
        await pilot.press("m")  # keep mine: my change goes in, theirs stays
        await back_to_list(pilot, listing)
        stored = (await raw_get(sandbox, path))["data"]
        assert (stored["postcode"], stored["city"]) == ("47001", "Changed Elsewhere")


async def test_hostile_text_in_every_attribute_is_shown_literally(sandbox):
    await address_flow(sandbox)
    app = logged_in_app(sandbox)
    short = [h for h in CATALOGUE if h.in_text_columns and len(h.text) < 1000]
    attrs = ["name", "first_name", "last_name", "company_name", "line_1", "line_2", "city"]
    attrs += ["county", "region", "postcode", "country", "phone_number", "instructions"]
    async with app.run_test(size=SIZE) as pilot:
        view = await wait_for_customers(pilot)
        customer = await customer_without_addresses(sandbox, view)
        values = {a: short[i % len(short)].text + f" {a}" for i, a in enumerate(attrs)}
        values["gate_code"] = short[0].text
        await add_address(sandbox, customer.id, **values)
        block = app.screen.query_one(AddressesBlock)
        block.cache.clear()
        await pilot.press("down", "up")
        await until(pilot, lambda: "Addresses (1)" in block_text(app))
        line = block_text(app)
        for attr in ("name", "line_1", "city", "postcode"):
            h = short[attrs.index(attr) % len(short)]
            assert h.probe in line, (attr, h.name, line)
        listing = await open_addresses(pilot)
        shown = table_text(listing)
        for attr in ("name", "first_name", "line_1", "city", "postcode", "country"):
            assert short[attrs.index(attr) % len(short)].probe in shown, attr
        await open_form(pilot, "e")
        for i, attr in enumerate(attrs):
            assert short[i % len(short)].probe in editor(app, attr).input.value, attr
        # nothing changed: the store's odd country is kept, Save sends nothing
        assert editor(app, "country").value()[1] is None
        seen = record_requests(app)
        await pilot.press("ctrl+s")
        await until(
            pilot, lambda: "Nothing changed" in str(app.screen.query_one("#form-message").render())
        )
        assert not [s for s in seen if s[0] == "PUT"]


async def test_read_only_profile_can_look_but_not_change_addresses(sandbox):
    app = logged_in_app(sandbox, read_only=True)
    customer = (await raw_get(sandbox, "/v2/customers", **{"page[limit]": 1}))["data"][0]
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, MainScreen))
        listing = AddressesScreen(Customer.parse(customer))
        app.push_screen(listing)
        await until(pilot, lambda: app.screen is listing)
        await workers_done(app)
        await pilot.pause()
        for key in ("n", "e", "d"):
            await pilot.press(key)
            await pilot.pause()
            assert app.screen is listing
        messages = [str(n.message) for n in app._notifications]
        assert any("read-only" in m and "cannot add addresses" in m for m in messages)
        status = str(listing.query_one("#addresses-status").render())
        assert "read-only" in status


async def test_the_designer_creates_the_addresses_core_flow_then_its_fields():
    """As for customers: create the core flow, add a field; the preview is the address form
    (base attributes first, the country picker) and the editor then offers the field."""
    sandbox = make_sandbox()
    try:
        app = logged_in_app(sandbox)
        async with app.run_test(size=SIZE) as pilot:
            view = await open_designer(pilot, flows=0)
            await pilot.press("n")
            await until(pilot, lambda: isinstance(app.screen, FlowFormScreen) and app.screen.specs)
            await designer_type(pilot, "#input-name", "Addresses")
            await designer_type(pilot, "#input-slug", "addresses")
            assert "extend the address resource" in text_of(app, "#form-message")
            await pilot.press("ctrl+s")
            await until(pilot, lambda: isinstance(app.screen, MainScreen))
            await until(pilot, lambda: view.table.row_count == 1)
            await settle(pilot)
            await pilot.press("enter")  # a core flow: enter goes to its fields
            await pilot.press("a")
            await until(pilot, lambda: isinstance(app.screen, FieldFormScreen))
            await designer_type(pilot, "#ff-name", "City")
            assert "already an attribute of the address resource" in error_of(app, "slug")
            await designer_type(pilot, "#ff-name", "Gate code")
            await designer_type(pilot, "#ff-description", "to open the gate")
            await pilot.press("ctrl+s")
            await until(pilot, lambda: isinstance(app.screen, MainScreen))
            await until(pilot, lambda: view.fields_table.row_count == 1)
            await select_flow(pilot, "addresses")
            await pilot.press("p")
            await until(pilot, lambda: isinstance(app.screen, PreviewScreen))
            keys = [e.spec.key for e in app.screen.query(FieldEditor)]
            assert keys[:3] == ["name", "first_name", "last_name"] and keys[-1] == "gate_code"
            assert len(keys) == 14 and app.screen.query(CountryPicker)
            assert "not shown here" not in text_of(app, "#preview-notes")
        [field] = (await raw_get(sandbox, "/v2/flows/addresses/fields"))["data"]
        assert (field["slug"], field["field_type"]) == ("gate_code", "string")
    finally:
        sandbox.state.store.close()


@pytest.mark.parametrize("latency", LATENCIES)
async def test_keys_typed_ahead_wait_for_the_address_list(sandbox, latency):
    """``a`` then ``e`` at once: the editor opens on the first address, however slow the
    store (the list holds the keys until its addresses are there)."""
    from tests.ui.test_typeahead import burst, settled

    app = logged_in_app(sandbox)
    async with app.run_test(size=SIZE) as pilot:
        view = await wait_for_customers(pilot)
        customer = view.highlighted()
        first = (await stored_addresses(sandbox, customer.id))[0]
        sandbox.state.config.latency_ms = latency
        await settled(pilot, burst(app, "ae"))
        await until(pilot, lambda: isinstance(app.screen, AddressEditorScreen))
        assert app.screen.original is not None and app.screen.original.id == first["id"]
