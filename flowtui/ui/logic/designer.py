"""The logic of the flow and field designer, free of Textual and I/O.

The designer's forms hold text; these functions turn that text into what the store expects
(validation rules, defaults, the changes of an update, a new field order) and say what is
wrong, using the very checks of :mod:`flowtui.core.fields` that the sandbox enforces.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from flowtui.core import fields as F

STRING_FORMATS: tuple[str, ...] = ("none", "email", "slug", "uuid")
CARDINALITIES: tuple[str, ...] = ("one-to-one", "one-to-many")
#: Singular types a relationship may point at besides custom flows.
RELATIONSHIP_TARGETS: tuple[str, ...] = ("customer", "product", "order", "account", "address")

#: Which parts of the rule editor each field type shows.
RULE_PARTS: dict[str, tuple[str, ...]] = {
    "string": ("format", "enum"),
    "integer": ("between", "enum"),
    "float": ("between", "enum"),
    "date": ("enum",),
    "boolean": (),
    "relationship": ("relationship",),
}


class FlowLike(Protocol):
    # Read-only members, so frozen models (api.models.Flow, Field) match.
    @property
    def id(self) -> str: ...
    @property
    def slug(self) -> str: ...


class FieldLike(Protocol):
    """What the designer's helpers read of a field (a :class:`Field`, or a test's stand-in)."""

    @property
    def id(self) -> str: ...

    @property
    def slug(self) -> str: ...

    @property
    def order(self) -> int | None: ...


FieldT = TypeVar("FieldT", bound=FieldLike)


@dataclass(frozen=True)
class RuleInputs:
    """What the rule editor holds, as typed."""

    enum_text: str = ""
    string_format: str = "none"
    between_from: str = ""
    between_to: str = ""
    cardinality: str = "one-to-one"
    target: str = ""


_SPLIT = re.compile(r"[,\n]")


def parse_options(field_type: str, text: str) -> tuple[list[Any], str | None]:
    """Enum options typed as a comma- or line-separated list, parsed for the field type.

    Blank items are skipped, surrounding spaces dropped, duplicates refused.
    """
    items = [part.strip() for part in _SPLIT.split(text)]
    items = [item for item in items if item]
    options: list[Any] = []
    for item in items:
        value, problem = F.parse_text(field_type, item)
        if problem:
            return [], f"option {item!r} {problem}"
        problem = F.value_problem(field_type, [], value)
        if problem:
            return [], f"option {item!r} {problem}"
        if value in options:
            return [], f"option {item!r} is listed twice"
        options.append(value)
    return options, None


def build_rules(field_type: str, inputs: RuleInputs) -> tuple[list[dict[str, Any]], list[str]]:
    """The ``validation_rules`` the rule editor describes, and every problem with them."""
    parts = RULE_PARTS.get(field_type, ())
    raw: list[dict[str, Any]] = []
    problems: list[str] = []
    if "format" in parts and inputs.string_format not in ("none", ""):
        raw.append({"type": inputs.string_format})
    if "between" in parts:
        lo, hi = inputs.between_from.strip(), inputs.between_to.strip()
        if lo or hi:
            if not (lo and hi):
                problems.append("between needs both from and to")
            else:
                lo_v, lo_p = F.parse_text(field_type, lo)
                hi_v, hi_p = F.parse_text(field_type, hi)
                if lo_p or hi_p:
                    problems.append(f"between: from and to {lo_p or hi_p}")
                else:
                    raw.append({"type": "between", "options": {"from": lo_v, "to": hi_v}})
    if "enum" in parts and inputs.enum_text.strip():
        options, problem = parse_options(field_type, inputs.enum_text)
        if problem:
            problems.append(problem)
        elif options:
            raw.append({"type": "enum", "options": options})
    if "relationship" in parts:
        target = inputs.target.strip()
        if not target:
            problems.append("a relationship needs a target: a type such as customer, or a flow")
        else:
            raw.append({"type": inputs.cardinality, "to": target})
    if problems:
        return [], problems
    rules, rule_problems = F.normalise_rules(field_type, raw)
    return rules, [_plain(p) for p in rule_problems]


def _plain(problem: str) -> str:
    """``validation_rules[0]: x`` -> ``x`` (the editor has no indices to show)."""
    return re.sub(r"^validation_rules\[\d+\]:\s*", "", problem)


def rules_to_inputs(field_type: str, rules: Iterable[dict[str, Any]]) -> RuleInputs:
    """The rule editor's contents for existing rules (the inverse of :func:`build_rules`)."""
    values: dict[str, str] = {}
    for rule in rules:
        kind = _kind(rule)
        if kind == "enum":
            values["enum_text"] = ", ".join(_option_text(o) for o in _enum_options(rule))
        elif kind in ("email", "slug", "uuid"):
            values["string_format"] = kind
        elif kind == "between":
            opts = _bounds(rule)
            values["between_from"] = _option_text(opts.get("from"))
            values["between_to"] = _option_text(opts.get("to"))
        elif kind in CARDINALITIES:
            values["cardinality"] = kind
            values["target"] = str(rule.get("to") or "")
    return RuleInputs(**values)


def _kind(rule: Any) -> str | None:
    """A rule's type, or None when a malformed answer left no text there."""
    kind = rule.get("type") if isinstance(rule, dict) else None
    return kind if isinstance(kind, str) else None


def _enum_options(rule: dict[str, Any]) -> list[Any]:
    """An enum rule's options; none when they are not a list (a malformed answer)."""
    options = rule.get("options")
    return options if isinstance(options, list) else []


def _bounds(rule: dict[str, Any]) -> dict[str, Any]:
    """A between rule's ``from``/``to``; none when they are not an object."""
    options = rule.get("options")
    return options if isinstance(options, dict) else {}


def _option_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value)


def describe_rules(rules: Iterable[dict[str, Any]]) -> str:
    """Rules as a short phrase for a table cell: ``1–5``, ``one of a, b``, ``email``."""
    parts = []
    for rule in rules:
        kind = _kind(rule)
        if kind == "between":
            opts = _bounds(rule)
            parts.append(f"{_option_text(opts.get('from'))}–{_option_text(opts.get('to'))}")
        elif kind == "enum":
            options = [_option_text(o) for o in _enum_options(rule)]
            shown = ", ".join(options[:4]) + (", …" if len(options) > 4 else "")
            parts.append(f"one of {shown}")
        elif kind in CARDINALITIES:
            parts.append(f"{kind} → {rule.get('to')}")
        elif kind:
            parts.append(str(kind))
    return "; ".join(parts)


def parse_default(
    field_type: str, rules: Sequence[dict[str, Any]], text: str
) -> tuple[Any, str | None]:
    """The default typed in the form, checked against the type and the rules being edited."""
    if text == "":
        return None, None
    if field_type == "relationship":
        return None, "relationship fields cannot have a default"
    value, problem = F.parse_text(field_type, text)
    if problem:
        return None, f"default {problem}"
    return F.normalise_default(field_type, rules, value)


def default_text(value: Any) -> str:
    """A stored default as the form shows it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return _option_text(value)


def flow_slug_check(
    slug: str, flows: Iterable[FlowLike], editing_id: str | None = None
) -> tuple[str | None, str]:
    """(problem, note) for a flow slug as typed: the store's rules plus "already taken";
    the note says which resource a core slug extends, or that it makes a custom flow."""
    problem = F.flow_slug_problem(slug)
    if problem:
        return problem, ""
    for flow in flows:
        if flow.slug == slug and flow.id != editing_id:
            return f"slug {slug!r} is already taken by another flow", ""
    resource = F.core_resource(slug)
    if resource:
        return None, f"{slug!r} is a core flow: its fields extend the {resource} resource."
    return None, "A custom flow: its records are entries."


def field_slug_check(
    slug: str, flow_slug: str, fields: Iterable[FieldLike], editing_id: str | None = None
) -> str | None:
    """The problem with a field slug: the store's rules, the resource's own attribute names,
    and uniqueness within the flow."""
    problem = F.field_slug_problem(slug, flow_slug)
    if problem:
        return problem
    for field in fields:
        if field.slug == slug and field.id != editing_id:
            return f"slug {slug!r} is already a field of this flow"
    return None


def slugify(name: str) -> str:
    """A slug suggested from a name: ``Delivery Details`` -> ``delivery_details``."""
    slug = re.sub(r"[^A-Za-z0-9]+", "_", name.strip().lower()).strip("_")
    return slug


#: Attributes of a field a form edits, and that an update may send.
FIELD_EDITABLE = (
    "name",
    "slug",
    "description",
    "required",
    "default",
    "enabled",
    "omit_null",
    "validation_rules",
)


def field_changes(field: Any, values: dict[str, Any]) -> dict[str, Any]:
    """What differs between a stored field and the form's values: what an update sends.

    ``validation_rules`` compare as lists; a value equal but of another type (``1`` vs
    ``1.0``, ``0`` vs ``False``) counts as a change.
    """
    changes: dict[str, Any] = {}
    for key in FIELD_EDITABLE:
        if key not in values:
            continue
        before = getattr(field, key)
        after = values[key]
        if key == "validation_rules":
            before, after = list(before), list(after)
        if before != after or type(before) is not type(after):
            changes[key] = values[key]
    return changes


def flow_changes(flow: Any, values: dict[str, Any]) -> dict[str, Any]:
    """What differs between a stored flow and the form's values."""
    return {
        key: values[key]
        for key in ("name", "slug", "description", "enabled")
        if key in values and getattr(flow, key) != values[key]
    }


def in_order(fields: Iterable[FieldT]) -> list[FieldT]:
    """Fields as the store orders them: by ``order`` (missing last), stable otherwise."""
    items = list(fields)
    return sorted(items, key=lambda f: (f.order is None, f.order if f.order is not None else 0))


def moved(fields: Sequence[Any], index: int, delta: int) -> list[Any] | None:
    """``fields`` with the one at ``index`` moved by ``delta`` places; None when it cannot
    move (already first or last, or out of range)."""
    target = index + delta
    if not 0 <= index < len(fields) or not 0 <= target < len(fields):
        return None
    items = list(fields)
    item = items.pop(index)
    items.insert(target, item)
    return items


def next_order(fields: Sequence[FieldLike]) -> int:
    """The ``order`` of a field added after all the others."""
    orders = [f.order for f in fields if f.order is not None]
    return max([*orders, len(fields)]) + 1


def delete_field_warning(
    field_name: str, flow_slug: str, resource: str | None, count: int | None
) -> str:
    """What deleting a field takes with it, in words."""
    if resource:
        plural = flow_slug.replace("_", " ")
        if count is None:
            whom = f"every {resource}"
        else:
            whom = f"{count:,} {plural if count != 1 else resource.replace('_', ' ')}"
        where = f"values of this field on {whom} will no longer be shown"
    else:
        whom = "every entry" if count is None else f"{count:,} entr{'y' if count == 1 else 'ies'}"
        where = f"values of this field on {whom} will be lost"
    return f"Deleting {field_name!r} cannot be undone: the {where}."


def delete_flow_warning(
    slug: str, resource: str | None, field_count: int, record_count: int | None
) -> str:
    """What deleting a flow takes with it, in words."""
    fields = f"{field_count} field{'s' if field_count != 1 else ''}"
    if resource:
        whom = f"every {resource}" if record_count is None else f"{record_count:,} {slug}"
        return (
            f"Its {fields} go with it: their values on {whom} will no longer be shown. "
            "The store refuses to delete a core flow (405), so flowtui first renames its "
            f"slug (to {slug}-deleted-<time>) and then deletes it."
        )
    entries = (
        "all its entries"
        if record_count is None
        else f"{record_count:,} entr{'y' if record_count == 1 else 'ies'}"
    )
    return f"Its {fields} and {entries} are deleted with it. This cannot be undone."
