# ruff: noqa: F811 (the fixtures shared with test_export are parameters here)
"""``flowtui export addresses`` and ``flowtui import addresses``: export, edit, import back,
against a real sandbox on loopback (demo customers, addresses added over the API)."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import stat
from pathlib import Path

import httpx
import pytest

from flowtui.api.models import ADDRESS_ATTRS
from flowtui.ops.address_transfer import (
    ADDRESS_COLUMNS,
    address_writer,
    export_addresses,
    plan_address_import,
)
from flowtui.ops.importer import apply_import, report_lines
from flowtui.ops.journal import Journal
from tests.api.test_addresses import RON, add_address_flow
from tests.ops.test_export import cli, jsonl, make_shop  # noqa: F401
from tests.ops.test_import import FOREIGN, Counting, counts, service_for_shop, write

CUSTOMERS = 8
FORMULA = '=HYPERLINK("http://x","y")'
TRICKY = 'Flat 2, "The Gables"\nsecond line'
HOSTILE = "\x1b]0;pwned\x07\u202e"
CUSTOM = ("gate_code", "delivery_window")


def seed_addresses(url: str) -> list[dict]:
    """Give the customers 1, 2 or 3 addresses of ours (hostile text in some) in place of the
    demo's; returns what was sent, in the customers' order."""

    async def go() -> list[dict]:
        sent = []
        async with service_for_shop(url) as service:
            await add_address_flow(service)
            n = 0
            async for customer in service.iter_customers():
                for demo_address in await service.list_addresses(customer.id):
                    await service.delete_address(customer.id, demo_address.id)
                for k in range(n % 3 + 1):
                    values = {**RON, "name": f"Place {n}.{k}", "city": f"City {n}"}
                    if n == 1:
                        values.update(instructions=FORMULA, line_2=TRICKY, company_name=HOSTILE)
                    if k == 1:
                        values.update(gate_code=f"#{n}", delivery_window="morning")
                    await service.create_address(customer.id, values)
                    sent.append({**values, "customer_id": customer.id})
                n += 1
        return sent

    return asyncio.run(go())


@pytest.fixture
def shop(make_shop):
    shop = make_shop(CUSTOMERS)
    shop.sent = seed_addresses(shop.url)
    return shop


def read(path: Path, fmt: str) -> list[dict]:
    text = path.read_text(encoding="utf-8")
    return jsonl(text) if fmt == "jsonl" else list(csv.DictReader(io.StringIO(text, newline="")))


def export(cli, tmp_path: Path, fmt: str, *extra: str) -> tuple[Path, list[dict]]:
    path = tmp_path / f"addresses{'-'.join(extra)}.{fmt}"
    run = cli("export", "addresses", "--format", fmt, "--output", str(path), *extra)
    assert run.code == 0, run.err
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    return path, read(path, fmt)


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_export_writes_every_address_with_its_customer(cli, shop, tmp_path, fmt):
    _, rows = export(cli, tmp_path, fmt)
    assert len(rows) == len(shop.sent) == 15  # 1 + 2 + 3 + 1 + 2 + 3 + 1 + 2
    emails = {r["id"]: r["email"] for r in shop.store._all("SELECT id, email FROM customers")}
    for row, sent in zip(rows, shop.sent, strict=True):
        assert row["customer_id"] == sent["customer_id"]
        assert row["customer_email"] == emails[sent["customer_id"]]
        expected = {k: sent.get(k, "") for k in ADDRESS_ATTRS}
        if fmt == "csv" and expected["instructions"] == FORMULA:
            expected["instructions"] = "'" + FORMULA  # neutralised for spreadsheets
        assert {k: row[k] for k in ADDRESS_ATTRS} == expected
    assert list(rows[0]) == [*ADDRESS_COLUMNS, *CUSTOM]
    assert rows[2]["delivery_window"] == "morning" and rows[2]["gate_code"] == "#1"
    assert rows[0]["delivery_window"] == ("" if fmt == "csv" else None)
    if fmt == "csv":
        _, raw = export(cli, tmp_path, fmt, "--raw")
        assert FORMULA in [r["instructions"] for r in raw]


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_an_export_imports_back_unchanged(cli, shop, tmp_path, fmt):
    path, _ = export(cli, tmp_path, fmt)
    run = cli("import", "addresses", str(path), "--dry-run")
    assert run.code == 0, run.err
    assert counts(run.out) == {"create": 0, "update": 0, "unchanged": 15, "invalid": 0}
    assert "Dry run: nothing was written." in run.out
    run = cli("import", "addresses", str(path), "--yes")
    assert run.code == 0 and "Nothing to write." in run.out
    if fmt == "csv":  # an export made with --raw imports back unchanged with --raw
        raw, _ = export(cli, tmp_path, fmt, "--raw")
        run = cli("import", "addresses", str(raw), "--raw", "--dry-run")
        assert counts(run.out)["unchanged"] == 15, run.out


def test_edit_import_and_failure_file(cli, shop, tmp_path):
    _, rows = export(cli, tmp_path, "csv")
    rows[0]["city"] = "Pawnee"
    rows[1]["delivery_window"] = "evening"
    rows[2]["gate_code"] = ""  # clears the value
    copy = {**rows[3], "id": "", "name": "Copy"}  # no id: a new address
    by_email = {**rows[4], "id": "", "customer_id": "", "name": "By email"}
    bad = [
        {**rows[5], "id": "", "customer_id": FOREIGN, "customer_email": "nobody@example.org"},
        {**rows[5], "id": FOREIGN},
        {**rows[5], "id": "", "line_1": ""},
        {**rows[5], "id": "", "delivery_window": "midnight"},
        {**rows[0], "id": rows[14]["id"]},  # another customer's address (left out below)
    ]
    edited = write(tmp_path / "edited.csv", [*rows[:14], copy, by_email, *bad], "csv")
    run = cli("import", "addresses", edited, "--dry-run")
    assert run.code == 1
    assert counts(run.out) == {"create": 2, "update": 3, "unchanged": 11, "invalid": 5}
    text = run.out
    assert f"customer_id: no customer has id {FOREIGN}" in text
    assert "customer_email: no customer has the email nobody@example.org" in text
    assert f"has no address {FOREIGN} (empty the id to create it)" in text
    assert "line_1: is required to create an address" in text
    assert "delivery_window: " in text and f"has no address {rows[14]['id']}" in text

    run = cli("import", "addresses", edited, "--yes")
    assert run.code == 1, run.err
    assert "Created 2 and updated 3 addresses." in run.out
    failed = tmp_path / "edited.failed.csv"
    assert stat.S_IMODE(os.stat(failed).st_mode) == 0o600
    failures = read(failed, "csv")
    assert len(failures) == 5 and all(f["error"] for f in failures)
    assert [f["id"] for f in failures] == [b["id"] for b in bad]

    after = {r["id"]: r for r in export(cli, tmp_path, "jsonl")[1]}
    assert after[rows[0]["id"]]["city"] == "Pawnee"
    assert after[rows[1]["id"]]["delivery_window"] == "evening"
    assert after[rows[2]["id"]]["gate_code"] is None
    new = [r for r in after.values() if r["name"] in ("Copy", "By email")]
    assert sorted((r["name"], r["customer_id"]) for r in new) == [
        ("By email", rows[4]["customer_id"]),
        ("Copy", rows[3]["customer_id"]),
    ]
    assert len(after) == 17
    # the writes are in the journal with their customers, so they can be undone
    records = Journal(Path(os.environ["FLOWTUI_DATA_DIR"]) / "journal.jsonl").entries("shop")
    assert sorted(r["action"] for r in records) == ["created"] * 2 + ["updated"] * 3
    assert all(r["resource"] == "address" and r.get("customer_id") for r in records)


def test_a_file_from_another_store_finds_customers_by_email(cli, shop, tmp_path):
    run = cli("export", "addresses")  # JSON Lines on stdout, progress on stderr
    assert run.code == 0 and "Exported 15 addresses in" in run.err
    rows = jsonl(run.out)
    assert len(rows) == 15
    moved = [{**r, "id": None, "customer_id": FOREIGN} for r in rows[:3]]
    path = write(tmp_path / "other.jsonl", moved, "jsonl")
    run = cli("import", "addresses", path, "--yes")
    assert run.code == 0, run.out + run.err
    assert "Created 3 and updated 0 addresses." in run.out
    after = export(cli, tmp_path, "jsonl")[1]
    assert len(after) == 18
    assert [r["customer_id"] for r in after].count(rows[0]["customer_id"]) == 2


def test_jsonl_values_must_be_text_and_files_need_a_customer(cli, shop, tmp_path):
    _, rows = export(cli, tmp_path, "jsonl")
    path = write(
        tmp_path / "typed.jsonl",
        [
            {**rows[0], "city": 5},
            {**rows[1], "customer_id": None, "customer_email": None},
            {**rows[2], "delivery_window": HOSTILE, HOSTILE: "x"},
        ],
        "jsonl",
    )
    run = cli("import", "addresses", path, "--dry-run")
    assert run.code == 1 and counts(run.out)["invalid"] == 3
    assert "\x1b" not in run.out and "\u202e" not in run.out  # the file's text, escaped
    assert "Ignored columns (not attributes or enabled fields of addresses)" in run.out
    assert "city: must be a string" in run.out
    assert "customer_id: is required (or a customer_email)" in run.out
    no_customer = tmp_path / "bare.csv"
    no_customer.write_text("id,city\nx,y\n")
    run = cli("import", "addresses", str(no_customer))
    assert run.code == 2 and "neither a customer_id nor a customer_email column" in run.err
    run = cli("import", "addresses", str(no_customer), "--match", "id")
    assert run.code == 2 and "--match is for customers" in run.err


def test_the_quota_is_planned_and_lost_answers_never_create_twice(make_shop, tmp_path):
    shop = make_shop(2, profile=None, fault_seed=7)
    shop.sent = seed_addresses(shop.url)  # 1 and 2 addresses
    first = shop.sent[0]["customer_id"]
    new = [{**RON, "name": f"New {i}", "customer_id": first} for i in range(25)]
    path = write(tmp_path / "new.jsonl", new, "jsonl")

    async def go():
        counting = Counting()
        async with service_for_shop(shop.url, counting) as service:
            plan = await plan_address_import(service, path, "jsonl")
            shop.app.state.config.drop_rate = 0.3  # answers lost after the store acted
            try:
                await apply_import(service, plan, concurrency=1, write_row=address_writer(service))
            finally:
                shop.app.state.config.drop_rate = 0.0
            return plan, counting.methods

    plan, methods = asyncio.run(go())
    assert [r.action for r in plan.rows] == ["create"] * 24 + ["invalid"]
    assert f"customer {first} would have more than 25 addresses" in plan.rows[-1].message
    assert any("invalid" in line for line in report_lines(plan))
    assert any(r.recovered for r in plan.rows), "no create lost its answer: raise the rate"
    assert methods["POST"] == 24  # each create sent once, never repeated
    assert [r.outcome for r in plan.rows[:24]] == ["created"] * 24
    names = [
        r["name"]
        for r in shop.store._all("SELECT name FROM addresses WHERE customer_id = ?", (first,))
    ]
    assert len(names) == 25 and sorted(n for n in names if n.startswith("New")) == sorted(
        r["name"] for r in new[:24]
    )


def test_export_of_a_store_without_addresses_is_empty_but_well_formed(make_shop, tmp_path):
    shop = make_shop(0, profile=None)  # no flows at all, so no addresses flow either

    async def go() -> str:
        out = io.StringIO()
        async with service_for_shop(shop.url) as service:
            for n in range(3):
                await service.create_customer(name=f"C {n}", email=f"c{n}@example.org")
            result = await export_addresses(service, out, "csv", concurrency=2)
        assert result.count == 0
        return out.getvalue()

    assert asyncio.run(go()) == ",".join(ADDRESS_COLUMNS) + "\n"
    assert json.dumps(list(ADDRESS_COLUMNS))  # the columns are plain names


class InFlight(Counting):
    """Counts the address lists on the wire at once (and the most there ever were)."""

    def __init__(self) -> None:
        super().__init__()
        self.now = self.most = self.lists = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not request.url.path.endswith("/addresses"):
            return await super().handle_async_request(request)
        self.now += 1
        self.lists += 1
        self.most = max(self.most, self.now)
        try:
            return await super().handle_async_request(request)
        finally:
            self.now -= 1


@pytest.mark.parametrize("latency_ms", [0, 150])
def test_lists_in_flight_are_written_in_the_customers_order(make_shop, latency_ms):
    shop = make_shop(12, profile=None)
    shop.sent = seed_addresses(shop.url)
    shop.app.state.config.latency_ms = latency_ms  # a store far away: lists finish in any order

    async def go() -> tuple[list[dict], InFlight]:
        out = io.StringIO()
        wire = InFlight()
        async with service_for_shop(shop.url, wire) as service:
            result = await export_addresses(service, out, "jsonl", concurrency=4)
        assert result.count == len(shop.sent)
        return jsonl(out.getvalue()), wire

    rows, wire = asyncio.run(go())
    assert [(r["customer_id"], r["name"]) for r in rows] == [
        (s["customer_id"], s["name"]) for s in shop.sent
    ]
    assert wire.lists == 12  # one per customer
    assert wire.most <= 4
    if latency_ms:  # each list takes 150 ms: the 12 overlap, 4 at a time
        assert wire.most == 4


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_the_demo_addresses_export_and_import_back_unchanged(cli, make_shop, tmp_path, fmt):
    shop = make_shop(40)
    _, rows = export(cli, tmp_path, fmt)
    assert len(rows) == shop.store.addresses.count() > 40
    assert len({r["country"] for r in rows}) > 3
    path = tmp_path / f"addresses.{fmt}"
    run = cli("import", "addresses", str(path), "--dry-run")
    assert run.code == 0, run.out + run.err
    assert counts(run.out) == {"create": 0, "update": 0, "unchanged": len(rows), "invalid": 0}
