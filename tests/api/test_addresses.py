"""A customer's addresses through the service (AddressCalls), against the real sandbox:
every call, what reaches the store, change notifications and errors."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from flowtui.api.changes import Change
from flowtui.api.errors import BadRequestError, NotFoundError, ProtocolError, ValidationError
from flowtui.api.models import ADDRESS_ATTRS, Address
from flowtui.api.service import ApiService
from flowtui.ops.journal import Journal
from tests.api.conftest import BASE, CLIENT_ID, CLIENT_SECRET, raw_token
from tests.api.rewriting import Rewriting
from tests.api.test_address_model import SPEC_EXAMPLE
from tests.conftest import make_sandbox

#: The vendored spec's example address (Address schema), as sent on create.
RON = {key: SPEC_EXAMPLE[key] for key in ADDRESS_ATTRS}


class Recording(httpx.AsyncBaseTransport):
    """The sandbox in-process, remembering each API request's method, path and JSON body."""

    def __init__(self, app: Any) -> None:
        self.inner = httpx.ASGITransport(app=app)
        self.seen: list[tuple[str, str, Any]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/v2/"):
            body = json.loads(request.content) if request.content else None
            self.seen.append((request.method, request.url.raw_path.decode(), body))
        return await self.inner.handle_async_request(request)


async def add_address_flow(svc: ApiService) -> None:
    """The ``addresses`` core flow with a gate code and a delivery window (an enum)."""
    flows = {f.slug: f for f in await svc.list_flows()}
    flow = flows.get("addresses") or await svc.create_flow("Addresses", "addresses")
    slugs = {f.slug for f in await svc.list_fields("addresses")}
    if "gate_code" not in slugs:
        await svc.create_field(flow, name="Gate code", slug="gate_code", field_type="string")
    if "delivery_window" not in slugs:
        await svc.create_field(
            flow,
            name="Delivery window",
            slug="delivery_window",
            field_type="string",
            validation_rules=[{"type": "enum", "options": ["morning", "afternoon", "evening"]}],
        )


@pytest.fixture
def app():
    app = make_sandbox()
    yield app
    app.state.store.close()


@pytest.fixture
async def wire(app) -> Recording:
    return Recording(app)


@pytest.fixture
async def svc(wire) -> AsyncIterator[ApiService]:
    service = ApiService(BASE, CLIENT_ID, CLIENT_SECRET, rate_limit=None, transport=wire)
    await add_address_flow(service)
    yield service
    await service.aclose()


async def raw_get(app, path: str) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as c:
        c.headers["Authorization"] = f"Bearer {await raw_token(c)}"
        return await c.get(path)


async def test_create_list_get_update_delete(svc: ApiService, wire: Recording, app):
    ron = await svc.create_customer(name="Ron", email="ron@example.com")
    changes: list[Change] = []
    svc.subscribe(changes.append)

    home = await svc.create_address(ron.id, {**RON, "gate_code": "4321"})
    assert isinstance(home, Address) and home.customer_id == ron.id
    assert {k: getattr(home, k) for k in ADDRESS_ATTRS} == RON
    assert home.custom == {"gate_code": "4321", "delivery_window": None}
    assert wire.seen[-1] == (
        "POST",
        f"/v2/customers/{ron.id}/addresses",
        {"data": {"type": "address", **RON, "gate_code": "4321"}},
    )
    work = await svc.create_address(ron.id, {**RON, "name": "Work", "delivery_window": "morning"})
    assert [a.id for a in await svc.list_addresses(ron.id)] == [home.id, work.id]
    assert await svc.get_address(ron.id, work.id) == work

    moved = await svc.update_address(ron.id, home.id, {"city": "Pawnee", "gate_code": None})
    method, path, body = wire.seen[-1]
    assert (method, path) == ("PUT", f"/v2/customers/{ron.id}/addresses/{home.id}")
    assert body == {"data": {"type": "address", "id": home.id, "city": "Pawnee", "gate_code": None}}
    assert (
        moved.city == "Pawnee"
        and moved.line_1 == RON["line_1"]
        and moved.value("gate_code") is None
    )
    stored = (await raw_get(app, path)).json()["data"]
    assert stored["city"] == "Pawnee" and stored["name"] == "Home"

    await svc.delete_address(ron.id, work.id)
    assert wire.seen[-1][:2] == ("DELETE", f"/v2/customers/{ron.id}/addresses/{work.id}")
    assert (await raw_get(app, f"/v2/customers/{ron.id}/addresses/{work.id}")).status_code == 404
    assert [a.id for a in await svc.list_addresses(ron.id)] == [home.id]

    assert [(c.resource, c.action, c.id) for c in changes] == [
        ("address", "created", home.id),
        ("address", "created", work.id),
        ("address", "updated", home.id),
        ("address", "deleted", work.id),
    ]
    assert changes[0].item == home and changes[2].item == moved
    gone = changes[3].item
    assert isinstance(gone, Address) and (gone.id, gone.customer_id) == (work.id, ron.id)
    assert all(c.flow_slug is None and c.via == "write" for c in changes)


async def test_a_delete_with_before_tells_listeners_the_whole_address(svc: ApiService, wire):
    ron = await svc.create_customer(name="Ron", email="ron@example.com")
    home = await svc.create_address(ron.id, RON)
    changes: list[Change] = []
    svc.subscribe(changes.append)
    sent = len(wire.seen)
    await svc.delete_address(ron.id, home.id, before=home)
    assert len(wire.seen) == sent + 1  # no journal: no read first
    assert changes[0].item == home


async def test_reads_and_writes_name_the_missing_customer_or_address(svc: ApiService):
    async def missing(call) -> str:
        with pytest.raises(NotFoundError) as gone:
            await call
        return gone.value.errors[0].title

    assert await missing(svc.list_addresses("no-such-customer")) == "Customer not found"
    assert await missing(svc.create_address("no-such-customer", RON)) == "Customer not found"
    ron = await svc.create_customer(name="Ron", email="ron@example.com")
    leslie = await svc.create_customer(name="Leslie", email="leslie@example.com")
    home = await svc.create_address(ron.id, RON)
    assert await missing(svc.get_address(ron.id, "no-such-address")) == "Address not found"
    # another customer's address is not found either, whatever the call
    assert await missing(svc.get_address(leslie.id, home.id)) == "Address not found"
    assert await missing(svc.update_address(leslie.id, home.id, {"city": "x"})) == (
        "Address not found"
    )
    assert await missing(svc.delete_address(leslie.id, home.id)) == "Address not found"
    assert await svc.list_addresses(ron.id) == [home]


async def test_bad_values_are_errors_on_their_attribute(svc: ApiService):
    ron = await svc.create_customer(name="Ron", email="ron@example.com")
    changes: list[Change] = []
    svc.subscribe(changes.append)
    with pytest.raises(BadRequestError) as bad:
        await svc.create_address(ron.id, {"first_name": "Ron", "city": 5})
    assert {e.attribute for e in bad.value.errors} >= {"last_name", "line_1", "city"}
    with pytest.raises(ValidationError) as invalid:
        await svc.create_address(ron.id, {**RON, "delivery_window": "midnight"})
    assert [e.attribute for e in invalid.value.errors] == ["delivery_window"]
    assert changes == [] and await svc.list_addresses(ron.id) == []


async def test_the_26th_address_is_refused(svc: ApiService):
    ron = await svc.create_customer(name="Ron", email="ron@example.com")
    for n in range(25):
        await svc.create_address(ron.id, {**RON, "name": f"Home {n}"})
    with pytest.raises(ValidationError, match="25"):
        await svc.create_address(ron.id, RON)
    assert len(await svc.list_addresses(ron.id)) == 25


async def test_ids_are_escaped_whole_in_the_path(svc: ApiService, wire: Recording):
    with pytest.raises(NotFoundError):
        await svc.get_address("a/b?c", "../x")
    assert wire.seen[-1][1] == "/v2/customers/a%2Fb%3Fc/addresses/..%2Fx"


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        ({"data": {"id": "x"}}, "list of addresses: its data is not a list"),
        ({"data": [{"city": "no id"}]}, "malformed address: it has no id"),
        ({"data": ["an address"]}, "malformed address: expected an object"),
        ({"nothing": []}, "The answer has no data"),
    ],
)
async def test_a_malformed_list_is_a_protocol_error(app, answer, problem):
    shim = Rewriting(app)
    shim.serve("GET", r"/v2/customers/[^/]+/addresses", lambda body: answer)
    async with ApiService(
        BASE, CLIENT_ID, CLIENT_SECRET, rate_limit=None, transport=httpx.ASGITransport(app=shim)
    ) as service:
        ron = await service.create_customer(name="Ron", email="ron@example.com")
        with pytest.raises(ProtocolError) as bad:
            await service.list_addresses(ron.id)
    assert problem in bad.value.errors[0].message or problem in bad.value.errors[0].title


async def test_with_a_journal_a_write_reads_first_unless_given_before(wire, tmp_path):
    journal = Journal(tmp_path / "journal.jsonl")
    async with ApiService(
        BASE, CLIENT_ID, CLIENT_SECRET, rate_limit=None, transport=wire, journal=journal
    ) as svc:
        ron = await svc.create_customer(name="Ron", email="ron@example.com")
        home = await svc.create_address(ron.id, RON)
        start = len(wire.seen)
        moved = await svc.update_address(ron.id, home.id, {"city": "Pawnee"})
        assert [m for m, _, _ in wire.seen[start:]] == ["GET", "PUT"]
        start = len(wire.seen)
        await svc.update_address(ron.id, home.id, {"city": "Eagleton"}, before=moved)
        assert [m for m, _, _ in wire.seen[start:]] == ["PUT"]
        start = len(wire.seen)
        await svc.delete_address(ron.id, home.id)
        assert [m for m, _, _ in wire.seen[start:]] == ["GET", "DELETE"]
    records = journal.entries()
    assert [(r["resource"], r["action"]) for r in records[:4]] == [
        ("address", "deleted"),
        ("address", "updated"),
        ("address", "updated"),
        ("address", "created"),
    ]
    assert records[0]["before"]["city"] == "Eagleton"
    assert (records[1]["before"], records[1]["after"]) == ({"city": "Pawnee"}, {"city": "Eagleton"})


async def test_a_lost_create_is_found_told_and_journaled_once(wire, tmp_path):
    # A create whose answer was lost: the address the store made is the one not known
    # before that holds exactly the values sent; an identical address known before is not it.
    journal = Journal(tmp_path / "journal.jsonl")
    async with ApiService(
        BASE, CLIENT_ID, CLIENT_SECRET, rate_limit=None, transport=wire, journal=journal
    ) as svc:
        await add_address_flow(svc)
        ron = await svc.create_customer(name="Ron", email="ron@example.com")
        older = await svc.create_address(ron.id, RON)
        made = await svc.create_address(ron.id, RON)  # as if its answer had been lost
        other = await svc.create_address(ron.id, {**RON, "name": "Work"})
        changes: list[Change] = []
        svc.subscribe(changes.append)
        before = len(journal.entries())

        found = await svc.find_lost_address(ron.id, RON, {older.id, other.id})
        assert found == made
        assert [(c.action, c.id, c.item) for c in changes] == [("created", made.id, made)]
        record = journal.entries()[0]
        assert len(journal.entries()) == before + 1
        assert (record["action"], record["id"], record["customer_id"]) == (
            "created",
            made.id,
            ron.id,
        )
        assert record["after"]["line_1"] == RON["line_1"]

        # Nothing new with those values: None, nothing told, nothing journaled.
        assert await svc.find_lost_address(ron.id, RON, {older.id, made.id, other.id}) is None
        assert await svc.find_lost_address(ron.id, {**RON, "city": "Eagleton"}, set()) is None
        assert len(changes) == 1 and len(journal.entries()) == before + 1
