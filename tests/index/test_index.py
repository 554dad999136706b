"""The local customer index against the real sandbox: full and incremental syncs, ties,
deletes, change notifications, schema rebuilds, and searches checked against the store.

Nothing is mocked: the index syncs from a demo-seeded in-process sandbox (300 customers), and
every expected answer is computed in Python from what the store itself returns.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable
from typing import Any

import pytest

from flowtui.api.models import Customer
from flowtui.index import CustomerIndex, index_path, sync_index
from flowtui.index import sync as index_sync
from flowtui.index.store import SCHEMA_VERSION
from flowtui.sandbox.query import format_timestamp
from tests.api.conftest import inprocess_service


async def store_customers(service) -> list[Customer]:
    return [c async for c in service.iter_customers()]


def matching_ids(index: CustomerIndex, text: str) -> list[str]:
    """The ids of every customer matching ``text`` (no limit), by name."""
    return [c.id for c in index.search(text, limit=10**9).customers]


def expected(customers: list[Customer], predicate: Callable[[Customer], Any]) -> set[str]:
    return {c.id for c in customers if predicate(c)}


def record_requests(service) -> list[str]:
    """The URLs every request of ``service`` goes to, from now on."""
    urls: list[str] = []

    async def hook(request) -> None:
        urls.append(str(request.url))

    service.client.event_hooks["request"].append(hook)
    return urls


@pytest.fixture
def index() -> CustomerIndex:
    idx = CustomerIndex(index_path("test"))
    yield idx
    idx.close()


def contains(text: str | None, part: str) -> bool:
    return text is not None and part.casefold() in text.casefold()


def texts(c: Customer) -> list[str]:
    """Every text a bare word is looked for in."""
    values = (c.name, c.email, c.external_ref, *c.custom.values())
    return [v for v in values if isinstance(v, str)]


async def test_full_sync_then_searches_agree_with_the_store(index, service):
    urls = record_requests(service)
    result = await sync_index(index, service)
    assert (result.mode, result.count, result.deleted) == ("full", 300, 0)
    assert index.synced_at is not None and index.age() < 5
    assert all("page[offset]=0" in u for u in urls if "/v2/customers" in u)
    everyone = await store_customers(service)

    def value(c: Customer, key: str) -> Any:
        return c.custom.get(key)

    cases = {
        "delivery_notes:knope": lambda c: contains(value(c, "delivery_notes"), "knope"),
        "Delivery_Notes:KNOPE": lambda c: contains(value(c, "delivery_notes"), "knope"),
        "loyalty_tier>=4": lambda c: (value(c, "loyalty_tier") or 0) >= 4,
        "loyalty_tier≤2": lambda c: (
            value(c, "loyalty_tier") is not None and value(c, "loyalty_tier") <= 2
        ),
        "loyalty_tier!=1": lambda c: value(c, "loyalty_tier") != 1,
        "newsletter=true loyalty_tier>3": lambda c: (
            value(c, "newsletter") is True and (value(c, "loyalty_tier") or 0) > 3
        ),
        "knope": lambda c: any(contains(t, "knope") for t in texts(c)),
        'delivery_notes:"government building"': lambda c: contains(
            value(c, "delivery_notes"), "government building"
        ),
        "birthday<1960": lambda c: (value(c, "birthday") or "9999") < "1960",
        "birthday=1970": lambda c: (value(c, "birthday") or "").startswith("1970"),
        "contact_window=MORNING": lambda c: value(c, "contact_window") == "morning",
        "lifetime_value>500 name:an": lambda c: (
            value(c, "lifetime_value") > 500 and contains(c.name, "an")
        ),
        "created_at>=2025": lambda c: c.created_at >= "2025",
        "email:example.org": lambda c: contains(c.email, "example.org"),
        "external_ref:crm-1000": lambda c: contains(c.external_ref, "crm-1000"),
        "delivery_notes:leave knope loyalty_tier!=1": lambda c: (
            contains(value(c, "delivery_notes"), "leave")
            and any(
                contains(v, "knope")
                for v in (c.name, c.email, c.external_ref, *c.custom.values())
                if isinstance(v, str)
            )
            and value(c, "loyalty_tier") != 1
        ),
        "created_at<2024 newsletter!=true birthday:19": lambda c: (
            c.created_at < "2024"
            and value(c, "newsletter") is not True
            and "19" in (value(c, "birthday") or "")
        ),
    }
    for query, predicate in cases.items():
        want = expected(everyone, predicate)
        assert want, f"the demo data should match {query!r}"
        assert set(matching_ids(index, query)) == want, query
        found = index.search(query, limit=10)
        assert found.total == len(want), query
        names = [c.name.casefold() for c in found.customers]
        assert names == sorted(names)
    everything = index.search("", limit=1000)
    assert everything.total == 300
    by_id = {c.id: c for c in everyone}
    assert all(by_id[c.id] == c for c in everything.customers)  # round-trips whole


async def test_incremental_sync_sees_changes_creates_and_deletes(index, service, seeded_app):
    await sync_index(index, service)
    # Changes made by another client (not through this service: no notifications).
    async with inprocess_service(seeded_app) as other:
        everyone = await store_customers(other)
        changed = everyone[:3]
        for c in changed:
            await other.update_customer(c.id, {"delivery_notes": "Ask for Ron Swanson-Knope"})
        created = [
            await other.create_customer(
                name=f"New Person {i}", email=f"new{i}@example.com", custom={"loyalty_tier": 5}
            )
            for i in range(2)
        ]
        gone = [everyone[100].id, everyone[250].id]
        for customer_id in gone:
            await other.delete_customer(customer_id)
    urls = record_requests(service)
    result = await sync_index(index, service)
    assert result.mode == "incremental"
    assert result.fetched == 5 and result.deleted == 2 and result.reconciled
    assert result.count == 300 - 2 + 2
    after = await store_customers(service)
    assert set(matching_ids(index, "")) == {c.id for c in after}
    assert all(index.get(c.id) == c for c in after)
    assert set(matching_ids(index, "delivery_notes:leave")) == {
        c.id for c in after if contains(c.custom.get("delivery_notes"), "leave")
    }
    assert set(matching_ids(index, "knope")) == {
        c.id for c in after if any(contains(t, "knope") for t in texts(c))
    }
    assert set(matching_ids(index, "delivery_notes:swanson-knope")) == {c.id for c in changed}
    assert {c.id for c in created} <= set(matching_ids(index, "loyalty_tier=5"))
    assert not any(index.get(i) for i in gone)
    assert all("page[offset]=0" in u for u in urls if "/v2/customers" in u)
    # Nothing changed: one cheap pass, nothing written.
    again = await sync_index(index, service)
    assert (again.mode, again.fetched, again.deleted, again.reconciled) == (
        "incremental",
        0,
        0,
        False,
    )


async def test_deletes_are_found_by_halving_windows(index, service, seeded_app, monkeypatch):
    monkeypatch.setattr(index_sync, "SMALL_WINDOW", 20)
    await sync_index(index, service)
    everyone = await store_customers(service)
    gone = [everyone[7].id, everyone[8].id, everyone[299].id]
    store = seeded_app.state.store
    for customer_id in gone:
        assert store.delete_customer(customer_id)
    urls = record_requests(service)
    result = await sync_index(index, service)
    assert result.deleted == 3 and result.count == 297
    assert set(matching_ids(index, "")) == {c.id for c in everyone} - set(gone)
    pages = [u for u in urls if "page[limit]=100" in u]
    assert len(pages) < 300 // 20, "only the windows that differ are fetched"


async def test_ties_on_updated_at_are_drained_by_id(index, service, seeded_app):
    await sync_index(index, service)
    store = seeded_app.state.store
    newest = index.meta("watermark")
    stamp = format_timestamp(
        dt.datetime.fromisoformat(newest.replace("Z", "+00:00")).replace(tzinfo=None)
        + dt.timedelta(seconds=5)
    )
    rows = [
        (f"00000000-0000-4000-8000-{i:012d}", f"Tie {i}", f"tie{i}@example.com", None, None,
         {}, stamp, stamp)
        for i in range(230)
    ]  # fmt: skip
    store.insert_customers(rows)  # 230 customers sharing one updated_at: more than 2 pages
    result = await sync_index(index, service)
    assert result.fetched == 230
    assert index.search("name:tie").total == 230
    assert index.count() == 530


async def test_the_service_s_own_changes_show_at_once(index, service):
    await sync_index(index, service)
    unsubscribe = index.follow(service.subscribe)
    made = await service.create_customer(
        name="Tammy Two", email="tammy2@example.com", custom={"delivery_notes": "Via the library"}
    )
    assert matching_ids(index, "delivery_notes:library") == [made.id]
    await service.update_customer(made.id, {"loyalty_tier": 4})
    assert made.id in matching_ids(index, "loyalty_tier=4 name:tammy")
    await service.delete_customer(made.id)
    assert matching_ids(index, "delivery_notes:library") == []
    unsubscribe()


async def test_a_field_change_rebuilds_with_new_defaults(index, service):
    await sync_index(index, service)
    flows = {f.slug: f for f in await service.list_flows()}
    await service.create_field(
        flows["customers"], name="Region", slug="region", field_type="string", default="north"
    )
    result = await sync_index(index, service)
    assert result.mode == "full"
    assert index.search("region=north").total == 300
    assert "region" in [f.column for f in index.fields()]


async def test_interrupted_full_sync_keeps_the_old_index(index, service, seeded_app):
    await sync_index(index, service)

    def boom(done: int, total: int) -> None:
        if done >= 200:
            raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        await sync_index(index, service, progress=boom, full=True)
    assert index.count() == 300
    assert index.search("knope").total > 0
    assert not list(index.path.parent.glob("*building*"))


async def test_another_schema_or_a_broken_file_is_rebuilt(index, service):
    await sync_index(index, service)
    path = index.path
    index.set_meta(schema=str(SCHEMA_VERSION + 1))
    index.close()
    again = CustomerIndex(path)
    assert again.count() == 0 and again.synced_at is None
    again.close()
    path.write_bytes(b"this is not a database" * 100)
    for suffix in ("-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    fresh = CustomerIndex(path)
    assert fresh.count() == 0
    assert (await sync_index(fresh, service)).count == 300
    fresh.close()
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone() == (
            str(SCHEMA_VERSION),
        )


async def test_another_process_replacing_the_file_is_noticed(index, service):
    assert index.count() == 0 and index.age() is None
    other = CustomerIndex(index.path)
    await sync_index(other, service)  # a full build renames a new file into place
    assert index.count() == 300 and index.age() < 5
    gone = matching_ids(index, "")[0]
    assert other.delete_ids([gone]) == 1  # a change in place: what is cached is reread
    assert index.count() == 299 and gone not in matching_ids(index, "")
    other.close()


async def test_an_empty_store_then_its_first_customer_then_none(index, bare_service):
    result = await sync_index(index, bare_service)
    assert (result.mode, result.count) == ("full", 0)
    assert index.search("").total == 0 and index.synced_at is not None
    made = await bare_service.create_customer(name="Ann Perkins", email="ann@example.com")
    assert (await sync_index(index, bare_service)).count == 1
    assert matching_ids(index, "perkins") == [made.id]
    await bare_service.delete_customer(made.id)
    result = await sync_index(index, bare_service)
    assert (result.count, result.deleted) == (0, 1)


async def test_the_index_is_readable_by_its_owner_only(index, service):
    await sync_index(index, service)  # a full build renames a new file into place
    assert index.path.stat().st_mode & 0o777 == 0o600
    assert index.path.parent.stat().st_mode & 0o777 == 0o700
