"""404s are titled by the resource that is missing (``Flow not found``, ``Field not found``,
``Entry not found``, ``Customer not found``) with the id in ``detail``, as Elastic Path's own
tooling compares ``errors[0].title``; an unknown path stays ``Not Found``. Every case runs in
process and over real HTTP (the ``wire`` fixtures)."""

from __future__ import annotations

import httpx

from flowtui.api.errors import NotFoundError, error_from_response

from .helpers import create_customer, create_entry, create_field, create_flow, errors_of

MISSING = "00000000-0000-4000-8000-000000000000"


def assert_missing(response: httpx.Response, title: str, *named: str) -> None:
    """One 404 error titled ``title`` whose detail names each of ``named``."""
    errors = errors_of(response, 404)
    assert len(errors) == 1, errors
    (error,) = errors
    assert set(error) == {"status", "title", "detail"}, error
    assert (error["status"], error["title"]) == (404, title), error
    for name in named:
        assert repr(name) in error["detail"], (name, error)


async def test_each_missing_resource_is_titled_by_its_kind(wire_api):
    api = wire_api
    flow = await create_flow(api, "widgets")
    field = await create_field(api, flow["id"], "colour")
    await create_field(
        api, flow["id"], "owner", "relationship",
        validation_rules=[{"type": "one-to-one", "to": "customer"}],
    )  # fmt: skip
    entry = await create_entry(api, "widgets", colour="red")
    entries = "/v2/flows/widgets/entries"
    bodies = {
        "flow": {"data": {"type": "flow", "name": "X"}},
        "field": {"data": {"type": "field", "name": "X"}},
        "entry": {"data": {"type": "entry", "colour": "blue"}},
        "customer": {"data": {"type": "customer", "name": "X"}},
        "relation": {"data": [{"type": "customer", "id": MISSING}]},
    }
    cases = [
        # flows, by id and by slug
        ("GET", f"/v2/flows/{MISSING}", None, "Flow not found", MISSING),
        ("PUT", f"/v2/flows/{MISSING}", "flow", "Flow not found", MISSING),
        ("DELETE", f"/v2/flows/{MISSING}", None, "Flow not found", MISSING),
        ("GET", "/v2/flows/gadgets/fields", None, "Flow not found", "gadgets"),
        ("GET", "/v2/flows/gadgets/entries", None, "Flow not found", "gadgets"),
        ("POST", "/v2/flows/gadgets/entries", "entry", "Flow not found", "gadgets"),
        ("GET", f"/v2/flows/gadgets/entries/{entry['id']}", None, "Flow not found", "gadgets"),
        # fields, at both of their addresses and as a relationship's name
        ("GET", f"/v2/fields/{MISSING}", None, "Field not found", MISSING),
        ("PUT", f"/v2/fields/{MISSING}", "field", "Field not found", MISSING),
        ("DELETE", f"/v2/fields/{MISSING}", None, "Field not found", MISSING),
        ("GET", f"/v2/flows/{flow['id']}/fields/{MISSING}", None, "Field not found", MISSING),
        ("GET", f"/v2/flows/{MISSING}/fields/{field['id']}", None, "Field not found", field["id"]),
        ("POST", f"{entries}/{entry['id']}/relationships/buyer", "relation", "Field not found",
         "buyer"),
        # entries, and their relationships
        ("GET", f"{entries}/{MISSING}", None, "Entry not found", MISSING, "widgets"),
        ("PUT", f"{entries}/{MISSING}", "entry", "Entry not found", MISSING),
        ("DELETE", f"{entries}/{MISSING}", None, "Entry not found", MISSING),
        ("PUT", f"{entries}/{MISSING}/relationships/owner", "relation", "Entry not found",
         MISSING),
        # customers
        ("GET", f"/v2/customers/{MISSING}", None, "Customer not found", MISSING),
        ("PUT", f"/v2/customers/{MISSING}", "customer", "Customer not found", MISSING),
        ("DELETE", f"/v2/customers/{MISSING}", None, "Customer not found", MISSING),
    ]  # fmt: skip
    for method, path, body, title, *named in cases:
        response = await api.request(method, path, json=bodies[body] if body else None)
        assert_missing(response, title, *named)
    # Nothing was created or changed on the way.
    assert (await api.get(f"{entries}/{entry['id']}")).json()["data"] == entry
    assert len((await api.get("/v2/flows")).json()["data"]) == 1


async def test_a_resource_deleted_a_moment_ago_is_not_found_by_its_kind(wire_api):
    api = wire_api
    flow = await create_flow(api, "widgets")
    field = await create_field(api, flow["id"], "colour")
    entry = await create_entry(api, "widgets", colour="red")
    customer = await create_customer(api)
    for path, title, resource_id in (
        (f"/v2/flows/widgets/entries/{entry['id']}", "Entry not found", entry["id"]),
        (f"/v2/fields/{field['id']}", "Field not found", field["id"]),
        (f"/v2/customers/{customer['id']}", "Customer not found", customer["id"]),
        (f"/v2/flows/{flow['id']}", "Flow not found", flow["id"]),
    ):
        assert (await api.delete(path)).status_code == 204
        assert_missing(await api.get(path), title, resource_id)
        assert_missing(await api.delete(path), title, resource_id)


async def test_an_unknown_path_is_still_not_found(wire_api):
    for path in ("/v2/gadgets", "/v2/customers/x/orders", "/nowhere"):
        errors = errors_of(await wire_api.get(path), 404)
        assert errors == [{"status": 404, "title": "Not Found", "detail": f"No route {path}"}]


async def test_flowtui_reads_a_titled_404_as_not_found_with_its_id(wire_api):
    """flowtui's client maps errors by status, not title: a titled 404 is still a
    NotFoundError, and what it shows (the detail) still names the id."""
    response = await wire_api.get(f"/v2/flows/{MISSING}")
    error = error_from_response(response)
    assert isinstance(error, NotFoundError)
    assert error.status == 404
    assert error.errors[0].title == "Flow not found"
    assert error.summary == f"404: No flow with id {MISSING!r}"
