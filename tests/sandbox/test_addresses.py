"""``/v2/customers/{id}/addresses``: every call and every error, with the examples of Elastic
Path's own addresses spec (tests/specs/epcc-customer-addresses.openapi.yaml, read here, not
copied), custom fields of the ``addresses`` core flow, the 25-address quota, the cascade with
the customer, shoppers' tokens and persistence.

Where the contract page and the spec disagree, tests/sandbox/test_addresses_conformance.py
says so, one test per place."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from flowtui.sandbox.addresses import ADDRESS_ATTRS, MAX_ADDRESSES, REQUIRED_ATTRS
from flowtui.sandbox.app import create_app
from flowtui.sandbox.store import Store
from tests.conftest import get_token

from .helpers import TIMESTAMP, UUID, create_customer, create_field, create_flow, errors_of
from .test_shopper_tokens import HEADER, log_in

SPEC = Path(__file__).resolve().parents[1] / "specs" / "epcc-customer-addresses.openapi.yaml"


@functools.cache
def spec_example() -> dict[str, Any]:
    """The spec's own example address: each attribute's ``example`` in the Address schema."""
    with SPEC.open(encoding="utf-8") as handle:
        spec = yaml.safe_load(handle)
    props = spec["components"]["schemas"]["Address"]["properties"]
    example = {key: prop["example"] for key, prop in props.items() if "example" in prop}
    return {"type": props["type"]["default"], **example}


def test_the_spec_example_covers_every_base_attribute():
    example = spec_example()
    assert example["type"] == "address"
    assert set(example) - {"type"} == set(ADDRESS_ATTRS)
    assert (example["first_name"], example["last_name"], example["country"]) == (
        "Ron",
        "Swanson",
        "GB",
    )


def url(customer_id: str, address_id: str | None = None) -> str:
    base = f"/v2/customers/{customer_id}/addresses"
    return base if address_id is None else f"{base}/{address_id}"


def body(**attrs: Any) -> dict:
    return {"data": {"type": "address", **attrs}}


async def create_address(api: httpx.AsyncClient, customer_id: str, **attrs: Any) -> dict:
    values = {**spec_example(), **attrs}
    response = await api.post(url(customer_id), json={"data": values})
    assert response.status_code == 200, response.text
    return response.json()["data"]


def bad_requests(response: httpx.Response, *sources: str) -> list[dict]:
    """Assert a 400 with one ``Bad Request`` error per source, exactly these sources."""
    errors = errors_of(response, 400)
    for err in errors:
        assert (err["status"], err["title"]) == ("400", "Bad Request"), err
        assert err["detail"].startswith(err["source"].replace("data.", "The data.")), err
    assert sorted(err["source"] for err in errors) == sorted(sources), errors
    return errors


@pytest.fixture
async def ron(api) -> dict:
    return await create_customer(api, "Ron Swanson")


# -- create, read, list ---------------------------------------------------------------------


async def test_create_with_the_spec_example_answers_200_with_the_address(api, ron):
    response = await api.post(url(ron["id"]), json={"data": spec_example()})
    assert response.status_code == 200, response.text  # the spec: 200, not 201
    assert response.headers["content-type"].startswith("application/json")
    data = response.json()["data"]
    assert UUID.match(data["id"]) and data["type"] == "address"
    for attr, value in spec_example().items():
        assert data[attr] == value, attr
    stamps = data["meta"]["timestamps"]
    assert TIMESTAMP.match(stamps["created_at"]) and stamps["created_at"] == stamps["updated_at"]
    assert (
        data["links"]["self"]
        == f"http://sandbox.test/v2/customers/{ron['id']}/addresses/{data['id']}"
    )
    assert data["relationships"]["customer"]["data"] == {"type": "customer", "id": ron["id"]}
    assert list(data)[:2] == ["id", "type"]
    assert set(data) == {"id", "type", *ADDRESS_ATTRS, "links", "meta", "relationships"}
    got = await api.get(url(ron["id"], data["id"]))
    assert got.status_code == 200 and got.json() == {"data": data}
    assert (await api.get(data["links"]["self"])).json() == {"data": data}


async def test_only_the_required_attributes_give_empty_strings_elsewhere(api, ron):
    required = {attr: spec_example()[attr] for attr in REQUIRED_ATTRS}
    data = await create_address(
        api, ron["id"], **{a: "" for a in ADDRESS_ATTRS if a not in required}
    )
    for attr in ADDRESS_ATTRS:
        assert data[attr] == required.get(attr, ""), attr


async def test_list_is_every_address_of_the_customer_oldest_first(api, ron):
    empty = await api.get(url(ron["id"]))
    assert empty.status_code == 200 and empty.json() == {"data": []}
    home = await create_address(api, ron["id"], name="Home")
    cabin = await create_address(api, ron["id"], name="Cabin", country="US")
    other = await create_customer(api, "Tammy Swanson")
    await create_address(api, other["id"], name="Tammy's")
    listed = (await api.get(url(ron["id"]))).json()
    assert set(listed) == {"data"}
    assert [a["id"] for a in listed["data"]] == [home["id"], cabin["id"]]
    assert listed["data"][1] == cabin


async def test_unknown_attributes_and_a_data_id_are_ignored(api, ron):
    data = await create_address(api, ron["id"], id="my-own-id", colour="red", meta={"x": 1})
    assert data["id"] != "my-own-id" and UUID.match(data["id"])
    assert "colour" not in data and set(data["meta"]) == {"timestamps"}


async def test_text_is_stored_literally(api, ron):
    hostile = "[b]Ron[/b] \x1b[31m\u202e\u200b <script>"
    data = await create_address(api, ron["id"], line_2=hostile, instructions="  spaces  ")
    got = (await api.get(url(ron["id"], data["id"]))).json()["data"]
    assert (got["line_2"], got["instructions"]) == (hostile, "  spaces  ")


# -- update, delete -------------------------------------------------------------------------


async def test_put_is_a_partial_update(api, ron):
    before = await create_address(api, ron["id"])
    response = await api.put(
        url(ron["id"], before["id"]),
        json=body(id="ignored", city="Pawnee", line_2=None, phone_number=""),
    )
    assert response.status_code == 200, response.text
    after = response.json()["data"]
    assert after["id"] == before["id"]
    assert (after["city"], after["line_2"], after["phone_number"]) == ("Pawnee", "", "")
    for attr in set(ADDRESS_ATTRS) - {"city", "line_2", "phone_number"}:
        assert after[attr] == before[attr], attr
    assert after["meta"]["timestamps"]["created_at"] == before["meta"]["timestamps"]["created_at"]
    assert after["meta"]["timestamps"]["updated_at"] > before["meta"]["timestamps"]["updated_at"]
    assert (await api.get(url(ron["id"], before["id"]))).json()["data"] == after
    # An empty update changes nothing but updated_at.
    again = (await api.put(url(ron["id"], before["id"]), json=body())).json()["data"]
    assert {k: v for k, v in again.items() if k != "meta"} == {
        k: v for k, v in after.items() if k != "meta"
    }


async def test_delete_answers_204_and_the_address_is_gone(api, ron):
    keep = await create_address(api, ron["id"], name="Keep")
    gone = await create_address(api, ron["id"], name="Gone")
    response = await api.delete(url(ron["id"], gone["id"]))
    assert response.status_code == 204 and response.content == b""
    assert (await api.get(url(ron["id"], gone["id"]))).status_code == 404
    assert [a["id"] for a in (await api.get(url(ron["id"]))).json()["data"]] == [keep["id"]]
    again = await api.delete(url(ron["id"], gone["id"]))
    (err,) = errors_of(again, 404)
    assert err["title"] == "Address not found"


# -- errors ---------------------------------------------------------------------------------


async def test_create_without_the_required_attributes_is_400_one_error_each(api, ron):
    response = await api.post(url(ron["id"]), json=body(name="Home"))
    bad_requests(response, *(f"data.{a}" for a in REQUIRED_ATTRS))
    assert (await api.get(url(ron["id"]))).json()["data"] == []


@pytest.mark.parametrize("value", [5, 1.5, True, ["GB"], {"code": "GB"}])
async def test_a_wrongly_typed_attribute_is_400_naming_it(api, ron, value):
    example = spec_example()
    response = await api.post(
        url(ron["id"]), json={"data": {**example, "city": value, "country": value}}
    )
    errors = bad_requests(response, "data.city", "data.country")
    assert all("must be a string" in e["detail"] for e in errors)
    address = await create_address(api, ron["id"])
    response = await api.put(url(ron["id"], address["id"]), json=body(line_2=value))
    bad_requests(response, "data.line_2")


async def test_required_attributes_cannot_be_emptied(api, ron):
    address = await create_address(api, ron["id"])
    response = await api.put(
        url(ron["id"], address["id"]), json=body(first_name="", last_name=None, city="Eagleton")
    )
    bad_requests(response, "data.first_name", "data.last_name")
    assert (await api.get(url(ron["id"], address["id"]))).json()["data"] == address


async def test_unknown_customer_or_address_is_404_titled_by_the_resource(api, ron):
    address = await create_address(api, ron["id"])
    nobody = "00000000-0000-4000-8000-000000000000"
    for method, path in (
        ("GET", url(nobody)),
        ("POST", url(nobody)),
        ("GET", url(nobody, address["id"])),
        ("PUT", url(nobody, address["id"])),
        ("DELETE", url(nobody, address["id"])),
    ):
        response = await api.request(method, path, json={"data": spec_example()})
        (err,) = errors_of(response, 404)
        assert (err["status"], err["title"]) == (404, "Customer not found"), (method, path)
        assert nobody in err["detail"]
    for method in ("GET", "PUT", "DELETE"):
        response = await api.request(method, url(ron["id"], nobody), json=body(city="x"))
        (err,) = errors_of(response, 404)
        assert (err["status"], err["title"]) == (404, "Address not found"), method
        assert nobody in err["detail"]


async def test_another_customers_address_is_not_found(api, ron):
    tammy = await create_customer(api, "Tammy Swanson")
    hers = await create_address(api, tammy["id"], name="Hers")
    for method in ("GET", "PUT", "DELETE"):
        response = await api.request(method, url(ron["id"], hers["id"]), json=body(city="x"))
        (err,) = errors_of(response, 404)
        assert err["title"] == "Address not found", method
    assert (await api.get(url(tammy["id"], hers["id"]))).json()["data"] == hers


@pytest.mark.parametrize(
    ("payload", "source"),
    [
        ({"data": {"first_name": "Ron"}}, "data.type"),
        ({"data": {"type": "customer"}}, "data.type"),
        ({"data": "address"}, "data"),
        ([], "data"),
    ],
)
async def test_a_missing_or_wrong_data_type_is_422(api, ron, payload, source):
    for method, path in (("POST", url(ron["id"])), ("PUT", url(ron["id"], "x"))):
        if method == "PUT":
            path = url(ron["id"], (await create_address(api, ron["id"]))["id"])
        (err,) = errors_of(await api.request(method, path, json=payload), 422)
        assert (err["title"], err["source"]) == ("Failed Validation", source)


async def test_malformed_json_is_400(api, ron):
    response = await api.post(
        url(ron["id"]), content=b'{"data": {', headers={"Content-Type": "application/json"}
    )
    (err,) = errors_of(response, 400)
    assert "not valid JSON" in err["detail"]


async def test_post_on_an_address_and_put_on_the_list_are_405(api, ron):
    address = await create_address(api, ron["id"])
    for method, path in (("POST", url(ron["id"], address["id"])), ("PUT", url(ron["id"]))):
        (err,) = errors_of(await api.request(method, path, json={"data": spec_example()}), 405)
        assert err["title"] == "Method Not Allowed"


# -- the quota ------------------------------------------------------------------------------


async def test_the_26th_address_is_422_until_one_is_deleted(api, ron):
    first = await create_address(api, ron["id"], name="1")
    for i in range(2, MAX_ADDRESSES + 1):
        await create_address(api, ron["id"], name=str(i))
    response = await api.post(url(ron["id"]), json={"data": {**spec_example(), "name": "26"}})
    (err,) = errors_of(response, 422)
    assert err["title"] == "Failed Validation" and "status" not in err
    assert f"at most {MAX_ADDRESSES} addresses" in err["detail"]
    # Invalid attributes still answer 400 first; another customer is not limited.
    bad_requests(
        await api.post(url(ron["id"]), json=body()), *(f"data.{a}" for a in REQUIRED_ATTRS)
    )
    tammy = await create_customer(api, "Tammy Swanson")
    await create_address(api, tammy["id"])
    assert (await api.delete(url(ron["id"], first["id"]))).status_code == 204
    latest = await create_address(api, ron["id"], name="26")
    listed = (await api.get(url(ron["id"]))).json()["data"]
    assert len(listed) == MAX_ADDRESSES and listed[-1]["id"] == latest["id"]


# -- custom fields of the addresses core flow ----------------------------------------------


@pytest.fixture
async def address_flow(api) -> dict[str, dict]:
    """The ``addresses`` core flow with the demo's two fields and three more types."""
    flow = await create_flow(api, "addresses", name="Addresses")
    fields = {
        "gate_code": await create_field(api, flow["id"], "gate_code"),
        "delivery_window": await create_field(
            api,
            flow["id"],
            "delivery_window",
            validation_rules=[{"type": "enum", "options": ["morning", "afternoon", "evening"]}],
            default="morning",
        ),
        "floor": await create_field(
            api,
            flow["id"],
            "floor",
            "integer",
            validation_rules=[{"type": "between", "options": {"from": -5, "to": 200}}],
        ),
        "lift": await create_field(api, flow["id"], "lift", "boolean", omit_null=True),
        "since": await create_field(api, flow["id"], "since", "date", omit_null=True),
    }
    return {"flow": flow, **fields}


async def test_custom_values_surface_flat_with_defaults_and_omit_null(api, ron, address_flow):
    plain = await create_address(api, ron["id"])
    assert (plain["gate_code"], plain["delivery_window"], plain["floor"]) == (None, "morning", None)
    assert "lift" not in plain and "since" not in plain  # omit_null
    full = await create_address(
        api, ron["id"], gate_code="#1234", delivery_window="evening", floor=3, lift=True,
        since="2026-12-24",
    )  # fmt: skip
    assert {k: full[k] for k in ("gate_code", "delivery_window", "floor", "lift", "since")} == {
        "gate_code": "#1234",
        "delivery_window": "evening",
        "floor": 3,
        "lift": True,
        "since": "2026-12-24",
    }
    # Custom keys come after the base attributes, before links/meta/relationships.
    keys = list(full)
    assert keys.index("instructions") < keys.index("gate_code") < keys.index("links")
    # A partial update keeps other custom values; null goes back to the default.
    response = await api.put(url(ron["id"], full["id"]), json=body(delivery_window=None, floor=4))
    updated = response.json()["data"]
    assert (updated["delivery_window"], updated["floor"], updated["gate_code"]) == (
        "morning",
        4,
        "#1234",
    )
    listed = (await api.get(url(ron["id"]))).json()["data"]
    assert listed == [plain | {"meta": listed[0]["meta"]}, updated]


@pytest.mark.parametrize(
    ("values", "sources"),
    [
        ({"delivery_window": "midnight"}, ["data.delivery_window"]),
        ({"floor": 1.5, "lift": "yes"}, ["data.floor", "data.lift"]),
        ({"floor": 201, "since": "24/12/2026"}, ["data.floor", "data.since"]),
        ({"gate_code": 1234}, ["data.gate_code"]),
    ],
)
async def test_custom_rule_failures_are_422_as_for_customers(
    api, ron, address_flow, values, sources
):
    response = await api.post(url(ron["id"]), json={"data": {**spec_example(), **values}})
    errors = errors_of(response, 422)
    assert sorted(e["source"] for e in errors) == sorted(sources)
    for err in errors:  # as a real store answers for customers: no status
        assert err["title"] == "Failed Validation" and "status" not in err
    address = await create_address(api, ron["id"])
    response = await api.put(url(ron["id"], address["id"]), json=body(**values))
    assert sorted(e["source"] for e in errors_of(response, 422)) == sorted(sources)


async def test_a_required_custom_field_is_required_on_create_only(api, ron, address_flow):
    before = await create_address(api, ron["id"])
    await create_field(api, address_flow["flow"]["id"], "dock", required=True)
    response = await api.post(url(ron["id"]), json={"data": spec_example()})
    (err,) = errors_of(response, 422)
    assert err["source"] == "data.dock"
    assert (await api.put(url(ron["id"], before["id"]), json=body(city="x"))).status_code == 200
    (err,) = errors_of(await api.put(url(ron["id"], before["id"]), json=body(dock=None)), 422)
    assert err["source"] == "data.dock"
    assert (await create_address(api, ron["id"], dock="B"))["dock"] == "B"


async def test_custom_keys_appear_and_vanish_with_their_fields(api, ron, address_flow, sandbox_app):
    address = await create_address(api, ron["id"], gate_code="#1")
    field = address_flow["gate_code"]
    disabled = await api.put(
        f"/v2/fields/{field['id']}", json={"data": {"type": "field", "enabled": False}}
    )
    assert disabled.status_code == 200
    assert "gate_code" not in (await api.get(url(ron["id"], address["id"]))).json()["data"]
    # A disabled field's value is not checked nor changed.
    assert (await api.put(url(ron["id"], address["id"]), json=body(gate_code=5))).status_code == 200
    await api.put(f"/v2/fields/{field['id']}", json={"data": {"type": "field", "enabled": True}})
    assert (await api.get(url(ron["id"], address["id"]))).json()["data"]["gate_code"] == "#1"
    assert sandbox_app.state.store.count_values(field["id"]) == 1
    assert (await api.delete(f"/v2/fields/{field['id']}")).status_code == 204
    assert sandbox_app.state.store.count_values(field["id"]) == 0
    assert "gate_code" not in (await api.get(url(ron["id"], address["id"]))).json()["data"]
    # A new field with the same slug does not resurrect the old value; it shows on old addresses.
    await create_field(api, address_flow["flow"]["id"], "gate_code", default="none")
    assert (await api.get(url(ron["id"], address["id"]))).json()["data"]["gate_code"] == "none"


async def test_deleting_the_flow_removes_the_custom_values(api, ron, address_flow, sandbox_app):
    address = await create_address(api, ron["id"], gate_code="#1", floor=2)
    # A core flow is deleted after a rename of its slug (contract: Flows).
    flow_id = address_flow["flow"]["id"]
    await api.put(f"/v2/flows/{flow_id}", json={"data": {"type": "flow", "slug": "old-addresses"}})
    assert (await api.delete(f"/v2/flows/{flow_id}")).status_code == 204
    data = (await api.get(url(ron["id"], address["id"]))).json()["data"]
    assert set(data) == {"id", "type", *ADDRESS_ATTRS, "links", "meta", "relationships"}
    assert sandbox_app.state.store.addresses.get(ron["id"], address["id"])["custom"] == {}


@pytest.mark.parametrize("slug", ["line_1", "region", "country", "name", "id", "type"])
async def test_the_addresses_flow_reserves_the_address_attributes(api, slug):
    flow = await create_flow(api, "addresses", name="Addresses")
    response = await api.post(
        "/v2/fields",
        json={
            "data": {
                "type": "field", "name": slug, "slug": slug, "field_type": "string",
                "description": "", "required": False, "enabled": True,
                "relationships": {"flow": {"data": {"type": "flow", "id": flow["id"]}}},
            }
        },
    )  # fmt: skip
    (err,) = errors_of(response, 422)
    assert err["source"] == "data.slug"


# -- the customer's life --------------------------------------------------------------------


async def test_deleting_a_customer_deletes_their_addresses(api, ron, sandbox_app):
    tammy = await create_customer(api, "Tammy Swanson")
    await create_address(api, ron["id"])
    gone = await create_address(api, ron["id"])
    hers = await create_address(api, tammy["id"])
    assert (await api.delete(f"/v2/customers/{ron['id']}")).status_code == 204
    addresses = sandbox_app.state.store.addresses
    assert addresses.count() == 1 and addresses.count(ron["id"]) == 0
    (err,) = errors_of(await api.get(url(ron["id"], gone["id"])), 404)
    assert err["title"] == "Customer not found"
    assert (await api.get(url(tammy["id"]))).json()["data"] == [hers]


async def test_a_reset_empties_the_addresses(api, ron, sandbox_app):
    await create_address(api, ron["id"])
    response = await api.post("/_sandbox/reset", json={})
    assert response.status_code == 204
    assert sandbox_app.state.store.addresses.count() == 0


async def test_addresses_survive_a_restart(tmp_path):
    path = tmp_path / "sandbox.db"
    store = Store(path)
    app = create_app(store=store, client_id="id", client_secret="secret")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://sandbox.test"
    ) as api:
        form = {"grant_type": "client_credentials", "client_id": "id", "client_secret": "secret"}
        token = (await api.post("/oauth/access_token", data=form)).json()["access_token"]
        api.headers["Authorization"] = f"Bearer {token}"
        ron = await create_customer(api)
        flow = await create_flow(api, "addresses", name="Addresses")
        await create_field(api, flow["id"], "gate_code")
        address = await create_address(api, ron["id"], gate_code="#9")
    store.close()
    again = create_app(store=Store(path), client_id="id", client_secret="secret")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=again), base_url="http://sandbox.test"
    ) as api:
        api.headers["Authorization"] = f"Bearer {token}"
        assert (await api.get(url(ron["id"], address["id"]))).json()["data"] == address
    again.state.store.close()


# -- who may: tokens ------------------------------------------------------------------------


async def test_every_address_call_needs_a_valid_token(api, ron, sandbox_app):
    address = await create_address(api, ron["id"])
    calls = (
        ("GET", url(ron["id"])),
        ("POST", url(ron["id"])),
        ("GET", url(ron["id"], address["id"])),
        ("PUT", url(ron["id"], address["id"])),
        ("DELETE", url(ron["id"], address["id"])),
    )
    for auth in (None, "Bearer nope"):
        headers = {"Authorization": auth} if auth else {}
        transport = httpx.ASGITransport(app=sandbox_app)
        async with httpx.AsyncClient(transport=transport, base_url="http://sandbox.test") as bare:
            for method, path in calls:
                response = await bare.request(method, path, headers=headers, json=body())
                (err,) = errors_of(response, 401)
                assert err["title"] == "Unable to validate access token"


@pytest.fixture
async def shoppers(wire_api):
    """Ann (logged in with an implicit token) and Ben, each with an address."""
    ann = await create_customer(wire_api, "Ann Perkins", "ann@example.com", password="nurse")
    ben = await create_customer(wire_api, "Ben Wyatt", "ben@example.com", password="cones")
    implicit = await get_token(wire_api, "implicit")
    token = await log_in(wire_api, "ann@example.com", "nurse", implicit)
    return {
        "ann": ann,
        "ben": ben,
        "ann_address": await create_address(wire_api, ann["id"], name="Ann's"),
        "ben_address": await create_address(wire_api, ben["id"], name="Ben's"),
        "headers": {"Authorization": f"Bearer {implicit}", HEADER: token["token"]},
        "implicit": {"Authorization": f"Bearer {implicit}"},
    }


async def test_a_shopper_may_do_everything_to_their_own_addresses(wire, shoppers):
    ann, headers = shoppers["ann"], shoppers["headers"]
    listed = await wire.get(url(ann["id"]), headers=headers)
    assert listed.status_code == 200 and listed.json()["data"] == [shoppers["ann_address"]]
    created = await wire.post(url(ann["id"]), headers=headers, json={"data": spec_example()})
    assert created.status_code == 200, created.text
    new_id = created.json()["data"]["id"]
    got = await wire.get(url(ann["id"], new_id), headers=headers)
    assert got.status_code == 200
    put = await wire.put(url(ann["id"], new_id), headers=headers, json=body(city="Pawnee"))
    assert put.status_code == 200 and put.json()["data"]["city"] == "Pawnee"
    assert (await wire.delete(url(ann["id"], new_id), headers=headers)).status_code == 204


async def test_a_shopper_may_not_touch_another_customers_addresses(wire, shoppers):
    ben, mine = shoppers["ben"], shoppers["headers"]
    theirs = shoppers["ben_address"]
    for method, path in (
        ("GET", url(ben["id"])),
        ("POST", url(ben["id"])),
        ("GET", url(ben["id"], theirs["id"])),
        ("PUT", url(ben["id"], theirs["id"])),
        ("DELETE", url(ben["id"], theirs["id"])),
    ):
        response = await wire.request(method, path, headers=mine, json={"data": spec_example()})
        (err,) = errors_of(response, 403)
        assert "own customer only" in err["detail"], (method, path)
    # Nor through their own customer id with another's address: that address is not theirs.
    response = await wire.get(url(shoppers["ann"]["id"], theirs["id"]), headers=mine)
    assert errors_of(response, 404)[0]["title"] == "Address not found"


async def test_an_implicit_token_alone_may_not_use_addresses(wire, shoppers):
    ann = shoppers["ann"]
    for method, path in (("GET", url(ann["id"])), ("POST", url(ann["id"]))):
        response = await wire.request(
            method, path, headers=shoppers["implicit"], json={"data": spec_example()}
        )
        assert errors_of(response, 403)[0]["title"] == "Forbidden"


async def test_a_bad_customer_token_is_401(wire, shoppers):
    headers = {**shoppers["headers"], HEADER: shoppers["headers"][HEADER][:-4] + "AAAA"}
    response = await wire.get(url(shoppers["ann"]["id"]), headers=headers)
    (err,) = errors_of(response, 401)
    assert err["title"] == "Unable to validate customer token"


async def test_a_client_credentials_token_ignores_the_customer_token(wire_api, shoppers):
    ben = shoppers["ben"]
    headers = {HEADER: shoppers["headers"][HEADER]}
    response = await wire_api.get(url(ben["id"]), headers=headers)
    assert response.status_code == 200 and response.json()["data"] == [shoppers["ben_address"]]
