"""The client secret and the tokens issued with it appear nowhere but the 0600 credentials file.

A sandbox served over loopback HTTP accepts a unique marker secret. The test runs flowtui's
main paths with it: the command line (``profile add`` with ``--secret-stdin``, ``profile
show`` and ``list``, ``login --check``, ``export`` to stdout and to a file, a login against a
wrong URL and one with a wrong secret), then the app driven by Pilot over real HTTP (the login
screen creating the profile, browsing, editing and saving a customer, an error toast, the
detail pane, the palette, a screenshot of each screen, a crash report), with Python logging
captured at DEBUG for every logger (httpx and httpcore included), and ``repr``/``str`` of the
service, its auth, the profile, the resolved profile and every error met. Finally it reads
every file under the config, data and cache directories and the output folder and everything
printed or logged, and looks for the marker and for every token the sandbox issued.
"""

from __future__ import annotations

import asyncio
import io
import logging
import os
import stat
import sys
from pathlib import Path

import pytest
from rich.console import Console
from textual.widgets import Input, Select

from flowtui.api.errors import ApiError
from flowtui.cli import main
from flowtui.config.profiles import ProfileStore
from flowtui.config.resolve import resolve
from flowtui.ops.connect import service_for
from flowtui.sandbox import demo
from flowtui.sandbox.server import BackgroundServer
from flowtui.ui.app import FlowApp
from flowtui.ui.screens.customer_editor import EditCustomerScreen
from flowtui.ui.screens.login import LoginScreen
from flowtui.ui.screens.main import MainScreen
from tests.conftest import CLIENT_ID, make_sandbox
from tests.ui.conftest import until, wait_for_customers

MARKER = "MARKER-scan-s3cret-c0ffee-4b1d"


class Capture(logging.Handler):
    """Every log record of every logger, formatted with its traceback."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def logs():
    capture = Capture()
    root = logging.getLogger()
    names = ["httpx", "httpcore", "flowtui", "uvicorn", "uvicorn.error", "asyncio", "textual"]
    saved = {n: logging.getLogger(n).level for n in names}
    saved_root = root.level
    root.addHandler(capture)
    root.setLevel(logging.DEBUG)
    for name in names:
        logging.getLogger(name).setLevel(logging.DEBUG)
    yield capture
    root.removeHandler(capture)
    root.setLevel(saved_root)
    for name, level in saved.items():
        logging.getLogger(name).setLevel(level)


@pytest.fixture
def store_url():
    app = make_sandbox(client_secret=MARKER)
    demo.seed(app.state.store, 30)
    server = BackgroundServer(app).start()
    yield server.url, app
    server.stop()
    app.state.store.close()


def cli(printed: list[str], capsys, monkeypatch, *argv: str, stdin: str = "") -> int:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    capsys.readouterr()
    code = main(list(argv))
    out, err = capsys.readouterr()
    printed.extend((out, err))
    return code


async def objects(texts: list[str]) -> None:
    """repr/str of what a session holds, and of the errors it meets."""
    resolved = resolve("shop")
    async with service_for(resolved) as service:
        await service.list_flows()
        texts += [repr(service), repr(service.auth), repr(resolved), repr(resolved.profile)]
        texts += [str(vars(resolved.profile)), repr(service.auth.token)]
        try:
            await service.get_customer("no-such-customer")
        except ApiError as exc:
            texts += [str(exc), repr(exc), repr(exc.errors)]
    bad = resolve("shop")
    bad.secret = "not-it"
    bad.profile.name = "other"  # an unsaved name: no cached token to reuse
    async with service_for(bad) as service:
        with pytest.raises(ApiError) as info:
            await service.verify()
        texts += [str(info.value), repr(info.value), repr(service.auth)]


async def drive_the_app(url: str, sandbox, texts: list[str], out_dir: Path) -> FlowApp:
    """The login screen creates a profile; browse, edit, save, an error, the palette."""
    app = FlowApp(ProfileStore(), cursor_blink=False)  # real service_for, real HTTP
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, LoginScreen))
        screen = app.screen
        if screen.mode != "first":  # profiles exist: choose "+ New profile"
            await pilot.press("end", "enter")
            await pilot.pause()
        screen.query_one("#name", Input).value = "app"
        screen.query_one("#region", Select).value = "custom"
        await pilot.pause()
        screen.query_one("#url", Input).value = url
        screen.query_one("#client-id", Input).value = CLIENT_ID
        screen.query_one("#secret", Input).value = MARKER
        await pilot.pause()
        texts.append(app.export_screenshot())  # the secret input is a password field
        screen.query_one("#secret", Input).focus()
        await pilot.press("enter")
        view = await wait_for_customers(pilot)
        texts.append(app.export_screenshot())
        await pilot.press("v")
        await pilot.pause()
        texts.append(app.export_screenshot())
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, EditCustomerScreen))
        await pilot.pause()
        tier = app.screen.query_one("#input-loyalty_tier", Input)
        tier.value = "5"
        await pilot.pause()
        texts.append(app.export_screenshot())
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, MainScreen))
        # An error toast: the highlighted customer is deleted behind the app's back first.
        customer = view.highlighted()
        sandbox.state.store.delete_customer(customer.id)
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("y")
        await until(pilot, lambda: len(app._notifications) > 1)
        texts.append(app.export_screenshot())
        texts += [n.message for n in app._notifications]
        await pilot.press("ctrl+p")
        await pilot.pause()
        texts.append(app.export_screenshot())
        texts += [repr(app.service), repr(app.resolved)]
        await app.service.aclose()  # no keep-alive connection holds the server's shutdown
        for name, svg in zip("abcdef", texts[-8:], strict=False):
            (out_dir / f"screen-{name}.svg").write_text(svg)
    return app


def find_leaks(
    files: list[Path], sources: dict[str, list[str]], needles: list[str], allowed: Path
) -> list[str]:
    """Where any needle occurs: in a file other than ``allowed``, or in any text."""
    leaks = []
    for path in files:
        if path != allowed:
            data = path.read_bytes()
            leaks += [f"{path}: {n[:12]}…" for n in needles if n.encode() in data]
    for where, items in sources.items():
        for text in items:
            leaks += [f"{where}: {n[:12]}… in {text[:80]!r}" for n in needles if n in text]
    return leaks


def test_the_secret_and_tokens_stay_in_the_credentials_file(
    store_url, logs, capsys, monkeypatch, tmp_path
):
    url, sandbox = store_url
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    printed: list[str] = []
    texts: list[str] = []  # reprs, exception texts, screenshots

    def run(*argv: str, stdin: str = "") -> int:
        return cli(printed, capsys, monkeypatch, *argv, stdin=stdin)

    # -- the command line ---------------------------------------------------------------------
    add = ("profile", "add", "--client-id", CLIENT_ID, "--secret-stdin", "--rate-limit", "1000")
    dead = f"{url}/wrong-prefix"  # a wrong URL: the store answers 404 there
    assert run(*add[:2], "dead", *add[2:], "--url", dead, stdin=MARKER + "\n") != 0
    wrong = make_sandbox()  # expects another secret: the marker is refused
    with BackgroundServer(wrong) as other:
        assert run(*add[:2], "wrong", *add[2:], "--url", other.url, stdin=MARKER + "\n") != 0
    wrong.state.store.close()
    assert run(*add[:2], "shop", *add[2:], "--url", url, stdin=MARKER + "\n") == 0
    assert run("profile", "show", "shop") == 0
    assert run("profile", "list") == 0
    assert run("login", "--check", "shop") == 0
    assert run("export", "customers", "--format", "jsonl") == 0
    assert run("export", "customers", "--format", "csv", "--output", str(out_dir / "c.csv")) == 0

    # -- the objects a session holds, and the errors it meets -------------------------------
    asyncio.run(objects(texts))
    # -- the app: login screen creating a profile, browse, edit, save, errors, screenshots -----
    asyncio.run(drive_the_app(url, sandbox, texts, out_dir))
    # A crash report, as the app prints it on the way out, with the secret in a local.
    app = FlowApp(ProfileStore())
    try:
        secret = MARKER  # noqa: F841 - what a careless report would show
        raise RuntimeError("boom")
    except RuntimeError:
        app._fatal_error()
    console = Console(record=True, width=120, file=io.StringIO())
    for renderable in app._exit_renderables:
        console.print(renderable)
    texts.append(console.export_text())

    assert "boom" in texts[-1]

    # -- the scan -------------------------------------------------------------------------------
    printed.extend(capsys.readouterr())
    tokens = [row["token"] for row in sandbox.state.store._all("SELECT token FROM tokens")]
    assert len(tokens) >= 2, "the CLI and the app each logged in"
    needles = [MARKER, *tokens]
    credentials = Path(os.environ["FLOWTUI_DATA_DIR"]) / "credentials.toml"
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
    assert MARKER in credentials.read_text()  # the scan would find it if it leaked
    files = [
        p
        for d in ("FLOWTUI_CONFIG_DIR", "FLOWTUI_DATA_DIR", "FLOWTUI_CACHE_DIR")
        for p in Path(os.environ[d]).rglob("*")
        if p.is_file()
    ]
    files += [p for p in out_dir.rglob("*") if p.is_file()]
    assert len(files) >= 8, files
    sources = {"printed": printed, "logged": logs.lines, "shown or raised": texts}
    assert find_leaks(files, sources, needles, credentials) == []
    # The scan finds what it looks for: a token planted in a log line and in a file.
    (out_dir / "planted.txt").write_text(f"x{tokens[-1]}x")
    planted = find_leaks([out_dir / "planted.txt"], {"logged": [MARKER]}, needles, credentials)
    assert len(planted) == 2
    assert any("httpx" in line for line in logs.lines), "logging was captured"
