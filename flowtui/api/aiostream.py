"""The service's connections on asyncio's own streams (no Textual).

httpx sends through httpcore, whose default network layer goes through anyio: every read
and write of a connection opens an anyio cancel scope for its timeout and maps exceptions
through a table, and the pool's look at an idle connection ("has the store closed it?")
builds a dictionary of socket attributes each time. On a walk at no latency that was about
150 µs of a request's ~1.1 ms of client CPU. :class:`AsyncioBackend` is the same network
layer on asyncio streams (the loop flowtui runs on): a timeout is an ``asyncio.timeout``,
an error becomes the httpcore error anyio's layer raises for it (``ReadTimeout``,
``ConnectError``, ... chained to the original, so a failed certificate check is still
found), and TLS is the stream's ``start_tls``. :func:`use_asyncio` puts it under an httpx
transport; a transport it does not recognise is left as it is (still correct, only
slower).
"""

from __future__ import annotations

import asyncio
import contextlib
import select
import ssl
from collections.abc import Awaitable, Iterable
from typing import Any

import httpcore
import httpx
from httpcore import (
    ConnectError,
    ConnectTimeout,
    ReadError,
    ReadTimeout,
    WriteError,
    WriteTimeout,
)

#: (level, option, value) as httpcore passes socket options.
SocketOption = (
    tuple[int, int, int] | tuple[int, int, bytes | bytearray] | tuple[int, int, None, int]
)


def _readable(sock: Any) -> bool:
    """Whether ``sock`` has something to read (for an idle connection: the store closed it),
    as httpcore's own check decides it; a socket that is gone counts as readable."""
    fileno = -1 if sock is None else sock.fileno()
    if fileno < 0:
        return True
    poll = select.poll()
    poll.register(fileno, select.POLLIN)
    return bool(poll.poll(0))


class AsyncioStream(httpcore.AsyncNetworkStream):
    """One connection: an asyncio reader and writer."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader, self._writer = reader, writer
        self._socket = writer.get_extra_info("socket")

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        try:
            async with asyncio.timeout(timeout):
                return await self._reader.read(max_bytes)
        except TimeoutError as exc:
            raise ReadTimeout(str(exc) or "read timed out") from exc
        except OSError as exc:
            raise ReadError(str(exc) or type(exc).__name__) from exc

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        try:
            async with asyncio.timeout(timeout):
                if self._writer.is_closing():
                    raise ConnectionResetError("the connection is closed")
                self._writer.write(buffer)
                await self._writer.drain()
        except TimeoutError as exc:
            raise WriteTimeout(str(exc) or "write timed out") from exc
        except OSError as exc:
            raise WriteError(str(exc) or type(exc).__name__) from exc

    async def aclose(self) -> None:
        # As anyio's layer closes: no wait for the peer (a store that went silent cannot
        # hold the close up), the transport aborted after one turn of the loop.
        writer = self._writer
        if not writer.transport.is_closing():
            with contextlib.suppress(OSError, NotImplementedError, RuntimeError):
                if writer.can_write_eof():
                    writer.write_eof()
        writer.close()
        await asyncio.sleep(0)
        writer.transport.abort()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                await self._writer.start_tls(ssl_context, server_hostname=server_hostname)
        except TimeoutError as exc:
            await self.aclose()
            raise ConnectTimeout(str(exc) or "TLS handshake timed out") from exc
        except OSError as exc:  # ssl.SSLError (a failed certificate check) is one
            await self.aclose()
            raise ConnectError(str(exc) or type(exc).__name__) from exc
        self._socket = self._writer.get_extra_info("socket")
        return self

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":
            # asyncio reads ahead into the reader: what arrived (or the end) may be there
            # already rather than in the socket.
            reader = self._reader
            return (
                reader.at_eof() or bool(getattr(reader, "_buffer", b"")) or _readable(self._socket)
            )
        if info == "ssl_object":
            return self._writer.get_extra_info("ssl_object")
        if info == "client_addr":
            return self._writer.get_extra_info("sockname")
        if info == "server_addr":
            return self._writer.get_extra_info("peername")
        if info == "socket":
            return self._socket
        return None


async def _connect(
    opening: Awaitable[tuple[asyncio.StreamReader, asyncio.StreamWriter]],
    timeout: float | None,
    socket_options: Iterable[SocketOption] | None,
) -> AsyncioStream:
    """A stream of the connection ``opening`` makes, within ``timeout``, with the errors
    anyio's layer raises and ``socket_options`` set."""
    try:
        async with asyncio.timeout(timeout):
            reader, writer = await opening
    except TimeoutError as exc:
        raise ConnectTimeout(str(exc) or "connect timed out") from exc
    except OSError as exc:
        # anyio's words: asyncio tried every address the name resolved to.
        raise ConnectError("All connection attempts failed") from exc
    stream = AsyncioStream(reader, writer)
    for option in socket_options or ():
        stream._socket.setsockopt(*option)
    return stream


class AsyncioBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network layer on asyncio streams."""

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        local = (local_address, 0) if local_address else None
        return await _connect(
            asyncio.open_connection(host, port, local_addr=local), timeout, socket_options
        )

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        return await _connect(asyncio.open_unix_connection(path), timeout, socket_options)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


def use_asyncio(transport: httpx.AsyncHTTPTransport) -> bool:
    """Put :class:`AsyncioBackend` under ``transport``'s connection pool (before its first
    connection); False, and nothing changed, when the pool is not the one this knows."""
    pool = getattr(transport, "_pool", None)
    if type(pool) is not httpcore.AsyncConnectionPool or pool.connections:
        return False
    if not hasattr(pool, "_network_backend"):
        return False
    pool._network_backend = AsyncioBackend()
    return True


def http_transport(verify: ssl.SSLContext | bool = True) -> httpx.AsyncHTTPTransport:
    """The service's httpx transport (no retries of its own: the service's transport
    retries), on :class:`AsyncioBackend`."""
    transport = httpx.AsyncHTTPTransport(verify=verify, retries=0)
    use_asyncio(transport)
    return transport
