"""A PUT whose body ``data.id`` differs from the URL updates the resource the URL names; the
body's id is ignored (contract, revised: Elastic Path's store-import tooling re-runs with the
source store's ids in its bodies). In process and over real HTTP (the ``wire`` fixtures)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from .helpers import create_customer, create_entry, create_field, create_flow, failed

#: Body ids that are not the URL's: another resource's, an unknown uuid, and not even strings.
OTHER_IDS: list[Any] = ["00000000-0000-4000-8000-000000000000", "", 42, None, {"id": "x"}]


async def two_of_each(api: httpx.AsyncClient) -> dict[str, tuple[str, str, dict]]:
    """Two flows, fields, entries and customers: kind -> (path of the first, id of the
    second, a PUT body for the first)."""
    flows = [await create_flow(api, slug) for slug in ("widgets", "gadgets")]
    fields = [await create_field(api, flows[0]["id"], slug) for slug in ("colour", "size")]
    entries = [await create_entry(api, "widgets", colour=c) for c in ("red", "blue")]
    customers = [await create_customer(api, name) for name in ("Ann Perkins", "Ben Wyatt")]
    return {
        "flow": (f"/v2/flows/{flows[0]['id']}", flows[1]["id"], {"name": "Renamed"}),
        "field": (f"/v2/fields/{fields[0]['id']}", fields[1]["id"], {"name": "Renamed"}),
        "entry": (
            f"/v2/flows/widgets/entries/{entries[0]['id']}",
            entries[1]["id"],
            {"colour": "Renamed"},
        ),
        "customer": (
            f"/v2/customers/{customers[0]['id']}",
            customers[1]["id"],
            {"name": "Renamed"},
        ),
    }


def other_path(path: str, other_id: str) -> str:
    return f"{path.rsplit('/', 1)[0]}/{other_id}"


@pytest.mark.parametrize("kind", ["flow", "field", "entry", "customer"])
async def test_the_url_id_wins_over_another_resources_id(wire_api, kind):
    api = wire_api
    path, other_id, changes = (await two_of_each(api))[kind]
    other_before = (await api.get(other_path(path, other_id))).json()["data"]
    body = {"data": {"type": kind, "id": other_id, **changes}}
    response = await api.put(path, json=body)
    assert response.status_code == 200, response.text
    got = response.json()["data"]
    assert got["id"] == path.rsplit("/", 1)[1]
    (attr, value), = changes.items()  # fmt: skip
    assert got[attr] == value
    assert (await api.get(path)).json()["data"] == got
    # The resource the body named is untouched.
    assert (await api.get(other_path(path, other_id))).json()["data"] == other_before


@pytest.mark.parametrize("kind", ["flow", "field", "entry", "customer"])
async def test_any_body_id_is_ignored(wire_api, kind):
    api = wire_api
    path, _, changes = (await two_of_each(api))[kind]
    (attr, value), = changes.items()  # fmt: skip
    for i, body_id in enumerate(OTHER_IDS):
        body = {"data": {"type": kind, "id": body_id, attr: f"{value} {i}"}}
        response = await api.put(path, json=body)
        assert response.status_code == 200, (body_id, response.text)
        assert response.json()["data"]["id"] == path.rsplit("/", 1)[1]
        assert response.json()["data"][attr] == f"{value} {i}"


async def test_a_body_id_does_not_excuse_other_errors(wire_api):
    """Ignoring data.id changes nothing else: the rest of the body is checked as before."""
    api = wire_api
    path, other_id, _ = (await two_of_each(api))["flow"]
    before = (await api.get(path)).json()["data"]
    response = await api.put(path, json={"data": {"type": "flow", "id": other_id, "name": 3}})
    failed(response, "data.name")
    assert (await api.get(path)).json()["data"] == before


async def test_an_import_re_run_with_source_ids_updates_the_target(wire_api):
    """What Elastic Path's import tool sends on a re-run: the whole resource as read from the
    source store, its id included, PUT at the target store's id."""
    api = wire_api
    target = await create_flow(api, "widgets")
    source = dict(target, id="11111111-1111-4111-8111-111111111111", description="From source")
    del source["links"], source["meta"]
    response = await api.put(f"/v2/flows/{target['id']}", json={"data": source})
    assert response.status_code == 200, response.text
    got = response.json()["data"]
    assert (got["id"], got["description"]) == (target["id"], "From source")
    assert [f["id"] for f in (await api.get("/v2/flows")).json()["data"]] == [target["id"]]
