"""Import benchmark: `flowtui import customers` of 10,000 rows (half updates, half creates)
against a sandbox in its own process over loopback.

The store is seeded with demo customers and exported with `flowtui export customers`; the
file is edited (every other exported customer gets a new loyalty tier, then new customers
are appended) and imported by the real command in a child process, through a profile whose
rate limit (1,000/s) does not pace it. The time is the whole command: start-up, reading and
checking the file, the lookups, and the writes.

    .venv/bin/python benchmarks/import_.py [--customers 10000] [--rows 10000] [--format csv]
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import subprocess
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

#: Runs flowtui's command line, then reports the process's own peak RSS on stderr.
MEASURED = """
import resource, sys
from flowtui.cli import main
sys.argv[0] = "flowtui"
try:
    code = main(sys.argv[1:])
finally:
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"peak RSS {kb} kB", file=sys.stderr)
sys.exit(code)
"""


def flowtui(env: dict, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [sys.executable, "-m", "flowtui", *args],
        input=stdin,
        text=True,
        env=env,
        capture_output=True,
        cwd=ROOT,
    )
    return done


async def raw_capacity(url: str, ids: list[str], concurrency: int = 4) -> float:
    """Writes per second the sandbox takes from bare httpx (4 connections): one PUT per id
    (a new loyalty tier) and as many POSTs (new customers), nothing parsed."""
    import asyncio

    import httpx

    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        form = {"grant_type": "client_credentials", "client_id": CLIENT_ID}
        form["client_secret"] = CLIENT_SECRET
        token = (await client.post("/oauth/access_token", data=form)).json()["access_token"]
        client.headers["Authorization"] = f"Bearer {token}"
        jobs = [("PUT", i) for i in ids] + [("POST", str(n)) for n in range(len(ids))]
        pending = iter(jobs)

        async def worker() -> None:
            for method, key in pending:
                if method == "PUT":
                    body = {"data": {"type": "customer", "loyalty_tier": 4}}
                    r = await client.put(f"/v2/customers/{key}", json=body)
                else:
                    body = {"data": {"type": "customer", "name": f"Raw {key}",
                                     "email": f"raw.{key}@example.org"}}  # fmt: skip
                    r = await client.post("/v2/customers", json=body)
                r.raise_for_status()

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return len(jobs) / (time.perf_counter() - started)


def edit(records: list[dict], rows: int) -> tuple[list[dict], int, int]:
    """Half the rows update an exported customer (a new tier), half create a new one."""
    updates = min(rows // 2, len(records))
    out = []
    for record in records[:updates]:
        tier = record["loyalty_tier"]
        record["loyalty_tier"] = 5 if tier in (None, "", 1, "1") else 1
        out.append(record)
    creates = rows - updates
    for i in range(creates):
        out.append(
            {
                "id": None,
                "name": f"Imported Customer {i}",
                "email": f"imported.{i}@example.org",
                "loyalty_tier": 3,
                "newsletter": i % 2 == 0,
                "contact_window": "evening",
                "lifetime_value": i * 1.5,
            }
        )
    return out, updates, creates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=10_000, help="seeded store size")
    parser.add_argument("--rows", type=int, default=10_000, help="rows in the imported file")
    parser.add_argument("--format", choices=["csv", "jsonl"], default="csv")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = isolated_env(tmp)
        db = seeded_db(tmp, args.customers)
        proc, url = start_sandbox(db, env)
        try:
            added = flowtui(env, "profile", "add", "bench", "--url", url, "--client-id",
                            CLIENT_ID, "--secret-stdin", "--rate-limit", "1000",
                            stdin=CLIENT_SECRET + "\n")  # fmt: skip
            if added.returncode:
                raise SystemExit(added.stderr)
            exported = Path(tmp) / "export.jsonl"
            done = flowtui(env, "export", "customers", "--output", str(exported))
            if done.returncode:
                raise SystemExit(done.stderr)
            records = [json.loads(line) for line in exported.open(encoding="utf-8")]
            import asyncio

            raw = asyncio.run(raw_capacity(url, [r["id"] for r in records[-1000:]]))
            rows, updates, creates = edit(records, args.rows)
            path = Path(tmp) / f"import.{args.format}"
            with path.open("w", encoding="utf-8", newline="") as out:
                if args.format == "csv":
                    from flowtui.ops.export import csv_cell

                    columns = list(records[0])
                    writer = csv.writer(out, lineterminator="\n")
                    writer.writerow(columns)
                    for row in rows:
                        writer.writerow([csv_cell(row.get(c)) for c in columns])
                else:
                    out.writelines(json.dumps(r) + "\n" for r in rows)
            started = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-c", MEASURED, "import", "customers", str(path), "--yes",
                 "--profile", "bench"],
                text=True, env=env, capture_output=True, cwd=ROOT,
            )  # fmt: skip
            took = time.perf_counter() - started
            if done.returncode:
                raise SystemExit(f"import failed ({done.returncode}): {done.stdout}{done.stderr}")
            peak_mb = float(re.search(r"peak RSS ([0-9]+) kB", done.stderr)[1]) / 1024
            looked = re.search(r"Looked up ([0-9,]+) customers in ([0-9.]+) s", done.stderr)
            wrote = re.search(r"Wrote ([0-9,]+) customers in ([0-9.]+) s", done.stderr)
        finally:
            stop(proc)
    print(done.stdout.strip())
    print(f"store:          {args.customers:,} customers; file: {len(rows):,} {args.format} rows")
    print(f"                ({updates:,} updates, {creates:,} creates)")
    print(f"whole command:  {took:.2f} s, {len(rows) / took:,.0f} rows/s (start-up included)")
    if looked:
        print(f"lookups:        {looked[2]} s ({looked[1]} customers read)")
    if wrote:
        written = int(wrote[1].replace(",", ""))
        rate = written / float(wrote[2])
        print(f"writes:         {wrote[2]} s, {rate:,.0f} writes/s")
        print(f"raw capacity:   {raw:,.0f} writes/s (bare httpx, 4 connections)")
        print(f"import / raw:   {rate / raw:.0%}")
    print(f"peak RSS of the import process: {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
