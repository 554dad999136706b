"""Recording the service's writes (no Textual): what the service needs of a journal, and what
it records of each model.

The service knows no journal class: anything with :meth:`WriteRecorder.append` will do
(:class:`flowtui.ops.journal.Journal` is the real one, wired in by
:func:`flowtui.ops.connect.service_for`).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import contextvars
import functools
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol, cast

from flowtui.api.models import ADDRESS_ATTRS, Address, Customer, Entry, Field, Flow

#: The journal seq an undo in progress reverts (its writes are journaled with ``undo_of``).
_UNDO_OF: contextvars.ContextVar[int | None] = contextvars.ContextVar("undo_of", default=None)


class WriteRecorder(Protocol):
    """What the service needs of a journal: appending one record per successful write."""

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
    ) -> object:
        """Write one record (what it returns is not used)."""
        ...


@contextlib.contextmanager
def undoing(seq: int) -> Iterator[None]:
    """Within this block (this task only), writes are recorded as undoing ``seq``."""
    token = _UNDO_OF.set(seq)
    try:
        yield
    finally:
        _UNDO_OF.reset(token)


class _Writer:
    """The one thread that appends journal records, in the order they were handed over.

    A record is handed over (:meth:`submit`) on the event loop in the same step that parsed
    the store's answer, before any listener hears of the change; from then on its append
    needs nothing of the loop or the UI. The thread belongs to a
    :class:`~concurrent.futures.ThreadPoolExecutor`, whose threads are joined at interpreter
    exit after running what was queued: a session that quits, or whose UI fails, right after
    a write still journals it. (Only a process killed outright loses a record, as it could
    between the store's answer and the append before.) Readers that must see every record
    handed over (undo, the journal screen) call :meth:`wait` first."""

    def __init__(self) -> None:
        self._executor: ThreadPoolExecutor | None = None
        self._pending = 0
        self._idle = threading.Condition()

    def submit(self, append: Callable[[], object]) -> concurrent.futures.Future[str | None]:
        """Queue ``append``; the future gives None, or why it failed (it never raises)."""
        if self._executor is None:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix="flowtui-journal")
        with self._idle:
            self._pending += 1
        try:
            return self._executor.submit(self._run, append)
        except RuntimeError:  # the interpreter is shutting down: no new thread, append here
            here: concurrent.futures.Future[str | None] = concurrent.futures.Future()
            here.set_result(self._run(append))
            return here

    def _run(self, append: Callable[[], object]) -> str | None:
        try:
            append()
            return None
        except Exception as exc:  # the write stands whatever went wrong here
            return f"The change was made but not journaled ({type(exc).__name__}: {exc})."
        finally:
            with self._idle:
                self._pending -= 1
                self._idle.notify_all()

    def wait(self, timeout: float = 30.0) -> bool:
        """Block until every record handed over is appended (False: ``timeout`` passed)."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)


WRITER = _Writer()


def wait_written(timeout: float = 30.0) -> bool:
    """Block until every journal record handed over so far is written (readers call it)."""
    return WRITER.wait(timeout)


def start_write(
    recorder: WriteRecorder,
    *,
    profile: str,
    resource: str,
    action: str,
    id: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    flow_slug: str | None = None,
    unrecorded: list[str] | None = None,
    on_error: Callable[[str], None] | None = None,
    customer_id: str | None = None,
) -> asyncio.Future[None]:
    """Hand the record of a write that succeeded to the journal's thread (it fsyncs) and
    return at once; the returned future is done once the record is written (awaiting it is
    optional: the append happens either way). A recorder that fails does not make the write
    look failed: ``on_error`` hears one sentence instead, on the event loop.
    ``customer_id`` names the customer of a sub-resource (an address); only then is it
    passed on, so a recorder that predates it still works for everything else."""
    extra: dict[str, Any] = {"customer_id": customer_id} if customer_id is not None else {}
    append = functools.partial(
        recorder.append,
        profile=profile,
        resource=resource,
        id=id,
        action=action,
        before=before,
        after=after,
        flow_slug=flow_slug,
        undo_of=_UNDO_OF.get(),  # read here: the caller's task says whether it undoes
        unrecorded=unrecorded,
        **extra,
    )
    done = asyncio.wrap_future(WRITER.submit(append))

    def told(future: asyncio.Future[str | None]) -> None:
        text = None if future.cancelled() else future.result()
        if text is not None and on_error is not None:
            with contextlib.suppress(Exception):
                on_error(text)

    done.add_done_callback(told)
    # Cancelling the caller's wait must not cancel an append still queued.
    return cast("asyncio.Future[None]", asyncio.shield(done))


def customer_attrs(customer: Customer) -> dict[str, Any]:
    """What the journal keeps of a customer: its writable attributes and custom values."""
    return {
        "name": customer.name,
        "email": customer.email,
        "external_ref": customer.external_ref,
        **customer.custom,
    }


def address_attrs(address: Address) -> dict[str, Any]:
    """What the journal keeps of an address: its base attributes and custom values (its
    customer is the record's ``customer_id``)."""
    return {**{key: getattr(address, key) for key in ADDRESS_ATTRS}, **address.custom}


def flow_attrs(flow: Flow) -> dict[str, Any]:
    """What the journal keeps of a flow."""
    return {
        "name": flow.name,
        "slug": flow.slug,
        "description": flow.description,
        "enabled": flow.enabled,
    }


def field_attrs(field: Field) -> dict[str, Any]:
    """What the journal keeps of a field (its type included, though it cannot change)."""
    return {
        "name": field.name,
        "slug": field.slug,
        "field_type": field.field_type,
        "description": field.description,
        "required": field.required,
        "default": field.default,
        "enabled": field.enabled,
        "order": field.order,
        "omit_null": field.omit_null,
        "validation_rules": list(field.validation_rules),
        "flow_id": field.flow_id,
    }


def entry_attrs(entry: Entry) -> dict[str, Any]:
    """What the journal keeps of an entry: its values and (as ``relationships.<slug>``) its
    non-empty relationships."""
    attrs = dict(entry.values)
    for slug, value in entry.relationships.items():
        items = relationship_items(value)
        if items:
            attrs[f"relationships.{slug}"] = items
    return attrs


def relationship_items(value: Any) -> list[dict[str, str]]:
    """A relationship's data (None, one item or a list) as a list of ``{type, id}``."""
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return [
        {"type": str(i.get("type")), "id": str(i.get("id"))} for i in items if isinstance(i, dict)
    ]


def diff(
    keys: Iterable[str], before: Callable[[str], Any], after: Callable[[str], Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The values of ``keys`` before and after a write, as two dicts."""
    keys = list(keys)
    return {k: before(k) for k in keys}, {k: after(k) for k in keys}
