"""Type-ahead: every key of a burst lands where it would have landed typed slowly.

Textual hands a key to the widget focused when the app reads it, and resolves the ordinary
(non-priority) bindings only once the key has bubbled back up to the app. Keys that arrive
together (over SSH, a paste of keystrokes, a fast typist on a slow store) are therefore all
handed to the widget focused before the first of them ran: ``tab`` then text puts the text
in the field just left, ``n`` then a name types the name into the table (where its letters
run the table's own keys), and text typed while a form opens is lost.

:class:`TypeAhead` puts the app's keys (and pastes) in one queue and hands them out in order:

- A key that no binding of the focus chain claims (text typed into an input) goes at once:
  it cannot move the focus, so the next key may follow it straight away.
- A key some binding claims (``tab``, ``enter``, ``n``, ``ctrl+s``) may move the focus or open
  a screen. The next key waits until this one has settled: a callback walks up the chain the
  key bubbles along (the focused widget, its ancestors, the screen, the app), one node after
  the other, so it runs behind the key at every node, and the walk repeats until a round
  finds every queue of the chain empty (what the key's handling posted has run: a deferred
  ``focus()``, a message a view posted to its screen, a screen pushed).
- While the screen on top is opening the keys wait for it: for any screen until its first
  events (compose, mount, the focus its ``on_mount`` asked for) have run; for a screen that
  says when it is ready (:class:`KeyReady`: a form still waiting for its fields), until it
  says so and calls :meth:`TypeAhead.poke`.
- A node of the focus chain may hold a key (:class:`KeyHold`): the customers view holds the
  keys typed in its table while the page asked for is loading (``/`` a search, enter, ``e``
  edits the customer found, not the one highlighted before), except the page keys, which
  only move the target. Held keys are tried again every :data:`HOLD_POLL` seconds.
- A node may say a key only moves a target (:class:`KeyMoves`: PgDn, PgUp, ``g``, ``G`` in
  the customers table move the page the browser goes to). Such a key cannot move the focus
  or open a screen, so the next key of that kind follows it at once, behind it in the same
  queues (five PgDn reach the view together and coalesce into one request for where they
  lead). The settling walk starts again after each of them; a key of another kind waits
  for it (``e`` after two PgDn acts on the page they lead to, once it is there).

Nothing waits forever: a key that has not settled after :data:`SETTLE_LIMIT` seconds, or a
screen not ready after :data:`READY_LIMIT` seconds, lets the next keys go where the focus is.

Two Textual internals are read here: a message pump's ``_message_queue`` (whether anything is
still queued at a node; :func:`has_pending` says "pending" when it cannot tell, which only
costs more rounds) and a screen's binding chain (which bindings may take a key, focused widget
first, the keys an input types left out: :func:`claims`, which falls back to the public but
slow ``active_bindings`` when it cannot read it). tests/ui/test_typeahead.py checks both still
tell.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, runtime_checkable
from weakref import WeakSet

from textual import events
from textual.app import App
from textual.binding import Binding
from textual.dom import DOMNode
from textual.message_pump import MessagePump
from textual.screen import Screen
from textual.timer import Timer

#: Rounds of the settling walk at most (a blinking cursor or a spinner keeps queues busy).
MAX_ROUNDS = 6
#: Seconds a key may take to settle before the next keys go anyway.
SETTLE_LIMIT = 1.0
#: Seconds a screen may take to become ready (or a node may hold a key) before the keys
#: waiting for it go anyway.
READY_LIMIT = 5.0
#: Seconds between two looks at a held key.
HOLD_POLL = 0.02

Typed = events.Key | events.Paste


@runtime_checkable
class KeyReady(Protocol):
    """A screen that says when it can take keys (a form whose fields are still loading).
    It calls ``TypeAhead.poke`` (``SessionApp.keys_ready``) once it can."""

    def accepts_keys(self) -> bool: ...


@runtime_checkable
class KeyHold(Protocol):
    """A node of the focus chain that may hold a key until it is ready for it."""

    def holds_key(self, key: str) -> bool: ...


@runtime_checkable
class KeyMoves(Protocol):
    """A node of the focus chain some of whose keys only move a target (the page to go to):
    they need no settling before the next key of their kind."""

    def moves_target(self, key: str) -> bool: ...


def has_pending(node: MessagePump) -> bool:
    """Whether ``node`` has messages queued (True when it cannot tell)."""
    queue = getattr(node, "_message_queue", None)
    empty = getattr(queue, "empty", None)
    return not callable(empty) or not empty()


def claims(screen: Screen[Any], key: str) -> list[Binding]:
    """The bindings that may take ``key`` on ``screen``, in the order Textual tries them:
    priority ones (app first), then the focus chain's (focused widget first, up to a modal
    screen), without the keys the focused input types. Read from Textual's binding chain
    without asking every node's ``check_action``, as ``active_bindings`` does (0.7 ms for each
    key of a burst, on the customers screen)."""
    full = getattr(screen, "_binding_chain", None)
    modal = getattr(screen, "_modal_binding_chain", None)
    if not isinstance(full, list) or not isinstance(modal, list):  # cannot tell: the slow way
        active = screen.active_bindings.get(key)
        return [] if active is None else [active.binding]
    first = [b for _, m in reversed(full) for b in m.key_to_bindings.get(key, ()) if b.priority]
    return first + [b for _, m in modal for b in m.key_to_bindings.get(key, ()) if not b.priority]


def action_of(screen: Screen[Any], key: str) -> str | None:
    """The action ``key`` runs on ``screen`` (its first binding's); None when none takes it."""
    found = claims(screen, key)
    return found[0].action if found else None


def chain_of(node: DOMNode) -> list[MessagePump]:
    """The nodes a key given to ``node`` bubbles through, ``node`` first, the app last."""
    return list(node.ancestors_with_self)


class TypeAhead:
    """The app's key queue (see the module docstring). ``deliver`` does what Textual does
    with a key the app reads (priority bindings, then the focused widget)."""

    def __init__(self, app: App[Any], deliver: Callable[[Typed], Awaitable[object]]) -> None:
        self.app = app
        self._deliver = deliver
        self.pending: deque[Typed] = deque()
        #: The walk in progress (0: none); a stale walk's callbacks do nothing.
        self._walk = 0
        self._walks = 0
        self._delivering = False
        self._settled: WeakSet[Screen[Any]] = WeakSet()
        self._forced: WeakSet[Screen[Any]] = WeakSet()
        self._settle_timer: Timer | None = None
        self._ready_timer: Timer | None = None
        self._waiting_for: Screen[Any] | None = None
        self._held: events.Key | None = None
        self._held_since = 0.0
        self._hold_timer: Timer | None = None
        #: The walk in progress settles keys that only move a target (KeyMoves): more of
        #: them may go before it ends.
        self._moving = False
        #: Keys handed out (tests and benchmarks read it).
        self.delivered = 0

    # -- the queue --------------------------------------------------------------------------

    async def take(self, event: Typed) -> None:
        """A key (or paste) the app read: queue it, and hand out what may go now."""
        self.pending.append(event)
        await self.pump()

    def poke(self) -> None:
        """Something the queue waits for may have happened (a form got its fields)."""
        self.app.call_later(self.pump)

    @property
    def idle(self) -> bool:
        """Nothing queued and nothing settling."""
        return not self.pending and not self._walk and not self._delivering

    async def pump(self) -> None:
        """Hand out queued keys, in order, as long as each may go now."""
        if self._delivering or (self._walk and not self._moving):
            return
        while self.pending:
            try:
                screen = self.app.screen
            except Exception:  # no screen yet (starting) or any more (exiting): as Textual
                screen = None
            target: DOMNode = self.app.focused or screen or self.app
            event = self.pending[0]
            moves = self.moves(event, target)
            if self._walk and not moves:
                return  # the target keys handed out settle first
            if screen is not None and not self.ready(screen):
                return
            if self.holding(event, target):
                return
            self.pending.popleft()
            command = (
                screen is not None
                and isinstance(event, events.Key)
                and bool(claims(screen, event.key))
            )
            self._delivering = True
            try:
                await self._deliver(event)
            finally:
                self._delivering = False
                self.delivered += 1
            if moves:
                # Walk again (behind this key too); the next target key need not wait for it.
                self.settle(chain_of(target), moving=True)
            elif command:
                self.settle(chain_of(target))
                return

    # -- readiness --------------------------------------------------------------------------

    def ready(self, screen: Screen[Any]) -> bool:
        """Whether ``screen`` may take keys now; if not, arrange to try again."""
        if screen in self._forced:
            return True
        if screen not in self._settled:
            self.settle([screen, self.app], settled=screen)
            return False
        if isinstance(screen, KeyReady) and not screen.accepts_keys():
            if self._waiting_for is not screen:
                self._waiting_for = screen
                if self._ready_timer is not None:
                    self._ready_timer.stop()
                self._ready_timer = self.app.set_timer(
                    READY_LIMIT, lambda: self._force(screen), name="typeahead.ready"
                )
            return False
        if self._waiting_for is screen:
            self._waiting_for = None
            if self._ready_timer is not None:
                self._ready_timer.stop()
                self._ready_timer = None
        return True

    def moves(self, event: Typed, target: DOMNode) -> bool:
        """Whether ``event`` only moves a target for a node of ``target``'s chain."""
        return isinstance(event, events.Key) and any(
            isinstance(node, KeyMoves) and node.moves_target(event.key)
            for node in target.ancestors_with_self
        )

    def holding(self, event: Typed, target: DOMNode) -> bool:
        """Whether a node of ``target``'s chain holds ``event`` now (then look again soon)."""
        if not isinstance(event, events.Key):
            return False
        holder = any(
            isinstance(node, KeyHold) and node.holds_key(event.key)
            for node in target.ancestors_with_self
        )
        now = time.monotonic()
        if event is not self._held:
            self._held, self._held_since = (event if holder else None), now
        if not holder or now - self._held_since > READY_LIMIT:
            return False
        if self._hold_timer is None:

            def again() -> None:
                self._hold_timer = None
                self.poke()

            self._hold_timer = self.app.set_timer(HOLD_POLL, again, name="typeahead.hold")
        return True

    def _force(self, screen: Screen[Any]) -> None:
        self._forced.add(screen)
        self._ready_timer = None
        self.poke()

    # -- settling walks -----------------------------------------------------------------------

    def settle(
        self,
        chain: list[MessagePump],
        settled: Screen[Any] | None = None,
        *,
        moving: bool = False,
    ) -> None:
        """Walk ``chain`` (bottom up) until a round finds it quiet, then hand out the next
        keys (``settled``: the screen that walk was about, now counted as opened).

        A round is quiet when no node of the chain but the app had anything queued, before
        or behind the walk's callback, and neither the focus nor the screen on top moved.
        (The app's own queue is always busy drawing; what the key queued there, a deferred
        ``focus()``, runs before the walk's next callback there, and moves the focus.) A
        screen pushed meanwhile ends the walk: that screen's own readiness decides next.
        ``moving``: the walk settles keys that only move a target (see :meth:`pump`)."""
        self._walks += 1
        walk = self._walk = self._walks
        self._moving = moving
        app = self.app
        top = app.screen

        def finish() -> None:
            if self._walk != walk:
                return
            self._walk = 0
            self._moving = False
            if self._settle_timer is not None:
                self._settle_timer.stop()
                self._settle_timer = None
            if settled is not None:
                self._settled.add(settled)
            self.poke()

        def busy_at(node: MessagePump) -> bool:
            return node is not app and has_pending(node)

        def hop(index: int, round_: int, busy: bool, focus: object) -> None:
            if self._walk != walk:
                return
            if settled is None and app.screen is not top:
                finish()  # a screen opened: its readiness decides (ready())
                return
            post(index + 1, round_, busy or busy_at(chain[index]), focus)

        def post(index: int, round_: int, busy: bool, focus: object) -> None:
            while index < len(chain):
                node = chain[index]
                busy = busy or busy_at(node)
                if node.call_later(hop, index, round_, busy, focus):
                    return
                index += 1
            busy = busy or app.focused is not focus
            # The first round only makes sure the key itself has run everywhere.
            if (busy or round_ == 1) and round_ < MAX_ROUNDS:
                post(0, round_ + 1, False, app.focused)
            else:
                finish()

        if self._settle_timer is not None:
            self._settle_timer.stop()
        self._settle_timer = app.set_timer(SETTLE_LIMIT, finish, name="typeahead.settle")
        post(0, 1, False, app.focused)
