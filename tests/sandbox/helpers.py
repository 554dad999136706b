"""Small helpers shared by the sandbox tests: create resources, check the error envelope."""

from __future__ import annotations

import re
from typing import Any

import httpx

#: ISO 8601 UTC with milliseconds, as every timestamp of the API is written.
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def flow_body(slug: str = "widgets", **attrs: Any) -> dict:
    """A complete flow create body; ``attrs`` override or add attributes."""
    data = {
        "type": "flow",
        "name": slug.title(),
        "slug": slug,
        "description": f"The {slug} flow",
        "enabled": True,
    }
    data.update(attrs)
    return {"data": data}


def field_body(flow_id: str, slug: str, field_type: str = "string", **attrs: Any) -> dict:
    """A complete field create body for the flow ``flow_id``."""
    data = {
        "type": "field",
        "name": slug.replace("_", " ").title(),
        "slug": slug,
        "field_type": field_type,
        "description": f"The {slug} field",
        "required": False,
        "enabled": True,
        "relationships": {"flow": {"data": {"type": "flow", "id": flow_id}}},
    }
    data.update(attrs)
    return {"data": data}


async def create_flow(api: httpx.AsyncClient, slug: str = "widgets", **attrs: Any) -> dict:
    response = await api.post("/v2/flows", json=flow_body(slug, **attrs))
    assert response.status_code == 201, response.text
    return response.json()["data"]


async def create_field(
    api: httpx.AsyncClient, flow_id: str, slug: str, field_type: str = "string", **attrs: Any
) -> dict:
    response = await api.post("/v2/fields", json=field_body(flow_id, slug, field_type, **attrs))
    assert response.status_code == 201, response.text
    return response.json()["data"]


async def create_entry(api: httpx.AsyncClient, flow_slug: str, **values: Any) -> dict:
    response = await api.post(
        f"/v2/flows/{flow_slug}/entries", json={"data": {"type": "entry", **values}}
    )
    assert response.status_code == 201, response.text
    return response.json()["data"]


async def create_customer(
    api: httpx.AsyncClient, name: str = "Ron Swanson", email: str | None = None, **attrs: Any
) -> dict:
    email = email or f"{name.lower().replace(' ', '.')}@example.com"
    body = {"data": {"type": "customer", "name": name, "email": email, **attrs}}
    response = await api.post("/v2/customers", json=body)
    assert response.status_code == 201, response.text
    return response.json()["data"]


def errors_of(response: httpx.Response, status: int) -> list[dict]:
    """Assert ``response`` is the error envelope with HTTP ``status``; return its errors."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"errors"}, body
    errors = body["errors"]
    assert isinstance(errors, list) and errors, body
    for err in errors:
        assert isinstance(err, dict) and isinstance(err.get("title"), str), err
    return errors


def failed(response: httpx.Response, *sources: str) -> list[dict]:
    """Assert a 422 whose errors carry numeric ``status`` 422 and name each of ``sources``."""
    errors = errors_of(response, 422)
    for err in errors:
        assert err["status"] == 422, err
        assert isinstance(err.get("source"), str), err
    got = [err["source"] for err in errors]
    for source in sources:
        assert source in got, (source, errors)
    return errors
