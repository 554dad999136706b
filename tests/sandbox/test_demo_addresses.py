"""The demo's addresses: an ``addresses`` core flow with ``gate_code`` and ``delivery_window``,
one to three realistic addresses per customer in several countries, each one the API itself
would accept, deterministic, and added without changing any other demo value."""

from __future__ import annotations

import collections
import hashlib
import json
import random
import sqlite3
import time
import uuid

import httpx
import pytest

from flowtui.config.profiles import ProfileStore
from flowtui.core import fields as F
from flowtui.ops.demo import EmbeddedSandbox, demo_db
from flowtui.sandbox import demo
from flowtui.sandbox.addresses import ADDRESS_ATTRS, REQUIRED_ATTRS
from flowtui.sandbox.app import create_app
from flowtui.sandbox.demo_addresses import DELIVERY_WINDOWS, _uuid4
from flowtui.sandbox.store import Store

CUSTOMERS = 200


@pytest.fixture(scope="module")
def store():
    store = Store(":memory:")
    assert demo.seed(store, CUSTOMERS)
    yield store
    store.close()


def all_addresses(store: Store) -> list[dict]:
    customers, _ = store.list_customers([], ("created_at", False), CUSTOMERS, 0)
    return [a for c in customers for a in store.addresses.list(c["id"])]


def test_the_demo_addresses_flow_has_a_gate_code_and_a_delivery_window(store):
    flow = store.get_flow_by_slug("addresses")
    assert flow is not None and flow["enabled"]
    fields = {f["slug"]: f for f in store.list_fields(flow["id"])}
    assert list(fields) == ["gate_code", "delivery_window"]
    assert fields["gate_code"]["field_type"] == "string"
    assert fields["gate_code"]["validation_rules"] == []
    window = fields["delivery_window"]
    assert window["field_type"] == "string"
    assert window["validation_rules"] == [
        {"type": "enum", "options": ["morning", "afternoon", "evening"]}
    ]
    assert list(DELIVERY_WINDOWS) == window["validation_rules"][0]["options"]


def test_every_customer_has_one_to_three_addresses_in_several_countries(store):
    customers, total = store.list_customers([], ("created_at", False), CUSTOMERS, 0)
    assert total == CUSTOMERS
    counts = collections.Counter(store.addresses.count(c["id"]) for c in customers)
    assert set(counts) == {1, 2, 3}
    addresses = all_addresses(store)
    countries = collections.Counter(a["country"] for a in addresses)
    assert len(countries) >= 8, countries
    assert all(len(code) == 2 and code.isupper() for code in countries)
    names = {c["id"]: c["name"] for c in customers}
    for address in addresses:
        first, _, last = names[address["customer_id"]].partition(" ")
        assert (address["first_name"], address["last_name"]) == (first, last)
        assert address["created_at"] <= address["updated_at"]
    # A customer's first address is their home, older than the others.
    for customer in customers:
        mine = store.addresses.list(customer["id"])
        assert mine[0]["name"] == "Home"
        assert mine[0]["created_at"] > customer["created_at"]
        assert [a["created_at"] for a in mine] == sorted(a["created_at"] for a in mine)


def test_every_demo_address_passes_the_apis_own_checks(store):
    flow = store.get_flow_by_slug("addresses")
    assert flow is not None
    fields = {f["id"]: f for f in store.list_fields(flow["id"])}
    used = collections.Counter()
    for address in all_addresses(store):
        for attr in ADDRESS_ATTRS:
            assert isinstance(address[attr], str), attr
        for attr in REQUIRED_ATTRS:
            assert address[attr].strip(), attr
        for field_id, value in address["custom"].items():
            field = fields[field_id]
            assert F.value_problem(field["field_type"], field["validation_rules"], value) is None
            used[field["slug"]] += 1
    assert used["gate_code"] and used["delivery_window"]


def test_adding_addresses_left_every_other_demo_value_as_it_was():
    """The hash of the 50-customer demo's flows, fields, customers and entries, taken with
    the code before addresses were added: snapshots and screenshots of customers stay put."""
    store = Store(":memory:")
    try:
        demo.seed(store, 50)
        flows = [f for f in store.list_flows() if f["slug"] != "addresses"]
        kept = {f["id"] for f in flows}
        fields = [f for f in store.list_fields() if f["flow_id"] in kept]
        customers, _ = store.list_customers([], ("created_at", False), 100, 0)
        wishlists = store.get_flow_by_slug("wishlists")
        assert wishlists is not None
        entries = store.list_entries(wishlists["id"], [], ("created_at", False), 100, 0)[0]
    finally:
        store.close()
    blob = json.dumps([flows, fields, customers, entries], sort_keys=True).encode()
    digest = hashlib.sha256(blob).hexdigest()
    assert digest == "f35b963e10e34203b90fb3a1c24b55514567a54c1525faac7693a86e2b0b0bd5"


async def test_demo_addresses_through_the_api(store):
    app = create_app(store=store, client_id="id", client_secret="secret")
    store.add_token("demo-token", "client_credentials", time.time() + 600)
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": "Bearer demo-token"}
    async with httpx.AsyncClient(transport=transport, base_url="http://sb.test") as api:
        customers, _ = store.list_customers([], ("created_at", False), 5, 0)
        for customer in customers:
            response = await api.get(f"/v2/customers/{customer['id']}/addresses", headers=headers)
            assert response.status_code == 200
            listed = response.json()["data"]
            assert [a["id"] for a in listed] == [
                a["id"] for a in store.addresses.list(customer["id"])
            ]
            for address in listed:
                assert "gate_code" in address and "delivery_window" in address
                assert address["delivery_window"] in (None, *DELIVERY_WINDOWS)


def test_a_demo_database_from_before_addresses_works_and_reset_brings_them():
    """``flowtui --demo`` on a demo.db made before addresses existed: served as it is (no
    addresses, the table made on open); ``--reset`` seeds a new one, addresses included."""
    demo_db().parent.mkdir(parents=True, exist_ok=True)
    old = Store(demo_db())
    assert demo.seed(old, 5)
    flow = old.get_flow_by_slug("addresses")
    assert flow is not None
    old.delete_flow(flow["id"])
    old.db.execute("DROP TABLE addresses")
    old.close()

    kept = EmbeddedSandbox(customers=5)
    resolved = kept.start(ProfileStore())
    try:
        base = resolved.profile.base_url
        form = {
            "grant_type": "client_credentials",
            "client_id": resolved.profile.client_id,
            "client_secret": resolved.secret,
        }
        token = httpx.post(f"{base}/oauth/access_token", data=form).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        customer = httpx.get(f"{base}/v2/customers", headers=headers).json()["data"][0]
        listed = httpx.get(f"{base}/v2/customers/{customer['id']}/addresses", headers=headers)
        assert listed.status_code == 200 and listed.json() == {"data": []}
    finally:
        kept.stop()

    fresh = EmbeddedSandbox(customers=5, reset=True)
    fresh.start(ProfileStore())
    fresh.stop()
    store = Store(demo_db())
    try:
        assert store.get_flow_by_slug("addresses") is not None
        assert 5 <= store.addresses.count() <= 15
    finally:
        store.close()


def test_the_fast_uuid4_is_uuid4():
    rng = random.Random(7)
    for _ in range(2000):
        bits = rng.getrandbits(128)
        assert _uuid4(bits) == str(uuid.UUID(int=bits, version=4))


def test_the_bulk_load_leaves_the_indexes_in_place(store):
    """Seeding drops the address indexes and builds them again after loading."""
    names = {
        row[0]
        for row in store.db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'addresses'"
        )
    }
    assert {"addresses_id", "addresses_by_customer"} <= names
    plan = " ".join(
        str(row[-1])
        for row in store.db.execute(
            "EXPLAIN QUERY PLAN SELECT * FROM addresses WHERE customer_id = ? "
            "ORDER BY created_at, seq",
            ("x",),
        )
    )
    assert "addresses_by_customer" in plan
    some = store.db.execute("SELECT id, customer_id FROM addresses LIMIT 1").fetchone()
    with pytest.raises(sqlite3.IntegrityError):
        store.db.execute(
            "INSERT INTO addresses (id, customer_id, custom, created_at, updated_at) "
            "VALUES (?, ?, '{}', 'x', 'x')",
            (some[0], some[1]),
        )
