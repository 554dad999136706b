"""Fields: the six types, validation rules, defaults, limits, slugs, reads, updates, deletes."""

from __future__ import annotations

import pytest

from .helpers import (
    TIMESTAMP,
    UUID,
    create_customer,
    create_entry,
    create_field,
    create_flow,
    errors_of,
    failed,
    field_body,
)

BASE = "http://sandbox.test"
FIELD_KEYS = {
    "id",
    "type",
    "name",
    "slug",
    "field_type",
    "validation_rules",
    "description",
    "required",
    "default",
    "enabled",
    "order",
    "omit_null",
    "relationships",
    "links",
    "meta",
}
RULES = "data.validation_rules"


@pytest.fixture
async def flow(api) -> dict:
    return await create_flow(api, "notes")


async def post_field(api, flow_id: str, slug: str, field_type: str = "string", **attrs):
    return await api.post("/v2/fields", json=field_body(flow_id, slug, field_type, **attrs))


async def put_field(api, field_id: str, **attrs):
    return await api.put(f"/v2/fields/{field_id}", json={"data": {"type": "field", **attrs}})


def assert_field_shape(field: dict, flow_id: str) -> None:
    assert set(field) == FIELD_KEYS
    assert UUID.match(field["id"])
    assert field["type"] == "field"
    assert isinstance(field["validation_rules"], list)
    assert field["relationships"] == {"flow": {"data": {"type": "flow", "id": flow_id}}}
    assert field["links"] == {"self": f"{BASE}/v2/flows/{flow_id}/fields/{field['id']}"}
    assert field["meta"]["owner"] == "store"
    for stamp in field["meta"]["timestamps"].values():
        assert TIMESTAMP.match(stamp)


# -- types and rules ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field_type", "rules"),
    [
        ("string", []),
        ("integer", []),
        ("float", []),
        ("boolean", []),
        ("date", []),
        ("relationship", [{"type": "one-to-many", "to": "product"}]),
    ],
)
async def test_each_field_type(api, flow, field_type, rules):
    response = await post_field(api, flow["id"], "value", field_type, validation_rules=rules)
    assert response.status_code == 201, response.text
    field = response.json()["data"]
    assert_field_shape(field, flow["id"])
    assert field["field_type"] == field_type
    assert field["validation_rules"] == rules
    assert field["name"] == "Value"
    assert field["slug"] == "value"
    assert field["description"] == "The value field"
    assert field["required"] is False
    assert field["enabled"] is True
    assert field["default"] is None
    assert field["order"] is None
    assert field["omit_null"] is False


async def test_rules_omitted_are_an_empty_list(api, flow):
    response = await api.post("/v2/fields", json=field_body(flow["id"], "flag", "boolean"))
    assert response.status_code == 201
    assert response.json()["data"]["validation_rules"] == []


async def test_unknown_field_type_is_422(api, flow):
    for field_type in ("text", "String", "number", "bool", "", 3):
        failed(await post_field(api, flow["id"], "v", field_type), "data.field_type")
    assert (await api.get("/v2/fields")).json()["data"] == []


@pytest.mark.parametrize(
    ("field_type", "rule"),
    [
        ("string", {"type": "enum", "options": ["a", "b"]}),
        ("string", {"type": "email"}),
        ("string", {"type": "slug"}),
        ("string", {"type": "uuid"}),
        ("integer", {"type": "between", "options": {"from": 1, "to": 5}}),
        ("integer", {"type": "between", "options": {"from": 3, "to": 3}}),
        ("integer", {"type": "enum", "options": [1, 2, 3]}),
        ("float", {"type": "between", "options": {"from": 0.5, "to": 9.5}}),
        ("float", {"type": "between", "options": {"from": -1, "to": 2}}),
        ("float", {"type": "enum", "options": [0.5, 1.0]}),
        ("date", {"type": "enum", "options": ["2026-12-24", "2026-12-25"]}),
        ("relationship", {"type": "one-to-one", "to": "customer"}),
        ("relationship", {"type": "one-to-many", "to": "product"}),
        ("relationship", {"type": "one-to-many", "to": "notes"}),
    ],
)
async def test_every_rule_form_of_the_contract(api, flow, field_type, rule):
    response = await post_field(api, flow["id"], "v", field_type, validation_rules=[rule])
    assert response.status_code == 201, response.text
    field = response.json()["data"]
    assert field["validation_rules"] == [rule]
    got = (await api.get(f"/v2/fields/{field['id']}")).json()["data"]
    assert got["validation_rules"] == [rule]


async def test_several_rules_on_one_field(api, flow):
    rules = [{"type": "email"}, {"type": "enum", "options": ["a@b.co", "c@d.co"]}]
    field = await create_field(api, flow["id"], "v", validation_rules=rules)
    assert field["validation_rules"] == rules


@pytest.mark.parametrize(
    ("field_type", "rules"),
    [
        # a rule the type does not take
        ("string", [{"type": "between", "options": {"from": 1, "to": 5}}]),
        ("string", [{"type": "one-to-one", "to": "customer"}]),
        ("string", [{"type": "regex", "options": "^a$"}]),
        ("integer", [{"type": "email"}]),
        ("integer", [{"type": "slug"}]),
        ("float", [{"type": "uuid"}]),
        ("date", [{"type": "between", "options": {"from": "2026-01-01", "to": "2026-02-01"}}]),
        ("date", [{"type": "email"}]),
        ("relationship", [{"type": "enum", "options": ["a"]}]),
        # between: from > to, bounds not numbers / not integers, no options
        ("integer", [{"type": "between", "options": {"from": 5, "to": 1}}]),
        ("float", [{"type": "between", "options": {"from": 9.5, "to": 0.5}}]),
        ("integer", [{"type": "between", "options": {"from": 1.5, "to": 5}}]),
        ("integer", [{"type": "between", "options": {"from": 1, "to": 4.5}}]),
        ("integer", [{"type": "between", "options": {"from": "a", "to": 5}}]),
        ("float", [{"type": "between", "options": {"from": True, "to": 5}}]),
        ("integer", [{"type": "between", "options": {"from": 1}}]),
        ("integer", [{"type": "between"}]),
        ("integer", [{"type": "between", "options": [1, 5]}]),
        # enum: empty, missing, or an option of the wrong type
        ("string", [{"type": "enum", "options": []}]),
        ("integer", [{"type": "enum", "options": []}]),
        ("string", [{"type": "enum"}]),
        ("string", [{"type": "enum", "options": "a,b"}]),
        ("string", [{"type": "enum", "options": ["a", 1]}]),
        ("integer", [{"type": "enum", "options": [1, "2"]}]),
        ("integer", [{"type": "enum", "options": [1, 2.5]}]),
        ("integer", [{"type": "enum", "options": [True]}]),
        ("float", [{"type": "enum", "options": [0.5, "x"]}]),
        ("date", [{"type": "enum", "options": ["2026-13-01"]}]),
        ("date", [{"type": "enum", "options": [20261224]}]),
        # boolean takes no rule at all
        ("boolean", [{"type": "enum", "options": [True, False]}]),
        ("boolean", [{"type": "between", "options": {"from": 0, "to": 1}}]),
        ("boolean", [{"type": "email"}]),
        # relationship: `to` is required, one cardinality rule
        ("relationship", [{"type": "one-to-one"}]),
        ("relationship", [{"type": "one-to-many", "to": ""}]),
        ("relationship", [{"type": "one-to-many", "to": 5}]),
        ("relationship", []),
        (
            "relationship",
            [{"type": "one-to-one", "to": "customer"}, {"type": "one-to-many", "to": "product"}],
        ),
        # not a list of rule objects
        ("string", {"type": "email"}),
        ("string", ["email"]),
        ("string", [{"options": ["a"]}]),
    ],
)
async def test_wrong_rules_are_422(api, flow, field_type, rules):
    response = await post_field(api, flow["id"], "v", field_type, validation_rules=rules)
    errors = failed(response, RULES)
    assert all(isinstance(e["status"], int) for e in errors)
    assert (await api.get("/v2/fields")).json()["data"] == []


async def test_rule_problems_are_reported_with_other_problems(api, flow):
    body = field_body(
        flow["id"], "id", "integer", validation_rules=[{"type": "email"}], required="yes"
    )
    errors = failed(await api.post("/v2/fields", json=body), RULES, "data.slug", "data.required")
    assert len(errors) == 3


# -- required attributes --------------------------------------------------------------------


@pytest.mark.parametrize(
    "missing", ["name", "slug", "field_type", "description", "required", "enabled"]
)
async def test_create_names_the_missing_attribute(api, flow, missing):
    body = field_body(flow["id"], "v")
    del body["data"][missing]
    failed(await api.post("/v2/fields", json=body), f"data.{missing}")


async def test_create_needs_the_flow(api, flow):
    source = "data.relationships.flow.data.id"
    for rel in (None, {}, {"flow": {}}, {"flow": {"data": {"type": "flow"}}}, "x"):
        body = field_body(flow["id"], "v")
        if rel is None:
            del body["data"]["relationships"]
        else:
            body["data"]["relationships"] = rel
        failed(await api.post("/v2/fields", json=body), source)
    # A flow id that names no flow.
    unknown = "00000000-0000-4000-8000-000000000000"
    failed(await post_field(api, unknown, "v"), source)
    failed(await post_field(api, "notes", "v"), source)  # a slug is not an id


async def test_create_needs_data_of_type_field(api, flow):
    body = field_body(flow["id"], "v")
    del body["data"]["type"]
    errors_of(await api.post("/v2/fields", json=body), 422)
    body["data"]["type"] = "flow"
    errors_of(await api.post("/v2/fields", json=body), 422)
    response = await api.post(
        "/v2/fields", content=b'{"data": ', headers={"Content-Type": "application/json"}
    )
    errors_of(response, 400)


@pytest.mark.parametrize(
    ("attr", "value"),
    [
        ("name", 1),
        ("name", ""),
        ("description", None),
        ("description", 1),
        ("required", "false"),
        ("enabled", 0),
        ("omit_null", "no"),
        ("order", "1"),
        ("order", 1.5),
        ("order", True),
    ],
)
async def test_create_rejects_wrong_types(api, flow, attr, value):
    failed(await post_field(api, flow["id"], "v", **{attr: value}), f"data.{attr}")


# -- updates --------------------------------------------------------------------------------


async def test_field_type_cannot_change(api, flow):
    field = await create_field(api, flow["id"], "v", "integer")
    for other in ("string", "float", "relationship", "nonsense"):
        failed(await put_field(api, field["id"], field_type=other), "data.field_type")
    response = await put_field(api, field["id"], field_type="integer", name="Same type")
    assert response.status_code == 200
    assert response.json()["data"]["name"] == "Same type"
    response = await put_field(api, field["id"], name="Omitted")
    assert response.status_code == 200
    got = (await api.get(f"/v2/fields/{field['id']}")).json()["data"]
    assert (got["name"], got["field_type"]) == ("Omitted", "integer")


@pytest.mark.parametrize(
    ("attr", "value"),
    [
        ("name", "Renamed"),
        ("slug", "renamed"),
        ("description", "New words"),
        ("description", ""),
        ("required", True),
        ("default", "hello"),
        ("default", None),
        ("enabled", False),
        ("order", 7),
        ("order", None),
        ("omit_null", True),
        ("validation_rules", [{"type": "slug"}]),
        ("validation_rules", []),
    ],
)
async def test_put_changes_each_attribute(api, flow, attr, value):
    field = await create_field(
        api,
        flow["id"],
        "v",
        default="x",
        order=3,
        validation_rules=[{"type": "enum", "options": ["x", "hello"]}],
    )
    response = await put_field(api, field["id"], **{attr: value})
    assert response.status_code == 200, response.text
    got = response.json()["data"]
    assert got[attr] == value
    # Everything else kept its value.
    for key in FIELD_KEYS - {attr, "meta"}:
        if not (attr == "slug" and key == "slug"):
            assert got[key] == field[key], key
    assert got["meta"]["timestamps"]["updated_at"] > field["meta"]["timestamps"]["updated_at"]
    assert (await api.get(f"/v2/fields/{field['id']}")).json()["data"] == got


async def test_put_errors(api, flow):
    field = await create_field(api, flow["id"], "v", "integer")
    unknown = "/v2/fields/00000000-0000-4000-8000-000000000000"
    errors_of(await api.put(unknown, json={"data": {"type": "field", "name": "x"}}), 404)
    failed(await put_field(api, field["id"], required="yes"), "data.required")
    failed(await put_field(api, field["id"], slug="type"), "data.slug")
    failed(await put_field(api, field["id"], validation_rules=[{"type": "email"}]), RULES)
    failed(await put_field(api, field["id"], default="1"), "data.default")
    errors_of(await api.put(f"/v2/fields/{field['id']}", json={"data": {"name": "x"}}), 422)
    assert (await api.get(f"/v2/fields/{field['id']}")).json()["data"] == field
    response = await put_field(api, field["id"], id=field["id"], name="ok")
    assert response.status_code == 200


async def test_relationship_fields_are_never_required(api, flow):
    rule = [{"type": "one-to-one", "to": "customer"}]
    field = await create_field(
        api, flow["id"], "owner", "relationship", required=True, validation_rules=rule
    )
    assert field["required"] is False
    response = await put_field(api, field["id"], required=True)
    assert response.status_code == 200
    assert response.json()["data"]["required"] is False
    assert (await api.get(f"/v2/fields/{field['id']}")).json()["data"]["required"] is False


# -- defaults -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field_type", "rules", "default", "stored"),
    [
        ("string", [], "hi", "hi"),
        ("string", [], 0, "0"),
        ("string", [], 2.5, "2.5"),
        ("string", [], -7, "-7"),
        ("string", [{"type": "enum", "options": ["0", "1"]}], 0, "0"),
        ("string", [{"type": "email"}], "a@b.co", "a@b.co"),
        ("integer", [], 3, 3),
        ("integer", [{"type": "between", "options": {"from": 1, "to": 5}}], 5, 5),
        ("float", [], 1, 1),
        ("float", [{"type": "enum", "options": [0.5, 1.0]}], 0.5, 0.5),
        ("boolean", [], False, False),
        ("date", [], "2026-02-03", "2026-02-03"),
        ("date", [], "2026-02-03 04:05:06", "2026-02-03 04:05:06"),
        ("date", [{"type": "enum", "options": ["2026-12-24"]}], "2026-12-24", "2026-12-24"),
        ("integer", [], None, None),
    ],
)
async def test_good_defaults_are_stored(api, flow, field_type, rules, default, stored):
    field = await create_field(
        api, flow["id"], "v", field_type, validation_rules=rules, default=default
    )
    assert field["default"] == stored
    assert type(field["default"]) is type(stored)
    got = (await api.get(f"/v2/fields/{field['id']}")).json()["data"]
    assert got["default"] == stored


@pytest.mark.parametrize(
    ("field_type", "rules", "default"),
    [
        ("string", [], True),
        ("string", [], ["a"]),
        ("string", [{"type": "enum", "options": ["a", "b"]}], "c"),
        ("string", [{"type": "enum", "options": ["a", "b"]}], 0),
        ("string", [{"type": "email"}], "nope"),
        ("string", [{"type": "uuid"}], "nope"),
        ("string", [{"type": "slug"}], "a b"),
        ("integer", [], "1"),
        ("integer", [], 1.5),
        ("integer", [], True),
        ("integer", [{"type": "between", "options": {"from": 1, "to": 5}}], 6),
        ("integer", [{"type": "enum", "options": [1, 2]}], 3),
        ("float", [], "1.5"),
        ("float", [{"type": "between", "options": {"from": 0.5, "to": 9.5}}], 0.4),
        ("boolean", [], "true"),
        ("boolean", [], 0),
        ("date", [], "2026-02-30"),
        ("date", [], "tomorrow"),
        ("date", [{"type": "enum", "options": ["2026-12-24"]}], "2026-12-25"),
        ("relationship", [{"type": "one-to-one", "to": "customer"}], "x"),
    ],
)
async def test_bad_defaults_are_422(api, flow, field_type, rules, default):
    response = await post_field(
        api, flow["id"], "v", field_type, validation_rules=rules, default=default
    )
    failed(response, "data.default")


async def test_rules_changed_under_an_existing_default_are_checked(api, flow):
    field = await create_field(api, flow["id"], "v", "integer", default=9)
    rule = [{"type": "between", "options": {"from": 1, "to": 5}}]
    failed(await put_field(api, field["id"], validation_rules=rule), "data.default")
    response = await put_field(api, field["id"], validation_rules=rule, default=2)
    assert response.status_code == 200
    got = response.json()["data"]
    assert (got["default"], got["validation_rules"]) == (2, rule)
    failed(await put_field(api, field["id"], default=6), "data.default")


# -- limits and slugs -----------------------------------------------------------------------


async def test_at_most_100_fields_per_flow(api, flow):
    other = await create_flow(api, "memos")
    for i in range(100):
        await create_field(api, flow["id"], f"f{i}", "boolean")
    response = await post_field(api, flow["id"], "f100", "boolean")
    errors = errors_of(response, 422)
    assert errors[0]["status"] == 422
    assert len((await api.get("/v2/flows/notes/fields")).json()["data"]) == 100
    # Another flow is not affected, and a deleted field frees a place.
    await create_field(api, other["id"], "f100", "boolean")
    first = (await api.get("/v2/flows/notes/fields")).json()["data"][0]
    assert (await api.delete(f"/v2/fields/{first['id']}")).status_code == 204
    await create_field(api, flow["id"], "f100", "boolean")


async def test_slug_unique_within_its_flow_only(api, flow):
    other = await create_flow(api, "memos")
    field = await create_field(api, flow["id"], "title")
    failed(await post_field(api, flow["id"], "title", "integer"), "data.slug")
    twin = await create_field(api, other["id"], "title")
    assert twin["slug"] == "title"
    # Renaming onto a sibling's slug is refused; keeping one's own is fine.
    second = await create_field(api, flow["id"], "subtitle")
    failed(await put_field(api, second["id"], slug="title"), "data.slug")
    assert (await put_field(api, field["id"], slug="title", name="T")).status_code == 200
    # Slugs are case-sensitive.
    assert (await post_field(api, flow["id"], "Title")).status_code == 201


@pytest.mark.parametrize(
    "slug",
    [
        "id",
        "type",
        "meta",
        "links",
        "relationships",
        "weight",
        "weights",
        "attribute",
        "attributes",
        "dimension",
        "dimensions",
        "$x",
        "$",
        "a b",
        "a.b",
        "",
    ],
)
async def test_reserved_and_bad_field_slugs(api, flow, slug):
    failed(await post_field(api, flow["id"], slug), "data.slug")


@pytest.mark.parametrize(
    "slug", ["name", "email", "password", "external_ref", "authentication_mechanism"]
)
async def test_customer_attribute_names_on_the_customers_flow(api, flow, slug):
    customers = await create_flow(api, "customers")
    failed(await post_field(api, customers["id"], slug), "data.slug")
    # Renaming a field onto one is refused too.
    field = await create_field(api, customers["id"], "nickname")
    failed(await put_field(api, field["id"], slug=slug), "data.slug")
    # On a custom flow the name is free.
    assert (await post_field(api, flow["id"], slug)).status_code == 201


# -- reads and deletes ----------------------------------------------------------------------


async def test_get_fields_lists_every_flow(api, flow):
    other = await create_flow(api, "memos")
    a = await create_field(api, flow["id"], "a")
    b = await create_field(api, other["id"], "b")
    c = await create_field(api, flow["id"], "c")
    response = await api.get("/v2/fields")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"data"}
    assert sorted(f["id"] for f in body["data"]) == sorted([a["id"], b["id"], c["id"]])
    by_id = {f["id"]: f for f in body["data"]}
    assert by_id[b["id"]]["relationships"]["flow"]["data"]["id"] == other["id"]
    for f in body["data"]:
        assert set(f) == FIELD_KEYS


async def test_get_one_field_at_both_addresses(api, flow):
    other = await create_flow(api, "memos")
    field = await create_field(api, flow["id"], "v", "integer", order=2)
    response = await api.get(f"/v2/fields/{field['id']}")
    assert response.status_code == 200
    assert response.json() == {"data": field}
    self_link = field["links"]["self"]
    assert self_link.startswith(BASE)
    response = await api.get(self_link.removeprefix(BASE))
    assert response.status_code == 200
    assert response.json() == {"data": field}
    # Under the wrong flow, or unknown: 404.
    errors_of(await api.get(f"/v2/flows/{other['id']}/fields/{field['id']}"), 404)
    errors_of(await api.get("/v2/fields/00000000-0000-4000-8000-000000000000"), 404)
    errors_of(await api.get(f"/v2/flows/{flow['id']}/fields/nope"), 404)


async def test_delete_field(api, flow):
    field = await create_field(api, flow["id"], "v")
    response = await api.delete(f"/v2/fields/{field['id']}")
    assert response.status_code == 204
    assert response.content == b""
    errors_of(await api.get(f"/v2/fields/{field['id']}"), 404)
    errors_of(await api.get(field["links"]["self"].removeprefix(BASE)), 404)
    errors_of(await api.delete(f"/v2/fields/{field['id']}"), 404)
    errors_of(await put_field(api, field["id"], name="x"), 404)
    assert (await api.get("/v2/fields")).json()["data"] == []


async def test_deleted_values_never_come_back(api, flow):
    customers = await create_flow(api, "customers")
    nickname = await create_field(api, customers["id"], "nickname")
    title = await create_field(api, flow["id"], "title")
    owner = await create_field(
        api,
        flow["id"],
        "owner",
        "relationship",
        validation_rules=[{"type": "one-to-one", "to": "customer"}],
    )
    customer = await create_customer(api, "April Ludgate", nickname="Janet Snakehole")
    entry = await create_entry(api, "notes", title="Hello")
    link = f"/v2/flows/notes/entries/{entry['id']}/relationships/owner"
    response = await api.put(link, json={"data": {"type": "customer", "id": customer["id"]}})
    assert response.status_code == 201

    for field in (nickname, title, owner):
        assert (await api.delete(f"/v2/fields/{field['id']}")).status_code == 204
    got_customer = (await api.get(f"/v2/customers/{customer['id']}")).json()["data"]
    assert "nickname" not in got_customer
    got_entry = (await api.get(f"/v2/flows/notes/entries/{entry['id']}")).json()["data"]
    assert "title" not in got_entry
    assert "owner" not in got_entry["relationships"]

    # The same slugs again: the old values stay gone (the new default shows instead).
    await create_field(api, customers["id"], "nickname", default="none yet")
    await create_field(api, flow["id"], "title")
    await create_field(
        api,
        flow["id"],
        "owner",
        "relationship",
        validation_rules=[{"type": "one-to-one", "to": "customer"}],
    )
    got_customer = (await api.get(f"/v2/customers/{customer['id']}")).json()["data"]
    assert got_customer["nickname"] == "none yet"
    got_entry = (await api.get(f"/v2/flows/notes/entries/{entry['id']}")).json()["data"]
    assert got_entry["title"] is None
    assert got_entry["relationships"]["owner"] == {"data": None}
