"""``/_sandbox/``: health, fault statistics and reset. No faults injected.

Health and statistics need no token. A reset empties the store, so it is guarded like a
write of the API and more: the sandbox must have been started with ``--allow-reset``, the
request must come from the sandbox's own origin (no ``Origin`` header, or the sandbox's), carry
a client-credentials token and a JSON body (``{}``). A web page in a local browser can do none
of that: its cross-origin POST carries its own ``Origin``, and a "simple" request (plain text,
no ``Authorization``) is all it can send without a preflight, which the sandbox never allows.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from flowtui import __version__
from flowtui.sandbox.auth import token_kind
from flowtui.sandbox.errors import UNAUTHORIZED, SandboxError, bad_request, error, forbidden
from flowtui.sandbox.routes.base import Handlers
from flowtui.sandbox.serialisation import JSONResponse


def own_origin(request: Request) -> str:
    """The sandbox's origin as this request reached it: ``scheme://host[:port]``."""
    return f"{request.url.scheme}://{request.headers.get('host', '')}".lower()


class AdminHandlers(Handlers):
    def routes(self) -> list[Route]:
        return [
            Route("/_sandbox/health", self.health, methods=["GET"]),
            Route("/_sandbox/reset", self.reset, methods=["POST"]),
            Route("/_sandbox/stats", self.stats, methods=["GET"]),
        ]

    async def health(self, request: Request) -> Response:
        return JSONResponse({"status": "ok", "version": __version__})

    async def stats(self, request: Request) -> Response:
        return JSONResponse(self.counts.as_dict())

    async def reset(self, request: Request) -> Response:
        if not self.config.allow_reset:
            raise forbidden("Resets are disabled; start the sandbox with --allow-reset")
        origin = request.headers.get("origin")
        if origin is not None and origin.lower() != own_origin(request):
            raise forbidden(f"A reset from another origin ({origin}) is refused")
        kind = token_kind(self.store, request)
        if kind is None:
            raise UNAUTHORIZED
        if kind != "client_credentials":
            raise forbidden("A reset needs a client_credentials token")
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media != "application/json":
            detail = "A reset needs a JSON body ({}) sent as Content-Type: application/json"
            raise SandboxError(415, [error(415, "Unsupported Media Type", detail)])
        if not isinstance(await self.body(request), dict):
            raise bad_request("A reset needs a JSON object as its body: {}")
        self.store.reset()
        return Response(status_code=204)
