"""Fixtures of the sandbox tests: ``flowtui sandbox`` run as a user runs it, in a subprocess,
and one sandbox reached both in process and over real HTTP.

Every process started through ``run`` is killed at the end of the test. The autouse fixture of
tests/conftest.py points FLOWTUI_DATA_DIR (and the other directories) at a temporary folder;
subprocesses inherit it.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from flowtui.sandbox.server import BackgroundServer
from tests.conftest import get_token

REPO = Path(__file__).resolve().parents[2]
READY = "Press Ctrl-C to stop."
URL = re.compile(r"listening on (https?://127\.0\.0\.1:\d+)")


class SandboxProcess:
    """``python -m flowtui sandbox ARGS`` with stdout and stderr captured in files."""

    def __init__(self, tmp: Path, *args: str, env: dict[str, str] | None = None) -> None:
        tmp.mkdir(parents=True, exist_ok=True)
        self.out_path = tmp / f"stdout-{time.monotonic_ns()}.txt"
        self.err_path = tmp / f"stderr-{time.monotonic_ns()}.txt"
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("FLOWTUI_SANDBOX_")}
        full_env.update(env or {})
        full_env["PYTHONUNBUFFERED"] = "1"
        with self.out_path.open("w") as out, self.err_path.open("w") as err:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "flowtui", "sandbox", *args],
                stdout=out,
                stderr=err,
                stdin=subprocess.DEVNULL,
                cwd=REPO,
                env=full_env,
            )
        self.url: str | None = None

    @property
    def stdout(self) -> str:
        return self.out_path.read_text()

    @property
    def stderr(self) -> str:
        return self.err_path.read_text()

    def wait_ready(self, timeout: float = 20) -> str:
        """Wait for the start banner; return it. Fails if the process exits first."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            out = self.stdout
            if READY in out:
                match = URL.search(out)
                assert match, out
                self.url = match.group(1)
                return out
            if self.proc.poll() is not None:
                pytest.fail(f"exited with {self.proc.returncode}: {out}\n{self.stderr}")
            time.sleep(0.05)
        pytest.fail(f"no start banner after {timeout} s: {self.stdout}\n{self.stderr}")

    def wait(self, timeout: float = 20) -> int:
        return self.proc.wait(timeout)

    def interrupt(self, timeout: float = 20) -> int:
        """Ctrl-C, then the exit code."""
        self.proc.send_signal(signal.SIGINT)
        return self.wait(timeout)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


@pytest.fixture
def run(tmp_path) -> Iterator:
    """``run(*args, env=...)`` starts a sandbox process; all are killed at the end."""
    started: list[SandboxProcess] = []

    def start(*args: str, env: dict[str, str] | None = None) -> SandboxProcess:
        process = SandboxProcess(tmp_path / "logs", *args, env=env)
        started.append(process)
        return process

    try:
        yield start
    finally:
        for process in started:
            process.kill()


@pytest.fixture(params=["in-process", "http"])
async def wire(request, sandbox_app) -> AsyncIterator[httpx.AsyncClient]:
    """An unauthenticated client of ``sandbox_app``, run twice: in process through
    ``httpx.ASGITransport``, and over real HTTP to uvicorn on a free loopback port."""
    if request.param == "in-process":
        transport = httpx.ASGITransport(app=sandbox_app)
        async with httpx.AsyncClient(transport=transport, base_url="http://sandbox.test") as c:
            yield c
        return
    server = BackgroundServer(sandbox_app).start()
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as c:
            yield c
    finally:
        server.stop()


@pytest.fixture
async def wire_api(wire) -> httpx.AsyncClient:
    """``wire`` with a client_credentials token in ``Authorization: Bearer``."""
    wire.headers["Authorization"] = f"Bearer {await get_token(wire)}"
    return wire
