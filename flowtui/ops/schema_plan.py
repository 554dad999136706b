"""What it takes to turn one design into another: :func:`plan` (pure, no I/O, no Textual).

A :class:`Plan` lists :class:`PlanItem` s in dependency order: flows (create, update), then
fields (create, update, replace), then entries (create, update), then, only with ``prune``,
the deletes in reverse (entries, fields, flows). A field whose ``field_type`` differs cannot
be changed in place (the store answers 422): it is a *replace* (delete, then create), which
loses the values stored under it, so it is planned only with ``allow_replace``; without it
the plan holds it all the same and says why it is *blocked*.

Flows and fields are matched by slug, entries by key (see :mod:`.schema_file`; the key field
is inferred from the desired entries, so keys made on one store match on another).
:func:`plan_lines` renders a plan for a terminal: store text goes through
:func:`flowtui.core.textsafe.printable`, so it is shown literally, never interpreted.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from flowtui.core.textsafe import printable
from flowtui.ops.schema_file import (
    FIELD_ATTRS,
    FLOW_ATTRS,
    EntrySpec,
    FieldSpec,
    FlowSpec,
    Schema,
    assign_keys,
    canonical,
    infer_key_field,
)

Action = Literal["create", "update", "replace", "delete"]
Resource = Literal["flow", "field", "entry"]
REL = "relationships."


@dataclass(frozen=True)
class Change:
    attr: str
    before: Any
    after: Any


@dataclass(frozen=True)
class PlanItem:
    #: "flow:customers", "field:customers.gate_code", "entry:brands.acme"
    key: str
    action: Action
    resource: Resource
    flow_slug: str
    #: The field's slug, the entry's key, or None for a flow.
    slug: str | None
    changes: tuple[Change, ...] = ()
    #: Values a replace or delete loses (filled by ``count_values``; None: not counted).
    values_lost: int | None = None
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None

    @property
    def title(self) -> str:
        """``field customers.gate_code`` (raw store text: escape it before showing it)."""
        if self.resource == "flow":
            return f"flow {self.flow_slug}"
        return f"{self.resource} {self.flow_slug}.{self.slug}"


@dataclass(frozen=True)
class Plan:
    items: tuple[PlanItem, ...]
    blocked: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.items

    def count(self, action: str) -> int:
        return sum(1 for i in self.items if i.action == action)

    def item(self, key: str) -> PlanItem | None:
        return next((i for i in self.items if i.key == key), None)


def flow_key(slug: str) -> str:
    return f"flow:{slug}"


def field_key(flow_slug: str, slug: str) -> str:
    return f"field:{flow_slug}.{slug}"


def entry_key(flow_slug: str, key: str) -> str:
    return f"entry:{flow_slug}.{key}"


def same(a: Any, b: Any) -> bool:
    """Equal and of the same JSON types (1 and 1.0 and true differ, as a store keeps them)."""
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def _changes(
    before: Mapping[str, Any], after: Mapping[str, Any], attrs: Iterable[str]
) -> tuple[Change, ...]:
    return tuple(
        Change(a, before.get(a), after.get(a))
        for a in attrs
        if not same(before.get(a), after.get(a))
    )


def _flow_dict(flow: FlowSpec) -> dict[str, Any]:
    return {"slug": flow.slug, **flow.attrs()}


def _field_dict(spec: FieldSpec) -> dict[str, Any]:
    return {"slug": spec.slug, **spec.attrs()}


def _entry_dict(entry: EntrySpec) -> dict[str, Any]:
    return {
        "values": {k: v for k, v in sorted(entry.values.items()) if v is not None},
        "relationships": {k: list(v) for k, v in sorted(entry.relationships.items()) if v},
    }


def _entry_attrs(entry: EntrySpec) -> dict[str, Any]:
    flat: dict[str, Any] = dict(_entry_dict(entry)["values"])
    for slug, refs in _entry_dict(entry)["relationships"].items():
        flat[f"relationships.{slug}"] = refs
    return flat


def rekey(
    flow: FlowSpec | None, entries: Iterable[EntrySpec], key_slug: str | None
) -> list[EntrySpec]:
    """``entries`` keyed by ``key_slug`` (the key field of the other side)."""
    rows = [(e.values, e) for e in entries]
    return [
        EntrySpec(e.flow_slug, key, e.values, e.relationships)
        for key, e in assign_keys(rows, key_slug)
    ]


def plan(
    current: Schema, desired: Schema, *, prune: bool = False, allow_replace: bool = False
) -> Plan:
    """The items that make ``current`` (a store) look like ``desired`` (see the module
    docstring). Deletes are planned only with ``prune``."""
    current, desired = canonical(current), canonical(desired)
    flows: list[PlanItem] = []
    fields: list[PlanItem] = []
    entries: list[PlanItem] = []
    deletes: list[PlanItem] = []
    blocked: list[str] = []
    now = {f.slug: f for f in current.flows}
    want = {f.slug: f for f in desired.flows}
    for flow in desired.flows:
        old = now.get(flow.slug)
        after = _flow_dict(flow)
        if old is None:
            flows.append(
                PlanItem(
                    flow_key(flow.slug),
                    "create",
                    "flow",
                    flow.slug,
                    None,
                    _changes({}, after, FLOW_ATTRS),
                    None,
                    None,
                    after,
                )
            )
        else:
            before = _flow_dict(old)
            diff = _changes(before, after, FLOW_ATTRS)
            if diff:
                flows.append(
                    PlanItem(
                        flow_key(flow.slug),
                        "update",
                        "flow",
                        flow.slug,
                        None,
                        diff,
                        None,
                        before,
                        after,
                    )
                )
        for spec in flow.fields:
            prior = old.field(spec.slug) if old is not None else None
            key = field_key(flow.slug, spec.slug)
            new = _field_dict(spec)
            if prior is None:
                fields.append(
                    PlanItem(
                        key,
                        "create",
                        "field",
                        flow.slug,
                        spec.slug,
                        _changes({}, new, FIELD_ATTRS),
                        None,
                        None,
                        new,
                    )
                )
                continue
            was = _field_dict(prior)
            diff = _changes(was, new, FIELD_ATTRS)
            if not diff:
                continue
            if prior.field_type != spec.field_type:
                fields.append(
                    PlanItem(key, "replace", "field", flow.slug, spec.slug, diff, None, was, new)
                )
                if not allow_replace:
                    blocked.append(
                        f"{key}: field_type {prior.field_type} → {spec.field_type} replaces the "
                        "field and loses its stored values: it needs --allow-replace"
                    )
            else:
                fields.append(
                    PlanItem(key, "update", "field", flow.slug, spec.slug, diff, None, was, new)
                )
        if old is not None and prune:
            for prior in old.fields:
                if flow.field(prior.slug) is None:
                    deletes.append(
                        PlanItem(
                            field_key(flow.slug, prior.slug),
                            "delete",
                            "field",
                            flow.slug,
                            prior.slug,
                            (),
                            None,
                            _field_dict(prior),
                            None,
                        )
                    )
    replaced = {(i.flow_slug, i.slug or "") for i in fields if i.action == "replace"}
    entries, entry_deletes = _plan_entries(current, desired, now, want, prune, replaced)
    flow_deletes = [
        PlanItem(
            flow_key(old.slug), "delete", "flow", old.slug, None, (), None, _flow_dict(old), None
        )
        for old in current.flows
        if prune and old.slug not in want
    ]
    # deletes in reverse dependency order: entries, fields, flows
    items = flows + fields + entries + list(reversed(entry_deletes)) + list(reversed(deletes))
    items += list(reversed(flow_deletes))
    return Plan(tuple(items), tuple(blocked))


def _plan_entries(
    current: Schema,
    desired: Schema,
    now: Mapping[str, FlowSpec],
    want: Mapping[str, FlowSpec],
    prune: bool,
    replaced: set[tuple[str, str]],
) -> tuple[list[PlanItem], list[PlanItem]]:
    """Entry items, per flow the desired file carries entries for (a file without entries
    plans none; with ``prune``, a carried flow's other entries are deleted). The values of a
    replaced field are taken as gone (the replace loses them), so the file's are sent again."""
    items: list[PlanItem] = []
    deletes: list[PlanItem] = []
    carried = sorted({e.flow_slug for e in desired.entries})
    for flow_slug in carried:
        flow = want.get(flow_slug)
        wanted = [e for e in desired.entries if e.flow_slug == flow_slug]
        key_slug = infer_key_field(flow, ((e.key, e.values) for e in wanted))
        present = rekey(
            now.get(flow_slug), (e for e in current.entries if e.flow_slug == flow_slug), key_slug
        )
        have = {e.key: e for e in present}
        for entry in wanted:
            key = entry_key(flow_slug, entry.key)
            after = _entry_attrs(entry)
            old = have.get(entry.key)
            if old is None:
                items.append(
                    PlanItem(
                        key,
                        "create",
                        "entry",
                        flow_slug,
                        entry.key,
                        _changes({}, after, sorted(after)),
                        None,
                        None,
                        after,
                    )
                )
                continue
            before = _entry_attrs(old)
            attrs = sorted(set(before) | set(after))
            diff = tuple(
                Change(a, before.get(a), after.get(a))
                for a in attrs
                if not same(before.get(a), after.get(a))
                or (after.get(a) is not None and (flow_slug, a.removeprefix(REL)) in replaced)
            )
            if diff:
                items.append(
                    PlanItem(
                        key, "update", "entry", flow_slug, entry.key, diff, None, before, after
                    )
                )
        if prune:
            keys = {e.key for e in wanted}
            for old in present:
                if old.key not in keys:
                    deletes.append(
                        PlanItem(
                            entry_key(flow_slug, old.key),
                            "delete",
                            "entry",
                            flow_slug,
                            old.key,
                            (),
                            None,
                            _entry_attrs(old),
                            None,
                        )
                    )
    return items, deletes


# -- showing a plan ----------------------------------------------------------------------------

SIGNS = {"create": "+", "update": "~", "replace": "-/+", "delete": "-"}


def show(value: Any) -> str:
    """A value as one line of terminal-safe text (strings quoted, so "" and spaces show)."""
    if value is None:
        return "(none)"
    return printable(json.dumps(value, ensure_ascii=False))


def plan_lines(plan: Plan) -> list[str]:
    """The plan as text: one line per item, then one per changed attribute
    (``before → after``); store text escaped (:func:`printable`)."""
    lines: list[str] = []
    for item in plan.items:
        head = f"{SIGNS[item.action]} {item.action} {printable(item.title)}"
        if item.resource == "field" and item.action == "create" and item.after:
            head += f" ({printable(str(item.after.get('field_type')))})"
        if item.action in ("replace", "delete") and item.resource != "entry":
            lost = item.values_lost
            head += (
                f" (loses {lost:,} stored values)"
                if lost is not None
                else " (values lost: not counted)"
            )
        lines.append(head)
        if item.action in ("create", "delete"):
            continue
        for change in item.changes:
            lines.append(
                f"    {printable(change.attr)}: {show(change.before)} → {show(change.after)}"
            )
    return lines


def summary(plan: Plan) -> str:
    """``"3 to create, 1 to update, 1 to replace, 0 to delete"`` or ``"Nothing to do."``."""
    if plan.empty:
        return "Nothing to do: the store matches."
    counts = [f"{plan.count(a)} to {a}" for a in ("create", "update", "replace", "delete")]
    return "Plan: " + ", ".join(counts) + "."
