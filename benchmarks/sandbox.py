"""Sandbox benchmark: seed 100,000 demo customers, then time list, search, sort, get and put
over loopback HTTP.

The sandbox runs as its own process (``python -m flowtui sandbox``) so the client's work does
not share its interpreter; the client sends requests one after another on one keep-alive
connection and reports p50/p95 latency and requests per second for each query.

    .venv/bin/python benchmarks/sandbox.py [--customers 100000] [--requests 200]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import CLIENT_ID, CLIENT_SECRET, start_sandbox, stop  # noqa: E402
from flowtui.sandbox import demo  # noqa: E402
from flowtui.sandbox.store import Store  # noqa: E402


def measure(client: httpx.Client, name: str, make_request, n: int) -> dict:
    times = []
    for i in range(5):  # warm-up
        make_request(i).raise_for_status()
    started = time.perf_counter()
    for i in range(n):
        t0 = time.perf_counter()
        response = make_request(i)
        times.append((time.perf_counter() - t0) * 1000)
        if response.status_code >= 400:
            raise SystemExit(f"{name}: HTTP {response.status_code}: {response.text[:200]}")
    elapsed = time.perf_counter() - started
    times.sort()
    return {
        "name": name,
        "p50": statistics.median(times),
        "p95": times[int(len(times) * 0.95) - 1],
        "rps": n / elapsed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200, help="requests per query")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        store = Store(db)
        t0 = time.perf_counter()
        demo.seed(store, args.customers)
        seeding = time.perf_counter() - t0
        sample = store.db.execute(
            "SELECT id, email FROM customers ORDER BY random() LIMIT 500"
        ).fetchall()
        store.close()
        print(
            f"seeded {args.customers:,} customers in {seeding:.1f} s "
            f"({os.path.getsize(db) / 1e6:.0f} MB database)"
        )

        proc, url = start_sandbox(db)
        try:
            with httpx.Client(base_url=url, timeout=30) as client:
                token = client.post(
                    "/oauth/access_token",
                    data={
                        "grant_type": "client_credentials",
                        "client_id": CLIENT_ID,
                        "client_secret": CLIENT_SECRET,
                    },
                ).json()["access_token"]
                client.headers["Authorization"] = f"Bearer {token}"
                rng = random.Random(1)
                needles = ["*kno*", "*son*", "*ann*", "*ez*", "*ria*", "*lud*"]
                ids = [row[0] for row in sample]
                emails = [row[1] for row in sample]

                def customers(**params):
                    return lambda i: client.get("/v2/customers", params=params)

                def vary(key, values, **params):
                    return lambda i: client.get(
                        "/v2/customers", params={**params, key: values[i % len(values)]}
                    )

                def put(i):
                    body = {"data": {"type": "customer", "loyalty_tier": rng.randint(1, 5)}}
                    return client.put(f"/v2/customers/{ids[i % len(ids)]}", json=body)

                queries = [
                    ("page, offset 0", customers(**{"page[limit]": 100})),
                    ("page, offset 9,900", customers(**{"page[offset]": 9900})),
                    ("filter eq(email)", vary("filter", [f"eq(email,{e})" for e in emails])),
                    ("filter like(name,*x*)", vary("filter", [f"like(name,{n})" for n in needles])),
                    ("sort=name", vary("sort", ["name", "-name"])),
                    ("sort=name, offset 5,000", customers(sort="name", **{"page[offset]": 5000})),
                    ("GET by id", lambda i: client.get(f"/v2/customers/{ids[i % len(ids)]}")),
                    ("PUT (custom field)", put),
                ]
                n = args.requests
                results = [measure(client, name, make, n) for name, make in queries]
        finally:
            stop(proc)

    print(f"\n{'query':28} {'p50 ms':>8} {'p95 ms':>8} {'req/s':>8}")
    for r in results:
        print(f"{r['name']:28} {r['p50']:8.1f} {r['p95']:8.1f} {r['rps']:8.0f}")
    worst = max(r["p95"] for r in results if not r["name"].startswith(("GET", "PUT")))
    print(
        f"\nworst list-query p95: {worst:.1f} ms (target <= 50 ms); seeding {seeding:.1f} s "
        "(target <= 30 s)"
    )


if __name__ == "__main__":
    main()
