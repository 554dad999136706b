"""Progress of a long command (export, import, index sync) on stderr, where it never mixes
with the data a command writes to stdout: redrawn in place on a terminal, a line at 0, 25,
50, 75 and 100 % anywhere else; the last line says how many were done and how long it took.
"""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import TextIO


class Progress:
    """A progress line on stderr: redrawn in place on a terminal, a few lines otherwise."""

    def __init__(self, noun: str, stream: TextIO | None = None, verb: str = "Exported") -> None:
        self.noun = noun
        self.verb = verb
        self.stream: TextIO = stream or sys.stderr
        self.tty = self.stream.isatty()
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
        if self.tty:
            if now - self.last_draw < 0.1 and done < total:
                return
            self.last_draw = now
            bar = "#" * int(share * 30)
            self.stream.write(
                f"\r[{bar:<30}] {share:4.0%} {done:,}/{total:,} {self.noun} {rate:,.0f}/s "
            )
            self.stream.flush()
        else:
            quarter = int(share * 4)
            if quarter > self.last_quarter:
                self.last_quarter = quarter
                print(f"{done:,}/{total:,} {self.noun} ({share:.0%})", file=self.stream, flush=True)

    def close(self) -> None:
        """Nothing to stop: the line is drawn by the calls."""

    def finish(self, done: int) -> None:
        took = time.monotonic() - self.started
        if self.tty:
            self.stream.write("\n")
        print(f"{self.verb} {done:,} {self.noun} in {took:.1f} s", file=self.stream, flush=True)
