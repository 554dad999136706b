"""Bulk edit: set one field to one value for many customers (no Textual).

A :class:`BulkPlan` says what will happen to each customer: the field, the new value, and per
customer the value before and the ``updated_at`` seen when the plan was made, with a status
(pending, done, failed or skipped, the last two with a reason). It is saved as JSON in
``<data dir>/bulk/<plan id>.json`` (mode 0600, atomic replacement) once confirmed and while it
runs, so a run stopped by the user, by a lost connection or by a killed app can be resumed:

* :func:`apply` sends ``PUT /v2/customers/<id>`` with only the one attribute, a few at a time
  (:data:`CONCURRENCY`); the service's transport paces them to the profile's rate limit and
  retries what is safe to retry. A customer the store refuses (422, 404, 409, a 5xx or 429
  that outlasted the retries) is recorded as failed with the store's message and the run goes
  on. A lost connection or refused credentials stop the run: that customer stays pending.
* A resumed run never sends a done customer again, and reads each pending one first: one
  changed since the preview (its ``updated_at`` moved) is skipped with the reason, unless it
  already holds the new value (a write that landed just before the interruption, before the
  plan was saved), which is marked done without sending it again.
* Progress is saved at most every :data:`SAVE_INTERVAL` seconds (and when the run ends or is
  cancelled), so a large plan is not rewritten after every customer.
* A plan is run, and discarded, only under its lock (:func:`flowtui.config._files.locked`),
  held for the whole run: two flowtui processes never run the same plan at once (the second
  is told plainly, :class:`PlanError`, and is not offered a plan another process runs), and a
  run starts from the plan's file as it is then, not from a copy read before another process
  ran it.

:func:`iter_matching` walks every customer matching a search by key (``created_at``, then
id), never by offset, so "mark all matching" works past EPCC's 10,000-record offset cap; it is
the service's walk (:mod:`flowtui.api.paging`), with its requests in flight and its bounded
buffer.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import json
import secrets
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from flowtui.api.errors import (
    ApiError,
    AuthError,
    NetworkError,
    NotFoundError,
    RateLimitedError,
    ServerError,
)
from flowtui.api.models import Customer, Field
from flowtui.api.paging import CONCURRENCY as WALKS_IN_FLIGHT
from flowtui.config._files import LockTimeout, atomic_write, ensure_dir, locked
from flowtui.config.paths import data_dir
from flowtui.core import fields as F

PLAN_VERSION = 1
#: Customers written at once: the transport paces them; more would only queue there.
CONCURRENCY = 4
#: Seconds between saves of a running plan.
SAVE_INTERVAL = 0.5
#: Above this many customers "mark all matching" asks first.
MARK_ALL_ASK = 1_000
#: The store's limit on ``external_ref``.
MAX_EXTERNAL_REF = 2048
PAGE = 100
#: Requests "mark all matching" keeps in flight while it walks the store.
WALK_CONCURRENCY = WALKS_IN_FLIGHT

PENDING, DONE, FAILED, SKIPPED = "pending", "done", "failed", "skipped"
NO_CHANGE = "no change: already has this value"

#: Customer attributes bulk edit does not offer, and why.
EXCLUDED: dict[str, str] = {
    "email": "every customer's email must be unique",
    "password": "it cannot be read back, so there is nothing to preview",
}

Term = tuple[str, str, str]


class PlanError(Exception):
    """A plan file that cannot be read or written; the message is one sentence."""


class StopFlag(Protocol):
    def is_set(self) -> bool: ...


# -- the field and its value ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BulkField:
    """An attribute bulk edit can set: a core one (name, external_ref) or a custom field."""

    slug: str
    label: str
    field_type: str = "string"
    rules: tuple[dict[str, Any], ...] = ()
    required: bool = False
    core: bool = False

    @classmethod
    def from_field(cls, f: Field) -> BulkField:
        return cls(f.slug, f.name or f.slug, f.field_type, tuple(f.validation_rules), f.required)

    def hint(self) -> str:
        """What the value must be: ``"integer, 1–5"``, ``"one of morning, afternoon"``."""
        parts = [self.field_type]
        for rule in self.rules:
            kind = rule.get("type")
            if kind == "between":
                opts = rule.get("options") or {}
                parts.append(f"{opts.get('from')}–{opts.get('to')}")
            elif kind == "enum":
                options = ", ".join(_show(o) for o in (rule.get("options") or [])[:12])
                parts.append(f"one of {options}")
            elif kind in ("email", "slug", "uuid"):
                parts.append(kind)
        if self.field_type == "boolean":
            parts.append("true or false")
        if self.field_type == "date":
            parts.append("YYYY-MM-DD or YYYY-MM-DD HH:MM:SS")
        parts.append("required" if self.required else "empty clears it")
        return ", ".join(parts)

    def to_json(self) -> dict[str, Any]:
        return {
            "slug": self.slug,
            "label": self.label,
            "field_type": self.field_type,
            "rules": [dict(r) for r in self.rules],
            "required": self.required,
            "core": self.core,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BulkField:
        return cls(
            str(data["slug"]),
            str(data.get("label") or data["slug"]),
            str(data.get("field_type") or "string"),
            tuple(r for r in data.get("rules") or [] if isinstance(r, dict)),
            bool(data.get("required")),
            bool(data.get("core")),
        )


CORE_FIELDS = (
    BulkField("name", "Name", required=True, core=True),
    BulkField("external_ref", "External ref", core=True),
)


def bulk_fields(custom: Iterable[Field]) -> list[BulkField]:
    """What bulk edit offers: name and external ref, then the customers flow's value fields
    (enabled, not relationships: :meth:`ApiService.value_fields` already leaves those out)."""
    fields = list(CORE_FIELDS)
    fields += [
        BulkField.from_field(f)
        for f in custom
        if f.field_type != "relationship" and f.slug not in EXCLUDED
    ]
    return fields


def parse_value(target: BulkField, text: str) -> tuple[Any, str | None]:
    """What ``text`` means for ``target``: (value, problem). The checks are the editor's
    (:func:`flowtui.core.fields.parse_text` and :func:`~flowtui.core.fields.check_value`)."""
    value, problem = F.parse_text(target.field_type, text)
    if problem is None:
        problem = F.check_value(target.field_type, target.rules, value, required=target.required)
    if problem is None and target.slug == "external_ref" and value is not None:
        if len(value) > MAX_EXTERNAL_REF:
            problem = f"may be at most {MAX_EXTERNAL_REF:,} characters"
    return (None if problem else value), problem


def current_value(customer: Customer, slug: str) -> Any:
    return customer.value(slug)


def same_value(a: Any, b: Any) -> bool:
    """Equal and of the same JSON type (1, 1.0 and true all differ), as the editor decides."""
    return a == b and type(a) is type(b)


def _show(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


# -- the plan -------------------------------------------------------------------------------


@dataclass(slots=True)
class BulkItem:
    """One customer of a plan."""

    id: str
    name: str
    email: str
    before: Any
    updated_at: str
    status: str = PENDING
    reason: str = ""
    #: A failure worth trying again on resume (a 5xx or 429 that outlasted the retries).
    retryable: bool = False

    def as_customer(self, slug: str) -> Customer:
        """The customer as the preview saw it, as far as this plan knows it (``slug``'s value)."""
        base: dict[str, Any] = {"name": self.name, "email": self.email, "external_ref": None}
        custom: dict[str, Any] = {}
        if slug in base:
            base[slug] = self.before
        else:
            custom[slug] = self.before
        return Customer(
            id=self.id,
            name=base["name"],
            email=base["email"],
            external_ref=base["external_ref"],
            custom=custom,
            updated_at=self.updated_at,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "email": self.email,
            "before": self.before,
            "updated_at": self.updated_at,
            "status": self.status,
            "reason": self.reason,
            "retryable": self.retryable,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BulkItem:
        status = data.get("status", PENDING)
        if status not in (PENDING, DONE, FAILED, SKIPPED):
            raise ValueError(f"unknown status {status!r}")
        return cls(
            str(data["id"]),
            str(data.get("name", "")),
            str(data.get("email", "")),
            data.get("before"),
            str(data.get("updated_at", "")),
            status,
            str(data.get("reason", "")),
            bool(data.get("retryable")),
        )


@dataclass(slots=True)
class BulkPlan:
    """Set ``field`` to ``value`` for ``items`` on the store of ``profile``."""

    id: str
    profile: str
    base_url: str
    field: BulkField
    value: Any
    items: list[BulkItem]
    created_at: str = ""
    #: new (not saved yet) | ready | running | stopped | interrupted | finished | discarded
    state: str = "new"
    #: Whether a run ever started (a resumed run reads each customer before writing it).
    started: bool = False
    #: Why the last run stopped early, one sentence.
    stop_reason: str = ""
    path: Path | None = dataclasses.field(default=None, compare=False)

    # -- counts

    def count(self, status: str) -> int:
        return sum(1 for item in self.items if item.status == status)

    def counts(self) -> dict[str, int]:
        out = {PENDING: 0, DONE: 0, FAILED: 0, SKIPPED: 0}
        for item in self.items:
            out[item.status] += 1
        return out

    @property
    def to_send(self) -> list[BulkItem]:
        """The items a run would work on: pending ones and retryable failures."""
        return [
            i for i in self.items if i.status == PENDING or (i.status == FAILED and i.retryable)
        ]

    @property
    def unchanged(self) -> int:
        return sum(1 for i in self.items if i.status == SKIPPED and i.reason == NO_CHANGE)

    @property
    def unfinished(self) -> bool:
        return self.state not in ("new", "discarded") and bool(self.to_send)

    def describe(self) -> str:
        """``"set Loyalty tier to 3 for 120 customers"``."""
        noun = "customer" if len(self.items) == 1 else "customers"
        return f"set {self.field.label} to {_show(self.value)} for {len(self.items):,} {noun}"

    def summary(self) -> str:
        """``"118 changed, 2 failed, 3 unchanged (not sent), 1 skipped, 4 left"``."""
        c = self.counts()
        parts = [f"{c[DONE]:,} changed"]
        if c[FAILED]:
            parts.append(f"{c[FAILED]:,} failed")
        if self.unchanged:
            parts.append(f"{self.unchanged:,} unchanged (not sent)")
        other = c[SKIPPED] - self.unchanged
        if other:
            parts.append(f"{other:,} skipped")
        if c[PENDING]:
            parts.append(f"{c[PENDING]:,} left")
        return ", ".join(parts)

    def problems(self) -> list[BulkItem]:
        """Failed items and items skipped for a reason other than "no change"."""
        return [
            i
            for i in self.items
            if i.status == FAILED or (i.status == SKIPPED and i.reason != NO_CHANGE)
        ]

    # -- JSON

    def to_json(self) -> dict[str, Any]:
        return {
            "version": PLAN_VERSION,
            "id": self.id,
            "profile": self.profile,
            "base_url": self.base_url,
            "field": self.field.to_json(),
            "value": self.value,
            "created_at": self.created_at,
            "state": self.state,
            "started": self.started,
            "stop_reason": self.stop_reason,
            "items": [i.to_json() for i in self.items],
        }

    @classmethod
    def from_json(cls, data: Any) -> BulkPlan:
        if not isinstance(data, dict) or data.get("version") != PLAN_VERSION:
            raise ValueError("not a flowtui bulk plan (version 1)")
        return cls(
            id=str(data["id"]),
            profile=str(data["profile"]),
            base_url=str(data.get("base_url", "")),
            field=BulkField.from_json(data["field"]),
            value=data.get("value"),
            items=[BulkItem.from_json(i) for i in data["items"]],
            created_at=str(data.get("created_at", "")),
            state=str(data.get("state", "ready")),
            started=bool(data.get("started")),
            stop_reason=str(data.get("stop_reason", "")),
        )


def new_plan_id(now: dt.datetime | None = None) -> str:
    """``20261126-014512-3fa9c1``: sorts by creation time, unique enough."""
    now = now or dt.datetime.now(dt.UTC)
    return now.strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(3)


def build_plan(
    profile: str,
    base_url: str,
    target: BulkField,
    value: Any,
    customers: Sequence[Customer],
) -> BulkPlan:
    """The plan for ``customers`` (each once, in order); those that already hold ``value``
    are skipped as "no change" and never sent."""
    items: list[BulkItem] = []
    seen: set[str] = set()
    for c in customers:
        if c.id in seen:
            continue
        seen.add(c.id)
        before = current_value(c, target.slug)
        item = BulkItem(c.id, c.name, c.email, before, c.updated_at)
        if same_value(before, value):
            item.status, item.reason = SKIPPED, NO_CHANGE
        items.append(item)
    return BulkPlan(
        id=new_plan_id(),
        profile=profile,
        base_url=base_url,
        field=target,
        value=value,
        items=items,
        created_at=dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    )


# -- files ----------------------------------------------------------------------------------


def plans_dir() -> Path:
    return data_dir() / "bulk"


def plan_path(plan: BulkPlan) -> Path:
    """Where a plan is kept: plans with nothing left to do move to ``done/``, so listing the
    unfinished ones never reads the (possibly large) record of every past run."""
    finished = plan.state in ("finished", "discarded") and not plan.unfinished
    folder = plans_dir() / "done" if finished else plans_dir()
    return folder / f"{plan.id}.json"


def save_plan(plan: BulkPlan) -> Path:
    """Write the plan atomically (mode 0600); ``ready`` when it was new."""
    if plan.state == "new":
        plan.state = "ready"
    path = plan_path(plan)
    try:
        ensure_dir(plans_dir(), 0o700)
        ensure_dir(path.parent, 0o700)
        atomic_write(path, json.dumps(plan.to_json(), ensure_ascii=False).encode(), mode=0o600)
        if plan.path is not None and plan.path != path:
            plan.path.unlink(missing_ok=True)
    except OSError as exc:
        raise PlanError(f"Cannot save the bulk plan {path}: {exc.strerror or exc}") from None
    plan.path = path
    return path


def load_plan(path: Path) -> BulkPlan:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        plan = BulkPlan.from_json(data)
    except OSError as exc:
        raise PlanError(f"Cannot read the bulk plan {path}: {exc.strerror or exc}") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise PlanError(f"The bulk plan {path} is damaged ({exc}); it was left as is") from None
    plan.path = path
    return plan


@contextlib.contextmanager
def _held(plan: BulkPlan) -> Iterator[None]:
    """Hold the plan's lock (across processes), never waiting: a plan another process is
    running is that process's business until it ends."""
    try:
        with locked(plans_dir() / f"{plan.id}.json", timeout=0, what=f"the bulk plan {plan.id}"):
            yield
    except LockTimeout:
        raise PlanError(
            f"The bulk edit {plan.id} is being run by another flowtui process: wait for it to "
            "finish (or stop it there), then resume what is left."
        ) from None


def _busy(plan: BulkPlan) -> bool:
    """Whether another process holds the plan's lock (is running it)."""
    try:
        with _held(plan):
            return False
    except PlanError:
        return True


def _reread(plan: BulkPlan) -> None:
    """Bring ``plan`` up to date with its file (under its lock): another process may have run
    it, or discarded it, since it was read."""
    for path in (plans_dir() / f"{plan.id}.json", plans_dir() / "done" / f"{plan.id}.json"):
        if not path.exists():
            continue
        fresh = load_plan(path)
        if fresh.id != plan.id:
            continue
        plan.items, plan.state = fresh.items, fresh.state
        plan.started, plan.stop_reason, plan.path = fresh.started, fresh.stop_reason, path
        return


def unfinished_plans(
    profile: str, *, base_url: str | None = None, exclude: Iterable[str] = ()
) -> list[BulkPlan]:
    """The profile's plans with customers left to send (for the store at ``base_url``, when
    given), newest first. Damaged files are skipped: they are never overwritten."""
    skip = set(exclude)
    folder = plans_dir()
    if not folder.is_dir():
        return []
    plans = []
    for path in sorted(folder.glob("*.json"), reverse=True):
        with contextlib.suppress(PlanError):
            plan = load_plan(path)
            if plan.profile == profile and plan.unfinished and plan.id not in skip:
                if (base_url is None or plan.base_url == base_url) and not _busy(plan):
                    plans.append(plan)
    return plans


def discard_plan(plan: BulkPlan) -> None:
    """Keep the file as a record, but never offer it for resuming again."""
    with _held(plan):
        _reread(plan)
        plan.state = "discarded"
        save_plan(plan)


# -- applying -------------------------------------------------------------------------------

Progress = Callable[[BulkPlan, BulkItem], None]


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ApiError):
        return exc.summary
    return f"{type(exc).__name__}: {exc}"


async def apply(
    service: Any,
    plan: BulkPlan,
    progress: Progress | None = None,
    *,
    stop: StopFlag | None = None,
    concurrency: int = CONCURRENCY,
    save_interval: float = SAVE_INTERVAL,
) -> BulkPlan:
    """Send the plan's pending customers (see the module docstring); returns the plan.

    ``progress(plan, item)`` is called after each customer. Setting ``stop`` lets the
    requests in flight finish and leaves the rest pending. Refused credentials are raised
    (after saving) so the caller can log in again; everything else ends up in the plan.
    A plan another process is running, or has discarded, is a :class:`PlanError`.
    """
    with _held(plan):
        _reread(plan)
        if plan.state == "discarded":
            raise PlanError(f"The bulk edit {plan.id} was discarded: nothing was sent.")
        return await _apply(service, plan, progress, stop, concurrency, save_interval)


async def _apply(
    service: Any,
    plan: BulkPlan,
    progress: Progress | None,
    stop: StopFlag | None,
    concurrency: int,
    save_interval: float,
) -> BulkPlan:
    resumed = plan.started
    for item in plan.items:
        if item.status == FAILED and item.retryable:
            item.status, item.reason, item.retryable = PENDING, "", False
    plan.started = True
    plan.state = "running"
    plan.stop_reason = ""
    save_plan(plan)
    todo = iter([i for i in plan.items if i.status == PENDING])
    halted: list[BaseException] = []
    last_save = time.monotonic()
    slug, value = plan.field.slug, plan.value

    def finish(item: BulkItem, status: str, reason: str = "", retryable: bool = False) -> None:
        item.status, item.reason, item.retryable = status, reason, retryable

    async def check(item: BulkItem) -> bool:
        """Resumed run: read the customer first; True when it should be sent."""
        current = await service.get_customer(item.id)
        if current.updated_at == item.updated_at:
            return True
        if same_value(current_value(current, slug), value):
            finish(item, DONE, "already had the new value (written before the interruption)")
        else:
            finish(
                item,
                SKIPPED,
                f"changed on the server since the preview (updated {current.updated_at}): "
                "not overwritten",
            )
        return False

    async def one(item: BulkItem) -> None:
        try:
            if resumed and not await check(item):
                return
            # What the journal records as "before": the value the preview showed (a resumed
            # run has just checked it is still so), which spares a GET per customer.
            await service.update_customer(item.id, {slug: value}, before=item.as_customer(slug))
        except (NetworkError, AuthError) as exc:
            halted.append(exc)  # the item stays pending
            return
        except NotFoundError as exc:
            finish(item, FAILED, f"deleted on the server ({_reason(exc)})")
            return
        except ApiError as exc:
            finish(item, FAILED, _reason(exc), isinstance(exc, ServerError | RateLimitedError))
            return
        finish(item, DONE)

    async def worker() -> None:
        nonlocal last_save
        for item in todo:  # one shared iterator: each item is taken by one worker only
            if halted or (stop is not None and stop.is_set()):
                return
            await one(item)
            if item.status != PENDING and progress is not None:
                progress(plan, item)
            if time.monotonic() - last_save >= save_interval:
                last_save = time.monotonic()
                save_plan(plan)

    try:
        await asyncio.gather(*(worker() for _ in range(max(1, concurrency))))
    finally:
        if halted:
            plan.state = "interrupted"
            plan.stop_reason = f"The run stopped: {_reason(halted[0])}"
        elif plan.count(PENDING):
            plan.state = "stopped"
            plan.stop_reason = plan.stop_reason or "The run was stopped before the end."
        else:
            plan.state = "finished"
        save_plan(plan)
    if halted and isinstance(halted[0], AuthError):
        raise halted[0]
    return plan


# -- every customer matching a search --------------------------------------------------------


async def count_matching(service: Any, terms: Sequence[Term]) -> int:
    return await service.count_customers(list(terms))


def iter_matching(
    service: Any,
    terms: Sequence[Term],
    *,
    page_size: int = PAGE,
    concurrency: int = WALK_CONCURRENCY,
) -> AsyncIterator[Customer]:
    """Every customer matching ``terms`` (ANDed), oldest first, walked by key: ``created_at``
    then id for customers created in the same millisecond, never by offset, with
    ``concurrency`` requests in flight (the service's walk, :func:`.paging.walk_pages`)."""
    walk: AsyncIterator[Customer] = service.iter_customers(
        terms=list(terms), page_size=page_size, concurrency=concurrency
    )
    return walk
