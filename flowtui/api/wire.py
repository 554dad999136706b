"""Small pieces of the service's one request path that keep its per-request work down (no
Textual).

At no latency a walk's speed is the client's CPU, and httpx's own work is most of it (about
a millisecond a request). Three things the service used to pay on top, each for nothing:

- **No cookie jar.** The store authenticates every request with a bearer token
  (:mod:`flowtui.api.auth`) and the contract has no cookies, yet httpx looks at every
  answer for ``Set-Cookie`` and at every request for cookies to send: :class:`NoCookies`
  keeps and sends none.
- **The URL parsed once.** A relative URL is parsed, then merged with the client's base
  URL and parsed again; :func:`root` gives the base as httpx writes it, so the service
  hands httpx the whole URL (the same URL: tests/api/test_wire.py).
- **No garbage cycle per answer.** The client binds each response's stream to the response
  (``BoundAsyncStream``), a cycle that holds the body until the cyclic collector runs;
  :func:`spent` swaps in an empty stream once the body is read, so the answer is freed at
  once and the collector has less to do.
"""

from __future__ import annotations

import http.cookiejar
from typing import Any

import httpx

#: What a read response's stream is replaced with (its body is in ``response.content``).
SPENT = httpx.ByteStream(b"")


class NoCookies(http.cookiejar.CookieJar):
    """A cookie jar that keeps nothing, so sends nothing."""

    def add_cookie_header(self, request: Any) -> None:
        return None

    def extract_cookies(self, response: Any, request: Any) -> None:
        return None

    def set_cookie(self, cookie: http.cookiejar.Cookie) -> None:
        return None


def root(client: httpx.AsyncClient) -> str:
    """The client's base URL as httpx normalised it, without its trailing slash: a path
    beginning with ``/`` appended to it makes the URL httpx would merge from that path."""
    return str(client.base_url).rstrip("/")


def whole(root: str, path: str, query: str = "") -> str:
    """The URL of ``path`` (and ``query``, already encoded) under ``root`` (see :func:`root`),
    as httpx would merge it: a path without its leading ``/`` is under the root too."""
    if not path.startswith("/"):
        path = "/" + path
    return root + path + ("?" + query if query else "")


def spent(response: httpx.Response) -> httpx.Response:
    """``response``, whose body was read, without the cycle the client made of it."""
    response.stream = SPENT
    return response
