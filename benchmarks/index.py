"""Local index benchmark: full sync of 100,000 customers, an incremental sync after 1,000
changes (and one after a few deletes), and search latency on the full index.

Seeds 100,000 demo customers into a temporary SQLite file and serves the sandbox from its own
process (``flowtui sandbox``) on loopback; the index syncs through an unpaced
:class:`ApiService` into a temporary cache directory, exactly as ``flowtui index sync`` does.
Changes are made by a second client over the API (1,000 customers get a new delivery note and
loyalty tier, 8 requests at a time). Search latency is the wall time of
``CustomerIndex.search(query, limit=100)``: parse, count every match, read and decode the first
page of 100 customers, for a mix of queries, each run ``--repeat`` times.

    .venv/bin/python benchmarks/index.py [--customers 100000] [--changes 1000] [--repeat 30]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import (  # noqa: E402
    CLIENT_ID,
    CLIENT_SECRET,
    isolated_env,
    seeded_db,
    start_sandbox,
    stop,
)

QUERIES = {
    "contains (custom text)": [
        "delivery_notes:knope",
        'delivery_notes:"government building"',
        "delivery_notes:waffle",
    ],
    "numeric range": [
        "loyalty_tier>=4",
        "lifetime_value>1000",
        "lifetime_value<=20",
    ],
    "combined": [
        "delivery_notes:knope loyalty_tier>=3 newsletter=true",
        "birthday<1970 contact_window=morning",
        "lifetime_value>500 name:leslie",
    ],
    "bare word": ["knope", "swanson", "pawnee"],
}


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def change(url: str, ids: list[str], workers: int = 8) -> float:
    from flowtui.api.service import ApiService

    rng = random.Random(7)
    queue = list(ids)
    started = time.perf_counter()
    async with ApiService(url, CLIENT_ID, CLIENT_SECRET, rate_limit=None) as other:

        async def worker() -> None:
            while queue:
                customer_id = queue.pop()
                await other.update_customer(
                    customer_id,
                    {"delivery_notes": f"Benchmark note {rng.random():.6f}", "loyalty_tier": 5},
                )

        await asyncio.gather(*(worker() for _ in range(workers)))
    return time.perf_counter() - started


async def delete(url: str, ids: list[str]) -> None:
    from flowtui.api.service import ApiService

    async with ApiService(url, CLIENT_ID, CLIENT_SECRET, rate_limit=None) as other:
        for customer_id in ids:
            await other.delete_customer(customer_id)


async def run(url: str, cache: Path, args: argparse.Namespace) -> dict:
    from flowtui.api.service import ApiService
    from flowtui.index import CustomerIndex, sync_index

    out: dict = {}
    index = CustomerIndex(cache / "bench.sqlite")
    async with ApiService(url, CLIENT_ID, CLIENT_SECRET, rate_limit=None) as service:
        started = time.perf_counter()
        full = await sync_index(index, service)
        out["full"] = (time.perf_counter() - started, full)
        out["size"] = os.path.getsize(index.path)
        ids = [c.id for c in index.search("", limit=10**9).customers]
        rng = random.Random(11)
        picked = rng.sample(ids, args.changes)
        out["change_time"] = await change(url, picked)
        started = time.perf_counter()
        incremental = await sync_index(index, service)
        out["incremental"] = (time.perf_counter() - started, incremental)
        check = index.search("delivery_notes:benchmark", limit=1).total
        out["changed_found"] = check
        await delete(url, rng.sample([i for i in ids if i not in set(picked)], 10))
        started = time.perf_counter()
        deletes = await sync_index(index, service)
        out["deletes"] = (time.perf_counter() - started, deletes)
        started = time.perf_counter()
        nothing = await sync_index(index, service)
        out["nothing"] = (time.perf_counter() - started, nothing)
    latencies: dict[str, list[float]] = {}
    totals: dict[str, int] = {}
    for kind, queries in QUERIES.items():
        for query in queries:
            index.search(query)  # warm
            for _ in range(args.repeat):
                started = time.perf_counter()
                result = index.search(query, limit=100)
                latencies.setdefault(kind, []).append((time.perf_counter() - started) * 1000)
            totals[query] = result.total
    out["latencies"] = latencies
    out["totals"] = totals
    started = time.perf_counter()
    out["all_matches"] = (
        len(index.search("loyalty_tier>=2", limit=10**9).customers),
        time.perf_counter() - started,
    )
    index.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--changes", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        env = isolated_env(tmp)
        db = seeded_db(tmp, args.customers)
        proc, url = start_sandbox(db, env)
        try:
            out = asyncio.run(run(url, Path(tmp) / "cache", args))
        finally:
            stop(proc)
    took, full = out["full"]
    print(
        f"full sync:        {full.count:,} customers in {took:.1f} s "
        f"({full.count / took:,.0f}/s); index file {out['size'] / 1e6:.0f} MB"
    )
    took, inc = out["incremental"]
    print(
        f"incremental sync: {inc.fetched:,} changed customers in {took:.2f} s "
        f"(the changes took {out['change_time']:.1f} s to make; "
        f"{out['changed_found']:,} found by delivery_notes:benchmark)"
    )
    took, dels = out["deletes"]
    print(
        f"after 10 deletes: {dels.deleted} removed in {took:.2f} s "
        f"(reconciled by created_at windows: {dels.reconciled})"
    )
    took, _ = out["nothing"]
    print(f"nothing changed:  {took * 1000:.0f} ms")
    print(f"\nsearch latency, limit 100, {args.repeat} runs per query (ms):")
    everything: list[float] = []
    for kind, values in out["latencies"].items():
        everything += values
        queries = ", ".join(f"{q} ({out['totals'][q]:,})" for q in QUERIES[kind])
        print(
            f"  {kind:<24} p50 {statistics.median(values):5.1f}  p95 {pct(values, 0.95):5.1f}"
            f"   {queries}"
        )
    print(
        f"  {'all':<24} p50 {statistics.median(everything):5.1f}  "
        f"p95 {pct(everything, 0.95):5.1f}   (target p95 <= 30 ms)"
    )
    count, took = out["all_matches"]
    print(f"\nevery match of loyalty_tier>=2, read and decoded ({count:,}): {took * 1000:.0f} ms")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this process (seeding included): {peak:.0f} MB")


if __name__ == "__main__":
    main()
