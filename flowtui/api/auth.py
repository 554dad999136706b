"""Client-credentials (and implicit) authentication as an ``httpx.Auth`` flow.

The token is fetched through the same client (so it is paced and retried like every other
request), cached in a :class:`TokenCache` (the credentials store, so a restart within the
token's life does not log in again), renewed a minute before ``expires``, and on a 401 the
flow logs in once more and repeats the request. Concurrent requests share one login, and
one failed login: requests that waited for a login that failed fail with its error instead of
trying again one after another (a bad secret at start-up costs one token request, not one per
request sent together).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, Callable, Generator
from typing import Protocol

import httpx

from flowtui.api.errors import ErrorItem, ProtocolError, error_from_response
from flowtui.api.transport import RETRY_SAFE
from flowtui.api.wire import spent
from flowtui.config.secrets import CachedToken

#: A token is treated as expired this many seconds before its ``expires``; a token issued
#: for no longer than that is renewed after three quarters of its life instead (a 5-second
#: token would otherwise count as expired the moment it arrived, and every request would
#: log in again first).
EXPIRY_MARGIN = 60.0
#: Logins one request may trigger when each 401 is explained by its token expiring.
MAX_RELOGINS = 3


#: The token type is the one the credentials store keeps, so nothing converts between two.
Token = CachedToken


class TokenCache(Protocol):
    """Where a token survives between runs (the credentials file or the keyring)."""

    def load(self) -> Token | None: ...

    def save(self, token: Token | None) -> None: ...


class MemoryTokenCache:
    """A cache that lives as long as the process (tests, ad-hoc environment profiles)."""

    def __init__(self) -> None:
        self.token: Token | None = None

    def load(self) -> Token | None:
        return self.token

    def save(self, token: Token | None) -> None:
        self.token = token


class EpccAuth(httpx.Auth):
    """Authenticates every request with a cached, self-renewing EPCC access token."""

    requires_response_body = True  # read by hand below: this class overrides the async flow

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: str | None = None,
        *,
        grant: str = "client_credentials",
        cache: TokenCache | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if grant not in ("client_credentials", "implicit"):
            raise ValueError(f"unknown grant {grant!r}")
        self.token_url = token_url
        self.client_id = client_id
        self._secret = client_secret
        self.grant = grant
        self.cache = cache or MemoryTokenCache()
        self.clock = clock
        self._token: Token | None = None
        #: The renewal margin of the token this object fetched (see EXPIRY_MARGIN).
        self._margin: tuple[str, float] | None = None
        self._lock = asyncio.Lock()
        #: How many times a token was fetched (for tests and diagnostics).
        self.logins = 0
        #: Logins that ended (either way), and the error of the last one if it failed: a
        #: request that waited while a login failed fails with the same error.
        self._ended = 0
        self._failure: Exception | None = None

    def __repr__(self) -> str:
        return f"EpccAuth(client_id={self.client_id!r}, grant={self.grant!r})"

    @property
    def token(self) -> Token | None:
        """The current token (from memory, else the cache), valid or not."""
        if self._token is None:
            try:
                self._token = self.cache.load()
            except Exception:
                self._token = None
        return self._token

    def margin(self, token: Token) -> float:
        """Seconds before ``token.expires`` at which it is renewed."""
        if self._margin is not None and self._margin[0] == token.access_token:
            return self._margin[1]
        return EXPIRY_MARGIN

    def usable(self, token: Token | None) -> bool:
        """Whether ``token`` can still be sent (by this auth's clock and margin)."""
        return token is not None and token.valid(self.clock(), self.margin(token))

    def _login_request(self, like: httpx.Request) -> httpx.Request:
        form = {"grant_type": self.grant, "client_id": self.client_id}
        if self.grant == "client_credentials":
            form["client_secret"] = self._secret or ""
        # Asking for a token twice is harmless, so this POST may be retried after a 5xx.
        extensions: dict = {RETRY_SAFE: True}
        # The client's timeouts travel on each request it builds; a request made here has
        # none unless given, and a store that never answers would hang the login for good.
        if "timeout" in like.extensions:
            extensions["timeout"] = like.extensions["timeout"]
        return httpx.Request("POST", self.token_url, data=form, extensions=extensions)

    def _failed_since(self, ended: int) -> None:
        """Raise the error of a login that failed since ``ended`` logins had ended."""
        if self._ended != ended and self._failure is not None:
            raise self._failure

    async def _accept(self, response: httpx.Response) -> Token:
        try:
            token = await self._read_token(response)
        except Exception as exc:
            self._ended += 1
            self._failure = exc
            raise
        self._ended += 1
        self._failure = None
        return token

    async def _read_token(self, response: httpx.Response) -> Token:
        await response.aread()
        spent(response)  # read: no cycle left for the collector (see api/wire.py)
        if response.status_code != 200:
            raise error_from_response(response)  # 401 -> AuthError, 400 -> BadRequestError
        try:
            body = response.json()
            value = body["access_token"]
            expires = body.get("expires")
            if not isinstance(expires, int | float):
                expires = self.clock() + float(body.get("expires_in", 3600))
            kind = body.get("identifier") or self.grant
        except (ValueError, KeyError, TypeError):
            raise ProtocolError(
                [ErrorItem("Unexpected answer from the token endpoint", "no access_token in it")],
                status=response.status_code,
            ) from None
        if not isinstance(value, str) or not value:
            raise ProtocolError([ErrorItem("The token endpoint sent an empty token")])
        token = Token(value, float(expires), str(kind))
        lifetime = float(expires) - self.clock()
        short = max(0.0, lifetime / 4)
        self._margin = (value, EXPIRY_MARGIN if lifetime > EXPIRY_MARGIN else short)
        self.logins += 1
        self._token = token
        self.cache.save(token)
        return token

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        token = self.token
        if not self.usable(token):
            ended = self._ended
            async with self._lock:
                self._failed_since(ended)
                token = self.token
                if token is None or not self.usable(token):
                    token = await self._accept((yield self._login_request(request)))
        assert token is not None  # usable() is False for None
        request.headers["Authorization"] = f"Bearer {token.access_token}"
        response = yield request
        relogins = 0
        while response.status_code == 401:
            await response.aread()
            spent(response)
            # A token that has expired by now explains the 401 (the request outlived it,
            # e.g. waiting out 429s): log in again, up to MAX_RELOGINS times. A token still
            # fresh was refused (revoked, or the store restarted): once.
            expired = self.clock() >= token.expires
            if relogins >= (MAX_RELOGINS if expired else 1):
                return
            relogins += 1
            ended = self._ended
            async with self._lock:
                self._failed_since(ended)
                current = self.token
                if (
                    current is None
                    or current.access_token == token.access_token
                    or not self.usable(current)
                ):
                    current = await self._accept((yield self._login_request(request)))
            token = current
            request.headers["Authorization"] = f"Bearer {token.access_token}"
            response = yield request

    def sync_auth_flow(  # pragma: no cover - async only
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        raise RuntimeError("EpccAuth is for httpx.AsyncClient")
