"""Sandbox memory under one huge customer and many clients (issue 15, item 13).

Starts ``python -m flowtui sandbox`` from a checkout (this one by default; ``--repo`` another,
e.g. the main checkout before the caps), stores the biggest customer it accepts (up to
``--mb`` MB of custom values, in 1 MB strings where the sandbox allows them, else in the
largest strings it allows), then has ``--clients`` clients list a page of customers at once,
``--rounds`` times. It prints the server's resident memory (RSS, from /proc) at start, after
the customer was stored, at its peak while serving the lists, and after the customer was
deleted.

    .venv/bin/python benchmarks/sandbox_memory.py [--repo CHECKOUT] [--clients 200]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
URL = re.compile(r"listening on (http://127\.0\.0\.1:\d+)")


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def start(repo: Path) -> tuple[subprocess.Popen[str], str]:
    python = repo / ".venv" / "bin" / "python"
    args = [str(python), "-m", "flowtui", "sandbox", "--memory", "--port", "0"]
    args += ["--client-id", "bench", "--client-secret", "bench-secret"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(args, cwd=repo, stdout=subprocess.PIPE, text=True, env=env)
    assert proc.stdout is not None
    for line in proc.stdout:
        match = URL.search(line)
        if match:
            threading.Thread(target=proc.stdout.read, daemon=True).start()
            return proc, match.group(1)
    raise SystemExit(f"the sandbox did not start: exit {proc.wait()}")


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repo", type=Path, default=ROOT)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--mb", type=int, default=19)
    args = parser.parse_args()
    proc, url = start(args.repo)
    peak = 0.0
    sampling = True

    def sample() -> None:
        nonlocal peak
        while sampling:
            peak = max(peak, rss_mb(proc.pid))
            time.sleep(0.02)

    try:
        limits = httpx.Limits(max_connections=args.clients + 10)
        async with httpx.AsyncClient(base_url=url, timeout=600, limits=limits) as client:
            form = {"grant_type": "client_credentials", "client_id": "bench"}
            form["client_secret"] = "bench-secret"
            token = (await client.post("/oauth/access_token", data=form)).json()["access_token"]
            client.headers["Authorization"] = f"Bearer {token}"
            print(f"{args.repo}: start                {rss_mb(proc.pid):8.0f} MB")
            flows = (await client.get("/v2/flows")).json()["data"]
            flow = next((f for f in flows if f["slug"] == "customers"), None)
            if flow is None:
                body = {"type": "flow", "name": "Customers", "slug": "customers"}
                body |= {"description": "Customer fields", "enabled": True}
                flow = (await client.post("/v2/flows", json={"data": body})).json()["data"]
            for n in range(args.mb):
                field = {
                    "type": "field", "name": f"Blob {n}", "slug": f"blob{n}",
                    "field_type": "string", "description": "", "required": False,
                    "enabled": True,
                    "relationships": {"flow": {"data": {"type": "flow", "id": flow["id"]}}},
                }  # fmt: skip
                await client.post("/v2/fields", json={"data": field})
            body = {"type": "customer", "name": "Big", "email": "big@example.com"}
            created = await client.post("/v2/customers", json={"data": body})
            big = created.json()["data"]["id"]
            for size in (1_000_000, 16_000, 8_000):  # the largest strings the sandbox takes
                stored = 0
                for n in range(args.mb):
                    data = {"type": "customer", f"blob{n}": "x" * size}
                    answer = await client.put(f"/v2/customers/{big}", json={"data": data})
                    if answer.status_code != 200:
                        break
                    stored += size
                if stored:
                    break
            for n in range(30):
                body = {"type": "customer", "name": f"C{n}", "email": f"c{n}@example.com"}
                await client.post("/v2/customers", json={"data": body})
            print(f"  stored {stored / 1e6:.2f} MB in one customer")
            print(f"  after storing              {rss_mb(proc.pid):8.0f} MB")
            thread = threading.Thread(target=sample, daemon=True)
            thread.start()
            sizes: list[int] = []
            statuses: dict[int, int] = {}
            started = time.perf_counter()
            for _ in range(args.rounds):

                async def one() -> None:
                    answer = await client.get("/v2/customers?page[limit]=100")
                    sizes.append(len(answer.content))
                    statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1

                await asyncio.gather(*(one() for _ in range(args.clients)))
            took = time.perf_counter() - started
            sampling = False
            thread.join()
            print(
                f"  {args.clients} clients x {args.rounds}: page {max(sizes) / 1e6:.2f} MB, "
                f"answers {statuses}, {took:.1f} s"
            )
            print(f"  peak while listing         {peak:8.0f} MB")
            await client.delete(f"/v2/customers/{big}")
            await asyncio.sleep(1)
            print(f"  after deleting it          {rss_mb(proc.pid):8.0f} MB")
    finally:
        proc.terminate()
        proc.wait(10)


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
