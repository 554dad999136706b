"""uvicorn's h11 protocol with a deadline for a request's head.

uvicorn (0.55) closes a kept-alive connection that stays idle after an answer
(``timeout_keep_alive``), but a connection that sends nothing after connecting, or sends part of
a request's head and stops, stays open for ever: a few hundred of those exhaust the process's
file descriptors. :class:`HeadTimeoutProtocol` closes such a connection ``head_timeout`` seconds
after it connected, or after the first byte of a new request's head. Bodies have their own
deadline (:class:`flowtui.sandbox.guard.HostGuard`), and h11 caps a head's size
(``h11_max_incomplete_event_size``).

It is always h11, even when httptools is installed, so that these limits hold everywhere.
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol


class HeadTimeoutProtocol(H11Protocol):
    """Closes a connection whose request head does not arrive within ``head_timeout`` s."""

    #: Seconds a client has to send a request's head; set per server by ``protocol_for``.
    head_timeout: float = 10.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        # (uvicorn's own signature narrows BaseTransport to Transport.)
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.conn.their_state is h11.IDLE:
            self._arm()
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:
            self._disarm()

    def _arm(self) -> None:
        if self.head_timer is None:
            self.head_timer = self.loop.call_later(self.head_timeout, self._head_timed_out)

    def _disarm(self) -> None:
        if self.head_timer is not None:
            self.head_timer.cancel()
            self.head_timer = None

    def _head_timed_out(self) -> None:
        self.head_timer = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.close()


def protocol_for(head_timeout: float) -> type[HeadTimeoutProtocol]:
    """The protocol class a server with this head deadline uses."""
    return type("HeadTimeoutProtocol", (HeadTimeoutProtocol,), {"head_timeout": head_timeout})
