"""Bulk edit logic (:mod:`flowtui.ops.bulk`) against the real sandbox: plans, value checks, apply
with per-customer failures, resume after an interruption (nothing sent twice), conflict skips,
fault injection, the plan file, and walking every customer matching a search by key.

Writes are counted by a thin ASGI wrapper in front of the sandbox that records each
``PUT /v2/customers/<id>`` the store answered 200 (so processed, exactly once each), never by
looking inside flowtui.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import stat
import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from flowtui.api.models import Customer
from flowtui.api.service import ApiService
from flowtui.api.transport import RetryPolicy
from flowtui.ops import bulk
from tests.conftest import CLIENT_ID, CLIENT_SECRET, make_sandbox, seeded_store

BASE = "http://sandbox.test"
FAST = RetryPolicy(base_delay=0.001, max_delay=0.002)


class CountingApp:
    """ASGI wrapper: counts the customer PUTs the sandbox answered with 200, by id."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.state = app.state  # the sandbox's config and store, as the fixtures expect
        self.writes: Counter[str] = Counter()

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        is_write = scope["method"] == "PUT" and path.startswith("/v2/customers/")

        async def recording(message) -> None:
            # counted when the answer starts: the write was processed by then
            if is_write and message["type"] == "http.response.start" and message["status"] == 200:
                self.writes[path.rsplit("/", 1)[-1]] += 1
            await send(message)

        await self.app(scope, receive, recording)


class Shop:
    def __init__(self, n: int, **config: Any) -> None:
        self.store = seeded_store(n)
        self.sandbox = make_sandbox(self.store, **config)
        self.counting = CountingApp(self.sandbox)

    def service(self, **options: Any) -> ApiService:
        settings: dict[str, Any] = {"rate_limit": None, "retry": FAST}
        settings.update(options)
        transport = httpx.ASGITransport(app=self.counting)
        return ApiService(BASE, CLIENT_ID, CLIENT_SECRET, transport=transport, **settings)

    def raw(self) -> ApiService:
        """A second client straight to the sandbox (its writes are not counted)."""
        transport = httpx.ASGITransport(app=self.sandbox)
        return ApiService(BASE, CLIENT_ID, CLIENT_SECRET, transport=transport, rate_limit=None)


@pytest.fixture
async def shop() -> AsyncIterator[Shop]:
    s = Shop(60)
    yield s
    s.store.close()


async def tier_field(service: ApiService) -> bulk.BulkField:
    fields = bulk.bulk_fields(await service.value_fields("customers"))
    return next(f for f in fields if f.slug == "loyalty_tier")


async def first(service: ApiService, n: int) -> list[Customer]:
    return (await service.list_customers(limit=n)).items


async def raw_values(shop: Shop, ids: list[str], slug: str) -> dict[str, Any]:
    async with shop.raw() as raw:
        return {i: (await raw.get_customer(i)).value(slug) for i in ids}


# -- fields and values ----------------------------------------------------------------------


async def test_fields_offered_and_values_checked_like_the_editor(shop):
    async with shop.service() as service:
        fields = bulk.bulk_fields(await service.value_fields("customers"))
    slugs = [f.slug for f in fields]
    assert slugs[:2] == ["name", "external_ref"]
    assert {"loyalty_tier", "newsletter", "contact_window", "birthday"} <= set(slugs)
    assert "email" not in slugs and "password" not in slugs
    assert "unique" in bulk.EXCLUDED["email"] and "password" in bulk.EXCLUDED
    by = {f.slug: f for f in fields}
    assert bulk.parse_value(by["loyalty_tier"], "3") == (3, None)
    assert bulk.parse_value(by["loyalty_tier"], "7") == (None, "must be between 1 and 5")
    assert bulk.parse_value(by["loyalty_tier"], "x") == (None, "must be a whole number")
    assert bulk.parse_value(by["loyalty_tier"], "") == (None, None)  # clears it
    assert bulk.parse_value(by["newsletter"], "yes") == (True, None)
    assert bulk.parse_value(by["contact_window"], "noon")[1].startswith("must be one of")
    assert bulk.parse_value(by["birthday"], "2020-02-30")[1].startswith("must be a date")
    assert bulk.parse_value(by["name"], "") == (None, "is required")
    assert bulk.parse_value(by["external_ref"], "x" * 2049)[1].startswith("may be at most")
    assert "1–5" in by["loyalty_tier"].hint() and "one of morning" in by["contact_window"].hint()


def _customer(i: int, tier: Any) -> Customer:
    return Customer(f"id-{i}", f"C {i}", f"c{i}@x.test", custom={"loyalty_tier": tier},
                    updated_at=f"2026-01-01T00:00:0{i}.000Z")  # fmt: skip


def test_build_plan_marks_unchanged_customers_and_counts():
    target = bulk.BulkField("loyalty_tier", "Loyalty tier", "integer")
    customers = [_customer(1, 3), _customer(2, 5), _customer(3, 3.0), _customer(1, 3)]
    plan = bulk.build_plan("pawnee", BASE, target, 3, customers)
    assert [i.id for i in plan.items] == ["id-1", "id-2", "id-3"]  # each customer once
    assert [i.status for i in plan.items] == ["skipped", "pending", "pending"]  # 3.0 is not 3
    assert plan.items[0].reason == bulk.NO_CHANGE and plan.unchanged == 1
    assert [i.before for i in plan.items] == [3, 5, 3.0]
    assert plan.items[1].updated_at == "2026-01-01T00:00:02.000Z"
    assert len(plan.to_send) == 2 and plan.state == "new" and not plan.unfinished
    assert plan.describe() == "set Loyalty tier to 3 for 3 customers"
    assert plan.summary() == "0 changed, 1 unchanged (not sent), 2 left"


# -- apply ----------------------------------------------------------------------------------


async def test_apply_reports_a_deleted_customer_and_applies_the_others(shop):
    async with shop.service() as service:
        target = await tier_field(service)
        customers = await first(service, 20)
        plan = bulk.build_plan("pawnee", BASE, target, 4, customers)
        gone = next(i for i in plan.items if i.status == "pending")
        async with shop.raw() as raw:
            await raw.delete_customer(gone.id)  # between the preview and apply
        seen: list[str] = []
        await bulk.apply(service, plan, lambda p, item: seen.append(item.id))
    assert plan.state == "finished" and not plan.unfinished
    assert gone.status == "failed" and gone.reason.startswith("deleted on the server (404")
    sent = [i for i in plan.items if i.status == "done"]
    unchanged = [i for i in plan.items if i.status == "skipped"]
    assert len(sent) + len(unchanged) == 19
    assert sorted(seen) == sorted(i.id for i in plan.items if i.status != "skipped")
    values = await raw_values(shop, [i.id for i in sent + unchanged], "loyalty_tier")
    assert set(values.values()) == {4}
    assert all(shop.counting.writes[i.id] == 1 for i in sent)
    assert all(shop.counting.writes[i.id] == 0 for i in unchanged)  # "no change": not sent
    # the plan file says the same, private and complete
    assert plan.path == bulk.plans_dir() / "done" / f"{plan.id}.json"  # nothing left to do
    assert not (bulk.plans_dir() / f"{plan.id}.json").exists()
    assert stat.S_IMODE(os.stat(plan.path).st_mode) == 0o600
    again = bulk.load_plan(plan.path)
    assert again.to_json() == plan.to_json()
    assert [i.id for i in again.problems()] == [gone.id]


async def test_a_rule_changed_after_the_preview_is_reported_per_customer(shop):
    async with shop.service() as service:
        target = await tier_field(service)
        plan = bulk.build_plan("pawnee", BASE, target, 5, await first(service, 6))
        fields = await service.list_fields("customers")
        tier = next(f for f in fields if f.slug == "loyalty_tier")
        rule = {"type": "between", "options": {"from": 1, "to": 3}}
        await service.update_field(tier.id, validation_rules=[rule])
        await bulk.apply(service, plan)
    failed = [i for i in plan.items if i.status == "failed"]
    assert failed and all(i.status != "done" for i in plan.items)
    assert all("between 1 and 3" in i.reason and not i.retryable for i in failed)
    assert not plan.unfinished  # nothing left that a resume could fix
    assert sum(shop.counting.writes.values()) == 0


async def test_resume_after_cancelling_sends_nothing_twice_and_skips_conflicts(shop):
    shop.sandbox.state.config.latency_ms = 1  # requests really wait, so a cancel lands midway
    async with shop.service() as service:
        target = await tier_field(service)
        customers = await first(service, 40)
        plan = bulk.build_plan("pawnee", BASE, target, 2, customers)
        pending = [i.id for i in plan.items if i.status == "pending"]

        async def run() -> None:
            def cancel_after_ten(p: bulk.BulkPlan, item: bulk.BulkItem) -> None:
                if p.count("done") >= 10 and not runner.cancelling():
                    runner.cancel()

            await bulk.apply(service, plan, cancel_after_ten)

        runner = asyncio.create_task(run())
        with pytest.raises(asyncio.CancelledError):
            await runner
    # what the file says after the interruption
    stopped = bulk.load_plan(plan.path)
    assert stopped.state == "stopped" and stopped.unfinished
    done_first = {i.id for i in stopped.items if i.status == "done"}
    left = [i.id for i in stopped.items if i.status == "pending"]
    assert len(done_first) >= 10 and len(left) >= 10
    assert [p.id for p in bulk.unfinished_plans("pawnee")] == [plan.id]
    assert bulk.unfinished_plans("other-profile") == []
    # meanwhile someone else changes two of the customers left
    theirs, renamed, landed = left[-1], left[-2], left[-3]
    async with shop.raw() as raw:
        await raw.update_customer(theirs, {"loyalty_tier": 5})
        await raw.update_customer(renamed, {"name": "Renamed Meanwhile"})
        # a write that reached the store just before the app died, unrecorded in the plan
        await raw.update_customer(landed, {"loyalty_tier": 2})
    async with shop.service() as service:
        await bulk.apply(service, stopped)
    assert stopped.state == "finished" and not bulk.unfinished_plans("pawnee")
    by_id = {i.id: i for i in stopped.items}
    for skipped in (theirs, renamed):
        assert by_id[skipped].status == "skipped"
        assert "changed on the server since the preview" in by_id[skipped].reason
        assert shop.counting.writes[skipped] == 0
    assert all(shop.counting.writes[i] <= 1 for i in pending)  # nothing sent twice
    assert all(shop.counting.writes[i] == 1 for i in done_first)
    assert by_id[landed].status == "done" and shop.counting.writes[landed] == 0
    assert by_id[landed].reason.startswith("already had the new value")
    done = [i for i in pending if by_id[i].status == "done"]
    assert len(done) == len(pending) - 2
    values = await raw_values(shop, pending, "loyalty_tier")
    assert values[theirs] == 5 and all(values[i] == 2 for i in done)


async def test_faults_are_reported_retried_on_resume_and_never_applied_twice():
    shop = Shop(40, fault_seed=3)
    try:
        async with shop.service(retry=RetryPolicy(attempts=2, base_delay=0.001)) as service:
            target = await tier_field(service)
            plan = bulk.build_plan("pawnee", BASE, target, 3, await first(service, 40))
            shop.sandbox.state.config.fault_rate = 0.5  # 500/503 before processing
            await bulk.apply(service, plan)
            failed = [i for i in plan.items if i.status == "failed"]
            assert failed and plan.state == "finished" and plan.unfinished
            assert all(i.retryable and "Injected fault" in i.reason for i in failed)
            assert all(i.reason.startswith(("500:", "503:")) for i in failed)
            assert all(shop.counting.writes[i.id] == 0 for i in failed)
            shop.sandbox.state.config.fault_rate = 0.0
            values = await raw_values(shop, [i.id for i in failed], "loyalty_tier")
            assert all(values[i.id] == i.before for i in failed)  # untouched
            await bulk.apply(service, plan)  # resume: the failures are tried again
        assert plan.state == "finished" and plan.count("failed") == 0
        sent = [i for i in plan.items if i.status == "done"]
        assert all(shop.counting.writes[i.id] == 1 for i in sent)
        values = await raw_values(shop, [i.id for i in plan.items], "loyalty_tier")
        assert set(values.values()) == {3}
    finally:
        shop.store.close()


async def test_a_429_that_outlasts_the_retries_is_reported_and_retried_on_resume(shop):
    async with shop.service(retry=RetryPolicy(attempts=1)) as service:
        target = await tier_field(service)
        plan = bulk.build_plan("pawnee", BASE, target, 3, await first(service, 20))
        shop.sandbox.state.config.rate_limit = 3  # far below what an unpaced client sends
        await bulk.apply(service, plan)
        limited = [i for i in plan.items if i.status == "failed"]
        assert limited and all(i.retryable for i in limited)
        assert all(i.reason.startswith("429: Rate limit exceeded") for i in limited)
        assert all(shop.counting.writes[i.id] == 0 for i in limited)
        shop.sandbox.state.config.rate_limit = None
        await bulk.apply(service, plan)
    assert plan.count("failed") == 0 and plan.state == "finished"
    assert all(shop.counting.writes[i.id] == 1 for i in plan.items if i.status == "done")


async def test_a_lost_connection_stops_the_run_and_leaves_the_rest_pending(shop):
    async with shop.service() as service:
        target = await tier_field(service)
        plan = bulk.build_plan("pawnee", BASE, target, 2, await first(service, 12))
    dead = ApiService(
        "http://127.0.0.1:9",  # nothing listens on the discard port
        CLIENT_ID,
        CLIENT_SECRET,
        rate_limit=None,
        retry=RetryPolicy(attempts=1),
    )
    async with dead:
        await bulk.apply(dead, plan)
    assert plan.state == "interrupted" and "Cannot connect to" in plan.stop_reason
    assert plan.count("done") == 0 and plan.unfinished
    assert len(plan.to_send) == plan.count("pending")


async def test_stop_flag_lets_requests_in_flight_finish(shop):
    async with shop.service() as service:
        target = await tier_field(service)
        plan = bulk.build_plan("pawnee", BASE, target, 2, await first(service, 30))
        stop = asyncio.Event()
        await bulk.apply(service, plan, lambda p, i: stop.set(), stop=stop)
    assert plan.state == "stopped" and 1 <= plan.count("done") <= bulk.CONCURRENCY
    assert plan.count("done") == sum(shop.counting.writes.values())


# -- files ----------------------------------------------------------------------------------


def test_damaged_plan_files_are_reported_and_never_offered(tmp_path):
    target = bulk.BulkField("name", "Name", required=True, core=True)
    plan = bulk.build_plan("pawnee", BASE, target, "Ann", [_customer(1, 1)])
    path = bulk.save_plan(plan)
    assert plan.state == "ready" and [p.id for p in bulk.unfinished_plans("pawnee")] == [plan.id]
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
    damaged = path.with_name("zz-damaged.json")
    damaged.write_text("{not json")
    with pytest.raises(bulk.PlanError, match="is damaged"):
        bulk.load_plan(damaged)
    assert [p.id for p in bulk.unfinished_plans("pawnee")] == [plan.id]
    assert damaged.read_text() == "{not json"  # left as is
    assert bulk.unfinished_plans("pawnee", base_url="http://elsewhere.test") == []
    bulk.discard_plan(plan)
    assert bulk.unfinished_plans("pawnee") == []
    assert plan.path == path.parent / "done" / path.name and not path.exists()
    assert json.loads(plan.path.read_text())["state"] == "discarded"
    assert not list(path.parent.rglob(".*.tmp"))  # no temporary file left behind


# -- every customer matching a search --------------------------------------------------------


async def test_iter_matching_walks_by_key_through_ties(shop):
    stamp = dt.datetime(2030, 1, 1, 12, 0, 0)
    shop.store.clock = lambda: stamp  # 13 customers created in the same millisecond
    async with shop.service() as service:
        for i in range(13):
            await service.create_customer(name=f"Tie Twin {i:02d}", email=f"tie{i}@twins.test")
        terms = [("like", "name", "*Twin*")]
        assert await bulk.count_matching(service, terms) == 13
        found = [c.id async for c in bulk.iter_matching(service, terms, page_size=5)]
        everyone = [c.id async for c in bulk.iter_matching(service, [], page_size=7)]
    assert len(found) == 13 == len(set(found))
    assert len(everyone) == 73 == len(set(everyone))
    assert set(found) <= set(everyone)


async def test_bulk_writes_are_journaled_with_the_previewed_values_and_no_extra_reads(
    shop, tmp_path
):
    from flowtui.ops.journal import Journal

    journal = Journal(tmp_path / "journal.jsonl")
    gets: list[str] = []

    async def count_gets(request: httpx.Request) -> None:
        if request.method == "GET":
            gets.append(request.url.path)

    async with shop.service(journal=journal, profile_name="pawnee") as service:
        service.client.event_hooks["request"].append(count_gets)
        target = await tier_field(service)
        plan = bulk.build_plan("pawnee", BASE, target, 5, await first(service, 10))
        gets.clear()
        await bulk.apply(service, plan)
    sent = [i for i in plan.items if i.status == "done"]
    assert sent and not gets  # the journal's "before" came from the plan, not a GET each
    records = {r["id"]: r for r in journal.entries("pawnee")}
    for item in sent:
        record = records[item.id]
        assert record["action"] == "updated" and record["resource"] == "customer"
        assert record["before"] == {"loyalty_tier": item.before}
        assert record["after"] == {"loyalty_tier": 5}


# -- two processes, one plan (issue 15, item 11) ----------------------------------------------


def hold_plan_lock_in_another_process(plan: bulk.BulkPlan) -> subprocess.Popen[str]:
    """A second process holding the plan's lock, as a flowtui running it would."""
    code = (
        "import sys, time; from pathlib import Path; from flowtui.config._files import locked\n"
        "with locked(Path(sys.argv[1])):\n"
        "    print('held', flush=True); time.sleep(60)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(bulk.plans_dir() / f"{plan.id}.json")],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline() == "held\n"
    return proc


async def test_a_plan_run_by_another_process_is_neither_offered_nor_run_nor_discarded(shop):
    async with shop.service() as service:
        target = await tier_field(service)
        plan = bulk.build_plan("pawnee", BASE, target, 2, await first(service, 10))
        bulk.save_plan(plan)
        assert [p.id for p in bulk.unfinished_plans("pawnee")] == [plan.id]
        other = hold_plan_lock_in_another_process(plan)
        try:
            assert bulk.unfinished_plans("pawnee") == []  # not offered while it runs there
            with pytest.raises(bulk.PlanError, match="being run by another flowtui process"):
                await bulk.apply(service, plan)
            with pytest.raises(bulk.PlanError, match="being run by another flowtui process"):
                bulk.discard_plan(plan)
        finally:
            other.kill()
            other.communicate()
        assert sum(shop.counting.writes.values()) == 0  # nothing was sent meanwhile
        assert bulk.load_plan(plan.path).state == "ready"  # and the file is as it was
        await bulk.apply(service, plan)  # once that process is gone, it runs
    assert plan.state == "finished" and not bulk.unfinished_plans("pawnee")


async def test_a_stale_copy_of_a_plan_never_sends_again_what_another_run_sent(shop):
    async with shop.service() as service:
        target = await tier_field(service)
        plan = bulk.build_plan("pawnee", BASE, target, 2, await first(service, 10))
        bulk.save_plan(plan)
        stale = bulk.load_plan(plan.path)  # another app read it before this one ran it
        await bulk.apply(service, plan)
        sent = sum(shop.counting.writes.values())
        assert sent == plan.count("done") > 0
        await bulk.apply(service, stale)  # reads the file as it is now: nothing left
        assert sum(shop.counting.writes.values()) == sent
        assert stale.state == "finished" and stale.counts() == plan.counts()
        # discarded elsewhere: a copy read before that sends nothing either
        again = bulk.build_plan("pawnee", BASE, target, 3, await first(service, 10))
        bulk.save_plan(again)
        copy = bulk.load_plan(again.path)
        bulk.discard_plan(again)
        with pytest.raises(bulk.PlanError, match="was discarded"):
            await bulk.apply(service, copy)
        assert sum(shop.counting.writes.values()) == sent
