"""The shared file helpers: a lock across processes, and files for customer data."""

from __future__ import annotations

import multiprocessing
import os
import stat
import time

import pytest

from flowtui.config._files import LockTimeout, locked, open_private


def _add_one(path: str, n: int) -> None:
    """Read a counter, wait a little, write it back plus one: a lost update without the lock."""
    from pathlib import Path

    for _ in range(n):
        with locked(Path(path)):
            value = int(Path(path).read_text() or "0")
            time.sleep(0.001)
            Path(path).write_text(str(value + 1))


def test_locked_serialises_read_modify_write_across_processes(tmp_path):
    counter = tmp_path / "counter"
    counter.write_text("0")
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_add_one, args=(str(counter), 25)) for _ in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0, 0, 0, 0]
    assert counter.read_text() == "100"


def _hold(path: str, ready, seconds: float) -> None:
    from pathlib import Path

    with locked(Path(path)):
        ready.set()
        time.sleep(seconds)


def test_a_writer_that_waits_too_long_is_told_plainly(tmp_path):
    target = tmp_path / "config.toml"
    ctx = multiprocessing.get_context("spawn")
    ready = ctx.Event()
    holder = ctx.Process(target=_hold, args=(str(target), ready, 3.0))
    holder.start()
    try:
        assert ready.wait(30)
        with (
            pytest.raises(LockTimeout, match="another flowtui process"),
            locked(target, timeout=0.2, what="The config file"),
        ):
            pass
    finally:
        holder.join(30)
    with locked(target, timeout=1):  # released when the holder ended
        pass


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_open_private_makes_0600_files_in_0700_folders(tmp_path):
    old = os.umask(0o022)
    try:
        path = tmp_path / "new" / "export.csv"
        with open_private(path) as handle:
            handle.write("a,b\n")
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        loose = tmp_path / "loose.csv"
        loose.write_text("old")
        loose.chmod(0o644)
        with open_private(loose) as handle:
            handle.write("new")
        assert loose.read_text() == "new"
        assert stat.S_IMODE(loose.stat().st_mode) == 0o600
    finally:
        os.umask(old)
