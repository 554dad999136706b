"""Address export benchmark: ``export_addresses`` of every customer's addresses from a
sandbox in its own process on loopback, with added latency (a remote store is 50-150 ms away),
for several numbers of address lists in flight.

Each demo customer has the demo's 1-3 addresses, written into the store before the sandbox
starts.
The export runs in this process through an ApiService without pacing, so the figures show
what keeping N requests in flight buys against a store that far away.

    .venv/bin/python benchmarks/address_export.py [--customers 300] [--latency-ms 150]
        [--in-flight 1,4,8]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import CLIENT_ID, CLIENT_SECRET, isolated_env, stop  # noqa: E402
from flowtui.api.service import ApiService  # noqa: E402
from flowtui.ops.address_transfer import export_addresses  # noqa: E402
from flowtui.sandbox import demo  # noqa: E402
from flowtui.sandbox.store import Store  # noqa: E402


def seed(db: Path, customers: int) -> int:
    """Demo customers, each with the demo's 1-3 addresses; returns how many addresses."""
    store = Store(db)
    demo.seed(store, customers)
    count = store.addresses.count()
    store.close()
    return count


def start(db: Path, env: dict[str, str], latency_ms: int):
    """The sandbox with ``--latency-ms``; returns the process and its URL."""
    import re
    import subprocess

    proc = subprocess.Popen(
        [sys.executable, "-m", "flowtui", "sandbox", "--db", str(db), "--port", "0",
         "--client-id", CLIENT_ID, "--client-secret", CLIENT_SECRET,
         "--latency-ms", str(latency_ms)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT, env=env,
    )  # fmt: skip
    assert proc.stdout is not None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = re.search(r"listening on (http://\S+)", proc.stdout.readline())
        if found:
            return proc, found[1]
    proc.kill()
    raise SystemExit("the sandbox did not start")


async def export_once(url: str, in_flight: int) -> tuple[int, float]:
    async with ApiService(url, CLIENT_ID, CLIENT_SECRET, rate_limit=None) as service:
        await service.login()
        started = time.perf_counter()
        result = await export_addresses(service, io.StringIO(), "jsonl", concurrency=in_flight)
        return result.count, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=300)
    parser.add_argument("--latency-ms", type=int, default=150)
    parser.add_argument("--in-flight", default="1,4,8", help="comma-separated list")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        total = seed(db, args.customers)
        proc, url = start(db, isolated_env(tmp), args.latency_ms)
        try:
            print(
                f"{args.customers:,} customers, {total:,} addresses, "
                f"{args.latency_ms} ms added per request"
            )
            for n in (int(x) for x in args.in_flight.split(",")):
                count, took = asyncio.run(export_once(url, n))
                assert count == total, (count, total)
                print(f"{n:>2} in flight: {took:6.2f} s, {count / took:,.0f} addresses/s")
        finally:
            stop(proc)


if __name__ == "__main__":
    main()
