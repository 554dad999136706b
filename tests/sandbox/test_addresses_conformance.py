"""Conformance of the sandbox's customer addresses to Elastic Path's own OpenAPI description
(``tests/specs/epcc-customer-addresses.openapi.yaml``, MIT), checked with schemathesis as the
flows spec is in test_conformance.py: generated requests (positive and negative), answers
validated for status code, content type and schema, and never a server error.

The spec's quirks are patched in a copy by :func:`patched_spec`, each with its reason. Where
the contract page (../shared/api-contract.md, "Customer addresses") and the spec disagree,
a test below says so and which one the sandbox follows: the spec, unless the contract makes
a [choice] or fixes the behaviour for every resource.
"""

from __future__ import annotations

import collections
import copy
import datetime as dt
import functools
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from flowtui.sandbox import demo
from flowtui.sandbox.addresses import ADDRESS_ATTRS, MAX_ADDRESSES, REQUIRED_ATTRS
from flowtui.sandbox.demo_addresses import DELIVERY_WINDOWS
from flowtui.sandbox.store import Store
from tests.conftest import get_token

from .helpers import create_customer, create_field, create_flow, errors_of
from .test_conformance import CHECKS, _error_response, served
from .test_shopper_tokens import HEADER, log_in

SPEC = Path(__file__).resolve().parents[1] / "specs" / "epcc-customer-addresses.openapi.yaml"

#: The operations after patching; test_every_spec_operation_is_covered keeps this honest.
OPERATIONS = [
    "GET /v2/customers/{customerID}/addresses",
    "POST /v2/customers/{customerID}/addresses",
    "GET /v2/customers/{customerID}/addresses/{addressID}",
    "PUT /v2/customers/{customerID}/addresses/{addressID}",
    "DELETE /v2/customers/{customerID}/addresses/{addressID}",
]
LIST = "/v2/customers/{customerID}/addresses"
ITEM = "/v2/customers/{customerID}/addresses/{addressID}"
#: Examples per operation; the whole file runs in a few seconds.
MAX_EXAMPLES = 30


@functools.cache
def load_spec() -> dict:
    with SPEC.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def patched_spec(raw: dict) -> dict:
    """A copy of the spec with its known quirks corrected. Each patch says why."""
    spec = copy.deepcopy(raw)
    paths, components = spec["paths"], spec["components"]

    # 1. The create (operationId post-v2-customer-address) is filed under the *address* path,
    #    /addresses/{addressID}, although it makes the address and its id: the contract's
    #    table, the operation's own summary and every client put it on the list,
    #    POST /v2/customers/{customerID}/addresses. Moved there, without the addressID
    #    parameter (test_post_is_on_the_list_not_on_an_address).
    post = paths[ITEM].pop("post")
    post["parameters"] = [p for p in post["parameters"] if p["name"] != "addressID"]
    paths[LIST]["post"] = post

    # 2. Responses refer to `#/components/schemas/ErrorNotFound` and `.../ErrorBadRequest`,
    #    which are Response objects (description + content) filed under schemas. Moved to
    #    components/responses, where a response $ref must point.
    responses = components.setdefault("responses", {})
    for name in ("ErrorNotFound", "ErrorBadRequest"):
        responses[name] = components["schemas"].pop(name)

    # 3. Error.status is typed string only; the contract: "status is usually a number but is
    #    sometimes a string" (the sandbox's 404s, like every other resource's, carry a number;
    #    its address 400s carry "400" as the spec's example does).
    components["schemas"]["Error"]["properties"]["status"]["type"] = ["string", "integer"]

    # 4. The timestamps' examples (2021-02-23T09:40:33.882Z) are unquoted, so a YAML loader
    #    reads them as datetimes, which no JSON Schema knows; they are strings, as the
    #    property's own `type: string` says. Written back as the text they are.
    stamps = components["schemas"]["MetaTimestamps"]["properties"]["timestamps"]["properties"]
    for stamp in stamps.values():
        if isinstance(stamp.get("example"), dt.datetime):
            stamp["example"] = stamp["example"].isoformat(timespec="milliseconds")[:-6] + "Z"

    for path, methods in paths.items():
        for method, operation in methods.items():
            codes = operation["responses"]
            for code, response in codes.items():
                ref = response.get("$ref", "")
                if ref.startswith("#/components/schemas/Error"):
                    codes[code] = {"$ref": ref.replace("/schemas/", "/responses/")}
            # 5. Every operation needs a bearer token, yet none documents 401, which the
            #    contract fixes for a missing, unknown or expired one (negative mode drops
            #    the Authorization header).
            codes.setdefault("401", _error_response("Unable to validate access token"))
            if "requestBody" in operation:
                # 6. A missing or wrong data.type, or a body without a data object, is 422
                #    for every resource (contract: "A missing or wrong data.type → 422");
                #    so are the 26th address and custom values that break their field's
                #    rules (contract: Customer addresses). The spec documents no 422.
                codes.setdefault("422", _error_response("Failed Validation"))
                # 7. A body that is not JSON answers 400 (contract: Errors table): the spec
                #    lists 400 already for both, kept as it is.
                assert "400" in codes, (method, path)
    return spec


def demo_ids() -> dict[str, Any]:
    """Ids the deterministic demo data always has: customers and their addresses."""
    store = Store(":memory:")
    try:
        demo.seed(store, 2)
        customers, _ = store.list_customers([], ("created_at", False), 10, 0)
        return {
            "customer_ids": [c["id"] for c in customers],
            "addresses": [
                (c["id"], a["id"]) for c in customers for a in store.addresses.list(c["id"])
            ],
        }
    finally:
        store.close()


def known_path_parameters(path: str, ids: dict[str, Any]) -> list[dict[str, str]]:
    """Path parameters naming resources that exist, so success paths are exercised too."""
    if path == LIST:
        return [{"customerID": c} for c in ids["customer_ids"]]
    return [{"customerID": c, "addressID": a} for c, a in ids["addresses"]]


TEXT = st.text(min_size=1, max_size=20)


def make_plausible(label: str, case: Any, draw: Any) -> None:
    """Turn a generated body into one that passes validation more often: ``data.type``, the
    required attributes on create (the spec requires none, the contract five), and custom
    values within the demo flow's rules. Generated values are kept where they fit."""
    method = label.split(" ", 1)[0]
    if method not in ("POST", "PUT"):
        return
    body = case.body if isinstance(case.body, dict) else {}
    data = dict(body["data"]) if isinstance(body.get("data"), dict) else {}
    data["type"] = "address"
    for attr in ADDRESS_ATTRS:
        value = data.get(attr)
        if attr in REQUIRED_ATTRS and (method == "POST" or attr in data):
            if not isinstance(value, str) or not value:
                data[attr] = draw(TEXT)
        elif attr in data and not isinstance(value, str):
            data.pop(attr)
    if draw(st.booleans()):
        data["delivery_window"] = draw(st.sampled_from([*DELIVERY_WINDOWS, None]))
    if draw(st.booleans()):
        data["gate_code"] = draw(st.one_of(st.none(), TEXT))
    case.body = {"data": data}


@pytest.fixture(scope="module")
def conformance():
    """(schema bound to an in-process sandbox, Authorization header, demo ids)."""
    yield from served(patched_spec(load_spec()), demo_ids)


def test_every_spec_operation_is_covered(conformance):
    schema, _, _ = conformance
    labels = {result.ok().label for result in schema.get_all_operations()}
    assert labels == set(OPERATIONS)


def test_patches_leave_the_original_spec_untouched():
    raw = load_spec()
    before = copy.deepcopy(raw)
    patched_spec(raw)
    assert raw == before


@pytest.mark.parametrize("label", OPERATIONS)
def test_operation_conforms_to_spec(conformance, label):
    schema, headers, ids = conformance
    operation = schema.find_operation_by_label(label)
    assert operation is not None, label
    store = schema.app.state.store
    known = known_path_parameters(operation.path, ids)
    positive, negative = GenerationMode.POSITIVE, GenerationMode.NEGATIVE
    strategy = st.one_of(
        operation.as_strategy(positive).map(lambda c: (c, False)),
        operation.as_strategy(negative).map(lambda c: (c, False)),
        *(
            operation.as_strategy(negative, path_parameters=p).map(lambda c: (c, False))
            for p in known
        ),
        *(
            operation.as_strategy(positive, path_parameters=p).map(lambda c: (c, True))
            for p in known
        ),
    )
    statuses: collections.Counter[int] = collections.Counter()

    @given(drawn=strategy, data=st.data())
    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.filter_too_much,
            HealthCheck.data_too_large,
        ],
    )
    def check(drawn, data):
        case, plausible = drawn
        if plausible:
            make_plausible(label, case, data.draw)
        # Each example starts from the same store: empty, then the deterministic demo data.
        store.reset()
        assert demo.seed(store, 2)
        response = case.call_and_validate(headers=headers, checks=CHECKS)
        statuses[response.status_code] += 1

    check()
    # The success answer and its schema were checked, not only errors.
    assert {200, 204} & set(statuses), statuses
    print(f"{label}: {statuses.total()} requests, by status {dict(sorted(statuses.items()))}")


# -- where the contract page and the spec disagree ------------------------------------------


@pytest.fixture
async def ron(api) -> dict:
    return await create_customer(api, "Ron Swanson")


def example(**attrs: Any) -> dict:
    values = {a: f"{a} of Ron" for a in REQUIRED_ATTRS}
    return {"data": {"type": "address", **values, **attrs}}


async def test_post_is_on_the_list_not_on_an_address(api, ron):
    """Spec: POST under /addresses/{addressID}. Contract: POST .../addresses. The contract
    wins (an address's id cannot be in the URL that makes it): the spec is patched (1)."""
    spec = load_spec()
    assert "post" in spec["paths"][ITEM] and "post" not in spec["paths"][LIST]
    made = await api.post(f"/v2/customers/{ron['id']}/addresses", json=example())
    assert made.status_code == 200
    there = f"/v2/customers/{ron['id']}/addresses/{made.json()['data']['id']}"
    (err,) = errors_of(await api.post(there, json=example()), 405)
    assert err["title"] == "Method Not Allowed"


async def test_create_answers_200_as_the_spec_says(api, ron):
    """Contract, for every resource: "Create answers 201". Spec, for addresses: 200 only.
    The spec wins, and the contract's addresses table says so too."""
    assert set(load_spec()["paths"][ITEM]["post"]["responses"]) == {"200", "400", "404"}
    assert (
        await api.post(f"/v2/customers/{ron['id']}/addresses", json=example())
    ).status_code == 200


async def test_required_attributes_are_the_contracts_choice(api, ron):
    """Spec: the Address schema requires nothing. Contract [choice] (older Moltin
    documentation): first_name, last_name, line_1, postcode, country, else 400 as the spec's
    own 400 example ("Validation failed: field 'Name' on the 'min' tag"). The choice wins."""
    assert "required" not in load_spec()["components"]["schemas"]["Address"]
    response = await api.post(
        f"/v2/customers/{ron['id']}/addresses", json={"data": {"type": "address"}}
    )
    errors = errors_of(response, 400)
    assert sorted(e["source"] for e in errors) == sorted(f"data.{a}" for a in REQUIRED_ATTRS)
    assert {(e["status"], e["title"]) for e in errors} == {("400", "Bad Request")}


async def test_not_found_titles_name_the_resource(api, ron):
    """Spec example: title "Not Found", detail "customer not found", status "404". Contract:
    titles "Customer not found" / "Address not found" (Elastic Path's own tooling compares
    them), a numeric status as every other 404. The contract wins: Error.status is patched (3)."""
    example_404 = load_spec()["components"]["schemas"]["ErrorNotFound"]
    spec_error = example_404["content"]["application/json"]["examples"]["not-found-error"]
    assert spec_error["value"]["errors"][0]["title"] == "Not Found"
    nobody = "00000000-0000-4000-8000-000000000000"
    (err,) = errors_of(await api.get(f"/v2/customers/{nobody}/addresses"), 404)
    assert (err["status"], err["title"]) == (404, "Customer not found")
    (err,) = errors_of(await api.get(f"/v2/customers/{ron['id']}/addresses/{nobody}"), 404)
    assert (err["status"], err["title"]) == (404, "Address not found")


async def test_relationships_customer_in_both_forms(api, ron):
    """Spec: relationships.customer.{id, type}. Contract: relationships.customer.data
    {type, id}. Neither is a [choice]: the sandbox sends both, so a client written to either
    finds the customer (and the spec's schema, which requires neither, accepts it)."""
    spec_customer = load_spec()["components"]["schemas"]["CustomerAddressResponse"]["allOf"][1]
    assert set(
        spec_customer["properties"]["relationships"]["properties"]["customer"]["properties"]
    ) == {
        "id",
        "type",
    }
    made = (await api.post(f"/v2/customers/{ron['id']}/addresses", json=example())).json()["data"]
    assert made["relationships"] == {
        "customer": {
            "data": {"type": "customer", "id": ron["id"]},
            "id": ron["id"],
            "type": "customer",
        }
    }


async def test_links_self_is_the_address_not_the_list(api, ron):
    """Spec example: links.self is the customer's address list URL. Contract: links.self, as
    every resource's, its own URL (flows, fields, entries). The contract wins: an example is
    no rule, and a client follows links.self to the address."""
    address_response = load_spec()["components"]["schemas"]["AddressResponse"]["allOf"][1]
    assert address_response["properties"]["links"]["properties"]["self"]["example"].endswith(
        "/addresses"
    )
    made = (await api.post(f"/v2/customers/{ron['id']}/addresses", json=example())).json()["data"]
    assert made["links"]["self"].endswith(f"/v2/customers/{ron['id']}/addresses/{made['id']}")
    assert (await api.get(made["links"]["self"])).json()["data"] == made


async def test_422_for_the_quota_and_custom_rules_is_the_contracts(api, ron):
    """Spec: POST and PUT answer 200, 400 or 404. Contract: the 26th address and custom
    values that break their field's rules → 422 (as for customers). The contract wins: 422 is
    added to the copy (6)."""
    spec = load_spec()
    assert "422" not in spec["paths"][ITEM]["post"]["responses"]
    assert "422" not in spec["paths"][ITEM]["put"]["responses"]
    flow = await create_flow(api, "addresses", name="Addresses")
    await create_field(
        api,
        flow["id"],
        "delivery_window",
        validation_rules=[{"type": "enum", "options": list(DELIVERY_WINDOWS)}],
    )
    url = f"/v2/customers/{ron['id']}/addresses"
    (err,) = errors_of(await api.post(url, json=example(delivery_window="never")), 422)
    assert err["source"] == "data.delivery_window"
    for _ in range(MAX_ADDRESSES):
        assert (await api.post(url, json=example())).status_code == 200
    (err,) = errors_of(await api.post(url, json=example()), 422)
    assert "at most 25" in err["detail"]


async def test_an_implicit_token_needs_the_customers_own_token(wire_api):
    """Spec description: addresses may be used "with an implicit Bearer token". Contract: an
    implicit token works on a customer's addresses only with that customer's own
    X-Moltin-Customer-Token; without it, or for another customer, 403. The contract wins (an
    implicit token is public: it must not open every customer's addresses)."""
    assert "implicit" in load_spec()["info"]["description"]
    ann = await create_customer(wire_api, "Ann Perkins", "ann@example.com", password="nurse")
    ben = await create_customer(wire_api, "Ben Wyatt", "ben@example.com", password="cones")
    implicit = await get_token(wire_api, "implicit")
    token = await log_in(wire_api, "ann@example.com", "nurse", implicit)
    bare = {"Authorization": f"Bearer {implicit}"}
    shopper = {**bare, HEADER: token["token"]}
    wire_api.headers.pop("Authorization")
    assert (
        await wire_api.get(f"/v2/customers/{ann['id']}/addresses", headers=shopper)
    ).status_code == 200
    errors_of(await wire_api.get(f"/v2/customers/{ann['id']}/addresses", headers=bare), 403)
    errors_of(await wire_api.get(f"/v2/customers/{ben['id']}/addresses", headers=shopper), 403)
