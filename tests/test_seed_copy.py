"""The tests' demo-data copy (tests/conftest.py ``demo_seed``) gives what seeding gives.

Most tests take their demo-seeded store as a copy of one seeded once per test process; the
seeder itself is tested in tests/sandbox/test_persistence.py and test_demo_addresses.py.
"""

from __future__ import annotations

import pytest

from flowtui.sandbox import demo
from flowtui.sandbox.store import Store
from tests.conftest import demo_seed, seeded_store


def everything(store: Store) -> list[object]:
    """The whole database: schema and rows, and the planner statistics ``optimize`` kept."""
    stats = store.db.execute("SELECT * FROM sqlite_stat1 ORDER BY 1, 2").fetchall()
    return [*store.db.iterdump(), *(tuple(row) for row in stats)]


@pytest.mark.parametrize("n", [0, 5, 250])
def test_a_copy_is_the_seeded_store(n):
    seeded, copied = Store(":memory:"), seeded_store(n)
    try:
        assert demo.seed(seeded, n)
        assert everything(copied) == everything(seeded)
        assert copied._last_stamp == seeded._last_stamp
        assert copied.db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert copied.count_customers() == n
        # The copy takes writes as a seeded store does.
        before = len(copied.list_flows())
        copied.create_flow("Mine", "mine", "A flow of the test", True)
        assert len(copied.list_flows()) == before + 1
    finally:
        seeded.close()
        copied.close()


def test_copies_are_independent():
    first = seeded_store(5)
    try:
        flow = first.get_flow_by_slug("wishlists")
        assert flow is not None and first.delete_flow(flow["id"])
        second = seeded_store(5)
        try:
            assert second.get_flow_by_slug("wishlists") is not None
        finally:
            second.close()
    finally:
        first.close()


def test_only_a_new_store_takes_a_copy(tmp_path):
    used = Store(":memory:")
    on_disk = Store(tmp_path / "s.db")
    try:
        used.set_setting("mine", "1")
        for store in (used, on_disk):
            with pytest.raises(ValueError):
                demo_seed(store, 5)
        assert used.get_setting("mine") == "1"
    finally:
        used.close()
        on_disk.close()
