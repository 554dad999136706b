"""The sandbox's HTTP API: Starlette routes speaking EPCC as ../shared/api-contract.md fixes it.

``create_app()`` builds a complete app around a :class:`~flowtui.sandbox.store.Store`; tests
drive it in-process through ``httpx.ASGITransport`` and ``flowtui sandbox`` serves it with
uvicorn. Nothing here imports Textual.

This module only assembles: the handlers live in :mod:`flowtui.sandbox.routes` (one module per
resource), the error envelope in :mod:`~flowtui.sandbox.errors`, request bodies and resource
rendering in :mod:`~flowtui.sandbox.serialisation`, tokens and passwords in
:mod:`~flowtui.sandbox.auth`, and the fault injection in :mod:`~flowtui.sandbox.faults`.
"""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from flowtui.sandbox.auth import token_kind
from flowtui.sandbox.config import MAX_BODY_BYTES, SandboxConfig
from flowtui.sandbox.errors import (
    UNAUTHORIZED,
    SandboxError,
    crashed,
    duplicate_email,
    error,
    error_response,
    no_route,
)
from flowtui.sandbox.faults import FaultCounts, SandboxMiddleware
from flowtui.sandbox.guard import HostGuard
from flowtui.sandbox.routes.addresses import AddressHandlers
from flowtui.sandbox.routes.admin import AdminHandlers
from flowtui.sandbox.routes.base import Handlers
from flowtui.sandbox.routes.customers import CustomerHandlers
from flowtui.sandbox.routes.entries import EntryHandlers
from flowtui.sandbox.routes.fields import FieldHandlers
from flowtui.sandbox.routes.flows import FlowHandlers
from flowtui.sandbox.routes.tokens import TokenHandlers
from flowtui.sandbox.store import DuplicateEmail, Store

__all__ = ["HANDLERS", "MAX_BODY_BYTES", "FaultCounts", "SandboxConfig", "create_app"]

#: Every resource's handlers, in routing order: the router tries routes in this order, and a
#: path two routes could match goes to the first.
HANDLERS: tuple[type[Handlers], ...] = (
    TokenHandlers,
    AdminHandlers,
    FlowHandlers,
    EntryHandlers,
    FieldHandlers,
    CustomerHandlers,
    AddressHandlers,
)


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
    routes = [route for kind in HANDLERS for route in kind(store, config, counts).routes()]

    async def on_sandbox_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, SandboxError)
        return error_response(exc)

    async def on_http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        # On /v2 a missing or bad token is reported before an unknown path or method.
        if request.url.path.startswith("/v2/") and token_kind(store, request) is None:
            return error_response(UNAUTHORIZED)
        if exc.status_code == 405:
            allowed = exc.headers.get("Allow", "") if exc.headers else ""
            detail = f"{request.method} is not allowed on {request.url.path} (allowed: {allowed})"
            return error_response(
                SandboxError(405, [error(405, "Method Not Allowed", detail)], headers=exc.headers)
            )
        if exc.status_code == 404:
            return error_response(no_route(request.url.path))
        return error_response(
            SandboxError(exc.status_code, [error(exc.status_code, "Error", str(exc.detail))])
        )

    async def on_duplicate_email(request: Request, exc: Exception) -> Response:
        return error_response(duplicate_email(str(exc)))

    async def on_crash(request: Request, exc: Exception) -> Response:
        return error_response(crashed())

    app = Starlette(
        routes=routes,
        exception_handlers={
            SandboxError: on_sandbox_error,
            DuplicateEmail: on_duplicate_email,
            HTTPException: on_http_error,
            Exception: on_crash,
        },
    )
    app.router.redirect_slashes = False
    app.add_middleware(SandboxMiddleware, config=config, counts=counts)
    app.add_middleware(HostGuard, config=config)  # outermost: a foreign Host goes no further
    app.state.store = store
    app.state.config = config
    app.state.counts = counts
    return app
