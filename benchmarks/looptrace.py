"""What the event loop ran during a timed action, for the benchmarks' ``--trace`` options
(off by default: installing it patches asyncio's ``Handle._run`` and Textual's message
dispatch for the life of the process).

For each window (:meth:`LoopTrace.start` .. :meth:`LoopTrace.stop`) it records:

* every callback the loop ran (``Handle._run``: a task step, a timer, a transport's read),
  with its start, wall and thread-CPU duration, the task's name and coroutine, and the Textual
  messages dispatched in it (node, message class; the callback of a ``Timer`` or
  ``Callback`` event) and the ``call_after_refresh`` callbacks flushed in it;
* the garbage collections (generation, duration, objects collected);
* the process's CPU (``time.process_time``), the main thread's CPU and the time it waited
  on a run queue for a core (``/proc/thread-self/schedstat``: run time, run-queue wait), the
  sandbox process's CPU (all its threads' schedstat), and the whole machine's busy time
  (``/proc/stat``, 10 ms ticks), so that "the app did more work" (its CPU) can be told from
  "the app waited for a core" (run-queue wait; others busy).
"""

from __future__ import annotations

import asyncio.events
import gc
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Callbacks shorter than this (seconds of wall) are counted, not listed.
LIST_OVER = 0.002


def _schedstat(path: str) -> tuple[int, int]:
    """(ns on a CPU, ns waiting on a run queue) from a schedstat file; zeros if unreadable."""
    try:
        run, wait, _ = Path(path).read_text().split()
        return int(run), int(wait)
    except (OSError, ValueError):
        return 0, 0


def _process_schedstat(pid: int) -> tuple[int, int]:
    run = wait = 0
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return 0, 0
    for tid in tids:
        r, w = _schedstat(f"/proc/{pid}/task/{tid}/schedstat")
        run, wait = run + r, wait + w
    return run, wait


def _machine_busy() -> tuple[int, int]:
    """(busy ticks, all ticks) of all CPUs from /proc/stat."""
    try:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return 0, 0
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return sum(values) - idle, sum(values)


def _name(obj: Any) -> str:
    return getattr(obj, "__qualname__", None) or type(obj).__name__


def _label(callback: Any) -> str:
    owner = getattr(callback, "__self__", None)
    if isinstance(owner, asyncio.Task):
        coro = owner.get_coro()
        return f"task {owner.get_name()} ({_name(coro)})"
    if owner is not None:
        return f"{type(owner).__name__}.{getattr(callback, '__name__', '?')}"
    return _name(callback)


@dataclass
class Slice:
    """One callback the loop ran."""

    at: float  # seconds from the window's mark (the key), negative before it
    wall: float
    cpu: float
    label: str
    messages: list[str] = field(default_factory=list)

    def text(self) -> str:
        what = f" [{'; '.join(self.messages[:12])}{' …' if len(self.messages) > 12 else ''}]"
        return (
            f"{self.at * 1000:+8.1f} ms  {self.wall * 1000:6.1f} wall {self.cpu * 1000:6.1f} cpu"
            f"  {self.label}{what if self.messages else ''}"
        )


class LoopTrace:
    """See the module docstring. One per process: :meth:`install` once, then windows."""

    def __init__(self, sandbox_pid: int | None = None) -> None:
        self.sandbox_pid = sandbox_pid
        self.recording = False
        self.slices: list[Slice] = []
        self.small = 0  # callbacks under LIST_OVER
        self.small_wall = 0.0
        self.small_cpu = 0.0
        self.collections: list[tuple[float, int, float, int]] = []  # at, gen, ms, collected
        #: Every full collection since install, in or out of a window: (perf_counter, ms).
        self.full_collections: list[tuple[float, float]] = []
        self._messages: list[str] | None = None
        self._gc_start = 0.0
        self._mark = 0.0
        self._begin: dict[str, Any] = {}

    def install(self) -> None:
        from textual.message_pump import MessagePump

        trace = self
        run = asyncio.events.Handle._run

        def traced_run(handle: asyncio.events.Handle) -> None:
            if not trace.recording:
                return run(handle)
            messages: list[str] = []
            outer, trace._messages = trace._messages, messages
            t0, c0 = time.perf_counter(), time.thread_time()
            try:
                return run(handle)
            finally:
                wall, cpu = time.perf_counter() - t0, time.thread_time() - c0
                trace._messages = outer
                if wall >= LIST_OVER:
                    trace.slices.append(
                        Slice(
                            t0 - trace._mark,
                            wall,
                            cpu,
                            _label(getattr(handle, "_callback", None)),
                            messages,
                        )
                    )
                else:
                    trace.small += 1
                    trace.small_wall += wall
                    trace.small_cpu += cpu

        asyncio.events.Handle._run = traced_run  # type: ignore[method-assign,assignment]

        dispatch = MessagePump._dispatch_message

        async def traced_dispatch(pump: MessagePump, message: Any) -> None:
            if trace._messages is not None:
                what = type(message).__name__
                callback = getattr(message, "callback", None)
                if callback is not None:
                    what += f"({_name(callback)})"
                name = getattr(pump, "id", None)
                node = f"{type(pump).__name__}{'#' + name if name else ''}"
                trace._messages.append(f"{node}:{what}")
            await dispatch(pump, message)

        MessagePump._dispatch_message = traced_dispatch  # type: ignore[method-assign,assignment]

        flush = MessagePump._flush_next_callbacks

        async def traced_flush(pump: MessagePump) -> None:
            if trace._messages is not None and pump._next_callbacks:
                names = ",".join(_name(c.callback) for c in pump._next_callbacks)
                trace._messages.append(f"{type(pump).__name__}:after_refresh({names})")
            await flush(pump)

        MessagePump._flush_next_callbacks = traced_flush  # type: ignore[method-assign,assignment]
        gc.callbacks.append(self._gc)

    def _gc(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._gc_start = time.perf_counter()
            return
        now = time.perf_counter()
        if info["generation"] == 2:
            self.full_collections.append((self._gc_start, (now - self._gc_start) * 1000))
        if self.recording:
            self.collections.append(
                (self._gc_start - self._mark, info["generation"], (now - self._gc_start) * 1000,
                 info.get("collected", 0))
            )  # fmt: skip

    def _counters(self) -> dict[str, Any]:
        return {
            "wall": time.perf_counter(),
            "cpu": time.process_time(),
            "thread": _schedstat("/proc/thread-self/schedstat"),
            "sandbox": _process_schedstat(self.sandbox_pid) if self.sandbox_pid else (0, 0),
            "machine": _machine_busy(),
        }

    def start(self) -> None:
        """Begin a window (before the pause that precedes the key)."""
        self.slices, self.collections = [], []
        self.small, self.small_wall, self.small_cpu = 0, 0.0, 0.0
        self._mark = time.perf_counter()
        self.recording = True

    def mark(self) -> None:
        """The key: offsets are from here; the counters start here."""
        mark = time.perf_counter()
        for s in self.slices:
            s.at -= mark - self._mark
        shift = mark - self._mark
        self.collections = [(at - shift, gen, ms, n) for at, gen, ms, n in self.collections]
        self._mark = mark
        self._begin = self._counters()

    def stop(self, end: float | None = None) -> dict[str, Any]:
        """End the window at ``end`` (a perf_counter stamp, e.g. the frame: the counters are
        read now); what it saw, as a dict."""
        done = self._counters()
        self.recording = False
        begin = self._begin
        wall = ((end or done["wall"]) - begin["wall"]) * 1000
        machine_busy = done["machine"][0] - begin["machine"][0]
        machine_all = done["machine"][1] - begin["machine"][1]
        return {
            "wall_ms": wall,
            "window_ms": (done["wall"] - begin["wall"]) * 1000,
            "cpu_ms": (done["cpu"] - begin["cpu"]) * 1000,
            "thread_cpu_ms": (done["thread"][0] - begin["thread"][0]) / 1e6,
            "runqueue_wait_ms": (done["thread"][1] - begin["thread"][1]) / 1e6,
            "sandbox_cpu_ms": (done["sandbox"][0] - begin["sandbox"][0]) / 1e6,
            "machine_busy_share": machine_busy / machine_all if machine_all else 0.0,
            "gc": [c for c in self.collections if c[0] >= 0],
            "slices": [s for s in self.slices if s.at >= 0],
            "before": [s for s in self.slices if s.at < 0],
            "small": (self.small, self.small_wall * 1000, self.small_cpu * 1000),
            "load": Path("/proc/loadavg").read_text().split()[0],
        }
