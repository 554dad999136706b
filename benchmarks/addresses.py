"""A customer's addresses in the browser (issue 18): key press to the frame that shows them.

Seeds the demo customers (1-3 addresses each) into a temporary SQLite file, serves ``flowtui
sandbox --latency-ms L`` on loopback from its own process, and drives FlowApp headless
through a profile pointing at it (as benchmarks/keys.py does). Rows:

* move, new customer: ``down`` onto a customer not seen yet, to the first frame whose detail
  pane lists their addresses (the pane waits for the highlight to rest, then one request)
* move, back: ``up`` onto a customer seen before, to the frame that lists their addresses
  (from the session's cache: no request)
* list: ``a``, to the frame showing the address list filled
* editor: ``e`` in the list, to the frame with the address form ready (inputs, focus)

Each row says how many API requests its samples sent (the sandbox counts).

    .venv/bin/python benchmarks/addresses.py [--customers 1000] [--samples 15] [--latency 0 150]
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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import isolated_env, seeded_db, stop  # noqa: E402
from benchmarks.keys import Harness, pct, requests_so_far, start  # noqa: E402


async def drive(url: str, samples: int) -> dict[str, tuple[list[float], int]]:
    from flowtui.ui.screens.address_editor import AddressEditorScreen, AddressesScreen
    from flowtui.ui.screens.main import MainScreen
    from flowtui.ui.widgets.customers import CustomersView
    from flowtui.ui.widgets.customers.addresses import AddressesBlock

    harness = Harness(url)
    app, burst, until, painted_after = (
        harness.app,
        harness.burst,
        harness.until,
        harness.painted_after,
    )

    async def timed(keys: str, ready) -> float:  # type: ignore[no-untyped-def]
        start = time.perf_counter()
        burst(keys)
        await until(ready)
        return (await painted_after(time.perf_counter()) - start) * 1000

    rows: dict[str, tuple[list[float], int]] = {}
    async with app.run_test(size=(120, 36)) as pilot:
        await until(lambda: bool(app.screen.query("AddressesBlock")))
        view = app.screen.query_one(CustomersView)
        block = app.screen.query_one(AddressesBlock)
        await until(lambda: bool(view.drawn_at))
        await pilot.pause(1.5)  # the flows view reads its flows 1 s after start: not counted

        def lists(customer_id: str) -> bool:
            current = view.highlighted()
            return (
                current is not None
                and current.id == customer_id
                and customer_id in block.cache
                and "Addresses (" in str(block.render())
            )

        new: list[float] = []
        back: list[float] = []
        new_requests = back_requests = 0
        for row in range(samples):
            before = requests_so_far(url)
            target = list(view.customers)[row + 1]
            new.append(await timed("\x1b[B", lambda t=target: lists(t)))  # down
            new_requests += requests_so_far(url) - before
            before = requests_so_far(url)
            previous = list(view.customers)[row]
            back.append(await timed("\x1b[A", lambda p=previous: lists(p)))  # up
            back_requests += requests_so_far(url) - before
            await timed("\x1b[B", lambda t=target: lists(t))
        rows["move, new customer"] = (new, new_requests)
        rows["move, back (cached)"] = (back, back_requests)

        listed: list[float] = []
        edited: list[float] = []
        list_requests = edit_requests = 0
        for _ in range(samples):
            before = requests_so_far(url)
            listed.append(
                await timed(
                    "a", lambda: isinstance(app.screen, AddressesScreen) and app.screen.loaded
                )
            )
            list_requests += requests_so_far(url) - before
            listing = app.screen
            before = requests_so_far(url)

            def form_ready() -> bool:
                screen = app.screen
                return (
                    isinstance(screen, AddressEditorScreen)
                    and screen.inputs_shown
                    and app.focused is not None
                    and app.typeahead.idle
                )

            edited.append(await timed("e", form_ready))
            edit_requests += requests_so_far(url) - before
            app.screen.dismiss(None)
            await until(lambda listing=listing: app.screen is listing)
            listing.dismiss(None)
            await until(lambda: isinstance(app.screen, MainScreen))
            await pilot.pause(0.05)
        rows["list (a)"] = (listed, list_requests)
        rows["editor (e in the list)"] = (edited, edit_requests)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--samples", type=int, default=15)
    parser.add_argument("--latency", type=int, nargs="+", default=[0, 150])
    args = parser.parse_args(argv)
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
            print(f"latency {latency} ms, {args.customers} customers, {args.samples} samples:")
            for name, (times, requests) in rows.items():
                print(
                    f"  {name:<24} median {statistics.median(times):7.1f} ms   "
                    f"p90 {pct(times, 0.9):7.1f} ms   requests {requests}"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
