"""The local customer index: SQLite (FTS5, trigram tokenizer) in the cache directory.

One file per profile, ``cache_dir()/index/<profile>.sqlite``. It holds every customer (id,
name, email, external ref, timestamps and the customer as JSON) and every value typed by kind:
text values in ``vals.txt`` (and in the full-text table ``fts``, whose trigram tokenizer finds
any substring of three characters or more, in any case), numbers and booleans in ``vals.num``,
dates in ``vals.day``, each with an index on (field, value) so a comparison on one field reads
only the matching rows. Searches never touch the network.

The file is a cache: a schema of another version, or a file SQLite cannot read, is deleted and
built again. A full build writes a new file beside the old one and renames it into place, so
searches keep working on the old index meanwhile and an interrupted build loses nothing.
No Textual here.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flowtui.api.models import Customer, Field
from flowtui.config.paths import cache_dir
from flowtui.index import query as Q

#: Bump when the layout changes: an index of another version is rebuilt from scratch.
SCHEMA_VERSION = 2
DEFAULT_LIMIT = 100
#: A value's row id is (customer row id << SHIFT) | field number, so a full-text hit names its
#: customer and field without a lookup, and a customer's values are one row-id range.
SHIFT = 10
MAX_FIELDS = (1 << SHIFT) - 1

_TABLES = """
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

_INDEXES = """
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


def index_path(profile: str) -> Path:
    """Where the index of ``profile`` lives."""
    return cache_dir() / "index" / f"{profile}.sqlite"


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


@dataclass(frozen=True, slots=True)
class SearchResult:
    customers: list[Customer]
    total: int
    conditions: list[Q.Condition]


@dataclass(frozen=True, slots=True)
class IndexStatus:
    path: Path
    count: int
    synced_at: float | None
    watermark: str
    base_url: str
    size: int

    @property
    def age(self) -> float | None:
        return None if self.synced_at is None else max(0.0, time.time() - self.synced_at)


def _connect(path: Path) -> sqlite3.Connection:
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


def _remove(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        with contextlib.suppress(FileNotFoundError):
            os.remove(f"{path}{suffix}")


class _Writer:
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
            base = n << SHIFT
            for slug, txt, num, day in customer_values(c, self.dates):
                f = self._fno(slug)
                vals.append((base | f, f, txt, num, day))
            count += 1
        db.executemany("INSERT INTO vals (n, f, txt, num, day) VALUES (?,?,?,?,?)", vals)
        return count


class IndexBuilder(_Writer):
    """A new index file built beside the current one (see :meth:`CustomerIndex.builder`)."""

    def __init__(self, path: Path, fields: Sequence[Field]) -> None:
        self.path = path
        self.dates = frozenset(f.slug for f in fields if f.field_type == "date")
        self.lock = threading.Lock()
        _remove(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = _connect(path)
        self.db.execute("PRAGMA journal_mode = OFF")
        self.db.execute("PRAGMA synchronous = OFF")
        self.db.execute("PRAGMA cache_size = -65536")
        self.db.executescript(_TABLES)
        self._load_fnos()
        self.count = 0

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
            db.executescript(_INDEXES)
            db.executemany(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                [("schema", str(SCHEMA_VERSION)), *meta.items()],
            )
            db.execute("ANALYZE")
            db.execute("PRAGMA journal_mode = DELETE")
            db.close()

    def discard(self) -> None:
        with self.lock:
            with contextlib.suppress(sqlite3.Error):
                self.db.close()
            _remove(self.path)


class CustomerIndex(_Writer):
    """The index of one store (profile). Thread-safe: every method takes the lock, so a
    worker thread can search while the event loop applies a change."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.lock = threading.RLock()
        self._inode = -1
        self._mtime = -1
        self._meta: dict[str, str] = {}
        self.dates: frozenset[str] = frozenset()
        self.fnos: dict[str, int] = {}
        self._total: int | None = None
        self._open()

    # -- opening ----------------------------------------------------------------------------

    def _open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            db = self._try_open()
        except sqlite3.DatabaseError:
            # Not a database, or one of another layout: it is a cache, so start again.
            _remove(self.path)
            db = self._try_open()
        self.db = db
        st = os.stat(self.path)
        self._inode, self._mtime = st.st_ino, st.st_mtime_ns
        self._total = None
        db.execute("PRAGMA temp_store = MEMORY")
        db.execute("CREATE TEMP TABLE IF NOT EXISTS hits (n INTEGER PRIMARY KEY)")
        self._load_meta()
        self._load_fnos()

    def _try_open(self) -> sqlite3.Connection:
        db = _connect(self.path)
        try:
            db.execute("PRAGMA journal_mode = DELETE")
            db.execute("PRAGMA synchronous = NORMAL")
            db.execute("PRAGMA cache_size = -16384")
            has_meta = db.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'"
            ).fetchone()
            version = (
                db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
                if has_meta
                else None
            )
            if version is None or version[0] != str(SCHEMA_VERSION):
                if has_meta or db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
                    db.close()
                    _remove(self.path)
                    db = _connect(self.path)
                    db.execute("PRAGMA journal_mode = DELETE")
                    db.execute("PRAGMA synchronous = NORMAL")
                db.executescript(_TABLES + _INDEXES)
                db.execute(
                    "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema', ?)",
                    (str(SCHEMA_VERSION),),
                )
        except BaseException:
            db.close()
            raise
        return db

    def _load_meta(self) -> None:
        self._meta = dict(self.db.execute("SELECT key, value FROM meta").fetchall())
        try:
            fields = json.loads(self._meta.get("fields", "[]"))
        except ValueError:
            fields = []
        self.dates = frozenset(f["slug"] for f in fields if f.get("type") == "date")

    def _current(self) -> None:
        """Reopen when another process (``flowtui index sync --full``) replaced the file, and
        reread what is kept in memory when the file changed (another process synced)."""
        try:
            st = os.stat(self.path)
            inode, mtime = st.st_ino, st.st_mtime_ns
        except FileNotFoundError:
            inode, mtime = -2, -2
        if inode != self._inode:
            with contextlib.suppress(sqlite3.Error):
                self.db.close()
            self._open()
        elif mtime != self._mtime:
            self._mtime = mtime
            self._total = None
            self._load_meta()
            self._load_fnos()

    def close(self) -> None:
        with self.lock, contextlib.suppress(sqlite3.Error):
            self.db.close()

    # -- metadata ---------------------------------------------------------------------------

    def meta(self, key: str, default: str = "") -> str:
        with self.lock:
            self._current()
            return self._meta.get(key, default)

    def set_meta(self, **values: str) -> None:
        with self.lock:
            self._current()
            self.db.executemany(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", values.items()
            )
            self._meta.update(values)

    @property
    def synced_at(self) -> float | None:
        stamp = self.meta("synced_at")
        return float(stamp) if stamp else None

    def age(self) -> float | None:
        """Seconds since the last completed sync (None: never synced)."""
        synced = self.synced_at
        return None if synced is None else max(0.0, time.time() - synced)

    def count(self) -> int:
        with self.lock:
            self._current()
            if self._total is None:
                self._total = self.db.execute("SELECT count(*) FROM customers").fetchone()[0]
            return self._total

    def status(self) -> IndexStatus:
        with self.lock:
            self._current()
            size = os.path.getsize(self.path) if self.path.exists() else 0
            return IndexStatus(
                self.path,
                self.count(),
                self.synced_at,
                self._meta.get("watermark", ""),
                self._meta.get("base_url", ""),
                size,
            )

    def fields(self) -> list[Q.IndexField]:
        """The fields a query may name: the base attributes, then the custom fields."""
        try:
            custom = json.loads(self.meta("fields", "[]"))
        except ValueError:
            custom = []
        return [
            *Q.BASE_FIELDS,
            *(
                Q.IndexField(
                    f["slug"], f.get("name") or f["slug"], Q.KIND_OF_TYPE.get(f["type"], Q.TEXT)
                )
                for f in custom
                if isinstance(f, dict) and isinstance(f.get("slug"), str)
            ),
        ]

    # -- writing ----------------------------------------------------------------------------

    def upsert(self, customers: Sequence[Customer]) -> int:
        """Add or replace ``customers`` in one transaction."""
        if not customers:
            return 0
        with self.lock:
            self._current()
            self.db.execute("BEGIN IMMEDIATE")
            self._total = None
            try:
                self._load_fnos()  # another process may have numbered a field meanwhile
                done = self._write(customers, replace=True)
            except BaseException:
                self.db.execute("ROLLBACK")
                self._load_fnos()
                raise
            self.db.execute("COMMIT")
            return done

    def delete_ids(self, ids: Iterable[str]) -> int:
        """Remove these customers (unknown ids are ignored); how many went."""
        with self.lock:
            self._current()
            self.db.execute("BEGIN IMMEDIATE")
            self._total = None
            try:
                gone = 0
                for cid in ids:
                    row = self.db.execute("SELECT n FROM customers WHERE id = ?", (cid,)).fetchone()
                    if row is None:
                        continue
                    n = row[0]
                    self.db.execute(
                        "DELETE FROM vals WHERE n >= ? AND n < ?", (n << SHIFT, (n + 1) << SHIFT)
                    )
                    self.db.execute("DELETE FROM customers WHERE n = ?", row)
                    gone += 1
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")
            return gone

    def ids_between(self, lo: str | None, hi: str | None) -> set[str]:
        """Ids of the customers created in [lo, hi) (None: open)."""
        sql, args = _created_window(lo, hi)
        with self.lock:
            self._current()
            return {r[0] for r in self.db.execute(f"SELECT id FROM customers{sql}", args)}

    def count_between(self, lo: str | None, hi: str | None) -> int:
        sql, args = _created_window(lo, hi)
        with self.lock:
            self._current()
            return self.db.execute(f"SELECT count(*) FROM customers{sql}", args).fetchone()[0]

    def builder(self, fields: Sequence[Field]) -> IndexBuilder:
        """A fresh index file beside this one; :meth:`install` puts it in place."""
        return IndexBuilder(self.path.with_name(self.path.name + ".building"), fields)

    def install(self, builder: IndexBuilder) -> None:
        """Replace this index by what ``builder`` built (already finished).

        The file is renamed over the old one while this connection holds the old one's
        exclusive lock, so no other process is half-way through writing it (its rollback
        journal would otherwise look like the new file's). The index keeps a rollback journal
        rather than a write-ahead log for the same reason: a connection to the replaced file
        closing later would delete the new file's log by name. Other processes notice the new
        file at their next call and reopen.
        """
        with self.lock:
            try:
                self.db.execute("BEGIN EXCLUSIVE")
                os.replace(builder.path, self.path)
            except BaseException:
                builder.discard()
                raise
            finally:
                with contextlib.suppress(sqlite3.Error):
                    if self.db.in_transaction:
                        self.db.execute("ROLLBACK")
                    self.db.close()
            self._open()

    # -- searching --------------------------------------------------------------------------

    def parse(self, text: str) -> list[Q.Condition]:
        """``text`` as conditions on this index's fields (QueryError when it cannot run)."""
        return Q.parse(text, self.fields())

    def search(self, text: str, *, limit: int = DEFAULT_LIMIT, offset: int = 0) -> SearchResult:
        """Customers matching ``text``, by name, ``limit`` from ``offset``, and how many
        match in all."""
        conditions = self.parse(text)
        with self.lock:
            self._current()
            total = self._collect(conditions)
            page = [max(0, limit), max(0, offset)]
            if not conditions:
                sql = "SELECT raw FROM customers c INDEXED BY customers_name"
            elif total * 20 >= self.count():
                # Many match: walk the name index and stop after the page.
                sql = (
                    "SELECT raw FROM customers c INDEXED BY customers_name "
                    "WHERE EXISTS (SELECT 1 FROM temp.hits h WHERE h.n = c.n)"
                )
            else:
                # Few match: sort just those.
                sql = "SELECT c.raw FROM temp.hits h JOIN customers c ON c.n = h.n"
            rows = self.db.execute(
                f"{sql} ORDER BY c.name COLLATE NOCASE, c.id LIMIT ? OFFSET ?", page
            ).fetchall()
        customers = [Customer.parse(json.loads(r[0])) for r in rows]
        return SearchResult(customers, total, conditions)

    def _collect(self, conditions: Sequence[Q.Condition]) -> int:
        """Put the row ids of the matching customers into ``temp.hits``; how many.

        One condition (the driver) fills the table from its index; every other one then
        removes what it does not let through, a value by a row-id lookup per customer left.
        The driver is a full-text condition when there is one (usually few matches and no
        cheap per-row check), else the value condition with the fewest matches.
        """
        db = self.db
        db.execute("DELETE FROM temp.hits")
        if not conditions:
            return self.count()
        steps = plan_conditions(conditions, self.fnos)
        driver = next((s for s in steps if s.kind == "set"), None)
        if driver is None:
            sized = [(self._estimate(s), i) for i, s in enumerate(steps) if not s.negate]
            driver = steps[min(sized)[1]] if sized else None
        if driver is None:  # only "!=": start from everyone
            db.execute("INSERT INTO temp.hits SELECT n FROM customers")
        else:
            sql, args = driver.select()
            db.execute(f"INSERT OR IGNORE INTO temp.hits {sql}", args)
        for step in steps:
            if step is not driver:
                sql, args = step.filter()
                db.execute(sql, args)
        return db.execute("SELECT count(*) FROM temp.hits").fetchone()[0]

    def _estimate(self, step: Step) -> int:
        """How many customers a step selects (counted on its index; scans count as all)."""
        if step.kind != "value" or "LIKE" in step.sql:
            return self.count() + 1
        sql, args = step.select()
        return self.db.execute(f"SELECT count(*) FROM ({sql})", args).fetchone()[0]

    def matching_ids(self, text: str) -> list[str]:
        """The ids of every customer matching ``text`` (no limit), by name."""
        conditions = self.parse(text)
        with self.lock:
            self._current()
            self._collect(conditions)
            where = (
                " WHERE EXISTS (SELECT 1 FROM temp.hits h WHERE h.n = c.n)" if conditions else ""
            )
            rows = self.db.execute(
                f"SELECT c.id FROM customers c INDEXED BY customers_name{where} "
                "ORDER BY c.name COLLATE NOCASE, c.id"
            ).fetchall()
        return [r[0] for r in rows]

    def get(self, customer_id: str) -> Customer | None:
        with self.lock:
            self._current()
            row = self.db.execute(
                "SELECT raw FROM customers WHERE id = ?", (customer_id,)
            ).fetchone()
        return Customer.parse(json.loads(row[0])) if row else None

    # -- syncing ----------------------------------------------------------------------------

    async def sync(self, service: Any, *, progress: Any = None, full: bool = False) -> Any:
        """Bring the index up to date with ``service``'s store: see :mod:`flowtui.index.sync`
        (returns its ``SyncResult``)."""
        from flowtui.index.sync import sync_index

        return await sync_index(self, service, progress=progress, full=full)

    # -- following changes ------------------------------------------------------------------

    def apply_change(self, change: Any) -> None:
        """Follow a service :class:`~flowtui.api.service.Change`: customers flowtui itself
        created, updated or deleted show in the index at once."""
        if getattr(change, "resource", None) != "customer":
            return
        if change.action == "deleted":
            self.delete_ids([change.id])
        elif isinstance(change.item, Customer):
            self.upsert([change.item])

    def follow(self, subscribe: Callable[[Callable[[Any], None]], Callable[[], None]]):
        """Subscribe to a service's changes; returns the unsubscribe function."""
        return subscribe(self.apply_change)


def _created_window(lo: str | None, hi: str | None) -> tuple[str, list[str]]:
    parts, args = [], []
    if lo is not None:
        parts.append("created_at >= ?")
        args.append(lo)
    if hi is not None:
        parts.append("created_at < ?")
        args.append(hi)
    return (" WHERE " + " AND ".join(parts) if parts else ""), args


def _like(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _phrase(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


_CMP = {"=": "=", "!=": "=", ">": ">", ">=": ">=", "<": "<", "<=": "<="}


def _range(column: str, op: str, value: str, end: str | None) -> tuple[str, list[Any]]:
    """A comparison of a date or timestamp ``column`` with a date that may name a period."""
    if end is None:
        return f"{column} {_CMP[op]} ?", [value]
    if op in ("=", "!="):
        return f"({column} >= ? AND {column} < ?)", [value, end]
    if op == "<=":
        return f"{column} < ?", [end]
    if op == ">":
        return f"{column} >= ?", [end]
    return f"{column} {op} ?", [value]


@dataclass(frozen=True, slots=True)
class Step:
    """One condition as SQL. ``kind`` says how it applies:

    * ``"set"``: ``sql`` is a SELECT of customer row ids (full-text matches, scans);
    * ``"value"``: ``sql`` is a condition on one value row (``num``, ``txt``, ``day``) of field
      number ``fno``, checked by row id ``(customer << 10) | fno`` without any search;
    * ``"customer"``: ``sql`` is a condition on the customers table's own columns.

    ``negate``: the customers for whom it does *not* hold (``!=``).
    """

    kind: str
    sql: str
    args: tuple
    negate: bool = False
    fno: int = -1

    def select(self) -> tuple[str, list[Any]]:
        """A SELECT of the row ids of the customers for whom ``sql`` holds."""
        if self.kind == "set":
            return self.sql, list(self.args)
        if self.kind == "value":
            return f"SELECT n >> {SHIFT} FROM vals WHERE f = ? AND {self.sql}", [
                self.fno,
                *self.args,
            ]
        return f"SELECT n FROM customers WHERE {self.sql}", list(self.args)

    def filter(self) -> tuple[str, list[Any]]:
        """A DELETE that keeps in ``temp.hits`` only the customers this step lets through."""
        keep_if = "NOT " if not self.negate else ""
        if self.kind == "set":
            return f"DELETE FROM temp.hits WHERE n {keep_if}IN ({self.sql})", list(self.args)
        if self.kind == "value":
            probe = f"SELECT 1 FROM vals v WHERE v.n = (temp.hits.n << {SHIFT}) | ? AND {self.sql}"
            return f"DELETE FROM temp.hits WHERE {keep_if}EXISTS ({probe})", [
                self.fno,
                *self.args,
            ]
        probe = f"SELECT 1 FROM customers c WHERE c.n = temp.hits.n AND {self.sql}"
        return f"DELETE FROM temp.hits WHERE {keep_if}EXISTS ({probe})", list(self.args)


def plan_conditions(conditions: Sequence[Q.Condition], fnos: dict[str, int]) -> list[Step]:
    """Each condition as a :class:`Step` (``fnos`` maps field slugs to their numbers)."""
    steps: list[Step] = []
    for cond in conditions:
        field = cond.field
        fno = -1 if field is None else fnos.get(field.column, -1)
        negate = cond.op == "!="
        if field is None or (field.kind == Q.TEXT and cond.op == ":"):
            value = str(cond.value)
            if len(value) >= 3:
                sql = f"SELECT rowid >> {SHIFT} FROM fts WHERE fts MATCH ?"
                args: list[Any] = [_phrase(value)]
                if field is not None:
                    sql += f" AND (rowid & {MAX_FIELDS}) = ?"
                    args.append(fno)
                steps.append(Step("set", sql, tuple(args)))
            elif field is None:  # too short for trigrams: scan the text values
                sql = f"SELECT n >> {SHIFT} FROM vals WHERE txt LIKE ? ESCAPE '\\'"
                steps.append(Step("set", sql, (_like(value),)))
            else:
                steps.append(Step("value", "txt LIKE ? ESCAPE '\\'", (_like(value),), fno=fno))
        elif field.kind == Q.STAMP:
            where, args = _range(field.column, cond.op, str(cond.value), cond.end)
            steps.append(Step("customer", where, tuple(args), negate))
        else:
            if field.kind == Q.TEXT:
                where, args = "txt = ? COLLATE NOCASE", [cond.value]
            elif field.kind in (Q.NUMBER, Q.BOOLEAN):
                where, args = f"num {_CMP[cond.op]} ?", [cond.value]
            elif cond.op == ":":  # dates: contains, as text
                where, args = "day LIKE ? ESCAPE '\\'", [_like(str(cond.value))]
            else:
                where, args = _range("day", cond.op, str(cond.value), cond.end)
            steps.append(Step("value", where, tuple(args), negate, fno))
    return steps
