"""``flowtui sandbox`` as a user runs it: a subprocess on a free loopback port (``--port 0``).

Every process is killed in ``finally``. The autouse fixture of conftest points
FLOWTUI_DATA_DIR (and the other directories) at a temporary folder; subprocesses inherit it.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.sandbox.conftest import READY, REPO

pytestmark = pytest.mark.slow


def credentials(banner: str) -> tuple[str, str]:
    cid = re.search(r"client_id:\s+(\S+)", banner).group(1)
    secret = re.search(r"client_secret:\s+(\S+)", banner).group(1)
    return cid, secret


def token(url: str, cid: str, secret: str) -> httpx.Response:
    form = {"grant_type": "client_credentials", "client_id": cid, "client_secret": secret}
    return httpx.post(f"{url}/oauth/access_token", data=form, timeout=10)


def test_prints_url_and_generated_credentials_that_work(run):
    sandbox = run("--port", "0", "--memory")
    banner = sandbox.wait_ready()
    assert sandbox.url.startswith("http://127.0.0.1:")
    assert not sandbox.url.endswith(":0")
    cid, secret = credentials(banner)
    assert "(generated;" in banner
    assert banner.count(secret) == 1, "the generated secret is printed once"
    response = token(sandbox.url, cid, secret)
    assert response.status_code == 200, response.text
    access = response.json()["access_token"]
    flows = httpx.get(
        f"{sandbox.url}/v2/flows", headers={"Authorization": f"Bearer {access}"}, timeout=10
    )
    assert flows.status_code == 200
    assert flows.headers["x-flowtui-sandbox"]
    assert token(sandbox.url, cid, secret + "x").status_code == 401
    health = httpx.get(f"{sandbox.url}/_sandbox/health", timeout=10)
    assert health.json()["status"] == "ok"


def test_generated_credentials_are_kept_with_the_database(run, tmp_path):
    # The default database lives in FLOWTUI_DATA_DIR (a temporary folder here).
    first = run("--port", "0")
    banner = first.wait_ready()
    cid, secret = credentials(banner)
    assert "(generated;" in banner
    assert first.interrupt() == 0
    data_dir = Path(os.environ["FLOWTUI_DATA_DIR"])
    assert (data_dir / "sandbox.db").is_file()

    second = run("--port", "0")
    banner = second.wait_ready()
    assert credentials(banner) == (cid, secret)
    assert "(stored;" in banner
    assert token(second.url, cid, secret).status_code == 200


def test_credentials_from_the_environment_work_and_are_not_printed(run):
    env = {
        "FLOWTUI_SANDBOX_CLIENT_ID": "env-client",
        "FLOWTUI_SANDBOX_CLIENT_SECRET": "env-secret-never-printed",
    }
    sandbox = run("--port", "0", "--memory", env=env)
    banner = sandbox.wait_ready()
    assert "env-client" in banner
    response = token(sandbox.url, "env-client", "env-secret-never-printed")
    assert response.status_code == 200, response.text
    assert sandbox.interrupt() == 0
    assert "env-secret-never-printed" not in sandbox.stdout
    assert "env-secret-never-printed" not in sandbox.stderr


def test_credentials_from_flags_work_and_the_secret_is_not_printed(run):
    sandbox = run(
        "--port", "0", "--memory", "--client-id", "flag-id", "--client-secret", "flag-secret-xyz"
    )
    banner = sandbox.wait_ready()
    assert token(sandbox.url, "flag-id", "flag-secret-xyz").status_code == 200
    assert "flag-secret-xyz" not in banner


@pytest.mark.parametrize(
    "args, env",
    [
        (["--client-id", "only-id"], {}),
        (["--client-secret", "only-secret"], {}),
        ([], {"FLOWTUI_SANDBOX_CLIENT_ID": "only-id"}),
        ([], {"FLOWTUI_SANDBOX_CLIENT_SECRET": "only-secret"}),
    ],
)
def test_only_one_of_id_and_secret_is_a_clear_error(run, args, env):
    sandbox = run("--port", "0", "--memory", *args, env=env)
    code = sandbox.wait()
    assert code != 0
    err = sandbox.stderr
    assert "client id" in err and "client secret" in err, err
    assert "Traceback" not in err
    assert READY not in sandbox.stdout
    assert "only-secret" not in sandbox.stdout + err


def test_occupied_port_exits_2_with_one_sentence(run):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        sandbox = run("--port", str(port), "--memory")
        code = sandbox.wait()
    err = sandbox.stderr
    assert code == 2, (code, err)
    assert "already in use" in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    assert str(port) in err
    assert READY not in sandbox.stdout


@pytest.mark.parametrize("port", ["70000", "-1"])
def test_impossible_port_is_one_clear_sentence(run, port):
    sandbox = run("--port", port, "--memory")
    assert sandbox.wait() != 0
    err = sandbox.stderr
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    assert port in err
    assert READY not in sandbox.stdout


def test_ctrl_c_stops_cleanly(run):
    sandbox = run("--port", "0", "--memory")
    sandbox.wait_ready()
    assert sandbox.interrupt() == 0, sandbox.stderr
    assert "Sandbox stopped." in sandbox.stdout
    assert "Traceback" not in sandbox.stderr
    assert "KeyboardInterrupt" not in sandbox.stderr
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{sandbox.url}/_sandbox/health", timeout=2)


def test_sigterm_stops_cleanly_too(run):
    sandbox = run("--port", "0", "--memory")
    sandbox.wait_ready()
    sandbox.proc.terminate()
    assert sandbox.wait() == 0, sandbox.stderr
    assert "Sandbox stopped." in sandbox.stdout
    assert "Traceback" not in sandbox.stderr


def test_memory_and_db_are_mutually_exclusive(run, tmp_path):
    sandbox = run("--port", "0", "--memory", "--db", str(tmp_path / "x.db"))
    assert sandbox.wait() == 2
    assert "not allowed with" in sandbox.stderr
    assert "Traceback" not in sandbox.stderr
    assert not (tmp_path / "x.db").exists()


@pytest.mark.parametrize("args", [["--help"], ["sandbox", "--help"]])
def test_help(args):
    done = subprocess.run(
        [sys.executable, "-m", "flowtui", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: flowtui")
    assert "sandbox" in done.stdout
    if args[0] == "sandbox":
        for option in ("--port", "--db", "--memory", "--client-id", "--demo-data"):
            assert option in done.stdout
        assert "FLOWTUI_SANDBOX_CLIENT_ID" in done.stdout


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signal_right_after_the_banner_still_stops_cleanly(run, sig):
    # The banner comes before uvicorn has installed its own handlers: a signal in that gap
    # must neither raise a KeyboardInterrupt traceback nor be lost.
    for _ in range(3):
        sandbox = run("--port", "0", "--memory")
        deadline = time.monotonic() + 20
        while "listening on" not in sandbox.stdout:
            assert time.monotonic() < deadline, sandbox.stderr
            assert sandbox.proc.poll() is None, sandbox.stderr
            time.sleep(0.002)
        sandbox.proc.send_signal(sig)
        assert sandbox.wait(15) == 0, sandbox.stderr
        assert "Traceback" not in sandbox.stderr
        assert "Sandbox stopped." in sandbox.stdout
