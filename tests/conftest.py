"""Shared fixtures: an isolated environment and the sandbox, in-process and over loopback HTTP.

Tests never mock the API: they talk to the real sandbox app, either through
``httpx.ASGITransport`` (fast, in-process) or over real HTTP to uvicorn on a free loopback port.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from flowtui.sandbox import demo
from flowtui.sandbox.app import create_app
from flowtui.sandbox.server import BackgroundServer
from flowtui.sandbox.store import Store

CLIENT_ID = "test-client"
CLIENT_SECRET = "test-secret-do-not-print"
#: A cheap scrypt cost so tests that set passwords stay fast (production default: 2**14).
TEST_PASSWORD_COST = 2**4


#: One demo-seeded store per customer count, made the first time a test of this process asks.
_SEEDED: dict[int, Store] = {}


def demo_seed(store: Store, n: int) -> bool:
    """What ``demo.seed(store, n)`` does to a new in-memory store, at a fraction of the cost.

    The demo data is deterministic (same ``n``, same ids, values and times), so it is seeded
    once per test process into a template and copied page by page (SQLite's backup) into
    ``store``: ~1 ms instead of ~30 ms for 250 customers. Each test still gets a store of
    its own. Only for a store nothing was written to yet (the copy replaces the whole
    database); tests/test_seed_copy.py checks that a copy equals a seeded store. The tests of
    the seeder itself call ``demo.seed``.
    """
    if store.path != ":memory:" or store.db.total_changes:
        raise ValueError("demo_seed copies into a new in-memory store only")
    template = _SEEDED.get(n)
    if template is None:
        template = Store(":memory:")
        assert demo.seed(template, n)
        _SEEDED[n] = template
    with template._lock, store._lock:
        template.db.backup(store.db)
        store._last_stamp = template._last_stamp
    return True


def seeded_store(n: int) -> Store:
    """A new in-memory store holding the demo data with ``n`` customers (:func:`demo_seed`)."""
    store = Store(":memory:")
    demo_seed(store, n)
    return store


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path, monkeypatch) -> None:
    """Point every flowtui directory at a temporary folder: tests never touch $HOME."""
    for name in ("CONFIG", "DATA", "CACHE"):
        monkeypatch.setenv(f"FLOWTUI_{name}_DIR", str(tmp_path / name.lower()))
    for name in ("EPCC_API_BASE_URL", "EPCC_CLIENT_ID", "EPCC_CLIENT_SECRET", "FLOWTUI_PROFILE"):
        monkeypatch.delenv(name, raising=False)


def make_sandbox(store: Store | None = None, **overrides):
    """A sandbox app with the test credentials; ``overrides`` set SandboxConfig fields."""
    settings = {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "password_cost": TEST_PASSWORD_COST,
        "allow_reset": True,
    }
    settings.update(overrides)
    return create_app(store=store, **settings)


@pytest.fixture
def sandbox_app():
    """A fresh in-memory sandbox app."""
    app = make_sandbox()
    yield app
    app.state.store.close()


async def get_token(client: httpx.AsyncClient, grant: str = "client_credentials") -> str:
    form = {"grant_type": grant, "client_id": CLIENT_ID}
    if grant == "client_credentials":
        form["client_secret"] = CLIENT_SECRET
    response = await client.post("/oauth/access_token", data=form)
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


@pytest.fixture
async def client(sandbox_app) -> AsyncIterator[httpx.AsyncClient]:
    """An unauthenticated client talking to the in-process sandbox."""
    transport = httpx.ASGITransport(app=sandbox_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox.test") as c:
        yield c


@pytest.fixture
async def api(client) -> httpx.AsyncClient:
    """The same client with a client_credentials token in ``Authorization: Bearer``."""
    client.headers["Authorization"] = f"Bearer {await get_token(client)}"
    return client


@pytest.fixture
def live_sandbox(sandbox_app) -> Iterator[str]:
    """The sandbox served by uvicorn on a free loopback port; yields its base URL."""
    server = BackgroundServer(sandbox_app).start()
    try:
        yield server.url
    finally:
        server.stop()
