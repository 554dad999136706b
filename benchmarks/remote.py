"""Remote-store benchmark (issue 14): key press to frame drawn, with the wire requests each
action took, against a sandbox 0, 50 and 150 ms away.

Seeds 100,000 demo customers into a temporary SQLite file once; for each latency L serves
it from its own process (``flowtui sandbox --latency-ms L``: every API request, the token
included, answers L ms late) and drives FlowApp headless (``App.run_test``, 120x36) through a
profile pointing at it, with the profile's default pacing (20 requests/s). Each sample stops
the clock at the first frame handed to the terminal driver after the action's result is in
the widgets (as benchmarks/browse.py does). "requests" is what the sandbox counted
(``GET /_sandbox/stats``) from the key press until everything the action started, prefetches
and revalidations included, had finished: median per sample.

* next page / previous page: PgDn (PgUp) after a pause of one round trip + 300 ms
* 5 rapid PgDn: five PgDn written at once; the clock stops when page +5 is drawn
* search by email: ``/``, then an address fragment with ``@`` and Enter at once (Enter skips
  the debounce), until the store's answer is drawn
* open the editor: ``e`` on a customer, until its form is filled in and drawn
* save an edit: a changed name and ctrl+s, until the browser shows the saved row (the frame
  after the row changed and the editor closed, both stamped where they happen)
* first page after start: ``flowtui`` in a pseudo-terminal (benchmarks/startup.py's
  harness), process start to "1-100 of 100,000 customers" on screen, beside the floor app
  of benchmarks/startup.py (a Textual app with an httpx client and a 100-row table, no I/O),
  taking turns; with a saved profile whose token the untimed warm-up run cached (as any run
  within the token's life does; ``--startup-credentials env``: EPCC_* variables, a log-in
  every start), bytecode cached as for an installed flowtui (``--no-bytecode-cache``: not),
  the process's CPU time at the marker too, and with ``--compare DIR`` flowtui from another
  checkout (its .venv) in the same turns, for an A/B on a busy machine

    .venv/bin/python benchmarks/remote.py [--customers 100000] [--samples 20]
        [--latencies 0,50,150] [--startup-runs 5] [--startup-only] [--compare DIR]
        [--startup-credentials profile|env] [--no-bytecode-cache] [--actions all|pages|editor]
        [--profile FILE] [--compare-pages DIR [--rounds 4]] [--trace FILE] [--without-gate]

Beside each action's wall time, "CPU" is the app process's CPU time (``time.process_time``)
from the key to that frame, and "core wait" the time its main thread waited on a run queue
for a core meanwhile (``/proc/thread-self/schedstat``): on a machine shared with other work
(the sandbox runs on the same cores) wall minus CPU is mostly that wait, not the app's work.

``--actions pages`` measures only the next and previous page (no start-up runs);
``--actions editor`` only the editor's opens (after 3 s for the forms to be drawn ahead).
``--trace FILE`` records what the event loop ran in each open of the editor
(benchmarks/looptrace.py: every callback over 2 ms with the Textual messages in it, the
garbage collections, CPU, run-queue wait, the sandbox's CPU), prints it per open on stderr
with every full collection of the run and the sample it fell in, and appends it to FILE as
JSON lines (off by default: it patches asyncio and Textual for the process).
``--without-gate`` keeps the app's collection gate (flowtui/ui/collecting.py) from ever
holding the garbage collector, as before it: an A/B of the gate in one checkout.
``--profile FILE`` writes a cProfile (pstats) of the page turns, key to frame, to FILE (the
figures of a profiled run are not timings). ``--compare-pages DIR`` measures the page turns
of this checkout and of the one in DIR (e.g. main) alternately, ``--rounds`` rounds of
``--samples`` turns each, in child processes against the same sandbox, and prints both.
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
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
#: The checkout whose flowtui a --compare child drives (its benchmarks helpers too).
CODE = os.environ.get("FLOWTUI_BENCH_CODE")
if CODE:
    sys.path.insert(0, CODE)

from benchmarks import startup  # noqa: E402
from benchmarks.browse import pct  # noqa: E402
from benchmarks.common import (  # noqa: E402
    CLIENT_ID,
    CLIENT_SECRET,
    bench_app,
    customers_view,
    start_sandbox,
    stop,
    wait_quiet,
)
from benchmarks.looptrace import LoopTrace  # noqa: E402

KEY_NAMES = {"@": "at", " ": "space", ".": "full_stop"}
#: The characters of the named keys the benchmark types.
CHARS = {
    "slash": "/",
    "enter": "\r",
    "space": " ",
    "escape": "\x1b",
    "ctrl+s": "\x13",
    "at": "@",
    "full_stop": ".",
}
EMAILS = ("@pawnee", "knope@", "@eagleton", "swanson@", "@example", "ludgate@")


def runqueue_wait() -> float:
    """Milliseconds this thread has waited on a run queue for a core (Linux schedstat; 0
    where there is none)."""
    try:
        with open("/proc/thread-self/schedstat") as stat:
            return int(stat.read().split()[1]) / 1e6
    except (OSError, ValueError, IndexError):
        return 0.0


def wire_requests(url: str) -> int:
    with urllib.request.urlopen(f"{url}/_sandbox/stats", timeout=10) as answer:
        return int(json.load(answer)["requests"])


PAGE_TURNS = ("next page", "previous page")
#: The actions ``--trace`` records the event loop of.
TRACED = ("open the editor",)


def trace_text(seen: dict) -> str:
    """One traced sample in a few lines (benchmarks/looptrace.py)."""
    gcs = seen["gc"]
    n, small_wall, small_cpu = seen["small"]
    lines = [
        f"    wall {seen['wall_ms']:.0f} ms (window {seen['window_ms']:.0f}): process CPU "
        f"{seen['cpu_ms']:.0f}, main thread CPU {seen['thread_cpu_ms']:.0f}, run-queue wait "
        f"{seen['runqueue_wait_ms']:.1f}, sandbox CPU {seen['sandbox_cpu_ms']:.1f} ms; machine "
        f"busy {seen['machine_busy_share']:.0%}, load {seen['load']}; GC "
        f"{sum(g[2] for g in gcs):.1f} ms in {len(gcs)} "
        f"({', '.join(f'gen{g[1]} {g[2]:.1f}ms @{g[0] * 1000:.0f}' for g in gcs if g[2] > 1)}); "
        f"{n} callbacks < 2 ms: {small_wall:.1f} wall {small_cpu:.1f} cpu; frames at "
        f"{seen['frames']}",
    ]
    lines += [f"     {s.text()}" for s in seen["before"][-8:]]
    lines.append("     --- key")
    lines += [f"     {s.text()}" for s in seen["slices"]]
    return "\n".join(lines)


async def drive(
    url: str,
    latency: int,
    samples: int,
    *,
    actions: str = "all",
    profile_to: str | None = None,
    trace: LoopTrace | None = None,
    traced: list[dict] | None = None,
) -> dict[str, list[tuple[float, ...]]]:
    import cProfile

    from textual import events

    from flowtui.ui.screens.customer_editor import EditCustomerScreen
    from flowtui.ui.screens.main import MainScreen

    app, writes = bench_app(url)
    if not GATE:
        collections = getattr(app, "collections", None)
        if collections is not None:
            collections.key = lambda: None  # never holds: the collector runs as before it
    # Each frame's process CPU and the main thread's run-queue wait, stamped with it: an
    # action's own CPU (key to frame) beside its wall time, and how long it waited for a core.
    frame_clocks: dict[float, tuple[float, float]] = {}
    display = app._display

    def clocked(screen, renderable) -> None:  # type: ignore[no-untyped-def]
        display(screen, renderable)
        frame_clocks[writes[-1]] = (time.process_time(), runqueue_wait())

    app._display = clocked
    out: dict[str, list[tuple[float, ...]]] = {}
    profiler = cProfile.Profile() if profile_to else None
    pause = latency / 1000 + 0.3
    #: Each sample's action, key and frame (perf_counter): where the full collections fell.
    windows: list[tuple[str, float, float]] = []
    if trace is not None:
        trace.full_collections.clear()

    async with app.run_test(size=(120, 36)) as pilot:
        view = await customers_view(app)
        # The app moves its start-up heap out of the collector's sight a second after start
        # (flowtui.ui.app.freeze_heap: one full collection); a page turn is not timed
        # across it.
        settle_by = time.monotonic() + 3
        while not gc.get_freeze_count() and time.monotonic() < settle_by:
            await asyncio.sleep(0.05)

        async def quiet() -> None:
            await wait_quiet(pilot, view)

        def burst(keys: list[str]) -> None:
            """Hand the app ``keys`` at once, as a terminal's bytes arrive in one read
            (Pilot.press waits for the app to go idle after each key: not a burst)."""
            for key in keys:
                char = CHARS.get(key, key if len(key) == 1 else None)
                app.post_message(events.Key(key, char))

        async def frame_after(moment: float) -> float:
            while not writes or writes[-1] < moment:
                await asyncio.sleep(0.001)
            return next(w for w in writes if w >= moment)

        async def sample(name: str, keys: list[str], done) -> None:
            """Press ``keys`` (written at once), wait until ``done()`` returns the moment
            the result was put in the widgets, then for the frame after it."""
            await quiet()
            tracing = trace is not None and name in TRACED
            if tracing:
                trace.start()
            await asyncio.sleep(pause)
            before = wire_requests(url)
            profiling = profiler is not None and name in PAGE_TURNS
            if profiling:
                profiler.enable()
            if tracing:
                trace.mark()
            cpu0, wait0 = time.process_time(), runqueue_wait()
            start = time.perf_counter()
            burst(keys)
            deadline = time.monotonic() + 30
            while (moment := done()) is None:
                if time.monotonic() > deadline:
                    raise SystemExit(f"{name}: timed out ({view.status_text()})")
                await asyncio.sleep(0.001)
            painted = await frame_after(moment)
            if profiling:
                profiler.disable()
            seen = trace.stop(painted) if tracing else None
            windows.append((name, start, painted))
            await quiet()
            cpu, wait = frame_clocks[painted]
            out.setdefault(name, []).append(
                ((painted - start) * 1000, wire_requests(url) - before, (cpu - cpu0) * 1000,
                 wait - wait0)
            )  # fmt: skip
            frame_clocks.clear()
            ms, _, cpu_ms, wait_ms = out[name][-1]
            print(
                f"  {name}: {ms:.0f} ms (CPU {cpu_ms:.0f}, waited for a core {wait_ms:.0f})",
                file=sys.stderr, flush=True,
            )  # fmt: skip
            if seen is not None and traced is not None:
                seen.update(action=name, latency=latency, frames=[
                    round((w - start) * 1000, 1) for w in writes if start <= w <= painted + 0.05
                ])  # fmt: skip
                traced.append(seen)
                print(trace_text(seen), file=sys.stderr, flush=True)

        def page_at(offset: int):
            drawn = view.drawn_at

            def check() -> float | None:
                page = view.page
                if view.drawn_at != drawn and page is not None and page.offset == offset:
                    return view.drawn_at
                return None

            return check

        for _ in range(samples if actions != "editor" else 0):
            here = view.page.offset
            await sample("next page", ["pagedown"], page_at(here + 100))
        for _ in range(samples if actions != "editor" else 0):
            here = view.page.offset
            await sample("previous page", ["pageup"], page_at(here - 100))
        if profiler is not None and profile_to:
            profiler.dump_stats(profile_to)
        if actions == "pages":
            return out

        def landing(here: int):
            """Page +5 drawn, or (code that loses keys) the page drawn once no load runs and
            every key typed has been handed out (the app's type-ahead queue, where it has one,
            gives a page key out once the one before has settled)."""
            drawn = view.drawn_at
            typeahead = getattr(app, "typeahead", None)

            def check() -> float | None:
                page = view.page
                if view.drawn_at == drawn or page is None or view.state != "loaded":
                    return None
                loading = any(w.group == "customers.load" and w.is_running for w in app.workers)
                keys_left = typeahead is not None and not typeahead.idle
                if page.offset == here + 500 or not (loading or keys_left):
                    landed.append((page.offset - here) // 100)
                    return view.drawn_at
                return None

            return check

        landed: list[int] = []
        others = samples if actions != "editor" else 0
        for _ in range(others):
            await sample("5 rapid PgDn", ["pagedown"] * 5, landing(view.page.offset))
        if others:
            out["5 rapid PgDn: pages moved"] = [(float(n), 0) for n in landed]
            await pilot.press("g")
            await quiet()
        for i in range(others):
            fragment = EMAILS[i % len(EMAILS)]
            await pilot.press("slash")  # the box has focus before the burst is typed
            keys = [*(KEY_NAMES.get(c, c) for c in fragment), "enter"]
            await sample("search by email", keys, page_at(0))
            await pilot.press("slash", "escape")
            await quiet()

        # The editor stamped when it is pushed with its rows (a kept form is filled before):
        # a task polling for it may run only after the frames that show it.
        pushed: dict[int, float] = {}
        push = app.push_screen

        def pushing(screen, *args, **kwargs):  # type: ignore[no-untyped-def]
            done = push(screen, *args, **kwargs)
            if isinstance(screen, EditCustomerScreen) and screen.specs:
                pushed[id(screen)] = time.perf_counter()
            return done

        app.push_screen = pushing  # type: ignore[method-assign]

        def editor_ready() -> float | None:
            screen = app.screen
            if isinstance(screen, EditCustomerScreen) and screen.specs:
                return pushed.pop(id(screen), None) or time.perf_counter()
            return None

        if actions == "editor":
            await asyncio.sleep(3)  # as a person reads the page (the forms are drawn ahead)
        for _ in range(samples):
            await pilot.press("down")
            await sample("open the editor", ["e"], editor_ready)
            await pilot.press("escape")
            await quiet()
            if not isinstance(app.screen, MainScreen):
                raise SystemExit("the editor did not close")

        # When the saved row and the main screen are both there, stamped where each happens:
        # a task polling for it runs only once the event loop is free, after the frame that
        # shows them, and would stop the clock at the frame after that one.
        reached: dict[str, float] = {}
        pop, patch = app.pop_screen, view.update_customer

        def popped():  # type: ignore[no-untyped-def]
            done = pop()
            reached["popped"] = time.perf_counter()
            return done

        def patched(changed):  # type: ignore[no-untyped-def]
            done = patch(changed)
            reached[changed.id] = time.perf_counter()
            return done

        app.pop_screen = popped  # type: ignore[method-assign]
        view.update_customer = patched  # type: ignore[method-assign]
        for i in range(others):
            customer = view.highlighted()
            assert customer is not None
            await pilot.press("e")
            while editor_ready() is None:
                await asyncio.sleep(0.005)
            await pilot.press("end", "space", *str(i))
            new_name = f"{customer.name} {i}"
            reached.clear()

            def saved(cid: str = customer.id, name: str = new_name) -> float | None:
                shown = view.customers.get(cid)
                if isinstance(app.screen, MainScreen) and shown and shown.name == name:
                    return max(reached["popped"], reached[cid])
                return None

            await sample("save an edit", ["ctrl+s"], saved)
            await pilot.press("down")
    if trace is not None:
        print(full_collections_text(trace, windows), file=sys.stderr, flush=True)
    return out


def full_collections_text(trace: LoopTrace, windows: list[tuple[str, float, float]]) -> str:
    """Every full collection of the run, and the timed sample it fell in, if any."""
    lines = [f"  full collections: {len(trace.full_collections)}"]
    for at, ms in trace.full_collections:
        hit = next(
            (f"in {n} (+{(at - a) * 1000:.0f} ms)" for n, a, b in windows if a <= at <= b), ""
        )
        lines.append(f"    {ms:6.1f} ms {hit}")
    return "\n".join(lines)


def first_page(
    url: str,
    runs: int,
    compare: str | None = None,
    credentials: str = "profile",
    bytecode: bool = True,
) -> dict[str, tuple[list[startup.Run], list[int]]]:
    """Process start to the first page on screen (benchmarks/startup.py's pseudo-terminal
    harness): flowtui against ``url``, flowtui from the checkout ``compare`` (its own
    ``.venv``) when given, and the floor app, taking turns; for each, its runs and the
    requests each run sent (start to quit).

    ``credentials``: ``profile`` (a saved profile, as ``flowtui profile add`` makes: its
    token is cached by the untimed warm-up run, as by any earlier run within the token's
    life) or ``env`` (``EPCC_*`` variables: the token is never cached, every start logs in).
    With ``bytecode`` every module's bytecode is cached, as for an installed flowtui (see
    benchmarks/startup.py), even where PYTHONDONTWRITEBYTECODE is set."""  # fmt: skip
    marker = f"1-100 of {CUSTOMERS:,} customers"
    with tempfile.TemporaryDirectory(prefix="flowtui-remote-") as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("EPCC_", "FLOWTUI_"))}
        env.update(
            FLOWTUI_CONFIG_DIR=f"{tmp}/config",
            FLOWTUI_DATA_DIR=f"{tmp}/data",
            FLOWTUI_CACHE_DIR=f"{tmp}/cache",
            TERM="xterm-256color",
            NO_PROXY="127.0.0.1,localhost",
        )
        if credentials == "env":
            env.update(
                EPCC_API_BASE_URL=url, EPCC_CLIENT_ID=CLIENT_ID, EPCC_CLIENT_SECRET=CLIENT_SECRET
            )
        else:
            subprocess.run(
                [sys.executable, "-m", "flowtui", "profile", "add", "bench", "--url", url,
                 "--client-id", CLIENT_ID, "--secret-stdin", "--default", "--no-check"],
                input=CLIENT_SECRET + "\n", text=True, env=env, cwd=ROOT, check=True,
                capture_output=True,
            )  # fmt: skip
        if bytecode:
            startup.cache_bytecode(env, tmp)
        floor_py = Path(tmp) / "floor_app.py"
        floor_py.write_text(startup.FLOOR_APP.replace(startup.FLOWTUI_MARKER, marker))
        programs: dict[str, tuple[list[str], Path]] = {"this code": (flowtui_command(ROOT), ROOT)}
        if compare:
            other = Path(compare).resolve()
            programs[f"code in {compare}"] = (flowtui_command(other), other)
            if bytecode:
                python = other / ".venv" / "bin" / "python"
                startup.cache_bytecode(env, tmp, str(python), other)
        programs["floor"] = ([sys.executable, str(floor_py)], ROOT)
        results: dict[str, tuple[list[startup.Run], list[int]]] = {n: ([], []) for n in programs}
        for argv, cwd in programs.values():  # warm-ups (bytecode, disk cache, the token)
            startup.measure(argv, marker, env, 30, cwd)
        names = list(programs)
        for i in range(runs):
            for name in names[i % len(names) :] + names[: i % len(names)]:
                argv, cwd = programs[name]
                before = wire_requests(url)
                run = startup.measure(argv, marker, env, 30, cwd)
                results[name][0].append(run)
                results[name][1].append(wire_requests(url) - before)
    return results


def flowtui_command(checkout: Path) -> list[str]:
    """The ``flowtui`` script of ``checkout``'s ``.venv`` (a script, not ``python -m``: the
    working directory would come first on ``sys.path``), else this interpreter's."""
    script = checkout / ".venv" / "bin" / "flowtui"
    if script.exists():
        return [str(script)]
    script = Path(sys.executable).with_name("flowtui")
    return [str(script)] if script.exists() else [sys.executable, "-m", "flowtui"]


CUSTOMERS = 100_000
#: Whether the app's collection gate works (``--without-gate``: it never holds).
GATE = True


def add_rows(rows: list[str], latency: int, results: dict, prefix: str = "") -> None:
    for name, values in results.items():
        ms = [v[0] for v in values]
        sent = statistics.median(v[1] for v in values)
        cpu = [v[2] for v in values if len(v) > 2]
        wait = [v[3] for v in values if len(v) > 3]
        own = (
            f"{statistics.median(cpu):.0f} | {pct(cpu, 0.95):.0f} | {pct(wait, 0.95):.0f}"
            if cpu
            else "- | - | -"
        )
        rows.append(
            f"| {latency} | {prefix}{name} | {len(ms)} | {statistics.median(ms):.0f} | "
            f"{pct(ms, 0.95):.0f} | {own} | {sent:g} |"
        )


def child(args: argparse.Namespace) -> None:
    """A --compare child: the page turns against the sandbox at ``args.child``, as JSON."""
    out = asyncio.run(drive(args.child, args.child_latency, args.samples, actions="pages"))
    print(json.dumps(out))


def compare(url: str, latency: int, args: argparse.Namespace) -> dict[str, dict[str, list]]:
    """The page turns of this checkout and of ``args.compare_pages``, alternately, each round in
    a child process of its own (same sandbox, same customers)."""
    other = args.compare_pages
    codes = {"this checkout": "", f"code in {other}": os.path.abspath(other)}
    results: dict[str, dict[str, list]] = {name: {} for name in codes}
    for i in range(args.rounds):
        order = list(codes.items())
        for name, code in order[i % 2 :] + order[: i % 2]:
            env = dict(os.environ, FLOWTUI_BENCH_CODE=code)
            command = [sys.executable, __file__, "--child", url, "--child-latency",
                       str(latency), "--samples", str(args.samples)]  # fmt: skip
            done = subprocess.run(command, env=env, capture_output=True, text=True, cwd=ROOT)
            if done.returncode:
                raise SystemExit(f"{name}: {done.stderr[-2000:]}")
            for action, values in json.loads(done.stdout.splitlines()[-1]).items():
                results[name].setdefault(action, []).extend(values)
    return results


def main() -> None:
    global CUSTOMERS, GATE
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=CUSTOMERS)
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--latencies", default="0,50,150")
    parser.add_argument("--startup-runs", type=int, default=5)
    parser.add_argument(
        "--startup-only", action="store_true", help="measure only the first page after start"
    )
    parser.add_argument(
        "--compare", metavar="DIR", help="also start flowtui from this checkout (its .venv)"
    )
    parser.add_argument(
        "--startup-credentials", choices=("profile", "env"), default="profile",
        help="a saved profile (token cached) or EPCC_* variables (a log-in every start)",
    )  # fmt: skip
    parser.add_argument(
        "--no-bytecode-cache", action="store_true",
        help="start-up: keep PYTHONDONTWRITEBYTECODE as inherited (flowtui compiled each start)",
    )  # fmt: skip
    parser.add_argument("--actions", choices=("all", "pages", "editor"), default="all")
    parser.add_argument(
        "--without-gate", action="store_true",
        help="the app's collection gate (flowtui/ui/collecting.py) never holds: as before it,"
        " for an A/B",
    )  # fmt: skip
    parser.add_argument(
        "--trace", metavar="FILE",
        help="record what the event loop ran in each open of the editor (benchmarks/looptrace.py):"
        " a summary per open on stderr, every detail as JSON lines in FILE",
    )  # fmt: skip
    parser.add_argument("--profile", metavar="FILE", help="cProfile of the page turns")
    parser.add_argument("--compare-pages", metavar="DIR", help="page turns of another checkout too")
    parser.add_argument("--rounds", type=int, default=4, help="alternations, --compare-pages")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--child-latency", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    CUSTOMERS = args.customers
    GATE = not args.without_gate
    latencies = [int(x) for x in args.latencies.split(",")]
    tmp = tempfile.mkdtemp(prefix="flowtui-remote-")
    for name in ("CONFIG", "DATA", "CACHE"):
        os.environ[f"FLOWTUI_{name}_DIR"] = os.path.join(tmp, name.lower())
    from flowtui.sandbox import demo
    from flowtui.sandbox.store import Store

    db = Path(tmp) / "bench.db"
    store = Store(db)
    seconds = demo.timed_seed(store, args.customers)
    store.close()
    print(f"seeded {args.customers:,} customers in {seconds:.1f} s", flush=True)
    rows: list[str] = []
    trace = LoopTrace() if args.trace else None
    if trace is not None:
        trace.install()
    for latency in latencies:
        proc, url = start_sandbox(db, extra=["--latency-ms", str(latency)])
        try:
            if args.compare_pages:
                for name, results in compare(url, latency, args).items():
                    add_rows(rows, latency, results, f"{name}: ")
                print(f"L = {latency} ms done", flush=True)
                continue
            profile = args.profile and f"{args.profile}.L{latency}"
            traced: list[dict] = []
            if trace is not None:
                trace.sandbox_pid = proc.pid
            results = (
                {}
                if args.startup_only
                else asyncio.run(
                    drive(url, latency, args.samples, actions=args.actions, profile_to=profile,
                          trace=trace, traced=traced)
                )
            )  # fmt: skip
            if args.trace:
                with open(args.trace, "a") as log:
                    for seen in traced:
                        log.write(json.dumps(seen, default=lambda s: s.__dict__) + "\n")
            if args.actions in ("pages", "editor") or args.startup_runs < 1:  # no start-up rows
                add_rows(rows, latency, results)
                print(f"L = {latency} ms done", flush=True)
                continue
            started = first_page(
                url, args.startup_runs, args.compare, args.startup_credentials,
                not args.no_bytecode_cache,
            )  # fmt: skip
        finally:
            stop(proc)
        add_rows(rows, latency, results)
        floor = statistics.median(r.seconds * 1000 for r in started["floor"][0])
        for name, (runs, sent) in started.items():
            ms = [r.seconds * 1000 for r in runs]
            cpu = [r.cpu * 1000 for r in runs if r.cpu is not None]
            what = "floor app of startup.py (no I/O)" if name == "floor" else (
                f"first page after start (process start), {name}"
            )  # fmt: skip
            vs = "" if name == "floor" else (
                f" ({statistics.median(ms) / floor:.2f}x the floor, "
                f"+{statistics.median(ms) - floor:.0f} ms)"
            )  # fmt: skip
            cpu_note = f"; CPU p50 {statistics.median(cpu):.0f} ms" if cpu else ""
            rows.append(
                f"| {latency} | {what}{vs}{cpu_note} | {len(ms)} | {statistics.median(ms):.0f} | "
                f"{pct(ms, 0.95):.0f} | - | - | - | {statistics.median(sent):g} |"
            )
        print(f"L = {latency} ms done", flush=True)
    print()
    print(
        f"| L ms | action ({args.customers:,} customers) | samples | p50 ms | p95 ms | "
        "CPU p50 | CPU p95 | core wait p95 | requests |"
    )
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        print(row)


if __name__ == "__main__":
    main()
