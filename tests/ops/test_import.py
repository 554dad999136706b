# ruff: noqa: F811 (the fixtures shared with test_export are parameters here)
"""``flowtui import customers``: export, edit, import back, against a real sandbox seeded with
demo customers (loopback HTTP, as a user's command would talk to a store).

CLI cases run :func:`flowtui.cli.main` in-process; cases that count requests or inject faults
drive :mod:`flowtui.ops.importer` with an :class:`ApiService` whose requests are counted.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
import sys
from collections import Counter
from pathlib import Path

import httpx
import pytest

from flowtui.api import transport
from flowtui.api.models import Customer, Field
from flowtui.api.service import ApiService
from flowtui.api.transport import RetryPolicy
from flowtui.cli import main
from flowtui.cli import transfer as cli_module
from flowtui.cli.progress import Progress
from flowtui.ops.export import export_customers
from flowtui.ops.importer import (
    Row,
    apply_import,
    check_row,
    plan_import,
    report_lines,
    row_changes,
    write_failures,
)
from tests.conftest import CLIENT_ID, CLIENT_SECRET
from tests.ops.test_export import TRICKY, cli, create_customer, jsonl, make_shop  # noqa: F401

N = 250
HOSTILE = "\x1b]0;pwned\x07\u202e"
FOREIGN = "00000000-0000-4000-8000-000000000000"  # an id no customer here has


# -- helpers -----------------------------------------------------------------------------------


def export(cli, fmt: str) -> list[dict]:
    run = cli("export", "customers", "--format", fmt)
    assert run.code == 0, run.err
    if fmt == "jsonl":
        return jsonl(run.out)
    return list(csv.DictReader(io.StringIO(run.out, newline="")))


def write(path: Path, rows: list[dict], fmt: str, header: list[str] | None = None) -> str:
    with path.open("w", encoding="utf-8", newline="") as out:
        if fmt == "csv":
            writer = csv.DictWriter(out, header or list(rows[0]), lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
        else:
            out.writelines(json.dumps(r) + "\n" for r in rows)
    return str(path)


def export_api(url: str) -> list[dict]:
    async def go() -> list[dict]:
        out = io.StringIO()
        async with service_for_shop(url) as service:
            await export_customers(service, out, "jsonl")
        return jsonl(out.getvalue())

    return asyncio.run(go())


def counts(out: str) -> dict[str, int]:
    """The report's counts: {"create": 1, "update": 3, ...}."""
    found = re.findall(r"^  (create|update|unchanged|invalid) +([0-9,]+)$", out, re.M)
    return {action: int(n.replace(",", "")) for action, n in found}


def by_email(records: list[dict]) -> dict[str, dict]:
    return {r["email"]: r for r in records}


class Counting(httpx.AsyncBaseTransport):
    """Counts the requests that reach the wire, by method."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport(retries=0)
        self.methods: Counter[str] = Counter()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/v2/"):
            self.methods[request.method] += 1
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def service_for_shop(url: str, counting: Counting | None = None) -> ApiService:
    return ApiService(
        url,
        CLIENT_ID,
        CLIENT_SECRET,
        rate_limit=None,
        transport=counting,
        retry=RetryPolicy(base_delay=0.01, max_delay=0.05),
    )


# -- round trips ---------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_export_edit_import_round_trip(cli, make_shop, tmp_path, fmt):
    shop = make_shop(N - 1)
    notes = 'Ring twice, "loudly"\r\nthanks \x1b[2J'
    create_customer(shop.url, TRICKY, "tricky@example.org", delivery_notes=notes)
    before = export(cli, fmt)
    assert len(before) == N
    rows = [dict(r) for r in before]
    text = (lambda v: str(v)) if fmt == "csv" else (lambda v: v)
    blank = "" if fmt == "csv" else None
    rows[3]["loyalty_tier"] = text(5)
    rows[3]["name"] = "Leslie Knope-Wyatt"
    rows[10]["delivery_notes"] = blank  # clear it
    rows[10]["newsletter"] = "true" if fmt == "csv" else True
    rows[20]["external_ref"] = "crm-20"
    new = {k: blank for k in rows[0]}
    new.update(name="Ann Perkins", email="ann.perkins@example.org", id=blank)
    new["loyalty_tier"] = text(2)
    new["lifetime_value"] = text(12.5)
    rows.append(new)
    path = write(tmp_path / f"customers.{fmt}", rows, fmt)

    run = cli("import", "customers", path, "--yes")
    assert run.code == 0, run.out + run.err
    assert counts(run.out) == {"create": 1, "update": 3, "unchanged": N - 3, "invalid": 0}
    assert "Created 1 and updated 3 customers." in run.out
    assert not (tmp_path / f"customers.failed.{fmt}").exists()

    after = by_email(export(cli, "jsonl"))
    assert len(after) == N + 1
    ann = after["ann.perkins@example.org"]
    assert ann["name"] == "Ann Perkins" and ann["loyalty_tier"] == 2
    assert ann["lifetime_value"] == 12.5 and ann["contact_window"] == "any"  # its default
    assert after[rows[3]["email"]]["loyalty_tier"] == 5
    assert after[rows[3]["email"]]["name"] == "Leslie Knope-Wyatt"
    assert after[rows[10]["email"]]["delivery_notes"] is None
    assert after[rows[10]["email"]]["newsletter"] is True
    assert after[rows[20]["email"]]["external_ref"] == "crm-20"
    assert after["tricky@example.org"]["name"] == TRICKY
    assert after["tricky@example.org"]["delivery_notes"] == notes
    # Nobody else was touched: their updated_at is as exported.
    edited = {rows[3]["email"], rows[10]["email"], rows[20]["email"]}
    for record in before:
        if record["email"] not in edited:
            assert after[record["email"]]["updated_at"] == record["updated_at"]

    # Importing the same file again changes nothing.
    again = cli("import", "customers", path, "--yes")
    assert again.code == 0
    assert counts(again.out) == {"create": 0, "update": 0, "unchanged": N + 1, "invalid": 0}
    assert "Nothing to write." in again.out


def test_dry_run_writes_nothing(cli, make_shop, tmp_path):
    make_shop(N)
    rows = export(cli, "csv")
    rows[0]["loyalty_tier"] = "4" if rows[0]["loyalty_tier"] != "4" else "3"
    rows[1]["loyalty_tier"] = "9"  # invalid
    path = write(tmp_path / "c.csv", rows, "csv")
    before = export(cli, "jsonl")
    run = cli("import", "customers", path, "--dry-run")
    assert run.code == 1  # an invalid row
    assert counts(run.out) == {"create": 0, "update": 1, "unchanged": N - 2, "invalid": 1}
    assert "row 3: loyalty_tier: must be between 1 and 5" in run.out
    assert "Dry run: nothing was written." in run.out
    assert export(cli, "jsonl") == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.csv", "config", "data"]


# -- invalid rows and the failure file -----------------------------------------------------------


def test_invalid_rows_are_reported_and_skipped_valid_rows_written(cli, make_shop, tmp_path):
    make_shop(N)
    rows = export(cli, "csv")
    header = list(rows[0])
    rows[0]["loyalty_tier"] = "7"  # line 2
    rows[1]["email"] = "not-an-email"  # line 3
    rows[2]["newsletter"] = "maybe"  # line 4
    rows[3]["contact_window"] = "midnight"  # line 5
    rows[4]["birthday"] = "1990-02-30"  # line 6
    rows[5]["lifetime_value"] = "lots"  # line 7
    rows[6]["name"] = ""  # line 8
    rows[7]["loyalty_tier"] = "2" if rows[7]["loyalty_tier"] != "2" else "3"  # valid update
    rows[8]["email"] = rows[9]["email"].upper()  # lines 10 and 11 share an email
    path = write(tmp_path / "customers.csv", rows, "csv")

    run = cli("import", "customers", path, "--yes")
    assert run.code == 1
    out = run.out
    assert counts(out) == {"create": 0, "update": 1, "unchanged": N - 10, "invalid": 9}
    for line in (
        "row 2: loyalty_tier: must be between 1 and 5",
        "row 3: email: must be an email address",
        "row 4: newsletter: must be true or false",
        'row 5: contact_window: must be one of "morning", "afternoon", "evening", "any"',
        "row 6: birthday: must be a date, YYYY-MM-DD or YYYY-MM-DD HH:MM:SS",
        "row 7: lifetime_value: must be a number",
        "row 8: name: is required",
        "row 10: email: also on row 11",
        "row 11: email: also on row 10",
    ):
        assert f"  {line}" in out, line
    assert "Created 0 and updated 1 customers." in out
    failed = tmp_path / "customers.failed.csv"
    assert f"9 rows to fix and import again are in {failed}" in out

    # The valid row was written, the invalid ones were not.
    now = by_email(export(cli, "jsonl"))
    assert now[rows[7]["email"]]["loyalty_tier"] == int(rows[7]["loyalty_tier"])
    assert now[rows[0]["email"]]["loyalty_tier"] != 7

    # The failure file: the rows as they were, with an error column, in file order.
    back = list(csv.DictReader(failed.open(newline="", encoding="utf-8")))
    assert list(back[0]) == [*header, "error"]
    assert [r["email"] for r in back] == [rows[i]["email"] for i in (0, 1, 2, 3, 4, 5, 6, 8, 9)]
    assert back[0]["error"] == "loyalty_tier: must be between 1 and 5"
    assert {k: v for k, v in back[0].items() if k != "error"} == rows[0]

    # Fixed and imported again: the error column is read past, the rows go in.
    fixed = [r for r in back if r["email"] != rows[1]["email"]]
    fixed[0]["loyalty_tier"] = "5"
    again = write(tmp_path / "fixed.csv", fixed[:1], "csv", header=[*header, "error"])
    run = cli("import", "customers", again, "--yes")
    assert run.code == 0, run.out
    assert "Ignored" not in run.out
    assert by_email(export(cli, "jsonl"))[rows[0]["email"]]["loyalty_tier"] == 5


def test_jsonl_checks_types_and_reports_broken_lines(cli, make_shop, tmp_path):
    make_shop(N)
    rows = export(cli, "jsonl")
    lines = [json.dumps(r) for r in rows[:4]]
    lines[0] = json.dumps({**rows[0], "loyalty_tier": "3"})  # text, not a number
    lines[1] = '{"email": "broken@example.org", '
    lines[2] = "[1, 2]"
    lines.insert(3, "")  # blank lines are skipped, line numbers still count them
    lines[4] = json.dumps({**rows[3], "newsletter": 1, "colour": "red"})
    path = tmp_path / "c.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    run = cli("import", "customers", str(path), "--yes")
    assert run.code == 1
    assert "row 1: loyalty_tier: must be an integer" in run.out
    assert "row 2: not valid JSON (" in run.out
    assert "row 3: not a JSON object" in run.out
    assert "row 5: newsletter: must be true or false" in run.out
    assert (
        "Ignored columns (not attributes or enabled fields of customers): colour (1 rows)"
    ) in run.out
    failed = (tmp_path / "c.failed.jsonl").read_text().splitlines()
    assert len(failed) == 4
    first = json.loads(failed[0])
    assert first == {**rows[0], "loyalty_tier": "3", "error": "loyalty_tier: must be an integer"}
    assert json.loads(failed[1])["line"] == '{"email": "broken@example.org",'


def test_hostile_text_in_the_file_is_escaped_in_the_report(cli, make_shop, tmp_path):
    make_shop(20)
    rows = export(cli, "csv")[:2]
    rows[0]["id"] = "abc" + HOSTILE  # id and email disagree: the problem names the id
    rows[1] = {**rows[1], "loyalty_tier": "0"}
    header = [*rows[0], "x" + HOSTILE]
    for r in rows:
        r["x" + HOSTILE] = "1"
    path = write(tmp_path / f"c{HOSTILE}.csv", rows, "csv", header=header)
    run = cli("import", "customers", path, "--dry-run")
    assert run.code == 1
    for bad in ("\x1b", "\x07", "\u202e"):
        assert bad not in run.out + run.err, repr(bad)
    assert "\\x1b]0;pwned\\x07\\u202e" in run.out
    assert "row 2: id: the customer with this email has id" in run.out


# -- matching ------------------------------------------------------------------------------------


def test_match_by_id_changes_emails_and_refuses_unknown_ids(cli, make_shop, tmp_path):
    make_shop(N)
    rows = export(cli, "jsonl")
    some = [dict(r) for r in rows[:3]]
    some[0]["email"] = "renamed@example.org"
    some[1]["id"] = FOREIGN
    new = {"name": "Ann", "email": rows[5]["email"]}  # no id: a create, but the email is taken
    other_store = {**rows[6], "id": FOREIGN.replace("0", "1"), "email": "moved@example.org"}
    path = write(tmp_path / "c.jsonl", [*some, new, other_store], "jsonl")

    # Matched by email (the default): the renamed row is refused rather than created anew;
    # a customer from another store (an id this store does not know) is created.
    run = cli("import", "customers", path, "--dry-run")
    assert counts(run.out) == {"create": 1, "update": 1, "unchanged": 1, "invalid": 2}
    assert (
        f"row 1: email: customer {rows[0]['id']} has the email {rows[0]['email']}, not this "
        "one: to change emails import with --match id"
    ) in run.out
    assert f"row 2: id: the customer with this email has id {rows[1]['id']}, not {FOREIGN}" in (
        run.out
    )

    run = cli("import", "customers", path, "--match", "id", "--yes")
    assert run.code == 1
    assert counts(run.out) == {"create": 0, "update": 1, "unchanged": 1, "invalid": 3}
    assert f"row 2: id: no customer has id {FOREIGN}" in run.out
    assert f"row 4: email: customer {rows[5]['id']} already has it" in run.out
    now = {r["id"]: r for r in export(cli, "jsonl")}
    assert now[rows[0]["id"]]["email"] == "renamed@example.org"
    assert len(now) == N


def test_ids_are_checked_with_few_requests_when_matching_by_email(make_shop, tmp_path):
    shop = make_shop(N, profile=None)
    records = export_api(shop.url)[:2]
    records[0]["email"] = "edited@example.org"  # its id is known: refused
    records[1] = {**records[1], "id": FOREIGN, "email": "moved@example.org"}  # created
    path = write(tmp_path / "c.jsonl", records, "jsonl")

    async def run(lookup: str):
        counting = Counting()
        async with service_for_shop(shop.url, counting) as service:
            plan = await plan_import(service, path, "jsonl", lookup=lookup)
        return [r.action for r in plan.rows], counting.methods

    # fields, 2 eq(email), then a GET for each id whose email matched nobody
    assert asyncio.run(run("each")) == (["invalid", "create"], Counter(GET=5))
    # fields, count, the walk (3 pages; one window, so no look-up of the newest first):
    # the ids are noted on the way
    assert asyncio.run(run("walk")) == (["invalid", "create"], Counter(GET=5))


def test_no_email_column_or_unknown_format_is_one_line(cli, make_shop, tmp_path):
    make_shop(5)
    path = write(tmp_path / "c.csv", [{"id": "x", "name": "y"}], "csv")
    run = cli("import", "customers", path, "--yes")
    assert run.code == 2 and run.out == ""
    assert run.err == (
        f"flowtui: {path} has no email column, which rows are matched by (or use --match id)\n"
    )
    run = cli("import", "customers", str(tmp_path / "c.txt"))
    assert run.code == 2
    assert run.err.startswith("flowtui: cannot tell the format of") and run.err.count("\n") == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        (b"id,name,email\n1,\xff\xfe,a@b.co\n", "is not UTF-8 text (a byte 0xff on line 2)"),
        (b"", "has no header row"),
        (b"email,email\n", "the header names a column more than once (email)"),
        (b'email,name\n"a@b.co,x\n', "line 2: unexpected end of data"),
    ],
)
def test_file_problems_are_one_line_and_exit_2(cli, make_shop, tmp_path, content, message):
    make_shop(5)
    path = tmp_path / "c.csv"
    if content is not None:
        path.write_bytes(content)
    run = cli("import", "customers", str(path), "--yes")
    assert run.code == 2, run.err
    assert run.out == ""
    assert run.err.count("\n") == 1 and message in run.err, run.err


# -- asking --------------------------------------------------------------------------------------


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def edited_file(cli, tmp_path) -> tuple[str, dict]:
    rows = export(cli, "csv")
    row = rows[0]
    row["loyalty_tier"] = "5" if row["loyalty_tier"] != "5" else "4"
    return write(tmp_path / "c.csv", [row], "csv"), row


def test_without_a_terminal_it_needs_yes(cli, make_shop, tmp_path):
    make_shop(N)
    path, row = edited_file(cli, tmp_path)
    run = cli("import", "customers", path)
    assert run.code == 2
    assert counts(run.out) == {"create": 0, "update": 1, "unchanged": 0, "invalid": 0}
    assert run.err.splitlines()[-1] == (
        "flowtui: standard input is not a terminal, so there is no one to ask: add --yes to "
        "write without asking"
    )
    assert by_email(export(cli, "jsonl"))[row["email"]]["loyalty_tier"] != int(row["loyalty_tier"])


@pytest.mark.parametrize(("answer", "written"), [("y\n", True), ("\n", False), ("no\n", False)])
def test_on_a_terminal_it_asks(capsys, make_shop, monkeypatch, tmp_path, cli, answer, written):
    make_shop(N)
    path, row = edited_file(cli, tmp_path)
    monkeypatch.setattr(sys, "stdin", Terminal(answer))
    code = main(["import", "customers", path])
    _, err = capsys.readouterr()
    assert "Create 0 and update 1 customers in shop? [y/N] " in err
    assert code == (0 if written else 1)
    tier = by_email(export(cli, "jsonl"))[row["email"]]["loyalty_tier"]
    assert (tier == int(row["loyalty_tier"])) is written
    assert ("Nothing was written." in err) is not written


def test_read_only_profile_is_refused(cli, make_shop, tmp_path):
    shop = make_shop(5)
    path = write(tmp_path / "c.csv", [{"email": "a@b.co", "name": "A"}], "csv")
    run = cli("profile", "add", "ro", "--url", shop.url, "--client-id", CLIENT_ID, "--read-only",
              "--no-check")  # fmt: skip
    assert run.code == 0
    run = cli("import", "customers", path, "--profile", "ro", "--yes")
    assert run.code == 2
    assert run.err == (
        "flowtui: profile 'ro' is read-only: importing needs a profile that can write customers\n"
    )


# -- requests, faults and failures ---------------------------------------------------------------


def test_requests_are_few(make_shop, cli, tmp_path):
    shop = make_shop(N)
    rows = export(cli, "csv")
    for row in rows[:10]:
        row["loyalty_tier"] = "5" if row["loyalty_tier"] != "5" else "4"
    path = write(tmp_path / "c.csv", rows, "csv")
    few = write(tmp_path / "few.csv", rows[:3], "csv")

    async def run(file: str) -> tuple[Counter, str]:
        counting = Counting()
        async with service_for_shop(shop.url, counting) as service:
            plan = await plan_import(service, file, "csv")
            looked_up = Counter(counting.methods)
            await apply_import(service, plan)
        return looked_up, counting.methods, plan.lookup

    # 250 rows: fields, count, then the store walked (3 pages, one window): 5 GETs, not 250.
    looked_up, total, how = asyncio.run(run(path))
    assert how == "walk"
    assert looked_up == Counter(GET=5)
    assert total == Counter(GET=5, PUT=10)
    # 3 rows: fields, count, one eq(email) each.
    looked_up, total, how = asyncio.run(run(few))
    assert how == "each"
    assert looked_up == Counter(GET=5)
    assert total == Counter(GET=5)  # already written above: unchanged


def test_lost_answers_never_create_twice(make_shop, tmp_path):
    shop = make_shop(N, profile=None, fault_seed=7)
    new = [{"name": f"New {i}", "email": f"new{i}@example.org"} for i in range(30)]
    path = write(tmp_path / "new.csv", new, "csv")

    async def go():
        counting = Counting()
        async with service_for_shop(shop.url, counting) as service:
            plan = await plan_import(service, path, "csv")
            shop.app.state.config.drop_rate = 0.3  # answers lost after the store acted
            try:
                await apply_import(service, plan, concurrency=1)
            finally:
                shop.app.state.config.drop_rate = 0.0
            return plan, counting.methods

    plan, methods = asyncio.run(go())
    recovered = [r for r in plan.rows if r.recovered]
    assert recovered, "no create lost its answer: raise the drop rate"
    assert methods["POST"] == 30  # each create sent once, never repeated
    assert [r.outcome for r in plan.rows] == ["created"] * 30
    assert not plan.failures()
    emails = [r["email"] for r in shop.store._all("SELECT email FROM customers")]
    assert len(emails) == N + 30
    assert sorted(e for e in emails if e.startswith("new")) == sorted(r["email"] for r in new)
    ids = {r.customer_id for r in plan.rows}
    assert len(ids) == 30


def test_a_write_the_store_refuses_goes_to_the_failure_file(make_shop, tmp_path):
    shop = make_shop(N, profile=None)
    rows = [
        {"name": "Taken Later", "email": "taken@example.org", "loyalty_tier": "2"},
        {"name": "Fine", "email": "fine@example.org", "loyalty_tier": "3"},
    ]
    path = write(tmp_path / "c.csv", rows, "csv")

    async def go():
        async with service_for_shop(shop.url) as service:
            plan = await plan_import(service, path, "csv")
            assert [r.action for r in plan.rows] == ["create", "create"]
            await service.create_customer(name="Someone Else", email="Taken@example.org")
            outcomes = await apply_import(service, plan)
        return plan, outcomes

    plan, outcomes = asyncio.run(go())
    assert outcomes == Counter(created=1, failed=1)
    failed = tmp_path / "c.failed.csv"
    assert write_failures(plan, str(failed)) == 1
    back = list(csv.DictReader(failed.open(newline="")))
    assert back[0]["email"] == "taken@example.org"
    assert back[0]["error"].startswith("409: ")
    assert not Path(str(failed) + ".part").exists()
    assert report_lines(plan)[1:3] == ["  create     2", "  update     0"]


def test_a_store_that_goes_away_stops_the_import_and_nothing_is_lost(make_shop, tmp_path):
    shop = make_shop(N, profile=None)
    rows = [{"email": f"gone{i}@example.org", "name": f"Gone {i}"} for i in range(40)]
    path = write(tmp_path / "c.csv", rows, "csv")

    async def go():
        async with service_for_shop(shop.url) as service:
            plan = await plan_import(service, path, "csv")
            shop.server.stop()
            outcomes = await apply_import(service, plan)
        return plan, outcomes

    plan, outcomes = asyncio.run(go())
    assert plan.stopped.startswith("not attempted: the store stopped answering")
    assert 10 <= outcomes["failed"] < 14
    assert outcomes["failed"] + outcomes["not attempted"] == 40
    failed = tmp_path / "c.failed.csv"
    assert write_failures(plan, str(failed)) == 40
    back = list(csv.DictReader(failed.open(newline="")))
    assert [r["email"] for r in back] == [r["email"] for r in rows]
    first_error = next(r["error"] for r in back if r["error"].startswith("Network error"))
    assert "it may have been created" in first_error  # the check after a lost create failed too
    assert back[-1]["error"] == plan.stopped


def test_an_unreachable_store_is_one_line_and_exit_2(cli, make_shop, tmp_path, monkeypatch):
    quick = RetryPolicy(base_delay=0.01, max_delay=0.05)
    monkeypatch.setattr(transport, "RetryPolicy", lambda: quick)
    shop = make_shop(5)
    path = write(tmp_path / "c.csv", [{"email": "a@b.co", "name": "A"}], "csv")
    shop.server.stop()
    run = cli("import", "customers", path, "--yes")
    assert run.code == 2
    assert run.out == ""
    assert run.err.startswith("flowtui: Network error: Cannot connect to ")
    assert run.err.count("\n") == 1


def test_an_interrupted_import_keeps_the_rows_not_written(cli, make_shop, tmp_path, monkeypatch):
    make_shop(N)
    rows = [{"email": f"new{i}@example.org", "name": f"New {i}"} for i in range(40)]
    path = write(tmp_path / "c.csv", rows, "csv")

    class CtrlC(Progress):
        def __call__(self, done: int, total: int) -> None:
            super().__call__(done, total)
            if self.verb == "Wrote" and done >= 10:
                raise KeyboardInterrupt

    monkeypatch.setattr(cli_module, "Progress", CtrlC)
    run = cli("import", "customers", path, "--yes")
    assert run.code == 130
    assert run.err.splitlines()[-1] == "flowtui: interrupted"
    stored = {r["email"] for r in export(cli, "jsonl")}
    back = list(csv.DictReader((tmp_path / "c.failed.csv").open(newline="")))
    done = [r["email"] for r in rows if r["email"] in stored]
    assert len(done) >= 10
    # Every row is either in the store or in the failure file (one in flight may be in both).
    assert {r["email"] for r in back} | set(done) == {r["email"] for r in rows}
    assert all(r["error"].startswith(("not attempted", "interrupted")) for r in back)
    assert f"Created {len(done) - sum(r['email'] in stored for r in back)}" in run.out


# -- what counts as a change ---------------------------------------------------------------------


def field(slug: str, field_type: str, default=None, rules=()) -> Field:
    return Field("f-" + slug, "flow", slug, slug, field_type, default=default,
                 validation_rules=tuple(rules))  # fmt: skip


FIELDS = {
    "notes": field("notes", "string"),
    "tier": field("tier", "integer", default=1),
    "value": field("value", "float", default=0.0),
    "news": field("news", "boolean", default=False),
}


def test_what_counts_as_a_change():
    customer = Customer(
        "c1", "Ann", "ann@example.org", external_ref="",
        custom={"notes": "", "tier": 1, "value": 100, "news": False},
    )  # fmt: skip
    same = {"name": "Ann", "notes": None, "tier": 1, "value": 100.0, "news": False}
    assert row_changes({**same, "external_ref": None}, customer, FIELDS, "csv") == {}
    # A null shows the field's default again: no change when the default shows already.
    assert row_changes({"tier": None, "news": None}, customer, FIELDS, "jsonl") == {}
    # JSON Lines can tell an empty text from null.
    assert row_changes({"notes": None}, customer, FIELDS, "jsonl") == {"notes": None}
    assert row_changes({"value": 100.5, "tier": 2}, customer, FIELDS, "csv") == {
        "value": 100.5,
        "tier": 2,
    }
    assert row_changes({"news": 0}, customer, FIELDS, "jsonl") == {"news": 0}  # not a boolean
    assert row_changes({"email": "ANN@example.org"}, customer, FIELDS, "csv") == {
        "email": "ANN@example.org"
    }


def test_csv_cells_are_read_as_typed_text():
    ignored: Counter[str] = Counter()
    row = Row(2, [], values={"id": "", "name": "Ann", "email": "a@b.co", "external_ref": "",
                             "tier": " 3 ", "value": "2.5", "news": "yes", "notes": "",
                             "created_at": "x", "password": "hunter2"})  # fmt: skip
    check_row(row, FIELDS, "csv", ignored)
    assert row.problems == []
    assert row.values == {"name": "Ann", "email": "a@b.co", "external_ref": None, "tier": 3,
                          "value": 2.5, "news": True, "notes": None}  # fmt: skip
    assert ignored == Counter(password=1)


def test_rows_with_too_few_or_too_many_cells(cli, make_shop, tmp_path):
    make_shop(5)
    path = tmp_path / "c.csv"
    path.write_text("email,name\na@b.co\nc@d.co,C,extra\ne@f.co,E\n", encoding="utf-8")
    run = cli("import", "customers", str(path), "--yes")
    assert run.code == 1
    assert "row 2: has 1 cells where the header has 2 columns" in run.out
    assert "row 3: has 3 cells where the header has 2 columns" in run.out
    assert "Created 1 and updated 0 customers." in run.out
    assert (tmp_path / "c.failed.csv").read_text().splitlines() == [
        "email,name,error",
        "a@b.co,,has 1 cells where the header has 2 columns",
        "c@d.co,C,extra,has 3 cells where the header has 2 columns",
    ]
