"""Keeping N requests in flight, and never more (no Textual).

Every walk of a store (export, index sync, bulk "all matching", import look-ups) sends its
requests through :class:`Lanes`: a slot is held only while a request is on the wire (and in
the transport's pacer, which spaces starts to the profile's rate limit), never while waiting
for the reader to make room. So N slots mean N requests really in flight whenever there is
work, and the rate stays the profile's. :func:`gather_limited` runs independent jobs the same
way. Both count what they did in a :class:`FlightStats`, which tests and benchmarks read.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


@dataclass
class FlightStats:
    """What a walk or a batch of jobs did, for tests and benchmarks."""

    #: Requests (or jobs) started.
    requests: int = 0
    #: Requests on the wire now, and the most there ever were at once.
    in_flight: int = 0
    most_in_flight: int = 0


class Lanes:
    """At most ``size`` requests at a time; a slot is held only around one request."""

    def __init__(self, size: int, stats: FlightStats | None = None) -> None:
        self.size = max(1, size)
        self.stats = stats if stats is not None else FlightStats()
        self._free = asyncio.Semaphore(self.size)

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        async with self._free:
            self._take()
            try:
                yield
            finally:
                self.stats.in_flight -= 1

    async def run(self, call: Callable[[], Awaitable[T]]) -> T:
        """``await call()`` in a slot (:meth:`slot` without a generator: a walk runs one
        per request)."""
        async with self._free:
            self._take()
            try:
                return await call()
            finally:
                self.stats.in_flight -= 1

    def _take(self) -> None:
        """A slot is taken: counted, and the most in flight kept."""
        stats = self.stats
        stats.requests += 1
        stats.in_flight += 1
        stats.most_in_flight = max(stats.most_in_flight, stats.in_flight)


async def gather_limited(
    jobs: Sequence[Callable[[], Awaitable[None]]],
    limit: int,
    stats: FlightStats | None = None,
) -> None:
    """Run ``jobs`` with at most ``limit`` at a time (each job is taken by one worker as soon
    as one is free); the first failure cancels the rest, and no task outlives the call."""
    if not jobs:
        return
    lanes = Lanes(min(limit, len(jobs)), stats)
    pending = iter(jobs)

    async def worker() -> None:
        for job in pending:  # one shared iterator: each job runs once
            await lanes.run(job)

    tasks = [
        asyncio.create_task(worker(), name="flowtui.inflight.worker") for _ in range(lanes.size)
    ]
    try:
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
