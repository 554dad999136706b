"""No garbage collection between a key and the frames that answer it.

CPython's collector runs when allocations pass a threshold, so it runs where the app
allocates most: while a key is handled and its frame is drawn (a form opening, a page swapped
into the table). A full collection walks every object the app keeps that is not frozen
(:func:`flowtui.ui.app.freeze_heap`): the page cache's customers and the cells of the rows
built ahead (widgets/customers/rows.py), Textual's line caches: 80,000 objects and more
after 20 page turns. In benchmarks/remote.py a full collection took 7 to 94 ms, came every two
seconds or so, and when one fell between a key and its frame that key took twice as long (the
editor's slow opens of issue 14, benchmarks/README.md).

:class:`CollectionGate` turns the collector off when a key (or a paste, a mouse press) comes
in and on again once the app has been quiet (no key, no frame) for :data:`QUIET` seconds, or
:data:`HOLD_LIMIT` seconds after the first key at the latest (keys held down, a spinner).
Turned on again, it lets the collector do at once, while nothing is waited for, what it put
off: CPython's own choice of generation, full collection included, made by one allocation.

The app's explicit collections (:func:`flowtui.ui.app.freeze_heap`: a full collection of
everything, 100-160 ms) wait for it too (:meth:`CollectionGate.when_quiet`).

Nothing is skipped, only moved: objects are freed by their reference counts as ever; only
cycles wait, for a second at most. A collector someone else turned off (the start-up pause
of flowtui/cli/app.py) is left alone.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Callable

#: Seconds without a key or a frame after which the collector may run again.
QUIET = 0.25
#: Seconds the collector is held at most from the first key of a run of them.
HOLD_LIMIT = 1.0


class CollectionGate:
    """See the module docstring. ``clock``: seconds (monotonic); ``quiet`` and ``hold_limit``
    (:data:`QUIET`, :data:`HOLD_LIMIT`) may be changed before a key."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.quiet = QUIET
        self.hold_limit = HOLD_LIMIT
        #: Whether this gate turned the collector off (and will turn it on again).
        self.holding = False
        self._since = 0.0
        self._last = 0.0
        self._check: asyncio.TimerHandle | None = None
        #: Times the gate turned the collector back on, and frames it heard of (tests).
        self.releases = 0
        self.frames = 0
        self.closed = False
        self._when_quiet: list[Callable[[], object]] = []

    def key(self) -> None:
        """A key (paste, mouse press) came in: hold the collector until it is answered."""
        now = self.clock()
        self._last = now
        if not self.holding:
            if self.closed or not gc.isenabled():
                return  # someone else's choice
            gc.disable()
            self.holding = True
            self._since = now
        if self._check is None:
            self._schedule(self.quiet)

    def frame(self) -> None:
        """A frame went out: the app is not quiet yet."""
        self.frames += 1
        if self.holding:
            self._last = self.clock()

    def _schedule(self, delay: float) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop (the app is gone): nothing to wait for
            self.release()
            return
        self._check = loop.call_later(max(delay, 0.0), self._due)

    def _due(self) -> None:
        self._check = None
        if not self.holding:
            return
        now = self.clock()
        quiet_at = self._last + self.quiet
        limit_at = self._since + self.hold_limit
        if now >= quiet_at or now >= limit_at:
            self.release()
        else:
            self._schedule(min(quiet_at, limit_at) - now)

    def when_quiet(self, work: Callable[[], object]) -> None:
        """Run ``work`` (an explicit collection: :func:`flowtui.ui.app.freeze_heap`) now, or,
        while a key is being answered, once the gate releases (dropped if the app closes)."""
        if self.holding:
            self._when_quiet.append(work)
        elif not self.closed:
            work()

    def release(self) -> None:
        """Turn the collector on again (if this gate turned it off), run what waited for
        it, and let the collector run now."""
        if self._check is not None:
            self._check.cancel()
            self._check = None
        if not self.holding:
            return
        self.holding = False
        self.releases += 1
        gc.enable()
        waiting, self._when_quiet = self._when_quiet, []
        for work in waiting:
            work()
        # One container allocated: CPython runs the collection that is due now (it counts
        # allocations; nothing was collected while held), rather than on the first
        # allocation of the next key or answer.
        _ = [None]

    def close(self) -> None:
        """The app is closing: the collector on again (if held), and held no more."""
        self.closed = True
        self._when_quiet.clear()
        self.release()
