"""SQLite persistence of customer addresses (``/v2/customers/{id}/addresses``).

An address belongs to one customer and goes with it: the table's foreign key cascades, so
deleting a customer (or resetting the store) deletes their addresses. Its base attributes are
columns; its custom values (fields of the ``addresses`` core flow) are JSON keyed by field id,
as customers' are, so a renamed field keeps its values.

:class:`AddressTable` shares the :class:`~flowtui.sandbox.store.Store`'s connection, lock,
clock and id maker (the store builds it as ``store.addresses``); it knows tables, not HTTP or
validation.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from flowtui.core.fields import ADDRESS_ATTRS

#: Required on create (contract [choice], after older Moltin documentation).
REQUIRED_ATTRS: tuple[str, ...] = ("first_name", "last_name", "line_1", "postcode", "country")
#: A customer has at most this many addresses (a documented quota).
MAX_ADDRESSES = 25

_COLUMNS = ",\n    ".join(f"{attr} TEXT NOT NULL DEFAULT ''" for attr in ADDRESS_ATTRS)
#: The table's indexes, by name (dropped and built again around a bulk load).
_INDEXES = {
    "addresses_id": "CREATE UNIQUE INDEX IF NOT EXISTS addresses_id ON addresses (id)",
    "addresses_by_customer": (
        "CREATE INDEX IF NOT EXISTS addresses_by_customer "
        "ON addresses (customer_id, created_at, seq)"
    ),
}
_INDEX_SQL = ";\n".join(_INDEXES.values())
ADDRESS_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS addresses (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL,
    customer_id TEXT NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    {_COLUMNS},
    custom TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
{_INDEX_SQL};
"""

#: One stored address, by column (``custom`` parsed).
Row = dict[str, Any]
#: An address for :meth:`AddressTable.insert_many`: id, customer id, base attributes, custom
#: values (by field id), created_at, updated_at.
AddressRecord = tuple[str, str, dict[str, str], dict[str, Any], str, str]


class QuotaExceeded(Exception):
    """The customer already has :data:`MAX_ADDRESSES` addresses."""


class AddressTable:
    """The ``addresses`` table of one store; thread-safe through the store's lock."""

    def __init__(
        self,
        db: sqlite3.Connection,
        lock: threading.RLock,
        now: Callable[[], str],
        new_id: Callable[[], str],
    ) -> None:
        self.db = db
        self.lock = lock
        self.now = now
        self.new_id = new_id

    @staticmethod
    def _row(row: sqlite3.Row | None) -> Row | None:
        if row is None:
            return None
        out = dict(row)
        out["custom"] = json.loads(out["custom"])
        return out

    def list(self, customer_id: str) -> list[Row]:
        """A customer's addresses, oldest first."""
        with self.lock:
            cur = self.db.execute(
                "SELECT * FROM addresses WHERE customer_id = ? ORDER BY created_at, seq",
                (customer_id,),
            )
            return [r for r in map(self._row, cur) if r is not None]

    def get(self, customer_id: str, address_id: str) -> Row | None:
        """The address, if it is this customer's."""
        with self.lock:
            return self._row(
                self.db.execute(
                    "SELECT * FROM addresses WHERE customer_id = ? AND id = ?",
                    (customer_id, address_id),
                ).fetchone()
            )

    def count(self, customer_id: str | None = None) -> int:
        """How many addresses the customer has (every customer's, without one)."""
        with self.lock:
            if customer_id is None:
                return self.db.execute("SELECT COUNT(*) FROM addresses").fetchone()[0]
            return self.db.execute(
                "SELECT COUNT(*) FROM addresses WHERE customer_id = ?", (customer_id,)
            ).fetchone()[0]

    def create(self, customer_id: str, attrs: dict[str, str], custom: dict[str, Any]) -> Row | None:
        """Add an address; None when the customer does not exist (any more).

        Raises :class:`QuotaExceeded` when the customer has :data:`MAX_ADDRESSES` already
        (counted under the lock, so two concurrent creates cannot both pass)."""
        with self.lock:
            exists = self.db.execute("SELECT 1 FROM customers WHERE id = ?", (customer_id,))
            if exists.fetchone() is None:
                return None
            if self.count(customer_id) >= MAX_ADDRESSES:
                raise QuotaExceeded(customer_id)
            stamp = self.now()
            address_id = self.new_id()
            cols = {a: attrs.get(a, "") for a in ADDRESS_ATTRS}
            cols.update(
                id=address_id,
                customer_id=customer_id,
                custom=json.dumps(custom),
                created_at=stamp,
                updated_at=stamp,
            )
            names, marks = ", ".join(cols), ", ".join("?" for _ in cols)
            self.db.execute(
                f"INSERT INTO addresses ({names}) VALUES ({marks})", tuple(cols.values())
            )
            return self.get(customer_id, address_id)

    def update(
        self, customer_id: str, address_id: str, attrs: dict[str, str], custom: dict[str, Any]
    ) -> Row | None:
        """Change some base attributes and replace the custom values; None when it is gone."""
        cols: dict[str, Any] = {a: v for a, v in attrs.items() if a in ADDRESS_ATTRS}
        cols["custom"] = json.dumps(custom)
        with self.lock:
            cols["updated_at"] = self.now()
            sets = ", ".join(f"{k} = ?" for k in cols)
            self.db.execute(
                f"UPDATE addresses SET {sets} WHERE customer_id = ? AND id = ?",
                (*cols.values(), customer_id, address_id),
            )
            return self.get(customer_id, address_id)

    def delete(self, customer_id: str, address_id: str) -> bool:
        with self.lock:
            cur = self.db.execute(
                "DELETE FROM addresses WHERE customer_id = ? AND id = ?", (customer_id, address_id)
            )
            return cur.rowcount > 0

    @contextlib.contextmanager
    def bulk(self) -> Iterator[None]:
        """Hold the lock for a bulk load (demo data): the indexes are dropped first and built
        again at the end, which halves what loading 165,000 addresses costs compared with
        keeping them up to date row by row (their keys are random ids)."""
        with self.lock:
            for name in _INDEXES:
                self.db.execute(f"DROP INDEX IF EXISTS {name}")
            try:
                yield
            finally:
                for sql in _INDEXES.values():
                    self.db.execute(sql)

    def insert_many(self, records: Iterable[AddressRecord]) -> None:
        """Bulk insert (demo data), in one transaction; the quota is not checked."""
        names = ", ".join(
            ("id", "customer_id", *ADDRESS_ATTRS, "custom", "created_at", "updated_at")
        )
        marks = ", ".join("?" for _ in range(len(ADDRESS_ATTRS) + 5))
        with self.lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                self.db.executemany(
                    f"INSERT INTO addresses ({names}) VALUES ({marks})",
                    (
                        (i, c, *(a.get(k, "") for k in ADDRESS_ATTRS), json.dumps(v), ca, ua)
                        for (i, c, a, v, ca, ua) in records
                    ),
                )
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")

    def purge_values(self, field_ids: Iterable[str]) -> None:
        """Remove the values stored under these fields (the caller holds the lock and runs a
        transaction: a field or flow is being deleted)."""
        for field_id in field_ids:
            path = f'$."{field_id}"'
            self.db.execute(
                "UPDATE addresses SET custom = json_remove(custom, ?) "
                "WHERE json_type(custom, ?) IS NOT NULL",
                (path, path),
            )

    def count_values(self, field_id: str) -> int:
        """How many addresses hold a value for this field."""
        path = f'$."{field_id}"'
        with self.lock:
            return self.db.execute(
                "SELECT COUNT(*) FROM addresses WHERE json_type(custom, ?) IS NOT NULL", (path,)
            ).fetchone()[0]
