"""Customers' addresses out to, and back in from, JSON Lines or CSV (no Textual).

The export walks every customer by key (:meth:`ApiService.iter_customers`) and lists each
one's addresses, ``concurrency`` lists in flight, writing them in the customers' order with
their customer's id and email. It writes through :class:`flowtui.ops.export.RecordWriter`,
so CSV cells are neutralised against formula injection exactly as customers' are.

The import reads the same files (:func:`flowtui.ops.import_file.read_records`) and plans
before it writes, as the customers' import does: every row is checked (base attributes are
text; custom values against the ``addresses`` flow's fields and rules), its customer is found
(by ``customer_id``, else by ``customer_email``), and a row with an ``id`` updates that
address of that customer (only the attributes that differ) while a row without one creates
an address. The plan is an :class:`~flowtui.ops.importer.ImportPlan`, so the dry-run report,
the writes (:func:`~flowtui.ops.importer.apply_import`) and the failure file are the
customers' own.
"""

from __future__ import annotations

import asyncio
import functools
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

from flowtui.api.addresses import ADDRESS_FLOW
from flowtui.api.errors import ApiError, ErrorItem, NetworkError, NotFoundError, ServerError
from flowtui.api.inflight import Lanes, gather_limited
from flowtui.api.models import ADDRESS_ATTRS, Address, Customer, Field
from flowtui.api.service import ApiService
from flowtui.core.fields import check_value, parse_text
from flowtui.core.textsafe import printable
from flowtui.ops.export import ExportResult, RecordWriter
from flowtui.ops.import_file import ImportFileError, Row, RowWriter, read_records
from flowtui.ops.importer import LOOKUP_CONCURRENCY, ImportPlan, _mark_duplicates, row_changes

#: The columns of an address export before its custom values.
ADDRESS_COLUMNS = (
    "id",
    "customer_id",
    "customer_email",
    *ADDRESS_ATTRS,
    "created_at",
    "updated_at",
)
#: Columns the export writes (or a failure file adds) that an import reads past silently.
SKIPPED_KEYS = frozenset({"created_at", "updated_at", "error"})
#: Attributes an address needs to be created ([choice] of the API contract).
REQUIRED_ON_CREATE = ("first_name", "last_name", "line_1", "postcode", "country")
#: Addresses a customer may have (the store's documented quota).
MAX_ADDRESSES = 25
#: Address lists in flight while exporting.
EXPORT_CONCURRENCY = 8
#: Customers whose lists may wait to be written, per list in flight.
BUFFER = 4


# -- export --------------------------------------------------------------------------------------


def address_record(
    address: Address, customer: Customer, custom_columns: list[str]
) -> dict[str, Any]:
    """One address as a flat record: its id, its customer's id and email, the base
    attributes, the stamps, then custom values by field slug (unknown custom keys too)."""
    record: dict[str, Any] = {
        "id": address.id,
        "customer_id": customer.id,
        "customer_email": customer.email,
        **{key: getattr(address, key) for key in ADDRESS_ATTRS},
        "created_at": address.created_at,
        "updated_at": address.updated_at,
    }
    for slug in custom_columns:
        record[slug] = address.custom.get(slug)
    for slug, value in address.custom.items():
        record.setdefault(slug, value)
    return record


async def _addresses_of(service: ApiService, customer: Customer) -> list[Address]:
    """The customer's addresses; none when the customer was deleted meanwhile."""
    try:
        return await service.list_addresses(customer.id)
    except NotFoundError:
        return []


async def export_addresses(
    service: ApiService,
    out: IO[str],
    fmt: str = "jsonl",
    *,
    progress: Callable[[int, int], None] | None = None,
    concurrency: int = EXPORT_CONCURRENCY,
    for_terminal: bool = False,
    raw: bool = False,
) -> ExportResult:
    """Write every customer's addresses to ``out``, customer by customer (oldest first), with
    ``concurrency`` address lists in flight; ``progress(customers done, customers)``.
    ``for_terminal`` and ``raw`` as for :func:`flowtui.ops.export.export_customers`."""
    custom_columns = [f.slug for f in await service.value_fields(ADDRESS_FLOW)]
    columns = [*ADDRESS_COLUMNS, *custom_columns]
    writer = RecordWriter(out, fmt, columns, for_terminal=for_terminal, raw=raw)
    total = await service.count_customers()
    if progress:
        progress(0, total)
    # ``concurrency`` lists on the wire at once; up to BUFFER times as many customers wait
    # in order behind a slow one, so one slow answer does not empty the lanes.
    lanes = Lanes(concurrency)
    pending: deque[tuple[Customer, asyncio.Task[list[Address]]]] = deque()
    count = walked = 0

    async def fetch(customer: Customer) -> list[Address]:
        return await lanes.run(functools.partial(_addresses_of, service, customer))

    async def write_oldest() -> None:
        nonlocal count, walked
        customer, task = pending.popleft()
        for address in await task:
            writer.write(address_record(address, customer, custom_columns))
            count += 1
        walked += 1
        if progress and walked % 100 == 0:
            progress(walked, max(total, walked))

    try:
        async for customer in service.iter_customers():
            pending.append((customer, asyncio.create_task(fetch(customer))))
            while pending and (pending[0][1].done() or len(pending) >= BUFFER * concurrency):
                await write_oldest()
        while pending:
            await write_oldest()
    finally:
        for _, task in pending:
            task.cancel()
        await asyncio.gather(*(task for _, task in pending), return_exceptions=True)
    if progress:
        progress(walked, max(total, walked))
    return ExportResult(count, columns)


# -- import --------------------------------------------------------------------------------------

#: Keys that say which address and whose it is (never sent as attributes).
OWNER_KEYS = ("id", "customer_id", "customer_email")


@dataclass(slots=True)
class AddressRow(Row):
    """A row of an address import: ``customer_id`` (inherited) is the customer the address
    belongs to, once found; ``address`` the address an update changes, as read while
    planning (its "before")."""

    address: Address | None = None
    #: The ids of the customer's addresses when planned (a lost create is looked for among
    #: the others).
    known: frozenset[str] = frozenset()


def check_address_row(row: Row, fields: dict[str, Field], fmt: str, ignored: Counter[str]) -> None:
    """Turn ``row.values`` (the record as read) into the attributes it sets, checked; every
    problem goes to ``row.problems`` as "key: problem". Base attributes are text (a JSON null
    reads as ""); an empty ``id``, ``customer_id`` or ``customer_email`` is left out."""
    values: dict[str, Any] = {}
    for key, raw in row.values.items():
        if key in SKIPPED_KEYS:
            continue
        if key in OWNER_KEYS or key in ADDRESS_ATTRS:
            value = "" if raw is None else raw
            if not isinstance(value, str):
                row.problems.append(f"{key}: must be a string")
            elif key not in OWNER_KEYS or value.strip():
                values[key] = value
            elif value:
                row.problems.append(f"{key}: is blank")
        elif key in fields:
            f = fields[key]
            value, problem = parse_text(f.field_type, raw) if fmt == "csv" else (raw, None)
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


async def plan_address_import(
    service: ApiService,
    path: str,
    fmt: str,
    *,
    progress: Callable[[int, int], None] | None = None,
    raw: bool = False,
) -> ImportPlan:
    """Read and check every row, find the customers and addresses they name and decide what
    each row does (create, update, unchanged, invalid); nothing is written.

    A row's customer is the one with its ``customer_id``; when there is none (or no customer
    has that id, as in a file exported from another store) the one with its
    ``customer_email``. Each customer named costs one request for its address list (and one
    more when found by email). Raises :class:`ImportFileError` for a file that cannot be read
    at all, and :class:`ApiError` when the store cannot be asked."""
    fields = {f.slug: f for f in await service.value_fields(ADDRESS_FLOW)}
    header, records = read_records(path, fmt, raw=raw)
    if header is not None and not {"customer_id", "customer_email"} & set(header):
        raise ImportFileError(
            f"{printable(path)} has neither a customer_id nor a customer_email column, which "
            "say whose address each row is"
        )
    ignored: Counter[str] = Counter()
    rows: list[Row] = []
    for read in records:
        row = AddressRow(read.number, read.raw, read.values, read.problems)
        if not row.problems:
            check_address_row(row, fields, fmt, ignored)
            if not row.problems and not {"customer_id", "customer_email"} & set(row.values):
                row.problems.append("customer_id: is required (or a customer_email)")
        rows.append(row)
    _mark_duplicates(rows, "id")
    plan = ImportPlan(
        path, fmt, "id", header, fields, rows, dict(ignored), raw=raw, noun="addresses"
    )
    valid = [r for r in rows if not r.problems]
    lists = await _address_lists(service, plan, valid, progress)
    planned: Counter[str] = Counter()
    for each in valid:
        assert isinstance(each, AddressRow)  # every row of this plan is one
        _classify(plan, each, lists, planned)
    for each in rows:
        if each.problems:
            each.action = "invalid"
    return plan


async def _address_lists(
    service: ApiService,
    plan: ImportPlan,
    rows: list[Row],
    progress: Callable[[int, int], None] | None,
) -> dict[str, list[Address] | Customer | None]:
    """What the rows' customers hold: by customer id, that customer's addresses (None when
    no customer has the id); by ``"email:" + folded email``, the customer with it (or None),
    whose addresses are then under its id."""
    found: dict[str, list[Address] | Customer | None] = {}
    done = asked = 0

    async def addresses(customer_id: str) -> None:
        nonlocal done
        try:
            found[customer_id] = await service.list_addresses(customer_id)
        except NotFoundError:
            found[customer_id] = None
        done += 1
        if progress and (done % 50 == 0 or done == asked):
            progress(done, asked)

    async def by_email(email: str) -> None:
        nonlocal done
        customer = await service.customer_by_email(email)
        found["email:" + email] = customer
        done += 1
        if customer is not None and customer.id not in found:
            found[customer.id] = []  # claimed, so it is listed once
            await addresses(customer.id)

    ids = sorted({str(r.values["customer_id"]) for r in rows if r.values.get("customer_id")})
    asked = len(ids)
    plan.lookup = "each"
    if progress:
        progress(0, asked)
    await gather_limited([functools.partial(addresses, i) for i in ids], LOOKUP_CONCURRENCY)
    emails = sorted(
        {
            str(r.values["customer_email"]).lower()
            for r in rows
            if r.values.get("customer_email") and found.get(r.values.get("customer_id", "")) is None
        }
    )
    asked += 2 * len(emails)
    await gather_limited([functools.partial(by_email, e) for e in emails], LOOKUP_CONCURRENCY)
    if progress:
        progress(asked, asked)
    return found


def _classify(
    plan: ImportPlan,
    row: AddressRow,
    found: dict[str, list[Address] | Customer | None],
    planned: Counter[str],
) -> None:
    values = row.values
    owner, listed = "", None
    cid, email = values.get("customer_id"), values.get("customer_email")
    if cid is not None and isinstance(found.get(cid), list):
        owner = cid
    elif email is not None:
        customer = found.get("email:" + email.lower())
        if isinstance(customer, Customer):
            owner = customer.id
    if owner:
        listed = found.get(owner)
    if not owner or not isinstance(listed, list):
        if cid is not None:
            row.problems.append(f"customer_id: no customer has id {cid}")
        if email is not None:
            row.problems.append(f"customer_email: no customer has the email {email}")
        row.action = "invalid"
        return
    row.customer_id = owner
    row.known = frozenset(a.id for a in listed)
    attrs = {k: v for k, v in values.items() if k not in OWNER_KEYS}
    address_id = values.get("id")
    if address_id is not None:
        existing = next((a for a in listed if a.id == address_id), None)
        if existing is None:
            row.problems.append(
                f"id: customer {owner} has no address {address_id} (empty the id to create it)"
            )
            row.action = "invalid"
            return
        row.address, row.values = existing, attrs
        row.changes = row_changes(attrs, existing, plan.fields, plan.fmt)
        row.action = "update" if row.changes else "unchanged"
        if row.action == "unchanged":
            row.raw, row.values, row.address = None, {}, None  # never needed again
        return
    missing = [k for k in REQUIRED_ON_CREATE if not attrs.get(k)]
    missing += [s for s, f in plan.fields.items() if f.required and attrs.get(s) is None]
    if missing:
        row.problems += [f"{k}: is required to create an address" for k in missing]
        row.action = "invalid"
        return
    if len(listed) + planned[owner] >= MAX_ADDRESSES:
        row.problems.append(
            f"customer_id: customer {owner} would have more than {MAX_ADDRESSES} addresses"
        )
        row.action = "invalid"
        return
    planned[owner] += 1
    row.values = {k: v for k, v in attrs.items() if v is not None and v != ""}
    row.action = "create"


async def write_address_row(service: ApiService, claimed: set[str], row: Row) -> None:
    """Write one planned row (the ``write_row`` of :func:`~flowtui.ops.importer.apply_import`
    for addresses). A create is sent once; when its answer is lost, the customer's addresses
    are read again, and a new one holding exactly the row's values counts as created (and is
    journaled), so importing again cannot create it twice."""
    assert isinstance(row, AddressRow)  # what this plan holds
    owner = row.customer_id
    if row.action == "update":
        assert row.address is not None  # what "update" means
        await service.update_address(owner, row.address.id, row.changes, before=row.address)
        row.outcome = "updated"
        return
    try:
        address = await service.create_address(owner, row.values)
    except (NetworkError, ServerError) as lost:
        try:
            found = await service.find_lost_address(owner, row.values, row.known | claimed)
        except ApiError:
            note = ErrorItem("it may have been created: check the customer's addresses")
            raise type(lost)(
                [*lost.errors, note], status=lost.status, method=lost.method, path=lost.path
            ) from None
        if found is None:
            raise
        address = found
        row.recovered = True
    claimed.add(address.id)
    row.outcome = "created"


def address_writer(service: ApiService) -> RowWriter:
    """The ``write_row`` for :func:`~flowtui.ops.importer.apply_import` of an address plan."""
    return functools.partial(write_address_row, service, set())
