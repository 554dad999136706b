"""No garbage collection between a key and the frames that answer it (ui/collecting.py).

The editor's slow opens at 150 ms in benchmarks/remote.py (issue 14) were full collections,
20-90 ms each, started by the allocations of the open itself. Here the collector is made
eager (a collection every few allocations, as a low ``gc`` threshold makes it) while a key is
answered: with the gate, none of them may run before the answer's frame; once the app is
quiet the collector is on again and does at once what it put off."""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from flowtui.ui import collecting
from flowtui.ui.collecting import CollectionGate
from flowtui.ui.screens.customer_editor import EditCustomerScreen
from flowtui.ui.screens.main import MainScreen
from tests.ui.conftest import logged_in_app, until, wait_for_customers
from tests.ui.test_typeahead import LATENCIES, burst


@contextmanager
def eager_collector() -> Iterator[list[tuple[float, int]]]:
    """A collector that would run every 20 allocations; yields the automatic collections
    (time, generation) made meanwhile (an explicit ``gc.collect()`` is of generation 2 and
    not listed: the app freezes its heap with one)."""
    made: list[tuple[float, int]] = []

    def seen(phase: str, info: dict[str, Any]) -> None:
        if phase == "stop" and info["generation"] < 2:
            made.append((time.perf_counter(), info["generation"]))

    thresholds = gc.get_threshold()
    gc.callbacks.append(seen)
    gc.set_threshold(20, 10, 10)
    try:
        yield made
    finally:
        gc.set_threshold(*thresholds)
        gc.callbacks.remove(seen)


def keys_read(gate: CollectionGate) -> list[float]:
    """When the app read each key from now on (its gate heard of it)."""
    stamps: list[float] = []
    key = gate.key

    def stamped() -> None:
        stamps.append(time.perf_counter())
        key()

    gate.key = stamped  # type: ignore[method-assign]
    return stamps


def frames_of(app: Any) -> list[tuple[float, str, bool]]:
    """Each frame ``app`` hands the driver: when, the screen on top, whether the collector was
    on. Wraps the app's own ``_display`` (the gate's hook is inside it)."""
    frames: list[tuple[float, str, bool]] = []
    display = app._display

    def recorded(screen: Any, renderable: Any) -> None:
        display(screen, renderable)
        if renderable is not None:
            frames.append((time.perf_counter(), type(app.screen).__name__, gc.isenabled()))

    app._display = recorded
    return frames


@contextmanager
def held_until_released(gate: CollectionGate) -> Iterator[None]:
    """The gate releases only when told (a loaded machine may take longer than QUIET between
    two frames of an open: not what is tested here); then released, as when quiet."""
    gate.quiet = gate.hold_limit = 3600.0
    try:
        yield
    finally:
        gate.quiet, gate.hold_limit = collecting.QUIET, collecting.HOLD_LIMIT
        gate.release()


@LATENCIES
async def test_no_collection_between_e_and_the_editor_drawn(sandbox, latency):
    sandbox.state.config.latency_ms = latency
    app = logged_in_app(sandbox)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for_customers(pilot)
        gate = app.collections
        await until(pilot, lambda: not gate.holding)
        frames = frames_of(app)
        heard, released = gate.frames, gate.releases
        with eager_collector() as made:
            with held_until_released(gate):
                read = keys_read(gate)
                burst(app, "e")
                await until(pilot, lambda: any(n == "EditCustomerScreen" for _, n, _ in frames))
                key = read[0]
                shown = next(t for t, name, _ in frames if name == "EditCustomerScreen")
                during = [f for f in frames if key <= f[0] <= shown]
                assert during and not any(on for _, _, on in during)  # held at every frame
                assert not [c for c in made if key <= c[0] <= shown]
                assert gate.frames > heard  # Textual still hands its frames through _display
                assert isinstance(app.screen, EditCustomerScreen) and gate.holding
                after = time.perf_counter()
            # Released: on, and what was put off ran at once (one collection at least).
            assert gc.isenabled() and gate.releases == released + 1
            assert [c for c in made if c[0] > after]
        # And with the real delays: held by escape, released once the app is quiet.
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, MainScreen))
        await until(pilot, lambda: gate.releases == released + 2 and gc.isenabled())
    assert gc.isenabled()


async def test_no_collection_while_a_page_is_fetched_at_150_ms(sandbox):
    """``G`` (the last page, neither cached nor prefetched): the round trip is inside the
    hold (the app is not quiet while its loading frame is followed by the page's)."""
    sandbox.state.config.latency_ms = 150
    app = logged_in_app(sandbox)
    async with app.run_test(size=(120, 36)) as pilot:
        view = await wait_for_customers(pilot)
        gate = app.collections
        await until(pilot, lambda: not gate.holding)
        drawn = view.drawn_at
        with eager_collector() as made, held_until_released(gate):
            read = keys_read(gate)
            burst(app, "G")
            await until(pilot, lambda: view.drawn_at != drawn and view.page.offset > 0)
            assert gate.holding and not [c for c in made if read[0] <= c[0] <= view.drawn_at]
    assert gc.isenabled()


async def test_quitting_while_held_leaves_the_collector_on(sandbox):
    app = logged_in_app(sandbox)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for_customers(pilot)
        burst(app, "j")  # the journal: a screen to draw
        await until(pilot, lambda: app.collections.holding)
    assert gc.isenabled() and not app.collections.holding


async def test_the_gate_releases_when_quiet_or_at_its_limit():
    """On a clock of its own: quiet for QUIET seconds, or held HOLD_LIMIT seconds whatever
    comes in; a collector someone else turned off is left alone."""
    now = [0.0]
    gate = CollectionGate(clock=lambda: now[0])
    try:
        gate.key()
        assert gate.holding and not gc.isenabled()
        now[0] = collecting.QUIET / 2
        gate.frame()
        now[0] = collecting.QUIET
        gate._due()  # a frame since the key: not quiet yet
        assert gate.holding
        now[0] += collecting.QUIET
        gate._due()
        assert not gate.holding and gc.isenabled() and gate.releases == 1

        now[0] = 10.0
        gate.key()
        while now[0] < 10.0 + collecting.HOLD_LIMIT:  # a key every tenth of QUIET
            assert gate.holding
            now[0] += collecting.QUIET / 10
            gate.key()
            gate._due()
        assert not gate.holding and gc.isenabled() and gate.releases == 2

        gc.disable()
        gate.key()
        assert not gate.holding
        gate.release()
        assert not gc.isenabled()  # still someone else's choice
    finally:
        gate.close()
        gc.enable()
    await asyncio.sleep(0)


@pytest.mark.parametrize("closed", [False, True])
async def test_a_closed_gate_holds_nothing(closed):
    gate = CollectionGate()
    try:
        if closed:
            gate.close()
        gate.key()
        assert gate.holding is not closed
    finally:
        gate.close()
    assert gc.isenabled()


async def test_explicit_collections_wait_for_the_gate():
    """The app's heap freezes (a full collection each) run at once when nothing is held,
    else when the gate releases, and not at all once the app closes."""
    gate = CollectionGate()
    ran: list[str] = []
    try:
        gate.when_quiet(lambda: ran.append("now"))
        assert ran == ["now"]
        gate.key()
        gate.when_quiet(lambda: ran.append("later"))
        assert ran == ["now"] and gate.holding
        gate.release()
        assert ran == ["now", "later"]
        gate.key()
        gate.when_quiet(lambda: ran.append("never"))
        gate.close()
        gate.when_quiet(lambda: ran.append("never"))
        assert ran == ["now", "later"]
    finally:
        gate.close()
    assert gc.isenabled()
