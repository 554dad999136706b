"""The journal's writer thread (flowtui.api.recording): records handed over are written in
order, whoever waits or stops waiting; failures are told on the event loop; readers wait for
what was handed over; a process that ends right after handing one over still writes it."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
import time
from pathlib import Path

from flowtui.api.recording import _Writer, start_write, wait_written
from flowtui.ops.journal import Journal


class Gated(Journal):
    """A journal whose appends wait until ``gate`` opens (a slow disk, on demand)."""

    def __init__(self, path) -> None:
        super().__init__(path)
        self.gate = threading.Event()
        self.threads: set[str] = set()

    def append(self, **kwargs):
        self.threads.add(threading.current_thread().name)
        assert self.gate.wait(10), "the test never opened the gate"
        return super().append(**kwargs)


def record(journal, n: int, **extra):
    return start_write(
        journal, profile="p", resource="customer", action="updated", id=f"c{n}", **extra
    )


async def test_records_are_written_in_the_order_handed_over_off_the_loop(tmp_path):
    journal = Gated(tmp_path / "j.jsonl")
    futures = [record(journal, n) for n in range(12)]
    assert not journal.path.exists()  # handed over, none written: nothing waited for them
    journal.gate.set()
    await asyncio.gather(*futures)
    ids = [r["id"] for r in reversed(journal.entries())]
    assert ids == [f"c{n}" for n in range(12)]
    assert [r["seq"] for r in reversed(journal.entries())] == list(range(1, 13))
    assert threading.current_thread().name not in journal.threads


async def test_a_waiter_cancelled_does_not_cancel_the_record(tmp_path):
    journal = Gated(tmp_path / "j.jsonl")
    first = record(journal, 0)  # keeps the writer busy: the next one is still queued

    async def wait() -> None:
        await start_write(journal, profile="p", resource="customer", action="updated", id="c1")

    waiting = asyncio.ensure_future(wait())
    await asyncio.sleep(0)
    waiting.cancel()
    journal.gate.set()
    await first
    assert await asyncio.to_thread(wait_written, 10)
    assert [r["id"] for r in journal.entries()] == ["c1", "c0"]


async def test_a_failing_journal_is_told_once_on_the_event_loop(tmp_path):
    class Broken(Journal):
        def append(self, **kwargs):
            raise OSError("disk full")

    told: list[tuple[str, str]] = []

    def on_error(text: str) -> None:
        told.append((text, threading.current_thread().name))

    await record(Broken(tmp_path / "j.jsonl"), 0, on_error=on_error)
    assert told == [
        (
            "The change was made but not journaled (OSError: disk full).",
            threading.current_thread().name,
        )
    ]


class Slow(Journal):
    """A journal on a slow disk: each append takes 0.3 s."""

    def append(self, **kwargs):
        time.sleep(0.3)
        return super().append(**kwargs)


async def test_readers_wait_for_the_records_handed_over(tmp_path):
    journal = Slow(tmp_path / "j.jsonl")
    record(journal, 0)
    # Read at once, as an undo pressed right after a save does: it finds the save.
    last = journal.last_change("p")
    assert last is not None and last["id"] == "c0"


ENDS_AT_ONCE = """
import asyncio, sys
from flowtui.api.recording import start_write
from tests.api.test_journal_writer import Slow

async def main():
    start_write(Slow(sys.argv[1]), profile="p", resource="customer", action="updated",
                id="c0", after={"name": "Saved"})

asyncio.run(main())
raise SystemExit(3)  # the session ends (here: fails) right after the store answered
"""


def test_a_process_that_ends_right_after_a_write_still_journals_it(tmp_path):
    path = tmp_path / "j.jsonl"
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", ENDS_AT_ONCE, str(path)], cwd=root, timeout=60)
    assert done.returncode == 3
    [written] = Journal(path).entries()
    assert written["id"] == "c0" and written["after"] == {"name": "Saved"}


def test_with_no_thread_left_to_write_it_the_record_is_written_at_once(tmp_path):
    """At interpreter shutdown no new futures are taken: the append happens in the caller."""
    writer = _Writer()
    writer.submit(lambda: None).result(10)
    assert writer._executor is not None
    writer._executor.shutdown(wait=True)
    journal = Journal(tmp_path / "j.jsonl")
    done = writer.submit(
        lambda: journal.append(profile="p", resource="customer", id="c0", action="updated")
    )
    assert done.result(0) is None and [r["id"] for r in journal.entries()] == ["c0"]
    assert writer.wait(0)
