"""The export's fast path (customers as the store sent them, :class:`CustomerRow`, turned into
records by :class:`RowRecords` and written a page at a time by ``RecordWriter.write_many``)
writes exactly what the model path writes (``Customer.parse``, :func:`customer_record`,
``RecordWriter.write`` one record at a time), byte for byte, on hostile data: control, bidi
and zero-width characters, lone surrogates, formulas, quotes and line breaks, custom values
of every JSON type and nulls, malformed base attributes, custom slugs that are base keys, and
values that look like the boundary between two records.
"""

from __future__ import annotations

import asyncio
import io
import json
from itertools import pairwise
from typing import Any

import httpx
import pytest

from flowtui.api.errors import ProtocolError
from flowtui.api.models import Customer, CustomerRow, Page
from flowtui.api.rows import RowLister, iter_customer_row_pages
from flowtui.api.service import ApiService
from flowtui.ops.export import (
    BASE_COLUMNS,
    YIELD_TURNS,
    RecordWriter,
    RowRecords,
    customer_record,
    export_customers,
)
from flowtui.sandbox import demo
from flowtui.sandbox.store import Store
from tests.conftest import CLIENT_ID, CLIENT_SECRET, make_sandbox
from tests.hostile import CATALOGUE

TEXTS = [h.text[:2000] for h in CATALOGUE] + [
    "=SUM(A1)", "+1", "-1", "-12.5e3", "@cmd", "\tTAB", "\rCR", "'=x", "''", "'hello",
    'Smith, "Jo"\nsecond', "a\r\nb", "", " ", '},{"id":"x"}', 'x},{"id":', "é ü 中文 🎉",
    "\x00nul\x7fdel", "\u2028line\u2029para", "a, b", ",", "-",
]  # fmt: skip
VALUES: list[Any] = [
    *TEXTS, None, True, False, 0, -0, 7, -3, 1.5, -0.0, 1e300, -2.5e-7, 2**63, float("nan"),
    [], {}, [1, "two", None], {"id": "inner", "a": [{"id": 1}, {"id": 2}]},
    [{"id": "x"}, {"id": "y"}], {"nested": {"deep": '},{"id":'}},
]  # fmt: skip
CUSTOM = ["notes", "tier", "flag", "when", "amount", "blob"]


def stamps(i: int) -> dict[str, Any]:
    return {"timestamps": {"created_at": f"2024-01-01T00:00:{i % 60:02d}.000Z",
                           "updated_at": f"2024-02-01T00:00:{i % 60:02d}.000Z"}}  # fmt: skip


def customers() -> list[dict[str, Any]]:
    """Customer objects as a hostile store could send them."""
    out: list[dict[str, Any]] = []
    for i, value in enumerate(VALUES):
        text = TEXTS[i % len(TEXTS)]
        out.append(
            {
                "id": f"c-{i}-{text[:20]}",
                "type": "customer",
                "name": text,
                "email": TEXTS[(i + 3) % len(TEXTS)],
                "password": i % 2 == 0,
                "external_ref": value if i % 3 else text,
                "meta": stamps(i),
                "links": {},
                **{slug: VALUES[(i + k) % len(VALUES)] for k, slug in enumerate(CUSTOM)},
            }
        )
    # Base attributes of the wrong type or missing; stamps malformed; custom values absent,
    # and custom keys the flow does not define (kept after the columns).
    odd: list[dict[str, Any]] = [
        {"id": "n1", "name": 12, "email": None, "external_ref": 5, "meta": stamps(1)},
        {"id": "n2", "name": None, "email": ["x"], "external_ref": None, "meta": None},
        {"id": "n3", "name": True, "email": {"a": 1}, "meta": {"timestamps": "no"}},
        {"id": "n4", "meta": {"timestamps": {"created_at": 5, "updated_at": None}}},
        {"id": "n5", "meta": {"timestamps": {"created_at": "2024-01-01T00:00:00Z"}}},
        {"id": "n6", "name": 1.5, "stray": "kept", "other": None, "meta": stamps(2)},
        {
            "id": "n7",
            "tier": 3,
            "stray": [1],
            "notes": None,
            "x1": 1,
            "x2": 2,
            "x3": 3,
            "x4": 4,
            "x5": 5,
            "x6": 6,
            "x7": 7,
            "meta": stamps(3),
        },
        {"id": "n8", "name": "only", "authentication_mechanism": "password", "password": True},
        {"id": "", "name": "", "email": "", "external_ref": ""},
    ]
    return out + odd


def model_output(data: list[dict[str, Any]], columns: list[str], fmt: str, **options) -> bytes:
    sink = io.BytesIO()
    out = io.TextIOWrapper(sink, encoding="utf-8", newline="")
    writer = RecordWriter(out, fmt, [*BASE_COLUMNS, *columns], **options)
    for d in data:
        writer.write(customer_record(Customer.parse(d), columns))
    out.flush()
    return sink.getvalue()


def row_output(
    data: list[dict[str, Any]],
    columns: list[str],
    fmt: str,
    page: int,
    *,
    by_rows: bool = True,
    **options: Any,
) -> bytes:
    """What the export writes of ``data`` a page at a time: ``write_rows`` (the export's
    path: JSON Lines from the page's values, when it can), or ``write_many`` of the
    records (``by_rows=False``)."""
    sink = io.BytesIO()
    out = io.TextIOWrapper(sink, encoding="utf-8", newline="")
    writer = RecordWriter(out, fmt, [*BASE_COLUMNS, *columns], **options)
    plan = RowRecords(columns)
    for at in range(0, len(data), page):
        rows = [CustomerRow.parse(d) for d in data[at : at + page]]
        if by_rows:
            writer.write_rows(rows, plan)
        else:
            writer.write_many(plan.records(rows))
    out.flush()
    return sink.getvalue()


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
@pytest.mark.parametrize(
    "options", [{}, {"for_terminal": True}, {"raw": True}], ids=["file", "terminal", "raw"]
)
@pytest.mark.parametrize(
    "columns",
    [
        CUSTOM,
        [],
        ["tier", "name", "password", "created_at", "id", "notes", "stray"],
        ["tier", "notes", "tier", "100%s", "%(x)s", "flag"],
    ],
    ids=["flow", "no-fields", "slugs-that-are-base-keys", "slugs-twice-and-percent"],
)
def test_the_rows_path_writes_what_the_model_path_writes(fmt, options, columns):
    data = customers()
    expected = model_output(data, columns, fmt, **options)
    assert expected  # the comparison is about something
    for page in (1, 7, 100):  # one record a write, pages with and without a surrogate
        assert row_output(data, columns, fmt, page, **options) == expected
        assert row_output(data, columns, fmt, page, by_rows=False, **options) == expected


@pytest.mark.parametrize("for_terminal", [False, True])
def test_json_lines_from_a_page_of_values_are_what_the_model_path_writes(for_terminal):
    """Pages the one-encode path takes (no value a list or object of two items or more, no
    custom key outside the flow's): each page of two customers, every hostile value in
    every column, against the model path."""
    simple = [v for v in VALUES if not isinstance(v, list | dict) or len(v) < 2]
    simple += [[["one"]], {"k": {"j": "v"}}, "%s", "%(name)s", "%%", "line\nbreak"]
    data = []
    for i, value in enumerate(simple):
        d: dict[str, Any] = {"id": f"s{i}", "meta": stamps(i)}
        d.update({key: value for key in ("name", "email", "external_ref", *CUSTOM)})
        data.append(d)
    plan = RowRecords(CUSTOM)
    assert plan.values([CustomerRow.parse(d) for d in data]) is not None  # the path taken
    options = {"for_terminal": for_terminal}
    expected = model_output(data, CUSTOM, "jsonl", **options)
    assert row_output(data, CUSTOM, "jsonl", 2, **options) == expected
    assert row_output(data, CUSTOM, "jsonl", 100, **options) == expected
    # A page UTF-8 can hold is written without making a record.
    writer = RecordWriter(io.StringIO(), "jsonl", [*BASE_COLUMNS, *CUSTOM], **options)
    writer.write_many = None  # type: ignore[assignment, method-assign]
    plain = [d for d in data if "\ud800" not in json.dumps(d, ensure_ascii=False)]
    writer.write_rows([CustomerRow.parse(d) for d in plain], plan)


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_a_page_with_a_lone_surrogate_is_written_as_one_record_at_a_time_would_be(fmt):
    data = [d for d in customers() if "\ud800" in json.dumps(d, ensure_ascii=False)]
    assert data
    assert row_output(data, CUSTOM, fmt, 100) == model_output(data, CUSTOM, fmt)


def test_a_row_reads_id_and_stamps_as_the_model_does_and_refuses_what_it_refuses():
    for d in customers():
        row, customer = CustomerRow.parse(d), Customer.parse(d)
        assert (row.id, row.created_at, row.updated_at) == (
            customer.id,
            customer.created_at,
            customer.updated_at,
        )
        assert row.customer() == customer
    for bad in ({"name": "no id"}, {"id": 5}, {"id": None}, ["id"], "customer", None):
        with pytest.raises(ProtocolError) as model_error:
            Customer.parse(bad)
        with pytest.raises(ProtocolError) as row_error:
            CustomerRow.parse(bad)
        assert str(row_error.value) == str(model_error.value)


def test_the_boundary_between_records_inside_a_value_falls_back_to_one_record_a_line():
    writer_out = io.StringIO()
    writer = RecordWriter(writer_out, "jsonl", ["id", "v"])
    records = [
        {"id": "a", "v": [{"id": 1}, {"id": 2}]},  # '},{"id":' inside a value
        {"id": "b", "v": None},
    ]
    writer.write_many(records)
    lines = writer_out.getvalue().splitlines()
    assert [json.loads(line) for line in lines] == records


async def test_the_export_of_a_hostile_store_is_what_the_model_path_writes():
    """End to end against the sandbox: every customer of a store with hostile values (and
    demo customers with every field type), exported as JSON Lines and CSV, is byte for byte
    what the model walk writes; and the row walk brings the same customers in the same
    order, with the same requests, as the service's walk."""
    store = Store(":memory:")
    demo.seed(store, 150)  # two pages: the walk's windows and the newest key are used
    flow = store.get_flow_by_slug("customers")
    notes = next(f for f in store.list_fields(flow["id"]) if f["slug"] == "delivery_notes")
    for i, h in enumerate(CATALOGUE):
        store.create_customer(
            name=h.text[:500] if h.in_text_columns else h.name,
            email=f"{i}@evil.test",
            password_hash=None,
            external_ref=h.text[:100] if h.in_text_columns else None,
            custom={notes["id"]: h.text[:5000]},
        )
    transport = httpx.ASGITransport(app=make_sandbox(store))
    async with ApiService(
        "http://sb", CLIENT_ID, CLIENT_SECRET, transport=transport, rate_limit=None
    ) as service:
        columns = [f.slug for f in await service.value_fields("customers")]
        models = [c async for c in service.iter_customers()]
        rows = [r for page in [p async for p in iter_customer_row_pages(service)] for r in page]
        assert [r.customer() for r in rows] == models
        first: Page[CustomerRow] = await RowLister(service).list_customers(limit=3)
        assert first.total == len(models) and len(first.items) == 3
        for fmt in ("jsonl", "csv"):
            sink = io.BytesIO()
            out = io.TextIOWrapper(sink, encoding="utf-8", newline="")
            result = await export_customers(service, out, fmt)
            out.flush()
            assert result.count == len(models) == 150 + len(CATALOGUE)
            expected = io.BytesIO()
            model_out = io.TextIOWrapper(expected, encoding="utf-8", newline="")
            writer = RecordWriter(model_out, fmt, [*BASE_COLUMNS, *columns])
            for customer in models:
                writer.write(customer_record(customer, columns))
            model_out.flush()
            assert sink.getvalue() == expected.getvalue()
    store.close()


class Arrivals:
    """In front of the sandbox: each API request's path, and how many were in flight (this
    one included) when it arrived."""

    def __init__(self, app: Any) -> None:
        self.app, self.state = app, app.state
        self.now = 0
        self.seen: list[tuple[str, int]] = []

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/v2/"):
            await self.app(scope, receive, send)
            return
        self.now += 1
        self.seen.append((f"{scope['path']}?{scope['query_string'].decode()}", self.now))
        try:
            await self.app(scope, receive, send)
        finally:
            self.now -= 1


async def test_fields_first_page_and_newest_key_go_out_together_and_nothing_else_counts():
    """The opening is one round trip: the fields, the walk's first page and its newest key
    all on the wire at once; the progress's total is the first page's count (no request of
    its own), and every later request is one of the walk's pages."""
    store = Store(":memory:")
    demo.seed(store, 250)  # 3 pages
    counted = Arrivals(make_sandbox(store, latency_ms=150))
    transport = httpx.ASGITransport(app=counted)
    totals: list[tuple[int, int]] = []
    async with ApiService(
        "http://sb", CLIENT_ID, CLIENT_SECRET, transport=transport, rate_limit=None
    ) as service:
        await service.login()
        before = len(counted.seen)  # the log-in's own check of the store
        result = await export_customers(
            service, io.StringIO(), "jsonl", progress=lambda d, t: totals.append((d, t))
        )
    assert result.count == 250
    assert totals[0] == (0, 250) and totals[-1] == (250, 250)
    opening = counted.seen[before : before + 3]
    assert sorted(path.split("?")[0] for path, _ in opening) == [
        "/v2/customers",
        "/v2/customers",
        "/v2/flows/customers/fields",
    ]
    assert any("sort=-created_at" in path for path, _ in opening)  # the newest key
    assert any("sort=created_at" in path for path, _ in opening)  # the first page
    # Each one still on the wire when the next arrived: one round trip, not two.
    assert [n for _, n in opening] == [1, 2, 3], counted.seen
    # No count of its own: after the opening, only the walk's pages (100 customers each,
    # by created_at), never a page of one customer from the start.
    for path, _ in counted.seen[before + 3 :]:
        assert "page[limit]=100" in path and "sort=created_at" in path, path
    store.close()


async def test_the_walk_gets_the_loop_before_each_page_is_written(monkeypatch):
    """A page is written only after the event loop has turned twice since the last one, so
    answers that arrived meanwhile are read and their next requests sent first (a write
    takes ~0.4 ms: the store would idle behind it)."""
    store = Store(":memory:")
    demo.seed(store, 450)  # 5 pages
    turns = 0

    async def ticker() -> None:
        nonlocal turns
        while True:
            turns += 1
            await asyncio.sleep(0)

    at_write: list[int] = []
    real = RecordWriter.write_rows

    def write_rows(self, rows, plan):
        at_write.append(turns)
        return real(self, rows, plan)

    monkeypatch.setattr(RecordWriter, "write_rows", write_rows)
    transport = httpx.ASGITransport(app=make_sandbox(store))
    async with ApiService(
        "http://sb", CLIENT_ID, CLIENT_SECRET, transport=transport, rate_limit=None
    ) as service:
        await service.login()
        tick = asyncio.ensure_future(ticker())
        try:
            result = await export_customers(service, io.StringIO(), "jsonl", concurrency=1)
        finally:
            tick.cancel()
    store.close()
    assert result.count == 450 and len(at_write) == 5
    assert YIELD_TURNS >= 2
    assert all(b - a >= 2 for a, b in pairwise(at_write)), at_write
