"""``flowtui`` itself (:mod:`flowtui.cli`): parsing the command line stays cheap, because every
command imports what it needs only when it runs (benchmarks/startup.py times ``--demo``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
#: Packages no command line may load before a command runs.
HEAVY = {"textual", "rich", "httpx", "httpcore", "uvicorn", "starlette", "sqlite3", "asyncio"}

PROBE = """
import sys
import flowtui.cli
flowtui.cli.build_parser().parse_args(sys.argv[1:])
print(" ".join(sorted(sys.modules)))
"""


@pytest.mark.slow
@pytest.mark.parametrize(
    "argv",
    [[], ["--demo"], ["sandbox"], ["export", "customers"], ["index", "sync"], ["profile", "list"]],
    ids=lambda argv: " ".join(argv) or "(no command)",
)
def test_parsing_loads_no_heavy_module(argv):
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *argv], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    loaded = set(done.stdout.split())
    assert "flowtui.cli.transfer" in loaded  # the probe does see what is imported
    assert sorted(m for m in loaded if m.split(".")[0] in HEAVY) == []
    ours = {m for m in loaded if m.startswith("flowtui.")}
    assert {m for m in ours if not m.startswith("flowtui.cli")} == set(), ours
