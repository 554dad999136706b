"""Save an edit (issue 14, "save ≤ 2 round trips + 60 ms"): ctrl+s in the customer editor to
the frame that shows the saved row in the browser, split into spans, this code beside
another checkout's in the same run.

Seeds ``--customers`` demo customers once; for each latency L serves them from
``flowtui sandbox --latency-ms L`` in its own process. Each *round* runs one child process
per checkout (this one, then ``--compare DIR``), alternately, each driving FlowApp headless
(``App.run_test``, 120x36, the profile's default pacing of 20 requests/s, a journal in a
temporary data folder) through ``--samples`` saves as benchmarks/remote.py does (open the
editor, type, ctrl+s written as a terminal's byte). Per save, from the key:

* ``GET out`` / ``GET in``: the conflict check's read leaves / is answered (the transport,
  after the pacer)
* ``PUT out`` / ``PUT in``: the write leaves / is answered
* ``row``: the browser holds the saved customer and the editor is gone (stamped where each
  happens, not by a polling task: that one would see it only after the frame showing it)
* ``frame``: the first frame handed to the terminal driver after that (the figure)
* ``journal``: the journal's record written (fsync included)
* ``cpu``: this process's CPU time (all threads) from the key to ``frame``: the save's own
  work, which the machine's load does not stretch
* ``polled``: the frame benchmarks/remote.py would stop at: the first one after a task
  polling every millisecond saw the row and the editor gone

"over" is ``frame`` minus the two round trips' wire time (``GET in - GET out`` +
``PUT in - PUT out``): what the target allows 60 ms of. ``--profile FILE`` writes a cProfile
of this code's saves (the first round) to FILE.

    .venv/bin/python benchmarks/save.py [--customers 20000] [--samples 10] [--rounds 3]
        [--latencies 0,150] [--compare DIR] [--profile FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
if os.environ.get("FLOWTUI_BENCH_CODE"):  # a child measuring another checkout's flowtui
    sys.path.insert(0, os.environ["FLOWTUI_BENCH_CODE"])

from benchmarks.browse import pct  # noqa: E402
from benchmarks.common import (  # noqa: E402
    bench_app,
    customers_view,
    isolated_env,
    seeded_db,
    start_sandbox,
    stop,
    wait_quiet,
)

SPANS = ("GET out", "GET in", "PUT out", "PUT in", "row", "frame", "journal", "polled", "cpu")


async def drive(url: str, samples: int, profile: str | None) -> list[dict[str, float]]:
    """In the child: ``samples`` saves; each one's spans in ms from ctrl+s."""
    import httpx
    from textual import events

    import flowtui
    from flowtui.ops.journal import Journal
    from flowtui.ui.app import FlowApp
    from flowtui.ui.screens.customer_editor import EditCustomerScreen
    from flowtui.ui.screens.main import MainScreen
    from flowtui.ui.widgets.customers import CustomersView

    code = os.environ.get("FLOWTUI_BENCH_CODE")
    if code and not flowtui.__file__.startswith(code):
        raise SystemExit(f"measuring {flowtui.__file__}, not the code in {code}")
    stamps: dict[str, float] = {}
    handle = httpx.AsyncHTTPTransport.handle_async_request  # below the pacer and retries

    async def timed_handle(self, request):  # type: ignore[no-untyped-def]
        stamps.setdefault(f"{request.method} out", time.perf_counter())
        answer = await handle(self, request)
        stamps.setdefault(f"{request.method} in", time.perf_counter())
        return answer

    httpx.AsyncHTTPTransport.handle_async_request = timed_handle  # type: ignore[method-assign]
    append = Journal.append

    def timed_append(self, **kwargs):  # type: ignore[no-untyped-def]
        record = append(self, **kwargs)
        stamps.setdefault("journal", time.perf_counter())
        return record

    Journal.append = timed_append  # type: ignore[method-assign]
    # When the state the figure waits for was reached, stamped where it happens (a polling
    # task would see it only once the event loop is free, after the frame that shows it).
    shown: dict[str, float] = {}
    patch = CustomersView.update_customer

    def timed_patch(self, customer):  # type: ignore[no-untyped-def]
        done = patch(self, customer)
        shown[f"row {customer.id} {customer.name}"] = time.perf_counter()
        return done

    CustomersView.update_customer = timed_patch  # type: ignore[method-assign]
    pop = FlowApp.pop_screen

    def timed_pop(self):  # type: ignore[no-untyped-def]
        done = pop(self)
        shown["popped"] = time.perf_counter()
        return done

    FlowApp.pop_screen = timed_pop  # type: ignore[method-assign]

    app, writes = bench_app(url)
    cpu_at: dict[float, float] = {}  # frame (perf_counter) -> this process's CPU time then
    display = app._display

    def cpu_display(screen, renderable):  # type: ignore[no-untyped-def]
        display(screen, renderable)
        cpu_at[writes[-1]] = time.process_time()

    app._display = cpu_display  # type: ignore[method-assign]
    out: list[dict[str, float]] = []
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()

    async with app.run_test(size=(120, 36)) as pilot:
        view = await customers_view(app)

        async def quiet() -> None:
            await wait_quiet(pilot, view)

        for i in range(samples):
            customer = view.highlighted()
            assert customer is not None
            await pilot.press("e")
            while not (isinstance(app.screen, EditCustomerScreen) and app.screen.specs):
                await asyncio.sleep(0.005)
            await pilot.press("end", "space", *str(i))
            await quiet()
            await asyncio.sleep(0.3)
            name = f"{customer.name} {i}"
            stamps.clear()
            if profiler:
                profiler.enable()
            cpu = time.process_time()
            start = time.perf_counter()
            app.post_message(events.Key("ctrl+s", "\x13"))
            deadline = time.monotonic() + 30
            shown.clear()
            while True:
                row = view.customers.get(customer.id)
                if isinstance(app.screen, MainScreen) and row and row.name == name:
                    stamps["row"] = max(shown["popped"], shown[f"row {customer.id} {name}"])
                    seen = time.perf_counter()
                    break
                if time.monotonic() > deadline:
                    raise SystemExit(f"save {i}: timed out")
                await asyncio.sleep(0.001)
            while not writes or writes[-1] < stamps["row"]:
                await asyncio.sleep(0.001)
            stamps["frame"] = next(w for w in writes if w >= stamps["row"])
            while writes[-1] < seen:
                await asyncio.sleep(0.001)
            stamps["polled"] = next(w for w in writes if w >= seen)
            if profiler:
                profiler.disable()
            await quiet()
            while "journal" not in stamps and time.monotonic() < deadline:
                await asyncio.sleep(0.001)
            spans = {k: (v - start) * 1000 for k, v in stamps.items()}
            spans["cpu"] = (cpu_at[stamps["frame"]] - cpu) * 1000
            out.append(spans)
            await pilot.press("down")
    if profiler and profile:
        profiler.dump_stats(profile)
    return out


def child(args: argparse.Namespace) -> None:
    result = asyncio.run(drive(args.url, args.samples, args.profile))
    print(json.dumps(result))


def run_child(code: str | None, url: str, env: dict, samples: int, profile: str | None) -> list:
    # The script's folder comes first on sys.path: FLOWTUI_BENCH_CODE puts the checkout
    # being measured before it.
    child_env = dict(env, FLOWTUI_BENCH_CODE=code or str(ROOT))
    command = [sys.executable, str(Path(__file__).resolve()), "--child", url,
               "--samples", str(samples)]  # fmt: skip
    if profile:
        command += ["--profile", profile]
    done = subprocess.run(command, env=child_env, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def summarize(name: str, latency: int, saves: list[dict[str, float]]) -> list[str]:
    def over(s: dict[str, float]) -> float:
        return s["frame"] - (s["GET in"] - s["GET out"]) - (s["PUT in"] - s["PUT out"])

    cells = []
    for span in SPANS:
        values = [s[span] for s in saves if span in s]
        cells.append(f"{statistics.median(values):.0f}" if values else "-")
    frames = [s["frame"] for s in saves]
    overs = [over(s) for s in saves]
    return [
        f"| {latency} | {name} | {len(saves)} | {statistics.median(frames):.0f} | "
        f"{pct(frames, 0.95):.0f} | {statistics.median(overs):.0f} | {pct(overs, 0.95):.0f} | "
        + " | ".join(cells)
        + " |"
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--samples", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--latencies", default="0,150")
    parser.add_argument("--compare", metavar="DIR")
    parser.add_argument("--profile", metavar="FILE")
    parser.add_argument("--child", metavar="URL", dest="url")
    args = parser.parse_args()
    if args.url:
        child(args)
        return
    codes: dict[str, str | None] = {"this code": None}
    if args.compare:
        codes[f"code in {args.compare}"] = os.path.abspath(args.compare)
    rows: list[str] = []
    with tempfile.TemporaryDirectory(prefix="flowtui-save-") as tmp:
        db = seeded_db(tmp, args.customers)
        for latency in (int(x) for x in args.latencies.split(",")):
            env = isolated_env(f"{tmp}/L{latency}")
            proc, url = start_sandbox(db, env, ["--latency-ms", str(latency)])
            saves: dict[str, list] = {name: [] for name in codes}
            try:
                for n in range(args.rounds):
                    for name, code in codes.items():
                        profile = args.profile if (n == 0 and code is None) else None
                        if profile and len(args.latencies.split(",")) > 1:
                            profile = f"{profile}.L{latency}"
                        got = run_child(code, url, env, args.samples, profile)
                        saves[name] += got
                        frames = statistics.median(s["frame"] for s in got)
                        print(f"L={latency} {name}: p50 {frames:.0f} ms", file=sys.stderr)
            finally:
                stop(proc)
            for name in codes:
                rows += summarize(name, latency, saves[name])
    print(f"load average {os.getloadavg()[0]:.1f}")
    head = " | ".join(SPANS)
    print(f"| L ms | code | saves | p50 ms | p95 ms | over p50 | over p95 | {head} |")
    print("|---:|---|---:|---:|---:|---:|---:|" + "---:|" * len(SPANS))
    for row in rows:
        print(row)


if __name__ == "__main__":
    main()
