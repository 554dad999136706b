"""``flowtui`` run as a user runs it: a real process in a pseudo-terminal (80x24), driven by
key bytes, watched through what it draws (escape sequences stripped)."""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# CSI, OSC / DCS / APC / PM / SOS strings, and two-byte escapes (as benchmarks/startup.py).
ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"
    r"|\x1b[\]P_^X][^\x07\x1b]*(?:\x07|\x1b\\)?"
    r"|\x1b[()*+][0-~]"
    r"|\x1b[ -/]*[0-~]"
)
KEYS = {"ctrl+s": b"\x13", "ctrl+q": b"\x11", "end": b"\x05", "escape": b"\x1b"}


def strip(text: str) -> str:
    return ESCAPES.sub("", text).replace("\r", "")


class Terminal:
    """``python -m flowtui ARGS`` in a pty of its own."""

    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        full = dict(os.environ, TERM="xterm-256color", COLUMNS="80", LINES="24")
        full.update(env or {})
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "flowtui", *args],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=full,
            cwd=REPO,
            start_new_session=True,
            close_fds=True,
        )
        os.close(slave)
        self.output = bytearray()
        self.mark = 0

    def text(self, since: int = 0) -> str:
        return strip(bytes(self.output[since:]).decode("utf-8", "replace"))

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return True
        try:
            chunk = os.read(self.master, 65536)
        except OSError:  # EIO: the program is gone
            return False
        self.output += chunk
        return bool(chunk)

    def wait_for(self, marker: str, timeout: float = 20) -> None:
        """Until ``marker`` is drawn (after the last ``wait_for``); fails with the screen."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            window = self.text(max(0, self.mark - 4096))
            if marker in window:
                self.mark = len(self.output)
                return
            if not self._read(min(0.1, max(0.0, deadline - time.monotonic()))):
                break
        tail = re.sub(r" {2,}", " ", self.text())[-1500:]
        raise AssertionError(f"{marker!r} never appeared; last output:\n{tail}")

    def press(self, *keys: str) -> None:
        for key in keys:
            os.write(self.master, KEYS.get(key, key.encode()))
            time.sleep(0.05)
            self._read(0)

    def kill(self) -> int:
        """SIGKILL, as a crash or ``kill -9`` would."""
        self.proc.send_signal(signal.SIGKILL)
        return self.proc.wait(10)

    def quit(self, timeout: float = 10) -> int:
        """ctrl+q, then the exit status (SIGKILL if it would not quit)."""
        self.press("ctrl+q")
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < deadline:
            self._read(0.1)
        if self.proc.poll() is None:
            self.kill()
        return self.proc.returncode

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        with contextlib.suppress(OSError):
            os.close(self.master)
