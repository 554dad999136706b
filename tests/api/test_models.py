"""Models parsed from real sandbox answers, and from malformed input (always ProtocolError)."""

from __future__ import annotations

import math

import httpx
import pytest

from flowtui.api.errors import ProtocolError
from flowtui.api.models import Customer, Entry, Field, Flow, Page
from flowtui.sandbox import demo

from .conftest import SEEDED

# -- from real answers ----------------------------------------------------------------------


async def test_flow_from_sandbox(raw: httpx.AsyncClient) -> None:
    body = (await raw.get("/v2/flows")).json()
    flows = [Flow.parse(d) for d in body["data"]]
    by_slug = {f.slug: f for f in flows}
    assert set(by_slug) == {"addresses", "customers", "wishlists"}
    customers = by_slug["customers"]
    raw_flow = next(d for d in body["data"] if d["slug"] == "customers")
    assert customers.id == raw_flow["id"]
    assert customers.name == "Customers"
    assert customers.description == "Extends the default customer object"
    assert customers.enabled is True
    assert customers.created_at == raw_flow["meta"]["timestamps"]["created_at"]
    assert customers.updated_at == raw_flow["meta"]["timestamps"]["updated_at"]
    assert customers.is_core and customers.resource == "customer"
    assert not by_slug["wishlists"].is_core and by_slug["wishlists"].resource is None


async def test_field_from_sandbox(raw: httpx.AsyncClient) -> None:
    body = (await raw.get("/v2/flows/customers/fields")).json()
    fields = [Field.parse(d) for d in body["data"]]
    assert [f.slug for f in fields] == [s["slug"] for s in demo.CUSTOMER_FIELDS]
    assert [f.order for f in fields] == list(range(1, len(demo.CUSTOMER_FIELDS) + 1))
    flow_id = body["data"][0]["relationships"]["flow"]["data"]["id"]
    assert {f.flow_id for f in fields} == {flow_id}
    tier = next(f for f in fields if f.slug == "loyalty_tier")
    raw_tier = next(d for d in body["data"] if d["slug"] == "loyalty_tier")
    assert tier.field_type == "integer"
    assert tier.default == raw_tier["default"] == 1
    assert tier.validation_rules == tuple(raw_tier["validation_rules"])
    assert tier.required is False and tier.enabled is True
    assert tier.created_at == raw_tier["meta"]["timestamps"]["created_at"]


async def test_entry_from_sandbox(raw: httpx.AsyncClient) -> None:
    body = (await raw.get("/v2/flows/wishlists/entries", params={"sort": "created_at"})).json()
    page = Page.parse(body, lambda d: Entry.parse(d, "wishlists"))
    assert page.total == 3 and page.offset == 0 and page.current == 1 and page.pages == 1
    assert page.next_url is None and page.prev_url is None and not page.has_next
    first = page.items[0]
    assert first.flow_slug == "wishlists"
    assert first.values == {"title": "Birthday ideas", "priority": 1}
    assert first.relationships == {"owner": None}
    assert first.id == body["data"][0]["id"]
    assert first.created_at == body["data"][0]["meta"]["timestamps"]["created_at"]


async def test_customer_and_page_from_sandbox(raw: httpx.AsyncClient) -> None:
    body = (
        await raw.get("/v2/customers", params={"page[limit]": "25", "page[offset]": "50"})
    ).json()
    page = Page.parse(body, Customer.parse)
    assert len(page.items) == 25
    assert (page.limit, page.offset, page.total) == (25, 50, SEEDED)
    assert page.current == 3 and page.pages == 12
    assert page.first_index == 51 and page.last_index == 75 and page.has_next
    assert page.next_url == body["links"]["next"] and page.prev_url == body["links"]["prev"]
    data = body["data"][0]
    customer = page.items[0]
    assert customer.id == data["id"] and customer.name == data["name"]
    assert customer.email == data["email"]
    assert customer.has_password is False
    assert customer.external_ref == data["external_ref"]
    custom_slugs = {s["slug"] for s in demo.CUSTOMER_FIELDS if not s.get("omit_null")}
    # Customer.custom holds exactly the custom keys the store sent, nothing else.
    assert set(customer.custom) == set(data) - {
        "id",
        "type",
        "name",
        "email",
        "password",
        "external_ref",
        "authentication_mechanism",
        "meta",
    }
    assert custom_slugs <= set(customer.custom) <= {s["slug"] for s in demo.CUSTOMER_FIELDS}
    for key, value in customer.custom.items():
        assert data[key] == value
        assert customer.value(key) == value
    assert customer.value("email") == data["email"]
    assert customer.created_at == data["meta"]["timestamps"]["created_at"]
    assert customer.value("created_at") == customer.created_at
    assert customer.value("no_such_key") is None


def test_customer_custom_keys_exactly() -> None:
    customer = Customer.parse(
        {
            "id": "c1",
            "type": "customer",
            "name": "Ron",
            "email": "ron@example.com",
            "password": True,
            "external_ref": "crm-1",
            "authentication_mechanism": "password",
            "delivery_details": "0",
            "loyalty_tier": 3,
            "links": {"self": "x"},
            "relationships": {},
            "meta": {"timestamps": {"created_at": "a", "updated_at": "b"}},
        }
    )
    assert customer.custom == {"delivery_details": "0", "loyalty_tier": 3}
    assert customer.has_password is True
    assert customer.external_ref == "crm-1"
    assert (customer.created_at, customer.updated_at) == ("a", "b")


def test_empty_page_meta() -> None:
    body = {
        "data": [],
        "links": {"current": "u", "first": "u", "last": None, "prev": None, "next": None},
        "meta": {
            "page": {"limit": 100, "offset": 0, "current": 1, "total": 0},
            "results": {"total": 0},
        },
    }
    page = Page.parse(body, Customer.parse)
    assert page.items == [] and page.total == 0 and page.pages == 0 and page.current == 1
    assert page.first_index == 0 and page.last_index == 0 and not page.has_next


def test_page_without_meta_is_derived() -> None:
    page = Page.parse({"data": [{"id": "a"}, {"id": "b"}]}, Customer.parse)
    assert (page.limit, page.offset, page.total, page.pages, page.current) == (2, 0, 2, 1, 1)


# -- malformed input --------------------------------------------------------------------------

NOT_OBJECTS = [None, [], "id", 3, True, {"name": "no id"}, {"id": 5}, {"id": None}]


@pytest.mark.parametrize("data", NOT_OBJECTS)
@pytest.mark.parametrize(
    "parse",
    [Flow.parse, Field.parse, Customer.parse, lambda d: Entry.parse(d, "wishlists")],
    ids=["flow", "field", "customer", "entry"],
)
def test_malformed_objects(parse, data) -> None:
    with pytest.raises(ProtocolError) as info:
        parse(data)
    assert info.value.errors[0].title.startswith("Unexpected")


@pytest.mark.parametrize(
    "data",
    [
        {"id": "f", "meta": [], "relationships": "flow", "validation_rules": "x", "order": "1"},
        {"id": "f", "meta": {"timestamps": 5}, "relationships": {"flow": []}},
        {"id": "f", "relationships": {"flow": {"data": {"id": 7}}}, "order": True},
        {"id": "f", "validation_rules": [1, None, {"type": "email"}], "name": None, "slug": 3},
        {"id": "f", "order": math.inf},
        {"id": "f", "order": math.nan},
        {"id": "f", "order": 2.5},
    ],
)
def test_odd_field_shapes_are_tolerated(data) -> None:
    field = Field.parse(data)
    assert field.id == "f"
    assert field.flow_id == ""
    assert field.order is None
    assert all(isinstance(rule, dict) for rule in field.validation_rules)
    assert isinstance(field.name, str) and isinstance(field.slug, str)


def test_field_order_integral_float() -> None:
    assert Field.parse({"id": "f", "order": 3.0}).order == 3


def test_odd_customer_and_entry_shapes_are_tolerated() -> None:
    customer = Customer.parse({"id": "c", "meta": "x", "external_ref": 5, "name": None})
    assert (customer.name, customer.email, customer.external_ref) == ("", "", None)
    assert customer.created_at == "" and customer.custom == {}
    entry = Entry.parse({"id": "e", "relationships": ["x"], "meta": None, "n": 1}, "s")
    assert entry.values == {"n": 1} and entry.relationships == {}
    entry = Entry.parse({"id": "e", "relationships": {"a": 3, "b": {"data": None}}}, "s")
    assert entry.relationships == {"b": None}


@pytest.mark.parametrize(
    "body",
    [
        None,
        [],
        "data",
        {},
        {"data": None},
        {"data": {"id": "a"}},
        {"data": [None]},
        {"data": [{"id": "a"}, "b"]},
    ],
)
def test_malformed_pages(body) -> None:
    with pytest.raises(ProtocolError):
        Page.parse(body, Customer.parse)


@pytest.mark.parametrize(
    "meta",
    [
        {"page": {"limit": 0}, "results": {"total": 5}},
        {"page": {"limit": -3, "offset": -1}, "results": {"total": 5}},
        {"page": {"limit": "10", "offset": None, "current": 2.5}, "results": {"total": "x"}},
        {"page": [], "results": []},
        {"page": {"limit": True}, "results": {"total": False}},
    ],
)
def test_odd_page_meta_never_crashes(meta) -> None:
    page = Page.parse({"data": [{"id": "a"}], "meta": meta, "links": []}, Customer.parse)
    assert [c.id for c in page.items] == ["a"]
    assert page.limit >= 1
    assert page.next_url is None
