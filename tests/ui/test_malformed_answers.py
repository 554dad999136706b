"""A malformed store answer never kills the app (issue 15, item 12): an enum field whose
options include an object used to load in the list and crash the editor (``e``) with a
TypeError, and the app then exited with status 0. The sandbox behind a rewriting shim
(:mod:`tests.api.rewriting`) plays the misbehaving store."""

from __future__ import annotations

from typing import Any

from flowtui.ui.screens.customer_editor import EditCustomerScreen
from tests.api.rewriting import Rewriting
from tests.ui.conftest import logged_in_app, until, wait_for_customers, workers_done

FIELD_LISTS = r"/v2/flows/[^/]+/fields|/v2/fields"


def object_option(body: Any) -> Any:
    for item in body["data"]:
        if item.get("slug") == "contact_window":
            item["validation_rules"] = [{"type": "enum", "options": ["morning", {"$ne": 1}]}]
    return body


def messages(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def test_an_enum_option_that_is_an_object_is_one_sentence_not_a_crash(sandbox):
    shim = Rewriting(sandbox)
    app = logged_in_app(shim)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for_customers(pilot)
        shim.serve("GET", FIELD_LISTS, object_option)
        # The session keeps the fields it read (issue 14: the editor opens without a round
        # trip); forgotten, the editor reads them, and meets the malformed list.
        app.api.definitions.forget("customers")
        await pilot.press("e")
        await until(pilot, lambda: any("malformed field" in m for m in messages(app)))
        await workers_done(app)
        await pilot.pause()
        said = next(m for m in messages(app) if "malformed field" in m)
        assert "'contact_window'" in said and "option 2 is an object" in said
        assert app.is_running and app.return_code is None
        shim.clear()  # the store is fixed: the editor opens as usual
        if isinstance(app.screen, EditCustomerScreen):
            await pilot.press("escape")
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, EditCustomerScreen))
    assert not app.return_code  # None: it never crashed (a crash sets 1)


async def test_customer_values_of_a_wrong_type_open_in_the_editor(sandbox):
    shim = Rewriting(sandbox)

    def odd_values(body: Any) -> Any:
        data = body["data"]
        for customer in data if isinstance(data, list) else [data]:
            customer.update(contact_window={"x": 1}, loyalty_tier="high", newsletter=[1])
            customer.update(birthday=5, lifetime_value={"v": 1})
        return body

    shim.serve("GET", r"/v2/customers(/[^/]+)?", odd_values)
    app = logged_in_app(shim)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for_customers(pilot)
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, EditCustomerScreen))
        await workers_done(app)
        await pilot.pause()
        assert app.is_running
    assert not app.return_code  # None: it never crashed (a crash sets 1)
