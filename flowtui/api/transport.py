"""Pacing and retries, as an httpx transport wrapped around the real one.

- Pacing: request starts are spaced so the client stays below the profile's rate limit.
- 429: the request was not processed, so any method is retried after ``Retry-After`` (or an
  exponential backoff with jitter when the store sends none).
- 5xx and broken connections (also while a body arrives: answers are read here, inside the
  retry loop): retried only for idempotent methods (GET, HEAD, PUT, DELETE).
  A POST is never repeated after it may have reached the store, so a flaky link cannot create
  a customer twice; the only POST retry is after a refused *connect*, which proves the request
  never left.
- Timeouts everywhere (set on the client).
"""

from __future__ import annotations

import asyncio
import random
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from flowtui.api.errors import ErrorItem, NetworkError, parse_retry_after

IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
#: Request extension marking a POST that is safe to repeat (asking for a token is).
RETRY_SAFE = "flowtui.retry_safe"
RETRY_STATUSES = frozenset({500, 502, 503, 504})
#: Request extension: an earlier attempt of this request may have been carried out (its
#: connection broke after sending, or it was answered 5xx), e.g. so a repeated DELETE that
#: finds nothing (404) is known to have found its own earlier success. Set on the request,
#: so it survives the auth flow sending the request again after a 401.
MAYBE_DONE = "flowtui.maybe_done"


def certificate_failure(exc: BaseException) -> str | None:
    """Why the TLS certificate failed verification, when that is what ``exc`` comes from."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return seen.verify_message or "certificate verify failed"
        seen = seen.__cause__ or seen.__context__
    return "certificate verify failed" if "CERTIFICATE_VERIFY_FAILED" in str(exc) else None


@dataclass
class RetryPolicy:
    """How hard to try before giving up."""

    attempts: int = 5
    base_delay: float = 0.25
    max_delay: float = 8.0
    #: A Retry-After longer than this is not waited for: the 429 is reported instead.
    max_retry_after: float = 60.0


@dataclass(frozen=True)
class RetryNotice:
    """Told to the ``on_retry`` callback before each wait, so a UI can say "retrying in 2 s"."""

    method: str
    path: str
    attempt: int
    delay: float
    reason: str


class Pacer:
    """Keeps request starts under ``rate`` per second (shared by all requests).

    A small burst is allowed: a fifth of a second's worth of requests may start at once
    (``burst``), so the few requests a screen sends together don't queue behind each other;
    in any one-second window at most ``rate + burst`` start (24 at the default 20/s, under a
    development store's 25/s). This is the generic cell rate algorithm: a request may start
    once ``now >= tat - tolerance``, after which ``tat`` moves on by one interval.
    """

    def __init__(
        self,
        rate: float | None,
        clock: Callable[[], float] = time.monotonic,
        burst: int | None = None,
    ) -> None:
        self.interval = 1.0 / rate if rate and rate > 0 else 0.0
        self.burst = max(1, int(rate * 0.2)) if burst is None and rate else max(1, burst or 1)
        self.tolerance = (self.burst - 1) * self.interval
        self.clock = clock
        self._tat = 0.0  # theoretical arrival time of the next request
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        if not self.interval:
            return
        async with self._lock:
            now = self.clock()
            start = max(now, self._tat - self.tolerance)
            self._tat = max(self._tat, start) + self.interval
        if start > now:
            await asyncio.sleep(start - now)


class PacedRetryTransport(httpx.AsyncBaseTransport):
    """Wraps another async transport with pacing and the retry rules above."""

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        *,
        rate: float | None = 20.0,
        policy: RetryPolicy | None = None,
        on_retry: Callable[[RetryNotice], None] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.inner = inner
        self.pacer = Pacer(rate)
        self.policy = policy or RetryPolicy()
        self.on_retry = on_retry
        self.rng = rng or random.Random()
        #: Counters for tests and diagnostics.
        self.sent = 0
        self.retries = 0

    def backoff(self, attempt: int) -> float:
        """Full-jitter exponential backoff for the given (1-based) attempt."""
        cap = min(self.policy.max_delay, self.policy.base_delay * 2 ** (attempt - 1))
        return self.rng.uniform(cap / 2, cap)

    async def _pause(self, request: httpx.Request, attempt: int, delay: float, why: str) -> None:
        self.retries += 1
        if self.on_retry:
            self.on_retry(RetryNotice(request.method, request.url.path, attempt, delay, why))
        await asyncio.sleep(delay)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        method = request.method.upper()
        repeatable = method in IDEMPOTENT or bool(request.extensions.get(RETRY_SAFE))
        attempt = 0
        while True:
            attempt += 1
            last = attempt >= self.policy.attempts
            await self.pacer.wait()
            self.sent += 1
            try:
                response = await _read(await self.inner.handle_async_request(request))
            except httpx.ConnectError as exc:
                # Nothing was sent: safe to retry whatever the method. A certificate that
                # failed verification fails again: not retried.
                if last or certificate_failure(exc):
                    raise
                await self._pause(request, attempt, self.backoff(attempt), "cannot connect")
                continue
            except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError):
                if not repeatable or last:
                    raise
                request.extensions[MAYBE_DONE] = True
                await self._pause(request, attempt, self.backoff(attempt), "connection lost")
                continue

            status = response.status_code
            if status == 429 and not last:
                wait = parse_retry_after(response.headers.get("retry-after"))
                if wait is None:
                    wait = self.backoff(attempt)
                if wait <= self.policy.max_retry_after:
                    await response.aclose()
                    await self._pause(request, attempt, wait, "rate limited")
                    continue
            elif status in RETRY_STATUSES and repeatable and not last:
                await response.aclose()
                request.extensions[MAYBE_DONE] = True
                await self._pause(request, attempt, self.backoff(attempt), f"HTTP {status}")
                continue
            return response

    async def aclose(self) -> None:
        await self.inner.aclose()


async def _read(response: httpx.Response) -> httpx.Response:
    """``response`` with its body read here, inside the retry loop, so a connection that
    breaks or times out while the body arrives counts as a failed attempt. Answers are
    small JSON documents, so reading them whole costs nothing; the client's own read then
    finds the body there (one Response, the body gone through once)."""
    try:
        await response.aread()
    finally:
        await response.aclose()
    return response


# -- what a failed request means ------------------------------------------------------------


def tls_context(verify: bool | str) -> ssl.SSLContext | bool:
    """What httpx verifies TLS with: ``False`` (off), the default CAs (``True``) or a context
    trusting the PEM bundle at ``verify``; an unusable bundle is a :class:`NetworkError`."""
    if not isinstance(verify, str):
        return verify
    try:
        return ssl.create_default_context(cafile=verify)
    except (OSError, ssl.SSLError) as exc:
        reason = getattr(exc, "strerror", None) or getattr(exc, "reason", None) or exc
        raise NetworkError(
            [ErrorItem("Unusable CA bundle", f"Cannot use the CA bundle {verify}: {reason}")]
        ) from None


def certificate_problem(exc: BaseException, base_url: str) -> str | None:
    """One sentence when ``exc`` comes from a TLS certificate that failed verification."""
    reason = certificate_failure(exc)
    if reason is None:
        return None
    return (
        f"The TLS certificate of {base_url} failed verification ({reason}); if the store uses "
        "a private CA, set ca_bundle in its profile to the CA's PEM file"
    )


def network_error(exc: httpx.HTTPError, base_url: str, method: str, path: str) -> NetworkError:
    """The :class:`NetworkError` for a request to ``base_url`` that got no answer: a timeout,
    a refused or unverified connection, or one that broke (``maybe_sent`` when the store may
    have received it)."""
    if isinstance(exc, httpx.TimeoutException):
        # The detail is what ``str(error)`` shows, so it says the whole thing.
        detail = f"{base_url} did not answer {method} {path} in time"
        sent = not isinstance(exc, httpx.ConnectTimeout)
        error = NetworkError(
            [
                ErrorItem(
                    "The store did not answer in time",
                    f"{detail} ({type(exc).__name__}){_maybe_done(method, sent)}",
                )
            ],
            method=method,
            path=path,
        )
        error.maybe_sent = sent
        return error
    if isinstance(exc, httpx.ConnectError):
        title, problem = "Cannot reach the store", certificate_problem(exc, base_url)
        if problem is not None:
            title, detail = "The store's TLS certificate failed verification", problem
        else:
            detail = f"Cannot connect to {base_url} ({type(exc).__name__}: {exc})"
        return NetworkError([ErrorItem(title, detail)], method=method, path=path)
    detail = (
        f"The connection to {base_url} broke during {method} {path} "
        f"({type(exc).__name__}: {exc}){_maybe_done(method, True)}"
    )
    error = NetworkError(
        [ErrorItem("The connection to the store broke", detail)], method=method, path=path
    )
    error.maybe_sent = True
    return error


def _maybe_done(method: str, sent: bool) -> str:
    """What a lost answer means for a request that is not repeated (a POST)."""
    if sent and method.upper() == "POST":
        return "; it may have been carried out, so check before trying again"
    return ""
