"""Exporting hostile data to a UTF-8 file: nothing crashes, JSON Lines keep every string
exactly (a lone surrogate as a ``\\ud800`` escape), CSV puts U+FFFD where UTF-8 cannot go."""

from __future__ import annotations

import csv
import io
import json

import httpx
import pytest

from flowtui.api.service import ApiService
from flowtui.ops.export import export_customers
from flowtui.sandbox import demo
from flowtui.sandbox.store import Store
from tests.conftest import CLIENT_ID, CLIENT_SECRET, make_sandbox
from tests.hostile import CATALOGUE


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
async def test_hostile_values_export_to_a_utf8_file(fmt):
    store = Store(":memory:")
    demo.seed(store, 2)
    flow = store.get_flow_by_slug("customers")
    notes = next(f for f in store.list_fields(flow["id"]) if f["slug"] == "delivery_notes")
    for i, h in enumerate(CATALOGUE):
        store.create_customer(
            name=h.text if h.in_text_columns else h.name,
            email=f"{i}@evil.test",
            password_hash=None,
            external_ref=None,
            custom={notes["id"]: h.text},
        )
    app = make_sandbox(store)
    sink = io.BytesIO()
    out = io.TextIOWrapper(sink, encoding="utf-8", newline="")  # as a file opened for export
    transport = httpx.ASGITransport(app=app)
    async with ApiService(
        "http://sb", CLIENT_ID, CLIENT_SECRET, transport=transport, rate_limit=None
    ) as service:
        result = await export_customers(service, out, fmt)
    out.flush()
    text = sink.getvalue().decode("utf-8")
    assert result.count == 2 + len(CATALOGUE)
    if fmt == "jsonl":
        notes_out = {json.loads(line)["delivery_notes"] for line in text.splitlines()}
        assert {h.text for h in CATALOGUE} <= notes_out  # every string exactly, surrogates too
    else:
        limit = csv.field_size_limit(4 * 1024 * 1024)  # the 1 MB value is one field
        try:
            rows = list(csv.DictReader(io.StringIO(text)))
        finally:
            csv.field_size_limit(limit)
        notes_out = {row["delivery_notes"] for row in rows}
        assert "lone\ufffdsur\ufffdrogate" in notes_out
        assert {h.text for h in CATALOGUE if h.in_text_columns} <= notes_out
    store.close()
