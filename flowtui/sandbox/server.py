"""Serving the sandbox over real HTTP with uvicorn: in the foreground (``flowtui sandbox``, and
the child process of ``flowtui --demo``) or on a background thread with its own event loop
(tests, benchmarks).

The listening socket is bound before uvicorn starts (``listen.bind``), so an occupied port
gives one clear sentence instead of a traceback and port 0 picks a free port whose number is
known.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import socket
import ssl
import threading
from collections.abc import Callable, Iterator

import uvicorn
from starlette.applications import Starlette

from flowtui.sandbox.config import SandboxConfig
from flowtui.sandbox.faults import Dropped
from flowtui.sandbox.listen import PortInUse, base_url, bind
from flowtui.sandbox.protocol import protocol_for

__all__ = [
    "BackgroundServer",
    "PortInUse",
    "Tls",
    "base_url",
    "bind",
    "check_tls",
    "running",
    "serve_forever",
]


#: A certificate and its private key (PEM files) to serve HTTPS with.
Tls = tuple[str, str]


def check_tls(tls: Tls) -> None:
    """Raise ``OSError`` with one sentence when the certificate or key cannot be used."""
    cert, key = tls
    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(cert, key)
    except (OSError, ssl.SSLError) as exc:
        reason = getattr(exc, "strerror", None) or getattr(exc, "reason", None) or exc
        message = f"Cannot use the TLS certificate {cert} with the key {key}: {reason}"
        raise OSError(message) from None


class _QuietDrops(logging.Filter):
    """Hide the tracebacks of connections the fault injector dropped on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], Dropped))


#: The largest request head (request line and headers) a client may send, bytes.
MAX_HEAD_BYTES = 16 * 1024
#: Connections (and their requests) served at once; beyond that uvicorn answers 503. It bounds
#: the memory many clients can make the sandbox hold.
MAX_CONCURRENCY = 64


def make_server(
    app: Starlette, log_level: str = "warning", tls: Tls | None = None
) -> uvicorn.Server:
    """A uvicorn server for ``app``; with ``tls`` (certificate, key) it speaks HTTPS.

    Timeouts come from the app's :class:`~flowtui.sandbox.config.SandboxConfig`: idle
    kept-alive connections, request heads (:mod:`~flowtui.sandbox.protocol`) and bodies."""
    sandbox: SandboxConfig = getattr(app.state, "config", None) or SandboxConfig()
    config = uvicorn.Config(
        app,
        log_level=log_level,
        access_log=False,
        lifespan="off",
        http=protocol_for(sandbox.head_timeout),
        h11_max_incomplete_event_size=MAX_HEAD_BYTES,
        timeout_keep_alive=sandbox.keep_alive_timeout,
        limit_concurrency=MAX_CONCURRENCY,
        timeout_graceful_shutdown=5,
        ssl_certfile=tls[0] if tls else None,
        ssl_keyfile=tls[1] if tls else None,
    )
    logging.getLogger("uvicorn.error").addFilter(_QuietDrops())
    return uvicorn.Server(config)


def serve_forever(
    app: Starlette,
    sock: socket.socket,
    announce: Callable[[], None] | None = None,
    tls: Tls | None = None,
) -> None:
    """Serve in the foreground until Ctrl-C or SIGTERM, then shut down gracefully.

    Our own handlers ask uvicorn to stop, and they are in place *before* ``announce`` prints
    the banner: a signal sent as soon as the banner appears (while uvicorn is still starting)
    is neither a KeyboardInterrupt traceback nor lost. uvicorn swaps in its handlers while it
    serves and re-raises the signal on the way out; ours absorb that too.
    """
    server = make_server(app, tls=tls)

    def stop(*_: object) -> None:
        server.should_exit = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        if announce is not None:
            announce()
        server.run(sockets=[sock])
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


class BackgroundServer:
    """The sandbox on a daemon thread with its own event loop, so callers never stall it."""

    def __init__(
        self, app: Starlette, host: str = "127.0.0.1", port: int = 0, tls: Tls | None = None
    ) -> None:
        self.app = app
        self.sock = bind(host, port)
        self.url = base_url(self.sock, tls=tls is not None)
        self.server = make_server(app, tls=tls)
        self.thread = threading.Thread(target=self._run, name="flowtui-sandbox", daemon=True)

    def _run(self) -> None:
        self.server.run(sockets=[self.sock])

    def start(self, timeout: float = 10.0) -> BackgroundServer:
        self.thread.start()
        ready = threading.Event()

        def poll() -> None:
            while not self.server.started and self.thread.is_alive():
                ready.wait(0.01)
            ready.set()

        poll()
        if not self.server.started:
            raise RuntimeError("the sandbox server did not start")
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self.server.should_exit = True
        self.thread.join(timeout)
        with contextlib.suppress(OSError):
            self.sock.close()

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()


@contextlib.contextmanager
def running(app: Starlette, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """``with running(app) as url:`` serves ``app`` on loopback for the block."""
    server = BackgroundServer(app, host, port).start()
    try:
        yield server.url
    finally:
        server.stop()
