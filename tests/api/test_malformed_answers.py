"""Malformed store answers (issue 15, item 12), served by the real sandbox behind a shim that
rewrites its JSON (:mod:`tests.api.rewriting`): every model tolerates odd values or refuses
the answer with one sentence (a :class:`ProtocolError`, "Unexpected answer"), never another
exception, so nothing downstream ever sees a wrong type."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from flowtui.api.errors import ApiError, ProtocolError
from flowtui.api.service import ApiService
from flowtui.cli.common import fail_text
from tests.api.conftest import inprocess_service
from tests.api.rewriting import Rewriting, at, dropping

Call = Callable[[ApiService], Awaitable[Any]]


@pytest.fixture
async def shim(seeded_app) -> Rewriting:
    return Rewriting(seeded_app)


@pytest.fixture
async def svc(shim) -> AsyncIterator[ApiService]:
    service = inprocess_service(shim)
    try:
        yield service
    finally:
        await service.aclose()


async def refused(svc: ApiService, call: Call) -> str:
    """``call`` fails with a ProtocolError; the one line a command would print."""
    with pytest.raises(ProtocolError) as info:
        await call(svc)
    line = fail_text(info.value)
    assert line.startswith("Unexpected answer: ") and "\n" not in line
    return line


def field_rewrite(slug: str, change: Callable[[dict[str, Any]], None]):
    """Rewrite the field ``slug`` inside a list of fields."""

    def rewrite(body: Any) -> Any:
        for item in body["data"]:
            if item.get("slug") == slug:
                change(item)
        return body

    return rewrite


def enum_options(options: Any) -> Callable[[dict[str, Any]], None]:
    def change(item: dict[str, Any]) -> None:
        item["validation_rules"] = [{"type": "enum", "options": options}]

    return change


FIELDS = r"/v2/flows/customers/fields"

# -- fields: enum options of every wrong type ---------------------------------------------------


@pytest.mark.parametrize(
    "options, says",
    [
        (["morning", {"$gt": ""}], "(enum) option 2 is an object"),
        (["morning", ["a", "b"]], "(enum) option 2 is an array"),
        ([None, "morning"], "(enum) option 1 is null"),
        (["morning", math.nan], "(enum) option 2 is not a number"),
        ({"morning": 1}, "(enum) has options that are an object"),
        ("morning,evening", "(enum) has options that are a string"),
        (None, "(enum) has options that are null"),
        (5, "(enum) has options that are a number"),
    ],
)
async def test_enum_options_of_a_wrong_type_are_refused_naming_the_field(svc, shim, options, says):
    shim.serve("GET", FIELDS, field_rewrite("contact_window", enum_options(options)))
    line = await refused(svc, lambda s: s.value_fields("customers"))
    assert (
        "The store sent a malformed field: the field 'contact_window': validation_rules[0]" in line
    )
    assert says in line


@pytest.mark.parametrize(
    "rule, says",
    [
        ({"type": "between", "options": [1, 5]}, "(between) has options that are an array"),
        ({"type": "between", "options": {"from": {}, "to": 5}}, "'from' that is an object"),
        ({"type": "one-to-one", "to": 7}, "(one-to-one) has a 'to' that is a number"),
        ({"type": ["enum"], "options": []}, "has a type that is an array, not a name"),
    ],
)
async def test_other_rules_of_a_wrong_shape_are_refused(svc, shim, rule, says):
    shim.serve(
        "GET", FIELDS, field_rewrite("loyalty_tier", lambda i: i.update(validation_rules=[rule]))
    )
    line = await refused(svc, lambda s: s.list_fields("customers"))
    assert "the field 'loyalty_tier'" in line and says in line


async def test_a_default_of_a_wrong_type_is_refused(svc, shim):
    shim.serve("GET", FIELDS, field_rewrite("loyalty_tier", lambda i: i.update(default={"x": 1})))
    line = await refused(svc, lambda s: s.value_fields("customers"))
    assert "the field 'loyalty_tier' has a default that is an object" in line


async def test_odd_but_harmless_field_values_are_tolerated(svc, shim):
    def odd(item: dict[str, Any]) -> None:
        item.update(name=5, description=None, order="3", required="yes", meta=[])
        item["validation_rules"] = [
            7,
            {"type": "enum", "options": ["a", 2, 2.5, True]},
            {"type": "regex", "x": {}},
        ]

    shim.serve("GET", FIELDS, field_rewrite("contact_window", odd))
    field = next(f for f in await svc.list_fields("customers") if f.slug == "contact_window")
    assert field.name == "5" and field.description == "" and field.order is None
    assert field.validation_rules == (
        {"type": "enum", "options": ["a", 2, 2.5, True]},
        {"type": "regex", "x": {}},
    )


@pytest.mark.parametrize("data", [5, "fields", {"id": "x"}, None, True])
async def test_a_list_of_fields_that_is_not_a_list_is_refused(svc, shim, data):
    shim.serve("GET", FIELDS, at(("data",), data))
    line = await refused(svc, lambda s: s.list_fields("customers"))
    assert "malformed list of fields" in line or "malformed field" in line


# -- flows -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "rewrite",
    [
        at(("data",), 3),
        at(("data",), "flows"),
        at(("data", 0), ["not", "a", "flow"]),
        at(("data", 0, "id"), {"$oid": 1}),
        dropping("data"),
        lambda body: [body],
        lambda body: b"<html>busy</html>",
    ],
    ids=["data-number", "data-string", "flow-array", "id-object", "no-data", "array", "html"],
)
async def test_malformed_flow_lists_are_one_sentence(svc, shim, rewrite):
    shim.serve("GET", r"/v2/flows", rewrite)
    await refused(svc, lambda s: s.list_flows())


async def test_odd_flow_values_are_tolerated(svc, shim):
    shim.serve("GET", r"/v2/flows", at(("data", 0, "name"), ["x"]))
    flows = await svc.list_flows()
    assert all(isinstance(f.name, str) for f in flows)


# -- entries and pages ---------------------------------------------------------------------------

ENTRIES = r"/v2/flows/wishlists/entries"


@pytest.mark.parametrize(
    "rewrite, total",
    [
        (dropping("meta"), 3),
        (at(("meta", "results", "total"), "3"), 3),
        (at(("meta", "results", "total"), "lots"), 3),
        (at(("meta", "results", "total"), "²"), 3),
        (at(("meta", "results", "total"), "9" * 5000), 3),
        (at(("meta", "page"), None), 3),
        (at(("meta", "page", "limit"), "100"), 3),
        (at(("meta", "page", "offset"), -7), 3),
        (at(("meta",), [1, 2]), 3),
        (at(("links",), "next"), 3),
        (at(("links", "next"), {"href": 1}), 3),
    ],
)
async def test_odd_page_meta_is_derived_never_a_crash(svc, shim, rewrite, total):
    shim.serve("GET", ENTRIES, rewrite)
    page = await svc.list_entries("wishlists")
    assert len(page.items) == 3 and page.total == total and page.limit >= 1
    assert page.next_url is None or isinstance(page.next_url, str)


@pytest.mark.parametrize(
    "rewrite",
    [
        at(("data",), {"id": "x"}),
        at(("data", 0), "entry"),
        at(("data", 1, "id"), None),
        dropping("data"),
    ],
)
async def test_malformed_entry_pages_are_one_sentence(svc, shim, rewrite):
    shim.serve("GET", ENTRIES, rewrite)
    await refused(svc, lambda s: s.list_entries("wishlists"))


async def test_a_malformed_single_entry_is_one_sentence(svc, shim):
    entry = (await svc.list_entries("wishlists")).items[0]
    shim.serve("GET", ENTRIES + "/.*", at(("data",), [entry.id]))
    await refused(svc, lambda s: s.get_entry("wishlists", entry.id))


# -- customers ---------------------------------------------------------------------------------


async def test_customer_pages_without_meta_or_with_totals_as_text(svc, shim):
    shim.serve("GET", r"/v2/customers", dropping("meta"))
    page = await svc.list_customers(limit=25)
    assert len(page.items) == 25 and page.total == 25  # all that can be known
    shim.serve("GET", r"/v2/customers", at(("meta", "results", "total"), "300"))
    assert await svc.count_customers() == 300


@pytest.mark.parametrize(
    "rewrite",
    [
        at(("data",), None),
        at(("data", 0), 42),
        at(("data", 0, "id"), 42),
        lambda body: "customers",
        lambda body: b"",
    ],
)
async def test_malformed_customer_pages_are_one_sentence(svc, shim, rewrite):
    shim.serve("GET", r"/v2/customers", rewrite)
    with pytest.raises(ApiError) as info:  # an empty body is "no data", also a ProtocolError
        await svc.list_customers()
    assert isinstance(info.value, ProtocolError)
    assert "\n" not in fail_text(info.value)


async def test_odd_customer_values_are_tolerated_and_a_malformed_one_refused(svc, shim):
    first = (await svc.list_customers(limit=1)).items[0]
    one = r"/v2/customers/[^/]+"

    def odd(body: Any) -> Any:
        body["data"].update(name={"first": "Ann"}, email=5, external_ref=[1], meta="x")
        return body

    shim.serve("GET", one, odd)
    customer = await svc.get_customer(first.id)
    assert (customer.email, customer.external_ref, customer.created_at) == ("5", None, "")
    assert isinstance(customer.name, str)
    shim.serve("GET", one, at(("data",), ["customer"]))
    await refused(svc, lambda s: s.get_customer(first.id))


# -- tokens ------------------------------------------------------------------------------------

TOKEN = r"/oauth/access_token"


@pytest.mark.parametrize(
    "rewrite",
    [
        dropping("access_token"),
        at(("access_token",), 12345),
        at(("access_token",), {"value": "x"}),
        at(("access_token",), ""),
        lambda body: {**body, "expires": "tomorrow", "expires_in": "soon"},
        lambda body: {**body, "expires": None, "expires_in": [1]},
        lambda body: [body],
        lambda body: "token",
        lambda body: b"not json",
    ],
)
async def test_malformed_tokens_are_one_sentence(svc, shim, rewrite):
    shim.serve("POST", TOKEN, rewrite)
    await refused(svc, lambda s: s.list_flows())


@pytest.mark.parametrize(
    "rewrite",
    [
        at(("expires",), "tomorrow"),
        at(("expires_in",), "soon"),
        at(("identifier",), {"x": 1}),
        at(("token_type",), None),
    ],
)
async def test_odd_token_extras_are_tolerated(svc, shim, rewrite):
    shim.serve("POST", TOKEN, rewrite)
    assert [f.slug for f in await svc.list_flows()]
