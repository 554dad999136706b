"""Opening the customer editor: key press to form ready, and keys typed ahead (issue 14).

Seeds the demo customers into a temporary SQLite file, serves ``flowtui sandbox --latency-ms
L`` on loopback from its own process (one added delay per request), and drives FlowApp
headless (``App.run_test``) through a profile pointing at it. Each sample queues the key
``e`` on the app (as a terminal's bytes arrive) and stops the clock at the first frame written
to the terminal once the editor is ready: its inputs mounted, the focus in the first one, no
key waiting. Two cases:

* kept: the fields of the customers flow are those the session keeps (the view read them);
  the editor opens with no request
* not kept: the kept fields are dropped before each sample, so the editor reads them (what
  every open cost before issue 14)

A third row times a burst queued at once, ``e`` + a name + ctrl+s, from the key to the frame
after the save came back (the save's own read-then-write included), and checks the store got
the name typed. Each row says how many API requests its samples sent (the sandbox counts).

    .venv/bin/python benchmarks/keys.py [--customers 2000] [--samples 20] [--latency 0 150]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import (  # noqa: E402
    CLIENT_ID,
    CLIENT_SECRET,
    isolated_env,
    record_frames,
    seeded_db,
    stop,
)


def start(db: Path, latency: int, env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "flowtui", "sandbox", "--db", str(db), "--port", "0",
         "--client-id", CLIENT_ID, "--client-secret", CLIENT_SECRET,
         "--latency-ms", str(latency)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT, env=env,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and proc.stdout is not None:
        m = re.search(r"listening on (http://\S+)", proc.stdout.readline())
        if m:
            return proc, m[1]
    proc.kill()
    raise SystemExit("the sandbox did not start")


def requests_so_far(url: str) -> int:
    return int(httpx.get(f"{url}/_sandbox/stats", timeout=10).json()["requests"])


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class Harness:
    """FlowApp headless on a profile pointing at ``url``, with the time of every frame written
    to the terminal recorded, keys fed as a terminal's bytes arrive (through Textual's own
    parser, all queued at once), and waits on conditions (shared by keys.py and
    addresses.py)."""

    def __init__(self, url: str) -> None:
        from flowtui.config.profiles import Profile, ProfileStore
        from flowtui.config.resolve import Resolved
        from flowtui.ui.app import FlowApp

        profile = Profile(name="bench", base_url=url, client_id=CLIENT_ID)
        resolved = Resolved(profile=profile, secret=CLIENT_SECRET, source="profile")
        self.app = app = FlowApp(ProfileStore(), resolved=resolved, cursor_blink=False)
        self.writes = record_frames(app)

    def burst(self, data: str) -> None:
        from textual._xterm_parser import XTermParser

        for event in XTermParser().feed(data):
            event.set_sender(self.app)
            self.app.post_message(event)

    async def until(self, predicate, limit: float = 30) -> None:  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + limit
        while not predicate():
            if time.monotonic() > deadline:
                raise SystemExit("timed out")
            await asyncio.sleep(0.0005)

    async def painted_after(self, mark: float) -> float:
        writes = self.writes
        await self.until(lambda: bool(writes) and writes[-1] >= mark)
        return next(w for w in writes if w >= mark)


async def drive(url: str, samples: int) -> dict[str, tuple[list[float], int]]:
    from flowtui.ui.screens.customer_editor import EditCustomerScreen
    from flowtui.ui.screens.main import MainScreen
    from flowtui.ui.widgets.customers import CustomersView

    harness = Harness(url)
    app, burst, until, painted_after = (
        harness.app,
        harness.burst,
        harness.until,
        harness.painted_after,
    )

    def editor_ready() -> bool:
        screen = app.screen
        return (
            isinstance(screen, EditCustomerScreen)
            and screen.inputs_shown
            and app.focused is not None
            and app.focused.id == "input-name"
            and app.typeahead.idle
        )

    rows: dict[str, tuple[list[float], int]] = {}
    async with app.run_test(size=(120, 36)) as pilot:
        await until(lambda: bool(app.screen.query("CustomersView")))
        view = app.screen.query_one(CustomersView)
        await until(lambda: bool(view.drawn_at))
        await pilot.pause(1.5)  # the flows view reads its flows 1 s after start: not counted
        for case in ("kept", "not kept"):
            times: list[float] = []
            before = requests_so_far(url)
            for _ in range(samples):
                if case == "not kept":
                    app.api.definitions.forget()
                start = time.perf_counter()
                burst("e")
                await until(editor_ready)
                ready = time.perf_counter()
                times.append((await painted_after(ready) - start) * 1000)
                app.screen.dismiss(None)
                await until(lambda: isinstance(app.screen, MainScreen))
                await pilot.pause(0.05)
            rows[f"open the editor ({case})"] = (times, requests_so_far(url) - before)
        times = []
        before = requests_so_far(url)
        for i in range(samples):
            customer = view.highlighted()
            assert customer is not None
            name = f"Typed ahead {i}"
            start = time.perf_counter()
            burst(f"e{name}\x13")
            await until(
                lambda c=customer.id, n=name: (
                    isinstance(app.screen, MainScreen)
                    and app.typeahead.idle
                    and view.customers[c].name == n
                )
            )
            times.append((await painted_after(time.perf_counter()) - start) * 1000)
            await pilot.pause(0.05)
        rows["e + name + ctrl+s (saved)"] = (times, requests_so_far(url) - before)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--latency", type=int, nargs="+", default=[0, 150])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = isolated_env(tmp)
        os.environ.update(env)  # this process's app too: its token cache goes to tmp
        db = seeded_db(tmp, args.customers)
        for latency in args.latency:
            proc, url = start(db, latency, env)
            try:
                rows = asyncio.run(drive(url, args.samples))
            finally:
                stop(proc)
            print(f"\nL = {latency} ms, {args.customers:,} customers, {args.samples} samples")
            print(f"{'action':<32} {'p50 ms':>8} {'p95 ms':>8} {'requests':>9}")
            for name, (times, sent) in rows.items():
                p50 = statistics.median(times)
                print(f"{name:<32} {p50:8.1f} {pct(times, 0.95):8.1f} {sent:9d}")


if __name__ == "__main__":
    main()
