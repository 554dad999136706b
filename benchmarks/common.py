"""What the benchmark scripts share: a sandbox in its own process on a free loopback port."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLIENT_ID, CLIENT_SECRET = "bench", "bench-secret"


def start_sandbox(db: Path, env: dict | None = None) -> tuple[subprocess.Popen, str]:
    """``python -m flowtui sandbox`` on ``db``; returns the process and its base URL."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "flowtui", "sandbox", "--db", str(db), "--port", "0",
         "--client-id", CLIENT_ID, "--client-secret", CLIENT_SECRET],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=ROOT,
        env=env,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        m = re.search(r"listening on (http://\S+)", proc.stdout.readline())
        if m:
            return proc, m[1]
        if proc.poll() is not None:
            break
    proc.kill()
    raise SystemExit("the sandbox did not start")


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
