"""The service's request path without its per-request extras (flowtui/api/wire.py): the same
URLs httpx would merge, no cookies kept or sent, and no garbage cycle per answer."""

from __future__ import annotations

import gc
from urllib.parse import quote

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flowtui.api.params import encode_query, list_params
from flowtui.api.rows import iter_customer_row_pages
from flowtui.api.service import ApiService
from flowtui.api.wire import NoCookies, root, whole
from tests.api.conftest import SEEDED

BASES = [
    "http://sandbox.test",
    "http://127.0.0.1:8080",
    "https://useast.api.elasticpath.com",
    "https://EXAMPLE.com:443/api/",
    "https://example.com:8443/some%20prefix",
    "https://bücher.example",
]

values = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40)


@settings(max_examples=150, deadline=None)
@given(
    base=st.sampled_from(BASES),
    segment=values,
    filters=st.lists(st.tuples(st.sampled_from(["eq", "like", "ge"]), values), max_size=3),
    sort=st.none() | values,
)
def test_whole_urls_are_the_urls_httpx_merges(base, segment, filters, sort) -> None:
    client = httpx.AsyncClient(base_url=base)
    path = f"/v2/flows/{quote(segment, safe='')}/entries"
    terms = [(op, "email", value.replace('"', "")) for op, value in filters]
    query = encode_query(list_params(terms, sort, 100, 0))
    relative = path + ("?" + query if query else "")
    merged = client.build_request("GET", relative).url
    url = client.build_request("GET", whole(root(client), path, query)).url
    assert url == merged
    assert url.raw_path == merged.raw_path and str(url) == str(merged)
    # A path without its leading slash is merged under the base all the same.
    assert client.build_request("GET", whole(root(client), path[1:], query)).url == merged


def test_no_cookie_is_kept_or_sent() -> None:
    cookies = httpx.Cookies(NoCookies())
    request = httpx.Request("GET", "https://store.test/v2/customers")
    answer = httpx.Response(
        200, headers={"Set-Cookie": "AWSALB=abc; Path=/"}, request=request, content=b"{}"
    )
    cookies.extract_cookies(answer)
    assert not cookies and list(cookies.jar) == []
    cookies.set("name", "value", domain="store.test")
    again = httpx.Request("GET", "https://store.test/v2/customers")
    cookies.set_cookie_header(again)
    assert "cookie" not in again.headers


async def test_the_service_sends_whole_urls_and_no_cookies(service: ApiService) -> None:
    seen: list[httpx.Request] = []

    async def hook(request: httpx.Request) -> None:
        seen.append(request)

    service.client.event_hooks["request"].append(hook)
    page = await service.list_customers(filters=[("like", "email", "*+x@*")], limit=5)
    assert page.total >= 0
    request = seen[-1]
    assert str(request.url).startswith("http://sandbox.test/v2/customers?")
    assert "%2B" in str(request.url)  # a + in a filter value reaches the store encoded
    assert "cookie" not in request.headers
    assert isinstance(service.client.cookies.jar, NoCookies)


@pytest.mark.parametrize("concurrency", [1, 4])
async def test_a_walk_leaves_no_cyclic_garbage(service: ApiService, concurrency: int) -> None:
    """Every answer is freed as soon as it is used: with the cyclic collector off for the
    whole walk, nothing of a response is left for it to find (an export can collect
    rarely and stay small)."""
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        count = 0
        async for page in iter_customer_row_pages(service, concurrency=concurrency):
            count += len(page)
        gc.collect()
        left = [type(o).__name__ for o in gc.garbage if type(o).__module__.startswith("httpx")]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert count == SEEDED
    assert left == []
