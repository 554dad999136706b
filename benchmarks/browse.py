"""Customer browser benchmark: key press to page drawn, and memory over 200 page turns.

Seeds 100,000 demo customers into a temporary SQLite file, serves the sandbox on loopback
from its own process (``flowtui sandbox``, as a real store is elsewhere), and drives FlowApp
headless (``App.run_test``) through a profile pointing at it, with the profile's default
pacing. Each sample presses one key and stops the clock when the first frame written to the
terminal after the customers view put the new page in its table (its ``drawn_at`` moved) is
handed to the driver: that frame shows the page.

* next page: PgDn from the first page onwards (past the 10,000 offset cap: by key)
* search: type a name fragment after ``/`` and press Enter (Enter skips the 300 ms debounce;
  typing without Enter adds that delay by design)
* sort: ``s`` (created, updated, name, email, created ...)

RSS is the app process's VmRSS from /proc/self/status before and after 200 more page turns
(after a warm-up of 20 turns).

    .venv/bin/python benchmarks/browse.py [--customers 100000] [--samples 40] [--turns 200]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import (  # noqa: E402
    bench_app,
    customers_view,
    start_sandbox,
    stop,
)

SEARCHES = ("knope", "swan", "ludgate", "perkins", "wyatt", "haver", "meagle", "gergich")


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def drive(url: str, samples: int, turns: int) -> dict:

    app, writes = bench_app(url)
    results: dict[str, list[float]] = {"next page": [], "search": [], "sort": []}
    async with app.run_test(size=(120, 36)) as pilot:
        view = await customers_view(app)

        async def timed(*keys: str) -> float:
            *before, last = keys
            if before:
                await pilot.press(*before)
            drawn = view.drawn_at
            start = time.perf_counter()
            await pilot.press(last)
            waited = time.monotonic() + 30
            while view.drawn_at == drawn:
                if view.state == "error":
                    raise SystemExit(f"error: {view.status_text()}")
                if time.monotonic() > waited:
                    raise SystemExit(f"nothing drawn 30 s after {keys!r}: {view.status_text()}")
                await asyncio.sleep(0.001)
            # The page is in the table; it is drawn with the next frame written to the screen.
            while not writes or writes[-1] < view.drawn_at:
                await asyncio.sleep(0.001)
            painted = next(w for w in writes if w >= view.drawn_at)
            await pilot.pause()  # let the app settle before the next key
            return (painted - start) * 1000

        for _ in range(samples):
            results["next page"].append(await timed("pagedown"))
        await pilot.press("g")
        await pilot.pause(0.3)
        for i in range(samples):
            word = SEARCHES[i % len(SEARCHES)]
            results["search"].append(await timed("slash", *word, "enter"))
            await pilot.press("slash", "escape")  # clear it again
            await pilot.pause(0.2)
        for _ in range(samples):
            results["sort"].append(await timed("s"))
        for _ in range(8 - len(results["sort"]) % 4):
            await pilot.press("s")  # back to the default sort
        await pilot.pause(0.3)
        await pilot.press("g")
        await pilot.pause(0.3)
        for _ in range(20):  # warm-up
            await timed("pagedown")
        await pilot.press("g")
        await pilot.pause(0.3)
        gc.collect()
        before = rss_mb()
        turn_times = [await timed("pagedown") for _ in range(turns)]
        gc.collect()
        after = rss_mb()
        status = view.status_text()
    return {
        "results": results,
        "rss": (before, after),
        "turns": turn_times,
        "status": status,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--turns", type=int, default=200)
    args = parser.parse_args()
    pages = max(args.samples, args.turns, 20) + 1  # page turns never run past the last page
    if args.customers < pages * 100:
        parser.error(f"--customers must be at least {pages * 100:,} for these page turns")
    tmp = tempfile.mkdtemp(prefix="flowtui-browse-")
    for name in ("CONFIG", "DATA", "CACHE"):
        os.environ[f"FLOWTUI_{name}_DIR"] = os.path.join(tmp, name.lower())
    from flowtui.sandbox import demo
    from flowtui.sandbox.store import Store

    db = os.path.join(tmp, "bench.db")
    store = Store(db)
    seconds = demo.timed_seed(store, args.customers)
    store.close()
    print(f"seeded {args.customers:,} customers in {seconds:.1f} s", flush=True)
    proc, url = start_sandbox(Path(db))
    try:
        out = asyncio.run(drive(url, args.samples, args.turns))
    finally:
        stop(proc)
    print()
    print(f"| action ({args.customers:,} customers) | samples | p50 ms | p95 ms | max ms |")
    print("|---|---:|---:|---:|---:|")
    rows = dict(out["results"])
    rows["page turn (RSS run)"] = out["turns"]
    for name, values in rows.items():
        print(
            f"| {name} | {len(values)} | {statistics.median(values):.1f} | "
            f"{pct(values, 0.95):.1f} | {max(values):.1f} |"
        )
    before, after = out["rss"]
    print()
    print(
        f"RSS before {args.turns} page turns: {before:.1f} MB, after: {after:.1f} MB, "
        f"growth {after - before:+.1f} MB (ended at: {out['status']})"
    )


if __name__ == "__main__":
    main()
