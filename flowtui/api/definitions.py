"""Flow definitions kept for the session: the fields of each flow, so a form opens with no
round trip (no Textual here).

Every ``list_fields(slug)`` answer the service reads is remembered (:meth:`Definitions.saw`);
the service's own change notifications keep it current (a field created, updated or deleted
through this session is patched in; a flow changed or deleted drops what is known of it);
:meth:`Definitions.revalidate` reads a flow's fields again in the background
(stale-while-revalidate). A read that finds the fields differ from what was kept says so as a
``field`` :class:`~flowtui.api.changes.Change` (``via="read"``), so open views and forms
follow it.

:meth:`Definitions.value_fields` answers at once, without awaiting: the fields known for a
flow, or None when none were read yet this session.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterable

from flowtui.api.changes import Change
from flowtui.api.models import Field, Flow

log = logging.getLogger("flowtui.api")

#: Seconds after a read during which :meth:`Definitions.revalidate` does not read again.
FRESH_FOR = 30.0


def value_only(fields: Iterable[Field]) -> list[Field]:
    """The fields a record shows as values: enabled, not relationships (in order)."""
    return [f for f in fields if f.enabled and f.field_type != "relationship"]


def _position(field: Field) -> tuple[bool, int]:
    """Where the store lists a field: by ``order`` (unset last); ties keep their place."""
    return (field.order is None, field.order if isinstance(field.order, int) else 0)


class Definitions:
    """The fields of each flow read this session (by flow slug); see the module docstring.

    ``fetch`` reads a flow's fields from the store (the service's ``list_fields``, which
    hands its answer back through :meth:`saw`); ``emit`` tells the service's listeners."""

    def __init__(
        self, fetch: Callable[[str], Awaitable[object]], emit: Callable[[Change], None]
    ) -> None:
        self._fetch = fetch
        self._emit = emit
        self._fields: dict[str, list[Field]] = {}
        self._read_at: dict[str, float] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        #: Background reads done (tests and benchmarks read it).
        self.revalidations = 0

    # -- what is known ----------------------------------------------------------------------

    def fields(self, flow_slug: str) -> list[Field] | None:
        """Every field known for ``flow_slug`` (in order), or None when never read."""
        known = self._fields.get(flow_slug)
        return None if known is None else list(known)

    def value_fields(self, flow_slug: str = "customers") -> list[Field] | None:
        """The value fields known for ``flow_slug`` (see :func:`value_only`), or None."""
        known = self._fields.get(flow_slug)
        return None if known is None else value_only(known)

    def saw(self, flow_slug: str | None, fields: list[Field]) -> None:
        """The store just listed ``fields`` for ``flow_slug`` (none: the flow does not exist).
        When that differs from what was kept, listeners hear of it."""
        if flow_slug is None:
            return
        before = self._fields.get(flow_slug)
        self._fields[flow_slug] = list(fields)
        self._read_at[flow_slug] = time.monotonic()
        if before is not None and before != self._fields[flow_slug]:
            self._emit(Change("field", "updated", "", None, flow_slug, via="read"))

    def forget(self, flow_slug: str | None = None) -> None:
        """Drop what is known of one flow (every flow when None)."""
        if flow_slug is None:
            self._fields.clear()
            self._read_at.clear()
        else:
            self._fields.pop(flow_slug, None)
            self._read_at.pop(flow_slug, None)

    # -- following the service's changes -----------------------------------------------------

    def apply(self, change: Change) -> None:
        """Follow a change the service reported (the service's first listener)."""
        if change.resource == "flow" and change.action in ("updated", "deleted"):
            self._apply_flow(change)
        elif change.resource == "field" and change.via == "write":
            self._apply_field(change)

    def _apply_field(self, change: Change) -> None:
        slug = change.flow_slug
        if slug is None:  # a write that did not say its flow: the one holding that id
            slug = next(
                (s for s, fs in self._fields.items() if any(f.id == change.id for f in fs)), None
            )
        item = change.item if isinstance(change.item, Field) else None
        if slug is None or slug not in self._fields:
            if item is not None:  # a flow not read yet, or read under another slug
                self._forget_flow_id(item.flow_id)
            return
        kept = [f for f in self._fields[slug] if f.id != change.id]
        if change.action != "deleted" and item is not None:
            at = next((i for i, f in enumerate(self._fields[slug]) if f.id == change.id), None)
            kept.insert(len(kept) if at is None else at, item)
        kept.sort(key=_position)
        self._fields[slug] = kept

    def _apply_flow(self, change: Change) -> None:
        """A flow renamed or deleted: what was kept under its old slug is no longer true."""
        flow = change.item if isinstance(change.item, Flow) else None
        if change.action == "updated" and flow is not None and flow.slug in self._fields:
            return  # same slug: its fields did not change
        if change.flow_slug:
            self.forget(change.flow_slug)
        self._forget_flow_id(change.id)
        for slug in [s for s, fs in self._fields.items() if not fs]:
            self.forget(slug)  # no field to tell which flow it was: read it again

    def _forget_flow_id(self, flow_id: str) -> None:
        for slug, fields in list(self._fields.items()):
            if any(f.flow_id == flow_id for f in fields):
                self.forget(slug)

    # -- reading again ------------------------------------------------------------------------

    def revalidate(self, flow_slug: str, *, force: bool = False) -> asyncio.Task[None] | None:
        """Read ``flow_slug``'s fields again in the background, unless they were read less
        than :data:`FRESH_FOR` seconds ago (``force``: regardless) or a read is under way.
        Returns the task (None when nothing was started). A failed read keeps what was
        known; it is logged at debug level, never raised (a later read tries again)."""
        running = self._tasks.get(flow_slug)
        if running is not None and not running.done():
            return None
        read_at = self._read_at.get(flow_slug)
        if not force and read_at is not None and time.monotonic() - read_at < FRESH_FOR:
            return None
        task = asyncio.get_running_loop().create_task(self._revalidate(flow_slug))
        self._tasks[flow_slug] = task
        return task

    async def _revalidate(self, flow_slug: str) -> None:
        self.revalidations += 1
        try:
            await self._fetch(flow_slug)  # hands its answer to saw()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.debug("revalidating the fields of %s failed: %s", flow_slug, type(exc).__name__)
        finally:
            self._tasks.pop(flow_slug, None)

    async def aclose(self) -> None:
        """Stop the background reads (the service is closing)."""
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
