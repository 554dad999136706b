"""Flows: shape, create/validate, read, partial update, delete (custom and core), field lists."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from flowtui.core.fields import RESERVED_FLOW_SLUGS
from flowtui.sandbox.store import Store
from tests.conftest import get_token, make_sandbox

from .helpers import (
    TIMESTAMP,
    UUID,
    create_customer,
    create_entry,
    create_field,
    create_flow,
    errors_of,
    failed,
    flow_body,
)

BASE = "http://sandbox.test"
CONTRACT_RESERVED = [
    *("address", "brand", "cart", "category", "collection", "currency", "customer", "field"),
    *("file", "flow", "integration", "inventory", "language", "product", "order", "setting"),
    "promotion",
]
CORE_SLUGS = [
    "customers",
    "addresses",
    "products",
    "orders",
    "order_items",
    "carts",
    "cart_items",
    "accounts",
    "promotions",
]


def assert_flow_shape(flow: dict) -> None:
    assert set(flow) == {
        "id",
        "type",
        "name",
        "slug",
        "description",
        "enabled",
        "links",
        "relationships",
        "meta",
    }
    assert UUID.match(flow["id"])
    assert flow["type"] == "flow"
    assert flow["links"] == {"self": f"{BASE}/v2/flows/{flow['id']}"}
    assert flow["relationships"] == {}
    assert flow["meta"]["owner"] == "store"
    assert set(flow["meta"]["timestamps"]) == {"created_at", "updated_at"}
    for stamp in flow["meta"]["timestamps"].values():
        assert TIMESTAMP.match(stamp), stamp


# -- shape and create -----------------------------------------------------------------------


async def test_create_answers_201_with_the_flow(api):
    response = await api.post(
        "/v2/flows",
        json=flow_body("wishlists", name="Wish lists", description="Saved for later"),
    )
    assert response.status_code == 201
    assert response.headers["content-type"].startswith("application/json")
    flow = response.json()["data"]
    assert_flow_shape(flow)
    assert flow["name"] == "Wish lists"
    assert flow["slug"] == "wishlists"
    assert flow["description"] == "Saved for later"
    assert flow["enabled"] is True
    stamps = flow["meta"]["timestamps"]
    assert stamps["created_at"] == stamps["updated_at"]
    # Read back by id: the same object.
    response = await api.get(f"/v2/flows/{flow['id']}")
    assert response.status_code == 200
    assert response.json() == {"data": flow}


async def test_list_is_not_paginated(api):
    response = await api.get("/v2/flows")
    assert response.status_code == 200
    assert response.json() == {"data": []}
    a = await create_flow(api, "alpha")
    b = await create_flow(api, "beta", enabled=False)
    body = (await api.get("/v2/flows")).json()
    assert set(body) == {"data"}
    assert [f["id"] for f in body["data"]] == [a["id"], b["id"]]
    for flow in body["data"]:
        assert_flow_shape(flow)
    assert body["data"][1]["enabled"] is False


async def test_unknown_attributes_are_ignored(api):
    response = await api.post("/v2/flows", json=flow_body("notes", unique=True, color="red"))
    assert response.status_code == 201
    flow = response.json()["data"]
    assert "unique" not in flow and "color" not in flow


async def test_updated_at_moves_on_every_change(api):
    flow = await create_flow(api, "notes")
    created = flow["meta"]["timestamps"]["created_at"]
    seen = [flow["meta"]["timestamps"]["updated_at"]]
    for change in ({"name": "N1"}, {"description": "d"}, {"enabled": False}, {"slug": "notes2"}):
        response = await api.put(
            f"/v2/flows/{flow['id']}", json={"data": {"type": "flow", **change}}
        )
        assert response.status_code == 200, response.text
        stamps = response.json()["data"]["meta"]["timestamps"]
        assert stamps["created_at"] == created
        assert stamps["updated_at"] > seen[-1]
        seen.append(stamps["updated_at"])
    got = (await api.get(f"/v2/flows/{flow['id']}")).json()["data"]
    assert got["meta"]["timestamps"]["updated_at"] == seen[-1]


async def test_updated_at_moves_even_within_one_millisecond():
    """A frozen clock (every change in the same instant) still gives increasing stamps."""
    frozen = dt.datetime(2026, 1, 2, 3, 4, 5, 678_900)
    app = make_sandbox(store=Store(":memory:", clock=lambda: frozen))
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url=BASE) as c:
            c.headers["Authorization"] = f"Bearer {await get_token(c)}"
            flow = await create_flow(c, "notes")
            assert flow["meta"]["timestamps"]["created_at"] == "2026-01-02T03:04:05.678Z"
            stamps = [flow["meta"]["timestamps"]["updated_at"]]
            for name in ("a", "b", "c"):
                response = await c.put(
                    f"/v2/flows/{flow['id']}", json={"data": {"type": "flow", "name": name}}
                )
                stamps.append(response.json()["data"]["meta"]["timestamps"]["updated_at"])
            assert all(TIMESTAMP.match(s) for s in stamps)
            assert stamps == sorted(set(stamps)), stamps
    finally:
        app.state.store.close()


@pytest.mark.parametrize("missing", ["name", "slug", "description", "enabled"])
async def test_create_names_the_missing_attribute(api, missing):
    body = flow_body("notes")
    del body["data"][missing]
    errors = failed(await api.post("/v2/flows", json=body), f"data.{missing}")
    assert [e["source"] for e in errors] == [f"data.{missing}"]


async def test_create_names_every_missing_attribute(api):
    errors = failed(
        await api.post("/v2/flows", json={"data": {"type": "flow"}}),
        "data.name",
        "data.slug",
        "data.description",
        "data.enabled",
    )
    assert len(errors) == 4
    # null counts as missing
    body = flow_body("notes", name=None, enabled=None)
    errors = failed(await api.post("/v2/flows", json=body), "data.name", "data.enabled")
    assert len(errors) == 2
    assert (await api.get("/v2/flows")).json()["data"] == []


@pytest.mark.parametrize(
    ("attr", "value"),
    [
        ("name", 5),
        ("name", ["x"]),
        ("slug", 5),
        ("slug", {"a": 1}),
        ("description", 5),
        ("description", False),
        ("enabled", "true"),
        ("enabled", 1),
    ],
)
async def test_create_rejects_wrong_types(api, attr, value):
    body = flow_body("notes")
    body["data"][attr] = value
    failed(await api.post("/v2/flows", json=body), f"data.{attr}")


@pytest.mark.parametrize(
    "body",
    [
        {"data": {"name": "N", "slug": "n", "description": "", "enabled": True}},
        {"data": {"type": "flows", "name": "N", "slug": "n", "description": "", "enabled": True}},
        {"data": {"type": "field", "name": "N", "slug": "n", "description": "", "enabled": True}},
        {"data": {"type": None, "name": "N", "slug": "n", "description": "", "enabled": True}},
        {"type": "flow", "name": "N", "slug": "n", "description": "", "enabled": True},
        {"data": []},
        [],
    ],
)
async def test_create_needs_data_of_type_flow(api, body):
    errors = errors_of(await api.post("/v2/flows", json=body), 422)
    assert errors[0]["status"] == 422


async def test_create_without_body_is_422(api):
    errors_of(await api.post("/v2/flows"), 422)


@pytest.mark.parametrize(
    "raw",
    [b"{", b'{"data": {"type": "flow",}}', b"not json", b'{"data": NaN}', b"\xff\xfe"],
)
async def test_malformed_json_is_400(api, raw):
    response = await api.post(
        "/v2/flows", content=raw, headers={"Content-Type": "application/json"}
    )
    errors = errors_of(response, 400)
    assert errors[0]["status"] == 400


# -- slugs ----------------------------------------------------------------------------------


def test_the_code_reserves_the_contracts_names():
    assert set(CONTRACT_RESERVED) <= RESERVED_FLOW_SLUGS


@pytest.mark.parametrize("slug", CONTRACT_RESERVED)
async def test_reserved_singular_names_are_refused(api, slug):
    failed(await api.post("/v2/flows", json=flow_body(slug)), "data.slug")


@pytest.mark.parametrize(
    "slug",
    ["$notes", "$", "no$here", "my notes", "a/b", "a.b", "a?b", "caf\u00e9", "a,b", "a:b", ""],
)
async def test_bad_slugs_are_refused(api, slug):
    failed(await api.post("/v2/flows", json=flow_body(slug)), "data.slug")
    assert (await api.get("/v2/flows")).json()["data"] == []


@pytest.mark.parametrize("slug", ["wish(list)", "a-b_c", "A1", "(x)", "customers-2"])
async def test_good_slugs_are_accepted(api, slug):
    flow = await create_flow(api, slug)
    assert flow["slug"] == slug
    fields = await api.get(f"/v2/flows/{slug}/fields")
    assert fields.status_code == 200
    assert fields.json() == {"data": []}


async def test_duplicate_slug_is_422(api):
    first = await create_flow(api, "notes")
    failed(await api.post("/v2/flows", json=flow_body("notes")), "data.slug")
    other = await create_flow(api, "memos")
    # Renaming onto a taken slug is refused too; keeping one's own slug is fine.
    response = await api.put(
        f"/v2/flows/{other['id']}", json={"data": {"type": "flow", "slug": "notes"}}
    )
    failed(response, "data.slug")
    response = await api.put(
        f"/v2/flows/{first['id']}", json={"data": {"type": "flow", "slug": "notes", "name": "N"}}
    )
    assert response.status_code == 200
    assert len((await api.get("/v2/flows")).json()["data"]) == 2


async def test_put_rejects_bad_slugs(api):
    flow = await create_flow(api, "notes")
    for slug in ("customer", "$x", "a b", "", 7):
        response = await api.put(
            f"/v2/flows/{flow['id']}", json={"data": {"type": "flow", "slug": slug}}
        )
        failed(response, "data.slug")
    assert (await api.get(f"/v2/flows/{flow['id']}")).json()["data"]["slug"] == "notes"


# -- read, update ---------------------------------------------------------------------------


async def test_get_is_by_id_not_slug(api):
    flow = await create_flow(api, "notes")
    assert (await api.get(f"/v2/flows/{flow['id']}")).status_code == 200
    errors = errors_of(await api.get("/v2/flows/notes"), 404)
    assert errors[0]["status"] == 404
    errors_of(await api.get("/v2/flows/00000000-0000-4000-8000-000000000000"), 404)


async def test_put_is_a_partial_update(api):
    flow = await create_flow(api, "notes", description="Old")
    response = await api.put(
        f"/v2/flows/{flow['id']}", json={"data": {"type": "flow", "name": "Memos"}}
    )
    assert response.status_code == 200
    got = response.json()["data"]
    assert_flow_shape(got)
    assert got["name"] == "Memos"
    assert got["slug"] == "notes"
    assert got["description"] == "Old"
    assert got["enabled"] is True
    response = await api.put(
        f"/v2/flows/{flow['id']}",
        json={"data": {"type": "flow", "id": flow["id"], "enabled": False, "description": ""}},
    )
    assert response.status_code == 200
    got = (await api.get(f"/v2/flows/{flow['id']}")).json()["data"]
    assert (got["name"], got["description"], got["enabled"]) == ("Memos", "", False)


async def test_put_errors(api):
    flow = await create_flow(api, "notes")
    path = f"/v2/flows/{flow['id']}"
    missing = "/v2/flows/00000000-0000-4000-8000-000000000000"
    errors_of(await api.put(missing, json={"data": {"type": "flow", "name": "X"}}), 404)
    failed(await api.put(path, json={"data": {"type": "flow", "enabled": "no"}}), "data.enabled")
    failed(await api.put(path, json={"data": {"type": "flow", "name": 3}}), "data.name")
    errors_of(await api.put(path, json={"data": {"name": "X"}}), 422)
    errors_of(await api.put(path, json={"data": {"type": "entry", "name": "X"}}), 422)
    errors_of(await api.put(path, content=b"{", headers={"Content-Type": "application/json"}), 400)
    got = (await api.get(path)).json()["data"]
    assert got["name"] == flow["name"]
    assert got["meta"]["timestamps"]["updated_at"] == flow["meta"]["timestamps"]["updated_at"]


# -- delete ---------------------------------------------------------------------------------


async def test_delete_custom_flow_takes_its_fields_and_entries(api):
    flow = await create_flow(api, "notes")
    keep = await create_flow(api, "memos")
    field = await create_field(api, flow["id"], "title")
    kept_field = await create_field(api, keep["id"], "title")
    await create_entry(api, "notes", title="one")
    await create_entry(api, "memos", title="two")

    response = await api.delete(f"/v2/flows/{flow['id']}")
    assert response.status_code == 204
    assert response.content == b""
    errors_of(await api.get(f"/v2/flows/{flow['id']}"), 404)
    errors_of(await api.get(f"/v2/fields/{field['id']}"), 404)
    errors_of(await api.get("/v2/flows/notes/fields"), 404)
    errors_of(await api.get("/v2/flows/notes/entries"), 404)
    assert [f["id"] for f in (await api.get("/v2/fields")).json()["data"]] == [kept_field["id"]]
    errors_of(await api.delete(f"/v2/flows/{flow['id']}"), 404)

    # A new flow with the same slug starts empty.
    again = await create_flow(api, "notes")
    assert again["id"] != flow["id"]
    assert (await api.get("/v2/flows/notes/fields")).json()["data"] == []
    entries = (await api.get("/v2/flows/notes/entries")).json()
    assert entries["data"] == []
    assert entries["meta"]["results"]["total"] == 0
    # The other flow is untouched.
    assert (await api.get("/v2/flows/memos/entries")).json()["data"][0]["title"] == "two"


@pytest.mark.parametrize("slug", CORE_SLUGS)
async def test_delete_core_flow_is_405(api, slug):
    flow = await create_flow(api, slug)
    errors = errors_of(await api.delete(f"/v2/flows/{flow['id']}"), 405)
    assert errors[0]["status"] == 405
    assert (await api.get(f"/v2/flows/{flow['id']}")).status_code == 200


async def test_rename_core_flow_then_delete(api):
    flow = await create_flow(api, "customers")
    await create_field(api, flow["id"], "nickname")
    customer = await create_customer(api, "Tom Haverford", nickname="Tommy Fresh")
    assert customer["nickname"] == "Tommy Fresh"

    response = await api.put(
        f"/v2/flows/{flow['id']}", json={"data": {"type": "flow", "slug": "old-customers"}}
    )
    assert response.status_code == 200
    response = await api.delete(f"/v2/flows/{flow['id']}")
    assert response.status_code == 204
    got = (await api.get(f"/v2/customers/{customer['id']}")).json()["data"]
    assert "nickname" not in got
    assert got["name"] == "Tom Haverford"
    assert (await api.get("/v2/fields")).json()["data"] == []

    # A new customers flow with a field of the same slug does not bring the old value back.
    again = await create_flow(api, "customers")
    await create_field(api, again["id"], "nickname")
    got = (await api.get(f"/v2/customers/{customer['id']}")).json()["data"]
    assert got["nickname"] is None


# -- a flow's fields ------------------------------------------------------------------------


async def test_flow_fields_ordered_by_order_then_creation(api):
    flow = await create_flow(api, "notes")
    other = await create_flow(api, "memos")
    await create_field(api, other["id"], "elsewhere", order=0)
    made = {}
    for slug, order in (("a", 2), ("b", 1), ("c", None), ("d", 1), ("e", 2), ("f", 0)):
        made[slug] = await create_field(api, flow["id"], slug, order=order)
    response = await api.get("/v2/flows/notes/fields")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"data"}
    # By order, ties by creation; fields without an order come last.
    assert [f["slug"] for f in body["data"]] == ["f", "b", "d", "a", "e", "c"]
    assert all(f["relationships"]["flow"]["data"]["id"] == flow["id"] for f in body["data"])

    # Changing an order moves the field.
    response = await api.put(
        f"/v2/fields/{made['e']['id']}", json={"data": {"type": "field", "order": -1}}
    )
    assert response.status_code == 200
    slugs = [f["slug"] for f in (await api.get("/v2/flows/notes/fields")).json()["data"]]
    assert slugs == ["e", "f", "b", "d", "a", "c"]


async def test_flow_fields_slug_is_case_sensitive(api):
    await create_flow(api, "notes")
    assert (await api.get("/v2/flows/notes/fields")).status_code == 200
    errors_of(await api.get("/v2/flows/Notes/fields"), 404)
    errors_of(await api.get("/v2/flows/NOTES/fields"), 404)
    errors_of(await api.get("/v2/flows/nothing/fields"), 404)


async def test_renamed_custom_flow_keeps_its_fields_and_entries(api):
    flow = await create_flow(api, "notes")
    await create_field(api, flow["id"], "title")
    entry = await create_entry(api, "notes", title="kept")
    response = await api.put(
        f"/v2/flows/{flow['id']}", json={"data": {"type": "flow", "slug": "memos"}}
    )
    assert response.status_code == 200
    errors_of(await api.get("/v2/flows/notes/entries"), 404)
    errors_of(await api.get("/v2/flows/notes/fields"), 404)
    assert [f["slug"] for f in (await api.get("/v2/flows/memos/fields")).json()["data"]] == [
        "title"
    ]
    got = (await api.get(f"/v2/flows/memos/entries/{entry['id']}")).json()["data"]
    assert got["title"] == "kept"
    assert got["links"]["self"] == f"{BASE}/v2/flows/memos/entries/{entry['id']}"


async def test_renaming_onto_a_core_slug_cannot_shadow_resource_attributes(api):
    """A field of the customers flow may not be named like a customer attribute, so a flow
    whose fields include such a name cannot become the customers flow by a rename."""
    flow = await create_flow(api, "people")
    await create_field(api, flow["id"], "email")
    customer = await create_customer(api, "Donna Meagle", "donna@example.com")
    response = await api.put(
        f"/v2/flows/{flow['id']}", json={"data": {"type": "flow", "slug": "customers"}}
    )
    failed(response, "data.slug")
    got = (await api.get(f"/v2/customers/{customer['id']}")).json()["data"]
    assert got["email"] == "donna@example.com"
    assert (await api.get(f"/v2/flows/{flow['id']}")).json()["data"]["slug"] == "people"
    # Without such a field the rename is fine, and the fields become customer attributes.
    other = await create_flow(api, "profiles")
    await create_field(api, other["id"], "nickname", default="-")
    response = await api.put(
        f"/v2/flows/{other['id']}", json={"data": {"type": "flow", "slug": "customers"}}
    )
    assert response.status_code == 200
    got = (await api.get(f"/v2/customers/{customer['id']}")).json()["data"]
    assert got["nickname"] == "-"
    assert got["email"] == "donna@example.com"
