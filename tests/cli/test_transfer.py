"""``flowtui import`` when the journal cannot be written (issue 15, item 5): the writes stand,
a warning on stderr says how many were not journaled and why, and the exit status is 3.

The faults are real, not mocks: the journal's path taken by a folder (it cannot be opened
for writing); the journal pointing at ``/dev/full`` (every write fails with "No space left on
device", as on a full disk); and, where this machine lets a process mount (``unshare -m``,
as root in most containers), the data folder bind-mounted read-only for one ``flowtui import``
run as a subprocess.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from flowtui.cli import main
from flowtui.ops.journal import Journal
from tests.cli.conftest import Run, data_dir

DISK_FULL = Path("/dev/full")  # Linux: writes fail with ENOSPC


def _folder_in_its_place(journal: Path) -> str:
    journal.mkdir(parents=True)
    return "Is a directory"


def _disk_full(journal: Path) -> str:
    journal.parent.mkdir(parents=True, exist_ok=True)
    journal.symlink_to(DISK_FULL)
    return "No space left on device"


#: Mounts ``$0`` read-only in a private mount namespace, then runs the command.
READ_ONLY = 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" "$0" && exec "$@"'


def _read_only_data_folder(journal: Path) -> str:
    journal.parent.mkdir(parents=True, exist_ok=True)  # the journal itself is never created
    return "Read-only file system"


def _can_mount_read_only() -> bool:
    if not sys.platform.startswith("linux") or shutil.which("unshare") is None:
        return False
    probe = Path(os.environ.get("TMPDIR", "/tmp"))
    try:
        done = subprocess.run(
            ["unshare", "-m", "sh", "-c", READ_ONLY, str(probe), "true"],
            capture_output=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


FAULTS: dict[str, Callable[[Path], str]] = {"a folder in its place": _folder_in_its_place}
if DISK_FULL.exists():
    FAULTS["a full disk"] = _disk_full
if _can_mount_read_only():
    FAULTS["a read-only data folder"] = _read_only_data_folder


def _import_with_read_only_data(*argv: str) -> Run:
    """``flowtui import ...`` in a subprocess that sees the data folder read-only."""
    done = subprocess.run(
        ["unshare", "-m", "sh", "-c", READ_ONLY, str(data_dir()),
         sys.executable, "-m", "flowtui", "import", *argv],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    return Run(done.returncode, done.stdout, done.stderr)


def _edited_export(cli, tmp_path: Path, invalid: bool = False) -> tuple[str, dict[str, str]]:
    """The store's CSV export with three names changed and one customer added (and, if
    ``invalid``, one row that cannot be imported); returns its path and email -> new name."""
    run = cli("export", "customers", "--format", "csv")
    assert run.code == 0, run.err
    rows = list(csv.DictReader(io.StringIO(run.out, newline="")))
    wanted = {}
    for row in rows[:3]:
        row["name"] = wanted[row["email"]] = f"{row['name']} (renamed)"
    new = dict.fromkeys(rows[0], "")
    new.update(name="Ann Perkins", email="ann.perkins@example.org")
    rows.append(new)
    wanted["ann.perkins@example.org"] = "Ann Perkins"
    if invalid:
        rows.append({**new, "name": "Bad", "email": "not-an-email"})
    path = tmp_path / "customers.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, list(rows[0]), lineterminator="\n", quoting=csv.QUOTE_ALL)
        writer.writeheader()
        writer.writerows(rows)
    return str(path), wanted


def _names(cli) -> dict[str, str]:
    run = cli("export", "customers")
    return {r["email"]: r["name"] for r in map(json.loads, run.out.splitlines())}


def test_journaled_writes_exit_0_and_are_all_in_the_journal(cli, shop, tmp_path):
    path, _ = _edited_export(cli, tmp_path)
    run = cli("import", "customers", path, "--yes")
    assert run.code == 0, run.out + run.err
    assert "warning" not in run.err
    records = Journal(data_dir() / "journal.jsonl").entries("shop")
    assert sorted(r["action"] for r in records) == ["created", "updated", "updated", "updated"]


@pytest.mark.parametrize("fault", list(FAULTS))
def test_writes_that_cannot_be_journaled_warn_and_exit_3(cli, shop, tmp_path, fault):
    path, wanted = _edited_export(cli, tmp_path)
    journal = data_dir() / "journal.jsonl"
    reason = FAULTS[fault](journal)

    if fault == "a read-only data folder":
        run = _import_with_read_only_data("customers", path, "--yes")
        assert "Traceback" not in run.err
    else:
        run = cli("import", "customers", path, "--yes")
    assert run.code == 3, run.out + run.err
    assert "Created 1 and updated 3 customers." in run.out
    warning = [line for line in run.err.splitlines() if "warning" in line]
    assert len(warning) == 1, run.err
    assert warning[0].startswith(
        "flowtui: warning: 4 changes were made to customers but not journaled ("
    )
    assert str(journal) in warning[0] or "journal.jsonl" in warning[0]
    assert reason in warning[0]
    assert warning[0].endswith("so undo does not know them; the changes stand")
    # The writes themselves stand.
    names = _names(cli)
    assert all(names[email] == name for email, name in wanted.items())
    # The fault is untouched (never "repaired" into a journal that lost the old records).
    if fault == "a folder in its place":
        assert journal.is_dir()
    elif fault == "a full disk":
        assert journal.is_symlink()
    else:
        assert not journal.exists()


def test_one_change_not_journaled_is_one_change(cli, shop, tmp_path):
    run = cli("export", "customers", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(run.out, newline="")))
    rows[0]["name"] += " (renamed)"
    path = tmp_path / "one.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, list(rows[0]), lineterminator="\n", quoting=csv.QUOTE_ALL)
        writer.writeheader()
        writer.writerows(rows)
    _folder_in_its_place(data_dir() / "journal.jsonl")
    run = cli("import", "customers", str(path), "--yes")
    assert run.code == 3, run.out + run.err
    assert "flowtui: warning: 1 change was made to customers but not journaled (" in run.err


def test_not_journaled_outranks_invalid_rows_but_not_a_failed_failure_file(cli, shop, tmp_path):
    path, _ = _edited_export(cli, tmp_path, invalid=True)
    _folder_in_its_place(data_dir() / "journal.jsonl")
    run = cli("import", "customers", path, "--yes")
    assert run.code == 3, run.out + run.err  # not 1: undo not knowing the writes is worse
    assert "1 rows to fix and import again" in run.out
    assert "not journaled" in run.err

    # A failure file that cannot be written is 2, which outranks 3; the warning still shows.
    path, _ = _edited_export(cli, tmp_path, invalid=True)
    run = cli("import", "customers", path, "--yes", "--failures", str(tmp_path / "no" / "f.csv"))
    assert run.code == 2, run.out + run.err
    assert "not journaled" in run.err and "cannot write the failure file" in run.err


def test_a_dry_run_needs_no_journal(cli, shop, tmp_path):
    path, _ = _edited_export(cli, tmp_path)
    _folder_in_its_place(data_dir() / "journal.jsonl")
    run = cli("import", "customers", path, "--dry-run")
    assert run.code == 0, run.out + run.err
    assert run.err.count("warning") == 0


def test_the_help_names_exit_status_3(capsys):
    with pytest.raises(SystemExit):
        main(["import", "--help"])
    assert "3 written but not journaled" in " ".join(capsys.readouterr().out.split())
