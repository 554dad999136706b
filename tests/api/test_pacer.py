"""The pacer's arithmetic, on a fake clock (no sleeping)."""

from __future__ import annotations

import asyncio

import pytest

from flowtui.api.transport import Pacer


class Clock:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now


async def starts(pacer: Pacer, clock: Clock, count: int, monkeypatch) -> list[float]:
    """When each of ``count`` back-to-back requests would start."""

    async def fake_sleep(seconds: float) -> None:
        clock.now += seconds

    monkeypatch.setattr(asyncio, "sleep", fake_sleep)
    times = []
    for _ in range(count):
        await pacer.wait()
        times.append(round(clock.now - 100.0, 6))
    return times


async def test_burst_then_steady_rate(monkeypatch) -> None:
    clock = Clock()
    pacer = Pacer(20, clock=clock)
    assert pacer.burst == 4
    times = await starts(pacer, clock, 8, monkeypatch)
    assert times[:4] == [0.0, 0.0, 0.0, 0.0]
    assert times[4:] == [0.05, 0.1, 0.15, 0.2]


@pytest.mark.parametrize("rate", [1, 4, 20, 25, 100])
async def test_no_second_sees_more_than_rate_plus_burst(rate, monkeypatch) -> None:
    clock = Clock()
    pacer = Pacer(rate, clock=clock)
    times = await starts(pacer, clock, rate * 3, monkeypatch)
    for t in times:
        in_window = [u for u in times if t <= u < t + 1.0]
        assert len(in_window) <= rate + pacer.burst


async def test_idle_time_restores_the_burst_but_no_more(monkeypatch) -> None:
    clock = Clock()
    pacer = Pacer(20, clock=clock)
    await starts(pacer, clock, 10, monkeypatch)
    clock.now += 60  # a minute of silence
    start = clock.now
    times = await starts(pacer, clock, 6, monkeypatch)
    assert [round(t - (start - 100.0), 6) for t in times] == [0, 0, 0, 0, 0.05, 0.1]


async def test_no_rate_means_no_waiting(monkeypatch) -> None:
    clock = Clock()
    times = await starts(Pacer(None, clock=clock), clock, 50, monkeypatch)
    assert set(times) == {0.0}
