"""The sandbox's listening socket, bound before anything heavy is imported (no uvicorn here):
``flowtui --demo`` binds it in the app's process and hands it to the sandbox's child process,
and an occupied port gives one clear sentence instead of a traceback.
"""

from __future__ import annotations

import errno
import socket


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


def base_url(sock: socket.socket, tls: bool = False) -> str:
    """``http://host:port`` (``https://`` with ``tls``) of a bound socket."""
    host, port = sock.getsockname()[:2]
    if ":" in host:
        host = f"[{host}]"
    return f"{'https' if tls else 'http'}://{host}:{port}"
