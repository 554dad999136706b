"""Opening the forms (issue 14, "opening the editor: p95 <= 100 ms at every L"): key press to
the frame that shows the form filled in, against a sandbox 0, 50 and 150 ms away.

FlowApp headless (``App.run_test``, 120x36) through a profile pointing at ``flowtui sandbox
--latency-ms L`` (its own process, the seeded customers), each key handed to the app as a
terminal's byte, the clock stopped when the form, with its rows, hands the terminal driver
(``App._display``) its first full frame: the frame that completes it on the terminal (a
partial frame of the form comes 5-10 ms before it; until 2026-12-05 15:00 this script, like
benchmarks/remote.py's "open the editor", stopped at the first frame after it polled the form
on top, that partial one or the full one). "requests" is what the sandbox counted from the
key until everything the open started had finished (median per sample); "CPU ms" the app
process's CPU time (``time.process_time``) from the key to that frame, a figure a busy
machine inflates less than the wall clock; "GC" the CPU time of the garbage collections in
it (``gc.callbacks``), mean and largest per open.

* open the editor: ``e`` on a customer of the browser (the next row each time)
* new customer form: ``n`` in the browser
* open the address editor: ``e`` on the first address of the list ``a`` shows (the list
  itself is opened before the clock starts)

Each app process waits 3 s after its first page before the first sample (what a person
takes to read the page; the app composes its forms while idle). ``--compare DIR`` runs the
same samples with the code of another checkout (e.g. /work/main, the code before this
change), alternately, process after process, so both see the same machine load.

Besides all the opens of each form, the table gives each app's first open of it (one per
app process: for the customer forms, a form composed and drawn ahead while the app was idle)
and the later opens apart. ``--per-open`` prints every open's figures as it is taken;
``--profile DIR`` writes a cProfile of the first opens and one of the later opens per app
process (``DIR/code0-L0-round0/first-open-the-editor.prof``, ...; a profiled run's figures
are not timings).

    .venv/bin/python benchmarks/forms.py [--customers 100000] [--samples 10] [--rounds 2]
        [--latencies 0,50,150] [--compare DIR] [--per-open] [--profile DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

ACTIONS = ("open the editor", "new customer form", "open the address editor")
#: Seconds between the first page and the first sample (the app is idle meanwhile).
SETTLE = 3.0


async def drive(
    url: str, latency: int, samples: int, profile_dir: str | None = None
) -> dict[str, list[tuple[float, int, float]]]:
    """In the child process: ``samples`` opens of each form; (ms, requests, CPU ms) per open,
    in order (the first is the app's first open of that form). ``profile_dir``: a cProfile of
    each form's first open and one of its later opens there (``first-open-the-editor.prof``,
    ``later-open-the-editor.prof``, ...)."""
    import cProfile

    from textual import events
    from textual._compositor import LayoutUpdate

    from benchmarks.common import bench_app, customers_view, wait_quiet
    from benchmarks.remote import wire_requests
    from flowtui.ui.screens.address_editor import AddressEditorScreen, AddressesScreen
    from flowtui.ui.screens.customer_editor import EditCustomerScreen
    from flowtui.ui.screens.forms import NewCustomerScreen
    from flowtui.ui.screens.main import MainScreen

    app, _writes = bench_app(url)
    out: dict[str, list[tuple[float, int, float, float]]] = {}
    profilers: dict[str, cProfile.Profile] = {}
    #: Each full frame Textual writes out (the whole screen, not a partial update): when,
    #: the CPU time then, and the screen that drew it when that screen is a form with its
    #: rows (else None).
    drawn: list[tuple[float, float, Any]] = []
    display = app._display

    def stamped(screen: Any, renderable: Any) -> None:
        display(screen, renderable)
        if isinstance(renderable, LayoutUpdate) and not app._batch_count:
            form = screen if getattr(screen, "specs", None) else None
            drawn.append((time.perf_counter(), time.process_time(), form))

    app._display = stamped
    #: The CPU time of the garbage collections (ms, by generation) since the last reset.
    collected: dict[int, float] = {}
    started: list[float] = []

    def on_gc(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started[:] = [time.process_time()]
        elif started:
            gen = info["generation"]
            collected[gen] = collected.get(gen, 0.0) + (time.process_time() - started[0]) * 1000

    gc.callbacks.append(on_gc)

    async with app.run_test(size=(120, 36)) as pilot:
        view = await customers_view(app)
        await asyncio.sleep(SETTLE)

        async def quiet() -> None:
            await wait_quiet(pilot, view)

        async def until(check, what: str) -> None:  # type: ignore[no-untyped-def]
            deadline = time.monotonic() + 30
            while not check():
                if time.monotonic() > deadline:
                    raise SystemExit(f"timed out waiting for {what}")
                await asyncio.sleep(0.002)

        async def sample(name: str, key: str, form: type) -> None:
            """The clock stops at the first full frame the form, with its rows, draws."""
            await quiet()
            await asyncio.sleep(latency / 1000 + 0.3)
            before = wire_requests(url)
            slug = f"{'later' if out.get(name) else 'first'}-{name.replace(' ', '-')}"
            profiler = profilers.setdefault(slug, cProfile.Profile()) if profile_dir else None
            if profiler is not None:
                profiler.enable()
            seen = len(drawn)
            collected.clear()
            start, cpu = time.perf_counter(), time.process_time()
            app.post_message(events.Key(key, key))

            def shown() -> tuple[float, float, Any] | None:
                return next((d for d in drawn[seen:] if isinstance(d[2], form)), None)

            await until(shown, name)
            if profiler is not None:
                profiler.disable()
            painted, cpu_then, _ = shown()  # type: ignore[misc]
            gc_ms = sum(collected.values())
            full = collected.get(2, 0.0)
            await quiet()
            ms = (painted - start) * 1000
            cpu = (cpu_then - cpu) * 1000
            out.setdefault(name, []).append((ms, wire_requests(url) - before, cpu, gc_ms))
            which = "first" if len(out[name]) == 1 else "later"
            print(
                f"  {name} ({which}): {ms:.0f} ms, CPU {cpu:.0f} ms, of which collections "
                f"{gc_ms:.0f} ms (full {full:.0f} ms)",
                file=sys.stderr,
                flush=True,
            )

        async def back_to_main() -> None:
            while not isinstance(app.screen, MainScreen):
                await pilot.press("escape")
                await quiet()

        for _ in range(samples):
            await pilot.press("down")
            await sample("open the editor", "e", EditCustomerScreen)
            await back_to_main()
        for _ in range(samples):
            await sample("new customer form", "n", NewCustomerScreen)
            await back_to_main()
        for _ in range(samples):
            await pilot.press("down")
            await quiet()
            await pilot.press("a")
            await until(
                lambda: isinstance(app.screen, AddressesScreen) and app.screen.settled, "addresses"
            )
            await quiet()
            if not app.screen.addresses:
                await back_to_main()
                continue
            await sample("open the address editor", "e", AddressEditorScreen)
            await back_to_main()
    if profile_dir:
        for which, profiler in profilers.items():
            profiler.dump_stats(f"{profile_dir}/{which}.prof")
    return out


def child(args: argparse.Namespace) -> None:
    results = asyncio.run(drive(args.url, args.latency, args.samples, args.profile))
    print(json.dumps(results))


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def row(latency: int, action: str, name: str, values: list[list[float]]) -> str:
    """One line of the table: (ms, requests, CPU ms, collections' CPU ms) per open."""
    ms = [v[0] for v in values]
    sent = statistics.median(v[1] for v in values)
    cpu = [v[2] for v in values]
    collections = [v[3] for v in values]
    return (
        f"| {latency} | {action} | {name} | {len(ms)} | {statistics.median(ms):.0f} "
        f"| {pct(ms, 0.95):.0f} | {statistics.median(cpu):.0f} | {pct(cpu, 0.95):.0f} "
        f"| {statistics.mean(collections):.1f} | {max(collections):.0f} | {sent:g} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=10, help="opens of each form per app")
    parser.add_argument("--rounds", type=int, default=2, help="app processes per code and L")
    parser.add_argument("--latencies", default="0,50,150")
    parser.add_argument("--compare", metavar="DIR", help="also run this checkout's code")
    parser.add_argument(
        "--profile", metavar="DIR", help="cProfile of the opens: DIR/{first,later}-ACTION.prof"
    )
    parser.add_argument("--per-open", action="store_true", help="print each open's figures")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--latency", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return

    sys.path.insert(0, str(ROOT))
    from benchmarks.common import isolated_env, seeded_db, start_sandbox, stop

    tmp = tempfile.mkdtemp(prefix="flowtui-forms-")
    started = time.perf_counter()
    db = seeded_db(tmp, args.customers)
    print(f"seeded {args.customers:,} customers in {time.perf_counter() - started:.1f} s")
    codes = {"this code": str(ROOT)}
    if args.compare:
        codes[f"code in {args.compare}"] = os.path.abspath(args.compare)
    lines: list[str] = []
    for latency in (int(x) for x in args.latencies.split(",")):
        proc, url = start_sandbox(db, isolated_env(tmp), ["--latency-ms", str(latency)])
        #: Per code and action, the opens of each app process in order (its first open first).
        got: dict[str, dict[str, list[list[list[float]]]]] = {name: {} for name in codes}
        try:
            for round_no in range(args.rounds):
                for index, (name, code) in enumerate(codes.items()):
                    # The child imports flowtui (and benchmarks.common) from ``code``.
                    env = dict(isolated_env(f"{tmp}/{len(lines)}"), PYTHONPATH=code)
                    profile: list[str] = []
                    if args.profile:
                        where = Path(args.profile) / f"code{index}-L{latency}-round{round_no}"
                        where.mkdir(parents=True, exist_ok=True)
                        profile = ["--profile", str(where)]
                    done = subprocess.run(
                        [sys.executable, str(Path(__file__).resolve()), "--child", "--url", url,
                         "--latency", str(latency), "--samples", str(args.samples), *profile],
                        env=env, cwd=code, capture_output=True, text=True,
                    )  # fmt: skip
                    if done.returncode:
                        raise SystemExit(f"{name}: {done.stderr[-2000:]}")
                    if args.per_open:
                        print(f"{name}, L = {latency} ms, round {round_no + 1}:")
                        print(done.stderr.rstrip(), flush=True)
                    for action, values in json.loads(done.stdout.splitlines()[-1]).items():
                        got[name].setdefault(action, []).append(values)
        finally:
            stop(proc)
        for action in ACTIONS:
            for name in codes:
                runs = got[name].get(action, [])
                parts = [("", [v for run in runs for v in run])]
                if args.samples > 1:
                    parts += [
                        (" (first opens)", [run[0] for run in runs if run]),
                        (" (later opens)", [v for run in runs for v in run[1:]]),
                    ]
                for part, values in parts:
                    if values:
                        lines.append(row(latency, action + part, name, values))
        print(f"L = {latency} ms done", flush=True)
    print()
    print(
        "| L ms | action | code | samples | p50 ms | p95 ms | CPU p50 | CPU p95 "
        "| GC mean | GC max | requests |"
    )
    print("|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for line in lines:
        print(line)


if __name__ == "__main__":
    main()
