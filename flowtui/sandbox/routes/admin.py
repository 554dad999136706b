"""``/_sandbox/``: health, fault statistics and reset. No token needed, no faults injected."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from flowtui import __version__
from flowtui.sandbox.errors import forbidden
from flowtui.sandbox.routes.base import Handlers
from flowtui.sandbox.serialisation import JSONResponse


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
        self.store.reset()
        return Response(status_code=204)
