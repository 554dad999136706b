"""What the soak tests share: a faulty sandbox in its own process over a file database, its
fault counters, and the figures file the README's Reliability section is written from.

The sandbox runs as ``flowtui sandbox`` (a subprocess, so it has a core of its own) on a
SQLite file seeded here with the demo data; after the run the file is read directly, past
flowtui and past the faults, to compare the store with what the test meant to do.
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
from pathlib import Path
from typing import Any

import httpx

from flowtui.sandbox import demo
from flowtui.sandbox.store import Row, Store
from tests.conftest import CLIENT_ID, CLIENT_SECRET
from tests.sandbox.conftest import SandboxProcess

#: With this set, each soak test writes its figures into that JSON file (one key per test).
REPORT_ENV = "FLOWTUI_SOAK_REPORT"

#: The faults of issue 7: 10 % 500/503, 429 bursts with Retry-After, 300 ms latency,
#: dropped connections, tokens living 5 seconds.
FAULTS = {
    "--fault-rate": "0.10",
    "--drop-rate": "0.03",
    "--latency-ms": "300",
    "--rate-limit": "40",
    "--token-ttl": "5",
}


class FaultySandbox:
    """``flowtui sandbox`` over ``db`` (seeded with ``customers`` demo customers when new)."""

    def __init__(
        self, tmp: Path, *, customers: int = 250, faults: dict[str, str] | None = None
    ) -> None:
        self.tmp = tmp
        self.db = tmp / "soak.db"
        self.faults = FAULTS if faults is None else faults
        if not self.db.exists():
            store = Store(self.db)
            try:
                demo.seed(store, customers)
            finally:
                store.close()
        self.process: SandboxProcess | None = None
        self.url = ""
        self.port = 0

    def start(self, port: int | None = None) -> FaultySandbox:
        args = ["--db", str(self.db), "--client-id", CLIENT_ID, "--client-secret", CLIENT_SECRET]
        args += ["--port", str(self.port if port is None else port)]
        for flag, value in self.faults.items():
            args += [flag, value]
        self.process = SandboxProcess(self.tmp / "logs", *args)
        self.process.wait_ready()
        self.url = self.process.url or ""
        self.port = int(self.url.rsplit(":", 1)[1])
        return self

    def stats(self) -> dict[str, int]:
        """What the fault injection has done so far (``GET /_sandbox/stats``, never faulted)."""
        response = httpx.get(f"{self.url}/_sandbox/stats", timeout=10)
        response.raise_for_status()
        return response.json()

    def stop(self, sig: int = signal.SIGINT) -> None:
        """Stop the process (Ctrl-C by default; SIGKILL to crash it)."""
        if self.process is None:
            return
        if self.process.proc.poll() is None:
            self.process.proc.send_signal(sig)
            self.process.wait(20)
        self.process = None

    def __enter__(self) -> FaultySandbox:
        return self.start()

    def __exit__(self, *_: object) -> None:
        if self.process is not None:
            self.process.kill()
            self.process = None


def read_store(db: Path) -> tuple[list[Row], dict[str, str]]:
    """Every customer in the database file, and the customers flow's field ids by slug."""
    store = Store(db)
    try:
        rows, _ = store.list_customers([], ("created_at", False), 1_000_000, 0)
        flow = store.get_flow_by_slug("customers")
        ids = {f["slug"]: f["id"] for f in store.list_fields(flow["id"])} if flow else {}
        return rows, ids
    finally:
        store.close()


def record(section: str, figures: dict[str, Any]) -> None:
    """Print the figures; with ``FLOWTUI_SOAK_REPORT`` set, keep them in that JSON file."""
    print(f"\n{section}: {json.dumps(figures, indent=2, sort_keys=True)}")
    target = os.environ.get(REPORT_ENV)
    if not target:
        return
    with Path(target).open("a+") as file:
        fcntl.flock(file, fcntl.LOCK_EX)  # two test workers may write at once
        file.seek(0)
        text = file.read()
        data = json.loads(text) if text.strip() else {}
        data[section] = figures
        file.seek(0)
        file.truncate()
        file.write(json.dumps(data, indent=2, sort_keys=True) + "\n")
