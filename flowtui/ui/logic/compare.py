"""The compare view's logic (no Textual): the side-by-side rows of a schema plan, which items
are picked (with what they depend on), the preview text, and the count of an apply run.

Direction: a plan here is always ``plan(current=this store, desired=the other side)``, so
applying it makes THIS store look like the other side (profile or schema file). The text made
here is plain: the screen shows it through ``ui/widgets/safe.py`` (markup never parsed,
control characters made visible).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from flowtui.ops.schema import Plan, PlanItem

#: Attributes shown for a flow or field that is created or deleted, in this order.
FLOW_ATTRS = ("name", "description", "enabled")
FIELD_ATTRS = (
    "name",
    "field_type",
    "description",
    "required",
    "enabled",
    "default",
    "order",
    "omit_null",
    "validation_rules",
)
ABSENT = "—"


def show(value: Any) -> str:
    """A value as the plan shows it: strings quoted (so "" and " " can be told apart),
    yes/no, numbers, lists and objects written like JSON, ``(none)`` for null. Nothing is
    escaped here: the screen's one display path turns control characters into visible
    escapes (``\\x1b``), the same way as everywhere else in flowtui."""
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return _literal(value)


def _literal(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_literal(str(k))}: {_literal(v)}" for k, v in value.items()) + "}"
    return str(value)


def item_name(item: PlanItem) -> str:
    """``flow wishlists``, ``field customers.gate_code``, ``entry brands.acme``."""
    return item.title


def _pairs(item: PlanItem, side: dict[str, Any] | None) -> list[tuple[str, str]]:
    """``(attribute, shown value)`` of a created or deleted item, empty values left out."""
    if not side:
        return []
    if item.resource == "flow":
        names: Iterable[str] = FLOW_ATTRS
    elif item.resource == "field":
        names = FIELD_ATTRS
    else:
        names = sorted(side)
    return [
        (name, show(side[name]))
        for name in names
        if name in side and side[name] not in (None, "", [], (), {})
    ]


def _attrs_of(item: PlanItem, side: dict[str, Any] | None) -> list[str]:
    return [f"{name}: {value}" for name, value in _pairs(item, side)]


def values_lost_text(item: PlanItem) -> str:
    """``loses 12 stored values`` (or ``stored values are lost`` when not counted)."""
    if item.values_lost is None:
        return "its stored values are lost"
    n = item.values_lost
    return f"loses {n:,} stored value{'' if n == 1 else 's'}"


def loses_values(item: PlanItem) -> bool:
    """A replace or delete of a field or flow: the values stored under it are lost."""
    return item.action in ("replace", "delete") and item.resource != "entry"


def action_text(item: PlanItem) -> str:
    """``create``, ``update``, ``replace (loses 12 stored values)``, ``delete (…)``."""
    if loses_values(item):
        return f"{item.action} ({values_lost_text(item)})"
    return item.action


@dataclass(frozen=True)
class Row:
    """One line of the side-by-side table: this store on the left, the other on the right."""

    key: str
    action: str
    what: str
    current: str
    other: str


def short_name(item: PlanItem) -> str:
    """The item for a narrow column: fields, the most common, without the word ``field``
    (``customers.gate_code``); ``flow brands``, ``entry brands.acme``."""
    return item.title.removeprefix("field ")


def lost_note(item: PlanItem) -> str:
    """``250 values lost`` for a replace or delete of a field or flow, else ""."""
    if not loses_values(item):
        return ""
    if item.values_lost is None:
        return "values lost (not counted)"
    n = item.values_lost
    return f"{n:,} value{'' if n == 1 else 's'} lost"


def row(item: PlanItem) -> Row:
    """The side-by-side row of ``item``: the changed attributes as they are here and there
    (a created item is absent here; a deleted one is absent there). A replace shows the type
    first; what a replace or delete loses opens this store's side."""
    if item.action == "create":
        current, other = ABSENT, "; ".join(_attrs_of(item, item.after)) or "(new)"
    elif item.action == "delete":
        current, other = "; ".join(_attrs_of(item, item.before)) or "(exists)", ABSENT
    else:
        changes = sorted(item.changes, key=lambda c: c.attr != "field_type")
        current = "; ".join(f"{c.attr}: {show(c.before)}" for c in changes)
        other = "; ".join(f"{c.attr}: {show(c.after)}" for c in changes)
    if lost_note(item):
        current = f"{lost_note(item)} · {current}"
    return Row(item.key, item.action, short_name(item), current, other)


def rows(plan: Plan) -> list[Row]:
    return [row(item) for item in plan.items]


def detail_lines(item: PlanItem) -> list[str]:
    """Everything about one item, before → after, one attribute a line."""
    head = f"{action_text(item)}: {item_name(item)}"
    if item.action == "create":
        return [head] + [f"  {line}" for line in _attrs_of(item, item.after)]
    if item.action == "delete":
        return [head] + [f"  {line} → {ABSENT}" for line in _attrs_of(item, item.before)]
    return [head] + [f"  {c.attr}: {show(c.before)} → {show(c.after)}" for c in item.changes]


def preview_rows(item: PlanItem, compact: bool = False) -> list[tuple[str, str, str]]:
    """``(attribute, before, after)`` for each attribute ``item`` sets, changes or removes
    (a created item has no before, a deleted one no after). ``compact``: a created or deleted
    item in one row, its attributes together (``(new)`` / ``(all)``)."""
    if item.action == "create":
        if compact:
            return [("(new)", ABSENT, "; ".join(_attrs_of(item, item.after)))]
        return [(a, ABSENT, v) for a, v in _pairs(item, item.after)]
    if item.action == "delete":
        if compact:
            return [("(all)", "; ".join(_attrs_of(item, item.before)), ABSENT)]
        return [(a, v, ABSENT) for a, v in _pairs(item, item.before)]
    return [(c.attr, show(c.before), show(c.after)) for c in item.changes]


#: Rows past which the preview shows each created or deleted item in one row (a table of
#: thousands of rows takes seconds to build; their attributes are in the plan's detail).
PREVIEW_ROWS = 400


def preview_table(
    items: Iterable[PlanItem], limit: int = PREVIEW_ROWS
) -> list[tuple[str, str, str, str]]:
    """The preview's rows, ``(item, attribute, before, after)``, the item named on its first
    row only; created and deleted items take one row each when there would be more than
    ``limit`` rows."""
    items = list(items)
    compact = sum(len(preview_rows(i)) for i in items) > limit
    out: list[tuple[str, str, str, str]] = []
    for item in items:
        for n, (attr, before, after) in enumerate(preview_rows(item, compact)):
            out.append((f"{item.action} {short_name(item)}" if n == 0 else "", attr, before, after))
    return out


# -- picking ---------------------------------------------------------------------------------


def dependencies(plan: Plan) -> dict[str, set[str]]:
    """Item key -> the keys it cannot be applied without: a field or entry of a flow the plan
    creates needs that flow. (A flow the plan deletes is one item: its fields go with it,
    and its ``values_lost`` counts theirs.)"""
    created = {i.key for i in plan.items if i.resource == "flow" and i.action == "create"}
    needs: dict[str, set[str]] = {}
    for item in plan.items:
        flow_key = f"flow:{item.flow_slug}"
        needs[item.key] = {flow_key} if item.resource != "flow" and flow_key in created else set()
    return needs


@dataclass
class Picks:
    """Which plan items the user picked, kept consistent with their dependencies: picking
    a field (or entry) of a flow the plan creates picks the flow too, and dropping that flow
    drops its fields. Toggling costs the size of the closure, not of the plan (a plan of a
    thousand fields stays quick to pick in)."""

    plan: Plan
    keys: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.needs = dependencies(self.plan)
        self.needed_by: dict[str, set[str]] = {k: set() for k in self.needs}
        for key, needs in self.needs.items():
            for need in needs:
                self.needed_by[need].add(key)

    def _walk(self, key: str, edges: dict[str, set[str]]) -> set[str]:
        seen: set[str] = set()
        todo = [key]
        while todo:
            k = todo.pop()
            if k in seen or k not in edges:
                continue
            seen.add(k)
            todo.extend(edges[k])
        return seen

    def toggle(self, key: str) -> set[str]:
        """Pick or drop ``key`` (with what it needs / what needs it); the keys whose state
        changed (empty for a key not in the plan)."""
        before = set(self.keys)
        if key in self.keys:
            self.keys -= self._walk(key, self.needed_by)
        else:
            self.keys |= self._walk(key, self.needs)
        return before ^ self.keys

    def all(self) -> set[str]:
        """Pick every item; a second call (everything picked already) drops them all. The
        keys whose state changed."""
        before = set(self.keys)
        every = set(self.needs)
        self.keys = set() if self.keys >= every and every else every
        return before ^ self.keys

    def picked(self) -> list[PlanItem]:
        """The picked items in the plan's (dependency) order."""
        return [i for i in self.plan.items if i.key in self.keys]

    def replan(self, plan: Plan) -> Picks:
        """The same picks on a new plan (those still in it)."""
        kept = Picks(plan)
        for key in sorted(self.keys & set(kept.needs)):
            kept.keys |= kept._walk(key, kept.needs)
        return kept


# -- summaries -------------------------------------------------------------------------------


def counts(items: Iterable[PlanItem]) -> dict[str, int]:
    out = {"create": 0, "update": 0, "replace": 0, "delete": 0}
    for item in items:
        out[item.action] = out.get(item.action, 0) + 1
    return out


def counts_text(items: Iterable[PlanItem]) -> str:
    """``2 create · 1 update · 1 replace`` (only the actions present), or ``nothing``."""
    parts = [f"{n} {action}" for action, n in counts(items).items() if n]
    return " · ".join(parts) if parts else "nothing"


def lost_total(items: Iterable[PlanItem]) -> int | None:
    """Stored values the items would lose (None when some are not counted; 0 when none)."""
    total = 0
    for item in items:
        if loses_values(item):
            if item.values_lost is None:
                return None
            total += item.values_lost
    return total


def preview_lines(items: Iterable[PlanItem]) -> list[str]:
    """The preview: every picked item, before → after."""
    lines: list[str] = []
    for item in items:
        lines.extend(detail_lines(item))
    return lines


def confirm_text(items: list[PlanItem], other: str, store: str, where: str) -> tuple[str, str]:
    """The question and detail of the confirmation before applying ``items`` from ``other``
    to the profile ``store`` (``where``: its host, sandbox or live)."""
    question = f"Apply {len(items)} change{'' if len(items) == 1 else 's'} to profile {store}?"
    detail = (
        f"{counts_text(items)}, from the design of {other}, sent to {where} in order "
        "(flows, then fields, then entries), journaled; it stops at the first failure."
    )
    destructive = [i for i in items if loses_values(i)]
    if destructive:
        lost = lost_total(items)
        detail += f" {len(destructive)} replace or delete: " + (
            f"{lost:,} stored values are lost." if lost is not None else "stored values are lost."
        )
    return question, detail


@dataclass
class Progress:
    """The count of an apply run, from its ``progress(item, status)`` calls."""

    total: int
    statuses: dict[str, str] = field(default_factory=dict)

    def saw(self, item: PlanItem, status: str) -> None:
        self.statuses[item.key] = status

    @property
    def finished(self) -> int:
        return sum(1 for s in self.statuses.values() if s in ("done", "failed", "skipped"))

    def text(self) -> str:
        done = sum(1 for s in self.statuses.values() if s == "done")
        failed = sum(1 for s in self.statuses.values() if s == "failed")
        return f"{self.finished} of {self.total} · {done} done · {failed} failed"
