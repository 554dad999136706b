"""Authentication and fault handling against the real sandbox, mostly over loopback HTTP.

Servers are started by ``live_service_factory`` (always stopped); faults come from the
sandbox's own injection (token lifetimes, rate limits, 500/503 answers, dropped
connections, latency). With ``prelogin`` the token is issued by a fault-free sandbox on the
same store, so the faults hit only the requests under test.
"""

from __future__ import annotations

import asyncio
import socket
import time
import traceback

import httpx
import pytest

from flowtui.api.auth import EXPIRY_MARGIN, MemoryTokenCache, Token
from flowtui.api.errors import (
    AuthError,
    ForbiddenError,
    NetworkError,
    RateLimitedError,
    ServerError,
)
from flowtui.api.service import ApiService
from flowtui.api.transport import RetryNotice, RetryPolicy
from flowtui.sandbox import demo
from flowtui.sandbox.store import Store
from tests.conftest import CLIENT_ID, CLIENT_SECRET, make_sandbox

from .conftest import FAST, LiveFactory, inprocess_service


def statuses(service: ApiService) -> list[tuple[str, str, int]]:
    """(method, path, status) of every response the service receives from now on, logins
    and repeats included."""
    seen: list[tuple[str, str, int]] = []

    async def hook(response: httpx.Response) -> None:
        seen.append((response.request.method, response.request.url.path, response.status_code))

    service.client.event_hooks["response"].append(hook)
    return seen


def revoke(store: Store) -> None:
    """Invalidate every access token, as a store restart or a revocation does."""
    with store._lock:
        store.db.execute("DELETE FROM tokens")


def customers_with(store: Store, email: str) -> list[dict]:
    return [r for r in store.list_customers([], ("created_at", False), 10_000, 0)[0]
            if r["email"] == email]  # fmt: skip


async def add_customers(store: Store, n: int) -> list[str]:
    """Create ``n`` customers through a fault-free in-process sandbox on ``store``."""
    async with inprocess_service(make_sandbox(store)) as svc:
        return [
            (await svc.create_customer(name=f"Customer {i}", email=f"c{i}@example.com")).id
            for i in range(n)
        ]


LOGIN = ("POST", "/oauth/access_token", 200)


# -- tokens ---------------------------------------------------------------------------------


async def test_token_cached_and_reused(live_service_factory: LiveFactory) -> None:
    svc = await live_service_factory()
    seen = statuses(svc)
    for _ in range(10):
        await svc.list_flows()
    await asyncio.gather(*(svc.list_fields() for _ in range(10)))
    assert svc.auth.logins == 1
    assert svc.transport.sent == 21
    assert seen[0] == LOGIN
    assert seen[1:] == [("GET", "/v2/flows", 200)] * 10 + [("GET", "/v2/fields", 200)] * 10
    assert svc.auth.token.kind == "client_credentials"
    assert svc.is_sandbox is True


async def test_concurrent_first_requests_share_one_login(sandbox_app) -> None:
    async with inprocess_service(sandbox_app) as svc:
        seen = statuses(svc)
        await asyncio.gather(*(svc.list_flows() for _ in range(8)))
        assert svc.auth.logins == 1
        assert seen.count(LOGIN) == 1 and len(seen) == 9


async def test_login_uses_the_auth_clock(sandbox_app) -> None:
    async with inprocess_service(sandbox_app) as svc:
        first = await svc.login()
        assert svc.auth.logins == 1
        assert await svc.login() is first  # still valid: nothing sent
        assert svc.transport.sent == 2
        now = [time.time()]
        svc.auth.clock = lambda: now[0]
        now[0] = first.expires - EXPIRY_MARGIN  # renewal is due by the auth's own clock
        second = await svc.login()
        assert svc.auth.logins == 2
        assert second.access_token != first.access_token


async def test_token_restored_from_cache(sandbox_app) -> None:
    cache = MemoryTokenCache()
    async with inprocess_service(sandbox_app, token_cache=cache) as first:
        await first.list_flows()
        assert first.auth.logins == 1
    token = cache.load()
    assert token is not None and token.valid()
    async with inprocess_service(sandbox_app, token_cache=cache) as second:
        headers: list[str] = []

        async def hook(request: httpx.Request) -> None:
            headers.append(request.headers["authorization"])

        second.client.event_hooks["request"].append(hook)
        await second.list_flows()
        await second.list_customers()
        assert second.auth.logins == 0
        assert second.transport.sent == 2
        assert headers == [f"Bearer {token.access_token}"] * 2


async def test_nearly_expired_cached_token_is_renewed(sandbox_app) -> None:
    cache = MemoryTokenCache()
    cache.save(Token("stale-token", time.time() + EXPIRY_MARGIN - 1, "client_credentials"))
    async with inprocess_service(sandbox_app, token_cache=cache) as svc:
        seen = statuses(svc)
        await svc.list_flows()
        assert svc.auth.logins == 1
        assert seen == [LOGIN, ("GET", "/v2/flows", 200)]
        assert cache.load().access_token != "stale-token"


async def test_token_repr_hides_the_value() -> None:
    token = Token("very-secret-token-value", time.time() + 3600, "client_credentials")
    assert "very-secret-token-value" not in repr(token)


async def test_renewed_before_expiry(live_service_factory: LiveFactory) -> None:
    # Tokens live 61 s: EpccAuth renews them 60 s early, i.e. after one second. A clock the
    # test controls moves time on without waiting.
    svc = await live_service_factory(token_ttl=61)
    now = [time.time()]
    svc.auth.clock = lambda: now[0]
    seen = statuses(svc)
    await svc.list_flows()
    await svc.list_flows()
    assert svc.auth.logins == 1
    renew_at = svc.auth.token.expires - EXPIRY_MARGIN
    assert renew_at > now[0]
    now[0] = renew_at - 0.01
    await svc.list_flows()
    assert svc.auth.logins == 1
    now[0] = renew_at  # a minute before the store would refuse it
    await svc.list_flows()
    assert svc.auth.logins == 2
    assert svc.auth.token.expires - EXPIRY_MARGIN > time.time()
    assert seen == [
        LOGIN,
        ("GET", "/v2/flows", 200),
        ("GET", "/v2/flows", 200),
        ("GET", "/v2/flows", 200),
        LOGIN,
        ("GET", "/v2/flows", 200),
    ]  # renewed in time: the store never refused a token


async def test_expiry_mid_run_on_the_server(live_service_factory: LiveFactory) -> None:
    # The store's clock runs ahead of ours (a 2 s token that we think is fresh): the store
    # answers 401, the service logs in once more and repeats the request transparently.
    store = Store(":memory:")
    try:
        svc = await live_service_factory(store, token_ttl=2)
        svc.auth.clock = lambda: time.time() - 3600
        seen = statuses(svc)
        await svc.list_flows()
        first = svc.auth.token
        await asyncio.sleep(max(0.0, first.expires - time.time()) + 0.05)
        customer = await svc.create_customer(name="Tom Haverford", email="tom@example.com")
        assert svc.auth.logins == 2
        assert svc.auth.token.access_token != first.access_token
        assert seen == [
            LOGIN,
            ("GET", "/v2/flows", 200),
            ("POST", "/v2/customers", 401),
            LOGIN,
            ("POST", "/v2/customers", 201),
        ]
        assert [r["id"] for r in customers_with(store, "tom@example.com")] == [customer.id]
    finally:
        store.close()


async def test_revoked_token_one_relogin(live_service_factory: LiveFactory) -> None:
    store = Store(":memory:")
    try:
        svc = await live_service_factory(store)
        await svc.list_flows()
        revoke(store)
        seen = statuses(svc)
        flows = await svc.list_flows()
        assert flows == []
        assert svc.auth.logins == 2
        assert seen == [("GET", "/v2/flows", 401), LOGIN, ("GET", "/v2/flows", 200)]

        # Many requests meeting the same revoked token share a single new login.
        revoke(store)
        seen.clear()
        results = await asyncio.gather(*(svc.list_fields() for _ in range(8)))
        assert results == [[]] * 8
        assert svc.auth.logins == 3
        assert seen.count(LOGIN) == 1
        assert seen.count(("GET", "/v2/fields", 200)) == 8
    finally:
        store.close()


async def test_persistent_401_is_an_auth_error(sandbox_app) -> None:
    # A store that revokes every token as soon as it issues it: one re-login, then the 401
    # is reported.
    store = sandbox_app.state.store
    async with inprocess_service(sandbox_app) as svc:
        seen = statuses(svc)

        async def revoke_after_login(response: httpx.Response) -> None:
            if response.request.url.path == "/oauth/access_token":
                revoke(store)

        svc.client.event_hooks["response"].append(revoke_after_login)
        with pytest.raises(AuthError) as info:
            await svc.list_flows()
        assert info.value.status == 401
        assert info.value.errors[0].title == "Unable to validate access token"
        assert seen == [
            LOGIN,
            ("GET", "/v2/flows", 401),
            LOGIN,
            ("GET", "/v2/flows", 401),
        ]
        assert svc.auth.logins == 2


@pytest.mark.parametrize(
    ("client_id", "secret"),
    [(CLIENT_ID, "wrong-" + CLIENT_SECRET), ("someone-else", CLIENT_SECRET)],
)
async def test_bad_credentials(live_service_factory: LiveFactory, client_id, secret) -> None:
    svc = await live_service_factory()
    bad = ApiService(svc.base_url, client_id, secret, rate_limit=None, retry=FAST)
    try:
        with pytest.raises(AuthError) as info:
            await bad.list_flows()
        error = info.value
        assert error.status == 401
        assert error.summary == "401: Invalid client_id or client_secret"
        assert bad.transport.sent == 1  # a refused login is not retried
        assert bad.auth.logins == 0 and bad.auth.token is None
        everything = "".join(
            [str(error), repr(error), repr(bad), repr(bad.auth), *traceback.format_exception(error)]
        )
        assert secret not in everything
        assert CLIENT_SECRET not in everything
    finally:
        await bad.aclose()


async def test_read_only_uses_the_implicit_grant(
    live_service_factory: LiveFactory,
) -> None:
    store = Store(":memory:")
    try:
        assert demo.seed(store, 5)
        url = (await live_service_factory(store)).base_url
        ro = ApiService(url, CLIENT_ID, None, read_only=True, rate_limit=None, retry=FAST)
        try:
            flows = await ro.list_flows()
            assert {f.slug for f in flows} == {"addresses", "customers", "wishlists"}
            assert len(await ro.list_fields("customers")) == len(demo.CUSTOMER_FIELDS)
            assert (await ro.list_entries("wishlists")).total == 3
            assert ro.auth.token.kind == "implicit"
            assert repr(ro) == f"ApiService({url!r}, read_only=True)"
            some = store.list_customers([], ("created_at", False), 1, 0)[0][0]["id"]
            for call in (
                ro.list_customers(),
                ro.count_customers(),
                ro.get_customer(some),
                ro.create_customer(name="Mona-Lisa", email="mona@example.com"),
                ro.update_customer(some, {"name": "Changed"}),
                ro.delete_customer(some),
                ro.create_flow("Teams", "teams", ""),
                ro.update_flow(flows[0].id, name="Changed"),
                ro.create_entry("wishlists", {"title": "Nope"}),
            ):
                with pytest.raises(ForbiddenError) as info:
                    await call
                assert info.value.status == 403
            assert ro.auth.logins == 1
            assert store.count_customers() == 5
            assert {r["slug"] for r in store.list_flows()} == {
                "addresses",
                "customers",
                "wishlists",
            }
            assert store.get_customer(some)["name"] != "Changed"
        finally:
            await ro.aclose()
    finally:
        store.close()


# -- rate limits ----------------------------------------------------------------------------


async def test_429_bursts_are_retried(live_service_factory: LiveFactory) -> None:
    notices: list[RetryNotice] = []
    svc = await live_service_factory(rate_limit=5, options={"on_retry": notices.append})
    seen = statuses(svc)
    results = await asyncio.gather(*(svc.list_flows() for _ in range(12)))
    assert results == [[]] * 12
    # 429s are retried inside the transport: the client only ever sees the successes.
    assert seen == [LOGIN] + [("GET", "/v2/flows", 200)] * 12
    assert len(notices) >= 7  # the bucket holds 5: the login and 4 reads pass at first
    assert svc.transport.retries == len(notices)
    assert svc.transport.sent == 13 + len(notices)
    assert {n.reason for n in notices} == {"rate limited"}
    assert {n.delay for n in notices} == {1.0}  # the sandbox's Retry-After
    assert svc.auth.logins == 1


async def test_429_reported_when_retries_run_out(live_service_factory: LiveFactory) -> None:
    svc = await live_service_factory(
        rate_limit=1, prelogin=True, options={"retry": RetryPolicy(attempts=1)}
    )
    # The bucket holds one request: the first passes, the second is limited, and with a
    # single attempt allowed the 429 is reported.
    await svc.list_flows()
    with pytest.raises(RateLimitedError) as info:
        await svc.list_flows()
    assert info.value.status == 429
    assert info.value.retry_after == 1.0
    assert info.value.summary == "429: Rate limit exceeded; retry in 1 s"
    assert svc.transport.sent == 2 and svc.transport.retries == 0


async def test_long_retry_after_is_not_waited_for(live_service_factory: LiveFactory) -> None:
    svc = await live_service_factory(
        rate_limit=1,
        prelogin=True,
        options={"retry": RetryPolicy(base_delay=0.01, max_delay=0.05, max_retry_after=0.5)},
    )
    await svc.list_flows()
    start = time.monotonic()
    with pytest.raises(RateLimitedError) as info:
        await svc.list_flows()
    assert time.monotonic() - start < 0.5
    assert info.value.retry_after == 1.0
    assert svc.transport.sent == 2 and svc.transport.retries == 0


async def test_own_pacing_avoids_429(live_service_factory: LiveFactory) -> None:
    notices: list[RetryNotice] = []
    svc = await live_service_factory(
        rate_limit=5, options={"rate_limit": 4, "on_retry": notices.append}
    )
    seen = statuses(svc)
    start = time.monotonic()
    await asyncio.gather(*(svc.list_flows() for _ in range(9)))
    elapsed = time.monotonic() - start
    assert notices == [] and svc.transport.retries == 0
    assert [s for *_, s in seen] == [200] * 10  # the login and nine reads, no 429
    assert svc.transport.sent == 10
    assert elapsed >= 9 * 0.25 - 0.05  # ten starts, a quarter second apart


# -- server errors --------------------------------------------------------------------------


async def test_5xx_retried_for_idempotent_requests(live_service_factory: LiveFactory) -> None:
    store = Store(":memory:")
    try:
        ids = await add_customers(store, 6)
        notices: list[RetryNotice] = []
        svc = await live_service_factory(
            store, prelogin=True, fault_rate=0.3, fault_seed=3, options={"on_retry": notices.append}
        )
        seen = statuses(svc)
        for customer_id in ids[:3]:
            assert (await svc.get_customer(customer_id)).id == customer_id
        page = await svc.list_customers(sort="created_at")
        assert [c.id for c in page.items] == ids
        for i, customer_id in enumerate(ids[:3]):
            updated = await svc.update_customer(customer_id, {"name": f"Renamed {i}"})
            assert updated.name == f"Renamed {i}"
        for customer_id in ids[3:]:
            await svc.delete_customer(customer_id)

        assert notices, "the seed must produce some faults"
        assert all(s[2] in (200, 204) for s in seen)
        assert svc.transport.retries == len(notices)
        assert svc.transport.sent == 10 + len(notices)
        assert {n.reason for n in notices} <= {"HTTP 500", "HTTP 503"}
        assert {n.method for n in notices} <= {"GET", "PUT", "DELETE"}
        assert svc.auth.logins == 0
        rows = store.list_customers([], ("created_at", False), 100, 0)[0]
        assert [(r["id"], r["name"]) for r in rows] == [(ids[i], f"Renamed {i}") for i in range(3)]
    finally:
        store.close()


async def test_token_request_is_retried_after_5xx(live_service_factory: LiveFactory) -> None:
    # With fault_seed=1 the sandbox's first draw (0.13) is below 0.5: the very first request,
    # the token POST, is answered 5xx. Asking for a token again is harmless, so it is retried.
    notices: list[RetryNotice] = []
    svc = await live_service_factory(
        fault_rate=0.5, fault_seed=1, options={"on_retry": notices.append}
    )
    flows = await svc.list_flows()
    assert flows == []
    assert svc.auth.logins == 1
    assert notices and notices[0].path == "/oauth/access_token"
    assert notices[0].method == "POST" and notices[0].reason in ("HTTP 500", "HTTP 503")


async def test_5xx_on_post_is_not_retried(live_service_factory: LiveFactory) -> None:
    store = Store(":memory:")
    try:
        notices: list[RetryNotice] = []
        svc = await live_service_factory(
            store, prelogin=True, fault_rate=1.0, fault_seed=1, options={"on_retry": notices.append}
        )
        with pytest.raises(ServerError) as info:
            await svc.create_customer(name="Jean-Ralphio", email="jr@example.com")
        assert info.value.status in (500, 503)
        assert info.value.method == "POST"
        assert svc.transport.sent == 1 and notices == []
        # Faults strike before processing: nothing was created.
        assert store.count_customers() == 0
        with pytest.raises(ServerError):
            await svc.create_flow("Teams", "teams", "")
        assert svc.transport.sent == 2 and store.list_flows() == []

        # An idempotent request is tried policy.attempts times, then the 5xx is reported.
        with pytest.raises(ServerError):
            await svc.list_flows()
        assert svc.transport.sent == 2 + FAST.attempts
        assert len(notices) == FAST.attempts - 1
    finally:
        store.close()


# -- broken connections -----------------------------------------------------------------------


async def test_dropped_post_is_not_repeated(live_service_factory: LiveFactory) -> None:
    store = Store(":memory:")
    try:
        notices: list[RetryNotice] = []
        svc = await live_service_factory(
            store, prelogin=True, drop_rate=1.0, options={"on_retry": notices.append}
        )
        with pytest.raises(NetworkError) as info:
            await svc.create_customer(name="Perd Hapley", email="perd@example.com")
        assert info.value.method == "POST" and info.value.path == "/v2/customers"
        error = info.value
        assert error.errors[0].title == "The connection to the store broke"
        assert str(error).startswith(
            f"The connection to {svc.base_url} broke during POST /v2/customers "
            "(RemoteProtocolError: "
        )
        assert svc.transport.sent == 1 and notices == []
        # The store processed it before the connection broke: exactly one such customer.
        assert len(customers_with(store, "perd@example.com")) == 1
        assert store.count_customers() == 1
    finally:
        store.close()


async def test_dropped_get_is_retried(live_service_factory: LiveFactory) -> None:
    store = Store(":memory:")
    try:
        ids = await add_customers(store, 3)
        notices: list[RetryNotice] = []
        svc = await live_service_factory(
            store, prelogin=True, drop_rate=0.5, fault_seed=1, options={"on_retry": notices.append}
        )
        for _ in range(4):
            page = await svc.list_customers(sort="created_at")
            assert [c.id for c in page.items] == ids
        assert (await svc.get_customer(ids[0])).id == ids[0]
        updated = await svc.update_customer(ids[1], {"name": "Dropped but done"})
        assert updated.name == "Dropped but done"
        assert notices, "the seed must drop some connections"
        assert {n.reason for n in notices} == {"connection lost"}
        assert svc.transport.sent == 6 + len(notices)
        assert store.get_customer(ids[1])["name"] == "Dropped but done"
    finally:
        store.close()


async def test_connection_refused() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # Nothing listens on the port now.
    notices: list[RetryNotice] = []
    svc = ApiService(
        f"http://127.0.0.1:{port}",
        CLIENT_ID,
        CLIENT_SECRET,
        rate_limit=None,
        retry=FAST,
        on_retry=notices.append,
    )
    try:
        with pytest.raises(NetworkError) as info:
            await svc.list_flows()
    finally:
        await svc.aclose()
    error = info.value
    assert error.errors[0].title == "Cannot reach the store"
    assert str(error) == (
        f"Cannot connect to http://127.0.0.1:{port} (ConnectError: All connection attempts failed)"
    )
    assert error.method == "GET" and error.path == "/v2/flows"
    assert CLIENT_SECRET not in str(error)
    # Refused connects are safe to retry, the login POST included.
    assert svc.transport.sent == FAST.attempts
    assert [n.reason for n in notices] == ["cannot connect"] * (FAST.attempts - 1)
    assert [n.path for n in notices] == ["/oauth/access_token"] * (FAST.attempts - 1)


async def test_timeouts(live_service_factory: LiveFactory) -> None:
    store = Store(":memory:")
    try:
        svc = await live_service_factory(
            store,
            prelogin=True,
            latency_ms=1500,
            options={
                "timeout": httpx.Timeout(0.2),
                "retry": RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.02),
            },
        )
        start = time.monotonic()
        with pytest.raises(NetworkError) as info:
            await svc.list_flows()
        assert time.monotonic() - start < 1.5
        assert info.value.errors[0].title == "The store did not answer in time"
        assert (
            str(info.value) == f"{svc.base_url} did not answer GET /v2/flows in time (ReadTimeout)"
        )
        assert svc.transport.sent == 3  # a GET is retried

        with pytest.raises(NetworkError) as info:
            await svc.create_customer(name="Craig Middlebrooks", email="craig@example.com")
        assert info.value.errors[0].title == "The store did not answer in time"
        assert svc.transport.sent == 4  # a POST is not
    finally:
        store.close()
