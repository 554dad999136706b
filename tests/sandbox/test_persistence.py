"""A file database keeps everything across a clean restart and across the process being
killed (SQLite in WAL mode), and the demo data is deterministic and never duplicated."""

from __future__ import annotations

import contextlib
import signal
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from flowtui.sandbox import demo
from flowtui.sandbox.server import BackgroundServer
from flowtui.sandbox.store import Store
from tests.conftest import CLIENT_ID, CLIENT_SECRET, make_sandbox

# -- writing and reading a whole store through the API ---------------------------------------


def fill(client: httpx.Client) -> dict:
    """Create one of everything through the API; return what was created."""

    def post(path: str, data: dict) -> dict:
        response = client.post(path, json={"data": data})
        assert response.status_code == 201, response.text
        return response.json()["data"]

    customers_flow = post(
        "/v2/flows",
        {
            "type": "flow",
            "name": "Customers",
            "slug": "customers",
            "description": "Extends the customer",
            "enabled": True,
        },
    )
    flow_rel = {"flow": {"data": {"type": "flow", "id": customers_flow["id"]}}}
    tier = post(
        "/v2/fields",
        {
            "type": "field",
            "name": "Tier",
            "slug": "tier",
            "field_type": "integer",
            "description": "Loyalty tier",
            "required": False,
            "enabled": True,
            "default": 1,
            "validation_rules": [{"type": "between", "options": {"from": 1, "to": 5}}],
            "relationships": flow_rel,
        },
    )
    wishlists = post(
        "/v2/flows",
        {
            "type": "flow",
            "name": "Wishlists",
            "slug": "wishlists",
            "description": "Lists",
            "enabled": True,
        },
    )
    title = post(
        "/v2/fields",
        {
            "type": "field",
            "name": "Title",
            "slug": "title",
            "field_type": "string",
            "description": "The title",
            "required": True,
            "enabled": True,
            "relationships": {"flow": {"data": {"type": "flow", "id": wishlists["id"]}}},
        },
    )
    entry = post("/v2/flows/wishlists/entries", {"type": "entry", "title": "Camping ✓"})
    customer = post(
        "/v2/customers",
        {
            "type": "customer",
            "name": "Ron Swanson",
            "email": "ron@example.com",
            "password": "bacon-and-eggs",
            "tier": 4,
        },
    )
    return {
        "flows": sorted([customers_flow, wishlists], key=lambda f: f["id"]),
        "fields": sorted([tier, title], key=lambda f: f["id"]),
        "entry": entry,
        "customer": customer,
    }


def read_back(client: httpx.Client) -> dict:
    """Everything the store holds, read through the API."""

    def get(path: str) -> dict | list:
        response = client.get(path)
        assert response.status_code == 200, response.text
        return response.json()["data"]

    entries = get("/v2/flows/wishlists/entries")
    assert len(entries) == 1
    customers = get("/v2/customers")
    assert len(customers) == 1
    return {
        "flows": sorted(get("/v2/flows"), key=lambda f: f["id"]),
        "fields": sorted(get("/v2/fields"), key=lambda f: f["id"]),
        "entry": entries[0],
        "customer": customers[0],
    }


def without_links(value):
    """The stored resource without ``links`` (they name the host and port it was read from)."""
    if isinstance(value, dict):
        return {k: without_links(v) for k, v in value.items() if k != "links"}
    if isinstance(value, list):
        return [without_links(v) for v in value]
    return value


# -- clean restart ----------------------------------------------------------------------------


LOGIN = {"data": {"type": "token", "email": "ron@example.com", "password": "bacon-and-eggs"}}


@contextlib.contextmanager
def served(path: Path) -> Iterator[str]:
    """A sandbox on the file database ``path``, over loopback; the store is closed after."""
    store = Store(path)
    try:
        server = BackgroundServer(make_sandbox(store)).start()
        try:
            yield server.url
        finally:
            server.stop()
    finally:
        store.close()


def test_file_database_survives_a_clean_restart(tmp_path):
    path = tmp_path / "store.db"
    with served(path) as url:
        headers = {"Authorization": f"Bearer {issue_token(url)}"}
        with httpx.Client(base_url=url, headers=headers, timeout=10) as client:
            written = fill(client)
            before = read_back(client)
    assert without_links(before["customer"]) == without_links(written["customer"])
    with contextlib.closing(sqlite3.connect(path)) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"

    # The old token is still valid: tokens are stored with the data.
    with served(path) as url, httpx.Client(base_url=url, headers=headers, timeout=10) as client:
        after = read_back(client)
        assert client.post("/v2/customers/tokens", json=LOGIN).status_code == 200
        # The reopened database takes new writes.
        more = client.post(
            "/v2/customers",
            json={"data": {"type": "customer", "name": "Leslie", "email": "l@example.com"}},
        )
        assert more.status_code == 201, more.text
    assert without_links(after) == without_links(before)
    assert after["customer"]["tier"] == 4
    assert after["customer"]["password"] is True


# -- unclean stop (SIGKILL) -------------------------------------------------------------------


CREDENTIALS = ("--client-id", CLIENT_ID, "--client-secret", CLIENT_SECRET)


def issue_token(url: str) -> str:
    form = {"grant_type": "client_credentials", "client_id": CLIENT_ID}
    form["client_secret"] = CLIENT_SECRET
    response = httpx.post(f"{url}/oauth/access_token", data=form, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


@pytest.mark.slow
def test_file_database_survives_sigkill(run, tmp_path):
    path = tmp_path / "killed.db"
    first = run("--db", str(path), "--port", "0", *CREDENTIALS)
    first.wait_ready(30)
    token = issue_token(first.url)
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=first.url, headers=headers, timeout=10) as client:
        written = fill(client)
        before = read_back(client)
    first.kill()  # SIGKILL: no shutdown, no checkpoint
    assert first.proc.returncode == -signal.SIGKILL

    second = run("--db", str(path), "--port", "0", *CREDENTIALS)
    second.wait_ready(30)
    try:
        with httpx.Client(base_url=second.url, headers=headers, timeout=10) as client:
            # The token issued before the kill is still valid.
            after = read_back(client)
            login = client.post("/v2/customers/tokens", json=LOGIN)
            assert login.status_code == 200, login.text
    finally:
        second.kill()
    assert without_links(after) == without_links(before)
    assert after["customer"]["id"] == written["customer"]["id"]
    assert after["customer"]["tier"] == 4
    assert after["entry"]["title"] == "Camping ✓"
    assert {f["slug"] for f in after["flows"]} == {"customers", "wishlists"}
    assert {f["slug"] for f in after["fields"]} == {"tier", "title"}
    with contextlib.closing(sqlite3.connect(path)) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


# -- demo data ------------------------------------------------------------------------------


def dump(store: Store) -> dict:
    flows = store.list_flows()
    entries = {
        f["slug"]: store.list_entries(f["id"], [], ("created_at", False), 100, 0)[0] for f in flows
    }
    customers, total = store.list_customers([], ("created_at", False), 100, 0)
    return {
        "flows": flows,
        "fields": store.list_fields(),
        "entries": entries,
        "customers": customers,
        "total": total,
        "addresses": {c["id"]: store.addresses.list(c["id"]) for c in customers},
    }


def test_demo_seed_is_deterministic(tmp_path):
    a, b = Store(":memory:"), Store(tmp_path / "b.db")
    try:
        assert demo.seed(a, 40) is True
        assert demo.seed(b, 40) is True
        first, second = dump(a), dump(b)
    finally:
        a.close()
        b.close()
    assert first == second
    assert first["total"] == 40
    assert {f["slug"] for f in first["flows"]} == {"customers", "wishlists", "addresses"}
    assert len({c["email"].lower() for c in first["customers"]}) == 40
    assert all(1 <= len(a) <= 3 for a in first["addresses"].values())
    assert first["entries"]["wishlists"]


def test_demo_seed_leaves_a_store_with_data_alone():
    store = Store(":memory:")
    try:
        store.create_flow("Mine", "mine", "Already here", True)
        before = dump(store)
        assert demo.seed(store, 10) is False
        assert dump(store) == before
        assert store.count_customers() == 0
    finally:
        store.close()

    store = Store(":memory:")
    try:
        assert demo.seed(store, 10) is True
        before = dump(store)
        assert demo.seed(store, 10) is False
        assert demo.seed(store, 25) is False
        assert dump(store) == before
    finally:
        store.close()


@pytest.mark.slow
def test_demo_data_flag_does_not_duplicate_on_an_existing_database(run, tmp_path):
    path = tmp_path / "demo.db"
    first = run("--db", str(path), "--port", "0", "--demo-data", "5", *CREDENTIALS)
    banner = first.wait_ready(30)
    assert "Seeded demo data: 5 customers" in banner
    first.proc.send_signal(signal.SIGINT)
    assert first.proc.wait(20) == 0

    second = run("--db", str(path), "--port", "0", "--demo-data", "5", *CREDENTIALS)
    banner = second.wait_ready(30)
    assert "already holds data" in banner
    headers = {"Authorization": f"Bearer {issue_token(second.url)}"}
    with httpx.Client(base_url=second.url, headers=headers, timeout=10) as client:
        customers = client.get("/v2/customers").json()
        assert customers["meta"]["results"]["total"] == 5
        flows = client.get("/v2/flows").json()["data"]
        assert sorted(f["slug"] for f in flows) == ["addresses", "customers", "wishlists"]
        entries = client.get("/v2/flows/wishlists/entries").json()
        assert entries["meta"]["results"]["total"] == 3
        for customer in customers["data"]:
            addresses = client.get(f"/v2/customers/{customer['id']}/addresses").json()["data"]
            assert 1 <= len(addresses) <= 3
    second.kill()

    store = Store(path)
    try:
        expected = Store(":memory:")
        try:
            demo.seed(expected, 5)
            assert dump(store) == dump(expected)
        finally:
            expected.close()
    finally:
        store.close()
