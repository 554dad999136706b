"""Compare view benchmark: the designer's "compare with…" against a sandbox in its own process
with 150 ms of latency per request (`flowtui sandbox --latency-ms 150`), the other side a
schema file of 20 flows × 50 fields (benchmarks/schema.py's design), driven headless by Pilot.

Timed, each from the key press until the screen shows the result:

1. load: enter on the file → the plan shown (this store pulled, the file read, planned);
2. pick: one `space` (the median of 20), then `a` (pick all);
3. preview: `f10` → every attribute of the picked items before → after;
4. apply: `f10`, `y` → every item done (with the requests sent and the most in flight,
   measured below the service's pacing, and the designer behind the screen reloading on
   the changes it hears of meanwhile).

    .venv/bin/python benchmarks/compare.py [--flows 20] [--fields 50] [--latency-ms 150]
                                           [--rate 20]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import CLIENT_ID, CLIENT_SECRET, isolated_env, seeded_db, stop  # noqa: E402
from benchmarks.schema import Meter, design, start_slow_sandbox  # noqa: E402


async def until(pilot: Any, predicate: Any, timeout: float = 600.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {predicate}")
        await pilot.pause(0.005)


async def run(url: str, path: Path, rate: float) -> None:
    from flowtui.config.profiles import Profile, ProfileStore
    from flowtui.config.resolve import Resolved
    from flowtui.config.secrets import secret_store
    from flowtui.ops.connect import service_for
    from flowtui.ui.app import FlowApp
    from flowtui.ui.screens.compare import CompareScreen

    profiles = ProfileStore()
    profile = Profile(name="bench", base_url=url, client_id=CLIENT_ID, rate_limit=rate)
    profiles.save(profile)
    secret_store(profile).set_secret("bench", CLIENT_SECRET)
    resolved = Resolved(profile=profile, secret=CLIENT_SECRET, source="profile")
    meter = Meter()

    def factory(resolved: Resolved, **kw: Any) -> Any:
        return service_for(resolved, transport=meter, **kw)

    app = FlowApp(profiles, resolved=resolved, service_factory=factory, cursor_blink=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: app.main_screen() is not None)
        await pilot.press("f3")
        flows = app.main_screen().query_one("FlowsView")
        await until(pilot, lambda: flows.loaded)
        await app.workers.wait_for_complete()
        await pilot.press("C")
        await until(pilot, lambda: isinstance(app.screen, CompareScreen))
        screen = app.screen
        screen.query_one("#compare-path").value = str(path)
        screen.query_one("#compare-path").focus()
        await pilot.pause()

        meter.reset()
        start = time.perf_counter()
        await pilot.press("enter")
        await until(pilot, lambda: screen.stage == "plan")
        took = time.perf_counter() - start
        items = len(screen.plan.items)
        print(f"load:    {took:6.2f} s to the plan of {items:,} items "
              f"({meter.requests} requests to this store)")  # fmt: skip

        def median_press(key: str) -> Any:
            async def timed() -> float:
                presses = []
                for _ in range(20):
                    start = time.perf_counter()
                    await pilot.press(key)
                    presses.append(time.perf_counter() - start)
                return statistics.median(presses)

            return timed()

        moves = await median_press("down")  # Pilot's own cost of a key press, for reference
        await pilot.press("ctrl+home")
        picking = await median_press("space")
        start = time.perf_counter()
        await pilot.press("a")
        all_took = time.perf_counter() - start
        picked = len(screen.picks.keys)
        print(f"pick:    space {picking * 1000:5.1f} ms, down {moves * 1000:5.1f} ms (medians "
              f"of 20), a {all_took * 1000:5.1f} ms ({picked:,} picked)")  # fmt: skip

        start = time.perf_counter()
        await pilot.press("f10")
        await until(pilot, lambda: screen.stage == "preview")
        await pilot.pause()
        rows = screen.query_one("#compare-preview-table").row_count
        print(f"preview: {(time.perf_counter() - start) * 1000:6.0f} ms ({rows:,} rows)")

        meter.reset()
        start = time.perf_counter()
        await pilot.press("f10", "y")
        await until(pilot, lambda: screen.applied)
        took = time.perf_counter() - start
        report = screen.report
        done = len(report.done) if report else 0
        failed = len(report.failed) if report else 0
        mean = meter.busy / took if took else 0.0
        print(f"apply:   {took:6.1f} s, {done:,} done, {failed} failed, {meter.requests:,} "
              f"requests, in flight max {meter.most} mean {mean:.1f}")  # fmt: skip
        await app.workers.wait_for_complete()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--flows", type=int, default=20)
    parser.add_argument("--fields", type=int, default=50)
    parser.add_argument("--latency-ms", type=int, default=150)
    parser.add_argument("--rate", type=float, default=20.0, help="the profile's requests/s")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.update(isolated_env(tmp))
        path = Path(tmp) / "design.toml"
        path.write_text(design(args.flows, args.fields).to_toml())
        db = seeded_db(tmp, 0)
        proc, url = start_slow_sandbox(db, args.latency_ms)
        try:
            print(f"{args.flows} flows x {args.fields} fields from a file, sandbox latency "
                  f"{args.latency_ms} ms, loopback, rate {args.rate:g}/s")  # fmt: skip
            asyncio.run(run(url, path, args.rate))
        finally:
            stop(proc)


if __name__ == "__main__":
    main()
