"""The sandbox as a local server that web pages cannot use: the Host header must name the
address the request arrived at (a DNS-rebinding page sends its own name), and a request body
must arrive within a deadline (a client that declares a body and never sends it does not keep
a handler waiting). A client that hangs up while its body is read (an interrupted import
cancelling its POSTs) has no one to answer: the request ends quietly, with no traceback logged.

:class:`HostGuard` is the outermost ASGI layer of the app. The address a request arrived at is
the ASGI scope's ``server``: the listening socket's local address for uvicorn (the LAN address
a client used when the sandbox listens on 0.0.0.0), the URL's host for an in-process client.
"""

from __future__ import annotations

import asyncio
import ipaddress

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from flowtui.sandbox.config import SandboxConfig
from flowtui.sandbox.errors import SandboxError, envelope_bytes, error

#: Names that reach a sandbox listening on a loopback address.
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
DEFAULT_PORTS = {"http": 80, "https": 443}


def split_host(value: str) -> tuple[str, int | None] | None:
    """``(name, port)`` of a Host header (``[::1]:8710``, ``localhost``); None if malformed."""
    value = value.strip().lower()
    if value.startswith("["):
        end = value.find("]")
        if end < 0:
            return None
        name, rest = value[1:end], value[end + 1 :]
        if rest and not rest.startswith(":"):
            return None
        port = rest[1:] if rest else None
    elif value.count(":") > 1:
        return None
    else:
        name, colon, port_text = value.partition(":")
        port = port_text if colon else None
    if port is not None and not (port.isdigit() and len(port) <= 5):
        return None
    return name.rstrip("."), int(port) if port is not None else None


def is_loopback(name: str) -> bool:
    """Whether ``name`` is a loopback address (or ``localhost``)."""
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def host_problem(scope: Scope, allowed: tuple[str, ...]) -> str | None:
    """Why the request's Host header is refused, or None when it names the served address.

    Accepted: the address the request arrived at, with its port; ``localhost`` and the other
    loopback addresses when that address is a loopback one; and the names in ``allowed``
    (``--allow-host``) on any port. A request without a Host header (HTTP/1.0) is accepted: no
    browser sends one.
    """
    server = scope.get("server")
    host = next((v for k, v in scope.get("headers", []) if k == b"host"), None)
    if server is None or host is None:
        return None
    text = host.decode("latin-1")
    parsed = split_host(text)
    if parsed is None:
        return f"The Host header {text!r} is malformed"
    name, port = parsed
    if name in {a.lower().rstrip(".") for a in allowed}:
        return None
    default = DEFAULT_PORTS.get(scope.get("scheme", "http"))
    served_name, served_port = str(server[0]).lower(), server[1] or default
    port = port or default
    names = {served_name} | (LOOPBACK_NAMES if is_loopback(served_name) else set())
    if port == served_port and name in names:
        return None
    return (
        f"The Host header {text!r} is not an address this sandbox serves; a web page "
        "reaching it through another name is refused (start it with --allow-host NAME to "
        "accept a name)"
    )


def body_timeout(seconds: float) -> SandboxError:
    """408 for a body that did not arrive in time; the connection is closed after it."""
    detail = f"The request body did not arrive within {seconds:g} s"
    return SandboxError(
        408, [error(408, "Request Timeout", detail)], headers={"Connection": "close"}
    )


class HostGuard:
    """Refuses (400) requests whose Host header names another address, answers 408 when a
    request's body does not arrive within ``config.body_timeout`` seconds, and ends quietly a
    request whose client hung up mid-body."""

    def __init__(self, app: ASGIApp, config: SandboxConfig) -> None:
        self.app = app
        self.config = config

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        problem = host_problem(scope, self.config.allowed_hosts)
        if problem is not None:
            await answer(send, 400, "Bad Request", problem)
            return
        deadline = asyncio.get_running_loop().time() + self.config.body_timeout
        done = False

        async def timed_receive() -> Message:
            nonlocal done
            if done:
                return await receive()
            try:
                # asyncio.timeout, not wait_for: no task per message, so an in-process
                # request takes no more turns of the event loop than without the deadline.
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                # Raised inside the handler that reads the body: answered as a SandboxError.
                raise body_timeout(self.config.body_timeout) from None
            done = message["type"] != "http.request" or not message.get("more_body", False)
            return message

        try:
            await self.app(scope, timed_receive, send)
        except ClientDisconnect:
            # Raised by request.stream() when the client left mid-body: nobody to answer, and
            # not an error in the sandbox (uvicorn would log a traceback for it).
            return


async def answer(send: Send, status: int, title: str, detail: str) -> None:
    """An error envelope that closes the connection."""
    body = envelope_bytes([error(status, title, detail)])
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
