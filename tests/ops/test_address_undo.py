"""Address writes in the journal (before and after, with their customer) and their undo,
against the real sandbox."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from flowtui.api.changes import Change
from flowtui.api.service import ApiService
from flowtui.ops.journal import Journal, summary
from flowtui.ops.undo import UndoRefused, label, plan, undo
from tests.api.conftest import BASE, inprocess_service, raw_token
from tests.api.test_addresses import RON, add_address_flow
from tests.conftest import make_sandbox


@pytest.fixture
def app():
    app = make_sandbox()
    yield app
    app.state.store.close()


@pytest.fixture
def journal(tmp_path) -> Journal:
    clock = iter(dt.datetime(2026, 1, 2, 3, 4, s, tzinfo=dt.UTC) for s in range(60))
    return Journal(tmp_path / "j" / "journal.jsonl", clock=lambda: next(clock))


@pytest.fixture
async def svc(app, journal):
    service = inprocess_service(app, journal=journal, profile_name="pawnee")
    await add_address_flow(service)
    yield service
    await service.aclose()


def last(journal: Journal) -> dict:
    return journal.entries(limit=1)[0]


async def raw(app, method: str, path: str, **kwargs) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as c:
        c.headers["Authorization"] = f"Bearer {await raw_token(c)}"
        return await c.request(method, path, **kwargs)


async def test_address_writes_are_journaled_with_their_customer(svc: ApiService, journal):
    ron = await svc.create_customer(name="Ron", email="ron@example.com")
    home = await svc.create_address(ron.id, {**RON, "gate_code": "1"})
    r = last(journal)
    assert (r["resource"], r["action"], r["id"], r["customer_id"]) == (
        "address",
        "created",
        home.id,
        ron.id,
    )
    assert r["before"] is None and r["after"]["line_1"] == RON["line_1"]
    assert r["after"]["gate_code"] == "1" and r["flow_slug"] is None
    await svc.update_address(ron.id, home.id, {"city": "Pawnee", "gate_code": "2"})
    r = last(journal)
    assert (r["action"], r["before"], r["after"]) == (
        "updated",
        {"city": "Sunny Town", "gate_code": "1"},
        {"city": "Pawnee", "gate_code": "2"},
    )
    assert summary(r) == "city: Sunny Town → Pawnee; gate_code: 1 → 2"
    await svc.delete_address(ron.id, home.id)
    r = last(journal)
    assert r["action"] == "deleted" and r["after"] is None
    assert r["before"]["city"] == "Pawnee" and r["customer_id"] == ron.id
    assert label(r) == f"address {home.id} (Home) of customer {ron.id}"


async def test_undo_address_update_create_and_delete(svc: ApiService, journal, app):
    ron = await svc.create_customer(name="Ron", email="ron@example.com")
    home = await svc.create_address(ron.id, {**RON, "delivery_window": "evening"})
    path = f"/v2/customers/{ron.id}/addresses/{home.id}"
    await svc.update_address(ron.id, home.id, {"city": "Pawnee", "delivery_window": None})
    update = last(journal)
    assert plan(update).startswith("Put back the earlier city, delivery_window of address")
    changes: list[Change] = []
    svc.subscribe(changes.append)
    said = await undo(svc, update)
    assert said.startswith("Put back the earlier city, delivery_window")
    stored = (await raw(app, "GET", path)).json()["data"]
    assert (stored["city"], stored["delivery_window"]) == ("Sunny Town", "evening")
    assert last(journal)["undo_of"] == update["seq"]
    assert [(c.resource, c.action) for c in changes] == [("address", "updated")]
    with pytest.raises(UndoRefused, match="already undone"):
        await undo(svc, update)

    create = journal.find(update["seq"] - 1)
    assert create is not None and create["action"] == "created"
    # the undo of the update left the address as the create did: the create can go
    assert "Deleted" in await undo(svc, create)
    assert (await raw(app, "GET", path)).status_code == 404

    # a delete, undone by re-creating the address (new id) with its custom values
    work = await svc.create_address(ron.id, {**RON, "name": "Work", "line_2": ""})
    await svc.delete_address(ron.id, work.id)
    deleted = last(journal)
    assert plan(deleted).startswith("Re-create address")
    assert summary(deleted).startswith("was: name=Work, first_name=Ron")
    assert "line_2" not in summary(deleted)  # empty: nothing to show
    said = await undo(svc, deleted)
    (again,) = await svc.list_addresses(ron.id)
    assert again.id != work.id and said.endswith(f"with a new id, {again.id}.")
    assert (again.name, again.line_2, again.value("delivery_window")) == ("Work", "", None)
    assert last(journal)["undo_of"] == deleted["seq"]
    assert last(journal)["customer_id"] == ron.id


async def test_address_undo_refusals(svc: ApiService, journal, app):
    ron = await svc.create_customer(name="Ron", email="ron@example.com")
    home = await svc.create_address(ron.id, RON)
    await svc.update_address(ron.id, home.id, {"city": "Pawnee"})
    update = last(journal)
    # changed since, behind flowtui's back: refused, nothing written
    path = f"/v2/customers/{ron.id}/addresses/{home.id}"
    answer = await raw(app, "PUT", path, json={"data": {"type": "address", "city": "Eagleton"}})
    assert answer.status_code == 200
    with pytest.raises(UndoRefused, match=r"was changed since.*city no longer as this change"):
        await undo(svc, update)
    assert (await raw(app, "GET", path)).json()["data"]["city"] == "Eagleton"
    # the address is gone
    await raw(app, "DELETE", path)
    with pytest.raises(UndoRefused, match="was deleted since"):
        await undo(svc, update)
    # its customer is gone: a deleted address cannot come back
    other = await svc.create_address(ron.id, RON)
    await svc.delete_address(ron.id, other.id)
    deleted = last(journal)
    await raw(app, "DELETE", f"/v2/customers/{ron.id}")
    with pytest.raises(UndoRefused, match=f"Customer {ron.id} was deleted since"):
        await undo(svc, deleted)


async def test_undoing_a_customer_create_spares_its_addresses(svc: ApiService, journal, app):
    leslie = await svc.create_customer(name="Leslie", email="leslie@example.com")
    create = last(journal)
    await svc.create_address(leslie.id, RON)
    with pytest.raises(UndoRefused, match="has 1 address"):
        await undo(svc, create)
    assert (await raw(app, "GET", f"/v2/customers/{leslie.id}")).status_code == 200
    await svc.delete_customer(leslie.id)
    assert "addresses it had are not restored" in plan(last(journal))
