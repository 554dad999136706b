"""Export benchmark: `flowtui export customers` of 100,000 customers against
`flowtui sandbox --latency-ms L` (a child process), beside the raw capacity of the same
number of connections measured in the same run.

Raw capacity: N concurrent bare-httpx fetches of the pages the export needs, as a walker
knowing every page boundary beforehand would ask for them (100 customers each, sorted by
created_at, ``ge(created_at, <page start>):lt(created_at, <next page start>)``), bytes read
and counted, nothing parsed: no walking logic at all, and the cheapest page the sandbox
serves (its count of matching records is one page). The
export runs as the real command in a child process (its peak RSS comes from the OS), through
a profile whose rate limit (1,000/s) does not pace it, so the figure is the walk's own. The
sandbox's request counter (``GET /_sandbox/stats``) gives the wire requests each run took.

    .venv/bin/python benchmarks/export.py [--customers 100000] [--latency 0 50] [--repeat 3]
        [--concurrency 4] [--compare DIR] [--no-bytecode-cache]

``--compare DIR`` also runs the export from another checkout (e.g. the code before a
change) in every repeat, right after this code's, against the same raw figure.

Bytecode is cached (in the temporary directory) as for an installed flowtui, even where
PYTHONDONTWRITEBYTECODE is set, as benchmarks/startup.py and remote.py do: otherwise a
checkout compiles flowtui's ~40 modules on every start of the command (~0.1 s of CPU).
``--no-bytecode-cache`` keeps the inherited setting (the figures before 2026-12-05 14:00).

Each run also reports CPU seconds, which a busy machine disturbs far less than wall time:
the export process's own (user + system, from the OS), the raw client's, and the sandbox's
while each ran (``/proc``, Linux only), with the load average when the repeat began.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import common  # noqa: E402
from benchmarks.common import (  # noqa: E402
    CLIENT_ID,
    CLIENT_SECRET,
    isolated_env,
    stop,
)
from flowtui.sandbox import demo  # noqa: E402
from flowtui.sandbox.store import Store  # noqa: E402


def start_sandbox(db: Path, env: dict, latency_ms: int) -> tuple[subprocess.Popen, str]:
    """``python -m flowtui sandbox --latency-ms L`` on ``db``; its process and base URL."""
    return common.start_sandbox(db, env, extra=["--latency-ms", str(latency_ms)])


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) process ``pid`` has used so far (0 without /proc)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu() -> float:
    """CPU seconds of the child processes waited for so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def wire_requests(url: str) -> int:
    """API requests the sandbox has received so far."""
    with urllib.request.urlopen(f"{url}/_sandbox/stats") as answer:
        return int(json.load(answer)["requests"])


async def raw_capacity(url: str, stamps: list[str], concurrency: int) -> tuple[float, int]:
    """(customers per second, requests) for the keyset pages, read as raw bytes by
    ``concurrency`` connections."""
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:
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
        for i, stamp in enumerate(stamps):
            bounds = f"ge(created_at,{stamp})"
            if i + 1 < len(stamps):
                bounds += f":lt(created_at,{stamps[i + 1]})"
            queue.put_nowait(bounds)
        fetched = 0

        async def worker() -> None:
            nonlocal fetched
            while not queue.empty():
                bounds = queue.get_nowait()
                r = await client.get(
                    "/v2/customers",
                    params={"sort": "created_at", "page[limit]": 100, "filter": bounds},
                )
                r.raise_for_status()
                fetched += r.content.count(b'"type":"customer"')

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return fetched / (time.perf_counter() - started), len(stamps)


def add_profile(url: str, env: dict) -> None:
    subprocess.run(
        [sys.executable, "-m", "flowtui", "profile", "add", "bench", "--url", url,
         "--client-id", CLIENT_ID, "--secret-stdin", "--rate-limit", "1000", "--no-check"],
        input=CLIENT_SECRET + "\n",
        text=True,
        env=env,
        check=True,
        capture_output=True,
    )  # fmt: skip


#: What ``flowtui export customers`` imports, compiled ahead (see :func:`cache_bytecode`).
EXPORT_MODULES = (
    "flowtui.cli, flowtui.cli.transfer, flowtui.cli.progress, flowtui.ops.connect, "
    "flowtui.ops.export, flowtui.config.resolve, flowtui.config._files, flowtui.api.advice"
)


def cache_bytecode(env: dict, tmp: str, codes: dict[str, str | None]) -> None:
    """As an installed flowtui has: cached bytecode, kept in ``tmp`` (nothing is written into
    a checkout) even where PYTHONDONTWRITEBYTECODE is set, primed for each checkout by
    importing what the export command imports (anything else is cached by its first run)."""
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = f"{tmp}/pycache"
    for code in codes.values():
        child = dict(env, PYTHONPATH=code) if code else env
        subprocess.run(
            [sys.executable, "-c", f"import {EXPORT_MODULES}"],
            env=child, cwd=code or ROOT, check=True,
        )  # fmt: skip


def bench_latency(db: Path, tmp: str, stamps: list[str], latency: int, args) -> dict:
    env = isolated_env(f"{tmp}/L{latency}")
    proc, url = start_sandbox(db, isolated_env(tmp), latency)
    codes = {"this code": None}
    if args.compare:
        codes[f"code in {args.compare}"] = os.path.abspath(args.compare)
    # (raw/s, raw requests, s, requests, {cpu figures})
    runs: dict[str, list] = {name: [] for name in codes}
    lines: dict[str, int] = {}
    try:
        add_profile(url, env)
        if not args.no_bytecode_cache:
            cache_bytecode(env, tmp, codes)
        for _ in range(args.repeat):
            load = os.getloadavg()[0]
            server, mine = process_cpu(proc.pid), time.process_time()
            raw, raw_requests = asyncio.run(raw_capacity(url, stamps, args.concurrency))
            raw_cpu = {
                "raw_client": time.process_time() - mine,
                "raw_server": process_cpu(proc.pid) - server,
                "load": load,
            }
            for name, code in codes.items():
                out = Path(tmp) / f"customers-{latency}.jsonl"
                # `python -m` puts the working directory first on sys.path: the child runs
                # from the checkout whose code it measures.
                child = dict(env, PYTHONPATH=code) if code else env
                command = [sys.executable, "-m", "flowtui", "export", "customers", "--format",
                           "jsonl", "--output", str(out), "--profile", "bench"]  # fmt: skip
                before = wire_requests(url)
                server, child_cpu = process_cpu(proc.pid), children_cpu()
                started = time.perf_counter()
                done = subprocess.run(
                    command, env=child, cwd=code or ROOT, capture_output=True, text=True
                )
                took = time.perf_counter() - started
                cpu = dict(
                    raw_cpu,
                    client=children_cpu() - child_cpu,
                    server=process_cpu(proc.pid) - server,
                )
                if done.returncode:
                    raise SystemExit(f"export failed: {done.stderr}")
                runs[name].append((raw, raw_requests, took, wire_requests(url) - before, cpu))
                with out.open() as written:
                    ids = [json.loads(line)["id"] for line in written]
                if len(ids) != len(set(ids)) or len(ids) != args.customers:
                    raise SystemExit(f"export wrote {len(ids)} lines, {len(set(ids))} customers")
                lines[name] = len(ids)
    finally:
        stop(proc)
    return {"latency": latency, "runs": runs, "lines": lines}


def report(result: dict, concurrency: int) -> None:
    latency = result["latency"]
    print(f"L = {latency} ms")
    for name, runs in result["runs"].items():
        lines = result["lines"][name]
        print(f" {name}:")
        for i, (raw, raw_requests, took, requests, cpu) in enumerate(runs, start=1):
            rate = lines / took
            print(
                f"  run {i}: export {rate:,.0f} customers/s ({took:.2f} s, start-up included, "
                f"{requests:,} requests), raw {raw:,.0f} customers/s ({raw_requests:,} "
                f"requests), ratio {rate / raw:.0%}; CPU s: export {cpu['client']:.2f} + "
                f"sandbox {cpu['server']:.2f}, raw client {cpu['raw_client']:.2f} + sandbox "
                f"{cpu['raw_server']:.2f} (load {cpu['load']:.1f})"
            )
        raw = statistics.median(r[0] for r in runs)
        took = statistics.median(r[2] for r in runs)
        ratio = statistics.median(lines / r[2] / r[0] for r in runs)
        client = statistics.median(r[4]["client"] for r in runs)
        raw_client = statistics.median(r[4]["raw_client"] for r in runs)
        rate = lines / took
        print(f"  customers exported:    {lines:,}, each once (median {took:.2f} s, whole command)")
        print(f"  export rate:           {rate:,.0f} customers/s")
        print(f"  raw capacity:          {raw:,.0f} customers/s ({concurrency} connections)")
        print(f"  export / raw:          {rate / raw:.0%} of the medians, {ratio:.0%} median of "
              "the runs (target >= 80%)")  # fmt: skip
        print(f"  client CPU:            {client:.2f} s export (whole command), {raw_client:.2f} "
              f"s raw, medians: {client / lines * 1e6:.1f} us per customer")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--latency", type=int, nargs="+", default=[0, 50], metavar="MS")
    parser.add_argument("--repeat", type=int, default=3, help="alternate raw/export runs")
    parser.add_argument("--concurrency", type=int, default=4, help="the export's default")
    parser.add_argument(
        "--compare", metavar="DIR", help="also run the export from this checkout, alternately"
    )
    parser.add_argument(
        "--no-bytecode-cache",
        action="store_true",
        help="keep PYTHONDONTWRITEBYTECODE as inherited (flowtui compiled on each start)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        store = Store(db)
        demo.seed(store, args.customers)
        # page starts as a keyset walk sees them: every 100th created_at
        stamps = [
            r[0]
            for r in store.db.execute("SELECT created_at FROM customers ORDER BY created_at, id")
        ][::100]
        store.close()
        assert len(stamps) == math.ceil(args.customers / 100)
        results = [bench_latency(db, tmp, stamps, latency, args) for latency in args.latency]
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    cached = "no (compiled on each start)" if args.no_bytecode_cache else "yes, as installed"
    print(f"flowtui's bytecode cached: {cached}")
    for result in results:
        report(result, args.concurrency)
    print(f"peak RSS of child processes (largest): {peak_mb:.0f} MB (target <= 150 MB)")


if __name__ == "__main__":
    main()
