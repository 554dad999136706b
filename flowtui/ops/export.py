"""Export every customer, custom fields included, as JSON Lines or CSV.

Customers are walked by key (:meth:`ApiService.iter_customers`), so stores beyond the 10,000
offset cap export completely, and written as they arrive, so memory stays flat. No Textual.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TextIO

from flowtui.api.models import Customer
from flowtui.api.service import ApiService
from flowtui.core.textsafe import printable

BASE_COLUMNS = ("id", "name", "email", "external_ref", "created_at", "updated_at")
FORMATS = ("jsonl", "csv")


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


_SURROGATE = re.compile("[\ud800-\udfff]")


def csv_cell(value: Any) -> str:
    """A value as CSV text: null is empty, booleans are true/false, numbers as JSON."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


async def export_customers(
    service: ApiService,
    out: TextIO,
    fmt: str = "jsonl",
    *,
    progress: Callable[[int, int], None] | None = None,
    concurrency: int = 4,
    for_terminal: bool = False,
) -> ExportResult:
    """Write every customer to ``out``; ``progress(done, total)`` is called as pages arrive.

    ``for_terminal``: the output is a terminal, so no character may drive it (JSON Lines
    escape everything outside ASCII; CSV cells get visible escapes for control characters).
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r} (use {' or '.join(FORMATS)})")
    custom_columns = [f.slug for f in await service.value_fields("customers")]
    columns = [*BASE_COLUMNS, *custom_columns]
    total = await service.count_customers()
    writer = None
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
    count = 0
    encode = json.JSONEncoder(ensure_ascii=for_terminal, separators=(",", ":")).encode
    ascii_encode = json.JSONEncoder(ensure_ascii=True, separators=(",", ":")).encode
    if progress:
        progress(0, total)
    async for customer in service.iter_customers(concurrency=concurrency):
        record = customer_record(customer, custom_columns)
        try:
            if writer is not None:
                cells = [csv_cell(record.get(c)) for c in columns]
                writer.writerow([printable(c) for c in cells] if for_terminal else cells)
            else:
                out.write(encode(record) + "\n")
        except UnicodeEncodeError:
            # A lone surrogate (a store can send "\ud800") cannot be written as UTF-8: JSON
            # Lines keep it as a \ud800 escape, CSV cells get U+FFFD in its place.
            if writer is not None:
                writer.writerow([_SURROGATE.sub("\ufffd", c) for c in cells])
            else:
                out.write(ascii_encode(record) + "\n")
        count += 1
        if progress and count % 100 == 0:
            progress(count, max(total, count))
    if progress:
        progress(count, max(total, count))
    return ExportResult(count, columns)
