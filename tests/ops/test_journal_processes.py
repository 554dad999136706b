"""The journal's sequence numbers across processes (issue 15, item 11): each append reads the
last ``seq`` and writes the next one under an exclusive ``flock`` on the journal file, so
processes appending at once never repeat or skip a number and never interleave lines."""

from __future__ import annotations

import json
import subprocess
import sys

from flowtui.ops.journal import Journal

APPENDS = (
    "import sys; from flowtui.ops.journal import Journal\n"
    "journal = Journal(sys.argv[1])\n"
    "for i in range(50):\n"
    "    journal.append(profile=sys.argv[2], resource='customer', id=str(i), action='updated',\n"
    "                   after={'note': 'x' * 500})\n"
)


def test_processes_appending_at_once_keep_one_sequence(tmp_path):
    path = tmp_path / "journal.jsonl"
    procs = [
        subprocess.Popen([sys.executable, "-c", APPENDS, str(path), f"p{n}"]) for n in range(4)
    ]
    assert [proc.wait(timeout=120) for proc in procs] == [0, 0, 0, 0]
    lines = path.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["seq"] for line in lines] == list(range(1, 201))
    journal = Journal(path)
    for n in range(4):
        assert [r["id"] for r in journal.entries(f"p{n}", limit=None)] == [
            str(i) for i in range(49, -1, -1)
        ]
