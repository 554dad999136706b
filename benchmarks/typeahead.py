"""Keys typed ahead against a remote store (issue 14's type-ahead slice): key bursts, from
the burst to the frame drawn with its result, and the wire requests each took, A/B against
another checkout in the same run.

Seeds demo customers into a temporary SQLite file once; for each latency L serves it from its
own process (``flowtui sandbox --latency-ms L``: every API request answers L ms late) and runs
the bursts below in a child process per code under test (``--compare DIR`` adds a checkout,
say main, whose ``flowtui`` the child imports instead of this one's), alternating the codes
round after round. Each child drives FlowApp headless (``App.run_test``, 120x36) through a
profile at the default pacing, as benchmarks/remote.py does; a burst is the events Textual's
own terminal parser makes of the bytes, all queued on the app at once (what one read from a
remote terminal gives the app). The clock stops at the first frame written once the result is
in the widgets and every key typed has been handed out. "requests": what the sandbox counted
from the burst until everything it started (prefetches and the detail pane's addresses
included) had finished; "pages": the pages of customers the app asked for meanwhile.

* 5 rapid PgDn: five PgDn in one write; done when page +5 is drawn
* PgDn PgDn e: done when the editor is ready; "right" counts the samples whose editor holds
  the customer on the highlighted row of page +2
* search by email: ``/`` pressed first, then ``<surname>@`` and enter in one write (enter
  skips the debounce; a different surname each sample, so the store is asked each time)
* palette: ctrl+p, ``view: flows`` and enter in one write; done when the flows view shows;
  "right" counts the samples that ran that command (and no other; no flows view 3 s after
  the keys were handed out is wrong too)

p50 and p95 are of the samples that did the right thing (all of them when none did).

    .venv/bin/python benchmarks/typeahead.py [--customers 100000] [--samples 10]
        [--latencies 0,150] [--rounds 2] [--compare /work/main]
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
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

SURNAMES = (
    "knope",
    "swanson",
    "ludgate",
    "dwyer",
    "perkins",
    "traeger",
    "wyatt",
    "haverford",
    "meagle",
    "gergich",
    "middlecott",
    "saperstein",
    "beauregard",
    "newport",
    "hapley",
    "shepard",
    "hamilton",
    "sanderson",
    "brandanowitz",
    "mulvaney",
    "larson",
    "tanaka",
    "okafor",
    "rossi",
    "nguyen",
    "kowalski",
    "silva",
    "haddad",
    "johansson",
)
PGDN = "\x1b[6~"
ACTIONS = ("5 rapid PgDn", "PgDn PgDn e", "search by email", "palette: view: flows")


def wire_requests(url: str) -> int:
    with urllib.request.urlopen(f"{url}/_sandbox/stats", timeout=10) as answer:
        return int(json.load(answer)["requests"])


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def drive(url: str, latency: int, samples: int) -> dict[str, list[list[float]]]:
    """One code's samples: per action, ``[ms, requests, right]`` per sample."""
    from textual._xterm_parser import XTermParser
    from textual.widgets import ContentSwitcher

    from benchmarks.common import bench_app, customers_view
    from flowtui.api.service import ApiService
    from flowtui.ui.screens.customer_editor import EditCustomerScreen
    from flowtui.ui.screens.main import MainScreen

    pages: list[tuple[float, float]] = []  # (sent, answered) of every page of customers
    list_customers = ApiService.list_customers

    async def counted(self: Any, **kwargs: Any) -> Any:
        pages.append((time.perf_counter(), 0.0))
        index = len(pages) - 1
        try:
            return await list_customers(self, **kwargs)
        finally:
            pages[index] = (pages[index][0], time.perf_counter())

    ApiService.list_customers = counted  # type: ignore[method-assign]
    app, writes = bench_app(url)
    out: dict[str, list[list[float]]] = {}
    pause = latency / 1000 + 0.3

    async with app.run_test(size=(120, 36)) as pilot:
        view = await customers_view(app)
        switcher = app.screen.query_one("#views", ContentSwitcher)

        async def quiet() -> None:
            """Until nothing the last action started is still running (10 s at most: a
            wrong command run by the palette may leave a worker waiting)."""
            await pilot.pause()
            deadline = time.monotonic() + 10
            while any(not w.is_finished for w in app.workers) or view.fetcher.tasks:
                if time.monotonic() > deadline:
                    running = [w.name for w in app.workers if not w.is_finished]
                    print(f"  still running: {running}", file=sys.stderr, flush=True)
                    break
                await asyncio.sleep(0.005)
            await pilot.pause()

        def burst(data: str) -> None:
            for event in XTermParser().feed(data):
                event.set_sender(app)
                app.post_message(event)

        def keys_left() -> bool:
            typeahead = getattr(app, "typeahead", None)
            return typeahead is not None and not typeahead.idle

        async def sample(name: str, data: str, done: Any) -> None:
            await quiet()
            await asyncio.sleep(pause)
            before = wire_requests(url)
            first_page = len(pages)
            start = time.perf_counter()
            burst(data)
            deadline = time.monotonic() + 30
            while (result := done()) is None:
                if time.monotonic() > deadline:
                    raise SystemExit(f"{name}: timed out ({view.status_text()})")
                await asyncio.sleep(0.001)
            moment, right = result
            until = time.monotonic() + 2  # nothing to draw (a command that ran nothing): none
            while (not writes or writes[-1] < moment) and time.monotonic() < until:
                await asyncio.sleep(0.001)
            painted = next((w for w in writes if w >= moment), moment)
            await quiet()
            requests = wire_requests(url) - before
            mine = pages[first_page:]
            sent, answered = mine[0] if mine else (start, start)
            out.setdefault(name, []).append(
                [
                    (painted - start) * 1000,
                    requests,
                    right,
                    len(mine),
                    (sent - start) * 1000,  # the burst to the first page request sent
                    (answered - sent) * 1000,  # its round trip
                    (painted - answered) * 1000,  # its answer to the frame
                ]
            )
            print(f"  {name}: {out[name][-1][0]:.0f} ms", file=sys.stderr, flush=True)

        def landed(offset: int) -> Any:
            drawn = view.drawn_at

            def check() -> tuple[float, bool] | None:
                page = view.page
                if view.drawn_at == drawn or page is None or view.state != "loaded":
                    return None
                if page.offset == offset and not keys_left():
                    return view.drawn_at, True
                return None

            return check

        for _ in range(samples):
            here = view.page.offset
            await sample("5 rapid PgDn", PGDN * 5, landed(here + 500))

        for i in range(samples):
            await pilot.press("g")
            await quiet()
            for _ in range(i % 3):
                await pilot.press("down")
            here, row = view.page.offset, view.table.cursor_row

            def editor(here: int = here, row: int = row) -> tuple[float, bool] | None:
                screen = app.screen
                if isinstance(screen, EditCustomerScreen) and screen.specs and not keys_left():
                    page = view.page
                    right = (
                        page is not None
                        and page.offset == here + 200
                        and screen.original.id == page.items[row].id
                    )
                    return time.perf_counter(), right
                return None

            await sample("PgDn PgDn e", PGDN * 2 + "e", editor)
            await pilot.press("escape")
            await quiet()
            if not isinstance(app.screen, MainScreen):
                raise SystemExit("the editor did not close")

        await pilot.press("g")
        await quiet()
        for i in range(samples):
            await pilot.press("slash")  # the box has focus before the burst is typed
            await sample("search by email", f"{SURNAMES[i % len(SURNAMES)]}@\r", landed(0))
            await pilot.press("slash", "escape")
            await quiet()

        for _ in range(samples):
            typed = time.monotonic()

            def flows_shown(typed: float = typed) -> tuple[float, bool] | None:
                if keys_left():
                    return None
                screen = app.screen
                if switcher.current == "flows":
                    return time.perf_counter(), isinstance(screen, MainScreen)
                if type(screen).__name__ not in ("MainScreen", "CommandPalette", "Palette"):
                    return time.perf_counter(), False  # another command ran
                if time.monotonic() - typed > 3:
                    return time.perf_counter(), False  # nothing (else) visible ran
                return None

            await sample("palette: view: flows", "\x10view: flows\r", flows_shown)
            while not isinstance(app.screen, MainScreen):
                app.pop_screen()  # the palette, or what a wrong command opened
                await pilot.pause()
            await quiet()
            app.action_view("customers")
            await quiet()
    return out


def child(code: str, url: str, latency: int, samples: int) -> None:
    """Run ``drive`` with ``code``'s flowtui (its own checkout) and print the JSON."""
    sys.path.insert(0, code)
    sys.path.insert(1, str(ROOT))
    import flowtui

    if not flowtui.__file__ or not flowtui.__file__.startswith(code):
        raise SystemExit(f"flowtui came from {flowtui.__file__}, not {code}")
    print(json.dumps(asyncio.run(drive(url, latency, samples))), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=10)
    parser.add_argument("--latencies", default="0,150")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--compare", metavar="DIR", help="another checkout (e.g. /work/main)")
    parser.add_argument("--child", nargs=4, metavar=("CODE", "URL", "L", "SAMPLES"))
    args = parser.parse_args()
    if args.child:
        code, url, latency, samples = args.child
        child(code, url, int(latency), int(samples))
        return
    sys.path.insert(0, str(ROOT))
    from benchmarks.common import isolated_env, seeded_db, start_sandbox, stop

    codes = {"this checkout": str(ROOT)}
    if args.compare:
        codes[f"{args.compare}"] = os.path.abspath(args.compare)
    tmp = tempfile.mkdtemp(prefix="flowtui-typeahead-")
    env = isolated_env(tmp)
    os.environ.update({k: v for k, v in env.items() if k.startswith("FLOWTUI_")})
    started = time.monotonic()
    db = seeded_db(tmp, args.customers)
    print(f"seeded {args.customers:,} customers in {time.monotonic() - started:.1f} s")
    results: dict[tuple[int, str], dict[str, list[list[float]]]] = {}
    for latency in (int(x) for x in args.latencies.split(",")):
        proc, url = start_sandbox(db, env=env, extra=["--latency-ms", str(latency)])
        try:
            for r in range(args.rounds):
                order = list(codes.items())
                for label, code in order[r % 2 :] + order[: r % 2]:
                    print(f"L = {latency}, round {r + 1}: {label} ({os.getloadavg()[0]:.1f} load)")
                    answer = subprocess.run(
                        [sys.executable, __file__, "--child", code, url, str(latency),
                         str(args.samples)],
                        capture_output=True, text=True, env=env, cwd=tempfile.gettempdir(),
                    )  # fmt: skip
                    if answer.returncode:
                        raise SystemExit(answer.stderr[-3000:])
                    got = json.loads(answer.stdout.strip().splitlines()[-1])
                    print(json.dumps({"L": latency, "code": label, "samples": got}), flush=True)
                    into = results.setdefault((latency, label), {})
                    for name, values in got.items():
                        into.setdefault(name, []).extend(values)
        finally:
            stop(proc)
    print()
    print("| L ms | action | code | samples | p50 ms | p95 ms | requests | pages | right |")
    print("|---:|---|---|---:|---:|---:|---:|---:|---:|")
    for (latency, label), by_action in results.items():
        for name in ACTIONS:
            values = by_action.get(name, [])
            if not values:
                continue
            ms = [v[0] for v in values if v[2]] or [v[0] for v in values]
            print(
                f"| {latency} | {name} | {label} | {len(ms)} | {statistics.median(ms):.0f} | "
                f"{pct(ms, 0.95):.0f} | {statistics.median(v[1] for v in values):g} | "
                f"{statistics.median(v[3] for v in values):g} | "
                f"{sum(1 for v in values if v[2])}/{len(values)} |"
            )
    print()
    print("search by email, medians: the burst to the request sent, its round trip, its answer")
    print("to the frame (ms)")
    print()
    print("| L ms | code | burst to request | round trip | answer to frame |")
    print("|---:|---|---:|---:|---:|")
    for (latency, label), by_action in results.items():
        values = by_action.get("search by email", [])
        if values:
            parts = [statistics.median(v[i] for v in values) for i in (4, 5, 6)]
            print(f"| {latency} | {label} | " + " | ".join(f"{p:.0f}" for p in parts) + " |")


if __name__ == "__main__":
    main()
