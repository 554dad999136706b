"""The service's connections on asyncio streams (flowtui/api/aiostream.py), over loopback
against the sandbox: what the pool needs of a connection (a store that closed an idle one
is seen, and the next request takes a new one), timeouts and refusals as httpcore's own
errors (tests/api/test_auth_faults.py and tests/api/test_tls.py hold the rest)."""

from __future__ import annotations

import asyncio
import socket
import time

import httpcore
import httpx
import pytest

from flowtui.api.aiostream import AsyncioBackend, AsyncioStream, http_transport, use_asyncio
from flowtui.api.errors import NetworkError
from flowtui.api.service import ApiService
from flowtui.api.transport import RetryPolicy
from tests.api.conftest import LiveFactory


def _backend(transport: httpx.AsyncBaseTransport) -> object:
    inner = getattr(transport, "inner", transport)
    return inner._pool._network_backend  # type: ignore[attr-defined]


def test_the_service_transport_runs_on_asyncio_streams() -> None:
    assert isinstance(_backend(http_transport(verify=False)), AsyncioBackend)
    assert use_asyncio(httpx.AsyncHTTPTransport()) is True
    # Anything else is left as it is.
    assert use_asyncio(httpx.ASGITransport(app=None)) is False  # type: ignore[arg-type]


async def test_a_connection_the_store_closed_while_idle_is_replaced(
    live_service_factory: LiveFactory,
) -> None:
    svc = await live_service_factory(keep_alive_timeout=1, prelogin=True)
    assert isinstance(_backend(svc.transport), AsyncioBackend)
    await svc.list_flows()
    pool = svc.transport.inner._pool  # type: ignore[attr-defined]
    [connection] = pool.connections
    deadline = time.monotonic() + 10
    while not connection.has_expired():  # the store closes it after a second idle
        assert time.monotonic() < deadline, "the closed connection was never seen"
        await asyncio.sleep(0.05)
    assert await svc.list_flows() == []  # an empty store, asked twice
    assert svc.transport.sent == 2  # no failed attempt on the dead connection
    assert [c for c in pool.connections if c is not connection]


async def test_reads_time_out_and_refusals_are_httpcore_errors(
    live_service_factory: LiveFactory,
) -> None:
    svc = await live_service_factory(prelogin=True, latency_ms=400)
    url = httpx.URL(svc.base_url)
    backend = AsyncioBackend()
    stream = await backend.connect_tcp(url.host, url.port or 80, timeout=5)
    assert isinstance(stream, AsyncioStream)
    assert stream.get_extra_info("server_addr")[1] == url.port
    assert stream.get_extra_info("is_readable") is False
    host = f"Host: 127.0.0.1:{url.port}".encode()
    await stream.write(b"GET /v2/flows HTTP/1.1\r\n" + host + b"\r\n\r\n", timeout=5)
    with pytest.raises(httpcore.ReadTimeout):  # the store answers 0.4 s later
        await stream.read(65536, timeout=0.05)
    assert (await stream.read(65536, timeout=5)).startswith(b"HTTP/1.1 401")
    await stream.aclose()
    with pytest.raises(httpcore.WriteError):
        await stream.write(b"x", timeout=1)
    with pytest.raises(httpcore.ConnectError, match="All connection attempts failed"):
        await backend.connect_tcp("127.0.0.1", _free_port(), timeout=5)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_a_refused_connection_is_one_sentence() -> None:
    url = f"http://127.0.0.1:{_free_port()}"
    svc = ApiService(url, "id", "secret", rate_limit=None, retry=RetryPolicy(attempts=1))
    try:
        with pytest.raises(NetworkError) as info:
            await svc.list_flows()
    finally:
        await svc.aclose()
    assert "(ConnectError: All connection attempts failed)" in str(info.value)
