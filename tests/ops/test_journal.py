"""The journal (every write, one JSONL line) and undo, against the real sandbox."""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
import threading

import httpx
import pytest

from flowtui.api.service import ApiService
from flowtui.config.profiles import Profile
from flowtui.config.resolve import Resolved
from flowtui.ops.connect import service_for
from flowtui.ops.journal import Journal
from flowtui.ops.undo import UndoRefused, plan, undo
from tests.api.conftest import BASE, CLIENT_ID, CLIENT_SECRET, inprocess_service, raw_token
from tests.conftest import make_sandbox

SECRET_PASSWORD = "hunter2-never-in-the-journal"


@pytest.fixture
def app():
    """A small sandbox: the demo flows and 5 customers."""
    from flowtui.sandbox import demo

    app = make_sandbox()
    demo.seed(app.state.store, 5)
    yield app
    app.state.store.close()


@pytest.fixture
def journal(tmp_path) -> Journal:
    clock = iter(dt.datetime(2026, 1, 2, 3, 4, s, tzinfo=dt.UTC) for s in range(60))
    return Journal(tmp_path / "j" / "journal.jsonl", clock=lambda: next(clock))


@pytest.fixture
async def svc(app, journal):
    service = inprocess_service(app, journal=journal, profile_name="pawnee")
    yield service
    await service.aclose()


async def raw_get(app, path: str) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as c:
        c.headers["Authorization"] = f"Bearer {await raw_token(c)}"
        return await c.get(path)


def last(journal: Journal) -> dict:
    return journal.entries(limit=1)[0]


async def test_every_write_kind_journals_one_record(svc: ApiService, journal: Journal, app):
    count = 0

    def added(n: int = 1) -> list[dict]:
        nonlocal count
        records = journal.entries(limit=None)
        assert len(records) == count + n
        count += n
        return records[:n]

    # customers
    c = await svc.create_customer(name="Ann", email="ann@example.com", password=SECRET_PASSWORD)
    (r,) = added()
    assert (r["resource"], r["action"], r["id"], r["profile"]) == (
        "customer",
        "created",
        c.id,
        "pawnee",
    )
    assert r["before"] is None and r["after"]["email"] == "ann@example.com"
    assert r["unrecorded"] == ["password"] and r["time"] == "2026-01-02T03:04:00+00:00"
    await svc.update_customer(c.id, {"name": "Ann B", "password": SECRET_PASSWORD + "2"})
    (r,) = added()
    assert (r["action"], r["before"], r["after"]) == ("updated", {"name": "Ann"}, {"name": "Ann B"})
    await svc.delete_customer(c.id)
    (r,) = added()
    assert r["action"] == "deleted" and r["before"]["name"] == "Ann B" and r["after"] is None
    # flows
    flow = await svc.create_flow("Notes", "notes", "d")
    (r,) = added()
    assert r["after"] == {"name": "Notes", "slug": "notes", "description": "d", "enabled": True}
    await svc.update_flow(flow.id, description="e")
    (r,) = added()
    assert (r["before"], r["after"]) == ({"description": "d"}, {"description": "e"})
    # fields
    f1 = await svc.create_field(flow, name="A", slug="a", field_type="string", order=1)
    f2 = await svc.create_field(flow, name="B", slug="b", field_type="integer", order=2)
    r2, r1 = added(2)
    assert (r1["flow_slug"], r1["after"]["slug"], r2["after"]["field_type"]) == (
        "notes",
        "a",
        "integer",
    )
    await svc.update_field(f1.id, flow_slug="notes", required=True)
    (r,) = added()
    assert (r["before"], r["after"]) == ({"required": False}, {"required": True})
    await svc.reorder_fields([f2, f1], "notes")
    (r,) = added()
    assert (r["action"], r["before"], r["after"]) == (
        "reordered",
        {f2.id: 2, f1.id: 1},
        {f2.id: 1, f1.id: 2},
    )
    # entries
    e = await svc.create_entry("notes", {"a": "x", "b": 1})
    (r,) = added()
    assert r["after"] == {"a": "x", "b": 1} and r["flow_slug"] == "notes"
    await svc.update_entry("notes", e.id, {"b": 2})
    (r,) = added()
    assert (r["before"], r["after"]) == ({"b": 1}, {"b": 2})
    wish = (await svc.list_entries("wishlists")).items[0]
    await svc.set_relationship("wishlists", wish.id, "owner", [("customer", "x1")])
    (r,) = added()
    assert r["before"] == {"relationships.owner": []}
    assert r["after"] == {"relationships.owner": [{"type": "customer", "id": "x1"}]}
    await svc.delete_entry("notes", e.id)
    (r,) = added()
    assert r["before"] == {"a": "x", "b": 2}
    await svc.delete_field(f2, "notes")
    (r,) = added()
    assert r["before"]["slug"] == "b"
    await svc.delete_flow(flow)
    (r,) = added()
    assert (r["resource"], r["action"], r["before"]["slug"]) == ("flow", "deleted", "notes")
    # sequence numbers, one line each, no secret anywhere
    text = journal.path.read_text()
    assert [json.loads(line)["seq"] for line in text.splitlines()] == list(range(1, count + 1))
    assert SECRET_PASSWORD not in text and CLIENT_SECRET not in text and 'password": ' not in text
    assert stat.S_IMODE(os.stat(journal.path).st_mode) == 0o600


async def test_undo_customer_update_create_delete(svc: ApiService, journal: Journal, app):
    c = await svc.create_customer(name="Ann", email="ann@example.com", external_ref="r1")
    await svc.update_customer(c.id, {"name": "Ann B", "loyalty_tier": 3})
    update = journal.last_change("pawnee")
    assert plan(update) == f"Put back the earlier name, loyalty_tier of customer {c.id} (Ann B)."
    said = await undo(svc, update)
    assert "name, loyalty_tier" in said
    body = (await raw_get(app, f"/v2/customers/{c.id}")).json()["data"]
    assert (body["name"], body["loyalty_tier"]) == ("Ann", update["before"]["loyalty_tier"])
    undo_record = last(journal)
    assert undo_record["undo_of"] == update["seq"]
    # undone once: not again, and the last change is now the create
    with pytest.raises(UndoRefused, match="already undone"):
        await undo(svc, update)
    with pytest.raises(UndoRefused, match="itself an undo"):
        await undo(svc, undo_record)
    create = journal.last_change("pawnee")
    assert create["action"] == "created"
    assert "Deleted" in await undo(svc, create)
    assert (await raw_get(app, f"/v2/customers/{c.id}")).status_code == 404
    # now a delete, undone by re-creating it (new id)
    c2 = await svc.create_customer(name="Bo", email="bo@example.com", custom={"loyalty_tier": 2})
    await svc.delete_customer(c2.id)
    said = await undo(svc, journal.last_change("pawnee"))
    new_id = said.rsplit(" ", 1)[1].rstrip(".")
    assert new_id != c2.id and "new id" in said
    body = (await raw_get(app, f"/v2/customers/{new_id}")).json()["data"]
    assert (body["name"], body["email"], body["loyalty_tier"]) == ("Bo", "bo@example.com", 2)


async def test_undo_refused_when_changed_since(svc: ApiService, journal: Journal, app):
    c = await svc.create_customer(name="Ann", email="ann@example.com")
    await svc.update_customer(c.id, {"name": "Ann B"})
    record = journal.last_change("pawnee")
    # someone else (no journal) changes the name again
    async with inprocess_service(app) as other:
        changed = await other.update_customer(c.id, {"name": "Ann C"})
    with pytest.raises(UndoRefused) as caught:
        await undo(svc, record)
    text = str(caught.value)
    assert "was changed since" in text and changed.updated_at in text and "not undone" in text
    assert (await raw_get(app, f"/v2/customers/{c.id}")).json()["data"]["name"] == "Ann C"
    # a delete whose email was taken again meanwhile is refused too
    await svc.delete_customer(c.id)
    async with inprocess_service(app) as other:
        await other.create_customer(name="New", email="ann@example.com")
    with pytest.raises(UndoRefused, match="belongs to customer"):
        await undo(svc, journal.last_change("pawnee"))


async def test_undo_field_and_flow_refusals(svc: ApiService, journal: Journal):
    flow = await svc.create_flow("Notes", "notes")
    field = await svc.create_field(flow, name="A", slug="a", field_type="string")
    await svc.update_field(field.id, flow_slug="notes", name="Alpha")
    assert "name" in await undo(svc, journal.last_change("pawnee"))
    assert (await svc.get_field(field.id)).name == "A"
    await svc.delete_field(field, "notes")
    said = await undo(svc, journal.last_change("pawnee"))
    assert "values it held are gone" in said
    assert [f.slug for f in await svc.list_fields("notes")] == ["a"]
    await svc.delete_flow(await svc.get_flow(flow.id))
    with pytest.raises(UndoRefused, match="cannot bring it back"):
        await undo(svc, journal.last_change("pawnee"))


async def test_read_only_and_other_profile_refused(app, journal: Journal, svc: ApiService):
    await svc.create_customer(name="Ann", email="ann@example.com")
    record = journal.last_change("pawnee")
    async with inprocess_service(app, journal=journal, profile_name="other") as other:
        with pytest.raises(UndoRefused, match="profile 'pawnee'"):
            await undo(other, record)
    assert journal.last_change("other") is None
    async with inprocess_service(app, journal=journal, profile_name="pawnee", read_only=True) as ro:
        with pytest.raises(UndoRefused, match="read-only"):
            await undo(ro, record)


def test_torn_last_line_is_skipped_and_terminated(journal: Journal):
    journal.append(profile="p", resource="customer", id="1", action="created", after={"a": 1})
    with open(journal.path, "a") as f:
        f.write('{"seq": 2, "profile": "p", "half')  # a crash mid-write
    assert [r["seq"] for r in journal.entries()] == [1]
    record = journal.append(profile="p", resource="customer", id="2", action="deleted")
    assert record["seq"] == 2
    assert [r["id"] for r in journal.entries()] == ["2", "1"]
    assert journal.path.read_text().count("\n") == 3


def test_concurrent_appends_and_reading_from_the_end(tmp_path):
    journal = Journal(tmp_path / "journal.jsonl")
    big = "x" * 300  # so the file spans several read blocks

    def writer(name: str) -> None:
        for i in range(100):
            journal.append(
                profile=name, resource="entry", id=str(i), action="updated", after={"v": big}
            )

    threads = [threading.Thread(target=writer, args=(n,)) for n in ("a", "b", "c")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    records = journal.entries(limit=None)
    assert [r["seq"] for r in records] == list(range(300, 0, -1))
    assert [r["id"] for r in journal.entries("b", limit=3)] == ["99", "98", "97"]
    assert journal.find(1)["seq"] == 1 and journal.find(999) is None


def test_secrets_are_dropped(journal: Journal):
    record = journal.append(
        profile="p",
        resource="customer",
        id="1",
        action="updated",
        before={"password": "old", "name": "a"},
        after={"password": "new", "name": "b", "client_secret": "s"},
    )
    assert record["after"] == {"name": "b"} and record["unrecorded"] == [
        "client_secret",
        "password",
    ]
    assert "old" not in journal.path.read_text() and "new" not in journal.path.read_text()


async def test_service_for_journals_under_the_data_dir(app, tmp_path):
    profile = Profile(name="pawnee", base_url=BASE, client_id=CLIENT_ID)
    resolved = Resolved(profile=profile, secret=CLIENT_SECRET, source="environment")
    async with service_for(
        resolved, transport=httpx.ASGITransport(app=app), rate_limit=None
    ) as service:
        await service.create_customer(name="Ann", email="ann@example.com")
    path = tmp_path / "data" / "journal.jsonl"  # FLOWTUI_DATA_DIR (tests/conftest.py)
    assert service.journal.path == path
    assert Journal(path).last_change("pawnee")["after"]["email"] == "ann@example.com"


async def test_undo_entries_relationships_reorder_and_nulls(svc: ApiService, journal: Journal, app):
    # a custom value that was null goes back to null
    c = await svc.create_customer(name="Ann", email="ann@example.com")
    assert c.custom.get("birthday") is None
    await svc.update_customer(c.id, {"birthday": "1990-01-02"})
    await undo(svc, journal.last_change("pawnee"))
    assert (await raw_get(app, f"/v2/customers/{c.id}")).json()["data"].get("birthday") is None
    # entries: update, relationship, delete (re-created with its relationship)
    entry = await svc.create_entry("wishlists", {"title": "Socks", "priority": 1})
    await svc.update_entry("wishlists", entry.id, {"priority": 3})
    await svc.set_relationship("wishlists", entry.id, "owner", [("customer", c.id)])
    said = await undo(svc, journal.last_change("pawnee"))
    assert "relationships.owner" in said
    assert (await svc.get_entry("wishlists", entry.id)).relationships["owner"] is None
    await undo(svc, journal.last_change("pawnee"))
    assert (await svc.get_entry("wishlists", entry.id)).values["priority"] == 1
    await svc.set_relationship("wishlists", entry.id, "owner", [("customer", c.id)])
    await svc.delete_entry("wishlists", entry.id)
    said = await undo(svc, journal.last_change("pawnee"))
    new_id = said.rsplit(" ", 1)[1].rstrip(".")
    again = await svc.get_entry("wishlists", new_id)
    assert again.values["title"] == "Socks" and again.relationships["owner"]["id"] == c.id
    # a field reorder, undone as one
    fields = await svc.list_fields("wishlists")
    await svc.reorder_fields(list(reversed(fields)), "wishlists")
    assert [f.slug for f in await svc.list_fields("wishlists")] == ["owner", "priority", "title"]
    assert plan(journal.last_change("pawnee")) == "Put back the field order in flow 'wishlists'."
    await undo(svc, journal.last_change("pawnee"))
    assert [f.slug for f in await svc.list_fields("wishlists")] == ["title", "priority", "owner"]
    assert last(journal)["action"] == "reordered" and last(journal)["undo_of"] is not None


async def test_a_journal_that_cannot_be_written_does_not_fail_the_write(app, tmp_path):
    (tmp_path / "dir.jsonl").mkdir()  # a folder where the file should be: every append fails
    heard: list[str] = []
    async with inprocess_service(app, journal=Journal(tmp_path / "dir.jsonl")) as svc:
        svc.on_journal_error = heard.append
        c = await svc.create_customer(name="Ann", email="ann@example.com")
    assert (await raw_get(app, f"/v2/customers/{c.id}")).status_code == 200
    assert len(heard) == 1 and heard[0].startswith("The change was made but not journaled")


async def test_undo_says_a_password_is_not_restored(svc: ApiService, journal: Journal):
    c = await svc.create_customer(name="Ann", email="ann@example.com", password=SECRET_PASSWORD)
    await svc.update_customer(c.id, {"name": "Ann B", "password": SECRET_PASSWORD + "2"})
    record = journal.last_change("pawnee")
    assert plan(record).endswith("Its password cannot be restored (never journaled).")
    assert (await undo(svc, record)).endswith(
        "Its password was not changed back (never journaled)."
    )
    await svc.delete_customer(c.id)
    said = await undo(svc, journal.last_change("pawnee"))
    assert said.endswith("(without its password).")
    assert SECRET_PASSWORD not in journal.path.read_text()


async def test_a_password_only_change_cannot_be_undone(svc: ApiService, journal: Journal):
    c = await svc.create_customer(name="Ann", email="ann@example.com")
    await svc.update_customer(c.id, {"password": SECRET_PASSWORD})
    record = journal.last_change("pawnee")
    assert (record["before"], record["after"], record["unrecorded"]) == ({}, {}, ["password"])
    with pytest.raises(UndoRefused, match="wrote only password, which is never journaled"):
        await undo(svc, record)
