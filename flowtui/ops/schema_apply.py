"""Applying a schema plan to a store (no Textual): :func:`apply`.

Order: flows (create, update), then fields (create, update, replace), then entries (values,
then relationships, once every entry exists), then the deletes in reverse (entries, fields,
flows). Within a stage the items are independent and go out together, as many at once as
:func:`concurrency_for` says (enough to use the profile's rate at a remote store's round trip;
the service's transport paces them, so more would only queue there). Every write goes
through the service, so it is paced, retried when safe and journaled: each item can be undone
from the journal (a replace is two records, the delete and the create).

Resuming works like bulk edit (:mod:`flowtui.ops.bulk`), with the same file machinery: a 0600
state file (atomic replacement, saved at most every :data:`SAVE_INTERVAL` seconds and at the
end), held under a lock across processes for the whole run. Above all, no item is sent on
trust: the run first reads the store's flows and fields (and, for entries, the entries of the
flows concerned) and sends for each item only what still differs. An item whose write landed
just before a kill, when the state file could not record it, is found on the store and not
sent again; an item already done in an earlier run is not even looked at.

The run stops at the first failure: requests in flight finish, nothing new starts, and the
:class:`ApplyReport` says what was done, what failed (with the store's message) and what was
not attempted.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flowtui.api.errors import ApiError
from flowtui.api.models import Entry, Field, Flow
from flowtui.config._files import LockTimeout, atomic_write, ensure_dir, locked
from flowtui.config.paths import data_dir
from flowtui.core import fields as F
from flowtui.ops.bulk import CONCURRENCY, DONE, FAILED, PENDING, SAVE_INTERVAL, SKIPPED
from flowtui.ops.schema_file import FIELD_ATTRS, FLOW_ATTRS, FlowSpec, assign_keys, infer_key_field
from flowtui.ops.schema_plan import Change, Plan, PlanItem, same
from flowtui.ops.schema_pull import all_entries, entry_values, flow_spec, rel_items, store_design

STATE_VERSION = 1
REL = "relationships."

Progress = Callable[[PlanItem, str], None]


class SchemaApplyError(Exception):
    """An apply that cannot start (read-only profile, blocked plan, busy or damaged state
    file); the message is one sentence and nothing was sent."""


@dataclass
class ApplyReport:
    done: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    #: Not attempted: the run stopped first.
    skipped: list[str] = field(default_factory=list)
    #: Items found already done on the store (not sent again), and items done by an earlier run.
    already: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed and not self.skipped


def plan_digest(items: Sequence[PlanItem]) -> str:
    """Identifies a plan's content: a state file is reused only for the same plan."""
    data = [[i.key, i.action, i.before, i.after] for i in items]
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def state_dir() -> Path:
    return data_dir() / "schema"


def state_path_for(profile: str, token: str) -> Path:
    """Where the state of one apply is kept: ``token`` names what is applied (the CLI uses a
    digest of the file and its options), so the same command after a kill finds it."""
    safe = re.sub(r"[^A-Za-z0-9_-]", "_", profile) or "profile"
    return state_dir() / f"{safe}-{token[:16]}.json"


def item_to_json(item: PlanItem) -> dict[str, Any]:
    return dataclasses.asdict(item)


def item_from_json(data: dict[str, Any]) -> PlanItem:
    changes = tuple(Change(c["attr"], c["before"], c["after"]) for c in data.get("changes", []))
    return PlanItem(
        key=str(data["key"]),
        action=data["action"],
        resource=data["resource"],
        flow_slug=str(data["flow_slug"]),
        slug=data.get("slug"),
        changes=changes,
        values_lost=data.get("values_lost"),
        before=data.get("before"),
        after=data.get("after"),
    )


def load_unfinished(path: Path) -> tuple[Plan, frozenset[str]] | None:
    """The plan a stopped or killed run left in ``path`` and the keys of its items already
    done; None when there is none (or it finished). A damaged file is a
    :class:`SchemaApplyError`."""
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("version") != STATE_VERSION:
            return None
        items = tuple(item_from_json(i) for i in data["plan"])
        states = data.get("items") or {}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise SchemaApplyError(
            f"the state file {path} is damaged ({exc}); it was left as is"
        ) from None
    done = frozenset(i.key for i in items if (states.get(i.key) or {}).get("status") == DONE)
    if len(done) == len(items):
        return None
    return Plan(items, ()), done


#: The most requests an apply keeps in flight.
MAX_CONCURRENCY = 16


def concurrency_for(service: Any) -> int:
    """Requests in flight that let an apply use the profile's whole rate at a remote store's
    round trip (up to 200 ms): a fifth of the rate per second, at least bulk edit's
    :data:`CONCURRENCY` (4), at most :data:`MAX_CONCURRENCY` (16; also without pacing). At
    the default 20/s that is 4; at a production store's 100/s, 16."""
    pacer = getattr(getattr(service, "transport", None), "pacer", None)
    interval = getattr(pacer, "interval", 0.0)
    if not interval:
        return MAX_CONCURRENCY
    return max(CONCURRENCY, min(MAX_CONCURRENCY, round(0.2 / interval)))


def _selected(plan: Plan, only: Iterable[str] | None) -> list[PlanItem]:
    keys = None if only is None else set(only)
    return [i for i in plan.items if keys is None or i.key in keys]


async def apply(
    service: Any,
    plan: Plan,
    *,
    only: set[str] | None = None,
    state_path: Path | None = None,
    progress: Progress | None = None,
    concurrency: int | None = None,
) -> ApplyReport:
    """Apply ``plan`` (its items in ``only``, when given) to the store of ``service`` (see the
    module docstring); with ``state_path`` the run can be resumed after a kill. At most
    ``concurrency`` requests are in flight (default: :func:`concurrency_for`)."""
    if concurrency is None:
        concurrency = concurrency_for(service)
    if getattr(service, "read_only", False):
        raise SchemaApplyError(
            "the profile is read-only: applying a schema needs one that can write"
        )
    items = _selected(plan, only)
    blocked = [b for b in plan.blocked if any(b.startswith(i.key + ": ") for i in items)]
    if blocked:
        raise SchemaApplyError(f"the plan is blocked: {blocked[0]}")
    if state_path is None:
        return await _Run(service, items, {}, None, progress, concurrency).run()
    try:
        with locked(state_path, timeout=0, what="this schema apply"):
            state = _load_state(state_path, plan_digest(items))
            return await _Run(service, items, state, state_path, progress, concurrency).run()
    except LockTimeout:
        raise SchemaApplyError(
            "this plan is being applied by another flowtui process: wait for it to finish"
        ) from None


def _load_state(path: Path, digest: str) -> dict[str, dict[str, str]]:
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SchemaApplyError(
            f"the state file {path} cannot be read ({exc}); it was left as is"
        ) from None
    if (
        not isinstance(data, dict)
        or data.get("version") != STATE_VERSION
        or data.get("digest") != digest
    ):
        return {}  # another plan's: this run starts afresh (and replaces it)
    items = data.get("items")
    return {k: dict(v) for k, v in items.items()} if isinstance(items, dict) else {}


class _Run:
    def __init__(
        self,
        service: Any,
        items: list[PlanItem],
        state: dict[str, dict[str, str]],
        path: Path | None,
        progress: Progress | None,
        concurrency: int,
    ) -> None:
        self.service = service
        self.items = items
        self.state = state
        self.path = path
        self.progress = progress
        self.concurrency = max(1, concurrency)
        self.report = ApplyReport()
        self.stopped = False
        self.last_save = 0.0
        self.flows: dict[str, Flow] = {}
        self.fields: dict[tuple[str, str], Field] = {}
        self.entries: dict[str, dict[str, Entry]] = {}
        self.entry_locks: dict[str, asyncio.Lock] = {}
        self.emails: dict[str, str] = {}

    # -- state

    def status(self, item: PlanItem) -> str:
        return self.state.get(item.key, {}).get("status", PENDING)

    def mark(self, item: PlanItem, status: str, reason: str = "") -> None:
        self.state[item.key] = {"status": status, "reason": reason}

    def save(self, force: bool = False) -> None:
        if self.path is None or (not force and time.monotonic() - self.last_save < SAVE_INTERVAL):
            return
        self.last_save = time.monotonic()
        ensure_dir(self.path.parent, 0o700)
        body = {
            "version": STATE_VERSION,
            "digest": plan_digest(self.items),
            "plan": [item_to_json(i) for i in self.items],
            "items": self.state,
        }
        atomic_write(self.path, json.dumps(body, ensure_ascii=False).encode(), mode=0o600)

    # -- the run

    async def run(self) -> ApplyReport:
        for item in self.items:
            if self.status(item) == DONE:
                self.report.already.append(item.key)
        self.save(force=True)  # from now on a stopped run can be resumed
        try:
            flows, by_flow = await store_design(self.service)
            self.flows = {f.slug: f for f in flows}
            for flow in flows:
                for f in by_flow.get(flow.id, []):
                    self.fields[(flow.slug, f.slug)] = f

            def pick(resource: str, *actions: str) -> list[PlanItem]:
                return [i for i in self.items if i.resource == resource and i.action in actions]

            entries = pick("entry", "create", "update")
            await self.stage(pick("flow", "create", "update"), self.flow_item)
            await self.stage(pick("field", "create", "update", "replace"), self.field_item)
            await self.stage(entries, self.entry_values, final=False)
            await self.stage(entries, self.entry_relationships)
            await self.stage(pick("entry", "delete"), self.entry_delete)
            await self.stage(pick("field", "delete"), self.field_delete)
            await self.stage(pick("flow", "delete"), self.flow_delete)
        finally:
            self.save(force=True)
        done = {k for k, v in self.state.items() if v.get("status") == DONE}
        self.report.done = [i.key for i in self.items if i.key in done]
        self.report.failed = [
            (i.key, self.state[i.key].get("reason", ""))
            for i in self.items
            if self.status(i) == FAILED
        ]
        self.report.skipped = [i.key for i in self.items if self.status(i) in (PENDING, SKIPPED)]
        self.report.already = list(dict.fromkeys(self.report.already))
        return self.report

    async def stage(
        self, items: list[PlanItem], work: Callable[[PlanItem], Any], final: bool = True
    ) -> None:
        todo = iter([i for i in items if self.status(i) != DONE])

        async def worker() -> None:
            for item in todo:  # one shared iterator: each item is taken by one worker only
                if self.stopped:
                    return
                try:
                    await work(item)
                except ApiError as exc:
                    self.mark(item, FAILED, exc.summary)
                    self.stopped = True
                except _Refused as exc:
                    self.mark(item, FAILED, str(exc))
                    self.stopped = True
                else:
                    if final:
                        self.mark(item, DONE)
                if self.status(item) != PENDING and self.progress is not None:
                    self.progress(item, self.status(item))
                self.save()

        await asyncio.gather(*(worker() for _ in range(self.concurrency)))

    # -- flows

    async def flow_item(self, item: PlanItem) -> None:
        after = item.after or {}
        old = self.flows.get(item.flow_slug)
        if old is None:
            if item.action == "update":
                raise _Refused(f"the flow {item.flow_slug!r} is no longer on the store")
            self.flows[item.flow_slug] = await self.service.create_flow(
                after["name"], item.flow_slug, after["description"], after["enabled"]
            )
            return
        changes = {a: after[a] for a in FLOW_ATTRS if not same(getattr(old, a), after[a])}
        if changes:
            self.flows[item.flow_slug] = await self.service.update_flow(
                old.id, before=old, **changes
            )
        elif item.action == "create":
            self.report.already.append(item.key)

    async def flow_delete(self, item: PlanItem) -> None:
        old = self.flows.get(item.flow_slug)
        if old is not None:
            await self.service.delete_flow(old, core_confirmed=True)

    # -- fields

    def _flow(self, slug: str) -> Flow:
        flow = self.flows.get(slug)
        if flow is None:
            raise _Refused(f"the flow {slug!r} is not on the store")
        return flow

    async def field_item(self, item: PlanItem) -> None:
        after = item.after or {}
        slug = item.slug or ""
        flow = self._flow(item.flow_slug)
        old = self.fields.get((item.flow_slug, slug))
        if old is not None and old.field_type != after["field_type"]:
            if item.action != "replace":
                raise _Refused(f"its type on the store is {old.field_type}: it needs a replace")
            await self.service.delete_field(old, item.flow_slug)
            self.fields.pop((item.flow_slug, slug), None)
            old = None
        if old is None:
            attrs = {a: after[a] for a in FIELD_ATTRS}
            self.fields[(item.flow_slug, slug)] = await self.service.create_field(
                flow, slug=slug, **attrs
            )
            return
        changes = {
            a: after[a]
            for a in FIELD_ATTRS
            if a != "field_type" and not same(_field_attr(old, a), after[a])
        }
        if changes:
            self.fields[(item.flow_slug, slug)] = await self.service.update_field(
                old.id, flow_slug=item.flow_slug, before=old, **changes
            )
        elif item.action in ("create", "replace"):
            self.report.already.append(item.key)

    async def field_delete(self, item: PlanItem) -> None:
        old = self.fields.get((item.flow_slug, item.slug or ""))
        if old is not None:
            await self.service.delete_field(old, item.flow_slug)
            self.fields.pop((item.flow_slug, item.slug or ""), None)

    # -- entries

    def _spec(self, flow_slug: str) -> FlowSpec:
        flow = self._flow(flow_slug)
        fields = [f for (slug, _), f in self.fields.items() if slug == flow_slug]
        return flow_spec(flow, fields)

    async def entry_index(self, flow_slug: str) -> dict[str, Entry]:
        """The flow's entries on the store by key (read once, kept up to date)."""
        lock = self.entry_locks.setdefault(flow_slug, asyncio.Lock())
        async with lock:
            if flow_slug not in self.entries:
                spec = self._spec(flow_slug)
                rows = [
                    (i.slug or "", _values(i.after if i.after is not None else i.before))
                    for i in self.items
                    if i.resource == "entry" and i.flow_slug == flow_slug
                ]
                key_slug = infer_key_field(spec, rows)
                found = await all_entries(self.service, flow_slug)
                pairs = [(entry_values(e, spec), e) for e in found]
                self.entries[flow_slug] = dict(assign_keys(pairs, key_slug))
            return self.entries[flow_slug]

    async def entry_values(self, item: PlanItem) -> None:
        index = await self.entry_index(item.flow_slug)
        wanted = _values(item.after)
        old = index.get(item.slug or "")
        if old is None:
            index[item.slug or ""] = await self.service.create_entry(item.flow_slug, wanted)
            return
        spec = self._spec(item.flow_slug)
        have = entry_values(old, spec)
        changes = {k: v for k, v in wanted.items() if not same(have.get(k), v)}
        changes.update({k: None for k in have if k not in wanted})
        if changes:
            index[item.slug or ""] = await self.service.update_entry(
                item.flow_slug, old.id, changes, before=old
            )
        elif item.action == "create":
            self.report.already.append(item.key)

    async def entry_relationships(self, item: PlanItem) -> None:
        index = await self.entry_index(item.flow_slug)
        entry = index.get(item.slug or "")
        if entry is None:
            raise _Refused("the entry is not on the store")
        after = item.after or {}
        rel_slugs = {
            slug for (flow, slug), f in self.fields.items()
            if flow == item.flow_slug and f.field_type == "relationship" and f.enabled
        }  # fmt: skip
        for slug in sorted(rel_slugs):
            refs = after.get(REL + slug) or []
            have = rel_items(entry.relationships.get(slug))
            wanted = [await self.resolve(item.flow_slug, slug, ref) for ref in refs]
            if [(h.get("type"), h["id"]) for h in have] == wanted:
                continue
            if not wanted and not have:
                continue
            await self.service.set_relationship(item.flow_slug, entry.id, slug, wanted)

    async def resolve(self, flow_slug: str, field_slug: str, ref: str) -> tuple[str, str]:
        """A reference (an entry's key, a customer's email) as ``(type, id)`` on this store."""
        f = self.fields.get((flow_slug, field_slug))
        rule = F.relationship_rule(f.validation_rules if f is not None else ()) or {}
        to = str(rule.get("to", ""))
        if to in self.flows and F.core_resource(to) is None:
            target = (await self.entry_index(to)).get(ref)
            if target is None:
                raise _Refused(f"{field_slug}: no entry {ref!r} in the flow {to!r}")
            return to, target.id
        if to == "customer":
            if ref not in self.emails:
                customer = await self.service.customer_by_email(ref)
                if customer is None:
                    raise _Refused(f"{field_slug}: no customer with the email {ref!r}")
                self.emails[ref] = customer.id
            return "customer", self.emails[ref]
        raise _Refused(f"{field_slug}: references to {to!r} cannot be carried by key")

    async def entry_delete(self, item: PlanItem) -> None:
        index = await self.entry_index(item.flow_slug)
        old = index.pop(item.slug or "", None)
        if old is not None:
            await self.service.delete_entry(item.flow_slug, old.id, before=old)


class _Refused(Exception):
    """An item that cannot be applied as planned (the store changed, a reference is missing)."""


def _field_attr(f: Field, attr: str) -> Any:
    value = getattr(f, attr)
    return [dict(r) for r in value] if attr == "validation_rules" else value


def _values(attrs: dict[str, Any] | None) -> dict[str, Any]:
    return {k: v for k, v in (attrs or {}).items() if not k.startswith(REL)}
