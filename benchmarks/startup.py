"""Start-up benchmark: time from process start to the first customers page drawn, for
``flowtui --demo --demo-customers 10000``, beside a minimal Textual app's time to its first
frame, and beside a "floor" app, measured in the same run: a Textual app doing only what any
client must before it shows a page of customers (an httpx client, a header, a status line, a
100-row table, a footer), with no network, no configuration and no sandbox.

Each program runs in a real pseudo-terminal (120x36, TERM=xterm-256color). The clock starts
just before the process is spawned and stops when a marker shows up in what the program
writes to the terminal (escape sequences stripped): for flowtui the customers view's status
"1-100 of 10,000 customers" (the floor app shows the same), for the minimal app its only
widget, a Label("ready-marker"). The program is then quit (ctrl+q, then SIGTERM, then
SIGKILL) before the next run. The three programs take turns, each going first in turn. The
config, data and cache directories are temporary; the demo sandbox listens on 127.0.0.1 only.
The very first flowtui run seeds the 10,000-customer demo.db; it is timed and reported on its
own, apart from the warm runs. Bytecode is cached (in the
temporary directory) as for an installed flowtui, even where PYTHONDONTWRITEBYTECODE is set;
--no-bytecode-cache keeps the inherited setting instead.

    .venv/bin/python benchmarks/startup.py [--runs 5] [--timeout 20] [--no-bytecode-cache]
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import re
import select
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COLUMNS, LINES = 120, 36
CUSTOMERS = 10_000
FLOWTUI_MARKER = f"1-100 of {CUSTOMERS:,} customers"
MINIMAL_MARKER = "ready-marker"
TARGET_RATIO, TARGET_SECONDS = 1.5, 2.0

MINIMAL_APP = f'''\
from textual.app import App, ComposeResult
from textual.widgets import Label


class Minimal(App[None]):
    def compose(self) -> ComposeResult:
        yield Label("{MINIMAL_MARKER}")


Minimal().run()
'''

FLOOR_APP = f'''\
import httpx
from textual.app import App, ComposeResult
from textual.widgets import DataTable, Footer, Label

COLUMNS = ("Name", "Email", "Delivery notes", "Loyalty tier", "Newsletter", "Birthday",
           "Contact window", "Lifetime value")


class Floor(App[None]):
    """What any client must do before it shows a page of customers, and nothing else: an
    async HTTP client (httpx and httpcore imported and built), a header, a status line, a
    100-row table of customers with custom fields, and a footer. No network, no config, no
    sandbox."""

    def compose(self) -> ComposeResult:
        self.client = httpx.AsyncClient(transport=httpx.AsyncHTTPTransport(verify=False))
        yield Label("flowtui  profile demo  127.0.0.1  SANDBOX")
        yield Label("{FLOWTUI_MARKER}")
        yield DataTable(cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns(*COLUMNS)
        for i in range(100):
            table.add_row(f"Customer Number{{i}}", f"customer.number{{i}}@example.com",
                          "Leave with the neighbour" if i % 3 else "", str(i % 5 + 1),
                          "yes" if i % 2 else "no", f"1980-01-{{i % 28 + 1:02d}}", "any",
                          f"{{i * 17.5:.2f}}")


Floor().run()
'''

# CSI (colours, cursor moves, modes), OSC / DCS / APC / PM / SOS strings, and the two-byte
# escapes (charset selection, keypad modes, ...).
ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"
    r"|\x1b[\]P_^X][^\x07\x1b]*(?:\x07|\x1b\\)?"
    r"|\x1b[()*+][0-~]"
    r"|\x1b[ -/]*[0-~]"
)


def strip(text: str) -> str:
    return ESCAPES.sub("", text).replace("\r", "")


class Timeout(Exception):
    pass


@dataclass
class Run:
    seconds: float
    exit_how: str  # "ctrl+q", "SIGTERM" or "SIGKILL"
    #: CPU seconds the program had used when the marker showed (Linux; None elsewhere): on a
    #: busy machine a steadier figure than the wall clock.
    cpu: float | None = None


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of process ``pid`` so far (its threads included)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _drain(fd: int, until: float) -> bool:
    """Read and drop output until EOF (True) or the deadline (False)."""
    while True:
        left = until - time.monotonic()
        if left <= 0:
            return False
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            try:
                if not os.read(fd, 65536):
                    return True
            except OSError:  # EIO: every slave end closed, the program is gone
                return True


def measure(argv: list[str], marker: str, env: dict, timeout: float, cwd: Path = ROOT) -> Run:
    """Seconds from spawning ``argv`` in a pty to ``marker`` appearing on its screen."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", LINES, COLUMNS, 0, 0))
    output = bytearray()
    found_at = None
    cpu = None
    proc = None
    try:
        started = time.perf_counter()
        proc = subprocess.Popen(
            argv,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            cwd=cwd,
            start_new_session=True,
            close_fds=True,
        )
        os.close(slave)
        slave = -1
        deadline = time.monotonic() + timeout
        while found_at is None:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            ready, _, _ = select.select([master], [], [], left)
            if not ready:
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:
                chunk = b""
            if not chunk:
                break  # the program exited
            output += chunk
            # Only the new bytes and some context before them need a look: the marker is
            # short, and stripping the whole screen history every time would slow the loop.
            window = strip(bytes(output[-(len(chunk) + 8192) :]).decode("utf-8", "replace"))
            if marker in window:
                found_at = time.perf_counter()
                cpu = cpu_seconds(proc.pid)
        if found_at is None:
            text = re.sub(r" {2,}", " ", strip(output.decode("utf-8", "replace")))
            tail = re.sub(r"\n\s*\n", "\n", text).strip()[-500:]
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(1 if time.monotonic() < deadline else 0)  # the terminal closed
            status = proc.poll()
            why = f"exited with {status}" if status is not None else f"no marker in {timeout:g} s"
            raise Timeout(
                f"{' '.join(Path(a).name for a in argv[:2])} ...: {why}; "
                f"{marker!r} never appeared. Last output (escapes stripped):\n{tail}"
            )
        return Run(found_at - started, stop(proc, master), cpu)
    finally:
        if proc is not None and proc.poll() is None:
            stop(proc, master)
        if slave >= 0:
            os.close(slave)
        os.close(master)


def stop(proc: subprocess.Popen, master: int) -> str:
    """Quit the program: ctrl+q as a user would, then SIGTERM, then SIGKILL."""
    with contextlib.suppress(OSError):  # the program may be gone already
        os.write(master, b"\x11")
    for how, send in (("ctrl+q", None), ("SIGTERM", signal.SIGTERM), ("SIGKILL", signal.SIGKILL)):
        if send is not None and proc.poll() is None:
            proc.send_signal(send)
        _drain(master, time.monotonic() + 5)
        try:
            proc.wait(2)
            return how
        except subprocess.TimeoutExpired:
            continue
    return how


def cache_bytecode(env: dict, tmp: str, python: str = sys.executable, cwd: Path = ROOT) -> None:
    """As an installed flowtui has: cached bytecode for every module, kept in ``tmp`` (so
    nothing is written into the checkout) even where PYTHONDONTWRITEBYTECODE is set, and
    primed now by importing the app with ``python`` from ``cwd``."""
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = f"{tmp}/pycache"
    subprocess.run(
        [python, "-c", "import flowtui.ui.app, flowtui.sandbox.child"], env=env, cwd=cwd, check=True
    )


def summary(times: list[float]) -> tuple[float, float]:
    return min(times), statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each program")
    parser.add_argument("--timeout", type=float, default=20.0, help="seconds per run")
    parser.add_argument(
        "--no-bytecode-cache",
        action="store_true",
        help="keep PYTHONDONTWRITEBYTECODE as inherited: modules without a .pyc (flowtui's own "
        "in a checkout) are then compiled on every start",
    )
    args = parser.parse_args()

    script = Path(sys.executable).with_name("flowtui")
    flowtui = [str(script)] if script.exists() else [sys.executable, "-m", "flowtui"]
    flowtui += ["--demo", "--demo-customers", str(CUSTOMERS)]

    with tempfile.TemporaryDirectory(prefix="flowtui-startup-") as tmp:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("EPCC_", "FLOWTUI_", "TEXTUAL"))
            and k.lower() not in ("http_proxy", "https_proxy", "all_proxy")
        }
        env.update(
            FLOWTUI_CONFIG_DIR=f"{tmp}/config",
            FLOWTUI_DATA_DIR=f"{tmp}/data",
            FLOWTUI_CACHE_DIR=f"{tmp}/cache",
            TERM="xterm-256color",
            COLUMNS=str(COLUMNS),
            LINES=str(LINES),
            NO_PROXY="127.0.0.1,localhost",
        )
        if not args.no_bytecode_cache:
            cache_bytecode(env, tmp)
        minimal_py = Path(tmp) / "minimal_app.py"
        minimal_py.write_text(MINIMAL_APP)
        minimal = [sys.executable, str(minimal_py)]
        floor_py = Path(tmp) / "floor_app.py"
        floor_py.write_text(FLOOR_APP)
        floor = [sys.executable, str(floor_py)]

        def run(argv: list[str], marker: str) -> Run:
            try:
                return measure(argv, marker, env, args.timeout)
            except Timeout as exc:
                raise SystemExit(f"startup benchmark: {exc}") from None

        print(f"flowtui:  {' '.join(flowtui)}  (marker {FLOWTUI_MARKER!r})")
        print(f"minimal:  {sys.executable} minimal_app.py  (marker {MINIMAL_MARKER!r})")
        print(f"terminal: {COLUMNS}x{LINES} pty, {args.runs} timed runs each, alternating")
        print(
            "bytecode: "
            + (
                "as inherited (PYTHONDONTWRITEBYTECODE="
                + os.environ.get("PYTHONDONTWRITEBYTECODE", "unset")
                + ")"
                if args.no_bytecode_cache
                else "cached in the temporary directory (primed before the first run)"
            )
        )
        print("first run (seeds demo.db) ...", flush=True)
        first = run(flowtui, FLOWTUI_MARKER)
        run(minimal, MINIMAL_MARKER)  # untimed warm-ups, as flowtui's first run is for it
        run(floor, FLOWTUI_MARKER)
        app_runs: list[Run] = []
        minimal_runs: list[Run] = []
        floor_runs: list[Run] = []
        for i in range(args.runs):
            # rotate which goes first, so none always follows another
            order = [
                (flowtui, FLOWTUI_MARKER, app_runs),
                (minimal, MINIMAL_MARKER, minimal_runs),
                (floor, FLOWTUI_MARKER, floor_runs),
            ]
            for argv, marker, into in order[i % 3 :] + order[: i % 3]:
                into.append(run(argv, marker))
            print(
                f"  run {i + 1}: flowtui {app_runs[-1].seconds:.3f} s, "
                f"minimal {minimal_runs[-1].seconds:.3f} s, "
                f"floor {floor_runs[-1].seconds:.3f} s",
                flush=True,
            )

    app_min, app_med = summary([r.seconds for r in app_runs])
    min_min, min_med = summary([r.seconds for r in minimal_runs])
    ratio = app_med / min_med
    print()
    print(f"{'':<44}{'min':>9}{'median':>9}")
    print(f"{'flowtui --demo, first run (seeds demo.db)':<44}{first.seconds:>8.3f}s{'':>9}")
    print(f"{'flowtui --demo, warm (first page drawn)':<44}{app_min:>8.3f}s{app_med:>8.3f}s")
    print(f"{'minimal Textual app (first frame)':<44}{min_min:>8.3f}s{min_med:>8.3f}s")
    floor_min, floor_med = summary([r.seconds for r in floor_runs])
    print(f"{'floor app (client + 100-row table, no I/O)':<44}{floor_min:>8.3f}s{floor_med:>8.3f}s")
    print(f"{'difference (medians)':<44}{'':>9}{app_med - min_med:>8.3f}s")
    print()
    print(
        f"floor / minimal: {floor_med / min_med:.2f}x (what no network, no config and no "
        "sandbox would leave)"
    )
    print(f"flowtui / floor: {app_med / floor_med:.2f}x")
    ok_ratio, ok_abs = ratio <= TARGET_RATIO, app_med <= TARGET_SECONDS
    print(
        f"ratio of medians: {ratio:.2f}x (target <= {TARGET_RATIO}x): "
        f"{'met' if ok_ratio else 'NOT met'}"
    )
    print(
        f"flowtui median:   {app_med:.3f} s (target <= {TARGET_SECONDS:g} s): "
        f"{'met' if ok_abs else 'NOT met'}"
    )
    runs = [first, *app_runs, *minimal_runs, *floor_runs]
    unclean = [r.exit_how for r in runs if r.exit_how != "ctrl+q"]
    if unclean:
        print(f"note: {len(unclean)} run(s) did not quit on ctrl+q ({', '.join(unclean)})")


if __name__ == "__main__":
    main()
