"""Two faults the soak test (tests/soak) found, pinned down on their own.

- Tokens shorter than the renewal margin (60 s) were treated as expired the moment they
  arrived, so every request logged in again first, one at a time.
- A DELETE whose first attempt was carried out but whose answer was lost was repeated, met
  404, and told the user "not found" about a delete that had worked.
"""

from __future__ import annotations

import asyncio

from flowtui.sandbox.store import Store
from tests.conftest import make_sandbox

from .conftest import LiveFactory, inprocess_service
from .test_auth_faults import add_customers


async def test_a_five_second_token_serves_many_requests(store: Store) -> None:
    async with inprocess_service(make_sandbox(store, token_ttl=5)) as svc:
        await asyncio.gather(*(svc.list_flows() for _ in range(20)))
        for _ in range(5):
            await svc.list_customers()
        assert svc.auth.logins == 1
        token = svc.auth.token
        # Renewed after three quarters of its life, before the store refuses it.
        assert 0.9 < svc.auth.margin(token) <= 1.25
        svc.auth.clock = lambda: token.expires - 1.0
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
