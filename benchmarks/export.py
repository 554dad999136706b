"""Export benchmark: `flowtui export customers` of 100,000 customers over loopback, beside
the sandbox's own raw page-fetch capacity measured in the same run.

Raw capacity: the same keyset page requests the export makes (100 customers each, sorted by
created_at), sent by bare httpx with 4 concurrent connections and no parsing beyond reading
the bytes. The export runs as the real command in a child process (its peak RSS comes from
the OS), through a profile whose rate limit is set high enough not to pace it.

    .venv/bin/python benchmarks/export.py [--customers 100000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import resource
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
    start_sandbox,
    stop,
)
from flowtui.sandbox import demo  # noqa: E402
from flowtui.sandbox.store import Store  # noqa: E402


async def raw_capacity(url: str, stamps: list[str], concurrency: int = 4) -> float:
    """Customers per second the sandbox serves for keyset pages, read as raw bytes."""
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        token = (
            await client.post(
                "/oauth/access_token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": CLIENT_ID,
                    "client_secret": CLIENT_SECRET,
                },
            )
        ).json()["access_token"]
        client.headers["Authorization"] = f"Bearer {token}"
        queue: asyncio.Queue[str] = asyncio.Queue()
        for stamp in stamps:
            queue.put_nowait(stamp)
        fetched = 0

        async def worker() -> None:
            nonlocal fetched
            while not queue.empty():
                stamp = queue.get_nowait()
                r = await client.get(
                    "/v2/customers",
                    params={
                        "sort": "created_at",
                        "page[limit]": 100,
                        "filter": f"ge(created_at,{stamp})",
                    },
                )
                r.raise_for_status()
                fetched += r.content.count(b'"type":"customer"')

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return fetched / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3, help="alternate raw/export runs")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = isolated_env(tmp)
        db = Path(tmp) / "bench.db"
        store = Store(db)
        demo.seed(store, args.customers)
        # page boundaries as the export's keyset walk sees them: every 100th created_at
        stamps = [
            r[0]
            for r in store.db.execute("SELECT created_at FROM customers ORDER BY created_at, id")
        ][::100]
        store.close()
        proc, url = start_sandbox(db, env)
        try:
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "flowtui",
                    "profile",
                    "add",
                    "bench",
                    "--url",
                    url,
                    "--client-id",
                    CLIENT_ID,
                    "--secret-stdin",
                    "--rate-limit",
                    "1000",
                ],
                input=CLIENT_SECRET + "\n",
                text=True,
                env=env,
                check=True,
                capture_output=True,
            )
            out = Path(tmp) / "customers.jsonl"
            command = [sys.executable, "-m", "flowtui", "export", "customers", "--format",
                       "jsonl", "--output", str(out), "--profile", "bench"]  # fmt: skip
            runs = []  # (raw capacity, export seconds) pairs, measured alternately
            for _ in range(args.repeat):
                raw = asyncio.run(raw_capacity(url, stamps))
                started = time.perf_counter()
                done = subprocess.run(command, env=env, capture_output=True, text=True)
                took = time.perf_counter() - started
                if done.returncode:
                    raise SystemExit(f"export failed: {done.stderr}")
                runs.append((raw, took))
            lines = sum(1 for _ in out.open())
            peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        finally:
            stop(proc)
    for i, (raw, took) in enumerate(runs, start=1):
        rate = lines / took
        print(
            f"run {i}: export {rate:,.0f} customers/s ({took:.2f} s, start-up included), "
            f"raw {raw:,.0f} customers/s, ratio {rate / raw:.0%}"
        )
    raw = statistics.median(r for r, _ in runs)
    took = statistics.median(t for _, t in runs)
    rate = lines / took
    print(
        f"customers exported:        {lines:,} (median of {len(runs)} runs: {took:.2f} s, "
        "whole command, start-up included)"
    )
    print(f"export rate:               {rate:,.0f} customers/s")
    print(f"raw page-fetch capacity:   {raw:,.0f} customers/s (4 connections, bytes only)")
    print(f"export / raw:              {rate / raw:.0%} (target >= 80%)")
    print(f"peak RSS of child processes (largest): {peak_mb:.0f} MB (target <= 150 MB)")


if __name__ == "__main__":
    main()
