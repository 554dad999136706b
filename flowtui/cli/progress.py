"""Progress of a long command (export, import, index sync) on stderr, where it never mixes
with the data a command writes to stdout.

On a terminal a ``rich.progress`` bar is redrawn in place: the bar, the share done, the count
and the rate. Anywhere else (a log file, a pipe, CI) a plain line is printed at 0, 25, 50, 75
and 100 %, so logs stay short. Either way the last line says how many were done and how long
it took. rich is imported only when a bar is drawn.
"""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from rich.progress import Progress as RichProgress
    from rich.progress import TaskID

#: Redraws of the bar at most this often (seconds); the last one is always drawn.
REDRAW = 0.1
BAR_WIDTH = 30


class Progress:
    """Called as ``progress(done, total)`` while the work goes on, then ``finish(done)``.

    Use it as a context manager (or call :meth:`close`) so that a failure stops the bar and
    gives the terminal its cursor back before the error is printed.
    """

    def __init__(self, noun: str, stream: TextIO | None = None, verb: str = "Exported") -> None:
        self.noun = noun
        self.verb = verb
        self.stream: TextIO = stream or sys.stderr
        self.tty = self.stream.isatty()
        # Built before the clock starts: importing rich is not part of the work timed.
        self._bar = _rich_bar(self.stream) if self.tty else None
        self._task: TaskID | None = None  # the bar's task, from the first draw until closed
        self.started = time.monotonic()
        self.last_draw = 0.0
        self.last_quarter = -1
        self.done: int | None = None  # the last count reported, None before the first

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def __call__(self, done: int, total: int) -> None:
        self.done = done
        now = time.monotonic()
        rate = done / max(now - self.started, 1e-6)
        share = done / total if total else 1.0
        if self._bar is not None:  # a terminal
            if now - self.last_draw < REDRAW and done < total:
                return
            self.last_draw = now
            self._draw(self._bar, done, total, share, rate)
        else:
            quarter = int(share * 4)
            if quarter > self.last_quarter:
                self.last_quarter = quarter
                print(f"{done:,}/{total:,} {self.noun} ({share:.0%})", file=self.stream, flush=True)

    def _draw(self, bar: RichProgress, done: int, total: int, share: float, rate: float) -> None:
        text = f"{share:4.0%} {done:,}/{total:,} {self.noun} {rate:,.0f}/s"
        # The bar is filled by share: an empty total (nothing to do) is a full bar.
        steps, filled = (total, done) if total else (1, 1)
        if self._task is None:
            self._task = bar.add_task("", total=steps, completed=filled, text=text)
            bar.start()
        else:
            bar.update(self._task, total=steps, completed=filled, text=text)
            bar.refresh()

    def close(self) -> None:
        """Stop drawing: the bar's last state stays on screen, the cursor comes back. Safe to
        call more than once, and when nothing was drawn."""
        if self._bar is not None and self._task is not None:
            self._bar.stop()
            self._bar.remove_task(self._task)
        self._task = None

    def finish(self, done: int) -> None:
        """Stop the bar and print the summary line: ``Exported 1,000 customers in 2.1 s``."""
        took = time.monotonic() - self.started
        self.close()
        print(f"{self.verb} {done:,} {self.noun} in {took:.1f} s", file=self.stream, flush=True)


def _rich_bar(stream: TextIO) -> RichProgress:
    """A bar, the share done, the count and the rate, drawn on ``stream`` when asked."""
    from rich.console import Console
    from rich.progress import BarColumn, TextColumn
    from rich.progress import Progress as RichProgress

    return RichProgress(
        BarColumn(bar_width=BAR_WIDTH),
        TextColumn("{task.fields[text]}", markup=False),
        console=Console(file=stream, highlight=False),
        auto_refresh=False,  # drawn by the calls, so no thread of its own
        redirect_stdout=False,  # stdout may be the data being written
        redirect_stderr=False,
    )
