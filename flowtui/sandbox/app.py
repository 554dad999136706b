"""The sandbox's HTTP API: Starlette routes speaking EPCC as ../shared/api-contract.md fixes it.

``create_app()`` builds a complete app around a :class:`~flowtui.sandbox.store.Store`; tests
drive it in-process through ``httpx.ASGITransport`` and ``flowtui sandbox`` serves it with
uvicorn. Nothing here imports Textual.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import math
import random
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import anyio
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse as _StarletteJSONResponse
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from flowtui import __version__
from flowtui.core import fields as F
from flowtui.sandbox import query as Q
from flowtui.sandbox.store import (
    CUSTOMER_SORT_COLUMNS,
    ENTRY_SORT_COLUMNS,
    DuplicateEmail,
    Row,
    Store,
)

SANDBOX_HEADER = "X-Flowtui-Sandbox"
MAX_BODY_BYTES = 20 * 1024 * 1024
MAX_EXTERNAL_REF = 2048
CUSTOMER_TOKEN_TTL = 24 * 3600

#: What may be filtered on customers, and with which operators.
CUSTOMER_FILTERS: dict[str, frozenset[str]] = {
    "email": frozenset({"eq", "like"}),
    "name": frozenset({"eq", "like"}),
    "id": frozenset({"eq", "gt", "ge", "lt", "le"}),
    "created_at": frozenset({"eq", "gt", "ge", "lt", "le"}),
    "updated_at": frozenset({"eq", "gt", "ge", "lt", "le"}),
    "external_ref": frozenset({"eq"}),
}
ENTRY_FILTERS: dict[str, frozenset[str]] = {"id": frozenset({"eq", "in"})}


@dataclass
class SandboxConfig:
    """How a sandbox behaves. Fault settings exist for testing clients."""

    client_id: str = "sandbox-client"
    client_secret: str = field(default_factory=lambda: secrets.token_urlsafe(24), repr=False)
    #: Lifetime of access tokens, seconds.
    token_ttl: int = 3600
    #: Requests per second above which the sandbox answers 429 (``None``: no limit).
    rate_limit: float | None = None
    #: Share (0..1) of API requests answered 500 or 503 before they are processed.
    fault_rate: float = 0.0
    #: Share (0..1) of API requests whose connection is dropped after they were processed.
    drop_rate: float = 0.0
    #: Latency added to every API request, milliseconds.
    latency_ms: int = 0
    #: Whether ``POST /_sandbox/reset`` may empty the store.
    allow_reset: bool = False
    #: Largest request body accepted, bytes.
    max_body_bytes: int = MAX_BODY_BYTES
    #: scrypt cost parameter N for customer passwords (a power of two).
    password_cost: int = 2**14
    #: Seed for the fault injector's random choices (``None``: unpredictable).
    fault_seed: int | None = None


class JSONResponse(_StarletteJSONResponse):
    """A JSON answer that survives text UTF-8 cannot carry: a lone surrogate written into the
    store behind the API's back (the API itself stores U+FFFD) goes out as a ``\\ud800``
    escape, which is valid JSON, instead of crashing the answer."""

    def render(self, content: Any) -> bytes:
        try:
            return super().render(content)
        except UnicodeEncodeError:
            return json.dumps(content, allow_nan=False, separators=(",", ":")).encode("ascii")


@dataclass
class FaultCounts:
    """What the sandbox did to its clients since it started (``GET /_sandbox/stats``)."""

    #: API requests received (``/_sandbox/`` excluded).
    requests: int = 0
    #: Requests slowed by ``latency_ms``.
    delayed: int = 0
    #: 429 answers (rate limit), each with ``Retry-After``.
    rate_limited: int = 0
    #: Injected 500 and 503 answers.
    errors_500: int = 0
    errors_503: int = 0
    #: Connections dropped after the request was processed.
    dropped: int = 0
    #: Access tokens issued.
    tokens_issued: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(vars(self))


# -- errors ---------------------------------------------------------------------------------


class ApiError(Exception):
    """An answer in the error envelope: ``{"errors": [...]}`` with an HTTP status."""

    def __init__(self, status: int, errors: list[dict[str, Any]], headers: dict | None = None):
        super().__init__(errors[0].get("detail") or errors[0].get("title"))
        self.status = status
        self.errors = errors
        self.headers = headers or {}


def error(status: int, title: str, detail: str | None = None, source: str | None = None) -> dict:
    """One error object with a numeric ``status``."""
    out: dict[str, Any] = {"status": status, "title": title}
    if detail is not None:
        out["detail"] = detail
    if source is not None:
        out["source"] = source
    return out


def bad_request(detail: str, source: str | None = None) -> ApiError:
    return ApiError(400, [error(400, "Bad Request", detail, source)])


def not_found(detail: str) -> ApiError:
    return ApiError(404, [error(404, "Not Found", detail)])


def invalid(errors: list[dict]) -> ApiError:
    return ApiError(422, errors)


def failed(detail: str, source: str | None = None) -> dict:
    """A 422 error object as flows, fields and entries answer it."""
    return error(422, "Failed Validation", detail, source)


def duplicate_email(email: str) -> ApiError:
    """409 for an email another customer has; its ``status`` is a string, as real stores
    sometimes send it."""
    return ApiError(
        409,
        [
            {
                "status": "409",
                "title": "Duplicate email",
                "detail": f"A customer with email {email!r} already exists",
                "source": "data.email",
            }
        ],
    )


def customer_failed(detail: str, source: str) -> dict:
    """A 422 error object as a real store answers for customers: with no ``status`` key."""
    return {"title": "Failed Validation", "detail": detail, "source": source}


def envelope_bytes(status: int, errors: list[dict]) -> bytes:
    return json.dumps({"errors": errors}, separators=(",", ":")).encode()


def error_response(exc: ApiError) -> Response:
    return Response(
        envelope_bytes(exc.status, exc.errors),
        status_code=exc.status,
        media_type="application/json",
        headers=exc.headers,
    )


UNAUTHORIZED = ApiError(401, [error(401, "Unable to validate access token")])


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
        raise ApiError(
            413, [error(413, "Payload Too Large", f"Request bodies are limited to {limit} bytes")]
        )
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError(
                413,
                [error(413, "Payload Too Large", f"Request bodies are limited to {limit} bytes")],
            )
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


def data_of(body: Any, type_: str, customer: bool = False) -> dict[str, Any]:
    """``body["data"]`` checked to be an object of the given ``type`` (else 422)."""
    make = (lambda d, s: customer_failed(d, s)) if customer else failed
    if body is None:
        raise invalid([make("The request needs a JSON body with a data object.", "data")])
    if not isinstance(body, dict) or not isinstance(body.get("data"), dict):
        raise invalid([make("The data field is required and must be an object.", "data")])
    data = body["data"]
    if data.get("type") != type_:
        raise invalid([make(f"The data.type field must be {type_!r}.", "data.type")])
    return data


def check_id(data: dict, resource_id: str, customer: bool = False) -> None:
    if "id" in data and data["id"] != resource_id:
        make = customer_failed if customer else failed
        raise invalid([make("The data.id field must match the id in the URL.", "data.id")])


# -- passwords ------------------------------------------------------------------------------


def hash_password(password: str, cost: int) -> str:
    """An scrypt hash with a random salt, as ``scrypt$N$salt$hash`` (base64)."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=cost, r=8, p=1, dklen=32)
    b64 = base64.b64encode
    return f"scrypt${cost}${b64(salt).decode()}${b64(digest).decode()}"


def check_password(password: str, stored: str) -> bool:
    try:
        _, cost, salt, digest = stored.split("$")
        got = hashlib.scrypt(
            password.encode(), salt=base64.b64decode(salt), n=int(cost), r=8, p=1, dklen=32
        )
    except ValueError:
        return False
    return hmac.compare_digest(got, base64.b64decode(digest))


# -- rendering ------------------------------------------------------------------------------


def _meta(row: Row) -> dict:
    return {
        "owner": "store",
        "timestamps": {"created_at": row["created_at"], "updated_at": row["updated_at"]},
    }


def flow_out(row: Row, base: str) -> dict:
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


def field_out(row: Row, base: str) -> dict:
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


def entry_out(row: Row, fields: list[Row], flow_slug: str, base: str) -> dict:
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


def customer_out(row: Row, fields: list[Row]) -> dict:
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


# -- the application ------------------------------------------------------------------------


class Sandbox:
    """Route handlers bound to one store and configuration."""

    def __init__(
        self, store: Store, config: SandboxConfig, counts: FaultCounts | None = None
    ) -> None:
        self.store = store
        self.config = config
        self.counts = counts or FaultCounts()

    # helpers

    @staticmethod
    def base(request: Request) -> str:
        return str(request.base_url).rstrip("/")

    def token_kind(self, request: Request) -> str | None:
        """The kind of a valid access token on the request (Bearer, Bearer: or bare)."""
        header = request.headers.get("authorization", "").strip()
        for prefix in ("bearer:", "bearer "):
            if header[: len(prefix)].lower() == prefix:
                header = header[len(prefix) :].strip()
                break
        if not header:
            return None
        row = self.store.get_token(header)
        if row is None or row["expires"] <= time.time():
            return None
        return row["kind"]

    def authorize(self, request: Request) -> None:
        """401 without a valid token; 403 when an implicit token attempts what it may not."""
        kind = self.token_kind(request)
        if kind is None:
            raise UNAUTHORIZED
        if kind == "client_credentials":
            return
        path, method = request.url.path, request.method
        if method in ("GET", "HEAD") and path.startswith(("/v2/flows", "/v2/fields")):
            return
        if method == "POST" and path == "/v2/customers/tokens":
            return
        raise ApiError(
            403,
            [
                error(
                    403,
                    "Forbidden",
                    "An implicit token is read-only and cannot use this endpoint; "
                    "authenticate with client_credentials",
                )
            ],
        )

    async def body(self, request: Request) -> Any:
        return await read_json(request, self.config.max_body_bytes)

    def flow_by_slug(self, slug: str) -> Row:
        flow = self.store.get_flow_by_slug(slug)
        if flow is None:
            raise not_found(f"No flow with slug {slug!r}")
        return flow

    def customer_fields(self) -> list[Row]:
        flow = self.store.get_flow_by_slug("customers")
        return self.store.list_fields(flow["id"]) if flow else []

    # auth

    async def access_token(self, request: Request) -> Response:
        raw = await read_body(request, 64 * 1024)
        if "json" in request.headers.get("content-type", ""):
            try:
                form = {k: str(v) for k, v in json.loads(raw or b"{}").items()}
            except (ValueError, AttributeError):
                raise bad_request("The request body is not valid JSON") from None
        else:
            try:
                form = Q.parse_query_string(raw)
            except Q.QueryError as exc:
                raise bad_request(exc.detail) from None
        grant = form.get("grant_type")
        cfg = self.config
        if grant not in ("client_credentials", "implicit"):
            detail = (
                "grant_type is required"
                if not grant
                else f"Unsupported grant_type {grant!r} (use client_credentials or implicit)"
            )
            raise ApiError(400, [error(400, "Bad Request", detail, "grant_type")])
        id_ok = hmac.compare_digest(form.get("client_id", "").encode(), cfg.client_id.encode())
        if grant == "client_credentials":
            secret_ok = hmac.compare_digest(
                form.get("client_secret", "").encode(), cfg.client_secret.encode()
            )
            if not (id_ok and secret_ok):
                raise ApiError(
                    401, [error(401, "Unauthorized", "Invalid client_id or client_secret")]
                )
        elif not id_ok:
            raise ApiError(401, [error(401, "Unauthorized", "Invalid client_id")])
        token = secrets.token_hex(20)
        expires = int(time.time()) + cfg.token_ttl
        self.store.add_token(token, grant, expires)
        self.counts.tokens_issued += 1
        return JSONResponse(
            {
                "access_token": token,
                "token_type": "Bearer",
                "expires": expires,
                "expires_in": cfg.token_ttl,
                "identifier": grant,
            }
        )

    # sandbox admin

    async def health(self, request: Request) -> Response:
        return JSONResponse({"status": "ok", "version": __version__})

    async def stats(self, request: Request) -> Response:
        return JSONResponse(self.counts.as_dict())

    async def reset(self, request: Request) -> Response:
        if not self.config.allow_reset:
            raise ApiError(
                403,
                [
                    error(
                        403,
                        "Forbidden",
                        "Resets are disabled; start the sandbox with --allow-reset",
                    )
                ],
            )
        self.store.reset()
        return Response(status_code=204)

    # flows

    async def flows(self, request: Request) -> Response:
        self.authorize(request)
        base = self.base(request)
        if request.method == "GET":
            return JSONResponse({"data": [flow_out(f, base) for f in self.store.list_flows()]})
        data = data_of(await self.body(request), "flow")
        errors = self._flow_errors(data, creating=True)
        if errors:
            raise invalid(errors)
        flow = self.store.create_flow(
            data["name"], data["slug"], data["description"], data["enabled"]
        )
        return JSONResponse({"data": flow_out(flow, base)}, status_code=201)

    def _flow_errors(self, data: dict, creating: bool, flow_id: str | None = None) -> list[dict]:
        errors = []
        for key, kind, check in (
            ("name", "a string", lambda v: isinstance(v, str) and v != ""),
            ("slug", "a string", lambda v: isinstance(v, str)),
            ("description", "a string", lambda v: isinstance(v, str)),
            ("enabled", "true or false", lambda v: isinstance(v, bool)),
        ):
            if key not in data or (data[key] is None and creating):
                if creating:
                    errors.append(failed(f"The data.{key} field is required.", f"data.{key}"))
            elif not check(data[key]):  # null included: an update cannot clear these
                errors.append(failed(f"The data.{key} field must be {kind}.", f"data.{key}"))
        slug = data.get("slug")
        if isinstance(slug, str):
            problem = F.flow_slug_problem(slug)
            if problem:
                errors.append(failed(f"The data.slug field is invalid: {problem}.", "data.slug"))
            else:
                other = self.store.get_flow_by_slug(slug)
                if other is not None and other["id"] != flow_id:
                    errors.append(failed(f"A flow with slug {slug!r} already exists.", "data.slug"))
                elif flow_id is not None:
                    # Renamed onto a core slug: its fields may not shadow the resource's own
                    # attributes, just as such fields could not be created on that flow.
                    for fld in self.store.list_fields(flow_id):
                        clash = F.field_slug_problem(fld["slug"], slug)
                        if clash:
                            errors.append(
                                failed(
                                    f"The data.slug field is invalid: field {fld['slug']!r} "
                                    f"cannot be on the {slug!r} flow ({clash}).",
                                    "data.slug",
                                )
                            )
        return errors

    async def flow(self, request: Request) -> Response:
        self.authorize(request)
        flow_id = request.path_params["flow_id"]
        flow = self.store.get_flow(flow_id)
        if flow is None:
            raise not_found(f"No flow with id {flow_id!r}")
        if request.method == "GET":
            return JSONResponse({"data": flow_out(flow, self.base(request))})
        if request.method == "DELETE":
            resource = F.core_resource(flow["slug"])
            if resource:
                raise ApiError(
                    405,
                    [
                        error(
                            405,
                            "Method Not Allowed",
                            f"{flow['slug']!r} is a core flow (it extends the {resource} "
                            "resource) and cannot be deleted; change its slug first, then "
                            "delete it",
                        )
                    ],
                )
            self.store.delete_flow(flow_id)
            return Response(status_code=204)
        data = data_of(await self.body(request), "flow")
        check_id(data, flow_id)
        errors = self._flow_errors(data, creating=False, flow_id=flow_id)
        if errors:
            raise invalid(errors)
        changes = {k: data[k] for k in ("name", "slug", "description", "enabled") if k in data}
        flow = self.store.update_flow(flow_id, changes)
        return JSONResponse({"data": flow_out(flow, self.base(request))})

    async def flow_fields(self, request: Request) -> Response:
        self.authorize(request)
        flow = self.flow_by_slug(request.path_params["slug"])
        base = self.base(request)
        return JSONResponse(
            {"data": [field_out(f, base) for f in self.store.list_fields(flow["id"])]}
        )

    async def flow_field(self, request: Request) -> Response:
        self.authorize(request)
        row = self.store.get_field(request.path_params["field_id"])
        if row is None or row["flow_id"] != request.path_params["flow_id"]:
            raise not_found(f"No field with id {request.path_params['field_id']!r} in that flow")
        return JSONResponse({"data": field_out(row, self.base(request))})

    # fields

    async def fields(self, request: Request) -> Response:
        self.authorize(request)
        base = self.base(request)
        if request.method == "GET":
            return JSONResponse({"data": [field_out(f, base) for f in self.store.list_fields()]})
        data = data_of(await self.body(request), "field")
        values, errors = self._field_values(data, None)
        if errors:
            raise invalid(errors)
        row = self.store.create_field(values)
        return JSONResponse({"data": field_out(row, base)}, status_code=201)

    async def field(self, request: Request) -> Response:
        self.authorize(request)
        field_id = request.path_params["field_id"]
        row = self.store.get_field(field_id)
        if row is None:
            raise not_found(f"No field with id {field_id!r}")
        if request.method == "GET":
            return JSONResponse({"data": field_out(row, self.base(request))})
        if request.method == "DELETE":
            self.store.delete_field(field_id)
            return Response(status_code=204)
        data = data_of(await self.body(request), "field")
        check_id(data, field_id)
        values, errors = self._field_values(data, row)
        if errors:
            raise invalid(errors)
        row = self.store.update_field(field_id, values)
        return JSONResponse({"data": field_out(row, self.base(request))})

    def _field_values(self, data: dict, current: Row | None) -> tuple[dict, list[dict]]:
        """Validate a field create (``current`` None) or update; return the columns to store."""
        errors: list[dict] = []
        creating = current is None
        out: dict[str, Any] = {}
        checks = (
            ("name", "a string", lambda v: isinstance(v, str) and v != ""),
            ("slug", "a string", lambda v: isinstance(v, str)),
            ("field_type", "a string", lambda v: isinstance(v, str)),
            ("description", "a string", lambda v: isinstance(v, str)),
            ("required", "true or false", lambda v: isinstance(v, bool)),
            ("enabled", "true or false", lambda v: isinstance(v, bool)),
            ("omit_null", "true or false", lambda v: isinstance(v, bool)),
            ("order", "an integer or null", lambda v: v is None or F.is_int(v)),
        )
        for key, kind, check in checks:
            if key not in data or (data[key] is None and key != "order"):
                if creating and key not in ("omit_null", "order"):
                    errors.append(failed(f"The data.{key} field is required.", f"data.{key}"))
                continue
            if not check(data[key]):
                errors.append(failed(f"The data.{key} field must be {kind}.", f"data.{key}"))
            elif (
                key == "order"
                and data[key] is not None
                and not F.INT64_MIN <= data[key] <= F.INT64_MAX
            ):
                errors.append(failed("The data.order field is out of range.", "data.order"))
            else:
                out[key] = data[key]

        # the flow it belongs to
        if creating:
            flow_id = None
            rel = data.get("relationships")
            with contextlib.suppress(KeyError, TypeError):
                flow_id = rel["flow"]["data"]["id"]
            if not isinstance(flow_id, str):
                errors.append(
                    failed(
                        "The data.relationships.flow.data.id field is required.",
                        "data.relationships.flow.data.id",
                    )
                )
                flow = None
            else:
                flow = self.store.get_flow(flow_id)
                if flow is None:
                    errors.append(
                        failed(f"No flow with id {flow_id!r}.", "data.relationships.flow.data.id")
                    )
                elif self.store.count_fields(flow_id) >= 100:
                    errors.append(
                        failed("A flow can have at most 100 fields.", "data.relationships.flow")
                    )
            out["flow_id"] = flow_id
        else:
            flow = self.store.get_flow(current["flow_id"])

        # type: fixed at creation
        field_type = out.get("field_type")
        if creating:
            if field_type is not None and field_type not in F.FIELD_TYPES:
                errors.append(
                    failed(
                        f"The data.field_type field must be one of {', '.join(F.FIELD_TYPES)}.",
                        "data.field_type",
                    )
                )
                field_type = None
        else:
            if field_type is not None and field_type != current["field_type"]:
                errors.append(
                    failed(
                        "The field_type of a field cannot change "
                        f"(it is {current['field_type']!r}).",
                        "data.field_type",
                    )
                )
            out.pop("field_type", None)
            field_type = current["field_type"]

        # slug: reserved names, resource attributes, unique in its flow
        slug = out.get("slug")
        if slug is not None:
            problem = F.field_slug_problem(slug, flow["slug"] if flow else None)
            if problem:
                errors.append(failed(f"The data.slug field is invalid: {problem}.", "data.slug"))
            elif flow is not None and self.store.field_slug_taken(
                flow["id"], slug, None if creating else current["id"]
            ):
                errors.append(
                    failed(f"The flow already has a field with slug {slug!r}.", "data.slug")
                )

        if field_type is None:
            return out, errors

        # rules, then the default against them
        if "validation_rules" in data or creating:
            rules, problems = F.normalise_rules(field_type, data.get("validation_rules"))
            errors += [failed(p, "data.validation_rules") for p in problems]
            out["validation_rules"] = rules
        else:
            rules = current["validation_rules"]
        if not any(e.get("source") == "data.validation_rules" for e in errors):
            if "default" in data or "validation_rules" in data or creating:
                default = data["default"] if "default" in data else (current or {}).get("default")
                default, problem = F.normalise_default(field_type, rules, default)
                if problem:
                    errors.append(failed(f"The data.default field: {problem}.", "data.default"))
                else:
                    out["default"] = default
        if field_type == "relationship":
            out["required"] = False
        if creating:
            out.setdefault("omit_null", False)
            out.setdefault("order", None)
        return out, errors

    # entries

    def _custom_flow(self, slug: str) -> Row:
        flow = self.flow_by_slug(slug)
        resource = F.core_resource(slug)
        if resource:
            raise invalid(
                [
                    failed(
                        f"{slug!r} is a core flow: its values are attributes of the {resource} "
                        "resource, not entries"
                    )
                ]
            )
        return flow

    async def entries(self, request: Request) -> Response:
        self.authorize(request)
        slug = request.path_params["slug"]
        flow = self._custom_flow(slug)
        fields = self.store.list_fields(flow["id"])
        base = self.base(request)
        if request.method == "GET":
            params = self.params(request)
            try:
                limit, offset = Q.parse_page(params)
                terms = Q.parse_filter(params["filter"]) if params.get("filter") else []
                Q.check_terms(terms, ENTRY_FILTERS, "entries")
                sort = Q.parse_sort(params.get("sort"), frozenset(ENTRY_SORT_COLUMNS), "created_at")
            except Q.QueryError as exc:
                raise bad_request(exc.detail, exc.parameter) from None
            rows, total = self.store.list_entries(flow["id"], terms, sort, limit, offset)
            keep = {k: v for k, v in params.items() if k in ("filter", "sort")}
            return JSONResponse(
                Q.page_body(
                    [entry_out(r, fields, slug, base) for r in rows],
                    total=total,
                    limit=limit,
                    offset=offset,
                    url=f"{base}/v2/flows/{slug}/entries",
                    keep=keep,
                )
            )
        data = data_of(await self.body(request), "entry")
        vals, errors = apply_values(data, fields, {}, creating=True, make=failed)
        if errors:
            raise invalid(errors)
        row = self.store.create_entry(flow["id"], vals)
        return JSONResponse({"data": entry_out(row, fields, slug, base)}, status_code=201)

    async def entry(self, request: Request) -> Response:
        self.authorize(request)
        slug, entry_id = request.path_params["slug"], request.path_params["entry_id"]
        flow = self._custom_flow(slug)
        row = self.store.get_entry(flow["id"], entry_id)
        if row is None:
            raise not_found(f"No entry with id {entry_id!r} in flow {slug!r}")
        fields = self.store.list_fields(flow["id"])
        base = self.base(request)
        if request.method == "GET":
            return JSONResponse({"data": entry_out(row, fields, slug, base)})
        if request.method == "DELETE":
            self.store.delete_entry(flow["id"], entry_id)
            return Response(status_code=204)
        data = data_of(await self.body(request), "entry")
        check_id(data, entry_id)
        vals, errors = apply_values(data, fields, row["vals"], creating=False, make=failed)
        if errors:
            raise invalid(errors)
        row = self.store.update_entry(flow["id"], entry_id, vals)
        return JSONResponse({"data": entry_out(row, fields, slug, base)})

    async def entry_relationship(self, request: Request) -> Response:
        self.authorize(request)
        slug, entry_id = request.path_params["slug"], request.path_params["entry_id"]
        field_slug = request.path_params["field_slug"]
        flow = self._custom_flow(slug)
        row = self.store.get_entry(flow["id"], entry_id)
        if row is None:
            raise not_found(f"No entry with id {entry_id!r} in flow {slug!r}")
        fld = next(
            (
                f
                for f in self.store.list_fields(flow["id"])
                if f["slug"] == field_slug and f["enabled"]
            ),
            None,
        )
        if fld is None:
            raise not_found(f"Flow {slug!r} has no enabled field {field_slug!r}")
        if fld["field_type"] != "relationship":
            raise invalid([failed(f"Field {field_slug!r} is not a relationship field.")])
        rels = dict(row["rels"])
        if request.method == "DELETE":
            rels[fld["id"]] = None
            self.store.update_entry(flow["id"], entry_id, row["vals"], rels)
            return Response(status_code=204)
        body = await self.body(request)
        items = body.get("data") if isinstance(body, dict) else None
        if isinstance(items, dict):
            items = [items]
        rule = F.relationship_rule(fld["validation_rules"]) or {"type": "one-to-many", "to": ""}
        problems = []
        if not isinstance(items, list):
            problems.append("The data field must be a list of {type, id} objects.")
            items = []
        for i, item in enumerate(items):
            if not (
                isinstance(item, dict)
                and isinstance(item.get("id"), str)
                and item["id"]
                and isinstance(item.get("type"), str)
            ):
                problems.append(f"data[{i}] must be an object with a type and an id.")
            elif rule["to"] and item["type"] != rule["to"]:
                problems.append(f"data[{i}].type must be {rule['to']!r}.")
        if problems:
            raise invalid([failed(p, "data") for p in problems])
        new = [{"type": it["type"], "id": it["id"]} for it in items]
        if rule["type"] == "one-to-one":
            if len(new) > 1:
                raise invalid([failed("A one-to-one relationship takes a single item.", "data")])
            value: Any = new[0] if new else None
            result = new
        else:
            existing = (rels.get(fld["id"]) or []) if request.method == "POST" else []
            merged = list(existing)
            for it in new:
                if it not in merged:
                    merged.append(it)
            value = merged or None
            result = merged
        rels[fld["id"]] = value
        self.store.update_entry(flow["id"], entry_id, row["vals"], rels)
        return JSONResponse({"data": result}, status_code=201)

    # customers

    def params(self, request: Request) -> dict[str, str]:
        try:
            return Q.parse_query_string(request.scope.get("query_string", b""))
        except Q.QueryError as exc:
            raise bad_request(exc.detail) from None

    async def customers(self, request: Request) -> Response:
        self.authorize(request)
        fields = self.customer_fields()
        if request.method == "GET":
            params = self.params(request)
            try:
                limit, offset = Q.parse_page(params)
                terms = Q.parse_filter(params["filter"]) if params.get("filter") else []
                Q.check_terms(terms, CUSTOMER_FILTERS, "customers")
                sort = Q.parse_sort(
                    params.get("sort"), frozenset(CUSTOMER_SORT_COLUMNS), "-created_at"
                )
                rows, total = self.store.list_customers(terms, sort, limit, offset)
            except Q.QueryError as exc:
                raise bad_request(exc.detail, exc.parameter) from None
            base = self.base(request)
            keep = {k: v for k, v in params.items() if k in ("filter", "sort")}
            return JSONResponse(
                Q.page_body(
                    [customer_out(r, fields) for r in rows],
                    total=total,
                    limit=limit,
                    offset=offset,
                    url=f"{base}/v2/customers",
                    keep=keep,
                )
            )
        data = data_of(await self.body(request), "customer", customer=True)
        changes = await self._customer_changes(data, fields, None)
        row = self.store.create_customer(
            name=changes["name"],
            email=changes["email"],
            password_hash=changes.get("password_hash"),
            external_ref=changes.get("external_ref"),
            custom=changes["custom"],
        )
        return JSONResponse({"data": customer_out(row, fields)}, status_code=201)

    async def customer(self, request: Request) -> Response:
        self.authorize(request)
        customer_id = request.path_params["customer_id"]
        row = self.store.get_customer(customer_id)
        if row is None:
            raise not_found(f"No customer with id {customer_id!r}")
        fields = self.customer_fields()
        if request.method == "GET":
            return JSONResponse({"data": customer_out(row, fields)})
        if request.method == "DELETE":
            self.store.delete_customer(customer_id)
            return Response(status_code=204)
        data = data_of(await self.body(request), "customer", customer=True)
        check_id(data, customer_id, customer=True)
        changes = await self._customer_changes(data, fields, row)
        row = self.store.update_customer(customer_id, changes)
        return JSONResponse({"data": customer_out(row, fields)})

    async def _customer_changes(self, data: dict, fields: list[Row], current: Row | None) -> dict:
        """Validate a customer create (``current`` None) or update; 422 or 409 on failure."""
        creating = current is None
        errors: list[dict] = []
        changes: dict[str, Any] = {}
        for key in ("name", "email"):
            value = data.get(key)
            if key not in data or value is None or value == "":
                if creating or key in data:
                    errors.append(
                        customer_failed(f"The data.{key} field is required.", f"data.{key}")
                    )
            elif not isinstance(value, str):
                errors.append(
                    customer_failed(f"The data.{key} field must be a string.", f"data.{key}")
                )
            elif key == "email" and not F.is_email(value):
                errors.append(
                    customer_failed(
                        "The data.email field must be a valid email address.", "data.email"
                    )
                )
            else:
                changes[key] = value
        if "external_ref" in data:
            ref = data["external_ref"]
            if ref is not None and not isinstance(ref, str):
                errors.append(
                    customer_failed(
                        "The data.external_ref field must be a string or null.", "data.external_ref"
                    )
                )
            elif ref is not None and len(ref) > MAX_EXTERNAL_REF:
                errors.append(
                    customer_failed(
                        "The data.external_ref field may be at most "
                        f"{MAX_EXTERNAL_REF} characters.",
                        "data.external_ref",
                    )
                )
            else:
                changes["external_ref"] = ref
        password = data.get("password")
        if "password" in data and password is not None and not isinstance(password, str):
            errors.append(
                customer_failed("The data.password field must be a string.", "data.password")
            )
        stored = {} if creating else current["custom"]
        custom, custom_errors = apply_values(
            data, fields, stored, creating=creating, make=customer_failed
        )
        errors += custom_errors
        if errors:
            raise invalid(errors)
        changes["custom"] = custom
        email = changes.get("email")
        if email and self.store.email_taken(email, None if creating else current["id"]):
            raise duplicate_email(email)  # early, before hashing; the store checks again
        if "password" in data:
            changes["password_hash"] = (
                None
                if password is None
                else await anyio.to_thread.run_sync(
                    hash_password, password, self.config.password_cost
                )
            )
        return changes

    async def customer_token(self, request: Request) -> Response:
        self.authorize(request)
        data = data_of(await self.body(request), "token", customer=True)
        errors = []
        for key in ("email", "password"):
            if not isinstance(data.get(key), str) or not data[key]:
                errors.append(customer_failed(f"The data.{key} field is required.", f"data.{key}"))
        mechanism = data.get("authentication_mechanism", "password")
        if mechanism != "password":
            errors.append(
                customer_failed(
                    "The data.authentication_mechanism field must be 'password'.",
                    "data.authentication_mechanism",
                )
            )
        if errors:
            raise invalid(errors)
        row = self.store.get_customer_by_email(data["email"])
        ok = row is not None and row["password_hash"] is not None
        if ok:
            ok = await anyio.to_thread.run_sync(
                check_password, data["password"], row["password_hash"]
            )
        if not ok:
            raise ApiError(401, [error(401, "Unauthorized", "Invalid email or password")])
        return JSONResponse(
            {
                "data": {
                    "type": "token",
                    "id": str(uuid.uuid4()),
                    "customer_id": row["id"],
                    "token": secrets.token_urlsafe(32),
                    "expires": int(time.time()) + CUSTOMER_TOKEN_TTL,
                }
            }
        )


def apply_values(
    data: dict,
    fields: list[Row],
    stored: dict[str, Any],
    *,
    creating: bool,
    make: Callable[[str, str], dict],
) -> tuple[dict[str, Any], list[dict]]:
    """Check the custom values in ``data`` against the flow's enabled fields.

    Returns the new stored values (keyed by field id; null removes a value so the default shows
    again) and one error per bad field. Keys that are not enabled fields are ignored.
    """
    out = dict(stored)
    errors: list[dict] = []
    for f in fields:
        if not f["enabled"]:
            continue
        slug, source = f["slug"], f"data.{f['slug']}"
        if slug not in data:
            if creating and f["required"]:
                errors.append(make(f"The data.{slug} field is required.", source))
            continue
        value = data[slug]
        if f["field_type"] == "relationship":
            errors.append(
                make(
                    f"The data.{slug} field is a relationship: set it with "
                    f".../relationships/{slug}.",
                    source,
                )
            )
            continue
        if value is None:
            if f["required"]:
                errors.append(make(f"The data.{slug} field is required.", source))
            else:
                out.pop(f["id"], None)
            continue
        problem = F.value_problem(f["field_type"], f["validation_rules"], value)
        if problem:
            errors.append(make(f"The data.{slug} field {problem}.", source))
        else:
            out[f["id"]] = value
    return out, errors


# -- middleware -----------------------------------------------------------------------------


class _Dropped(Exception):
    """Raised after a response started, so the server drops the connection (fault injection)."""


class SandboxMiddleware:
    """Marks every answer with ``X-Flowtui-Sandbox`` and injects the configured faults."""

    def __init__(
        self, app: ASGIApp, config: SandboxConfig, counts: FaultCounts | None = None
    ) -> None:
        self.app = app
        self.config = config
        self.counts = counts or FaultCounts()
        self.random = random.Random(config.fault_seed)
        # The bucket starts full; it holds at least one request, even below 1 request/s.
        self.tokens = max(1.0, float(config.rate_limit or 0))
        self.refilled = time.monotonic()
        self.header = (SANDBOX_HEADER.lower().encode(), __version__.encode())

    def _rate_limited(self) -> float | None:
        """Seconds to wait when over the rate limit (token bucket), else None."""
        rate = self.config.rate_limit
        if not rate:
            return None
        now = time.monotonic()
        capacity = max(1.0, rate)
        self.tokens = min(capacity, self.tokens + (now - self.refilled) * rate)
        self.refilled = now
        if self.tokens >= 1:
            self.tokens -= 1
            return None
        return (1 - self.tokens) / rate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        state = {"started": False}

        async def marked(message: Message) -> None:
            if message["type"] == "http.response.start":
                state["started"] = True
                message = {**message, "headers": [*message.get("headers", []), self.header]}
            await send(message)

        cfg = self.config
        if scope["path"].startswith("/_sandbox/"):
            await self._guarded(scope, receive, marked, state)
            return
        counts = self.counts
        counts.requests += 1
        if cfg.latency_ms:
            counts.delayed += 1
            await asyncio.sleep(cfg.latency_ms / 1000)
        wait = self._rate_limited()
        if wait is not None:
            counts.rate_limited += 1
            retry = max(1, math.ceil(wait))
            await self._answer(
                marked,
                429,
                [error(429, "Too Many Requests", f"Rate limit exceeded; retry in {retry} s")],
                [(b"retry-after", str(retry).encode())],
            )
            return
        if cfg.fault_rate and self.random.random() < cfg.fault_rate:
            status = self.random.choice((500, 503))
            if status == 500:
                counts.errors_500 += 1
            else:
                counts.errors_503 += 1
            title = "Internal Server Error" if status == 500 else "Service Unavailable"
            await self._answer(marked, status, [error(status, title, "Injected fault (sandbox)")])
            return
        if cfg.drop_rate and self.random.random() < cfg.drop_rate:
            counts.dropped += 1
            await self._drop(scope, receive, marked)
            return
        await self._guarded(scope, receive, marked, state)

    async def _guarded(self, scope: Scope, receive: Receive, send: Send, state: dict) -> None:
        """Run the app. A crash before the answer started is answered here, so that its 500
        also carries the sandbox header (Starlette's own crash handler sits outside this
        middleware), then re-raised for the server to log. The server then closes the
        connection, so the answer says ``Connection: close`` (a client must not reuse it)."""
        try:
            await self.app(scope, receive, send)
        except Exception:
            if not state["started"]:
                await self._answer(
                    send,
                    500,
                    [error(500, "Internal Server Error", "The sandbox failed to answer")],
                    [(b"connection", b"close")],
                )
            raise

    async def _drop(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Process the request, then break the connection before the answer is complete."""

        async def swallow(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", []) if h[0] != b"content-length"]
                # A 204 (or 304) has no body, so a client reads it whole from the headers
                # alone and never sees the drop: announce a body so the cut is visible.
                status = 200 if message["status"] in (204, 304) else message["status"]
                await send(
                    {
                        **message,
                        "status": status,
                        "headers": [*headers, (b"content-length", b"1000000")],
                    }
                )
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                await send(
                    {
                        "type": "http.response.body",
                        "body": message.get("body", b"")[:1],
                        "more_body": True,
                    }
                )
                raise _Dropped("connection dropped by the sandbox's fault injection")

        await self.app(scope, receive, swallow)

    @staticmethod
    async def _answer(
        send: Send, status: int, errors: list[dict], headers: list | None = None
    ) -> None:
        body = envelope_bytes(status, errors)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    *(headers or []),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def create_app(
    config: SandboxConfig | None = None, store: Store | None = None, **overrides: Any
) -> Starlette:
    """Build the sandbox app around ``store`` (a fresh in-memory one by default).

    Keyword ``overrides`` set :class:`SandboxConfig` fields, e.g.
    ``create_app(client_id="id", client_secret="secret", token_ttl=5)``. The store is kept
    as ``app.state.store``, the configuration as ``app.state.config`` and what the fault
    injection did as ``app.state.counts`` (also ``GET /_sandbox/stats``).
    """
    config = config or SandboxConfig()
    for key, value in overrides.items():
        setattr(config, key, value)
    store = store or Store(":memory:")
    counts = FaultCounts()
    sb = Sandbox(store, config, counts)

    def route(
        path: str, endpoint: Callable[[Request], Awaitable[Response]], methods: list[str]
    ) -> Route:
        return Route(path, endpoint, methods=methods)

    routes = [
        route("/oauth/access_token", sb.access_token, ["POST"]),
        route("/_sandbox/health", sb.health, ["GET"]),
        route("/_sandbox/reset", sb.reset, ["POST"]),
        route("/_sandbox/stats", sb.stats, ["GET"]),
        route("/v2/flows", sb.flows, ["GET", "POST"]),
        route("/v2/flows/{flow_id}", sb.flow, ["GET", "PUT", "DELETE"]),
        route("/v2/flows/{slug}/fields", sb.flow_fields, ["GET"]),
        route("/v2/flows/{flow_id}/fields/{field_id}", sb.flow_field, ["GET"]),
        route("/v2/flows/{slug}/entries", sb.entries, ["GET", "POST"]),
        route("/v2/flows/{slug}/entries/{entry_id}", sb.entry, ["GET", "PUT", "DELETE"]),
        route(
            "/v2/flows/{slug}/entries/{entry_id}/relationships/{field_slug}",
            sb.entry_relationship,
            ["POST", "PUT", "DELETE"],
        ),
        route("/v2/fields", sb.fields, ["GET", "POST"]),
        route("/v2/fields/{field_id}", sb.field, ["GET", "PUT", "DELETE"]),
        route("/v2/customers", sb.customers, ["GET", "POST"]),
        route("/v2/customers/tokens", sb.customer_token, ["POST"]),
        route("/v2/customers/{customer_id}", sb.customer, ["GET", "PUT", "DELETE"]),
    ]

    async def on_api_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return error_response(exc)

    async def on_http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        # On /v2 a missing or bad token is reported before an unknown path or method.
        if request.url.path.startswith("/v2/") and sb.token_kind(request) is None:
            return error_response(UNAUTHORIZED)
        if exc.status_code == 405:
            allowed = exc.headers.get("Allow", "") if exc.headers else ""
            detail = f"{request.method} is not allowed on {request.url.path} (allowed: {allowed})"
            return error_response(
                ApiError(405, [error(405, "Method Not Allowed", detail)], headers=exc.headers)
            )
        if exc.status_code == 404:
            return error_response(not_found(f"No route {request.url.path}"))
        return error_response(
            ApiError(exc.status_code, [error(exc.status_code, "Error", str(exc.detail))])
        )

    async def on_duplicate_email(request: Request, exc: Exception) -> Response:
        return error_response(duplicate_email(str(exc)))

    async def on_crash(request: Request, exc: Exception) -> Response:
        return error_response(
            ApiError(500, [error(500, "Internal Server Error", "The sandbox failed to answer")])
        )

    app = Starlette(
        routes=routes,
        exception_handlers={
            ApiError: on_api_error,
            DuplicateEmail: on_duplicate_email,
            HTTPException: on_http_error,
            Exception: on_crash,
        },
    )
    app.router.redirect_slashes = False
    app.add_middleware(SandboxMiddleware, config=config, counts=counts)
    app.state.store = store
    app.state.config = config
    app.state.counts = counts
    return app
