"""Import customers from CSV or JSON Lines, the formats ``flowtui export`` writes.

Three steps, so nothing is written before every row was checked:

1. :func:`plan_import` reads the whole file and checks every row against the ``customers``
   flow's enabled fields and their rules (the same :mod:`flowtui.core.fields` checks the store
   applies), looks up the customers the rows name (by email or by id) and decides what each
   row does: ``create``, ``update`` (only the attributes that differ), ``unchanged`` or
   ``invalid``. Nothing is written.
2. :func:`report_lines` describes the plan (the dry-run report).
3. :func:`apply_import` writes the creates and updates, a few at a time (the transport paces
   requests to the profile's rate limit); :func:`write_failures` writes the rows that were
   invalid or failed, in the input's format with an ``error`` column, ready to fix and
   import again.

Values: a CSV cell is text, read as a form input is (:func:`flowtui.core.fields.parse_text`); an
empty cell is null, as the export writes null, and null clears the value (a field with a
default then shows its default again). A JSON Lines value must already have the right JSON
type. A column the file lacks is left unchanged. No Textual here.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
from collections import Counter
from collections.abc import Callable, Set
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flowtui.api.errors import ApiError, ErrorItem, NetworkError, NotFoundError, ServerError
from flowtui.api.inflight import gather_limited
from flowtui.api.models import Address, Customer, Field
from flowtui.api.paging import PAGE_LIMIT, walk_requests
from flowtui.api.recording import customer_attrs, start_write
from flowtui.api.service import ApiService
from flowtui.config._files import open_private
from flowtui.core.fields import check_value, is_email, parse_text
from flowtui.core.textsafe import printable
from flowtui.ops.export import csv_line, neutralise, restore
from flowtui.ops.import_file import (
    FORMATS,
    ImportFileError,
    Row,
    RowWriter,
    default_failures_path,
    detect_format,
    read_records,
)

__all__ = [
    "FORMATS",
    "ImportFileError",
    "ImportPlan",
    "Row",
    "apply_import",
    "check_row",
    "default_failures_path",
    "detect_format",
    "plan_import",
    "read_records",
    "report_lines",
    "row_changes",
    "row_line",
    "write_failures",
]

MATCHES = ("email", "id")
#: Base attributes a row may set (``id`` only identifies the customer).
BASE_KEYS = ("id", "name", "email", "external_ref")
#: Columns the export writes (or a failure file adds) that an import reads past silently.
SKIPPED_KEYS = frozenset({"created_at", "updated_at", "error"})
MAX_EXTERNAL_REF = 2048
#: Lookups / writes in flight (:mod:`flowtui.api.inflight`, the walks' own limiter); the
#: transport paces them to the profile's rate limit.
LOOKUP_CONCURRENCY = 8
WRITE_CONCURRENCY = 4
#: After this many network failures in a row the store is taken as gone: the import stops.
GIVE_UP_AFTER = 10


@dataclass
class ImportPlan:
    path: str
    fmt: str
    match: str
    header: list[str] | None  # CSV only
    fields: dict[str, Field]
    rows: list[Row]
    #: Columns (keys) that are neither customer attributes nor enabled fields -> rows having them.
    ignored: dict[str, int]
    lookup: str = ""  # "each" (one request per key), "walk" (read the whole store) or ""
    stopped: str = ""  # why writing stopped early, if it did
    #: CSV cells were read as they are, without undoing the export's formula neutralisation.
    raw: bool = False
    #: What the rows are (the report's words): customers, or addresses
    #: (:mod:`flowtui.ops.address_transfer`).
    noun: str = "customers"

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.action == action)

    def outcomes(self) -> Counter[str]:
        return Counter(r.outcome for r in self.rows if r.action in ("create", "update"))

    def failures(self) -> list[Row]:
        """Invalid rows and rows whose write failed or never happened."""
        return [
            r
            for r in self.rows
            if r.action == "invalid"
            or (r.action in ("create", "update") and r.outcome not in ("created", "updated"))
        ]


# -- checking ------------------------------------------------------------------------------------


def check_row(row: Row, fields: dict[str, Field], fmt: str, ignored: Counter[str]) -> None:
    """Turn ``row.values`` (the record as read) into the attributes it sets, checked; every
    problem goes to ``row.problems`` as "key: problem"."""
    record, values = row.values, {}
    for key, raw in record.items():
        if key in SKIPPED_KEYS:
            continue
        if key in BASE_KEYS:
            value = None if fmt == "csv" and raw == "" else raw
            if value is not None and not isinstance(value, str):
                row.problems.append(f"{key}: must be a string")
                continue
            problem = _base_problem(key, value)
            if problem:
                row.problems.append(f"{key}: {problem}")
                continue
            if key == "external_ref" or value is not None:
                values[key] = value
        elif key in fields:
            f = fields[key]
            if fmt == "csv":
                value, problem = parse_text(f.field_type, raw)
            else:
                value, problem = raw, None
            problem = problem or check_value(
                f.field_type, f.validation_rules, value, required=f.required
            )
            if problem:
                row.problems.append(f"{key}: {problem}")
            else:
                values[key] = value
        else:
            ignored[key] += 1
    row.values = values


def _base_problem(key: str, value: str | None) -> str | None:
    if key in ("name", "email") and value is None:
        return "is required"
    if key == "email" and value is not None:
        if not is_email(value):
            return "must be an email address"
        if '"' in value:
            return "cannot contain a double quote (the store cannot be searched for it)"
    if key == "external_ref" and value is not None and len(value) > MAX_EXTERNAL_REF:
        return f"may be at most {MAX_EXTERNAL_REF} characters"
    if key == "id" and value is not None and not value.strip():
        return "is blank"
    return None


def _mark_duplicates(rows: list[Row], key: str) -> None:
    """Rows sharing an email (compared as the store does, ignoring case) or an id: which of
    them is right cannot be known, so none is written."""
    seen: dict[str, list[Row]] = {}
    for row in rows:
        value = row.values.get(key)
        if not row.problems and value is not None:
            seen.setdefault(value.lower() if key == "email" else value, []).append(row)
    for group in seen.values():
        if len(group) < 2:
            continue
        for row in group:
            others = [str(r.number) for r in group if r is not row]
            more = f" and {len(others) - 3} more" if len(others) > 3 else ""
            row.problems.append(f"{key}: also on row {', '.join(others[:3])}{more}")


def _same(before: Any, after: Any, blank_is_null: bool) -> bool:
    if blank_is_null:
        before = None if before == "" else before
        after = None if after == "" else after
    numbers = (int, float)
    if (
        isinstance(before, numbers)
        and isinstance(after, numbers)
        and not isinstance(before, bool)
        and not isinstance(after, bool)
    ):
        return before == after  # a CSV "100" read for a float field is 100.0: the same value
    return before == after and type(before) is type(after)


def row_changes(
    values: dict[str, Any], existing: Customer | Address, fields: dict[str, Field], fmt: str
) -> dict[str, Any]:
    """The attributes of ``values`` that would change ``existing`` (a customer, or an
    address: both read a value by key).

    A null for a field with a default would show the default again, so it changes nothing
    when the customer already shows the default. A CSV cannot tell an empty text from null,
    so for text attributes the two count as the same.
    """
    changes: dict[str, Any] = {}
    for key, value in values.items():
        if key == "id":
            continue
        before = existing.value(key)
        f = fields.get(key)
        if f is not None:
            shown = f.default if value is None and f.default is not None else value
            blank = fmt == "csv" and f.field_type == "string"
        else:
            shown, blank = value, fmt == "csv" and key == "external_ref"
        if not _same(before, shown, blank):
            changes[key] = value
    return changes


# -- planning ------------------------------------------------------------------------------------


async def plan_import(
    service: ApiService,
    path: str,
    fmt: str,
    match: str = "email",
    *,
    lookup: str = "auto",
    progress: Callable[[int, int], None] | None = None,
    raw: bool = False,
) -> ImportPlan:
    """Read and check every row, look up the customers they name and decide what each does.

    ``lookup``: "each" asks the store once per email or id, "walk" reads every customer
    (by key, 100 a page) and keeps those the file names; "auto" picks the one needing fewer
    requests. ``raw``: CSV cells are taken as they are (an export made with ``raw``), not
    restored from the export's formula neutralisation. Raises :class:`ImportFileError` for
    a file that cannot be read at all, and :class:`ApiError` when the store cannot be asked.
    """
    if match not in MATCHES:
        raise ValueError(f"unknown match {match!r}")
    fields = {f.slug: f for f in await service.value_fields("customers")}
    header, records = read_records(path, fmt, raw=raw)
    if header is not None and match not in header:
        other = "id" if match == "email" else "email"
        raise ImportFileError(
            f"{printable(path)} has no {match} column, which rows are matched by "
            f"(or use --match {other})"
        )
    ignored: Counter[str] = Counter()
    rows: list[Row] = []
    for row in records:
        if not row.problems:
            check_row(row, fields, fmt, ignored)
        rows.append(row)
    _mark_duplicates(rows, "email")
    _mark_duplicates(rows, "id")
    plan = ImportPlan(path, fmt, match, header, fields, rows, dict(ignored), raw=raw)

    for row in rows:
        if row.problems:
            continue
        if match == "email" and row.values.get("email") is None:
            row.problems.append("email: is required (rows are matched by email)")
    emails = {
        r.values["email"].lower()
        for r in rows
        if not r.problems
        and (match == "email" or r.values.get("id") is None)
        and r.values.get("email")
    }
    ids = {r.values["id"] for r in rows if not r.problems and match == "id" and r.values.get("id")}
    # Matched by email, a row's id only tells an edited email (the id is a customer's) from
    # a customer of another store (it is not): a walk notes these ids for free.
    named = {r.values["id"] for r in rows if not r.problems and r.values.get("id")}
    by_email, by_id = await _lookup(
        service, plan, emails, ids, lookup, progress, also=named if match == "email" else set()
    )
    if match == "email" and plan.lookup == "each":
        orphans = {
            r.values["id"]
            for r in rows
            if not r.problems
            and r.values.get("id")
            and r.values["email"].lower() not in by_email
            and r.values["id"] not in by_id
        }
        if orphans:
            by_id.update((await _lookup(service, plan, set(), orphans, "each", None))[1])
    for row in rows:
        _classify(plan, row, by_email, by_id)
        if row.action == "unchanged":
            row.raw, row.values, row.existing = None, {}, None  # never needed again
    return plan


async def _lookup(
    service: ApiService,
    plan: ImportPlan,
    emails: set[str],
    ids: set[str],
    strategy: str,
    progress: Callable[[int, int], None] | None,
    also: Set[str] = frozenset(),
) -> tuple[dict[str, Customer], dict[str, Customer]]:
    """The customers with these (folded) emails and ids; a walk also keeps those whose id is
    in ``also``."""
    by_email: dict[str, Customer] = {}
    by_id: dict[str, Customer] = {}
    wanted = len(emails) + len(ids)
    if not wanted:
        return by_email, by_id
    total = await service.count_customers() if strategy != "each" else 0
    if strategy == "auto":
        # A walk costs about a request per page (plus a short page per window); lookups
        # cost one request per key. Both keep the same number of requests in flight.
        strategy = "walk" if walk_requests(total) < wanted else "each"
    plan.lookup = strategy
    if strategy == "walk":
        done = 0
        if progress:
            progress(0, total)
        async for customer in service.iter_customers(concurrency=LOOKUP_CONCURRENCY):
            if customer.id in ids or customer.id in also:
                by_id[customer.id] = customer
            folded = customer.email.lower()
            if folded in emails:
                by_email[folded] = customer
            done += 1
            if progress and done % PAGE_LIMIT == 0:
                progress(done, max(done, total))
        if progress:
            progress(done, max(done, total))
        return by_email, by_id

    keys = [("email", e) for e in sorted(emails)] + [("id", i) for i in sorted(ids)]
    done = 0

    async def find(kind: str, key: str) -> None:
        nonlocal done
        if kind == "email":
            found = await service.customer_by_email(key)
            if found is not None:
                by_email[key] = found
        else:
            with contextlib.suppress(NotFoundError):
                by_id[key] = await service.get_customer(key)
        done += 1
        if progress and (done % 50 == 0 or done == len(keys)):
            progress(done, len(keys))

    if progress:
        progress(0, len(keys))
    await gather_limited([functools.partial(find, *k) for k in keys], LOOKUP_CONCURRENCY)
    return by_email, by_id


def _classify(
    plan: ImportPlan, row: Row, by_email: dict[str, Customer], by_id: dict[str, Customer]
) -> None:
    values = row.values
    if not row.problems:
        row_id, email = values.get("id"), values.get("email")
        if plan.match == "email":
            assert email is not None  # a row matched by email without one is invalid
            existing = by_email.get(email.lower())
            named = by_id.get(row_id) if existing is None and row_id is not None else None
            if named is not None:
                row.problems.append(
                    f"email: customer {row_id} has the email {named.email}, not this one: to "
                    "change emails import with --match id; to create a new customer empty the id"
                )
            elif existing is not None and row_id is not None and row_id != existing.id:
                row.problems.append(
                    f"id: the customer with this email has id {existing.id}, not {row_id}"
                )
        elif row_id is not None:
            existing = by_id.get(row_id)
            if existing is None:
                row.problems.append(f"id: no customer has id {row_id}")
        else:
            existing = None
            taken = by_email.get(email.lower()) if email else None
            if taken is not None:
                row.problems.append(
                    f"email: customer {taken.id} already has it: give that id to update it"
                )
    if row.problems:
        row.action = "invalid"
        return
    if existing is None:
        missing = [k for k in ("name", "email") if values.get(k) is None]
        missing += [
            slug for slug, f in plan.fields.items() if f.required and values.get(slug) is None
        ]
        if missing:
            row.problems += [f"{k}: is required to create a customer" for k in missing]
            row.action = "invalid"
        else:
            row.action = "create"
        return
    row.existing = existing
    row.changes = row_changes(values, existing, plan.fields, plan.fmt)
    row.action = "update" if row.changes else "unchanged"


# -- the report ----------------------------------------------------------------------------------


def report_lines(plan: ImportPlan, limit: int = 20) -> list[str]:
    """The dry-run report: what each row would do and the first ``limit`` problems. Every
    line is safe to print (text from the file is escaped)."""
    counts = [(a, plan.count(a)) for a in ("create", "update", "unchanged", "invalid")]
    width = max(len(f"{n:,}") for _, n in counts)
    lines = [
        f"{printable(plan.path)}: {len(plan.rows):,} rows ({plan.fmt}), matched by {plan.match}",
        *(f"  {action:<10} {n:>{width},}" for action, n in counts),
    ]
    if plan.ignored:
        names = ", ".join(
            f"{printable(k) or '(no name)'} ({n:,} rows)" for k, n in sorted(plan.ignored.items())
        )
        lines.append(f"Ignored columns (not attributes or enabled fields of {plan.noun}): {names}")
    invalid = [r for r in plan.rows if r.action == "invalid"]
    if invalid:
        lines.append("Problems:")
        lines += [f"  {row_line(r)}" for r in invalid[:limit]]
        if len(invalid) > limit:
            lines.append(f"  ... and {len(invalid) - limit:,} more invalid rows")
    return lines


def row_line(row: Row) -> str:
    return printable(f"row {row.number}: {row.message}")


# -- writing -------------------------------------------------------------------------------------


def _error_text(exc: ApiError) -> str:
    parts = [f"{e.attribute}: {e.message}" if e.attribute else e.message for e in exc.errors]
    text = "; ".join(parts)
    return f"{exc.status}: {text}" if exc.status else f"{exc.kind}: {text}"


async def apply_import(
    service: ApiService,
    plan: ImportPlan,
    *,
    concurrency: int = WRITE_CONCURRENCY,
    progress: Callable[[int, int], None] | None = None,
    write_row: RowWriter | None = None,
) -> Counter[str]:
    """Write the plan's creates and updates; returns the count of each outcome.
    ``write_row`` writes one row of a plan of something else than customers (it sets the
    row's outcome; see :func:`flowtui.ops.address_transfer.address_writer`).

    A create is sent once. When its answer is lost (the connection broke, or a server error)
    the store is asked for the email before the row is called failed, so a create that did
    happen is reported as created, never repeated. Each row's outcome is kept on it as it
    happens, so an interrupted import still knows what was written.
    """
    todo = [r for r in plan.rows if r.action in ("create", "update") and not r.outcome]
    done = 0
    network_failures = 0

    async def write(row: Row) -> None:
        nonlocal done, network_failures
        if plan.stopped:
            row.outcome, row.error = "not attempted", plan.stopped
            return
        row.outcome = "pending"
        try:
            if write_row is not None:
                await write_row(row)
            elif row.action == "create":
                await _create(service, plan, row)
            else:
                # The journal can take row.existing as the customer before this update.
                assert row.existing is not None  # what "update" means
                customer = await service.update_customer(
                    row.existing.id, row.changes, before=row.existing
                )
                row.outcome, row.customer_id = "updated", customer.id
        except ApiError as exc:
            row.outcome, row.error = "failed", _error_text(exc)
            if isinstance(exc, NetworkError):
                network_failures += 1
                if network_failures >= GIVE_UP_AFTER and not plan.stopped:
                    plan.stopped = f"not attempted: the store stopped answering ({exc.summary})"
            else:
                network_failures = 0
        else:
            network_failures = 0
        done += 1
        if progress:
            progress(done, len(todo))

    if progress:
        progress(0, len(todo))
    await gather_limited([functools.partial(write, r) for r in todo], concurrency)
    return plan.outcomes()


async def _create(service: ApiService, plan: ImportPlan, row: Row) -> None:
    values = row.values
    custom = {k: v for k, v in values.items() if k in plan.fields and v is not None}
    customer: Customer | None
    try:
        customer = await service.create_customer(
            name=values["name"],
            email=values["email"],
            external_ref=values.get("external_ref"),
            custom=custom,
        )
    except (NetworkError, ServerError) as lost:
        # The POST may have reached the store: look before calling it failed.
        try:
            customer = await service.customer_by_email(values["email"])
        except ApiError:
            note = ErrorItem(
                "it may have been created: importing this row again with --match email "
                "cannot create it twice"
            )
            raise type(lost)(
                [*lost.errors, note], status=lost.status, method=lost.method, path=lost.path
            ) from None
        if customer is None:
            raise
        row.recovered = True
        # The service journals the creates it saw answered; this one it never saw.
        if service.journal is not None:
            await start_write(
                service.journal,
                profile=service.profile_name,
                resource="customer",
                action="created",
                id=customer.id,
                after=customer_attrs(customer),
                on_error=service.on_journal_error,
            )
    row.outcome, row.customer_id = "created", customer.id


def write_failures(plan: ImportPlan, path: str) -> int:
    """Write the invalid and failed rows to ``path`` in the input's format with their
    ``error``; returns how many. The file appears whole or not at all, created 0600 (it holds
    customers' data); a missing folder is an error, as for an export.

    CSV cells are written neutralised against formula injection, as the export writes them
    (a cell read as ``=x`` is written ``'=x``; one already neutralised stays as it was), so
    importing the failure file reads the same values; with ``plan.raw`` exactly as read.
    """
    rows = plan.failures()
    if not rows:
        return 0
    target = Path(path)
    if not target.parent.is_dir():
        raise FileNotFoundError(2, "No such file or directory", str(target.parent))
    partial = target.with_name(target.name + ".part")
    with open_private(partial, "w", encoding="utf-8", newline="") as out:
        if plan.fmt == "csv":
            safe = (lambda c: c) if plan.raw else (lambda c: neutralise(restore(c)))
            header = list(plan.header or [])
            at = header.index("error") if "error" in header else len(header)
            if at == len(header):
                header.append("error")
            out.write(csv_line([c if plan.raw else neutralise(c) for c in header]))
            for row in rows:
                cells = [safe(c) for c in row.raw]
                if len(cells) > len(plan.header or ()):
                    cells.append(safe(row.message))  # a row with too many cells keeps them all
                else:
                    cells += [""] * (len(header) - len(cells))
                    cells[at] = safe(row.message)
                out.write(csv_line(cells))
        else:
            encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
            for row in rows:
                if isinstance(row.raw, dict):
                    record = {**row.raw, "error": row.message}
                else:
                    record = {"error": row.message, "line": row.raw}
                out.write(encode(record) + "\n")
    os.replace(partial, path)
    return len(rows)
