"""The app on bad config and credentials files: the sentence a command prints, on the login
screen, never a traceback; and an unexpected exception never ends in exit status 0.

Each file of the corpus is one a user could really have: a credentials file others can
read (mode 0644), bytes that are not text, text that is not TOML, TOML with a wrong type, and
the same for config.toml.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import pytest
from textual.widgets import Static

from flowtui.cli import main
from flowtui.cli.app import run_app
from flowtui.config import paths
from flowtui.config.profiles import ProfileStore
from flowtui.ui.app import FlowApp, resolve_at_start
from flowtui.ui.screens.login import LoginScreen
from tests.ui.conftest import until

CONFIG = """default_profile = "shop"

[profiles.shop]
base_url = "http://127.0.0.1:9"
client_id = "abc"
"""
GOOD_CREDENTIALS = '[profiles.shop]\nclient_secret = "s3cret-startup"\n'

#: name: (config.toml, credentials.toml, credentials mode)
CORPUS: dict[str, tuple[bytes, bytes, int]] = {
    "credentials 0644": (CONFIG.encode(), GOOD_CREDENTIALS.encode(), 0o644),
    "credentials not text": (CONFIG.encode(), b"\x00\xff\xfe garbage [[[", 0o600),
    "credentials not toml": (CONFIG.encode(), b"[profiles.shop\nclient_secret = ", 0o600),
    "credentials profiles a number": (CONFIG.encode(), b"profiles = 5\n", 0o600),
    "credentials entry a number": (CONFIG.encode(), b"[profiles]\nshop = 5\n", 0o600),
    "config not text": (b"\x00\xff\xfe garbage", GOOD_CREDENTIALS.encode(), 0o600),
    "config not toml": (b"default_profile = [[[\n", GOOD_CREDENTIALS.encode(), 0o600),
    "config profiles a string": (
        b'default_profile = "shop"\nprofiles = "shop"\n',
        GOOD_CREDENTIALS.encode(),
        0o600,
    ),
    "config profile a number": (
        b'default_profile = "shop"\n[profiles]\nshop = 5\n',
        GOOD_CREDENTIALS.encode(),
        0o600,
    ),
    "config base_url a number": (
        b'default_profile = "shop"\n[profiles.shop]\nbase_url = 5\nclient_id = "abc"\n',
        GOOD_CREDENTIALS.encode(),
        0o600,
    ),
}


def write_files(config: bytes, credentials: bytes, mode: int) -> None:
    config_dir, data_dir = paths.config_dir(), paths.data_dir()
    config_dir.mkdir(parents=True, exist_ok=True)
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(data_dir, 0o700)
    (config_dir / "config.toml").write_bytes(config)
    creds = Path(data_dir) / "credentials.toml"
    creds.write_bytes(credentials)
    os.chmod(creds, mode)


def cli_sentence(capsys) -> str:
    """What ``flowtui login --check`` prints for the same files (one line, no traceback)."""
    capsys.readouterr()
    status = main(["login", "--check"])
    err = capsys.readouterr().err
    assert status == 1, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0].removeprefix("flowtui: ")


@pytest.mark.parametrize("case", list(CORPUS))
async def test_a_bad_file_gives_the_commands_sentence_on_the_login_screen(case, capsys):
    write_files(*CORPUS[case])
    sentence = cli_sentence(capsys)
    profiles = ProfileStore()
    resolved, error = resolve_at_start(profiles, None)
    assert resolved is None
    assert error == sentence
    app = FlowApp(profiles, resolved=resolved, startup_error=error, cursor_blink=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, LoginScreen))
        message = app.screen.query_one("#login-message", Static)
        await until(pilot, lambda: sentence[:40] in str(message.render()))
        await pilot.pause()
        assert app.return_code is None  # still running: nothing crashed
    assert "s3cret-startup" not in sentence


async def test_without_any_file_the_login_screen_opens_without_an_error():
    resolved, error = resolve_at_start(ProfileStore(), None)
    assert (resolved, error) == (None, None)


def test_an_unexpected_exception_in_the_app_is_never_exit_status_0(monkeypatch, capsys):
    """The app's crash report ends ``flowtui`` with status 1 (it used to return 0)."""

    def broken(self) -> None:
        raise TypeError("a value the app did not expect")

    monkeypatch.setenv("TEXTUAL", "headless")
    monkeypatch.setattr(FlowApp, "apply_keymap", broken)
    args = argparse.Namespace(app_profile=None, demo=False, reset=False, demo_customers=None)
    assert run_app(args) == 1
