"""Export every customer, custom fields included, as JSON Lines or CSV.

Customers are walked by key (:func:`flowtui.api.rows.iter_customer_row_pages`, the walk of
:mod:`flowtui.api.paging`), so stores beyond the 10,000 offset cap export completely, with
``concurrency`` requests really in flight, and written in order as they arrive, so memory
stays flat (the walk holds a bounded number of pages). No Textual.

The walk brings each customer as the store sent it (a ``CustomerRow``), and
:class:`RowRecords` makes the records :func:`customer_record` would make of the models, without
building one per customer; :meth:`RecordWriter.write_many` writes a page at a time, the same
text :meth:`RecordWriter.write` writes a record at a time (tests/ops/test_export_rows.py
holds the two paths to the same bytes).

CSV cells follow conventions the import (:mod:`flowtui.ops.import_file`) reverses exactly:

- a cell holding a comma, a double quote, a carriage return or a line feed is quoted
  (:func:`csv_line`; the standard ``csv`` module leaves a bare CR unquoted, which splits the row);
- a cell a spreadsheet would run as a formula (OWASP's CSV injection: one beginning with ``=``,
  ``+``, ``-``, ``@``, TAB or CR) gets a leading apostrophe, and so does a value that already
  looks neutralised (an apostrophe followed by one of those or by another apostrophe), so the
  import can take exactly one apostrophe off again (:func:`neutralise`, :func:`restore`).
  ``raw`` turns this off on both sides.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import IO, Any

from flowtui.api.models import CUSTOMER_BASE_KEYS, Customer, CustomerRow, text
from flowtui.api.paging import WalkStats
from flowtui.api.rows import iter_customer_row_pages
from flowtui.api.service import ApiService
from flowtui.core.textsafe import printable

BASE_COLUMNS = ("id", "name", "email", "external_ref", "created_at", "updated_at")
FORMATS = ("jsonl", "csv")
#: What a spreadsheet reads as the start of a formula (OWASP, "CSV Injection").
FORMULA_START = frozenset("=+-@\t\r")
#: A negative number as JSON writes it: a spreadsheet reads it as a number, never a formula.
_NEGATIVE_NUMBER = re.compile(r"-(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_NEEDS_QUOTES = re.compile('[,"\r\n]')
#: Whether a row of cells joined by commas needs :func:`csv_line` (a cell to quote).
_QUOTE_INSIDE = re.compile('["\r\n]')
#: First characters :func:`neutralise` may change a cell for.
_RISKY_START = FORMULA_START | {"'"}
#: Where, in cells joined by commas, a cell may begin with one of those.
_RISKY_CELL = re.compile("(?:^|,)[=+\\-@\t\r']")
#: Between two records in a JSON list of records (each begins with its id).
BOUNDARY = '},{"id":'


@dataclass
class ExportResult:
    count: int
    columns: list[str]


def customer_record(customer: Customer, custom_columns: list[str]) -> dict[str, Any]:
    """One customer as a flat record: base attributes, then custom values by field slug."""
    custom = customer.custom
    record: dict[str, Any] = {
        "id": customer.id,
        "name": customer.name,
        "email": customer.email,
        "external_ref": customer.external_ref,
        "created_at": customer.created_at,
        "updated_at": customer.updated_at,
    }
    for slug in custom_columns:
        record[slug] = custom.get(slug)
    if len(custom) > len(custom_columns):
        # Values of custom keys the flow does not (or no longer) define are kept too.
        for slug, value in custom.items():
            record.setdefault(slug, value)
    return record


class RowRecords:
    """Flat records of :class:`CustomerRow` pages, exactly as :func:`customer_record` makes
    them of the same customers' models, without building a model per customer."""

    def __init__(self, custom_columns: list[str]) -> None:
        self.columns = custom_columns
        #: No custom slug is a base key (always so for a store's flow): values by ``get``.
        self.plain = not CUSTOMER_BASE_KEYS.intersection(custom_columns)
        #: A row with only these keys has no custom value outside the columns.
        self.known = CUSTOMER_BASE_KEYS | frozenset(custom_columns)
        #: Every record is the base columns and then ``columns``, each once (see :meth:`values`).
        self.flat = self.plain and len(self.known) == len(CUSTOMER_BASE_KEYS) + len(custom_columns)

    def values(self, rows: Iterable[CustomerRow]) -> list[Any] | None:
        """The values of :meth:`records`, record after record, column after column (base
        columns, then ``columns``) in one flat list; None when a record would not be only
        those columns, each once (a custom slug that is a base key or twice in ``columns``, a
        custom key the flow does not define): then only :meth:`records` says what to write."""
        if not self.flat:
            return None
        columns, known = self.columns, self.known
        flat: list[Any] = []
        extend = flat.extend
        for row in rows:
            data = row.data
            if not data.keys() <= known:
                return None
            get = data.get
            name, email, ref = get("name", ""), get("email", ""), get("external_ref")
            extend(
                (
                    row.id,
                    name if type(name) is str else text(data, "name"),
                    email if type(email) is str else text(data, "email"),
                    ref if isinstance(ref, str) else None,
                    row.created_at,
                    row.updated_at,
                )
            )
            extend(map(get, columns))
        return flat

    def records(self, rows: Iterable[CustomerRow]) -> list[dict[str, Any]]:
        columns, plain, known = self.columns, self.plain, self.known
        records: list[dict[str, Any]] = []
        append = records.append
        for row in rows:
            data = row.data
            get = data.get
            name, email, ref = get("name", ""), get("email", ""), get("external_ref")
            record: dict[str, Any] = {
                "id": row.id,
                "name": name if type(name) is str else text(data, "name"),
                "email": email if type(email) is str else text(data, "email"),
                "external_ref": ref if isinstance(ref, str) else None,
                "created_at": row.created_at,
                "updated_at": row.updated_at,
            }
            if plain:
                for slug in columns:
                    record[slug] = get(slug)
            else:
                for slug in columns:
                    record[slug] = None if slug in CUSTOMER_BASE_KEYS else get(slug)
            if not data.keys() <= known:
                # Custom keys the flow does not (or no longer) define: as customer_record.
                custom = {k: v for k, v in data.items() if k not in CUSTOMER_BASE_KEYS}
                if len(custom) > len(columns):
                    for slug, value in custom.items():
                        record.setdefault(slug, value)
            append(record)
        return records


_SURROGATE = re.compile("[\ud800-\udfff]")


def csv_cell(value: Any) -> str:
    """A value as CSV text: null is empty, booleans are true/false, numbers as JSON."""
    if value is None:
        return ""
    # What json.dumps writes for a plain int and a finite float, without building an encoder.
    kind = type(value)
    if kind is int:
        return int.__repr__(value)
    if kind is float and math.isfinite(value):
        return float.__repr__(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _looks_neutralised(cell: str) -> bool:
    return len(cell) > 1 and cell[0] == "'" and (cell[1] == "'" or cell[1] in FORMULA_START)


def neutralise(cell: str) -> str:
    """``cell`` as a spreadsheet can open it safely: a leading apostrophe before a formula.

    A negative number (``-12.5``) is left as it is. A cell that already looks neutralised
    (``'=x``, ``''``) gets one more apostrophe, so :func:`restore` is its exact inverse.
    """
    if not cell:
        return cell
    if cell[0] in FORMULA_START:
        if cell[0] == "-" and _NEGATIVE_NUMBER.fullmatch(cell):
            return cell
        return "'" + cell
    if _looks_neutralised(cell):
        return "'" + cell
    return cell


def restore(cell: str) -> str:
    """The value :func:`neutralise` turned into ``cell``: one leading apostrophe off, when
    an apostrophe is followed by a formula character or another apostrophe. Any other cell
    (``'hello`` typed by hand, say) is kept as it is."""
    return cell[1:] if _looks_neutralised(cell) else cell


def csv_line(cells: list[str]) -> str:
    """One CSV row ending in ``\\n``: a cell holding a comma, a quote, CR or LF is quoted
    (quotes doubled), so no reader splits the row, spreadsheets included."""
    line = ",".join(
        '"' + c.replace('"', '""') + '"' if _NEEDS_QUOTES.search(c) else c for c in cells
    )
    # A row of one empty cell would be a blank line, which readers skip.
    return (line if line or len(cells) != 1 else '""') + "\n"


class RecordWriter:
    """Writes flat records to ``out`` as JSON Lines or CSV (a header row first), with the
    conventions above: ``for_terminal`` escapes what could drive a terminal, ``raw`` writes
    CSV cells without formula neutralisation, and a lone surrogate never stops the export."""

    def __init__(
        self,
        out: IO[str],
        fmt: str,
        columns: list[str],
        *,
        for_terminal: bool = False,
        raw: bool = False,
    ) -> None:
        if fmt not in FORMATS:
            raise ValueError(f"unknown format {fmt!r} (use {' or '.join(FORMATS)})")
        self.out, self.columns, self.for_terminal = out, columns, for_terminal
        self.csv = fmt == "csv"
        self.raw = raw
        self.safe: Callable[[str], str] = (lambda c: c) if raw else neutralise
        self.encode = json.JSONEncoder(ensure_ascii=for_terminal, separators=(",", ":")).encode
        self.ascii_encode = json.JSONEncoder(ensure_ascii=True, separators=(",", ":")).encode
        #: Values one a line (see :meth:`write_rows`).
        self.encode_lines = json.JSONEncoder(
            ensure_ascii=for_terminal, separators=("\n", ":")
        ).encode
        self._template: tuple[RowRecords, str | None] | None = None
        if self.csv:
            out.write(csv_line([self.safe(c) for c in columns]))

    def write(self, record: dict[str, Any]) -> None:
        """One record: a JSON object, or a CSV row of its ``columns``."""
        out, cells = self.out, []
        try:
            if self.csv:
                cells = [self.safe(csv_cell(record.get(c))) for c in self.columns]
                out.write(csv_line([printable(c) for c in cells] if self.for_terminal else cells))
            else:
                out.write(self.encode(record) + "\n")
        except UnicodeEncodeError:
            # A lone surrogate (a store can send "\ud800") cannot be written as UTF-8: JSON
            # Lines keep it as a \ud800 escape, CSV cells get U+FFFD in its place.
            if self.csv:
                out.write(csv_line([_SURROGATE.sub("\ufffd", c) for c in cells]))
            else:
                out.write(self.ascii_encode(record) + "\n")

    def write_many(self, records: list[dict[str, Any]]) -> None:
        """``records`` in one write, each as :meth:`write` would write it (the same text)."""
        if not records:
            return
        try:
            if self.csv:
                text = "".join(self._csv_lines(records))
            else:
                # All records in one call: "[{"id":..},{"id":..}]". A quote inside a string
                # is escaped, so '},{"id":' outside the records' own values marks where one
                # ends and the next begins; when it occurs exactly there (once per boundary,
                # none inside: the usual case), each boundary becomes a line break.
                text = self.encode(records)
                if text.count(BOUNDARY) == len(records) - 1:
                    text = text[1:-1].replace(BOUNDARY, '}\n{"id":') + "\n"
                else:
                    text = "".join([self.encode(record) + "\n" for record in records])
            self.out.write(text)
        except UnicodeEncodeError:
            # Nothing of ``text`` was written (a stream encodes all of it first): record by
            # record, with :meth:`write`'s way round what UTF-8 cannot hold.
            for record in records:
                self.write(record)

    def write_rows(self, rows: list[CustomerRow], plan: RowRecords) -> None:
        """The records ``plan`` makes of ``rows``, as :meth:`write_many` writes them (the same
        text). JSON Lines skip the records: the page's values are encoded in one call, one
        value a line (a line break inside a value is always escaped, so the lines are the
        values), and set into a line per record whose keys are encoded once (a value that
        is a list or object of two or more items has line breaks of its own: then, and when
        ``plan`` has no flat values, the records are made and written as :meth:`write_many`
        does)."""
        if not rows:
            return
        line = None if self.csv else self._line_template(plan)
        flat = None if line is None else plan.values(rows)
        if line is not None and flat is not None:
            text = self.encode_lines(flat)
            if text.count("\n") == len(flat) - 1:
                try:
                    self.out.write((line * len(rows)) % tuple(text[1:-1].split("\n")))
                    return
                except UnicodeEncodeError:
                    pass  # nothing was written: record by record, as write_many does
        self.write_many(plan.records(rows))

    def _line_template(self, plan: RowRecords) -> str | None:
        """One JSON Lines record of ``plan``'s columns with ``%s`` for each value (keys as
        the encoder writes them); None when this writer's columns are not those."""
        if self._template is None or self._template[0] is not plan:
            line = None
            if self.columns == [*BASE_COLUMNS, *plan.columns]:
                keys = [self.encode(column).replace("%", "%%") for column in self.columns]
                line = "{" + ",".join(f"{key}:%s" for key in keys) + "}\n"
            self._template = (plan, line)
        return self._template[1]

    def _csv_lines(self, records: list[dict[str, Any]]) -> list[str]:
        columns, raw, terminal, lines = self.columns, self.raw, self.for_terminal, []
        count = len(columns)
        for record in records:
            cells = [v if type(v) is str else csv_cell(v) for v in map(record.get, columns)]
            line = ",".join(cells)
            # Every cell begins the line or follows a comma: no match, no cell to neutralise
            # (a comma inside a cell can only make the look at each cell happen for nothing).
            if not raw and _RISKY_CELL.search(line):
                cells = [neutralise(c) if c[:1] in _RISKY_START else c for c in cells]
                line = ",".join(cells)
            if terminal:
                cells = [printable(c) for c in cells]
                line = ",".join(cells)
            if line.count(",") >= count or _QUOTE_INSIDE.search(line) or (count == 1 and not line):
                lines.append(csv_line(cells))
            else:
                lines.append(line + "\n")
        return lines


#: Turns of the event loop the walk gets before each page is written (see below).
YIELD_TURNS = 2


async def _let_the_walk_go_first() -> None:
    """Writing a page takes ~0.4 ms of CPU at no latency, and the walk's answers that arrive
    meanwhile would wait for it with their next requests unsent, leaving the store idle: the
    export's wall at L = 0 was 2.23-2.41 s. Two turns of the loop before each write let the
    workers read what has arrived and send their next requests first (1.93-2.24 s, the same
    CPU; benchmarks/README.md, export1)."""
    for _ in range(YIELD_TURNS):
        await asyncio.sleep(0)


async def export_customers(
    service: ApiService,
    out: IO[str],
    fmt: str = "jsonl",
    *,
    progress: Callable[[int, int], None] | None = None,
    concurrency: int = 4,
    for_terminal: bool = False,
    raw: bool = False,
) -> ExportResult:
    """Write every customer to ``out``; ``progress(done, total)`` is called as pages arrive.

    ``for_terminal``: the output is a terminal, so no character may drive it (JSON Lines
    escape everything outside ASCII; CSV cells get visible escapes for control characters).
    ``raw``: CSV cells are written as they are, formulas included (see :func:`neutralise`).
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r} (use {' or '.join(FORMATS)})")
    # The fields, the walk's first page and its newest key do not depend on each other:
    # asked together (one round trip, not two, on a remote store). The first page's count
    # is the total the progress shows (no request of its own).
    fields_task = asyncio.ensure_future(service.value_fields("customers"))
    stats = WalkStats()
    pages = iter_customer_row_pages(service, concurrency=concurrency, stats=stats)
    try:
        async with contextlib.aclosing(pages):
            first = await anext(pages, None)
            fields, total = await fields_task, max(stats.total, 0)
            custom_columns = [f.slug for f in fields]
            columns = [*BASE_COLUMNS, *custom_columns]
            writer = RecordWriter(out, fmt, columns, for_terminal=for_terminal, raw=raw)
            plan = RowRecords(custom_columns)
            count = 0
            if progress:
                progress(0, total)
            page = first
            while page is not None:
                await _let_the_walk_go_first()
                writer.write_rows(page, plan)
                count += len(page)
                if progress:
                    progress(count, max(total, count))
                page = await anext(pages, None)
    finally:
        fields_task.cancel()
        await asyncio.gather(fields_task, return_exceptions=True)
    if progress:
        progress(count, max(total, count))
    return ExportResult(count, columns)
