"""Reading a store's design (:func:`pull`) and counting what a plan would lose
(:func:`count_values`), through the API service (no Textual).

``pull`` costs two requests for flows and fields (``GET /v2/flows``, ``GET /v2/fields``), plus,
with entries, the pages of each custom flow's entries (flows walked together) and one
``GET /v2/customers/{id}`` per distinct related customer (written by email).

``count_values`` counts, for each field a plan replaces or deletes (and each flow it deletes),
the records that hold a value for it, as the store shows them (a value the store fills in from
the field's default counts, since it is what readers see):

* custom flows: the flow's entries whose value (or relationship) is not null;
* ``customers``: the customers whose custom value is not null (every customer, walked by key);
* ``addresses``: the addresses of every customer (one ``GET`` per customer); a store without
  an addresses endpoint leaves the count unknown (None);
* other core flows (products, orders...): not counted (None).
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterable
from typing import Any

from flowtui.api.errors import NotFoundError
from flowtui.api.models import Entry, Field, Flow
from flowtui.core import fields as F
from flowtui.ops.schema_file import (
    EntrySpec,
    FieldSpec,
    FlowSpec,
    Schema,
    assign_keys,
    canonical,
    key_field,
)
from flowtui.ops.schema_plan import Plan, PlanItem

PAGE = 100


def field_spec(f: Field) -> FieldSpec:
    return FieldSpec(
        slug=f.slug,
        name=f.name,
        description=f.description,
        field_type=f.field_type,
        required=f.required and f.field_type != "relationship",
        enabled=f.enabled,
        default=f.default,
        order=f.order,
        omit_null=f.omit_null,
        validation_rules=tuple(dict(r) for r in f.validation_rules),
    )


def flow_spec(flow: Flow, fields: Iterable[Field]) -> FlowSpec:
    return FlowSpec(flow.slug, flow.name, flow.description, flow.enabled,
                    tuple(field_spec(f) for f in fields))  # fmt: skip


async def store_design(service: Any) -> tuple[list[Flow], dict[str, list[Field]]]:
    """The store's flows and their fields by flow id (two requests, sent together)."""
    flows, fields = await asyncio.gather(service.list_flows(), service.list_fields())
    by_flow: dict[str, list[Field]] = {f.id: [] for f in flows}
    for f in fields:
        by_flow.setdefault(f.flow_id, []).append(f)
    return flows, by_flow


async def all_entries(service: Any, flow_slug: str) -> list[Entry]:
    """Every entry of a custom flow, page by page."""
    out: list[Entry] = []
    offset = 0
    while True:
        page = await service.list_entries(flow_slug, limit=PAGE, offset=offset)
        out.extend(page.items)
        offset += len(page.items)
        if not page.items or not page.has_next:
            return out


def entry_values(entry: Entry, spec: FlowSpec) -> dict[str, Any]:
    """The entry's non-null values of the flow's enabled value fields."""
    slugs = {f.slug for f in spec.fields if f.enabled and f.field_type != "relationship"}
    return {k: v for k, v in entry.values.items() if k in slugs and v is not None}


def rel_items(data: Any) -> list[dict[str, Any]]:
    """A relationship's ``data`` (an object, a list or null) as a list of ``{type, id}``."""
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        return []
    return [d for d in data if isinstance(d, dict) and isinstance(d.get("id"), str)]


def keyed(spec: FlowSpec, entries: Iterable[Entry]) -> list[tuple[str, Entry]]:
    """``(key, entry)`` for a flow's entries, keyed by the flow's :func:`key_field`."""
    rows = [(entry_values(e, spec), e) for e in entries]
    return assign_keys(rows, key_field(spec))


async def pull_with_notes(service: Any, *, entries: bool = False) -> tuple[Schema, list[str]]:
    """:func:`pull`, and one sentence per relationship that could not be written by a
    stable key (a related product, say: only entries and customers have one)."""
    flows, by_flow = await store_design(service)
    specs = [flow_spec(f, by_flow.get(f.id, [])) for f in flows]
    notes: list[str] = []
    if not entries:
        return canonical(Schema(tuple(specs))), notes
    custom = [s for s in specs if not s.is_core]
    walked = await asyncio.gather(*(all_entries(service, s.slug) for s in custom))
    keys: dict[str, dict[str, str]] = {}  # flow slug -> entry id -> key
    pairs: dict[str, list[tuple[str, Entry]]] = {}
    for spec, found in zip(custom, walked, strict=True):
        pairs[spec.slug] = keyed(spec, found)
        keys[spec.slug] = {e.id: k for k, e in pairs[spec.slug]}
    emails: dict[str, str | None] = {}
    out: list[EntrySpec] = []
    for spec in custom:
        rel_fields = [f for f in spec.fields if f.enabled and f.field_type == "relationship"]
        for key, entry in pairs[spec.slug]:
            rels: dict[str, list[str]] = {}
            for f in rel_fields:
                refs: list[str] = []
                for item in rel_items(entry.relationships.get(f.slug)):
                    ref = await _ref(service, item, keys, emails)
                    if ref is None:
                        notes.append(
                            f"entry {key!r} of {spec.slug!r}: {f.slug} → {item.get('type')} "
                            f"{item['id']} has no stable key and was left out"
                        )
                    else:
                        refs.append(ref)
                if refs:
                    rels[f.slug] = refs
            out.append(EntrySpec(spec.slug, key, entry_values(entry, spec), rels))
    return canonical(Schema(tuple(specs), tuple(out))), notes


async def _ref(
    service: Any,
    item: dict[str, Any],
    keys: dict[str, dict[str, str]],
    emails: dict[str, str | None],
) -> str | None:
    kind, ident = item.get("type"), item["id"]
    if isinstance(kind, str) and kind in keys:
        return keys[kind].get(ident)
    if kind == "customer":
        if ident not in emails:
            try:
                emails[ident] = (await service.get_customer(ident)).email or None
            except NotFoundError:
                emails[ident] = None
        return emails[ident]
    return None


async def pull(service: Any, *, entries: bool = False) -> Schema:
    """The store's flows (custom ones and core extensions) with their fields, and with
    ``entries`` the entries of custom flows, as a :class:`Schema`."""
    schema, _ = await pull_with_notes(service, entries=entries)
    return schema


# -- counting ----------------------------------------------------------------------------------


class _Counter:
    """Non-null values per (flow, field slug), each flow walked once."""

    def __init__(self, service: Any) -> None:
        self.service = service
        self.cache: dict[str, dict[str, int] | None] = {}

    async def counts(self, flow_slug: str) -> dict[str, int] | None:
        if flow_slug not in self.cache:
            self.cache[flow_slug] = await self._walk(flow_slug)
        return self.cache[flow_slug]

    async def _walk(self, flow_slug: str) -> dict[str, int] | None:
        counts: dict[str, int] = {}

        def add(values: dict[str, Any]) -> None:
            for k, v in values.items():
                if v is not None and (not isinstance(v, list) or v):
                    counts[k] = counts.get(k, 0) + 1

        resource = F.core_resource(flow_slug)
        if resource is None:
            try:
                found = await all_entries(self.service, flow_slug)
            except NotFoundError:
                return counts
            for e in found:
                add(e.values)
                add({k: rel_items(v) for k, v in e.relationships.items()})
            return counts
        if resource == "customer":
            async for customer in self.service.iter_customers():
                add(customer.custom)
            return counts
        if resource == "address":
            return counts if await self._addresses(add) else None
        return None

    async def _addresses(self, add: Any) -> bool:
        """Walk every customer's addresses; False when the store has no such endpoint."""
        async for customer in self.service.iter_customers():
            try:
                addresses = await self.service.list_addresses(customer.id)
            except NotFoundError as exc:
                if exc.errors and exc.errors[0].title == "Not Found":  # an unknown path
                    return False
                continue  # the customer went meanwhile
            for address in addresses:
                add(address.custom)
        return True


async def count_values(service: Any, plan: Plan) -> Plan:
    """``plan`` with ``values_lost`` filled for each field it replaces or deletes and each
    flow it deletes (see the module docstring for how values are counted)."""
    counter = _Counter(service)
    wanted = sorted(
        {
            i.flow_slug
            for i in plan.items
            if i.action in ("replace", "delete") and i.resource != "entry"
        }
    )
    await asyncio.gather(*(counter.counts(slug) for slug in wanted))  # flows walked together
    items: list[PlanItem] = []
    for item in plan.items:
        if item.action not in ("replace", "delete") or item.resource == "entry":
            items.append(item)
            continue
        counts = await counter.counts(item.flow_slug)
        if counts is None:
            lost = None
        elif item.resource == "field":
            lost = counts.get(item.slug or "", 0)
        else:
            lost = sum(counts.values())
        items.append(dataclasses.replace(item, values_lost=lost))
    return Plan(tuple(items), plan.blocked)
