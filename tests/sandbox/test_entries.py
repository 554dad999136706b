"""Entries of custom flows: create, validate, list, filter, read, update, delete, relationships."""

from __future__ import annotations

import pytest

from flowtui.sandbox.config import epcc_sizes

from .helpers import (
    TIMESTAMP,
    UUID,
    create_customer,
    create_entry,
    create_field,
    create_flow,
    errors_of,
    failed,
)

BASE = "http://sandbox.test"
ENTRIES = "/v2/flows/notes/entries"


@pytest.fixture
async def notes(api) -> dict:
    """A custom flow ``notes`` with a field of every type (none required)."""
    flow = await create_flow(api, "notes")
    fields = {}
    specs = [
        ("title", "string", {}),
        (
            "count",
            "integer",
            {
                "default": 1,
                "validation_rules": [{"type": "between", "options": {"from": 1, "to": 10}}],
            },
        ),
        ("price", "float", {}),
        ("done", "boolean", {"default": False}),
        ("due", "date", {}),
        ("tag", "string", {"validation_rules": [{"type": "enum", "options": ["a", "b"]}]}),
        ("contact", "string", {"validation_rules": [{"type": "email"}]}),
        (
            "owner",
            "relationship",
            {"validation_rules": [{"type": "one-to-one", "to": "customer"}]},
        ),
        (
            "items",
            "relationship",
            {"validation_rules": [{"type": "one-to-many", "to": "product"}]},
        ),
    ]
    for slug, field_type, attrs in specs:
        fields[slug] = await create_field(api, flow["id"], slug, field_type, **attrs)
    return {"flow": flow, "fields": fields}


async def post_entry(api, **values):
    return await api.post(ENTRIES, json={"data": {"type": "entry", **values}})


async def put_entry(api, entry_id: str, **values):
    return await api.put(f"{ENTRIES}/{entry_id}", json={"data": {"type": "entry", **values}})


# -- create ---------------------------------------------------------------------------------


async def test_empty_entry_shows_defaults(api, notes):
    response = await post_entry(api)
    assert response.status_code == 201, response.text
    entry = response.json()["data"]
    assert set(entry) == {
        "id",
        "type",
        "title",
        "count",
        "price",
        "done",
        "due",
        "tag",
        "contact",
        "relationships",
        "links",
        "meta",
    }
    assert UUID.match(entry["id"])
    assert entry["type"] == "entry"
    assert entry["count"] == 1  # default
    assert entry["done"] is False  # default
    for slug in ("title", "price", "due", "tag", "contact"):
        assert entry[slug] is None
    assert entry["relationships"] == {"owner": {"data": None}, "items": {"data": None}}
    assert entry["links"] == {"self": f"{BASE}{ENTRIES}/{entry['id']}"}
    assert entry["meta"]["owner"] == "store"
    for stamp in entry["meta"]["timestamps"].values():
        assert TIMESTAMP.match(stamp)
    got = await api.get(f"{ENTRIES}/{entry['id']}")
    assert got.status_code == 200
    assert got.json() == {"data": entry}


async def test_entry_of_a_flow_without_fields(api):
    await create_flow(api, "bare")
    response = await api.post("/v2/flows/bare/entries", json={"data": {"type": "entry"}})
    assert response.status_code == 201
    entry = response.json()["data"]
    assert set(entry) == {"id", "type", "relationships", "links", "meta"}


async def test_create_stores_good_values(api, notes):
    values = {
        "title": "Hello \u2019 w\u00f6rld",
        "count": 10,
        "price": 2.5,
        "done": True,
        "due": "2026-02-03 04:05:06",
        "tag": "b",
        "contact": "a@b.co",
    }
    response = await post_entry(api, **values, unknown="ignored")
    assert response.status_code == 201, response.text
    entry = response.json()["data"]
    for slug, value in values.items():
        assert entry[slug] == value
    assert "unknown" not in entry
    got = (await api.get(f"{ENTRIES}/{entry['id']}")).json()["data"]
    assert got == entry


@pytest.mark.parametrize(
    ("slug", "value"),
    [
        ("price", 3),
        ("price", -0.25),
        ("due", "2026-02-03"),
        ("due", "2026-02-03T04:05:06"),
        ("count", 5),
        ("title", ""),
        ("title", None),
        ("count", None),
    ],
)
async def test_more_good_values(api, notes, slug, value):
    response = await post_entry(api, **{slug: value})
    assert response.status_code == 201, response.text
    shown = response.json()["data"][slug]
    if value is None:  # null: the default shows
        assert shown == notes["fields"][slug]["default"]
    else:
        assert shown == value


@pytest.mark.parametrize(
    ("slug", "value"),
    [
        ("title", 5),
        ("title", True),
        ("title", ["x"]),
        ("count", "3"),
        ("count", 1.5),
        ("count", True),
        ("count", 0),
        ("count", 11),
        ("price", "2.5"),
        ("price", False),
        ("done", "true"),
        ("done", 1),
        ("due", "2026-02-30"),
        ("due", "03/02/2026"),
        ("due", 20260203),
        ("tag", "c"),
        ("contact", "not an email"),
    ],
)
async def test_bad_values_are_422(api, notes, slug, value):
    errors = failed(await post_entry(api, **{slug: value}), f"data.{slug}")
    assert len(errors) == 1
    assert (await api.get(ENTRIES)).json()["meta"]["results"]["total"] == 0


async def test_every_bad_value_is_listed(api, notes):
    response = await post_entry(
        api, title=1, count="x", price="y", done="z", due="w", tag="c", contact="q"
    )
    errors = failed(
        response,
        "data.title",
        "data.count",
        "data.price",
        "data.done",
        "data.due",
        "data.tag",
        "data.contact",
    )
    assert len(errors) == 7


async def test_required_fields(api):
    flow = await create_flow(api, "tasks")
    await create_field(api, flow["id"], "title", required=True)
    await create_field(api, flow["id"], "size", "integer", required=True, default=3)
    await create_field(api, flow["id"], "note")
    path = "/v2/flows/tasks/entries"
    errors = failed(
        await api.post(path, json={"data": {"type": "entry"}}), "data.title", "data.size"
    )
    assert len(errors) == 2
    body = {"data": {"type": "entry", "title": None, "size": 2}}
    failed(await api.post(path, json=body), "data.title")
    response = await api.post(path, json={"data": {"type": "entry", "title": "T", "size": 2}})
    assert response.status_code == 201
    entry = response.json()["data"]
    assert (entry["title"], entry["size"], entry["note"]) == ("T", 2, None)
    # A partial update need not repeat required fields, but may not null them.
    response = await api.put(f"{path}/{entry['id']}", json={"data": {"type": "entry", "note": "n"}})
    assert response.status_code == 200
    assert response.json()["data"]["title"] == "T"
    body = {"data": {"type": "entry", "title": None}}
    failed(await api.put(f"{path}/{entry['id']}", json=body), "data.title")


async def test_create_needs_data_of_type_entry(api, notes):
    errors_of(await api.post(ENTRIES, json={"data": {"title": "x"}}), 422)
    errors_of(await api.post(ENTRIES, json={"data": {"type": "entries", "title": "x"}}), 422)
    errors_of(await api.post(ENTRIES, json={"type": "entry"}), 422)
    response = await api.post(
        ENTRIES, content=b"{oops", headers={"Content-Type": "application/json"}
    )
    errors_of(response, 400)


async def test_disabled_fields_are_hidden_and_ignored(api, notes):
    field = notes["fields"]["title"]
    entry = await create_entry(api, "notes", title="kept")
    response = await api.put(
        f"/v2/fields/{field['id']}", json={"data": {"type": "field", "enabled": False}}
    )
    assert response.status_code == 200
    got = (await api.get(f"{ENTRIES}/{entry['id']}")).json()["data"]
    assert "title" not in got
    response = await post_entry(api, title=123)  # not checked: not an enabled field
    assert response.status_code == 201
    assert "title" not in response.json()["data"]
    await api.put(f"/v2/fields/{field['id']}", json={"data": {"type": "field", "enabled": True}})
    got = (await api.get(f"{ENTRIES}/{entry['id']}")).json()["data"]
    assert got["title"] == "kept"


# -- list and filter ------------------------------------------------------------------------


async def test_empty_list_has_pagination_meta(api, notes):
    response = await api.get(ENTRIES)
    assert response.status_code == 200
    body = response.json()
    assert body["data"] == []
    assert body["meta"] == {
        "page": {"limit": 100, "offset": 0, "current": 1, "total": 0},
        "results": {"total": 0},
    }
    links = body["links"]
    assert set(links) == {"current", "first", "last", "prev", "next"}
    assert links["current"].startswith(f"{BASE}{ENTRIES}")
    assert links["first"].startswith(f"{BASE}{ENTRIES}")
    assert (links["last"], links["prev"], links["next"]) == (None, None, None)


async def test_list_pages(api, notes):
    made = [await create_entry(api, "notes", count=i) for i in range(1, 6)]
    ids = [e["id"] for e in made]

    first = (await api.get(ENTRIES, params={"page[limit]": 2})).json()
    assert [e["id"] for e in first["data"]] == ids[:2]  # oldest first
    assert first["meta"] == {
        "page": {"limit": 2, "offset": 0, "current": 1, "total": 3},
        "results": {"total": 5},
    }
    links = first["links"]
    assert links["prev"] is None
    for key in ("current", "first", "last", "next"):
        assert links[key].startswith(f"{BASE}{ENTRIES}?"), links[key]

    second = (await api.get(links["next"].removeprefix(BASE))).json()
    assert [e["id"] for e in second["data"]] == ids[2:4]
    assert second["meta"]["page"] == {"limit": 2, "offset": 2, "current": 2, "total": 3}
    assert second["links"]["prev"] is not None and second["links"]["next"] is not None

    last = (await api.get(links["last"].removeprefix(BASE))).json()
    assert [e["id"] for e in last["data"]] == ids[4:]
    assert last["meta"]["page"]["current"] == 3
    assert last["links"]["next"] is None
    back = (await api.get(last["links"]["prev"].removeprefix(BASE))).json()
    assert [e["id"] for e in back["data"]] == ids[2:4]

    # Every entry is rendered in full in a list.
    everything = (await api.get(ENTRIES)).json()
    assert everything["data"] == [(await api.get(f"{ENTRIES}/{i}")).json()["data"] for i in ids]
    assert everything["links"]["last"] is None


async def test_page_parameters_are_checked(api, notes):
    await create_entry(api, "notes")
    clamped = (await api.get(ENTRIES, params={"page[limit]": 500})).json()
    assert clamped["meta"]["page"]["limit"] == 100
    for params in ({"page[limit]": "x"}, {"page[offset]": "10001"}, {"page[limit]": "0"}):
        errors_of(await api.get(ENTRIES, params=params), 400)


async def test_filter_by_id(api, notes):
    a, b, c = [await create_entry(api, "notes", title=t) for t in "abc"]
    response = await api.get(ENTRIES, params={"filter": f"eq(id,{b['id']})"})
    assert response.status_code == 200
    body = response.json()
    assert [e["id"] for e in body["data"]] == [b["id"]]
    assert body["meta"]["results"]["total"] == 1
    response = await api.get(ENTRIES, params={"filter": f"in(id,{a['id']},{c['id']})"})
    assert sorted(e["id"] for e in response.json()["data"]) == sorted([a["id"], c["id"]])
    # Raw (unencoded) query strings work too.
    response = await api.get(f"{ENTRIES}?filter=eq(id,{c['id']})")
    assert [e["id"] for e in response.json()["data"]] == [c["id"]]
    none = (await api.get(ENTRIES, params={"filter": "eq(id,nope)"})).json()
    assert none["data"] == [] and none["meta"]["results"]["total"] == 0


@pytest.mark.parametrize(
    "expr", ["eq(title,a)", "like(id,a*)", "gt(id,a)", "eq(id", "nonsense", "eq(created,x)"]
)
async def test_unsupported_filters_are_400(api, notes, expr):
    errors = errors_of(await api.get(ENTRIES, params={"filter": expr}), 400)
    assert errors[0]["status"] == 400


# -- read, update, delete -------------------------------------------------------------------


async def test_put_is_partial(api, notes):
    entry = await create_entry(api, "notes", title="T", count=4, tag="a")
    response = await put_entry(api, entry["id"], count=5, id=entry["id"])
    assert response.status_code == 200, response.text
    got = response.json()["data"]
    assert (got["title"], got["count"], got["tag"]) == ("T", 5, "a")
    assert got["meta"]["timestamps"]["created_at"] == entry["meta"]["timestamps"]["created_at"]
    assert got["meta"]["timestamps"]["updated_at"] > entry["meta"]["timestamps"]["updated_at"]
    # null removes a value: the default shows again
    response = await put_entry(api, entry["id"], count=None, tag=None)
    got = response.json()["data"]
    assert (got["title"], got["count"], got["tag"]) == ("T", 1, None)
    assert (await api.get(f"{ENTRIES}/{entry['id']}")).json()["data"] == got


async def test_put_errors_change_nothing(api, notes):
    entry = await create_entry(api, "notes", title="T")
    failed(await put_entry(api, entry["id"], count=99, tag="z"), "data.count", "data.tag")
    body = {"data": {"type": "flow", "title": "X"}}
    errors_of(await api.put(f"{ENTRIES}/{entry['id']}", json=body), 422)
    assert (await api.get(f"{ENTRIES}/{entry['id']}")).json()["data"] == entry


async def test_delete_entry(api, notes):
    entry = await create_entry(api, "notes")
    other = await create_entry(api, "notes")
    response = await api.delete(f"{ENTRIES}/{entry['id']}")
    assert response.status_code == 204
    assert response.content == b""
    errors_of(await api.get(f"{ENTRIES}/{entry['id']}"), 404)
    errors_of(await api.delete(f"{ENTRIES}/{entry['id']}"), 404)
    assert [e["id"] for e in (await api.get(ENTRIES)).json()["data"]] == [other["id"]]


async def test_not_found(api, notes):
    await create_flow(api, "memos")
    memo = await create_entry(api, "memos")
    missing = f"{ENTRIES}/00000000-0000-4000-8000-000000000000"
    for method, path in (
        ("GET", missing),
        ("PUT", missing),
        ("DELETE", missing),
        ("POST", f"{missing}/relationships/items"),
        ("GET", "/v2/flows/nothing/entries"),
        ("POST", "/v2/flows/nothing/entries"),
        ("GET", "/v2/flows/nothing/entries/x"),
        ("GET", "/v2/flows/NOTES/entries"),
        # an entry of another flow is not found under this one
        ("GET", f"{ENTRIES}/{memo['id']}"),
        ("DELETE", f"{ENTRIES}/{memo['id']}"),
    ):
        errors = errors_of(await api.request(method, path, json={"data": {"type": "entry"}}), 404)
        assert errors[0]["status"] == 404, (method, path)
    assert (await api.get(f"/v2/flows/memos/entries/{memo['id']}")).status_code == 200


async def test_core_flow_has_no_entries(api):
    await create_flow(api, "customers")
    await create_flow(api, "products")
    for path in ("/v2/flows/customers/entries", "/v2/flows/products/entries"):
        for method in ("GET", "POST"):
            response = await api.request(method, path, json={"data": {"type": "entry"}})
            errors = errors_of(response, 422)
            assert errors[0]["status"] == 422
        for method in ("GET", "PUT", "DELETE"):
            response = await api.request(method, f"{path}/x", json={"data": {"type": "entry"}})
            errors_of(response, 422)


# -- relationships --------------------------------------------------------------------------


def rel_path(entry_id: str, slug: str) -> str:
    return f"{ENTRIES}/{entry_id}/relationships/{slug}"


def products(*ids: str) -> list[dict]:
    return [{"type": "product", "id": i} for i in ids]


async def rel_data(api, entry_id: str, slug: str):
    got = (await api.get(f"{ENTRIES}/{entry_id}")).json()["data"]
    return got["relationships"][slug]["data"]


async def test_one_to_many(api, notes):
    entry = await create_entry(api, "notes")
    path = rel_path(entry["id"], "items")

    response = await api.post(path, json={"data": products("p1")})
    assert response.status_code == 201, response.text
    assert response.json() == {"data": products("p1")}
    assert await rel_data(api, entry["id"], "items") == products("p1")

    # POST appends (an item already there is not repeated).
    response = await api.post(path, json={"data": products("p2", "p1", "p3")})
    assert response.status_code == 201
    assert await rel_data(api, entry["id"], "items") == products("p1", "p2", "p3")

    # PUT replaces.
    response = await api.put(path, json={"data": products("p9")})
    assert response.status_code == 201
    assert response.json() == {"data": products("p9")}
    assert await rel_data(api, entry["id"], "items") == products("p9")

    # DELETE clears to null.
    response = await api.delete(path)
    assert response.status_code == 204
    assert response.content == b""
    assert await rel_data(api, entry["id"], "items") is None

    # Values are untouched by relationship changes.
    got = (await api.get(f"{ENTRIES}/{entry['id']}")).json()["data"]
    assert got["count"] == 1


async def test_one_to_one(api, notes):
    entry = await create_entry(api, "notes", title="T")
    customer = await create_customer(api, "Andy Dwyer")
    other = await create_customer(api, "Chris Traeger")
    path = rel_path(entry["id"], "owner")
    one = {"type": "customer", "id": customer["id"]}

    response = await api.post(path, json={"data": [one]})
    assert response.status_code == 201, response.text
    assert await rel_data(api, entry["id"], "owner") == one

    # A single object is taken as well, and replaces the one there.
    two = {"type": "customer", "id": other["id"]}
    response = await api.put(path, json={"data": two})
    assert response.status_code == 201
    assert await rel_data(api, entry["id"], "owner") == two
    response = await api.post(path, json={"data": one})
    assert response.status_code == 201
    assert await rel_data(api, entry["id"], "owner") == one

    # More than one item is refused.
    failed(await api.put(path, json={"data": [one, two]}), "data")
    assert await rel_data(api, entry["id"], "owner") == one

    assert (await api.delete(path)).status_code == 204
    assert await rel_data(api, entry["id"], "owner") is None
    assert (await api.get(f"{ENTRIES}/{entry['id']}")).json()["data"]["title"] == "T"


@pytest.mark.parametrize(
    ("slug", "data"),
    [
        ("items", [{"type": "customer", "id": "c1"}]),
        ("items", [{"type": "product", "id": "p1"}, {"type": "brand", "id": "b1"}]),
        ("owner", [{"type": "product", "id": "p1"}]),
        ("owner", {"type": "entry", "id": "e1"}),
        ("items", [{"type": "product"}]),
        ("items", [{"id": "p1"}]),
        ("items", [{"type": "product", "id": ""}]),
        ("items", [{"type": "product", "id": 5}]),
        ("items", ["p1"]),
        ("items", "p1"),
        ("items", None),
    ],
)
async def test_wrong_relationship_items_are_422(api, notes, slug, data):
    entry = await create_entry(api, "notes")
    path = rel_path(entry["id"], slug)
    for method in ("POST", "PUT"):
        failed(await api.request(method, path, json={"data": data}), "data")
    assert await rel_data(api, entry["id"], slug) is None


async def test_relationship_body_without_data_is_422(api, notes):
    entry = await create_entry(api, "notes")
    response = await api.post(rel_path(entry["id"], "items"), json={"items": []})
    errors_of(response, 422)
    response = await api.post(rel_path(entry["id"], "items"))
    errors_of(response, 422)


async def test_relationship_field_as_a_plain_value_is_422(api, notes):
    customer = await create_customer(api, "Ben Wyatt")
    value = {"type": "customer", "id": customer["id"]}
    failed(await post_entry(api, owner=value), "data.owner")
    failed(await post_entry(api, items=products("p1"), title="x"), "data.items")
    entry = await create_entry(api, "notes")
    failed(await put_entry(api, entry["id"], owner=value), "data.owner")
    failed(await put_entry(api, entry["id"], items=None), "data.items")
    assert await rel_data(api, entry["id"], "owner") is None


async def test_relationship_endpoint_errors(api, notes):
    entry = await create_entry(api, "notes")
    body = {"data": products("p1")}
    errors_of(await api.post(rel_path(entry["id"], "nothing"), json=body), 404)
    errors_of(await api.delete(rel_path(entry["id"], "nothing")), 404)
    errors_of(await api.post(rel_path("nope", "items"), json=body), 404)
    errors_of(await api.post(f"/v2/flows/nothing/entries/{entry['id']}/relationships/items"), 404)
    # A field that is not a relationship.
    errors_of(await api.post(rel_path(entry["id"], "title"), json=body), 422)
    errors_of(await api.delete(rel_path(entry["id"], "title")), 422)
    # GET is not a relationship call.
    errors_of(await api.get(rel_path(entry["id"], "items")), 405)


async def test_relationship_to_a_custom_flow(api, notes):
    memos = await create_flow(api, "memos")
    await create_field(
        api,
        notes["flow"]["id"],
        "memo",
        "relationship",
        validation_rules=[{"type": "one-to-many", "to": "memos"}],
    )
    memo = await create_entry(api, "memos")
    entry = await create_entry(api, "notes")
    path = rel_path(entry["id"], "memo")
    response = await api.post(path, json={"data": [{"type": "memos", "id": memo["id"]}]})
    assert response.status_code == 201, response.text
    assert await rel_data(api, entry["id"], "memo") == [{"type": "memos", "id": memo["id"]}]
    failed(await api.post(path, json={"data": [{"type": "entry", "id": memo["id"]}]}), "data")
    assert memos["slug"] == "memos"


async def test_string_values_up_to_16_mb_with_epcc_sizes(sandbox_app, api, notes):
    epcc_sizes(sandbox_app.state.config)  # flowtui sandbox --epcc-sizes
    limit = 16 * 1024 * 1024
    failed(await post_entry(api, title="x" * (limit + 1)), "data.title")
    failed(await post_entry(api, title="\u20ac" * (limit // 3 + 1)), "data.title")  # bytes count
    response = await post_entry(api, title="y" * limit)
    assert response.status_code == 201
    assert len(response.json()["data"]["title"]) == limit


@pytest.mark.parametrize("value", [2**63, -(2**63) - 1])
async def test_integers_beyond_64_bits_are_422(api, notes, value):
    await create_field(api, notes["flow"]["id"], "big", "integer")
    failed(await post_entry(api, big=value), "data.big")
    inside = value - 1 if value > 0 else value + 1
    response = await post_entry(api, big=inside)
    assert response.status_code == 201
    assert response.json()["data"]["big"] == inside
