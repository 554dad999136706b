"""The index file (no Textual): its layout (tables, row ids), and writing customers into it,
in place (:class:`IndexWriter`) or into a new file built beside the old one
(:class:`IndexBuilder`).

Every file is created readable by its owner only: it holds customers' personal data.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from flowtui.api.models import Customer, Field

#: Bump when the layout changes: an index of another version is rebuilt from scratch.
SCHEMA_VERSION = 2
#: A value's row id is (customer row id << SHIFT) | field number, so a full-text hit names its
#: customer and field without a lookup, and a customer's values are one row-id range.
SHIFT = 10
MAX_FIELDS = (1 << SHIFT) - 1

TABLES = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE customers (
    n INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    external_ref TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    raw TEXT NOT NULL
);
CREATE TABLE fieldnos (no INTEGER PRIMARY KEY, slug TEXT NOT NULL UNIQUE);
INSERT INTO fieldnos VALUES (1, 'name'), (2, 'email'), (3, 'external_ref');
CREATE TABLE vals (
    n INTEGER PRIMARY KEY,  -- (customer n << 10) | field number: no join to find either
    f INTEGER NOT NULL,     -- the field number (fieldnos)
    txt TEXT,
    num REAL,
    day TEXT
);
CREATE VIRTUAL TABLE fts USING fts5(
    txt, content='vals', content_rowid='n', tokenize='trigram'
);
"""

INDEXES = """
CREATE INDEX customers_name ON customers (name COLLATE NOCASE, id);
CREATE INDEX customers_created ON customers (created_at);
CREATE INDEX customers_updated ON customers (updated_at);
CREATE INDEX vals_txt ON vals (f, txt COLLATE NOCASE) WHERE txt IS NOT NULL;
CREATE INDEX vals_num ON vals (f, num) WHERE num IS NOT NULL;
CREATE INDEX vals_day ON vals (f, day) WHERE day IS NOT NULL;
CREATE TRIGGER vals_ai AFTER INSERT ON vals WHEN new.txt IS NOT NULL BEGIN
    INSERT INTO fts (rowid, txt) VALUES (new.n, new.txt);
END;
CREATE TRIGGER vals_ad AFTER DELETE ON vals WHEN old.txt IS NOT NULL BEGIN
    INSERT INTO fts (fts, rowid, txt) VALUES ('delete', old.n, old.txt);
END;
"""


def customer_json(customer: Customer) -> str:
    """The customer as the store's JSON shape (what :meth:`Customer.parse` reads back)."""
    data: dict[str, Any] = {
        **customer.custom,
        "id": customer.id,
        "type": "customer",
        "name": customer.name,
        "email": customer.email,
        "password": customer.has_password,
        "meta": {
            "timestamps": {"created_at": customer.created_at, "updated_at": customer.updated_at}
        },
    }
    if customer.external_ref is not None:
        data["external_ref"] = customer.external_ref
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def customer_values(customer: Customer, dates: frozenset[str]) -> list[tuple]:
    """``(field, txt, num, day)`` rows of one customer: base text attributes and every custom
    value by its type (booleans as 0/1 numbers; date fields' values as days)."""
    rows: list[tuple] = [("name", customer.name, None, None), ("email", customer.email, None, None)]
    if customer.external_ref:
        rows.append(("external_ref", customer.external_ref, None, None))
    for key, value in customer.custom.items():
        if value is None:
            continue
        if isinstance(value, bool | int | float):
            rows.append((key, None, float(value), None))
        elif isinstance(value, str):
            rows.append((key, None, None, value) if key in dates else (key, value, None, None))
        else:
            rows.append((key, json.dumps(value, ensure_ascii=False), None, None))
    return rows


def fields_signature(fields: Sequence[Field]) -> str:
    """What about the fields changes the values customers show without moving their
    ``updated_at`` (a new field's default appears on every customer): a change means the
    index must be built again. Names and order do not count."""
    return json.dumps(
        sorted([f.slug, f.field_type, f.default, f.omit_null] for f in fields), default=str
    )


def fields_meta(fields: Sequence[Field]) -> str:
    return json.dumps([{"slug": f.slug, "name": f.name, "type": f.field_type} for f in fields])


def open_db(path: Path) -> sqlite3.Connection:
    """A connection to ``path``, which (like its folder) only its owner may read: it holds
    customers' personal data."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with contextlib.suppress(OSError):
        os.chmod(path.parent, 0o700)
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=10)
    db.execute("PRAGMA busy_timeout = 10000")
    return db


def remove_index(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        with contextlib.suppress(FileNotFoundError):
            os.remove(f"{path}{suffix}")


class IndexWriter:
    """Writes customers into an index connection (shared by the index and the builder)."""

    db: sqlite3.Connection
    dates: frozenset[str]
    fnos: dict[str, int]

    def _load_fnos(self) -> None:
        self.fnos = dict(
            (slug, no) for no, slug in self.db.execute("SELECT no, slug FROM fieldnos")
        )

    def _fno(self, slug: str) -> int:
        no = self.fnos.get(slug)
        if no is None:
            no = max(self.fnos.values(), default=0) + 1
            if no > MAX_FIELDS:
                raise RuntimeError(f"the index holds more than {MAX_FIELDS} fields: rebuild it")
            self.db.execute("INSERT INTO fieldnos (no, slug) VALUES (?, ?)", (no, slug))
            self.fnos[slug] = no
        return no

    def _write(self, customers: Iterable[Customer], replace: bool) -> int:
        db = self.db
        count = 0
        vals: list[tuple] = []
        for c in customers:
            row = (
                c.id,
                c.name,
                c.email,
                c.external_ref,
                c.created_at,
                c.updated_at,
                customer_json(c),
            )
            old = None
            if replace:
                old = db.execute("SELECT n, raw FROM customers WHERE id = ?", (c.id,)).fetchone()
            if old is not None:
                if old[1] == row[-1]:
                    continue  # unchanged (a sync re-reads the newest one it saw)
                n = old[0]
                db.execute(
                    "UPDATE customers SET name=?, email=?, external_ref=?, created_at=?, "
                    "updated_at=?, raw=? WHERE n=?",
                    (*row[1:], n),
                )
                # Only the values that changed are rewritten (and re-indexed for full text).
                before = {
                    r[0]: r[1:]
                    for r in db.execute(
                        "SELECT n, f, txt, num, day FROM vals WHERE n >= ? AND n < ?",
                        (n << SHIFT, (n + 1) << SHIFT),
                    )
                }
                after = {}
                for slug, txt, num, day in customer_values(c, self.dates):
                    f = self._fno(slug)
                    after[(n << SHIFT) | f] = (f, txt, num, day)
                db.executemany(
                    "DELETE FROM vals WHERE n = ?",
                    [(k,) for k, v in before.items() if after.get(k) != v],
                )
                vals.extend((k, *v) for k, v in after.items() if before.get(k) != v)
                count += 1
                continue
            cursor = db.execute(
                "INSERT OR IGNORE INTO customers (id, name, email, external_ref, created_at, "
                "updated_at, raw) VALUES (?,?,?,?,?,?,?)",
                row,
            )
            if not cursor.rowcount:
                continue  # seen already (a walk may repeat one at a page boundary)
            n = cursor.lastrowid
            assert n is not None  # a row was inserted
            base = n << SHIFT
            for slug, txt, num, day in customer_values(c, self.dates):
                f = self._fno(slug)
                vals.append((base | f, f, txt, num, day))
            count += 1
        db.executemany("INSERT INTO vals (n, f, txt, num, day) VALUES (?,?,?,?,?)", vals)
        return count


class IndexBuilder(IndexWriter):
    """A new index file built beside the current one (see :meth:`CustomerIndex.builder`)."""

    def __init__(self, path: Path, fields: Sequence[Field]) -> None:
        self.path = path
        self.dates = frozenset(f.slug for f in fields if f.field_type == "date")
        self.lock = threading.Lock()
        remove_index(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = open_db(path)
        self.db.execute("PRAGMA journal_mode = OFF")
        self.db.execute("PRAGMA synchronous = OFF")
        self.db.execute("PRAGMA cache_size = -65536")
        self.db.executescript(TABLES)
        self._load_fnos()
        self.count = 0
        #: Set by :meth:`finish`: only a finished build may replace an index.
        self.finished = False

    def add(self, customers: Sequence[Customer]) -> None:
        with self.lock:
            self.db.execute("BEGIN")
            try:
                self.count += self._write(customers, replace=False)
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")

    def finish(self, meta: dict[str, str]) -> None:
        """Index everything, record ``meta`` and close: the file is ready to be renamed."""
        with self.lock:
            db = self.db
            # Indexing once at the end is several times faster than row by row.
            db.execute("INSERT INTO fts (fts) VALUES ('rebuild')")
            db.executescript(INDEXES)
            db.executemany(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                [("schema", str(SCHEMA_VERSION)), *meta.items()],
            )
            db.execute("ANALYZE")
            db.execute("PRAGMA journal_mode = DELETE")
            db.close()
            self.finished = True

    def discard(self) -> None:
        with self.lock:
            with contextlib.suppress(sqlite3.Error):
                self.db.close()
            remove_index(self.path)
