"""Two faults the soak test (tests/soak) found, pinned down on their own.

- Tokens shorter than the renewal margin (60 s) were treated as expired the moment they
  arrived, so every request logged in again first, one at a time.
- A request held up long enough (waiting out 429s) for its token to expire, and then the next
  one, ended in "not authenticated": the login screen, mid-session.
- A DELETE whose first attempt was carried out but whose answer was lost was repeated, met
  404, and told the user "not found" about a delete that had worked (also when a 401 came
  between the two attempts).
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from flowtui.api.service import ApiService
from flowtui.sandbox.store import Store
from tests.conftest import CLIENT_ID, CLIENT_SECRET, make_sandbox

from .conftest import BASE, LiveFactory, inprocess_service
from .test_auth_faults import add_customers, revoke


async def test_a_five_second_token_serves_many_requests(store: Store) -> None:
    async with inprocess_service(make_sandbox(store, token_ttl=5)) as svc:
        await asyncio.gather(*(svc.list_flows() for _ in range(20)))
        for _ in range(5):
            await svc.list_customers()
        assert svc.auth.logins == 1
        token = svc.auth.token
        # Renewed after three quarters of its life, before the store refuses it.
        # (A quarter of its life as we received it: the store's ``expires`` is whole seconds.)
        margin = svc.auth.margin(token)
        assert 0 < margin <= 1.25
        svc.auth.clock = lambda: token.expires - margin
        await svc.list_flows()
        assert svc.auth.logins == 2


async def test_delete_whose_answer_was_lost_succeeds(live_service_factory: LiveFactory) -> None:
    store = Store(":memory:")
    try:
        (customer_id,) = await add_customers(store, 1)
        # Seed 1: the first request's connection is dropped (after the delete was done),
        # the repeat goes through and finds nothing to delete.
        svc = await live_service_factory(store, prelogin=True, drop_rate=0.5, fault_seed=1)
        await svc.delete_customer(customer_id)
        assert svc.transport.sent == 2
        assert store.get_customer(customer_id) is None
    finally:
        store.close()


class Slow(httpx.AsyncBaseTransport):
    """Holds the first ``times`` API requests (not logins) ``delay`` seconds before sending
    them, as waiting out 429s does: long enough for their token to expire on the way."""

    def __init__(self, app: Any, delay: float, times: int) -> None:
        self.inner = httpx.ASGITransport(app=app)
        self.delay, self.times = delay, times

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path != "/oauth/access_token" and self.times > 0:
            self.times -= 1
            await asyncio.sleep(self.delay)
        return await self.inner.handle_async_request(request)


async def test_a_request_that_outlives_its_tokens_logs_in_again(store: Store) -> None:
    # One-second tokens; the request is held 1.1 s twice, so two tokens expire under it.
    # Each 401 is explained by the expiry, so the service logs in again (a refusal of a
    # token that is still fresh is retried once only: test_persistent_401_is_an_auth_error).
    app = make_sandbox(store, token_ttl=1)
    svc = ApiService(BASE, CLIENT_ID, CLIENT_SECRET, transport=Slow(app, 1.1, 2), rate_limit=None)
    async with svc:
        assert await svc.list_flows() == []
        assert svc.auth.logins >= 3


async def test_lost_delete_then_expired_token_still_succeeds(
    live_service_factory: LiveFactory,
) -> None:
    # The first attempt is carried out but its answer lost; before the repeat the token
    # stops working, so the repeat meets 401, logs in and is sent once more: the 404 it
    # gets still belongs to the first attempt. (Seed 13: only the first request dropped.)
    store = Store(":memory:")
    try:
        (customer_id,) = await add_customers(store, 1)
        svc = await live_service_factory(
            store,
            prelogin=True,
            drop_rate=0.5,
            fault_seed=13,
            options={"on_retry": lambda notice: revoke(store)},
        )
        await svc.delete_customer(customer_id)
        assert svc.auth.logins == 1  # the re-login (the token came from prelogin)
        assert store.get_customer(customer_id) is None
    finally:
        store.close()
