"""A resource deleted by another request while an update is reading its body: the update
answers 404 in the error envelope (it used to crash into a 500).

The update's body is streamed, and the stream deletes the resource through the API before it
yields its bytes, so the delete lands exactly between the update's look-up and its write.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx

from tests.sandbox.helpers import create_entry, create_field, create_flow


def deleting_body(delete: Callable[[], Awaitable[httpx.Response]], body: Any) -> Any:
    """A request body that first deletes the resource, then yields ``body`` as JSON."""

    async def stream() -> AsyncIterator[bytes]:
        assert (await delete()).status_code == 204
        yield json.dumps(body).encode()

    return stream()


async def put_while_deleted(api: httpx.AsyncClient, path: str, data: dict) -> httpx.Response:
    return await api.put(
        path,
        content=deleting_body(lambda: api.delete(path), {"data": data}),
        headers={"content-type": "application/json"},
    )


def assert_gone(response: httpx.Response, title: str, detail: str) -> None:
    assert response.status_code == 404, response.text
    assert response.json() == {"errors": [{"status": 404, "title": title, "detail": detail}]}


async def test_flow_deleted_during_its_update(api):
    flow = await create_flow(api, "widgets")
    path = f"/v2/flows/{flow['id']}"
    response = await put_while_deleted(api, path, {"type": "flow", "name": "Renamed"})
    assert_gone(response, "Flow not found", f"No flow with id {flow['id']!r}")
    assert (await api.get(path)).status_code == 404


async def test_field_deleted_during_its_update(api):
    flow = await create_flow(api, "widgets")
    field = await create_field(api, flow["id"], "colour")
    path = f"/v2/fields/{field['id']}"
    response = await put_while_deleted(api, path, {"type": "field", "name": "Color"})
    assert_gone(response, "Field not found", f"No field with id {field['id']!r}")


async def test_entry_deleted_during_its_update(api):
    flow = await create_flow(api, "widgets")
    await create_field(api, flow["id"], "colour")
    entry = await create_entry(api, "widgets", colour="red")
    path = f"/v2/flows/widgets/entries/{entry['id']}"
    response = await put_while_deleted(api, path, {"type": "entry", "colour": "blue"})
    assert_gone(response, "Entry not found", f"No entry with id {entry['id']!r} in flow 'widgets'")


async def test_customer_deleted_during_its_update(api):
    created = await api.post(
        "/v2/customers",
        json={"data": {"type": "customer", "name": "Ann Perkins", "email": "ann@pawnee.example"}},
    )
    assert created.status_code == 201, created.text
    customer_id = created.json()["data"]["id"]
    path = f"/v2/customers/{customer_id}"
    response = await put_while_deleted(api, path, {"type": "customer", "name": "Ann P."})
    assert_gone(response, "Customer not found", f"No customer with id {customer_id!r}")
    assert (await api.get(path)).status_code == 404
