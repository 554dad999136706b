"""JSON in and out: request bodies read and checked at the edge, stored rows rendered as the
resources EPCC answers with (flows, fields, entries, customers, addresses)."""

from __future__ import annotations

import json
import math
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse as _StarletteJSONResponse

from flowtui.sandbox.addresses import ADDRESS_ATTRS
from flowtui.sandbox.errors import (
    bad_request,
    customer_failed,
    failed,
    invalid,
    too_large,
)
from flowtui.sandbox.store import Row

#: A resource as it goes out in ``data``.
Resource = dict[str, Any]


class JSONResponse(_StarletteJSONResponse):
    """A JSON answer that survives text UTF-8 cannot carry: a lone surrogate written into the
    store behind the API's back (the API itself stores U+FFFD) goes out as a ``\\ud800``
    escape, which is valid JSON, instead of crashing the answer."""

    def render(self, content: Any) -> bytes:
        try:
            return super().render(content)
        except UnicodeEncodeError:
            return json.dumps(content, allow_nan=False, separators=(",", ":")).encode("ascii")


# -- request bodies -------------------------------------------------------------------------


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _clean(value: Any) -> Any:
    """Replace lone surrogates by U+FFFD (as Go's encoding/json does); refuse non-finite floats."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            # One U+FFFD per lone surrogate (decoding "replace" would give three per surrogate).
            return "".join("\ufffd" if "\ud800" <= c <= "\udfff" else c for c in value)
        return value
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("numbers must be finite")
    if isinstance(value, dict):
        return {_clean(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refusing (413) one larger than ``limit`` without reading it all."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise too_large(limit)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


async def read_json(request: Request, limit: int) -> Any:
    """The JSON body (``None`` when there is none); 400 when it is not JSON."""
    raw = await read_body(request, limit)
    if not raw.strip():
        return None
    try:
        return _clean(json.loads(raw.decode("utf-8"), parse_constant=_reject_constant))
    except (ValueError, RecursionError) as exc:
        reason = "it is nested too deeply" if isinstance(exc, RecursionError) else exc
        raise bad_request(f"The request body is not valid JSON: {reason}") from None


def long_string(value: Any, limit: int, path: str = "") -> str | None:
    """Where (``data.name``) the first string longer than ``limit`` characters sits in a parsed
    body, keys included; None when there is none."""
    if isinstance(value, str):
        return (path or "body") if len(value) > limit else None
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if len(key) > limit:
                return where[: limit // 2]
            found = long_string(item, limit, where)
            if found:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = long_string(item, limit, f"{path}[{index}]")
            if found:
                return found
    return None


def data_of(body: Any, type_: str, customer: bool = False) -> dict[str, Any]:
    """``body["data"]`` checked to be an object of the given ``type`` (else 422).

    Its ``id``, if any, is never checked: in a PUT the URL's id wins, whatever the body says
    (contract, revised: Elastic Path's store-import tooling sends the source store's id)."""
    make = customer_failed if customer else failed
    if body is None:
        raise invalid([make("The request needs a JSON body with a data object.", "data")])
    if not isinstance(body, dict) or not isinstance(body.get("data"), dict):
        raise invalid([make("The data field is required and must be an object.", "data")])
    data: dict[str, Any] = body["data"]
    if data.get("type") != type_:
        raise invalid([make(f"The data.type field must be {type_!r}.", "data.type")])
    return data


# -- rendering ------------------------------------------------------------------------------


def _meta(row: Row) -> dict[str, Any]:
    return {
        "owner": "store",
        "timestamps": {"created_at": row["created_at"], "updated_at": row["updated_at"]},
    }


def flow_out(row: Row, base: str) -> Resource:
    return {
        "id": row["id"],
        "type": "flow",
        "name": row["name"],
        "slug": row["slug"],
        "description": row["description"],
        "enabled": row["enabled"],
        "links": {"self": f"{base}/v2/flows/{row['id']}"},
        "relationships": {},
        "meta": _meta(row),
    }


def field_out(row: Row, base: str) -> Resource:
    return {
        "id": row["id"],
        "type": "field",
        "name": row["name"],
        "slug": row["slug"],
        "field_type": row["field_type"],
        "validation_rules": row["validation_rules"],
        "description": row["description"],
        "required": row["required"],
        "default": row["default"],
        "enabled": row["enabled"],
        "order": row["order"],
        "omit_null": row["omit_null"],
        "relationships": {"flow": {"data": {"type": "flow", "id": row["flow_id"]}}},
        "links": {"self": f"{base}/v2/flows/{row['flow_id']}/fields/{row['id']}"},
        "meta": _meta(row),
    }


def custom_values(fields: list[Row], stored: dict[str, Any]) -> dict[str, Any]:
    """Top-level values of the enabled, non-relationship fields: stored, else default, else
    null; a null is left out when the field has ``omit_null``."""
    out: dict[str, Any] = {}
    for f in fields:
        if not f["enabled"] or f["field_type"] == "relationship":
            continue
        value = stored.get(f["id"], f["default"])
        if value is None and f["omit_null"]:
            continue
        out[f["slug"]] = value
    return out


def entry_out(row: Row, fields: list[Row], flow_slug: str, base: str) -> Resource:
    rels = {}
    for f in fields:
        if f["enabled"] and f["field_type"] == "relationship":
            rels[f["slug"]] = {"data": row["rels"].get(f["id"])}
    return {
        "id": row["id"],
        "type": "entry",
        **custom_values(fields, row["vals"]),
        "relationships": rels,
        "links": {"self": f"{base}/v2/flows/{flow_slug}/entries/{row['id']}"},
        "meta": _meta(row),
    }


def customer_out(row: Row, fields: list[Row]) -> Resource:
    out = {
        "id": row["id"],
        "type": "customer",
        "name": row["name"],
        "email": row["email"],
        "password": row["password_hash"] is not None,
        "external_ref": row["external_ref"],
        "authentication_mechanism": "password",
    }
    out.update(custom_values(fields, row["custom"]))
    out["meta"] = {"timestamps": {"created_at": row["created_at"], "updated_at": row["updated_at"]}}
    return out


def address_out(row: Row, fields: list[Row], base: str) -> Resource:
    """An address: its base attributes, then its custom values (fields of the ``addresses``
    core flow, as on customers), ``links.self``, timestamps and its customer."""
    customer_id = row["customer_id"]
    out: Resource = {"id": row["id"], "type": "address"}
    out.update({attr: row[attr] for attr in ADDRESS_ATTRS})
    out.update(custom_values(fields, row["custom"]))
    out["links"] = {"self": f"{base}/v2/customers/{customer_id}/addresses/{row['id']}"}
    out["meta"] = {"timestamps": {"created_at": row["created_at"], "updated_at": row["updated_at"]}}
    # The contract's JSON:API form (``customer.data``) and, beside it, the vendored spec's
    # (``customer.id`` / ``customer.type``): a client written to either finds its customer.
    out["relationships"] = {
        "customer": {
            "data": {"type": "customer", "id": customer_id},
            "id": customer_id,
            "type": "customer",
        }
    }
    return out
