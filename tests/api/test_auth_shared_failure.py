"""Requests sent together share one login, and one failed login (issue 14, start-up): the
log-in check, the fields and the first page leave at once, so with a bad secret each would
otherwise log in again, one after another, once the one before had failed."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from flowtui.api.auth import MemoryTokenCache, Token
from flowtui.api.errors import AuthError
from flowtui.api.service import ApiService

from .conftest import LiveFactory, inprocess_service


def logins(service: ApiService) -> list[int]:
    """The status of every token request the service sends from now on."""
    seen: list[int] = []

    async def hook(response: httpx.Response) -> None:
        if response.request.url.path == "/oauth/access_token":
            seen.append(response.status_code)

    service.client.event_hooks["response"].append(hook)
    return seen


@pytest.mark.parametrize("latency", [0, 150])
async def test_a_bad_secret_costs_one_login_for_requests_sent_together(
    live_service_factory: LiveFactory, latency: int
) -> None:
    # Over loopback: requests sent together are really in flight together at 0 ms too.
    service = await live_service_factory(latency_ms=latency)
    service.auth._secret = "not-the-secret"
    seen = logins(service)
    answers = await asyncio.gather(
        service.verify(), service.list_fields(), service.list_flows(), return_exceptions=True
    )
    assert all(isinstance(a, AuthError) for a in answers), answers
    assert seen == [401]
    # A later request tries again (the store may accept the client by then): one login.
    with pytest.raises(AuthError):
        await service.list_flows()
    assert seen == [401, 401]


async def test_a_refused_cached_token_costs_one_login_for_requests_sent_together(sandbox_app):
    cache = MemoryTokenCache()
    cache.save(Token("refused-by-the-store", 4_102_444_800.0, "client_credentials"))
    async with inprocess_service(sandbox_app, token_cache=cache) as service:
        seen = logins(service)
        flows, fields, again = await asyncio.gather(
            service.list_flows(), service.list_fields(), service.list_flows()
        )
        assert flows == again and isinstance(fields, list)
        assert seen == [200] and service.auth.logins == 1
        assert cache.token is not None and cache.token.access_token != "refused-by-the-store"


async def test_a_good_cached_token_sends_no_login(sandbox_app):
    async with inprocess_service(sandbox_app) as first:
        token = await first.login()
    cache = MemoryTokenCache()
    cache.save(token)
    async with inprocess_service(sandbox_app, token_cache=cache) as service:
        seen = logins(service)
        await asyncio.gather(service.verify(), service.list_fields(), service.list_flows())
        assert seen == [] and service.auth.logins == 0 and service.transport.sent == 3
