"""Reading a customer import file (no Textual): CSV or JSON Lines, the formats
``flowtui export`` writes, as :class:`Row` records with the values as read.

What a row means (checking, planning, writing) is :mod:`flowtui.ops.importer`'s part; this
module only turns a file into rows, or says in one line why it cannot
(:class:`ImportFileError`): missing, not UTF-8, a bad CSV header.

CSV cells (and header names) that the export neutralised against formula injection get their
apostrophe back off (:func:`flowtui.ops.export.restore`) unless ``raw``. A JSON Lines row
nested deeper than :data:`MAX_JSON_DEPTH` is one invalid row: its depth is measured before it
is parsed, so no row can exhaust the parser's recursion.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from flowtui.api.models import Customer
from flowtui.core.fields import MAX_STRING_BYTES
from flowtui.core.textsafe import printable
from flowtui.ops.export import restore

FORMATS = ("csv", "jsonl")
#: How deeply a JSON Lines row may nest arrays and objects (a customer's values are flat).
MAX_JSON_DEPTH = 64
_JSON_STRING = re.compile(r'"[^"]*"')  # once escapes are gone (see too_deep)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


class ImportFileError(Exception):
    """The file cannot be imported at all (missing, not UTF-8, a bad CSV header): one line."""


@dataclass(slots=True)
class Row:
    """One record of the file and what the import does with it."""

    number: int  # the line it starts on (CSV: the header is line 1)
    raw: Any  # as read, for the failure file: CSV cells, a JSON object, or a bad line's text
    values: dict[str, Any] = field(default_factory=dict)  # attributes the row sets, parsed
    problems: list[str] = field(default_factory=list)
    action: str = ""  # create, update, unchanged or invalid
    #: The customer the row matched, as read while planning (an update's "before").
    existing: Customer | None = None
    changes: dict[str, Any] = field(default_factory=dict)  # what an update sends
    #: "" (not written yet), "pending", "created", "updated", "failed" or "not attempted".
    outcome: str = ""
    error: str = ""  # why it failed
    customer_id: str = ""  # of the customer created or updated
    recovered: bool = False  # a create whose answer was lost, found in the store afterwards

    @property
    def message(self) -> str:
        return "; ".join(self.problems) if self.problems else self.error


#: Writes one planned row of an import of something else than customers, setting the row's
#: outcome (``apply_import``'s ``write_row``; see :mod:`flowtui.ops.address_transfer`).
RowWriter = Callable[[Row], Awaitable[None]]


def detect_format(path: str, fmt: str | None = None) -> str:
    if fmt:
        if fmt not in FORMATS:
            raise ImportFileError(f"unknown format {fmt!r} (use csv or jsonl)")
        return fmt
    suffix = Path(path).suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    raise ImportFileError(
        f"cannot tell the format of {printable(path)} from its name: add --format csv or "
        "--format jsonl"
    )


def default_failures_path(path: str, fmt: str) -> str:
    """``customers.csv`` -> ``customers.failed.csv`` (beside the input)."""
    p = Path(path)
    stem = p.stem if p.suffix.lower() in (".csv", ".jsonl", ".ndjson") else p.name
    return str(p.with_name(f"{stem}.failed.{fmt}"))


def too_deep(text: str, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether the JSON ``text`` nests arrays and objects more than ``limit`` deep (brackets
    inside strings do not count). Linear in the text and never recursive: ``str`` methods and
    single-class regular expressions drop everything but the brackets outside strings (a
    16 MB line in well under a second), and only a line of millions of brackets costs a
    second or so per 4 million."""
    if text.count("[") + text.count("{") <= limit:
        return False
    # Drop escapes (pairs of backslashes first, then escaped quotes): what is left of each
    # string is a quote, no quotes, a quote, and can go whole.
    bare = _JSON_STRING.sub("", text.replace("\\\\", "").replace('\\"', ""))
    depth = 0
    for bracket in _NOT_BRACKET.sub("", bare):
        if bracket in "[{":
            depth += 1
            if depth > limit:
                return True
        elif depth:
            depth -= 1
    return False


def _open(path: str) -> IO[str]:
    try:
        # utf-8-sig: a spreadsheet's byte-order mark is not part of the first column's name.
        return open(path, encoding="utf-8-sig", newline="")
    except FileNotFoundError:
        raise ImportFileError(f"{printable(path)}: no such file") from None
    except IsADirectoryError:
        raise ImportFileError(f"{printable(path)} is a folder, not a file") from None
    except OSError as exc:
        raise ImportFileError(f"cannot read {printable(path)}: {exc.strerror or exc}") from None


def read_records(
    path: str, fmt: str, *, raw: bool = False
) -> tuple[list[str] | None, Iterator[Row]]:
    """The CSV header (None for JSON Lines) and the file's rows, each with ``values`` holding
    the record as read (a dict of cells or keys) or ``problems`` saying why it has none.

    CSV header names and cells are restored from the export's formula neutralisation
    (``'=x`` reads as ``=x``) unless ``raw``; ``Row.raw`` keeps the cells exactly as read.
    """
    handle = _open(path)
    shown = printable(path)

    def undecodable(exc: UnicodeDecodeError, line: int) -> ImportFileError:
        handle.close()
        byte = exc.object[exc.start]
        # Text is decoded a block at a time: find the line by decoding line by line (a
        # newline is never part of a multi-byte character).
        with open(path, "rb") as raw:
            for number, data in enumerate(raw, start=1):
                try:
                    data.decode("utf-8")
                except UnicodeDecodeError as bad:
                    line, byte = number, data[bad.start]
                    break
        return ImportFileError(
            f"{shown} is not UTF-8 text (a byte 0x{byte:02x} on line {line}): save it as UTF-8 "
            "and try again"
        )

    if fmt == "csv":
        # A text field may hold up to 16 MB; the csv module refuses cells over 128 KB.
        csv.field_size_limit(max(csv.field_size_limit(), 4 * MAX_STRING_BYTES))
        reader = csv.reader(handle, strict=True)
        try:
            header = next(reader, None)
        except UnicodeDecodeError as exc:
            handle.close()
            raise undecodable(exc, 1) from None
        except csv.Error as exc:
            handle.close()
            raise ImportFileError(f"{shown}, line 1: not a CSV header ({exc})") from None
        if not header or all(not h.strip() for h in header):
            handle.close()
            raise ImportFileError(
                f"{shown} has no header row: the first line must name the columns "
                "(id,name,email,... as the export writes them)"
            )
        header = [h.strip() if raw else restore(h.strip()) for h in header]
        repeated = sorted({h for h in header if header.count(h) > 1})
        if repeated:
            handle.close()
            names = ", ".join(printable(h) or '""' for h in repeated)
            raise ImportFileError(f"{shown}: the header names a column more than once ({names})")

        def csv_rows() -> Iterator[Row]:
            with handle:
                while True:
                    start = reader.line_num + 1
                    try:
                        cells = next(reader)
                    except StopIteration:
                        return
                    except UnicodeDecodeError as exc:
                        raise undecodable(exc, start) from None
                    except csv.Error as exc:
                        raise ImportFileError(f"{shown}, line {start}: {exc}") from None
                    if not cells:
                        continue  # a blank line
                    row = Row(start, cells)
                    if len(cells) != len(header):
                        row.problems.append(
                            f"has {len(cells)} cells where the header has {len(header)} columns"
                        )
                    else:
                        values = cells if raw else [restore(c) for c in cells]
                        row.values = dict(zip(header, values, strict=True))
                    yield row

        return header, csv_rows()

    def jsonl_rows() -> Iterator[Row]:
        with handle:
            number = 0
            while True:
                try:
                    line = handle.readline()
                except UnicodeDecodeError as exc:
                    raise undecodable(exc, number + 1) from None
                if not line:
                    return
                number += 1
                text = line.strip()
                if not text:
                    continue
                if too_deep(text):
                    problem = (
                        f"nests arrays or objects more than {MAX_JSON_DEPTH} levels deep "
                        "(a customer's values are flat)"
                    )
                    yield Row(number, text, problems=[problem])
                    continue
                try:
                    record = json.loads(text)
                except ValueError as exc:
                    yield Row(number, text, problems=[f"not valid JSON ({exc})"])
                    continue
                if not isinstance(record, dict):
                    yield Row(number, text, problems=["not a JSON object"])
                    continue
                yield Row(number, record, values=record)

    return None, jsonl_rows()
