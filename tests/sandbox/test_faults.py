"""Fault injection over real loopback HTTP: latency, 500/503 answers, rate limits, dropped
connections and short token lifetimes, as clients meet them against a real store.

Each test serves a sandbox with uvicorn on a free 127.0.0.1 port and always stops it. Tokens
are obtained from a fault-free app sharing the same store, so the faults hit only the
requests under test.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import time
from collections.abc import Iterator

import httpx
import pytest

from flowtui.sandbox.server import BackgroundServer
from flowtui.sandbox.store import Store
from tests.conftest import CLIENT_ID, CLIENT_SECRET, get_token, make_sandbox

SANDBOX_HEADER = "x-flowtui-sandbox"


@contextlib.contextmanager
def serve(store: Store, **config) -> Iterator[httpx.Client]:
    """A sandbox over ``store`` with ``config`` on a loopback port, and a client for it."""
    server = BackgroundServer(make_sandbox(store, **config)).start()
    try:
        with httpx.Client(base_url=server.url, timeout=10) as client:
            yield client
    finally:
        server.stop()


@pytest.fixture
def store() -> Iterator[Store]:
    store = Store(":memory:")
    try:
        yield store
    finally:
        store.close()


def token_for(store: Store) -> str:
    """A real client_credentials token, issued by a fault-free sandbox on the same store."""

    async def issue() -> str:
        transport = httpx.ASGITransport(app=make_sandbox(store))
        async with httpx.AsyncClient(transport=transport, base_url="http://sandbox.test") as c:
            return await get_token(c)

    return asyncio.run(issue())


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_envelope(response: httpx.Response, status: int) -> dict:
    """The answer is ``status`` in the error envelope, as JSON, marked as the sandbox's."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert SANDBOX_HEADER in response.headers
    body = response.json()
    assert isinstance(body["errors"], list) and body["errors"], body
    for err in body["errors"]:
        assert err["title"]
        assert err["status"] == status
    return body


CUSTOMER = {"data": {"type": "customer", "name": "Ann Perkins", "email": "ann@example.com"}}
FLOW = {
    "data": {
        "type": "flow",
        "name": "Wishlists",
        "slug": "wishlists",
        "description": "Lists",
        "enabled": True,
    }
}


# -- latency ------------------------------------------------------------------------------


def test_latency_delays_every_api_request(store):
    token = token_for(store)
    with serve(store, latency_ms=250) as client:
        for method, path in (("GET", "/v2/flows"), ("GET", "/v2/customers")):
            started = time.perf_counter()
            response = client.request(method, path, headers=auth(token))
            took = time.perf_counter() - started
            assert response.status_code == 200, response.text
            assert took >= 0.2, f"{method} {path} took {took:.3f} s"
        started = time.perf_counter()
        response = client.post(
            "/oauth/access_token",
            data={
                "grant_type": "client_credentials",
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
            },
        )
        assert response.status_code == 200
        assert time.perf_counter() - started >= 0.2


# -- 500 / 503 ----------------------------------------------------------------------------


def test_fault_rate_one_fails_every_api_request_and_writes_nothing(store):
    token = token_for(store)
    requests = [
        ("GET", "/v2/flows", None),
        ("POST", "/v2/flows", FLOW),
        ("POST", "/v2/customers", CUSTOMER),
        ("GET", "/v2/customers", None),
        ("PUT", "/v2/flows/00000000-0000-4000-8000-000000000000", FLOW),
        ("DELETE", "/v2/customers/00000000-0000-4000-8000-000000000000", None),
        ("POST", "/v2/fields", {"data": {"type": "field"}}),
        ("GET", "/v2/no-such-path", None),
    ]
    seen = collections.Counter()
    with serve(store, fault_rate=1.0) as client:
        for _ in range(3):
            for method, path, body in requests:
                response = client.request(method, path, json=body, headers=auth(token))
                assert response.status_code in (500, 503), (method, path, response.text)
                assert_envelope(response, response.status_code)
                seen[response.status_code] += 1
        # The token endpoint is an API request too: it is faulted and issues nothing.
        response = client.post(
            "/oauth/access_token",
            data={
                "grant_type": "client_credentials",
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
            },
        )
        assert_envelope(response, response.status_code)
        assert response.status_code in (500, 503)
        # The sandbox's own health check is never faulted.
        for _ in range(20):
            health = client.get("/_sandbox/health")
            assert health.status_code == 200
            assert health.json()["status"] == "ok"
            assert SANDBOX_HEADER in health.headers
    assert sum(seen.values()) == 3 * len(requests)
    # Faults are answered before processing: nothing was written.
    assert store.list_flows() == []
    assert store.list_fields() == []
    assert store.count_customers() == 0


def fault_statuses(store: Store, token: str, seed: int, n: int = 200) -> list[int]:
    with serve(store, fault_rate=0.3, fault_seed=seed) as client:
        return [client.get("/v2/flows", headers=auth(token)).status_code for _ in range(n)]


def test_fault_rate_share_is_plausible_and_seeded(store):
    token = token_for(store)
    statuses = fault_statuses(store, token, seed=1234)
    counts = collections.Counter(statuses)
    assert set(counts) <= {200, 500, 503}, counts
    faulted = counts[500] + counts[503]
    assert 0.15 * len(statuses) <= faulted <= 0.45 * len(statuses), counts
    assert counts[500] > 0 and counts[503] > 0, counts
    # The same seed injects the same faults in the same places.
    assert fault_statuses(store, token, seed=1234) == statuses


# -- rate limit ---------------------------------------------------------------------------


def test_rate_limit_answers_429_with_retry_after_then_recovers(store):
    token = token_for(store)
    with serve(store, rate_limit=5) as client:
        answers = [client.get("/v2/flows", headers=auth(token)) for _ in range(20)]
        statuses = [r.status_code for r in answers]
        assert set(statuses) <= {200, 429}, statuses
        assert statuses[0] == 200
        limited = [r for r in answers if r.status_code == 429]
        assert limited, "a burst of 20 requests at 5/s was never limited"
        for response in limited:
            assert_envelope(response, 429)
            retry_after = response.headers["retry-after"]
            assert retry_after.isdigit(), retry_after
            assert int(retry_after) >= 1
        # The health check is not rate limited.
        assert all(client.get("/_sandbox/health").status_code == 200 for _ in range(10))
        # A client that honours Retry-After gets through.
        time.sleep(int(limited[-1].headers["retry-after"]))
        response = client.get("/v2/flows", headers=auth(token))
        assert response.status_code == 200, response.text
        assert response.json() == {"data": []}


def test_slow_rate_limit_lets_the_first_request_through(store):
    """Below one request per second the bucket still holds one request at start, and the
    wait it asks for is a whole number of seconds covering the refill."""
    token = token_for(store)
    with serve(store, rate_limit=0.5) as client:
        first = client.get("/v2/flows", headers=auth(token))
        assert first.status_code == 200, first.text
        second = client.get("/v2/flows", headers=auth(token))
        assert_envelope(second, 429)
        assert int(second.headers["retry-after"]) >= 2


# -- dropped connections ------------------------------------------------------------------


def test_dropped_connection_applies_the_write_exactly_once(store):
    """A POST whose connection dropped was applied: a client must not repeat it."""
    token = token_for(store)
    with serve(store, drop_rate=1.0) as client:
        with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
            client.post("/v2/customers", json=CUSTOMER, headers=auth(token))
        # A read whose connection drops fails the same way.
        with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
            client.get("/v2/customers", headers=auth(token))
    rows, total = store.list_customers([], ("created_at", False), 100, 0)
    assert total == 1
    assert rows[0]["email"] == "ann@example.com"
    assert rows[0]["name"] == "Ann Perkins"

    # Without faults, the same store shows the customer once, and a repeat would conflict.
    with serve(store) as client:
        listed = client.get("/v2/customers", headers=auth(token))
        assert listed.status_code == 200
        assert [c["email"] for c in listed.json()["data"]] == ["ann@example.com"]
        again = client.post("/v2/customers", json=CUSTOMER, headers=auth(token))
        assert again.status_code == 409, again.text


def test_dropped_connection_on_update_still_applies_it(store):
    token = token_for(store)
    with serve(store) as client:
        created = client.post("/v2/flows", json=FLOW, headers=auth(token))
        assert created.status_code == 201, created.text
        flow_id = created.json()["data"]["id"]
    dropped = pytest.raises((httpx.RemoteProtocolError, httpx.ReadError))
    with serve(store, drop_rate=1.0) as client, dropped:
        client.put(
            f"/v2/flows/{flow_id}",
            json={"data": {"type": "flow", "name": "Renamed"}},
            headers=auth(token),
        )
    assert store.get_flow(flow_id)["name"] == "Renamed"
    assert len(store.list_flows()) == 1


def test_dropped_connection_on_delete_is_visible_and_applied(store):
    """A 204 has no body, yet its drop must still reach the client as a transport error."""
    token = token_for(store)
    with serve(store) as client:
        created = client.post("/v2/flows", json=FLOW, headers=auth(token))
        flow_id = created.json()["data"]["id"]
    dropped = pytest.raises((httpx.RemoteProtocolError, httpx.ReadError))
    with serve(store, drop_rate=1.0) as client, dropped:
        client.delete(f"/v2/flows/{flow_id}", headers=auth(token))
    assert store.get_flow(flow_id) is None
    # The client retries the idempotent DELETE and learns it is gone.
    with serve(store) as client:
        again = client.delete(f"/v2/flows/{flow_id}", headers=auth(token))
        assert_envelope(again, 404)


# -- token lifetime -----------------------------------------------------------------------


def test_short_token_ttl_expires_then_a_new_token_works(store):
    form = {"grant_type": "client_credentials", "client_id": CLIENT_ID}
    form["client_secret"] = CLIENT_SECRET
    with serve(store, token_ttl=1) as client:
        issued = client.post("/oauth/access_token", data=form)
        assert issued.status_code == 200, issued.text
        body = issued.json()
        assert body["expires_in"] == 1
        token = body["access_token"]
        assert client.get("/v2/flows", headers=auth(token)).status_code == 200
        # Wait until the token is past its `expires` (unix seconds), however it was rounded.
        while time.time() <= body["expires"] + 0.05:
            time.sleep(0.1)
        expired = client.get("/v2/flows", headers=auth(token))
        err = assert_envelope(expired, 401)["errors"][0]
        assert err["title"] == "Unable to validate access token"
        fresh = client.post("/oauth/access_token", data=form)
        assert fresh.status_code == 200
        new_token = fresh.json()["access_token"]
        assert new_token != token
        assert client.get("/v2/flows", headers=auth(new_token)).status_code == 200
