"""A store's design as data: flows, fields and (optionally) entries, and its TOML file (no Textual).

:class:`Schema` is what ``flowtui schema pull`` writes and ``plan``/``apply`` read. The file
holds every attribute that matters and nothing a store invents (no ids, no timestamps), in a
fixed order (flows by slug; fields by ``order``, then slug; entries by flow, then key; keys of
a table always in the same order), so two pulls of the same store are byte-identical and a
diff of two files reads as the difference between two designs.

Entries of custom flows are identified by a *key*, never by a store's id: the value of the
flow's key field (:func:`key_field`: a field named ``key``, ``slug``, ``code``, ``sku``,
``handle``, ``email`` or ``name``, else the first required string field, else the first
string field), or, when an entry has no such value, ``h-`` and a hash of its values. Two
entries with the same key get ``~2``, ``~3``... in a fixed order. Relationships are written
as the related entries' keys (a custom flow) or the related customers' emails.

The file is written by a small emitter of our own (not tomlkit): every string is written as a
basic string with control, bidi and zero-width characters escaped as ``\\uXXXX``, so a hostile
name can neither break the file nor hide in a diff. It is read with :mod:`tomllib`.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from flowtui.core import fields as F

FILE_VERSION = 1

FIELD_ATTRS = (
    "name",
    "description",
    "field_type",
    "required",
    "enabled",
    "default",
    "order",
    "omit_null",
    "validation_rules",
)
FLOW_ATTRS = ("name", "description", "enabled")
#: Preferred key fields of custom flows' entries, best first.
KEY_SLUGS = ("key", "slug", "code", "sku", "handle", "email", "name")


class SchemaFileError(ValueError):
    """A schema file that cannot be used; the message names the line or the item and what."""


# -- the model -------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldSpec:
    slug: str
    name: str
    description: str
    field_type: str
    required: bool
    enabled: bool
    default: Any
    order: int | None
    omit_null: bool
    validation_rules: tuple[dict[str, Any], ...] = ()

    def attrs(self) -> dict[str, Any]:
        """Every attribute but the slug, rules as a list (JSON-ready)."""
        return {
            "name": self.name,
            "description": self.description,
            "field_type": self.field_type,
            "required": self.required,
            "enabled": self.enabled,
            "default": self.default,
            "order": self.order,
            "omit_null": self.omit_null,
            "validation_rules": [dict(r) for r in self.validation_rules],
        }


@dataclass(frozen=True)
class FlowSpec:
    slug: str
    name: str
    description: str
    enabled: bool
    fields: tuple[FieldSpec, ...] = ()

    @property
    def is_core(self) -> bool:
        """Whether the slug names a built-in resource (its fields are that resource's)."""
        return F.core_resource(self.slug) is not None

    def attrs(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description, "enabled": self.enabled}

    def field(self, slug: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.slug == slug), None)


@dataclass(frozen=True)
class EntrySpec:
    flow_slug: str
    key: str
    values: dict[str, Any] = field(default_factory=dict)
    relationships: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Schema:
    flows: tuple[FlowSpec, ...]
    entries: tuple[EntrySpec, ...] = ()

    def flow(self, slug: str) -> FlowSpec | None:
        return next((f for f in self.flows if f.slug == slug), None)

    def to_toml(self) -> str:
        return to_toml(self)

    @classmethod
    def from_toml(cls, text: str) -> Schema:
        return from_toml(text)


def field_sort_key(spec: FieldSpec) -> tuple[bool, int, str]:
    """Fields by ``order`` (those without one last), then slug: the store's creation order
    is not part of a design, so it never decides the file's order."""
    return (spec.order is None, spec.order or 0, spec.slug)


def canonical(schema: Schema) -> Schema:
    """The schema in the file's order (flows by slug, fields by order then slug, entries by
    flow then key)."""
    flows = tuple(
        FlowSpec(
            f.slug, f.name, f.description, f.enabled, tuple(sorted(f.fields, key=field_sort_key))
        )
        for f in sorted(schema.flows, key=lambda f: f.slug)
    )
    entries = tuple(sorted(schema.entries, key=lambda e: (e.flow_slug, e.key)))
    return Schema(flows, entries)


# -- entry keys ------------------------------------------------------------------------------


def key_field(flow: FlowSpec) -> str | None:
    """The field whose value keys this flow's entries (see the module docstring), or None."""
    usable = [f for f in flow.fields if f.enabled and f.field_type in ("string", "integer")]
    by_slug = {f.slug: f for f in usable}
    for slug in KEY_SLUGS:
        if slug in by_slug:
            return slug
    strings = [f for f in sorted(usable, key=field_sort_key) if f.field_type == "string"]
    for f in strings:
        if f.required:
            return f.slug
    return strings[0].slug if strings else None


def _digest(values: Mapping[str, Any]) -> str:
    text = json.dumps(values, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def base_key(values: Mapping[str, Any], key_slug: str | None) -> str:
    """An entry's key before duplicates are told apart."""
    value = values.get(key_slug) if key_slug else None
    if value is not None and not isinstance(value, bool) and str(value) != "":
        return str(value)
    return "h-" + _digest({k: v for k, v in values.items() if v is not None})[:12]


def assign_keys(
    rows: Sequence[tuple[Mapping[str, Any], Any]], key_slug: str | None
) -> list[tuple[str, Any]]:
    """``(key, payload)`` for each ``(values, payload)``: duplicates of a key get ``~2``,
    ``~3``... ordered by their values' digest, so the same entries get the same keys on any
    store."""
    groups: dict[str, list[tuple[str, Any]]] = {}
    for values, payload in rows:
        groups.setdefault(base_key(values, key_slug), []).append((_digest(values), payload))
    out: list[tuple[str, Any]] = []
    for key, members in groups.items():
        members.sort(key=lambda m: m[0])
        for n, (_, payload) in enumerate(members, start=1):
            out.append((key if n == 1 else f"{key}~{n}", payload))
    return out


def infer_key_field(
    flow: FlowSpec | None, entries: Iterable[tuple[str, Mapping[str, Any]]]
) -> str | None:
    """The key field that explains the keys of ``entries`` (``(key, values)``), so keys
    made on one store are matched on another; the flow's :func:`key_field` when none of the
    entries says otherwise."""
    rows = list(entries)
    preferred = key_field(flow) if flow is not None else None
    if not rows:
        return preferred
    candidates: set[str] | None = None
    for key, values in rows:
        plain = _unsuffixed(key)
        if plain.startswith("h-"):  # no key value: keyed by its values under any key field
            continue
        fits = {
            slug
            for slug, value in values.items()
            if value is not None and not isinstance(value, bool) and str(value) in (key, plain)
        }
        candidates = fits if candidates is None else candidates & fits
        if not candidates:
            return None
    if candidates is None or preferred in candidates:
        return preferred
    return sorted(candidates)[0]


def _unsuffixed(key: str) -> str:
    head, sep, tail = key.rpartition("~")
    return head if sep and tail.isdigit() else key


# -- writing ---------------------------------------------------------------------------------

_BARE = re.compile(r"^[A-Za-z0-9_-]+\Z")
# Escaped in strings: C0/C1 controls, DEL, bidi controls, line/paragraph separators and
# invisible zero-width characters (as core/textsafe), so nothing in the file hides or moves;
# a lone surrogate (not text, and TOML cannot hold it) is written as U+FFFD.
_ESCAPE = re.compile(
    '[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ud800-\udfff"\\\\]'
)
_SHORT = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r", "\b": "\\b", "\f": "\\f"}


def _string(text: str) -> str:
    def esc(m: re.Match[str]) -> str:
        ch = m.group()
        if "\ud800" <= ch <= "\udfff":  # a lone surrogate is no text: TOML cannot hold it
            return "\\uFFFD"
        return _SHORT.get(ch) or f"\\u{ord(ch):04X}"

    return '"' + _ESCAPE.sub(esc, text) + '"'


def _key(name: str) -> str:
    return name if _BARE.match(name) else _string(name)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        text = repr(value)
        return text if any(c in text for c in ".en") else text + ".0"
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, Mapping):
        inner = ", ".join(f"{_key(str(k))} = {_value(v)}" for k, v in value.items())
        return "{" + inner + "}" if inner else "{}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def to_toml(schema: Schema) -> str:
    """The file for ``schema`` (see the module docstring)."""
    schema = canonical(schema)
    lines = [
        "# flowtui schema: flows and fields of a store (flowtui schema pull). Apply it to",
        "# another store with: flowtui schema plan FILE, then flowtui schema apply FILE.",
        f"version = {FILE_VERSION}",
    ]
    for flow in schema.flows:
        lines += ["", "[[flows]]", f"slug = {_string(flow.slug)}"]
        lines += [f"{k} = {_value(v)}" for k, v in flow.attrs().items()]
        for spec in flow.fields:
            lines += ["", "[[flows.fields]]", f"slug = {_string(spec.slug)}"]
            for k, v in spec.attrs().items():
                if v is None:  # TOML has no null: a missing default or order is absent
                    continue
                lines.append(f"{k} = {_value(v)}")
    for entry in schema.entries:
        lines += ["", "[[entries]]", f"flow = {_string(entry.flow_slug)}"]
        lines.append(f"key = {_string(entry.key)}")
        values = {k: v for k, v in sorted(entry.values.items()) if v is not None}
        lines.append(f"values = {_value(values)}")
        rels = {k: list(v) for k, v in sorted(entry.relationships.items()) if v}
        if rels:
            lines.append(f"relationships = {_value(rels)}")
    return "\n".join(lines) + "\n"


# -- reading ---------------------------------------------------------------------------------


def _type_name(value: Any) -> str:
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string"}.get(
        type(value), "a " + type(value).__name__
    )


def _want(table: Mapping[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if key not in table:
        raise SchemaFileError(f"{where}: {key!r} is missing")
    value = table[key]
    ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
    if not ok:
        raise SchemaFileError(f"{where}: {key!r} is {_type_name(value)}")
    return value


def _unknown(table: Mapping[str, Any], allowed: Iterable[str], where: str) -> None:
    extra = sorted(set(table) - set(allowed))
    if extra:
        raise SchemaFileError(f"{where}: unknown key {extra[0]!r}")


def _field(table: Any, flow_slug: str, n: int) -> FieldSpec:
    where = f"flow {flow_slug!r}, field {n}"
    if not isinstance(table, dict):
        raise SchemaFileError(f"{where}: not a table")
    slug = _want(table, "slug", str, where)
    where = f"flow {flow_slug!r}, field {slug!r}"
    _unknown(table, ("slug", *FIELD_ATTRS), where)
    problem = F.field_slug_problem(slug, flow_slug)
    if problem:
        raise SchemaFileError(f"{where}: slug {problem}")
    field_type = _want(table, "field_type", str, where)
    if field_type not in F.FIELD_TYPES:
        raise SchemaFileError(
            f"{where}: field_type {field_type!r} is not one of {', '.join(F.FIELD_TYPES)}"
        )
    rules, problems = F.normalise_rules(field_type, table.get("validation_rules", []))
    if problems:
        raise SchemaFileError(f"{where}: {problems[0]}")
    default, problem = F.normalise_default(field_type, rules, table.get("default"))
    if problem:
        raise SchemaFileError(f"{where}: {problem}")
    order = table.get("order")
    if order is not None and (not isinstance(order, int) or isinstance(order, bool)):
        raise SchemaFileError(f"{where}: 'order' is {_type_name(order)}")
    required = bool(_want(table, "required", bool, where)) if "required" in table else False
    return FieldSpec(
        slug=slug,
        name=_want(table, "name", str, where),
        description=_want(table, "description", str, where) if "description" in table else "",
        field_type=field_type,
        # the store keeps relationship fields optional whatever is sent
        required=required and field_type != "relationship",
        enabled=_want(table, "enabled", bool, where) if "enabled" in table else True,
        default=default,
        order=order,
        omit_null=_want(table, "omit_null", bool, where) if "omit_null" in table else False,
        validation_rules=tuple(rules),
    )


def _flow(table: Any, n: int) -> FlowSpec:
    where = f"flow {n}"
    if not isinstance(table, dict):
        raise SchemaFileError(f"{where}: not a table")
    slug = _want(table, "slug", str, where)
    where = f"flow {slug!r}"
    _unknown(table, ("slug", *FLOW_ATTRS, "fields"), where)
    problem = F.flow_slug_problem(slug)
    if problem:
        raise SchemaFileError(f"{where}: slug {problem}")
    for key in ("name", "description"):
        if key in table:
            _want(table, key, str, where)
    raw_fields = table.get("fields", [])
    if not isinstance(raw_fields, list):
        raise SchemaFileError(f"{where}: 'fields' is not a list of tables")
    specs = [_field(t, slug, i) for i, t in enumerate(raw_fields, start=1)]
    seen: set[str] = set()
    for spec in specs:
        if spec.slug in seen:
            raise SchemaFileError(f"{where}: field {spec.slug!r} is there twice")
        seen.add(spec.slug)
    return FlowSpec(
        slug=slug,
        name=table.get("name", slug),
        description=table.get("description", ""),
        enabled=_want(table, "enabled", bool, where) if "enabled" in table else True,
        fields=tuple(specs),
    )


def _entry(table: Any, n: int, flows: Mapping[str, FlowSpec]) -> EntrySpec:
    where = f"entry {n}"
    if not isinstance(table, dict):
        raise SchemaFileError(f"{where}: not a table")
    _unknown(table, ("flow", "key", "values", "relationships"), where)
    flow_slug = _want(table, "flow", str, where)
    key = _want(table, "key", str, where)
    where = f"entry {key!r} of flow {flow_slug!r}"
    flow = flows.get(flow_slug)
    if flow is None:
        raise SchemaFileError(f"{where}: the file has no flow {flow_slug!r}")
    if flow.is_core:
        raise SchemaFileError(f"{where}: {flow_slug!r} is a core flow, which has no entries")
    values = table.get("values", {})
    rels = table.get("relationships", {})
    if not isinstance(values, dict) or not isinstance(rels, dict):
        raise SchemaFileError(f"{where}: values and relationships must be tables")
    for slug, value in values.items():
        spec = flow.field(slug)
        if spec is None or spec.field_type == "relationship":
            raise SchemaFileError(f"{where}: {slug!r} is not a value field of the flow")
        problem = F.value_problem(spec.field_type, spec.validation_rules, value)
        if problem:
            raise SchemaFileError(f"{where}: {slug!r} {problem}")
    out: dict[str, list[str]] = {}
    for slug, refs in rels.items():
        spec = flow.field(slug)
        if spec is None or spec.field_type != "relationship":
            raise SchemaFileError(f"{where}: {slug!r} is not a relationship field of the flow")
        if not isinstance(refs, list) or not all(isinstance(r, str) for r in refs):
            raise SchemaFileError(f"{where}: relationships.{slug} must be a list of keys")
        out[slug] = list(refs)
    return EntrySpec(flow_slug, key, dict(values), out)


def from_toml(text: str) -> Schema:
    """Read a schema file; a :class:`SchemaFileError` names the line (TOML syntax) or the flow,
    field or entry and what is wrong with it. Rules and defaults are normalised as a store
    would store them, so a plan compares like with like."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SchemaFileError(f"not valid TOML: {exc}") from None
    _unknown(doc, ("version", "flows", "entries"), "the file")
    version = doc.get("version", FILE_VERSION)
    if version != FILE_VERSION:
        raise SchemaFileError(f"the file is version {version!r}; this flowtui reads {FILE_VERSION}")
    raw_flows = doc.get("flows", [])
    if not isinstance(raw_flows, list):
        raise SchemaFileError("'flows' must be an array of tables ([[flows]])")
    flows = [_flow(t, i) for i, t in enumerate(raw_flows, start=1)]
    by_slug: dict[str, FlowSpec] = {}
    for flow in flows:
        if flow.slug in by_slug:
            raise SchemaFileError(f"flow {flow.slug!r} is there twice")
        by_slug[flow.slug] = flow
    raw_entries = doc.get("entries", [])
    if not isinstance(raw_entries, list):
        raise SchemaFileError("'entries' must be an array of tables ([[entries]])")
    entries = [_entry(t, i, by_slug) for i, t in enumerate(raw_entries, start=1)]
    seen: set[tuple[str, str]] = set()
    for e in entries:
        if (e.flow_slug, e.key) in seen:
            raise SchemaFileError(f"entry {e.key!r} of flow {e.flow_slug!r} is there twice")
        seen.add((e.flow_slug, e.key))
    return canonical(Schema(tuple(flows), tuple(entries)))
