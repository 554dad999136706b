"""Schema benchmark: plan and apply of a design of 20 flows × 50 fields against a sandbox in
its own process with 150 ms of latency per request (`flowtui sandbox --latency-ms 150`).

The design (every field type, most with a rule) is generated, written with `Schema.to_toml`
and read back, then, through one ApiService per phase at the given rate limit:

1. plan against the empty store (pull + plan + count_values),
2. apply that plan (1,020 creates),
3. plan again (nothing to do),
4. a plan of changes (per flow: 10 field updates, 1 type change with --allow-replace, 1 new
   field, 1 field pruned) with its value counts, and its apply.

Each phase prints its wall time, its request count, and the requests in flight: the most at
once and the mean (the sum of request durations over the wall time), measured below the
service's pacing, at the transport that sends them.

    .venv/bin/python benchmarks/schema.py [--flows 20] [--fields 50] [--latency-ms 150]
                                          [--rate 20 100]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import CLIENT_ID, CLIENT_SECRET, stop  # noqa: E402
from flowtui.api.service import ApiService  # noqa: E402
from flowtui.ops import schema as S  # noqa: E402
from flowtui.ops.schema_apply import concurrency_for  # noqa: E402

KINDS: list[tuple[str, tuple[dict[str, Any], ...], Any]] = [
    ("string", ({"type": "enum", "options": ["a", "b", "c"]},), "a"),
    ("string", ({"type": "email"},), None),
    ("string", (), "text"),
    ("integer", ({"type": "between", "options": {"from": 1, "to": 9}},), 1),
    ("integer", ({"type": "enum", "options": [1, 2, 3]},), None),
    ("float", ({"type": "between", "options": {"from": 0.5, "to": 9.5}},), 1.5),
    ("boolean", (), False),
    ("date", ({"type": "enum", "options": ["2026-12-24", "2026-12-25"]},), None),
    ("string", ({"type": "slug"},), None),
    ("string", ({"type": "uuid"},), None),
]


def design(flows: int, fields: int) -> S.Schema:
    out = []
    for f in range(flows):
        specs = []
        for n in range(fields):
            kind, rules, default = KINDS[n % len(KINDS)]
            required, omit_null = n % 7 == 0, n % 5 == 0
            slug, name, text = f"field_{n:02d}", f"Field {n}", f"Field {n} of flow {f}"
            specs.append(S.FieldSpec(slug, name, text, kind, required, True, default, n + 1,
                                     omit_null, rules))  # fmt: skip
        out.append(S.FlowSpec(f"flow-{f:02d}", f"Flow {f}", "Generated", True, tuple(specs)))
    return S.Schema(tuple(out))


def changed(schema: S.Schema) -> S.Schema:
    flows = []
    for flow in schema.flows:
        specs = []
        for n, spec in enumerate(flow.fields):
            if n < 10:
                spec = dataclasses.replace(spec, name=spec.name + " (renamed)")
            elif n == 12:  # a string field becomes an integer: a replace
                spec = dataclasses.replace(spec, field_type="integer", validation_rules=(),
                                           default=None)  # fmt: skip
            elif n == 49:
                continue  # pruned
            specs.append(spec)
        specs.append(S.FieldSpec("added", "Added", "", "string", False, True, None, 99, False, ()))
        flows.append(dataclasses.replace(flow, fields=tuple(specs)))
    return S.Schema(tuple(flows))


def start_slow_sandbox(db: Path, latency_ms: int) -> tuple[subprocess.Popen, str]:
    """``python -m flowtui sandbox --latency-ms N`` on ``db``; the process and its base URL."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "flowtui", "sandbox", "--db", str(db), "--port", "0",
         "--client-id", CLIENT_ID, "--client-secret", CLIENT_SECRET,
         "--latency-ms", str(latency_ms)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT,
    )  # fmt: skip
    assert proc.stdout is not None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = re.search(r"listening on (http://\S+)", proc.stdout.readline())
        if found:
            return proc, found[1]
        if proc.poll() is not None:
            break
    proc.kill()
    raise SystemExit("the sandbox did not start")


class Meter(httpx.AsyncBaseTransport):
    """Below the pacing: counts requests and how many are in flight."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport(retries=0)
        self.reset()

    def reset(self) -> None:
        self.requests = 0
        self.inflight = 0
        self.most = 0
        self.busy = 0.0  # request-seconds

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        self.inflight += 1
        self.most = max(self.most, self.inflight)
        start = time.perf_counter()
        try:
            response = await self.inner.handle_async_request(request)
            raw = b"".join([chunk async for chunk in response.aiter_raw()])  # the whole answer
            await response.aclose()
            return httpx.Response(response.status_code, headers=response.headers,
                                  stream=httpx.ByteStream(raw), request=request,
                                  extensions=response.extensions)  # fmt: skip
        finally:
            self.busy += time.perf_counter() - start
            self.inflight -= 1

    async def aclose(self) -> None:
        await self.inner.aclose()


async def phase(name: str, meter: Meter, work: Any) -> Any:
    meter.reset()
    start = time.perf_counter()
    result = await work
    took = time.perf_counter() - start
    mean = meter.busy / took if took else 0.0
    print(f"  {name:<34} {took:7.2f} s  {meter.requests:5d} requests  "
          f"in flight max {meter.most:2d} mean {mean:5.2f}")  # fmt: skip
    return result


async def run(url: str, rate: float, flows: int, fields: int) -> None:
    meter = Meter()
    service = ApiService(url, CLIENT_ID, CLIENT_SECRET, rate_limit=rate, transport=meter)
    async with service:
        await service.login()
        print(f"rate limit {rate:g}/s, apply concurrency {concurrency_for(service)}")
        desired = S.Schema.from_toml(design(flows, fields).to_toml())

        async def planned(target: S.Schema, **options: bool) -> S.Plan:
            made = S.plan(await S.pull(service), target, **options)
            return await S.count_values(service, made)

        made = await phase("plan (empty store)", meter, planned(desired))
        print(f"    {S.summary(made)}")
        report = await phase("apply", meter, S.apply(service, made))
        assert report.ok, report.failed[:3]
        again = await phase("plan again", meter, planned(desired))
        assert again.empty, S.summary(again)
        new = changed(desired)
        options = {"prune": True, "allow_replace": True}
        made = await phase("plan of changes (+ value counts)", meter, planned(new, **options))
        print(f"    {S.summary(made)}")
        report = await phase("apply of changes", meter, S.apply(service, made))
        assert report.ok, report.failed[:3]
        final = S.plan(await S.pull(service), new, prune=True)
        assert final.empty, S.summary(final)
        # leave an empty store for the next rate
        for flow in await service.list_flows():
            await service.delete_flow(flow)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flows", type=int, default=20)
    parser.add_argument("--fields", type=int, default=50)
    parser.add_argument("--latency-ms", type=int, default=150)
    parser.add_argument("--rate", type=float, nargs="+", default=[20.0, 100.0])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "schema.db"
        proc, url = start_slow_sandbox(db, args.latency_ms)
        try:
            print(f"{args.flows} flows x {args.fields} fields, sandbox latency "
                  f"{args.latency_ms} ms, loopback")  # fmt: skip
            for rate in args.rate:
                asyncio.run(run(url, rate, args.flows, args.fields))
        finally:
            stop(proc)


if __name__ == "__main__":
    main()
