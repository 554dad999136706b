"""Progress on stderr (:mod:`flowtui.cli.progress`): redrawn in place on a terminal, a line per
quarter anywhere else, and the summary line last."""

from __future__ import annotations

import io

from flowtui.cli.progress import Progress


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_on_a_terminal_redraws_one_line():
    screen = FakeTerminal()
    progress = Progress("customers", screen)
    for done in range(0, 1001, 100):
        progress(done, 1000)
    progress.finish(1000)
    text = screen.getvalue()
    assert text.startswith("\r[")
    assert "1,000/1,000 customers" in text and "100%" in text
    assert text.count("\n") == 2  # the bar's line, then the summary
    assert text.endswith("customers in 0.0 s\n")


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
