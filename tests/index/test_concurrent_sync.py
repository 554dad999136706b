"""Several writers of one index at once (issue 15, item 11), with real processes.

Four ``flowtui index sync`` started together used to share one temporary build file: all
four failed, one with a traceback, and the good index was replaced by a half-built one. Now
every sync holds the index's lock: they run one after the other, every one succeeds, and the
index left behind is complete.
"""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from flowtui.cli import main
from flowtui.config._files import locked
from flowtui.index import CustomerIndex, index_path, sync_index
from flowtui.index import sync as index_sync

REPO = Path(__file__).resolve().parents[2]


def start_sync(*extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "flowtui", "index", "sync", *extra],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finished(procs: list[subprocess.Popen[str]]) -> list[tuple[int, str]]:
    results = []
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        results.append((proc.returncode, err))
    return results


def assert_good_index(path: Path, count: int) -> None:
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("SELECT count(*) FROM customers").fetchone() == (count,)
        assert db.execute("SELECT value FROM meta WHERE key = 'synced_at'").fetchone()
    index = CustomerIndex(path)
    try:
        assert index.count() == count
        assert index.search("knope").total > 0
    finally:
        index.close()
    assert not list(path.parent.glob("*building*"))  # no build left behind


@pytest.mark.slow
def test_four_concurrent_syncs_of_a_new_index_all_succeed(shop):
    results = finished([start_sync() for _ in range(4)])
    for code, err in results:
        assert code == 0, err
        assert "Traceback" not in err
        assert "the index holds 300 customers" in err
    modes = sorted(err.split(" sync of profile")[0].rsplit("\n", 1)[-1] for _, err in results)
    # The first builds it; the others waited for it and only caught up.
    assert modes == ["Full", "Incremental", "Incremental", "Incremental"]
    assert_good_index(index_path("shop"), 300)


@pytest.mark.slow
def test_concurrent_full_rebuilds_never_leave_a_partial_index(shop, capsys):
    assert main(["index", "sync"]) == 0
    results = finished([start_sync("--full") for _ in range(4)])
    for code, err in results:
        assert code == 0, err
        assert "Full sync of profile shop: the index holds 300 customers." in err
    assert_good_index(index_path("shop"), 300)


@pytest.mark.slow
def test_a_killed_build_leaves_the_good_index_and_the_next_sync_cleans_up(shop, capsys):
    assert main(["index", "sync"]) == 0
    path = index_path("shop")
    proc = start_sync("--full")
    try:
        deadline = time.monotonic() + 60
        while not list(path.parent.glob("*building*")) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert list(path.parent.glob("*building*")), "the build never started"
    finally:
        proc.kill()  # kill -9 half-way through the build
        proc.communicate()
    index = CustomerIndex(path)
    assert index.count() == 300 and index.search("knope").total > 0
    index.close()
    assert main(["index", "sync", "--full"]) == 0
    assert_good_index(path, 300)


def test_a_sync_that_waits_too_long_says_so_in_one_sentence(shop, capsys, monkeypatch):
    monkeypatch.setattr(index_sync, "LOCK_WAIT", 0.3)
    path = index_path("shop")
    with locked(path):  # another process's sync, as far as this one can tell
        code = main(["index", "sync"])
    out, err = capsys.readouterr()
    assert code == 1 and out == ""
    assert err.startswith(
        "flowtui: the search index shop.sqlite is being changed by another flowtui process; "
        "wait for it to finish and try again"
    )
    assert err.count("\n") == 1
    assert main(["index", "sync"]) == 0  # and once it is free, it goes


async def test_an_app_sync_waits_for_the_other_without_blocking_the_loop(index_dir, service):
    path = index_dir / "shop.sqlite"
    index = CustomerIndex(path)
    ticks = 0

    async def ticking() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticker = asyncio.create_task(ticking())
    try:
        with locked(path):
            waiting = asyncio.create_task(sync_index(index, service))
            await asyncio.sleep(0.5)
            assert not waiting.done() and ticks >= 20  # waiting, and the loop runs meanwhile
        result = await waiting
        assert (result.mode, result.count) == ("full", 300)
        # Cancelled while waiting: the lock is not kept by the abandoned wait.
        with locked(path):
            waiting = asyncio.create_task(sync_index(index, service))
            await asyncio.sleep(0.2)
            waiting.cancel()
            with pytest.raises(asyncio.CancelledError):
                await waiting
        await asyncio.sleep(0.2)
        with locked(path, timeout=1):
            pass
    finally:
        ticker.cancel()
        index.close()


def test_an_unfinished_build_never_replaces_the_index(index_dir):
    index = CustomerIndex(index_dir / "x.sqlite")
    builder = index.builder([])
    with pytest.raises(RuntimeError, match="unfinished"):
        index.install(builder)
    assert not builder.path.exists()
    index.close()


@pytest.fixture
def index_dir(tmp_path) -> Path:
    return tmp_path / "idx"
