"""What the command-line tests share: ``cli(...)`` runs ``flowtui`` in-process, ``serve()``
starts sandboxes on loopback, and helpers read the config and credentials files.

Commands run in-process through :func:`flowtui.cli.main` (sync tests: the CLI calls
``asyncio.run``) against sandboxes served over loopback HTTP. The autouse fixture of the top
conftest points FLOWTUI_CONFIG_DIR / FLOWTUI_DATA_DIR at temporary folders. A marker secret
is planted so every output and every file can be scanned for it.
"""

from __future__ import annotations

import io
import os
import re
import socket
import sys
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from flowtui.cli import main
from flowtui.sandbox.server import BackgroundServer
from tests.conftest import CLIENT_ID, CLIENT_SECRET, make_sandbox, seeded_store

MARKER = "MARKER-s3cret-7f3a"
EXPIRY = re.compile(
    r"expires \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(in (\d+ h \d+ min|\d+ min \d+ s)\)"
)


class Run:
    """What one command printed and returned."""

    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err

    @property
    def err_lines(self) -> list[str]:
        return self.err.splitlines()


@pytest.fixture
def printed() -> list[str]:
    """Everything any command of the test printed, to scan for secrets at the end."""
    return []


@pytest.fixture
def cli(capsys, monkeypatch, printed) -> Callable[..., Run]:
    """``cli("profile", "list", stdin="...")`` runs ``flowtui`` in-process."""

    def run(*argv: str, stdin: str = "") -> Run:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        capsys.readouterr()
        code = main(list(argv))
        out, err = capsys.readouterr()
        printed.extend((out, err))
        assert "Traceback" not in err
        return Run(code, out, err)

    return run


@pytest.fixture
def serve() -> Iterator[Callable[..., tuple[str, object]]]:
    """``url, app = serve(**config)``: a sandbox app on loopback, stopped at the end."""
    servers: list[BackgroundServer] = []

    def start(**overrides: object) -> tuple[str, object]:
        app = make_sandbox(**overrides)
        server = BackgroundServer(app).start()
        servers.append(server)
        return server.url, app

    yield start
    for server in servers:
        server.stop()
        server.app.state.store.close()


@pytest.fixture
def marker_store(serve) -> tuple[str, object]:
    """A sandbox whose client secret is :data:`MARKER`."""
    return serve(client_secret=MARKER)


def config_dir() -> Path:
    return Path(os.environ["FLOWTUI_CONFIG_DIR"])


def data_dir() -> Path:
    return Path(os.environ["FLOWTUI_DATA_DIR"])


def config_doc() -> dict:
    path = config_dir() / "config.toml"
    return tomllib.loads(path.read_text()) if path.exists() else {}


def credentials_doc() -> dict:
    path = data_dir() / "credentials.toml"
    return tomllib.loads(path.read_text()) if path.exists() else {}


def token_rows(app) -> int:
    return app.state.store._one("SELECT count(*) AS n FROM tokens")["n"]


def dead_url() -> str:
    """A loopback URL nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def add(cli, name: str, url: str, secret: str = CLIENT_SECRET, *extra: str) -> Run:
    return cli(
        "profile", "add", name, "--url", url, "--client-id", CLIENT_ID, "--secret-stdin",
        "--rate-limit", "1000", *extra, stdin=secret + "\n",
    )  # fmt: skip


def assert_no_marker_anywhere(printed: list[str], tmp_path: Path) -> None:
    """The marker is in no output and in no file but the 0600 credentials file."""
    for text in printed:
        assert MARKER not in text
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert files, "the commands wrote nothing at all"
    for path in files:
        if path == data_dir() / "credentials.toml":
            continue
        assert MARKER.encode() not in path.read_bytes(), f"the secret leaked into {path}"


@pytest.fixture
def shop(capsys, monkeypatch) -> Iterator[object]:
    """A sandbox with 300 demo customers on loopback and a default profile ``shop`` for it."""
    app = make_sandbox(seeded_store(300))
    server = BackgroundServer(app).start()
    monkeypatch.setattr(sys, "stdin", io.StringIO(CLIENT_SECRET + "\n"))
    assert main(["profile", "add", "shop", "--url", server.url, "--client-id", CLIENT_ID,
                 "--secret-stdin", "--rate-limit", "1000", "--no-check"]) == 0  # fmt: skip
    capsys.readouterr()
    yield app
    server.stop()
    app.state.store.close()
