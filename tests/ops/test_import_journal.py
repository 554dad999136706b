# ruff: noqa: F811 (the fixtures shared with test_export are parameters here)
"""Every write an import makes is journaled, including a create whose answer was lost and
that the import found in the store afterwards (the service never saw it succeed)."""

from __future__ import annotations

import asyncio

from flowtui.api.service import ApiService
from flowtui.api.transport import RetryPolicy
from flowtui.ops.importer import apply_import, plan_import
from flowtui.ops.journal import Journal
from tests.conftest import CLIENT_ID, CLIENT_SECRET
from tests.ops.test_export import make_shop  # noqa: F401
from tests.ops.test_import import write


def test_a_create_found_after_its_answer_was_lost_is_journaled(make_shop, tmp_path):
    shop = make_shop(20, profile=None, fault_seed=7)
    new = [{"name": f"New {i}", "email": f"new{i}@example.org"} for i in range(30)]
    path = write(tmp_path / "new.csv", new, "csv")
    journal = Journal(tmp_path / "journal.jsonl")
    heard: list[str] = []

    async def go():
        async with ApiService(
            shop.url,
            CLIENT_ID,
            CLIENT_SECRET,
            rate_limit=None,
            retry=RetryPolicy(base_delay=0.01, max_delay=0.05),
            journal=journal,
            profile_name="shop",
        ) as service:
            service.on_journal_error = heard.append
            plan = await plan_import(service, path, "csv")
            shop.app.state.config.drop_rate = 0.3  # answers lost after the store acted
            try:
                await apply_import(service, plan, concurrency=1)
            finally:
                shop.app.state.config.drop_rate = 0.0
            return plan

    plan = asyncio.run(go())
    assert any(r.recovered for r in plan.rows), "no create lost its answer: raise the drop rate"
    assert [r.outcome for r in plan.rows] == ["created"] * 30
    assert heard == []
    records = journal.entries("shop")
    assert sorted(r["id"] for r in records) == sorted(r.customer_id for r in plan.rows)
    assert {r["action"] for r in records} == {"created"}
    by_id = {r["id"]: r for r in records}
    for row in plan.rows:
        assert by_id[row.customer_id]["after"]["email"] == row.values["email"]
