"""Fixtures for the API service tests: the real sandbox, in-process or over loopback HTTP.

Nothing is mocked: ``service`` talks to a sandbox app through ``httpx.ASGITransport``;
``live_service_factory`` serves a sandbox with uvicorn on a free 127.0.0.1 port (with any
fault injection) and hands back an :class:`ApiService` pointed at it. Every service is closed
and every server stopped, whatever the test did.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import httpx
import pytest

from flowtui.api.auth import MemoryTokenCache
from flowtui.api.service import ApiService
from flowtui.api.transport import RetryPolicy
from flowtui.sandbox.server import BackgroundServer
from flowtui.sandbox.store import Store
from tests.conftest import CLIENT_ID, CLIENT_SECRET, make_sandbox, seeded_store

BASE = "http://sandbox.test"
#: Fast retries, so tests that meet faults stay quick.
FAST = RetryPolicy(base_delay=0.01, max_delay=0.05)
SEEDED = 300


def inprocess_service(app: Any, **options: Any) -> ApiService:
    """An ApiService talking to ``app`` in-process (no pacing, fast retries)."""
    settings: dict[str, Any] = {"rate_limit": None, "retry": RetryPolicy(**vars(FAST))}
    settings.update(options)
    return ApiService(
        BASE, CLIENT_ID, CLIENT_SECRET, transport=httpx.ASGITransport(app=app), **settings
    )


def raw_client(app: Any) -> httpx.AsyncClient:
    """A plain httpx client for ``app`` (to check what reached the store, bypassing flowtui)."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE)


async def raw_token(client: httpx.AsyncClient) -> str:
    form = {"grant_type": "client_credentials", "client_id": CLIENT_ID}
    form["client_secret"] = CLIENT_SECRET
    response = await client.post("/oauth/access_token", data=form)
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


@pytest.fixture
def store() -> Iterator[Store]:
    """An empty in-memory store, closed afterwards."""
    store = Store(":memory:")
    try:
        yield store
    finally:
        store.close()


@pytest.fixture
def seeded_app():
    """A sandbox app whose store holds the demo data with ``SEEDED`` customers."""
    app = make_sandbox(seeded_store(SEEDED))
    try:
        yield app
    finally:
        app.state.store.close()


@pytest.fixture
async def service(seeded_app) -> AsyncIterator[ApiService]:
    """An ApiService over the seeded sandbox, in-process."""
    svc = inprocess_service(seeded_app)
    try:
        yield svc
    finally:
        await svc.aclose()


@pytest.fixture
async def bare_service(sandbox_app) -> AsyncIterator[ApiService]:
    """An ApiService over an empty sandbox (``sandbox_app``), in-process."""
    svc = inprocess_service(sandbox_app)
    try:
        yield svc
    finally:
        await svc.aclose()


@pytest.fixture
async def raw(seeded_app) -> AsyncIterator[httpx.AsyncClient]:
    """A raw, authenticated httpx client for the seeded sandbox."""
    async with raw_client(seeded_app) as client:
        client.headers["Authorization"] = f"Bearer {await raw_token(client)}"
        yield client


LiveFactory = Callable[..., Awaitable[ApiService]]


@pytest.fixture
async def live_service_factory() -> AsyncIterator[LiveFactory]:
    """``await live_service_factory(store=None, *, prelogin=False, options=None, **config)``.

    Serves a sandbox over ``store`` (a fresh one by default) configured with ``config``
    (SandboxConfig overrides: token_ttl, rate_limit, fault_rate, drop_rate, latency_ms,
    fault_seed, ...) on a free loopback port, and returns an ApiService for its URL built with
    ``options`` (defaults: no pacing, fast retries). With ``prelogin`` a token is first issued by
    a fault-free sandbox on the same store and placed in the service's token cache, so faults
    hit only the requests under test. Services are closed, then servers stopped, then stores
    this fixture created closed.
    """
    services: list[ApiService] = []
    servers: list[BackgroundServer] = []
    stores: list[Store] = []

    async def make(
        store: Store | None = None,
        *,
        prelogin: bool = False,
        options: dict[str, Any] | None = None,
        **config: Any,
    ) -> ApiService:
        if store is None:
            store = Store(":memory:")
            stores.append(store)
        settings: dict[str, Any] = {"rate_limit": None, "retry": RetryPolicy(**vars(FAST))}
        settings.update(options or {})
        if prelogin:
            cache = settings.setdefault("token_cache", MemoryTokenCache())
            async with inprocess_service(make_sandbox(store), token_cache=cache) as clean:
                await clean.login()
                assert clean.auth.logins == 1
        server = BackgroundServer(make_sandbox(store, **config)).start()
        servers.append(server)
        svc = ApiService(server.url, CLIENT_ID, CLIENT_SECRET, **settings)
        services.append(svc)
        return svc

    try:
        yield make
    finally:
        for svc in services:
            with contextlib.suppress(Exception):  # teardown must reach the servers
                await svc.aclose()
        for server in servers:
            server.stop()
        for store in stores:
            store.close()
