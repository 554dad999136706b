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
import glob
import json
import os
import sqlite3
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from flowtui.api.changes import Change, Listener
from flowtui.api.models import Customer, Field
from flowtui.config.paths import index_file
from flowtui.index import query as Q
from flowtui.index.plan import Step, plan_conditions
from flowtui.index.writer import (
    INDEXES,
    SCHEMA_VERSION,
    SHIFT,
    TABLES,
    IndexBuilder,
    IndexWriter,
    open_db,
    remove_index,
)

DEFAULT_LIMIT = 100


def index_path(profile: str) -> Path:
    """Where the index of ``profile`` lives."""
    return index_file(profile)


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


class CustomerIndex(IndexWriter):
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
        except sqlite3.OperationalError:
            raise  # busy (another process writes it), or unreadable: never a reason to delete
        except sqlite3.DatabaseError:
            # Not a database, or one of another layout: it is a cache, so start again.
            remove_index(self.path)
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
            if not _prepare(db):
                # Another layout (an older flowtui): it is a cache, so start again.
                db.close()
                remove_index(self.path)
                db = _connect(self.path)
                if not _prepare(db):
                    raise sqlite3.DatabaseError(f"{self.path} holds another layout")
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
        """A fresh index file of its own beside this one; :meth:`install` puts it in place.

        Called under the index's lock (:func:`flowtui.index.sync.sync_lock`), so no other
        build is running: what earlier builds left behind (a process killed half-way) is
        removed first.
        """
        for stale in self.path.parent.glob(f"{glob.escape(self.path.name)}.*building"):
            remove_index(stale)
        fd, name = tempfile.mkstemp(
            prefix=f"{self.path.name}.", suffix=".building", dir=self.path.parent
        )
        os.close(fd)
        return IndexBuilder(Path(name), fields)

    def install(self, builder: IndexBuilder) -> None:
        """Replace this index by what ``builder`` built (already finished).

        The file is renamed over the old one while this connection holds the old one's
        exclusive lock, so no other process is half-way through writing it (its rollback
        journal would otherwise look like the new file's). The index keeps a rollback journal
        rather than a write-ahead log for the same reason: a connection to the replaced file
        closing later would delete the new file's log by name. Other processes notice the new
        file at their next call and reopen.
        """
        if not builder.finished:
            builder.discard()
            raise RuntimeError("an unfinished index build cannot replace the index")
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

    def get(self, customer_id: str) -> Customer | None:
        with self.lock:
            self._current()
            row = self.db.execute(
                "SELECT raw FROM customers WHERE id = ?", (customer_id,)
            ).fetchone()
        return Customer.parse(json.loads(row[0])) if row else None

    # -- following changes ------------------------------------------------------------------

    def apply_change(self, change: Change) -> None:
        """Follow a service :class:`~flowtui.api.changes.Change`: customers flowtui itself
        created, updated or deleted show in the index at once."""
        if change.resource != "customer":
            return
        if change.action == "deleted":
            self.delete_ids([change.id])
        elif isinstance(change.item, Customer):
            self.upsert([change.item])

    def follow(self, subscribe: Callable[[Listener], Callable[[], None]]) -> Callable[[], None]:
        """Follow a service's changes (``subscribe`` is its
        :meth:`~flowtui.api.service.ApiService.subscribe`); returns the unsubscribe function."""
        return subscribe(self.apply_change)


def _connect(path: Path) -> sqlite3.Connection:
    db = open_db(path)
    try:
        db.execute("PRAGMA journal_mode = DELETE")
        db.execute("PRAGMA synchronous = NORMAL")
        db.execute("PRAGMA cache_size = -16384")
    except BaseException:
        db.close()
        raise
    return db


def _schema(db: sqlite3.Connection) -> str | None:
    """The layout version of the file (None: no meta table, or no version in it)."""
    if not db.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'"
    ).fetchone():
        return None
    row = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
    return None if row is None else str(row[0])


def _prepare(db: sqlite3.Connection) -> bool:
    """Make sure the file has this version's layout, creating it in an empty file; False when
    it holds something else. The check and the creation are one write transaction, so two
    processes opening a new index at once create it once (neither mistakes the other's
    half-made tables for a foreign file)."""
    if _schema(db) == str(SCHEMA_VERSION):
        return True
    db.execute("BEGIN IMMEDIATE")
    try:
        version = _schema(db)
        empty = not db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        if version != str(SCHEMA_VERSION) and empty:
            for statement in _statements(TABLES + INDEXES):
                db.execute(statement)
            db.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema', ?)",
                (str(SCHEMA_VERSION),),
            )
            version = str(SCHEMA_VERSION)
        db.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            db.execute("ROLLBACK")
        raise
    return version == str(SCHEMA_VERSION)


def _statements(script: str) -> Iterator[str]:
    """The SQL statements of ``script`` one by one (``executescript`` would commit)."""
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            yield pending.strip()
            pending = ""
    if pending.strip():
        yield pending.strip()


def _created_window(lo: str | None, hi: str | None) -> tuple[str, list[str]]:
    parts, args = [], []
    if lo is not None:
        parts.append("created_at >= ?")
        args.append(lo)
    if hi is not None:
        parts.append("created_at < ?")
        args.append(hi)
    return (" WHERE " + " AND ".join(parts) if parts else ""), args
