"""What the benchmark scripts share: a sandbox in its own process on a free loopback port."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLIENT_ID, CLIENT_SECRET = "bench", "bench-secret"


def start_sandbox(
    db: Path, env: dict | None = None, extra: list[str] | None = None
) -> tuple[subprocess.Popen, str]:
    """``python -m flowtui sandbox`` on ``db`` (``extra``: more options, such as
    ``--latency-ms``); returns the process and its base URL."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "flowtui", "sandbox", "--db", str(db), "--port", "0",
         "--client-id", CLIENT_ID, "--client-secret", CLIENT_SECRET, *(extra or [])],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=ROOT,
        env=env,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        m = re.search(r"listening on (http://\S+)", proc.stdout.readline())
        if m:
            return proc, m[1]
        if proc.poll() is not None:
            break
    proc.kill()
    raise SystemExit("the sandbox did not start")


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


def isolated_env(tmp: str) -> dict[str, str]:
    """This environment with flowtui's folders in ``tmp`` and no profile chosen from outside
    (no ``EPCC_*`` credentials, no ``FLOWTUI_PROFILE``)."""
    env = {
        **os.environ,
        "FLOWTUI_CONFIG_DIR": f"{tmp}/config",
        "FLOWTUI_DATA_DIR": f"{tmp}/data",
        "FLOWTUI_CACHE_DIR": f"{tmp}/cache",
    }
    for key in ("EPCC_API_BASE_URL", "EPCC_CLIENT_ID", "EPCC_CLIENT_SECRET", "FLOWTUI_PROFILE"):
        env.pop(key, None)
    return env


def seeded_db(tmp: str, customers: int) -> Path:
    """``tmp/bench.db`` holding the demo flows and ``customers`` demo customers."""
    from flowtui.sandbox import demo
    from flowtui.sandbox.store import Store

    db = Path(tmp) / "bench.db"
    store = Store(db)
    demo.seed(store, customers)
    store.close()
    return db


def record_frames(app) -> list[float]:  # type: ignore[no-untyped-def]
    """Record when each frame is written: ``App._display`` hands the composed frame to the
    driver; the returned list gets a ``time.perf_counter()`` stamp per frame."""
    writes: list[float] = []
    display = app._display

    def recorded_display(screen, renderable) -> None:  # type: ignore[no-untyped-def]
        display(screen, renderable)
        writes.append(time.perf_counter())

    app._display = recorded_display
    return writes


def bench_app(url: str):  # type: ignore[no-untyped-def]
    """A FlowApp on a profile for the sandbox at ``url`` (the benchmarks' client), and the list
    :func:`record_frames` stamps its frames into."""
    from flowtui.config.profiles import Profile, ProfileStore
    from flowtui.config.resolve import Resolved
    from flowtui.ui.app import FlowApp

    profile = Profile(name="bench", base_url=url, client_id=CLIENT_ID)
    resolved = Resolved(profile=profile, secret=CLIENT_SECRET, source="profile")
    app = FlowApp(ProfileStore(), resolved=resolved, cursor_blink=False)
    return app, record_frames(app)


async def customers_view(app, timeout: float = 60):  # type: ignore[no-untyped-def]
    """The customers view of a running ``app``, once it has drawn its first page."""
    import asyncio

    from flowtui.ui.widgets.customers import CustomersView

    deadline = time.monotonic() + timeout
    while not app.screen.query("CustomersView") or not app.screen.query_one(CustomersView).drawn_at:
        if time.monotonic() > deadline:
            raise SystemExit("the customers view never loaded")
        await asyncio.sleep(0.01)
    return app.screen.query_one(CustomersView)


async def wait_quiet(pilot, view) -> None:  # type: ignore[no-untyped-def]
    """Until nothing the last action started is still running: the app's workers and the
    customers view's page requests."""
    import asyncio

    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    while view.fetcher.tasks:
        await asyncio.sleep(0.005)
    await pilot.pause()
