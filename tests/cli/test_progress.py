"""Progress on stderr (:mod:`flowtui.cli.progress`): a rich bar redrawn in place on a terminal,
a line per quarter anywhere else, and the summary line last."""

from __future__ import annotations

import io
import re
import sys

import pytest

from flowtui.cli import main
from flowtui.cli.progress import BAR_WIDTH, Progress

# CSI sequences (colours, erase line, cursor on/off).
CSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]")
HIDE_CURSOR, SHOW_CURSOR = "\x1b[?25l", "\x1b[?25h"


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def plain_terminal(monkeypatch):
    """A terminal 100 columns wide, with nothing in the environment changing how rich draws."""
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.setenv("TERM", "xterm-256color")
    for name in ("TTY_COMPATIBLE", "TTY_INTERACTIVE", "FORCE_COLOR", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)


def draws(raw: str) -> list[str]:
    """The states of the bar's line, escapes stripped, in the order they were drawn."""
    line = CSI.sub("", raw).split("\n")[0]
    return line.split("\r")


def test_progress_on_a_terminal_redraws_one_line():
    screen = FakeTerminal()
    progress = Progress("customers", screen)
    for done in range(0, 1001, 100):
        progress(done, 1000)
    progress.finish(1000)
    raw = screen.getvalue()
    text = CSI.sub("", raw)
    assert raw.startswith(HIDE_CURSOR)  # no cursor blinking over the bar
    assert text.count("\n") == 2  # the bar's line, then the summary
    assert text.endswith("\nExported 1,000 customers in 0.0 s\n")
    assert SHOW_CURSOR in raw.split("\n")[1]  # the cursor is back before the summary
    shown = draws(raw)
    # Redrawn in place ("\r", then the line erased), at most every 0.1 s: not once a call.
    assert all(re.match(r"\x1b\[2K", part) for part in raw.split("\n")[0].split("\r")[1:])
    assert 2 <= len(shown) < 11
    assert shown[0] == "━" * BAR_WIDTH + "   0% 0/1,000 customers 0/s"
    assert re.fullmatch("━" * BAR_WIDTH + r" 100% 1,000/1,000 customers [\d,]+/s", shown[-1])


def test_progress_to_a_file_prints_a_few_lines():
    log = io.StringIO()
    progress = Progress("customers", log)
    for done in range(0, 10001, 100):
        progress(done, 10000)
    lines = log.getvalue().splitlines()
    assert lines == [
        "0/10,000 customers (0%)",
        "2,500/10,000 customers (25%)",
        "5,000/10,000 customers (50%)",
        "7,500/10,000 customers (75%)",
        "10,000/10,000 customers (100%)",
    ]
    assert "\r" not in log.getvalue()


def test_nothing_to_do_is_a_full_bar():
    screen = FakeTerminal()
    progress = Progress("customers", screen, verb="Indexed")
    progress(0, 0)
    progress.finish(0)
    assert draws(screen.getvalue())[-1] == "━" * BAR_WIDTH + " 100% 0/0 customers 0/s"
    assert CSI.sub("", screen.getvalue()).endswith("\nIndexed 0 customers in 0.0 s\n")

    log = io.StringIO()
    progress = Progress("customers", log)
    progress(0, 0)
    progress.finish(0)
    assert log.getvalue().splitlines()[0] == "0/0 customers (100%)"


def test_a_failure_stops_the_bar_and_gives_the_cursor_back():
    screen = FakeTerminal()
    with pytest.raises(RuntimeError), Progress("customers", screen) as progress:
        progress(10, 100)
        raise RuntimeError("the store went away")
    raw = screen.getvalue()
    assert raw.endswith("\n" + SHOW_CURSOR)  # the next line (the error) starts clean
    # A tenth of the bar is full (3 of 30 cells, then the half cell rich draws at the edge).
    expected = "━━━╺" + "━" * (BAR_WIDTH - 4) + r"  10% 10/100 customers [\d,]+/s"
    assert all(re.fullmatch(expected, shown) for shown in draws(raw))
    progress.close()  # twice is harmless
    assert screen.getvalue() == raw


def test_never_called_draws_nothing():
    screen = FakeTerminal()
    with Progress("customers", screen):
        pass
    assert screen.getvalue() == ""


def test_an_export_draws_the_bar_on_a_terminal_and_the_data_stays_clean(shop, capsys, monkeypatch):
    screen = FakeTerminal()
    monkeypatch.setattr(sys, "stderr", screen)
    assert main(["export", "customers"]) == 0
    out = capsys.readouterr().out
    assert len(out.splitlines()) == 300
    assert "\x1b" not in out and "━" not in out
    shown = draws(screen.getvalue())
    assert re.fullmatch("━" * BAR_WIDTH + r" 100% 300/300 customers [\d,]+/s", shown[-1])
    assert re.fullmatch(
        r"Exported 300 customers in \d+\.\d s\n", CSI.sub("", screen.getvalue()).split("\n", 1)[1]
    )
