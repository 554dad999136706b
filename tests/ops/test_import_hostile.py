# ruff: noqa: F811 (the fixtures shared with test_export are parameters here)
"""Hostile import files (issue 15, items 4, 7 and 8): a JSON Lines row nested 100,000 deep is
one invalid row, never a RecursionError; failure files are private and neutralised against
formulas yet read back as the same values."""

from __future__ import annotations

import csv
import json
import os
import stat

import pytest

from flowtui.ops.import_file import MAX_JSON_DEPTH, too_deep
from tests.ops.test_export import cli, jsonl, make_shop  # noqa: F401
from tests.ops.test_import import counts

DEEP = 100_000


def test_too_deep_counts_brackets_outside_strings_only():
    assert too_deep("[" * DEEP)
    assert too_deep('{"a":' * DEEP)
    assert not too_deep("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH)
    assert too_deep("[" * (MAX_JSON_DEPTH + 1))
    assert not too_deep('{"notes": "' + "[{" * DEEP + '"}')  # inside a string: text
    assert not too_deep('{"q": "\\"' + "[" * DEEP + '"}')  # an escaped quote stays in the string
    assert not too_deep("[]" * DEEP)  # wide, not deep
    # Escapes: an escaped quote does not end a string, an escaped backslash does not escape.
    assert not too_deep(json.dumps({"q": '"' + "[" * DEEP, "r": "\\" + "[" * DEEP}))
    assert too_deep(json.dumps({"q": "\\"}) + "[" * DEEP)
    assert too_deep('{"q": "\\\\", "r": ' + "[" * DEEP + "]" * DEEP + "}")
    for depth in (MAX_JSON_DEPTH, MAX_JSON_DEPTH + 1):
        text = json.dumps({"s": '\\"[{', "v": json.loads("[" * depth + "]" * depth)})
        assert too_deep(text) is (depth + 1 > MAX_JSON_DEPTH)  # the outer object counts


def _deep_file(tmp_path):
    rows = [
        json.dumps({"name": "Ann Perkins", "email": "ann@example.org"}),
        '{"name": "Deep", "email": "deep@example.org", "delivery_notes": '
        + "[" * DEEP
        + "]" * DEEP
        + "}",
        "[" * DEEP,  # not even closed
        json.dumps({"name": "Brackets", "email": "br@example.org", "delivery_notes": "[" * 999}),
    ]
    path = tmp_path / "deep.jsonl"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_a_row_nested_100000_deep_is_one_invalid_row_in_a_dry_run(cli, make_shop, tmp_path):
    make_shop(5)
    run = cli("import", "customers", str(_deep_file(tmp_path)), "--dry-run")
    assert run.code == 1, run.out + run.err
    assert "Traceback" not in run.out + run.err and "Recursion" not in run.out + run.err
    assert counts(run.out) == {"create": 2, "update": 0, "unchanged": 0, "invalid": 2}
    problem = f"nests arrays or objects more than {MAX_JSON_DEPTH} levels deep"
    assert f"row 2: {problem}" in run.out and f"row 3: {problem}" in run.out
    assert not (tmp_path / "deep.failed.jsonl").exists()


def test_a_row_nested_100000_deep_leaves_the_rest_to_import(cli, make_shop, tmp_path):
    make_shop(5)
    old = os.umask(0o022)
    try:
        run = cli("import", "customers", str(_deep_file(tmp_path)), "--yes")
    finally:
        os.umask(old)
    assert run.code == 1, run.out + run.err
    assert "Created 2 and updated 0 customers." in run.out
    failed = tmp_path / "deep.failed.jsonl"
    assert stat.S_IMODE(failed.stat().st_mode) == 0o600
    records = jsonl(failed.read_text(encoding="utf-8"))
    assert [r["line"][:3] for r in records] == ['{"n', "[[["]
    assert all("levels deep" in r["error"] for r in records)
    emails = {r["email"] for r in jsonl(cli("export", "customers").out)}
    assert {"ann@example.org", "br@example.org"} <= emails
    assert "deep@example.org" not in emails


@pytest.mark.parametrize("raw", [False, True], ids=["neutralised", "raw"])
def test_the_csv_failure_file_is_private_and_reads_back_the_same(cli, make_shop, tmp_path, raw):
    make_shop(5)
    source = tmp_path / "in.csv"
    with source.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)
        writer.writerow(["name", "email", "delivery_notes"])
        writer.writerow(['=HYPERLINK("http://evil.test")', "not-an-email", "'=kept"])
        writer.writerow(["@SUM(A1)", "also-bad", "plain\rcr"])
    flag = ["--raw"] if raw else []
    old = os.umask(0o022)
    try:
        run = cli("import", "customers", str(source), "--yes", *flag)
    finally:
        os.umask(old)
    assert run.code == 1, run.out + run.err
    failed = tmp_path / "in.failed.csv"
    assert stat.S_IMODE(failed.stat().st_mode) == 0o600
    rows = list(csv.reader(failed.open(encoding="utf-8", newline=""), strict=True))
    assert rows[0] == ["name", "email", "delivery_notes", "error"]
    assert len(rows) == 3  # the bare CR did not split a row
    names = [r[0] for r in rows[1:]]
    if raw:
        assert names == ['=HYPERLINK("http://evil.test")', "@SUM(A1)"]
    else:
        assert names == ['\'=HYPERLINK("http://evil.test")', "'@SUM(A1)"]
    # Fixed and imported again, the failure file gives exactly the values of the original.
    with failed.open(encoding="utf-8", newline="") as handle:  # CR stays CR
        text = handle.read()
    with failed.open("w", encoding="utf-8", newline="") as handle:
        handle.write(
            text.replace("not-an-email", "a@example.org").replace("also-bad", "b@example.org")
        )
    again = cli("import", "customers", str(failed), "--yes", *flag)
    assert again.code == 0, again.out + again.err
    found = {r["email"]: r for r in jsonl(cli("export", "customers").out)}
    assert found["a@example.org"]["name"] == '=HYPERLINK("http://evil.test")'
    assert found["a@example.org"]["delivery_notes"] == ("'=kept" if raw else "=kept")
    assert found["b@example.org"]["name"] == "@SUM(A1)"
    assert found["b@example.org"]["delivery_notes"] == "plain\rcr"
