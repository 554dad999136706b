"""What the service tells its listeners after a write (or a read that revealed a newer
version), and the fan-out that delivers it (no Textual).

A listener that raises is never swallowed: every other listener still gets the change, and the
error goes to ``on_error`` (the app points it at its error funnel) or, without one, to the
``flowtui.api`` logger at ERROR with its traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from flowtui.api.models import Address, Customer, Entry, Field, Flow

#: What a change is about; "session" is the app's own "the session was renewed".
Resource = Literal["flow", "field", "entry", "customer", "address", "session"]
#: What happened to it.
Action = Literal["created", "updated", "deleted", "renewed"]
#: How flowtui learned of it: its own write, or a read that found a newer version.
Via = Literal["write", "read"]

log = logging.getLogger("flowtui.api")


@dataclass(frozen=True, slots=True)
class Change:
    """What changed: ``resource`` is flow, field, entry, customer or address; ``action`` is
    created, updated or deleted; ``flow_slug`` names the flow of a field or entry when known;
    ``item`` is the new model (None for a delete, except an address's: its item is the
    address as it was, or at least its id and ``customer_id``, so a view knows whose it
    was). ``via`` is "write", or "read" when a read revealed a newer version than one seen
    before."""

    resource: Resource
    action: Action
    id: str
    item: Flow | Field | Entry | Customer | Address | None = None
    flow_slug: str | None = None
    via: Via = "write"


Listener = Callable[[Change], None]
ErrorHook = Callable[[BaseException], None]


class Listeners:
    """The listeners of one service, each called with every :class:`Change`."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []
        #: Called with the exception a listener raised; None logs it on ``flowtui.api``.
        self.on_error: ErrorHook | None = None

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Add ``listener``; returns a function that removes it (harmless twice)."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    def emit(self, change: Change) -> None:
        """Give ``change`` to every listener; one that raises is reported, and the rest
        still hear about it."""
        for listener in list(self._listeners):
            try:
                listener(change)
            except Exception as exc:
                self._report(exc, listener, change)

    def _report(self, exc: Exception, listener: Listener, change: Change) -> None:
        hook = self.on_error
        if hook is not None:
            try:
                hook(exc)
                return
            except Exception:
                log.exception("The listener error hook %r failed", hook)
        # Names and kinds only: a change's item may hold customer data, never logged here.
        log.error(
            "Change listener %s failed on %s %s %s",
            getattr(listener, "__qualname__", type(listener).__name__),
            change.resource,
            change.action,
            change.id,
            exc_info=exc,
        )
