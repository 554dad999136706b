"""SQLite persistence for the sandbox: flows, fields, entries, customers and tokens (customer
addresses: :mod:`flowtui.sandbox.addresses`, reached as ``store.addresses``).

The store knows tables and indexes, not HTTP or validation: the app checks a request, then
calls one method here, which runs in one transaction. A file database uses WAL, so a write
that returned survives the process being killed; ``":memory:"`` is for tests.

Custom values (of customers and entries) are kept as JSON keyed by *field id*, so renaming
a field keeps its values, and a deleted field's values can never resurface under a new field
that reuses the slug.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar, overload

from flowtui.sandbox.addresses import ADDRESS_SCHEMA, AddressTable
from flowtui.sandbox.files import prepare_database
from flowtui.sandbox.query import Term, format_timestamp, like_pattern, normalise_timestamp

SCHEMA = """
CREATE TABLE IF NOT EXISTS flows (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL,
    enabled INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS fields (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    flow_id TEXT NOT NULL REFERENCES flows(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    slug TEXT NOT NULL,
    field_type TEXT NOT NULL,
    description TEXT NOT NULL,
    required INTEGER NOT NULL,
    default_json TEXT NOT NULL,
    enabled INTEGER NOT NULL,
    "order" INTEGER,
    omit_null INTEGER NOT NULL,
    rules_json TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (flow_id, slug)
);
CREATE TABLE IF NOT EXISTS entries (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    flow_id TEXT NOT NULL REFERENCES flows(id) ON DELETE CASCADE,
    vals TEXT NOT NULL,
    rels TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS entries_flow_created ON entries (flow_id, created_at, id);
CREATE TABLE IF NOT EXISTS customers (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    name_lc TEXT NOT NULL,
    email TEXT NOT NULL,
    email_lc TEXT NOT NULL,  -- unique: enforced by the write methods (see DuplicateEmail)
    password_hash TEXT,
    external_ref TEXT,
    custom TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
-- One index per sort order. Each also carries name_lc and email_lc, so a like() search is
-- evaluated on the index while walking it in order, touching only the rows that match.
CREATE INDEX IF NOT EXISTS customers_by_created ON customers (created_at, id, name_lc, email_lc);
CREATE INDEX IF NOT EXISTS customers_by_updated ON customers (updated_at, id, name_lc, email_lc);
CREATE INDEX IF NOT EXISTS customers_by_name ON customers (name_lc, id, email_lc);
CREATE INDEX IF NOT EXISTS customers_by_email ON customers (email_lc, id, name_lc);
CREATE INDEX IF NOT EXISTS customers_external_ref ON customers (external_ref);
CREATE TABLE IF NOT EXISTS tokens (
    token TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    expires REAL NOT NULL
);
-- A shopper's customer tokens, by their JWT id: a token whose id is not here is unknown. They
-- go with their customer.
CREATE TABLE IF NOT EXISTS customer_tokens (
    jti TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    expires REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS customer_tokens_customer ON customer_tokens (customer_id);
CREATE TABLE IF NOT EXISTS settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""

#: Customer sort attribute -> column. ``name`` and ``email`` sort case-insensitively.
CUSTOMER_SORT_COLUMNS = {
    "created_at": "created_at",
    "updated_at": "updated_at",
    "id": "id",
    "name": "name_lc",
    "email": "email_lc",
}
ENTRY_SORT_COLUMNS = {"created_at": "created_at", "updated_at": "updated_at", "id": "id"}
_COMPARE = {"eq": "=", "gt": ">", "ge": ">=", "lt": "<", "le": "<="}

#: One stored flow, field, entry, customer or token, by column.
Row = dict[str, Any]
#: A customer for :meth:`Store.insert_customers`: id, name, email, password hash, external
#: reference, custom values (by field id), created_at, updated_at.
CustomerRecord = tuple[str, str, str, str | None, str | None, dict[str, Any], str, str]


P = ParamSpec("P")
R = TypeVar("R")


def _locked(method: Callable[Concatenate[Store, P], R]) -> Callable[Concatenate[Store, P], R]:
    """Run a :class:`Store` method under the store's lock."""

    @functools.wraps(method)
    def wrapper(self: Store, /, *args: P.args, **kwargs: P.kwargs) -> R:
        with self._lock:
            return method(self, *args, **kwargs)

    return wrapper


class DuplicateEmail(ValueError):
    """Another customer already has this email (compared case-insensitively)."""


def _created(row: Row | None) -> Row:
    """The row a create method just inserted (and read back under the same lock)."""
    if row is None:
        raise LookupError("a row inserted a moment ago is missing")
    return row


def new_id() -> str:
    """A fresh resource id (UUID 4)."""
    return str(uuid.uuid4())


def fold(text: str) -> str:
    """The case-insensitive form used to compare and sort names and emails."""
    return text.lower()


class Store:
    """One SQLite database holding a whole sandbox store. Thread-safe (one lock)."""

    def __init__(
        self, path: str | Path = ":memory:", *, clock: Callable[[], dt.datetime] | None = None
    ):
        self.path = str(path)
        if self.path != ":memory:":
            prepare_database(self.path)
        self._lock = threading.RLock()
        self.clock = clock or (lambda: dt.datetime.now(dt.UTC).replace(tzinfo=None))
        self._last_stamp: dt.datetime | None = None
        #: Makes new resource ids; the demo seeder swaps in a seeded one.
        self.ids: Callable[[], str] = new_id
        self.db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self.db.row_factory = sqlite3.Row
        if self.path != ":memory:":
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self.db.executescript(SCHEMA + ADDRESS_SCHEMA)
        self.addresses = AddressTable(self.db, self._lock, self.now, lambda: self.ids())

    # -- plumbing -------------------------------------------------------------------------

    def close(self) -> None:
        """Close the database (a WAL checkpoint happens on close)."""
        with self._lock:
            self.db.close()

    def now(self) -> str:
        """The current time as a timestamp, strictly later than any this store issued."""
        stamp = self.clock()
        # Truncate to milliseconds first: comparing before truncating let two stamps in the
        # same millisecond come out equal.
        stamp = stamp.replace(microsecond=stamp.microsecond // 1000 * 1000)
        if self._last_stamp is not None and stamp <= self._last_stamp:
            stamp = self._last_stamp + dt.timedelta(milliseconds=1)
        self._last_stamp = stamp
        return format_timestamp(stamp)

    def _tx(self) -> _Transaction:
        return _Transaction(self.db)

    def _one(self, sql: str, args: Sequence = ()) -> Row | None:
        row = self.db.execute(sql, args).fetchone()
        return dict(row) if row else None

    def _all(self, sql: str, args: Sequence = ()) -> list[Row]:
        return [dict(r) for r in self.db.execute(sql, args)]

    @_locked
    def reset(self) -> None:
        """Remove every flow, field, entry and customer (access tokens stay valid; customer
        tokens and addresses go with their customers)."""
        with self._tx():
            for table in ("entries", "fields", "flows", "customers"):
                self.db.execute(f"DELETE FROM {table}")

    @_locked
    def get_setting(self, key: str) -> str | None:
        row = self._one("SELECT value FROM settings WHERE key = ?", (key,))
        return row["value"] if row else None

    @_locked
    def set_setting(self, key: str, value: str) -> None:
        self.db.execute(
            "INSERT INTO settings (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    # -- tokens ---------------------------------------------------------------------------

    @_locked
    def add_token(self, token: str, kind: str, expires: float) -> None:
        with self._tx():
            self.db.execute("DELETE FROM tokens WHERE expires < ?", (expires - 7 * 86400,))
            self.db.execute(
                "INSERT INTO tokens (token, kind, expires) VALUES (?, ?, ?)", (token, kind, expires)
            )

    @_locked
    def get_token(self, token: str) -> Row | None:
        return self._one("SELECT token, kind, expires FROM tokens WHERE token = ?", (token,))

    @_locked
    def setting_or(self, key: str, make: Callable[[], str]) -> str:
        """The setting ``key``; when there is none, ``make()`` is stored and returned."""
        value = self.get_setting(key)
        if value is None:
            value = make()
            self.set_setting(key, value)
        return value

    @_locked
    def add_customer_token(self, jti: str, customer_id: str, expires: float) -> None:
        """Record a customer token issued to ``customer_id`` (forgetting long-expired ones)."""
        with self._tx():
            self.db.execute(
                "DELETE FROM customer_tokens WHERE expires < ?", (expires - 30 * 86400,)
            )
            self.db.execute(
                "INSERT INTO customer_tokens (jti, customer_id, expires) VALUES (?, ?, ?)",
                (jti, customer_id, expires),
            )

    @_locked
    def get_customer_token(self, jti: str) -> Row | None:
        return self._one(
            "SELECT jti, customer_id, expires FROM customer_tokens WHERE jti = ?", (jti,)
        )

    # -- flows ----------------------------------------------------------------------------

    @overload
    @staticmethod
    def _flow(row: Row) -> Row: ...
    @overload
    @staticmethod
    def _flow(row: None) -> None: ...
    @staticmethod
    def _flow(row: Row | None) -> Row | None:
        if row is not None:
            row["enabled"] = bool(row["enabled"])
        return row

    @_locked
    def list_flows(self) -> list[Row]:
        return [self._flow(r) for r in self._all("SELECT * FROM flows ORDER BY seq")]

    @_locked
    def get_flow(self, flow_id: str) -> Row | None:
        return self._flow(self._one("SELECT * FROM flows WHERE id = ?", (flow_id,)))

    @_locked
    def get_flow_by_slug(self, slug: str) -> Row | None:
        return self._flow(self._one("SELECT * FROM flows WHERE slug = ?", (slug,)))

    @_locked
    def create_flow(self, name: str, slug: str, description: str, enabled: bool) -> Row:
        stamp = self.now()
        flow_id = self.ids()
        self.db.execute(
            "INSERT INTO flows (id, name, slug, description, enabled, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (flow_id, name, slug, description, int(enabled), stamp, stamp),
        )
        return _created(self.get_flow(flow_id))

    @_locked
    def update_flow(self, flow_id: str, changes: dict[str, Any]) -> Row | None:
        cols = {k: (int(v) if k == "enabled" else v) for k, v in changes.items()}
        cols["updated_at"] = self.now()
        sets = ", ".join(f"{k} = ?" for k in cols)
        self.db.execute(f"UPDATE flows SET {sets} WHERE id = ?", (*cols.values(), flow_id))
        return self.get_flow(flow_id)

    @_locked
    def delete_flow(self, flow_id: str) -> bool:
        """Delete a flow with its fields and entries (customer values under them go too)."""
        with self._tx():
            field_ids = [
                r["id"] for r in self._all("SELECT id FROM fields WHERE flow_id = ?", (flow_id,))
            ]
            self._purge_customer_values(field_ids)
            cur = self.db.execute("DELETE FROM flows WHERE id = ?", (flow_id,))
        return cur.rowcount > 0

    # -- fields ---------------------------------------------------------------------------

    @overload
    @staticmethod
    def _field(row: Row) -> Row: ...
    @overload
    @staticmethod
    def _field(row: None) -> None: ...
    @staticmethod
    def _field(row: Row | None) -> Row | None:
        if row is None:
            return None
        for key in ("required", "enabled", "omit_null"):
            row[key] = bool(row[key])
        row["default"] = json.loads(row.pop("default_json"))
        row["validation_rules"] = json.loads(row.pop("rules_json"))
        return row

    _FIELD_ORDER = 'ORDER BY "order" IS NULL, "order", seq'

    @_locked
    def list_fields(self, flow_id: str | None = None) -> list[Row]:
        if flow_id is None:
            rows = self._all(f"SELECT * FROM fields {self._FIELD_ORDER}")
        else:
            rows = self._all(
                f"SELECT * FROM fields WHERE flow_id = ? {self._FIELD_ORDER}", (flow_id,)
            )
        return [self._field(r) for r in rows]

    @_locked
    def count_fields(self, flow_id: str) -> int:
        return self.db.execute(
            "SELECT COUNT(*) FROM fields WHERE flow_id = ?", (flow_id,)
        ).fetchone()[0]

    @_locked
    def get_field(self, field_id: str) -> Row | None:
        return self._field(self._one("SELECT * FROM fields WHERE id = ?", (field_id,)))

    @_locked
    def field_slug_taken(self, flow_id: str, slug: str, except_id: str | None = None) -> bool:
        row = self._one(
            "SELECT id FROM fields WHERE flow_id = ? AND slug = ? AND id IS NOT ?",
            (flow_id, slug, except_id),
        )
        return row is not None

    @staticmethod
    def _field_columns(values: dict[str, Any]) -> dict[str, Any]:
        cols: dict[str, Any] = {}
        for key, value in values.items():
            if key == "default":
                cols["default_json"] = json.dumps(value)
            elif key == "validation_rules":
                cols["rules_json"] = json.dumps(value)
            elif key in ("required", "enabled", "omit_null"):
                cols[key] = int(value)
            else:
                cols[f'"{key}"' if key == "order" else key] = value
        return cols

    @_locked
    def create_field(self, values: dict[str, Any]) -> Row:
        stamp = self.now()
        field_id = self.ids()
        cols = self._field_columns(values)
        cols.update(id=field_id, created_at=stamp, updated_at=stamp)
        names = ", ".join(cols)
        marks = ", ".join("?" for _ in cols)
        self.db.execute(f"INSERT INTO fields ({names}) VALUES ({marks})", tuple(cols.values()))
        return _created(self.get_field(field_id))

    @_locked
    def update_field(self, field_id: str, changes: dict[str, Any]) -> Row | None:
        cols = self._field_columns(changes)
        cols["updated_at"] = self.now()
        sets = ", ".join(f"{k} = ?" for k in cols)
        self.db.execute(f"UPDATE fields SET {sets} WHERE id = ?", (*cols.values(), field_id))
        return self.get_field(field_id)

    @_locked
    def delete_field(self, field_id: str) -> bool:
        """Delete a field; the values stored under it disappear from customers and entries."""
        with self._tx():
            self._purge_customer_values([field_id])
            self.db.execute(
                "UPDATE entries SET vals = json_remove(vals, ?), rels = json_remove(rels, ?) "
                "WHERE flow_id = (SELECT flow_id FROM fields WHERE id = ?)",
                (f'$."{field_id}"', f'$."{field_id}"', field_id),
            )
            cur = self.db.execute("DELETE FROM fields WHERE id = ?", (field_id,))
        return cur.rowcount > 0

    def _purge_customer_values(self, field_ids: Iterable[str]) -> None:
        field_ids = list(field_ids)
        self.addresses.purge_values(field_ids)
        for field_id in field_ids:
            path = f'$."{field_id}"'
            self.db.execute(
                "UPDATE customers SET custom = json_remove(custom, ?) "
                "WHERE json_type(custom, ?) IS NOT NULL",
                (path, path),
            )

    @_locked
    def count_values(self, field_id: str) -> int:
        """How many customers, addresses and entries hold a value for this field."""
        path = f'$."{field_id}"'
        customers = self.db.execute(
            "SELECT COUNT(*) FROM customers WHERE json_type(custom, ?) IS NOT NULL", (path,)
        ).fetchone()[0]
        entries = self.db.execute(
            "SELECT COUNT(*) FROM entries WHERE json_type(vals, ?) IS NOT NULL "
            "OR json_type(rels, ?) IS NOT NULL",
            (path, path),
        ).fetchone()[0]
        return customers + entries + self.addresses.count_values(field_id)

    # -- entries --------------------------------------------------------------------------

    @overload
    @staticmethod
    def _entry(row: Row) -> Row: ...
    @overload
    @staticmethod
    def _entry(row: None) -> None: ...
    @staticmethod
    def _entry(row: Row | None) -> Row | None:
        if row is not None:
            row["vals"] = json.loads(row["vals"])
            row["rels"] = json.loads(row["rels"])
        return row

    @_locked
    def list_entries(
        self, flow_id: str, terms: list[Term], sort: tuple[str, bool], limit: int, offset: int
    ) -> tuple[list[Row], int]:
        where, args = ["flow_id = ?"], [flow_id]
        for term in terms:  # only id (eq, in) is allowed by the app
            marks = ", ".join("?" for _ in term.values)
            where.append(f"id IN ({marks})")
            args.extend(term.values)
        clause = " AND ".join(where)
        total = self.db.execute(f"SELECT COUNT(*) FROM entries WHERE {clause}", args).fetchone()[0]
        order = self._order(ENTRY_SORT_COLUMNS, sort)
        rows = self._all(
            f"SELECT * FROM entries WHERE {clause} ORDER BY {order} LIMIT ? OFFSET ?",
            [*args, limit, offset],
        )
        return [self._entry(r) for r in rows], total

    @_locked
    def get_entry(self, flow_id: str, entry_id: str) -> Row | None:
        return self._entry(
            self._one("SELECT * FROM entries WHERE flow_id = ? AND id = ?", (flow_id, entry_id))
        )

    @_locked
    def create_entry(self, flow_id: str, vals: dict[str, Any]) -> Row:
        stamp = self.now()
        entry_id = self.ids()
        self.db.execute(
            "INSERT INTO entries (id, flow_id, vals, rels, created_at, updated_at) "
            "VALUES (?, ?, ?, '{}', ?, ?)",
            (entry_id, flow_id, json.dumps(vals), stamp, stamp),
        )
        return _created(self.get_entry(flow_id, entry_id))

    @_locked
    def update_entry(
        self, flow_id: str, entry_id: str, vals: dict[str, Any], rels: dict[str, Any] | None = None
    ) -> Row | None:
        """Replace an entry's stored values (and relationships, when given)."""
        args: list[Any] = [json.dumps(vals), self.now()]
        rel_sql = ""
        if rels is not None:
            rel_sql = ", rels = ?"
            args.insert(1, json.dumps(rels))
        self.db.execute(
            f"UPDATE entries SET vals = ?{rel_sql}, updated_at = ? WHERE flow_id = ? AND id = ?",
            (*args, flow_id, entry_id),
        )
        return self.get_entry(flow_id, entry_id)

    @_locked
    def delete_entry(self, flow_id: str, entry_id: str) -> bool:
        cur = self.db.execute(
            "DELETE FROM entries WHERE flow_id = ? AND id = ?", (flow_id, entry_id)
        )
        return cur.rowcount > 0

    # -- customers ------------------------------------------------------------------------

    @overload
    @staticmethod
    def _customer(row: Row) -> Row: ...
    @overload
    @staticmethod
    def _customer(row: None) -> None: ...
    @staticmethod
    def _customer(row: Row | None) -> Row | None:
        if row is not None:
            row["custom"] = json.loads(row["custom"])
        return row

    @staticmethod
    def _order(columns: dict[str, str], sort: tuple[str, bool]) -> str:
        attr, desc = sort
        column = columns[attr]
        direction = "DESC" if desc else "ASC"
        if column == "id":
            return f"id {direction}"
        return f"{column} {direction}, id {direction}"

    @staticmethod
    def _customer_where(terms: list[Term]) -> tuple[str, list[Any]]:
        where: list[str] = []
        args: list[Any] = []
        for term in terms:
            attr, op, value = term.attr, term.op, term.values[0]
            if attr in ("email", "name"):
                column = f"{attr}_lc"
                if op == "like":
                    where.append(f"{column} LIKE ? ESCAPE '\\'")
                    args.append(like_pattern(fold(value)))
                else:
                    where.append(f"{column} = ?")
                    args.append(fold(value))
            elif attr in ("created_at", "updated_at"):
                where.append(f"{attr} {_COMPARE[op]} ?")
                args.append(normalise_timestamp(value))
            else:  # id, external_ref
                where.append(f"{attr} {_COMPARE[op]} ?")
                args.append(value)
        return (" AND ".join(where) or "1"), args

    @_locked
    def list_customers(
        self, terms: list[Term], sort: tuple[str, bool], limit: int, offset: int
    ) -> tuple[list[Row], int]:
        clause, args = self._customer_where(terms)
        total = self.db.execute(f"SELECT COUNT(*) FROM customers WHERE {clause}", args).fetchone()[
            0
        ]
        order = self._order(CUSTOMER_SORT_COLUMNS, sort)
        rows = self._all(
            f"SELECT * FROM customers WHERE {clause} ORDER BY {order} LIMIT ? OFFSET ?",
            [*args, limit, offset],
        )
        return [self._customer(r) for r in rows], total

    @_locked
    def get_customer(self, customer_id: str) -> Row | None:
        return self._customer(self._one("SELECT * FROM customers WHERE id = ?", (customer_id,)))

    @_locked
    def get_customer_by_email(self, email: str) -> Row | None:
        return self._customer(
            self._one("SELECT * FROM customers WHERE email_lc = ?", (fold(email),))
        )

    @_locked
    def email_taken(self, email: str, except_id: str | None = None) -> bool:
        row = self._one(
            "SELECT id FROM customers WHERE email_lc = ? AND id IS NOT ?", (fold(email), except_id)
        )
        return row is not None

    @_locked
    def create_customer(
        self,
        *,
        name: str,
        email: str,
        password_hash: str | None,
        external_ref: str | None,
        custom: dict[str, Any],
    ) -> Row:
        if self.email_taken(email):
            raise DuplicateEmail(email)
        stamp = self.now()
        customer_id = self.ids()
        self.db.execute(
            "INSERT INTO customers (id, name, name_lc, email, email_lc, password_hash, "
            "external_ref, custom, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                customer_id,
                name,
                fold(name),
                email,
                fold(email),
                password_hash,
                external_ref,
                json.dumps(custom),
                stamp,
                stamp,
            ),
        )
        return _created(self.get_customer(customer_id))

    @_locked
    def update_customer(self, customer_id: str, changes: dict[str, Any]) -> Row | None:
        """Apply base-attribute changes and replace the custom values (``custom`` key)."""
        if "email" in changes and self.email_taken(changes["email"], customer_id):
            raise DuplicateEmail(changes["email"])
        cols: dict[str, Any] = {}
        for key, value in changes.items():
            if key == "custom":
                cols["custom"] = json.dumps(value)
            else:
                cols[key] = value
                if key in ("name", "email"):
                    cols[f"{key}_lc"] = fold(value)
        cols["updated_at"] = self.now()
        sets = ", ".join(f"{k} = ?" for k in cols)
        self.db.execute(f"UPDATE customers SET {sets} WHERE id = ?", (*cols.values(), customer_id))
        return self.get_customer(customer_id)

    @_locked
    def delete_customer(self, customer_id: str) -> bool:
        return self.db.execute("DELETE FROM customers WHERE id = ?", (customer_id,)).rowcount > 0

    @_locked
    def count_customers(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM customers").fetchone()[0]

    @_locked
    def insert_customers(self, rows: Iterable[CustomerRecord]) -> None:
        """Bulk insert (demo data): tuples of (id, name, email, password_hash, external_ref,
        custom dict, created_at, updated_at), in one transaction."""
        with self._tx():
            self.db.executemany(
                "INSERT INTO customers (id, name, name_lc, email, email_lc, password_hash, "
                "external_ref, custom, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    (i, n, fold(n), e, fold(e), p, x, json.dumps(c), ca, ua)
                    for (i, n, e, p, x, c, ca, ua) in rows
                ),
            )

    @_locked
    def optimize(self) -> None:
        """Refresh the query planner's statistics (after a bulk load)."""
        self.db.execute("ANALYZE")


class _Transaction:
    """``with store._tx():`` runs the block in BEGIN IMMEDIATE ... COMMIT (ROLLBACK on error)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: Any, *_: Any) -> None:
        self.db.execute("ROLLBACK" if exc_type else "COMMIT")
