"""The journal: every write flowtui makes, one JSON line each, in a local file (no Textual).

One file for all profiles (``data_dir()/journal.jsonl``, mode 0600); each record names its
profile. A record holds the time (ISO 8601, UTC), the profile, the resource (customer, flow,
field, entry, address), the flow slug of fields and entries, the customer id of an address
(``customer_id``), the record's id, the action (created,
updated, deleted; ``reordered`` for a flow's field order), the changed attributes before and
after, ``undo_of`` (the seq of the record an undo reverts) and ``seq`` (1, 2, 3 … in the file).
Passwords and other secrets are never written: keys in :data:`SECRET_KEYS` are dropped and
named in ``unrecorded`` instead.

Appends are one ``write()`` of one whole line, flushed and fsynced, under a lock (a thread
lock and, where the OS has one, an exclusive ``flock`` on the file), so concurrent writers
never interleave and a crash leaves at worst a torn last line, which readers skip and the next
append terminates first.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import threading
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, NotRequired, TypedDict, cast

from flowtui.api.recording import wait_written
from flowtui.config._files import ensure_dir
from flowtui.config.paths import data_dir

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

JOURNAL_FILE = "journal.jsonl"
#: Attribute keys whose values never reach the journal.
SECRET_KEYS = frozenset({"password", "client_secret", "secret", "token", "access_token"})
_BLOCK = 64 * 1024
_LOCK = threading.Lock()

Clock = Callable[[], dt.datetime]


class JournalRecord(TypedDict):
    """One line of the journal. ``resource`` is customer, flow, field, entry or address;
    ``action`` is created, updated, deleted or (a flow's field order) reordered.
    ``before``/``after`` hold the attributes the write changed (None for a create's before
    and a delete's after)."""

    time: str
    profile: str
    resource: str
    flow_slug: str | None
    id: str
    action: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    #: The seq of the record this write undid.
    undo_of: int | None
    #: 1, 2, 3 … in the file.
    seq: int
    #: Keys the write changed but the journal never holds (passwords, secrets).
    unrecorded: NotRequired[list[str]]
    note: NotRequired[str]
    #: The customer an address belongs to (address records only).
    customer_id: NotRequired[str]
    #: Added when reading: the seq of the record that undid this one, or None.
    undone_by: NotRequired[int | None]


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _pread(fd: int, size: int, offset: int) -> bytes:
    """``size`` bytes at ``offset`` (``os.pread`` is not on every platform)."""
    os.lseek(fd, offset, os.SEEK_SET)
    return os.read(fd, size)


def scrub(attrs: dict[str, Any] | None) -> tuple[dict[str, Any] | None, list[str]]:
    """``attrs`` without secret keys, and the secret keys that were dropped."""
    if attrs is None:
        return None, []
    kept = {k: v for k, v in attrs.items() if k not in SECRET_KEYS}
    dropped = sorted(k for k in attrs if k in SECRET_KEYS)
    return kept, dropped


class Journal:
    """Appends records to, and reads them back from, one JSONL file."""

    def __init__(self, path: str | os.PathLike[str] | None = None, *, clock: Clock = _utcnow):
        self.path = Path(path) if path is not None else data_dir() / JOURNAL_FILE
        self.clock = clock
        #: The path as shown to the user (the home folder as ``~``).
        self.display_name = str(self.path)
        with contextlib.suppress(RuntimeError, ValueError):
            self.display_name = "~/" + str(self.path.relative_to(Path.home()))

    def __repr__(self) -> str:
        return f"Journal({str(self.path)!r})"

    # -- writing ------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _locked(self) -> Iterator[int]:
        ensure_dir(self.path.parent, 0o700)  # as the credentials' folder
        with _LOCK:
            fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                if fcntl is not None:
                    fcntl.flock(fd, fcntl.LOCK_EX)
                yield fd
            finally:
                os.close(fd)  # closing releases the flock

    def append(
        self,
        *,
        profile: str,
        resource: str,
        id: str,
        action: str,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
        flow_slug: str | None = None,
        undo_of: int | None = None,
        unrecorded: list[str] | None = None,
        note: str | None = None,
        customer_id: str | None = None,
    ) -> JournalRecord:
        """Write one record (secrets dropped); returns it with its ``time`` and ``seq``."""
        before, dropped_b = scrub(before)
        after, dropped_a = scrub(after)
        hidden = sorted(set(dropped_b) | set(dropped_a) | set(unrecorded or ()))
        stamp = self.clock().astimezone(dt.UTC).isoformat(timespec="seconds")
        with self._locked() as fd:
            last, torn = self._tail(fd)
            record: JournalRecord = {
                "time": stamp,
                "profile": profile,
                "resource": resource,
                "flow_slug": flow_slug,
                "id": id,
                "action": action,
                "before": before,
                "after": after,
                "undo_of": undo_of,
                "seq": (last["seq"] if last else 0) + 1,
            }
            if hidden:
                record["unrecorded"] = hidden
            if note:
                record["note"] = note
            if customer_id is not None:
                record["customer_id"] = customer_id
            line = json.dumps(_written(record), ensure_ascii=False, default=str) + "\n"
            data = ("\n" if torn else "") + line
            os.write(fd, data.encode("utf-8"))
            os.fsync(fd)
        with contextlib.suppress(OSError):
            os.chmod(self.path, 0o600)
        return record

    def _tail(self, fd: int) -> tuple[JournalRecord | None, bool]:
        """The last whole record, and whether the file ends in a torn line (no newline)."""
        size = os.fstat(fd).st_size
        if size == 0:
            return None, False
        torn = _pread(fd, 1, size - 1) != b"\n"
        for record in self._backwards(fd, size):
            return record, torn
        return None, torn

    # -- reading ------------------------------------------------------------------------------

    @staticmethod
    def _parse(line: bytes) -> JournalRecord | None:
        try:
            record = json.loads(line)
        except ValueError:
            return None
        if not isinstance(record, dict) or not isinstance(record.get("seq"), int):
            return None
        # A line with an int seq is taken as a record; readers use .get() for the rest, so a
        # line written by an older or newer flowtui is still shown.
        return cast(JournalRecord, record)

    def _backwards(self, fd: int, size: int) -> Iterator[JournalRecord]:
        """Every readable record from the end of the file to its start (malformed lines are
        skipped), reading blocks from the end so the newest come without reading it all."""
        end = size
        rest = b""
        block = 4096  # the last record is usually in the last few KB: start small, then grow
        while end > 0:
            start = max(0, end - block)
            block = min(block * 4, _BLOCK)
            chunk = _pread(fd, end - start, start) + rest
            end = start
            lines = chunk.split(b"\n")
            rest = lines[0] if end > 0 else b""
            complete = lines[1:] if end > 0 else lines
            for line in reversed(complete):
                if line.strip():
                    record = self._parse(line)
                    if record is not None:
                        yield record

    def records(self) -> Iterator[JournalRecord]:
        """Every record, newest first (all profiles), the ones handed to the journal's thread
        and not yet written included: it waits for them (a save's record is written after
        its editor closed; an undo pressed at once must find it)."""
        wait_written()
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            return
        try:
            yield from self._backwards(fd, os.fstat(fd).st_size)
        finally:
            os.close(fd)

    def entries(self, profile: str | None = None, limit: int | None = 500) -> list[JournalRecord]:
        """The newest ``limit`` records (of ``profile`` when given), newest first; each gains
        ``undone_by``: the seq of the record that undid it, or None."""
        out: list[JournalRecord] = []
        undone: dict[int, int] = {}
        for record in self.records():
            if profile is not None and record.get("profile") != profile:
                continue
            undo_of = record.get("undo_of")
            if isinstance(undo_of, int):
                undone.setdefault(undo_of, record["seq"])
            record["undone_by"] = undone.get(record["seq"])
            out.append(record)
            if limit is not None and len(out) >= limit:
                break
        return out

    def find(self, seq: int) -> JournalRecord | None:
        """The record with ``seq`` (with ``undone_by`` set), or None."""
        undone_by = None
        for record in self.records():
            if record.get("undo_of") == seq:
                undone_by = record["seq"]
            if record["seq"] == seq:
                record["undone_by"] = undone_by
                return record
            if record["seq"] < seq:
                return None
        return None

    def last_change(self, profile: str) -> JournalRecord | None:
        """The newest record of ``profile`` that is neither undone nor itself an undo."""
        undone: set[int] = set()
        for record in self.records():
            if record.get("profile") != profile:
                continue
            undo_of = record.get("undo_of")
            if isinstance(undo_of, int):
                undone.add(undo_of)
                continue
            if record["seq"] not in undone:
                record["undone_by"] = None
                return record
        return None


def readable(recorder: object) -> Journal | None:
    """The journal a service writes to, when it is one that can be read back (a service may
    be given any ``WriteRecorder``, or none)."""
    return recorder if isinstance(recorder, Journal) else None


def _short(value: Any, limit: int = 40) -> str:
    if isinstance(value, list) and value and all(isinstance(i, dict) and "id" in i for i in value):
        value = ", ".join(str(i["id"])[:8] for i in value)  # relationship items: their ids
    elif value == []:
        value = "(none)"
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _attrs(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


_NONE = (None, "")


def summary(record: Mapping[str, Any]) -> str:
    """A short plain-text "before → after" of a record (the caller makes it safe to show)."""
    before, after = _attrs(record.get("before")), _attrs(record.get("after"))
    action = record.get("action")
    if action == "reordered":
        return f"order of {len(after)} field(s): " + ", ".join(
            f"{_short(before.get(k), 6)} → {_short(v, 6)}" for k, v in after.items()
        )
    # Attributes without a value (null, or an address's empty text) are left out.
    if action == "created":
        return "new: " + ", ".join(f"{k}={_short(v)}" for k, v in after.items() if v not in _NONE)
    if action == "deleted":
        return "was: " + ", ".join(f"{k}={_short(v)}" for k, v in before.items() if v not in _NONE)
    parts = [f"{k}: {_short(before.get(k))} → {_short(v)}" for k, v in after.items()]
    hidden = record.get("unrecorded") or []
    parts += [f"{k} changed (not recorded)" for k in hidden]
    return "; ".join(parts) or "(nothing recorded)"


def when(record: Mapping[str, Any]) -> str:
    """The record's time as ``2026-01-02 03:04:05`` (UTC)."""
    text = str(record.get("time", ""))
    return text.replace("T", " ").removesuffix("+00:00")


def _written(record: JournalRecord) -> dict[str, Any]:
    """``record`` in the order its keys are written (``seq`` last, as always)."""
    line: dict[str, Any] = {k: v for k, v in record.items() if k != "seq"}
    line["seq"] = record["seq"]
    return line
