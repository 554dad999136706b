"""flowtui never exits 0 after a crash (issue 15, item 12): the app's return code (1 after an
unexpected exception) is the command's exit status, and a command that meets an unexpected
exception says so in one line and exits 70. The crashes are injected: none is known."""

from __future__ import annotations

import pytest

from flowtui.cli import main
from flowtui.ui.app import FlowApp


def test_a_crash_in_the_app_exits_1(monkeypatch, capsys):
    real_run = FlowApp.run

    def headless(self: FlowApp, **kwargs: object) -> object:
        return real_run(self, headless=True, size=(100, 30))

    def crash(self: FlowApp) -> None:
        raise TypeError("a wrong type got past the edge")

    monkeypatch.setattr(FlowApp, "run", headless)
    monkeypatch.setattr(FlowApp, "on_mount", crash)
    assert main([]) == 1
    assert "a wrong type got past the edge" in capsys.readouterr().err


@pytest.mark.parametrize("code", [None, 0])
def test_a_clean_exit_is_0(monkeypatch, code):
    def quits(self: FlowApp, **kwargs: object) -> None:
        self._return_code = code

    monkeypatch.setattr(FlowApp, "run", quits)
    assert main([]) == 0


def test_an_unexpected_exception_in_a_command_is_one_line_and_70(shop, monkeypatch, capsys):
    import flowtui.index

    async def broken(*args: object, **kwargs: object) -> object:
        raise TypeError("unhashable type: 'dict'")

    monkeypatch.setattr(flowtui.index, "sync_index", broken)
    assert main(["index", "sync"]) == 70
    err = capsys.readouterr().err
    assert err.startswith("flowtui: unexpected TypeError at test_exit_status.py:")
    assert err.endswith(": unhashable type: 'dict' (a bug in flowtui; please report it)\n")
    assert "Traceback" not in err


def test_a_local_database_error_is_one_line_and_1(shop, monkeypatch, capsys):
    import sqlite3

    import flowtui.index

    async def locked_db(*args: object, **kwargs: object) -> object:
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(flowtui.index, "sync_index", locked_db)
    assert main(["index", "sync"]) == 1
    assert capsys.readouterr().err.endswith(
        "flowtui: the local database failed: database is locked\n"
    )
