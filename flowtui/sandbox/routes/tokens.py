"""``POST /oauth/access_token``: client-credentials and implicit access tokens.

(Customers log in at ``POST /v2/customers/tokens``, in :mod:`~flowtui.sandbox.routes.customers`.)
"""

from __future__ import annotations

import hmac
import json
import secrets
import time

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from flowtui.sandbox import query as Q
from flowtui.sandbox.errors import bad_request, unauthorized
from flowtui.sandbox.routes.base import Handlers
from flowtui.sandbox.serialisation import JSONResponse, read_body

#: The largest token request read, bytes.
MAX_TOKEN_REQUEST = 64 * 1024


class TokenHandlers(Handlers):
    def routes(self) -> list[Route]:
        return [Route("/oauth/access_token", self.access_token, methods=["POST"])]

    async def access_token(self, request: Request) -> Response:
        raw = await read_body(request, MAX_TOKEN_REQUEST)
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
            raise bad_request(detail, "grant_type")
        id_ok = hmac.compare_digest(form.get("client_id", "").encode(), cfg.client_id.encode())
        if grant == "client_credentials":
            secret_ok = hmac.compare_digest(
                form.get("client_secret", "").encode(), cfg.client_secret.encode()
            )
            if not (id_ok and secret_ok):
                raise unauthorized("Invalid client_id or client_secret")
        elif not id_ok:
            raise unauthorized("Invalid client_id")
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
