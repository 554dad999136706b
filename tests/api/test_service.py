"""ApiService against the real sandbox, in-process (``httpx.ASGITransport``).

Every behaviour is checked against what reached the store: through a raw httpx client that
bypasses flowtui, or through the sandbox's store itself.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from typing import Any

import httpx
import pytest

from flowtui.api.auth import MemoryTokenCache
from flowtui.api.errors import (
    BadRequestError,
    ConflictError,
    NotAllowedError,
    NotFoundError,
    ValidationError,
)
from flowtui.api.models import Customer
from flowtui.api.service import ApiService, Change
from flowtui.sandbox import demo
from flowtui.sandbox.store import Store
from flowtui.ui.logic.browse import form_changes
from tests.conftest import make_sandbox

from .conftest import SEEDED, inprocess_service, raw_client, raw_token

CUSTOMER_KEYS = {
    "id", "type", "name", "email", "password", "external_ref", "authentication_mechanism", "meta",
}  # fmt: skip


def all_customers(store: Store) -> list[dict]:
    """Every customer in the store, oldest first (created_at, then id): the ground truth."""
    rows, total = store.list_customers([], ("created_at", False), 1_000_000, 0)
    assert len(rows) == total
    return rows


class Recorder:
    """Collects the service's change notifications."""

    def __init__(self, service: ApiService) -> None:
        self.changes: list[Change] = []
        self.unsubscribe = service.subscribe(self.changes.append)

    def keys(self) -> list[tuple]:
        return [(c.resource, c.action, c.id, c.flow_slug, c.via) for c in self.changes]


def record_bodies(service: ApiService) -> list[tuple[str, str, Any]]:
    """(method, path, JSON body) of every request the service sends from now on."""
    sent: list[tuple[str, str, Any]] = []

    async def hook(request: httpx.Request) -> None:
        body = (
            json.loads(request.content)
            if request.content and request.url.path != ("/oauth/access_token")
            else None
        )
        sent.append((request.method, request.url.path, body))

    service.client.event_hooks["request"].append(hook)
    return sent


def edit(customer: Customer, form: dict[str, Any]) -> dict[str, Any]:
    """What the editor sends when a form opened on ``customer`` now holds ``form``."""
    return form_changes({k: customer.value(k) for k in form if k != "password"}, form)


# -- the seed walkthrough ---------------------------------------------------------------------


async def test_seed_walkthrough(bare_service: ApiService, sandbox_app) -> None:
    svc = bare_service
    flow = await svc.create_flow(
        "Customers", "customers", "Extends the default customer object", True
    )
    assert flow.slug == "customers" and flow.is_core and flow.enabled

    field = await svc.create_field(
        flow,
        name="Delivery Details",
        slug="delivery_details",
        field_type="string",
        description="customers delivery details",
        required=False,
        default=0,
        enabled=True,
        order=1,
    )
    assert field.flow_id == flow.id
    assert field.default == "0"  # a number default on a string field is kept as its string form
    assert field.order == 1

    ron = await svc.create_customer(
        name="Ron Swanson",
        email="ron.swanson@gmail.com",
        custom={"delivery_details": "Do NOT leave in a government building"},
    )
    assert ron.custom == {"delivery_details": "Do NOT leave in a government building"}

    got = await svc.get_customer(ron.id)
    assert got == ron

    edited = {
        "name": "Ron Swanson",
        "email": "ron.swanson@gmail.com",
        "delivery_details": "Leave in Leslie Knope’s office",
    }
    changes = edit(got, edited)
    assert changes == {"delivery_details": "Leave in Leslie Knope’s office"}
    updated = await svc.update_customer(ron.id, changes)
    assert updated.custom == {"delivery_details": "Leave in Leslie Knope’s office"}
    assert updated.created_at == ron.created_at
    assert updated.updated_at > ron.updated_at

    # What the store holds, read without flowtui.
    async with raw_client(sandbox_app) as raw:
        raw.headers["Authorization"] = f"Bearer {await raw_token(raw)}"
        customer = (await raw.get(f"/v2/customers/{ron.id}")).json()["data"]
        flows = (await raw.get("/v2/flows")).json()["data"]
        fields = (await raw.get("/v2/fields")).json()["data"]
        listed = (await raw.get("/v2/customers")).json()
    assert customer == {
        "id": ron.id,
        "type": "customer",
        "name": "Ron Swanson",
        "email": "ron.swanson@gmail.com",
        "password": False,
        "external_ref": None,
        "authentication_mechanism": "password",
        "delivery_details": "Leave in Leslie Knope’s office",
        "meta": {"timestamps": {"created_at": ron.created_at, "updated_at": updated.updated_at}},
    }
    assert [(f["id"], f["slug"], f["name"]) for f in flows] == [(flow.id, "customers", "Customers")]
    assert len(fields) == 1
    assert fields[0]["slug"] == "delivery_details" and fields[0]["default"] == "0"
    assert fields[0]["relationships"]["flow"]["data"]["id"] == flow.id
    assert listed["meta"]["results"]["total"] == 1


# -- flows --------------------------------------------------------------------------------------


async def test_flows_crud(service: ApiService, seeded_app) -> None:
    store = seeded_app.state.store
    flow = await service.create_flow("Teams", "teams", "Groups of customers", enabled=False)
    assert (flow.name, flow.slug, flow.description, flow.enabled) == (
        "Teams", "teams", "Groups of customers", False,
    )  # fmt: skip
    assert not flow.is_core
    assert store.get_flow(flow.id)["slug"] == "teams"

    assert await service.get_flow(flow.id) == flow
    assert {f.slug for f in await service.list_flows()} == {
        "customers", "wishlists", "addresses", "teams",
    }  # fmt: skip

    renamed = await service.update_flow(flow.id, name="Squads", enabled=True)
    assert (renamed.name, renamed.slug, renamed.enabled) == ("Squads", "teams", True)
    assert renamed.description == "Groups of customers"  # partial update
    assert renamed.updated_at > flow.updated_at

    title = await service.create_field(flow, name="Title", slug="title", field_type="string")
    entry = await service.create_entry("teams", {"title": "Pawnee"})

    await service.delete_flow(renamed)
    assert store.get_flow(flow.id) is None
    assert store.get_field(title.id) is None
    assert store.get_entry(flow.id, entry.id) is None
    with pytest.raises(NotFoundError):
        await service.get_flow(flow.id)


async def test_flow_validation_errors(service: ApiService) -> None:
    with pytest.raises(ValidationError) as info:
        await service.create_flow("Again", "wishlists", "duplicate slug")
    assert info.value.status == 422
    assert len(info.value.for_attribute("slug")) == 1
    assert "already exists" in info.value.for_attribute("slug")[0]
    with pytest.raises(ValidationError) as info:
        await service.create_flow("", "customer", "reserved and nameless")
    assert info.value.for_attribute("name") and info.value.for_attribute("slug")


async def test_delete_core_flow_refused_without_confirmation(
    service: ApiService, seeded_app
) -> None:
    store = seeded_app.state.store
    core = next(f for f in await service.list_flows() if f.slug == "customers")
    recorder = Recorder(service)
    sent = service.transport.sent
    with pytest.raises(NotAllowedError) as info:
        await service.delete_flow(core)
    assert info.value.status == 405
    assert service.transport.sent == sent  # nothing was sent
    assert recorder.changes == []
    row = store.get_flow(core.id)
    assert row["slug"] == "customers" and row["updated_at"] == core.updated_at
    assert len(store.list_fields(core.id)) == len(demo.CUSTOMER_FIELDS)


async def test_delete_core_flow_confirmed(
    service: ApiService, seeded_app, raw: httpx.AsyncClient
) -> None:
    store = seeded_app.state.store
    core = next(f for f in await service.list_flows() if f.slug == "customers")
    some = all_customers(store)[0]["id"]
    before = (await raw.get(f"/v2/customers/{some}")).json()["data"]
    assert "loyalty_tier" in before and "contact_window" in before

    recorder = Recorder(service)
    await service.delete_flow(core, core_confirmed=True)

    assert store.get_flow(core.id) is None
    assert store.get_flow_by_slug("customers") is None
    assert store.list_fields(core.id) == []
    after = (await raw.get(f"/v2/customers/{some}")).json()["data"]
    assert set(after) == CUSTOMER_KEYS  # the custom keys are gone
    page = (await raw.get("/v2/customers", params={"page[limit]": "100"})).json()
    assert all(set(c) == CUSTOMER_KEYS for c in page["data"])

    (renamed, deleted) = recorder.changes
    assert (renamed.resource, renamed.action, renamed.id) == ("flow", "updated", core.id)
    assert renamed.item.slug.startswith("customers-deleted-") and not renamed.item.is_core
    assert (deleted.resource, deleted.action, deleted.id, deleted.item) == (
        "flow", "deleted", core.id, None,
    )  # fmt: skip
    # Listeners keyed on the flow's slug (the customer views) must learn that "customers" went.
    assert deleted.flow_slug == "customers"


# -- fields -------------------------------------------------------------------------------------


async def test_fields_crud(service: ApiService, seeded_app, raw: httpx.AsyncClient) -> None:
    store = seeded_app.state.store
    flows = {f.slug: f for f in await service.list_flows()}
    core = flows["customers"]
    field = await service.create_field(
        core,
        name="Shoe size",
        slug="shoe_size",
        field_type="integer",
        description="EU sizes",
        default=40,
        validation_rules=[{"type": "between", "options": {"from": 30, "to": 50}}],
        order=7,
    )
    assert (field.slug, field.field_type, field.default, field.order) == (
        "shoe_size",
        "integer",
        40,
        7,
    )
    assert field.validation_rules == ({"type": "between", "options": {"from": 30, "to": 50}},)
    assert field.flow_id == core.id
    assert await service.get_field(field.id) == field
    assert [f.slug for f in await service.list_fields("customers")][-1] == "shoe_size"
    assert len(await service.list_fields()) == (
        len(demo.CUSTOMER_FIELDS) + 3 + len(demo.ADDRESS_FIELDS) + 1
    )
    assert len(await service.list_fields("wishlists")) == 3

    some = all_customers(store)[0]["id"]
    assert (await raw.get(f"/v2/customers/{some}")).json()["data"]["shoe_size"] == 40

    updated = await service.update_field(field.id, name="Shoe size (EU)", default=42)
    assert (updated.name, updated.default, updated.field_type) == ("Shoe size (EU)", 42, "integer")
    assert updated.description == "EU sizes" and updated.order == 7
    assert store.get_field(field.id)["default"] == 42

    with pytest.raises(ValidationError) as info:
        await service.update_field(field.id, field_type="string")
    assert info.value.for_attribute("field_type")
    with pytest.raises(ValidationError) as info:
        await service.update_field(field.id, default=99)  # outside the rule
    assert info.value.for_attribute("default")
    with pytest.raises(ValidationError) as info:
        await service.create_field(core, name="Email", slug="email", field_type="string")
    assert info.value.for_attribute("slug")

    await service.delete_field(updated, "customers")
    assert store.get_field(field.id) is None
    assert "shoe_size" not in (await raw.get(f"/v2/customers/{some}")).json()["data"]
    with pytest.raises(NotFoundError):
        await service.get_field(field.id)
    with pytest.raises(NotFoundError):
        await service.delete_field(updated)
    with pytest.raises(NotFoundError):
        await service.list_fields("no-such-flow")


async def test_reorder_fields_writes_only_changed_orders(service: ApiService, seeded_app) -> None:
    store = seeded_app.state.store
    fields = await service.list_fields("customers")
    assert [f.order for f in fields] == [1, 2, 3, 4, 5, 6]
    # Move the last field to third place: fields 1 and 2 keep their order.
    wanted = [fields[0], fields[1], fields[5], fields[2], fields[3], fields[4]]
    sent = service.transport.sent
    recorder = Recorder(service)
    result = await service.reorder_fields(wanted, "customers")

    assert service.transport.sent - sent == 4
    assert [c.id for c in recorder.changes] == [f.id for f in wanted[2:]]
    assert all(c.action == "updated" and c.flow_slug == "customers" for c in recorder.changes)
    assert [f.id for f in result] == [f.id for f in wanted]
    assert [f.order for f in result] == [1, 2, 3, 4, 5, 6]
    # Untouched fields were not written.
    for f in fields[:2]:
        assert store.get_field(f.id)["updated_at"] == f.updated_at
    assert [f.id for f in await service.list_fields("customers")] == [f.id for f in wanted]

    sent = service.transport.sent
    again = await service.reorder_fields(result, "customers")
    assert service.transport.sent == sent  # nothing to change, nothing sent
    assert again == result


# -- entries ------------------------------------------------------------------------------------


async def test_entries_crud(service: ApiService, seeded_app) -> None:
    store = seeded_app.state.store
    page = await service.list_entries("wishlists")
    assert page.total == 3 and len(page.items) == 3
    assert {e.values["title"] for e in page.items} == {
        "Birthday ideas", "Camping trip", "Office waffles",
    }  # fmt: skip

    entry = await service.create_entry("wishlists", {"title": "Snakehole Lounge"})
    assert entry.values == {"title": "Snakehole Lounge", "priority": 2}  # default shown
    assert entry.relationships == {"owner": None}
    assert await service.get_entry("wishlists", entry.id) == entry

    second = await service.list_entries("wishlists", limit=2, offset=2)
    assert (second.total, second.offset, second.limit, len(second.items)) == (4, 2, 2, 2)
    assert second.current == 2 and second.pages == 2 and not second.has_next

    updated = await service.update_entry("wishlists", entry.id, {"priority": 1})
    assert updated.values == {"title": "Snakehole Lounge", "priority": 1}
    assert updated.updated_at > entry.updated_at

    with pytest.raises(ValidationError) as info:
        await service.update_entry("wishlists", entry.id, {"priority": 7, "title": None})
    assert info.value.for_attribute("priority") and info.value.for_attribute("title")
    with pytest.raises(ValidationError) as info:
        await service.create_entry("wishlists", {"priority": 1})
    assert info.value.for_attribute("title") == ["The data.title field is required."]

    await service.delete_entry("wishlists", entry.id)
    flow_id = store.get_flow_by_slug("wishlists")["id"]
    assert store.get_entry(flow_id, entry.id) is None
    with pytest.raises(NotFoundError):
        await service.get_entry("wishlists", entry.id)
    with pytest.raises(NotFoundError):
        await service.list_entries("no-such-flow")


async def test_set_relationship(service: ApiService, seeded_app) -> None:
    store = seeded_app.state.store
    flow = await service.create_flow("Teams", "teams", "Groups")
    await service.create_field(flow, name="Title", slug="title", field_type="string")
    await service.create_field(
        flow,
        name="Members",
        slug="members",
        field_type="relationship",
        validation_rules=[{"type": "one-to-many", "to": "customer"}],
    )
    a, b, c = (row["id"] for row in all_customers(store)[:3])
    entry = await service.create_entry("teams", {"title": "Parks"})
    assert entry.relationships == {"members": None}

    def stored() -> Any:
        return (store.get_entry(flow.id, entry.id)["rels"] or {}).popitem()[1]

    replaced = await service.set_relationship(
        "teams", entry.id, "members", [("customer", a), ("customer", b)]
    )
    assert replaced == [{"type": "customer", "id": a}, {"type": "customer", "id": b}]
    assert stored() == replaced

    appended = await service.set_relationship(
        "teams", entry.id, "members", [("customer", c), ("customer", a)], append=True
    )
    assert [i["id"] for i in appended] == [a, b, c]
    assert (await service.get_entry("teams", entry.id)).relationships == {"members": appended}

    again = await service.set_relationship("teams", entry.id, "members", [("customer", c)])
    assert again == [{"type": "customer", "id": c}]
    assert stored() == again

    cleared = await service.set_relationship("teams", entry.id, "members", [])
    assert cleared == []
    assert stored() is None
    assert (await service.get_entry("teams", entry.id)).relationships == {"members": None}

    with pytest.raises(ValidationError):
        await service.set_relationship("teams", entry.id, "members", [("product", a)])
    with pytest.raises(NotFoundError):
        await service.set_relationship("teams", entry.id, "no_such", [("customer", a)])

    # The one-to-one owner of the demo wishlists.
    wish = (await service.list_entries("wishlists")).items[0]
    owner = await service.set_relationship("wishlists", wish.id, "owner", [("customer", b)])
    assert owner == [{"type": "customer", "id": b}]
    assert (await service.get_entry("wishlists", wish.id)).relationships == {
        "owner": {"type": "customer", "id": b}
    }


# -- customers ----------------------------------------------------------------------------------


async def test_customer_pages_filters_and_sort(service: ApiService, seeded_app) -> None:
    rows = all_customers(seeded_app.state.store)
    page = await service.list_customers(limit=50, offset=100)
    # Default order: newest first, ties by id.
    newest = sorted(rows, key=lambda r: (r["created_at"], r["id"]), reverse=True)
    assert [c.id for c in page.items] == [r["id"] for r in newest[100:150]]
    assert (page.total, page.limit, page.offset, page.current, page.pages) == (
        SEEDED,
        50,
        100,
        3,
        6,
    )

    knopes = [r for r in rows if "knope" in r["name"].lower()]
    assert knopes
    page = await service.list_customers(filters=[("like", "name", "*KNOPE*")], sort="name")
    expected = sorted(knopes, key=lambda r: (r["name"].lower(), r["id"]))
    assert [c.id for c in page.items] == [r["id"] for r in expected]
    assert page.total == len(knopes)

    page = await service.list_customers(sort="-email", limit=10)
    by_email = sorted(rows, key=lambda r: (r["email"].lower(), r["id"]), reverse=True)
    assert [c.email for c in page.items] == [r["email"] for r in by_email[:10]]

    cut = rows[150]["created_at"]
    page = await service.list_customers(filters=[("gt", "created_at", cut)], sort="created_at")
    assert [c.id for c in page.items] == [r["id"] for r in rows[151:251]]
    assert page.total == SEEDED - 151 and page.has_next
    ref = next(r for r in rows[:150] if r["external_ref"])
    page = await service.list_customers(
        filters=[("eq", "external_ref", ref["external_ref"]), ("le", "created_at", cut)]
    )
    assert [c.id for c in page.items] == [ref["id"]]
    page = await service.list_customers(
        filters=[("eq", "external_ref", ref["external_ref"]), ("gt", "created_at", cut)]
    )
    assert page.items == [] and page.total == 0

    assert await service.count_customers() == SEEDED
    assert await service.count_customers([("like", "name", "*knope*")]) == len(knopes)
    assert await service.count_customers([("eq", "email", "nobody@example.com")]) == 0


async def test_plus_in_email_filter_is_encoded(service: ApiService, raw: httpx.AsyncClient) -> None:
    plus = await service.create_customer(name="April Ludgate", email="a+b@example.com")
    page = await service.list_customers(filters=[("eq", "email", "a+b@example.com")])
    assert [c.id for c in page.items] == [plus.id]
    assert await service.count_customers([("eq", "email", "A+B@EXAMPLE.COM")]) == 1
    # Sent unencoded, as official SDKs do, the + arrives as a space and matches nothing.
    unencoded = await raw.get("/v2/customers?filter=eq(email,a+b@example.com)")
    assert unencoded.status_code == 200
    assert unencoded.json()["data"] == []


async def test_filter_values_with_term_characters(service: ApiService) -> None:
    odd = await service.create_customer(name="Tom (Entertainment 720): CEO, ", email="t@e.com")
    page = await service.list_customers(filters=[("eq", "name", "Tom (Entertainment 720): CEO, ")])
    assert [c.id for c in page.items] == [odd.id]
    page = await service.list_customers(
        filters=[("like", "name", "*(entertainment 720)*"), ("eq", "email", "t@e.com")]
    )
    assert [c.id for c in page.items] == [odd.id]


async def test_customer_crud(service: ApiService, seeded_app) -> None:
    store = seeded_app.state.store
    leslie = await service.create_customer(
        name="Leslie Knope",
        email="leslie@pawnee.gov",
        password="waffles",
        external_ref="crm-1",
        custom={"loyalty_tier": 5, "contact_window": "morning"},
    )
    assert leslie.has_password and leslie.external_ref == "crm-1"
    assert leslie.custom == {
        "delivery_notes": None,
        "loyalty_tier": 5,
        "newsletter": False,
        "contact_window": "morning",
        "lifetime_value": 0.0,
    }  # birthday has omit_null and no value
    row = store.get_customer(leslie.id)
    assert row["password_hash"].startswith("scrypt$") and "waffles" not in row["password_hash"]
    assert await service.get_customer(leslie.id) == leslie
    assert await service.count_customers() == SEEDED + 1

    await service.delete_customer(leslie.id)
    assert store.get_customer(leslie.id) is None
    with pytest.raises(NotFoundError) as info:
        await service.get_customer(leslie.id)
    assert info.value.status == 404 and info.value.method == "GET"
    with pytest.raises(NotFoundError):
        await service.delete_customer(leslie.id)
    with pytest.raises(NotFoundError):
        await service.update_customer(leslie.id, {"name": "Ghost"})


async def test_update_sends_only_changed_attributes(
    service: ApiService, seeded_app, raw: httpx.AsyncClient
) -> None:
    store = seeded_app.state.store
    ben = await service.create_customer(
        name="Ben Wyatt",
        email="ben@pawnee.gov",
        password="cones",
        custom={"delivery_notes": "Leave with Champion", "loyalty_tier": 2},
    )
    hash_before = store.get_customer(ben.id)["password_hash"]
    # Someone else renames him and sets a reference meanwhile.
    other = await raw.put(
        f"/v2/customers/{ben.id}",
        json={"data": {"type": "customer", "name": "Benjamin Wyatt", "external_ref": "ice-town"}},
    )
    assert other.status_code == 200

    form = {
        "name": ben.name,
        "email": ben.email,
        "external_ref": None,
        "password": "",
        "delivery_notes": "Leave with Champion",
        "loyalty_tier": 3,
        "newsletter": False,
    }
    sent = record_bodies(service)
    updated = await service.update_customer(ben.id, edit(ben, form))
    assert sent == [
        (
            "PUT",
            f"/v2/customers/{ben.id}",
            {"data": {"type": "customer", "id": ben.id, "loyalty_tier": 3}},
        )
    ]
    row = store.get_customer(ben.id)
    # What was not sent kept the other writer's values and the password.
    assert (row["name"], row["external_ref"]) == ("Benjamin Wyatt", "ice-town")
    assert row["password_hash"] == hash_before
    assert (updated.name, updated.external_ref, updated.has_password) == (
        "Benjamin Wyatt", "ice-town", True,
    )  # fmt: skip
    assert updated.custom["loyalty_tier"] == 3
    assert updated.custom["delivery_notes"] == "Leave with Champion"

    sent.clear()
    again = await service.update_customer(ben.id, edit(updated, {"password": "new"}))
    assert sent[0][2] == {"data": {"type": "customer", "id": ben.id, "password": "new"}}
    assert store.get_customer(ben.id)["password_hash"] != hash_before
    assert again.name == "Benjamin Wyatt"


async def test_typed_errors(service: ApiService) -> None:
    with pytest.raises(ValidationError) as info:
        await service.create_customer(name="", email="not-an-address", custom={"loyalty_tier": 9})
    error = info.value
    assert error.status == 422 and error.method == "POST" and error.path == "/v2/customers"
    assert error.for_attribute("name") == ["The data.name field is required."]
    assert error.for_attribute("email") == ["The data.email field must be a valid email address."]
    assert len(error.for_attribute("loyalty_tier")) == 1
    assert error.general() == []
    assert [e.status for e in error.errors] == [None, None, None]  # customers send no status

    await service.create_customer(name="Ann Perkins", email="ann@pawnee.gov")
    with pytest.raises(ConflictError) as info:
        await service.create_customer(name="Ann Again", email="ANN@pawnee.gov")
    assert info.value.status == 409
    assert info.value.errors[0].status == 409  # sent as the string "409"
    assert info.value.for_attribute("email")

    with pytest.raises(NotFoundError):
        await service.get_customer(str(uuid.uuid4()))
    with pytest.raises(NotFoundError):
        await service.get_flow("customers")  # by id, not slug
    with pytest.raises(BadRequestError) as info:
        await service.list_customers(sort="loyalty_tier")
    assert info.value.status == 400
    with pytest.raises(BadRequestError) as info:
        await service.list_customers(filters=[("eq", "loyalty_tier", "3")])
    assert "loyalty_tier" in info.value.summary


# -- change notifications -------------------------------------------------------------------


async def test_changes_for_every_write(service: ApiService, seeded_app) -> None:
    recorder = Recorder(service)
    flow = await service.create_flow("Teams", "teams", "Groups")
    flow = await service.update_flow(flow.id, name="Squads")
    field = await service.create_field(flow, name="Title", slug="title", field_type="string")
    field = await service.update_field(field.id, flow_slug="teams", name="Name")
    rel = await service.create_field(
        flow,
        name="Lead",
        slug="lead",
        field_type="relationship",
        validation_rules=[{"type": "one-to-one", "to": "customer"}],
    )
    entry = await service.create_entry("teams", {"title": "Parks"})
    entry = await service.update_entry("teams", entry.id, {"title": "Recreation"})
    await service.set_relationship("teams", entry.id, "lead", [("customer", "c-1")])
    await service.delete_entry("teams", entry.id)
    customer = await service.create_customer(name="Jerry Gergich", email="jerry@pawnee.gov")
    customer = await service.update_customer(customer.id, {"name": "Garry Gergich"})
    await service.delete_customer(customer.id)
    await service.delete_field(field, "teams")
    await service.delete_flow(flow)

    assert recorder.keys() == [
        ("flow", "created", flow.id, "teams", "write"),
        ("flow", "updated", flow.id, "teams", "write"),
        ("field", "created", field.id, "teams", "write"),
        ("field", "updated", field.id, "teams", "write"),
        ("field", "created", rel.id, "teams", "write"),
        ("entry", "created", entry.id, "teams", "write"),
        ("entry", "updated", entry.id, "teams", "write"),
        ("entry", "updated", entry.id, "teams", "write"),
        ("entry", "deleted", entry.id, "teams", "write"),
        ("customer", "created", customer.id, None, "write"),
        ("customer", "updated", customer.id, None, "write"),
        ("customer", "deleted", customer.id, None, "write"),
        ("field", "deleted", field.id, "teams", "write"),
        ("flow", "deleted", flow.id, "teams", "write"),
    ]
    items = [c.item for c in recorder.changes]
    assert items[1] == flow and items[3] == field and items[10] == customer
    assert all(item is None for item in (items[7], items[8], items[11], items[12], items[13]))

    # Failed writes tell nobody; unsubscribed listeners hear nothing more.
    count = len(recorder.changes)
    with pytest.raises(ValidationError):
        await service.create_flow("Bad", "customer", "reserved")
    assert len(recorder.changes) == count
    recorder.unsubscribe()
    await service.create_flow("Later", "later", "")
    assert len(recorder.changes) == count


async def test_failing_listener_does_not_break_the_service(
    service: ApiService, caplog: pytest.LogCaptureFixture
) -> None:
    heard: list[Change] = []

    def broken(change: Change) -> None:
        raise RuntimeError("listener bug")

    service.subscribe(broken)
    service.subscribe(heard.append)
    with caplog.at_level(logging.ERROR, logger="flowtui.api"):
        flow = await service.create_flow("Teams", "teams", "")
    assert [(c.resource, c.id) for c in heard] == [("flow", flow.id)]
    # With no hook set, the failure is logged with its traceback, never swallowed.
    [logged] = [r for r in caplog.records if r.name == "flowtui.api"]
    assert logged.levelno == logging.ERROR
    assert "broken" in logged.getMessage() and f"flow created {flow.id}" in logged.getMessage()
    assert logged.exc_info is not None and isinstance(logged.exc_info[1], RuntimeError)
    assert "listener bug" in caplog.text and "Traceback" in caplog.text


async def test_failing_listener_is_reported_to_the_hook(
    service: ApiService, caplog: pytest.LogCaptureFixture
) -> None:
    heard: list[Change] = []
    reported: list[BaseException] = []

    def broken(change: Change) -> None:
        raise RuntimeError("listener bug")

    service.on_listener_error = reported.append
    assert service.on_listener_error == reported.append
    service.subscribe(broken)
    service.subscribe(heard.append)
    service.subscribe(broken)
    with caplog.at_level(logging.ERROR, logger="flowtui.api"):
        flow = await service.create_flow("Teams", "teams", "")
        await service.update_flow(flow.id, name="Squads")
    # Every listener still got every change; each failure reached the hook, none the log.
    assert [(c.action, c.id) for c in heard] == [("created", flow.id), ("updated", flow.id)]
    assert [str(e) for e in reported] == ["listener bug"] * 4
    assert all(isinstance(e, RuntimeError) for e in reported)
    assert not [r for r in caplog.records if r.name == "flowtui.api"]


async def test_a_failing_hook_falls_back_to_the_log(
    service: ApiService, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(change: Change) -> None:
        raise RuntimeError("listener bug")

    def bad_hook(exc: BaseException) -> None:
        raise ValueError("hook bug")

    service.on_listener_error = bad_hook
    service.subscribe(broken)
    with caplog.at_level(logging.ERROR, logger="flowtui.api"):
        await service.create_flow("Teams", "teams", "")
    assert "hook bug" in caplog.text and "listener bug" in caplog.text


async def test_read_reveals_newer_version(service: ApiService, raw: httpx.AsyncClient) -> None:
    recorder = Recorder(service)
    chris = await service.create_customer(name="Chris Traeger", email="chris@pawnee.gov")
    assert await service.get_customer(chris.id) == chris
    assert recorder.keys() == [("customer", "created", chris.id, None, "write")]

    response = await raw.put(
        f"/v2/customers/{chris.id}",
        json={"data": {"type": "customer", "name": "Chris Traeger", "loyalty_tier": 5}},
    )
    assert response.status_code == 200
    newer = await service.get_customer(chris.id)
    assert newer.custom["loyalty_tier"] == 5
    change = recorder.changes[-1]
    assert (change.resource, change.action, change.id, change.via) == (
        "customer", "updated", chris.id, "read",
    )  # fmt: skip
    assert change.item == newer and change.flow_slug is None

    # Reading the same version again says nothing new.
    await service.get_customer(chris.id)
    assert len(recorder.changes) == 2

    # A list page reveals a newer version too.
    response = await raw.put(
        f"/v2/customers/{chris.id}", json={"data": {"type": "customer", "loyalty_tier": 1}}
    )
    assert response.status_code == 200
    await service.list_customers(filters=[("eq", "id", chris.id)])
    assert recorder.keys()[-1] == ("customer", "updated", chris.id, None, "read")
    assert recorder.changes[-1].item.custom["loyalty_tier"] == 1
    assert len(recorder.changes) == 3

    # The service's own update is a write, not also a read.
    await service.update_customer(chris.id, {"loyalty_tier": 2})
    await service.get_customer(chris.id)
    assert [c.via for c in recorder.changes] == ["write", "read", "read", "write"]


# -- iter_customers -------------------------------------------------------------------------


async def walk(service: ApiService, **options: Any) -> list[Customer]:
    return [c async for c in service.iter_customers(**options)]


def assert_walk(got: list[Customer], rows: list[dict]) -> None:
    ids = [c.id for c in got]
    assert len(ids) == len(set(ids)), "a customer came twice"
    assert ids == [r["id"] for r in rows]


@pytest.mark.parametrize(
    "options",
    [{}, {"page_size": 100}, {"page_size": 7, "concurrency": 3}, {"windows": 1}, {"windows": 50}],
)
async def test_iter_customers_seeded(service: ApiService, seeded_app, options) -> None:
    rows = all_customers(seeded_app.state.store)
    assert len(rows) == SEEDED
    assert_walk(await walk(service, **options), rows)


async def test_iter_customers_page_size_above_the_store_limit(
    service: ApiService, seeded_app
) -> None:
    # The store clamps page[limit] to 100: a larger page size must still walk everything.
    rows = all_customers(seeded_app.state.store)
    assert_walk(await walk(service, page_size=250, windows=1), rows)
    assert_walk(await walk(service, page_size=1000), rows)


def insert(store: Store, stamps: list[str]) -> None:
    store.insert_customers(
        (str(uuid.uuid4()), f"Tie {i}", f"tie{i}@example.com", None, None, {}, stamp, stamp)
        for i, stamp in enumerate(stamps)
    )


@pytest.mark.parametrize(
    "options",
    [{"page_size": 100}, {"page_size": 100, "windows": 1}, {"page_size": 30}, {"page_size": 250}],
)
async def test_iter_customers_ties(store: Store, options) -> None:
    same = "2024-05-05T05:05:05.555Z"
    before = [f"2024-05-0{d}T00:00:00.000Z" for d in range(1, 5) for _ in range(10)]
    after = [f"2024-05-0{d}T00:00:00.000Z" for d in range(6, 10) for _ in range(1)]
    insert(store, before + [same] * 250 + after)
    rows = all_customers(store)
    assert len(rows) == 40 + 250 + 4
    async with inprocess_service(make_sandbox(store)) as svc:
        assert_walk(await walk(svc, **options), rows)


async def test_iter_customers_all_tied(store: Store) -> None:
    insert(store, ["2024-05-05T05:05:05.555Z"] * 250)
    rows = all_customers(store)
    async with inprocess_service(make_sandbox(store)) as svc:
        sent = svc.transport.sent
        assert_walk(await walk(svc, page_size=100), rows)
        # first + last + 3 pages + 3 tie-drain pages + the page after the tie, at most.
        assert svc.transport.sent - sent <= 12


async def test_iter_customers_empty(bare_service: ApiService) -> None:
    assert await walk(bare_service) == []


async def test_iter_customers_stops_cleanly(service: ApiService, seeded_app) -> None:
    rows = all_customers(seeded_app.state.store)
    got = []
    async for customer in service.iter_customers(page_size=10):
        got.append(customer.id)
        if len(got) == 25:
            break
    assert got == [r["id"] for r in rows[:25]]
    # The service still works after the walk was abandoned.
    assert await service.count_customers() == SEEDED


async def test_iter_customers_beyond_the_offset_cap() -> None:
    app = make_sandbox()
    try:
        start = time.perf_counter()
        assert demo.seed(app.state.store, 10_500)
        rows = all_customers(app.state.store)
        async with inprocess_service(app) as svc:
            with pytest.raises(BadRequestError):  # offset pages cannot get there
                await svc.list_customers(offset=10_400)
            assert_walk(await walk(svc, page_size=100), rows)
        assert time.perf_counter() - start < 20
    finally:
        app.state.store.close()


async def test_verify_makes_a_request_even_with_a_cached_token(sandbox_app) -> None:
    cache = MemoryTokenCache()
    async with inprocess_service(sandbox_app, token_cache=cache) as first:
        await first.login()
    async with inprocess_service(sandbox_app, token_cache=cache) as second:
        assert await second.login() is cache.token
        assert second.is_sandbox is None  # login() trusted the cached token: no request
        assert await second.verify() is cache.token
        assert second.is_sandbox is True
        assert second.auth.logins == 0


async def test_value_fields_are_the_enabled_non_relationship_ones(bare_service) -> None:
    assert await bare_service.value_fields("customers") == []  # no such flow: 404 -> none
    flow = await bare_service.create_flow("Customers", "customers", "", True)
    kept = await bare_service.create_field(
        flow, name="Notes", slug="notes", field_type="string", order=2
    )
    first = await bare_service.create_field(
        flow, name="Tier", slug="tier", field_type="integer", order=1
    )
    await bare_service.create_field(
        flow, name="Off", slug="off", field_type="string", enabled=False
    )
    await bare_service.create_field(
        flow,
        name="Buddy",
        slug="buddy",
        field_type="relationship",
        validation_rules=[{"type": "one-to-one", "to": "customer"}],
    )
    assert [f.id for f in await bare_service.value_fields("customers")] == [first.id, kept.id]
