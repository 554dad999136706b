"""The sandbox's outermost layer: every answer carries ``X-Flowtui-Sandbox``, and API requests
meet the faults :class:`~flowtui.sandbox.config.SandboxConfig` asks for (latency, a rate limit
answered 429 with ``Retry-After``, injected 500/503 answers, dropped connections), counted in
:class:`FaultCounts` for ``GET /_sandbox/stats``.

This is plain ASGI, not a Starlette ``BaseHTTPMiddleware``: it wraps ``send`` once per request
and costs next to nothing when no fault is configured.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from dataclasses import dataclass
from typing import TypedDict

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from flowtui import __version__
from flowtui.sandbox.config import SandboxConfig
from flowtui.sandbox.errors import ErrorObject, envelope_bytes, error

SANDBOX_HEADER = "X-Flowtui-Sandbox"

#: Raw ASGI response headers.
Headers = list[tuple[bytes, bytes]]


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


class Dropped(Exception):
    """Raised after a response started, so the server drops the connection (fault injection).
    The server's log filter (:mod:`flowtui.sandbox.server`) hides these on purpose."""


class _State(TypedDict):
    started: bool


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

        state: _State = {"started": False}

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

    async def _guarded(self, scope: Scope, receive: Receive, send: Send, state: _State) -> None:
        """Run the app. A crash before the answer started is answered here, so that its 500
        also carries the sandbox header (Starlette's own crash handler sits outside this
        middleware), then re-raised for the server to log. The server then closes the
        connection, so the answer says ``Connection: close`` (a client must not reuse it)."""
        try:
            await self.app(scope, receive, send)
        except ClientDisconnect:
            raise  # the client left: nobody to answer (HostGuard ends the request quietly)
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
                raise Dropped("connection dropped by the sandbox's fault injection")

        await self.app(scope, receive, swallow)

    @staticmethod
    async def _answer(
        send: Send, status: int, errors: list[ErrorObject], headers: Headers | None = None
    ) -> None:
        body = envelope_bytes(errors)
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
