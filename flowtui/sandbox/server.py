"""Serving the sandbox over real HTTP with uvicorn: in the foreground (``flowtui sandbox``) or
on a background thread with its own event loop (tests, benchmarks, ``flowtui --demo``).

The listening socket is bound here, before uvicorn starts, so an occupied port gives one
clear sentence instead of a traceback and port 0 picks a free port whose number is known.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import signal
import socket
import threading
from collections.abc import Callable, Iterator

import uvicorn
from starlette.applications import Starlette

from flowtui.sandbox.app import _Dropped


class PortInUse(OSError):
    """The requested address is taken."""


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (port 0: any free port)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # uvicorn does not set TCP_NODELAY on connections accepted from a socket it was handed;
    # accepted sockets inherit it from the listener. Without it every keep-alive request
    # after the first stalls ~40 ms (Nagle against delayed ACK).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OverflowError:  # a port outside 0..65535
        sock.close()
        raise OSError(f"Cannot listen on {host}:{port}: a port is 0 to 65535") from None
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise PortInUse(
                f"Port {port} on {host} is already in use (another sandbox?): stop what is "
                "using it, or pick another port with --port (--port 0 picks a free one)"
            ) from None
        raise OSError(f"Cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def base_url(sock: socket.socket) -> str:
    """``http://host:port`` of a bound socket."""
    host, port = sock.getsockname()[:2]
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


class _QuietDrops(logging.Filter):
    """Hide the tracebacks of connections the fault injector dropped on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], _Dropped))


def make_server(app: Starlette, log_level: str = "warning") -> uvicorn.Server:
    config = uvicorn.Config(
        app,
        log_level=log_level,
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=5,
    )
    logging.getLogger("uvicorn.error").addFilter(_QuietDrops())
    return uvicorn.Server(config)


def serve_forever(
    app: Starlette, sock: socket.socket, announce: Callable[[], None] | None = None
) -> None:
    """Serve in the foreground until Ctrl-C or SIGTERM, then shut down gracefully.

    Our own handlers ask uvicorn to stop, and they are in place *before* ``announce`` prints
    the banner: a signal sent as soon as the banner appears (while uvicorn is still starting)
    is neither a KeyboardInterrupt traceback nor lost. uvicorn swaps in its handlers while it
    serves and re-raises the signal on the way out; ours absorb that too.
    """
    server = make_server(app)

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

    def __init__(self, app: Starlette, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self.sock = bind(host, port)
        self.url = base_url(self.sock)
        self.server = make_server(app)
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
