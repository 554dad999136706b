"""Undoing one journaled change, after checking nobody changed that record since (no Textual).

:func:`plan` says in one sentence what undoing a journal record would do (or why it cannot);
:func:`undo` checks the record on the server still looks as the change left it, then writes
the "before" values back through the :class:`ApiService` (so the undo's own writes are
journaled with ``undo_of`` and every open view hears about them). Nothing is written when the
check fails: :class:`UndoRefused` carries the sentence saying why.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import Any

from flowtui.api.errors import NotFoundError
from flowtui.api.models import ADDRESS_ATTRS, Address, Customer
from flowtui.api.recording import (
    address_attrs,
    customer_attrs,
    field_attrs,
    flow_attrs,
    relationship_items,
)
from flowtui.api.service import ApiService
from flowtui.ops.journal import Journal, JournalRecord

REL = "relationships."


def _cap(text: str) -> str:
    """``text`` with its first letter upper case (the rest as it is: ids, emails, names)."""
    return text[:1].upper() + text[1:]


class UndoRefused(Exception):
    """The change cannot (or may not) be undone; ``str()`` is one sentence saying why."""


def label(record: Mapping[str, Any]) -> str:
    """``customer 7f3c…`` / ``entry 12 in 'stores'`` / ``address a1 (Home) of customer 7f3c``:
    the record a journal line is about."""
    resource = record.get("resource", "?")
    ident = str(record.get("id", ""))
    where = f" in flow {record['flow_slug']!r}" if record.get("flow_slug") else ""
    if resource == "field" and record.get("action") == "reordered":
        return f"the field order{where}"
    hint = ""
    for attrs in (record.get("after"), record.get("before")):
        if isinstance(attrs, dict):
            hint = str(attrs.get("email") or attrs.get("slug") or attrs.get("name") or "")
            if hint:
                break
    if len(hint) > 40:
        hint = hint[:39] + "…"
    text = f"{resource} {ident}" + (f" ({hint})" if hint else "")
    if resource == "address":
        owner = record.get("customer_id")
        return text + (f" of customer {owner}" if owner else "")
    return text + ("" if resource in ("customer", "flow") else where)


def _static_refusal(record: Mapping[str, Any]) -> str | None:
    """Why ``record`` can never be undone, or None."""
    if record.get("undone_by") is not None:
        return (
            f"This change to {label(record)} was already undone (journal #{record['undone_by']})."
        )
    if record.get("undo_of") is not None:
        return "This record is itself an undo; flowtui does not redo."
    if record.get("action") == "updated" and not record.get("after"):
        hidden = ", ".join(record.get("unrecorded") or []) or "nothing"
        return f"This change to {label(record)} wrote only {hidden}, which is never journaled."
    if record.get("resource") == "flow" and record.get("action") == "deleted":
        return (
            f"Deleting {label(record)} also deleted its fields and entries, which the journal "
            "does not hold, so flowtui cannot bring it back."
        )
    return None


def plan(record: Mapping[str, Any]) -> str:
    """What undoing ``record`` would do, in one sentence (raises UndoRefused if it cannot)."""
    refusal = _static_refusal(record)
    if refusal:
        raise UndoRefused(refusal)
    what, action = label(record), record.get("action")
    resource = record.get("resource")
    hidden = record.get("unrecorded") or []
    extra = f" Its {', '.join(hidden)} cannot be restored (never journaled)." if hidden else ""
    if action == "updated":
        keys = ", ".join(record.get("before") or {})
        return f"Put back the earlier {keys} of {what}.{extra}"
    if action == "reordered":
        return f"Put back {what}."
    if action == "created":
        lost = ""
        if resource == "field":
            lost = " Any values stored in it are deleted with it."
        return f"Delete {what}, which this change created.{lost}"
    if action == "deleted":
        lost = " The values it held are not restored." if resource == "field" else ""
        if resource == "customer":
            lost = " Any addresses it had are not restored (the journal does not hold them)."
        return f"Re-create {what} from the journal, with a new id.{lost}{extra}"
    raise UndoRefused(f"flowtui does not know how to undo a {action!r} record.")


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _same(a: Any, b: Any) -> bool:
    """Equal as JSON (what the journal holds): 1 is not true, a tuple is a list."""
    return _canonical(a) == _canonical(b)


def _changed_since(record: JournalRecord, current: Mapping[str, Any], updated_at: str = "") -> None:
    """Refuse when any attribute the change wrote no longer holds the value it wrote."""
    after = record.get("after") or {}
    moved = [k for k, v in after.items() if not _same(current.get(k), v)]
    if moved:
        when = f" (updated_at {updated_at})" if updated_at else ""
        raise UndoRefused(
            f"{_cap(label(record))} was changed since{when}: "
            f"{', '.join(moved)} no longer as this change left it; not undone."
        )


async def undo(service: ApiService, record: Mapping[str, Any]) -> str:
    """Undo ``record`` (a journal record of this service's profile); returns one sentence
    saying what was done. Raises UndoRefused (nothing written) or the service's errors.

    The record is read again from the journal first, so one undone meanwhile (say, from
    another window) is not undone twice."""
    journal = service.journal
    if journal is None:
        raise UndoRefused("This session keeps no journal, so there is nothing to undo.")
    if not isinstance(journal, Journal):
        raise UndoRefused("This session's journal cannot be read back, so nothing can be undone.")
    fresh = await asyncio.to_thread(journal.find, int(record["seq"]))
    if fresh is None:
        raise UndoRefused(f"Journal record #{record['seq']} is no longer in the journal.")
    return await _undo(service, fresh)


async def _undo(service: ApiService, record: JournalRecord) -> str:
    """Undo ``record`` as just read from the journal."""
    plan(record)  # refuses what can never be undone
    if service.read_only:
        raise UndoRefused("This profile is read-only (implicit token): it cannot undo changes.")
    if record.get("profile") != service.profile_name:
        raise UndoRefused(
            f"This change was made with profile {record.get('profile')!r}; "
            f"switch to it to undo (this is {service.profile_name!r})."
        )
    resource = record.get("resource")
    handler = {
        "customer": _undo_customer,
        "entry": _undo_entry,
        "flow": _undo_flow,
        "field": _undo_field,
        "address": _undo_address,
    }.get(str(resource))
    if handler is None:
        raise UndoRefused(f"flowtui does not know how to undo a change to a {resource!r}.")
    with service.undoing(int(record["seq"])):
        return await handler(service, record)


def _gone(what: str) -> UndoRefused:
    return UndoRefused(f"{_cap(what)} was deleted since; not undone.")


# -- customers ---------------------------------------------------------------------------------


async def _undo_customer(service: ApiService, record: JournalRecord) -> str:
    action, ident, what = record["action"], record["id"], label(record)
    before = record.get("before") or {}
    if action == "deleted":
        try:
            await service.get_customer(ident)
        except NotFoundError:
            pass
        else:
            raise UndoRefused(f"{_cap(what)} exists again; not undone.")
        email = str(before.get("email", ""))
        taken = await service.customer_by_email(email)
        if taken is not None:
            raise UndoRefused(
                f"The email {email} belongs to customer {taken.id} since; not undone."
            )
        custom = {k: v for k, v in before.items() if k not in ("name", "email", "external_ref")}
        custom = {k: v for k, v in custom.items() if v is not None}
        customer = await service.create_customer(
            name=str(before.get("name", "")),
            email=email,
            external_ref=before.get("external_ref"),
            custom=custom,
        )
        hidden = record.get("unrecorded") or []
        note = f" (without its {', '.join(hidden)})" if hidden else ""
        return f"Re-created {what} with a new id, {customer.id}{note}."
    current = await _current_customer(service, ident, what)
    _changed_since(record, customer_attrs(current), current.updated_at)
    if action == "created":
        try:
            addresses = await service.list_addresses(ident)
        except NotFoundError:  # a store without addresses
            addresses = []
        if addresses:
            raise UndoRefused(
                f"{_cap(what)} has {len(addresses)} address(es) now, which deleting it would "
                "delete too; delete it from the customers view if that is what you want."
            )
        await service.delete_customer(ident, before=current)
        return f"Deleted {what}, which the change had created."
    await service.update_customer(ident, dict(before), before=current)
    hidden = record.get("unrecorded") or []
    note = f" Its {', '.join(hidden)} was not changed back (never journaled)." if hidden else ""
    return f"Put back the earlier {', '.join(before)} of {what}.{note}"


async def _current_customer(service: ApiService, ident: str, what: str) -> Customer:
    try:
        return await service.get_customer(ident)
    except NotFoundError:
        raise _gone(what) from None


# -- addresses --------------------------------------------------------------------------------


async def _undo_address(service: ApiService, record: JournalRecord) -> str:
    action, ident, what = record["action"], record["id"], label(record)
    owner = str(record.get("customer_id") or "")
    if not owner:
        raise UndoRefused(f"The journal does not say whose {what} is; not undone.")
    before = record.get("before") or {}
    if action == "deleted":
        try:
            await service.get_address(owner, ident)
        except NotFoundError:
            pass
        else:
            raise UndoRefused(f"{_cap(what)} exists again; not undone.")
        # An attribute the address did not have reads as "": sending none recreates it so.
        values = {
            k: v
            for k, v in before.items()
            if v is not None and not (k in ADDRESS_ATTRS and v == "")
        }
        try:
            address = await service.create_address(owner, values)
        except NotFoundError:
            raise UndoRefused(f"Customer {owner} was deleted since; {what} not undone.") from None
        return f"Re-created {what} with a new id, {address.id}."
    current = await _current_address(service, owner, ident, what)
    _changed_since(record, address_attrs(current), current.updated_at)
    if action == "created":
        await service.delete_address(owner, ident, before=current)
        return f"Deleted {what}, which the change had created."
    await service.update_address(owner, ident, dict(before), before=current)
    return f"Put back the earlier {', '.join(before)} of {what}."


async def _current_address(service: ApiService, owner: str, ident: str, what: str) -> Address:
    try:
        return await service.get_address(owner, ident)
    except NotFoundError:
        raise _gone(what) from None


# -- entries -----------------------------------------------------------------------------------


async def _undo_entry(service: ApiService, record: JournalRecord) -> str:
    action, ident, what = record["action"], record["id"], label(record)
    slug = str(record.get("flow_slug") or "")
    before = record.get("before") or {}
    if action == "deleted":
        values = {k: v for k, v in before.items() if not k.startswith(REL)}
        entry = await service.create_entry(slug, values)
        for key, items in before.items():
            if key.startswith(REL) and items:
                pairs = [(i["type"], i["id"]) for i in items]
                await service.set_relationship(slug, entry.id, key[len(REL) :], pairs)
        return f"Re-created {what} with a new id, {entry.id}."
    try:
        current = await service.get_entry(slug, ident)
    except NotFoundError:
        raise _gone(what) from None
    attrs = dict(current.values)
    for rel_slug, value in current.relationships.items():
        attrs[REL + rel_slug] = relationship_items(value)
    for key in record.get("after") or {}:
        if key.startswith(REL):
            attrs.setdefault(key, [])
    _changed_since(record, attrs, current.updated_at)
    if action == "created":
        await service.delete_entry(slug, ident, before=current)
        return f"Deleted {what}, which the change had created."
    values = {k: v for k, v in before.items() if not k.startswith(REL)}
    if values:
        await service.update_entry(slug, ident, values, before=current)
    for key, items in before.items():
        if key.startswith(REL):
            pairs = [(i["type"], i["id"]) for i in items or []]
            await service.set_relationship(slug, ident, key[len(REL) :], pairs)
    return f"Put back the earlier {', '.join(before)} of {what}."


# -- flows and fields --------------------------------------------------------------------------


async def _undo_flow(service: ApiService, record: JournalRecord) -> str:
    action, ident, what = record["action"], record["id"], label(record)
    try:
        current = await service.get_flow(ident)
    except NotFoundError:
        raise _gone(what) from None
    _changed_since(record, flow_attrs(current), current.updated_at)
    if action == "created":
        fields = await service.list_fields(current.slug)
        entries = await service.list_entries(current.slug, limit=1)
        if fields or entries.total:
            raise UndoRefused(
                f"{_cap(what)} has {len(fields)} field(s) and {entries.total} entries now; "
                "delete it from the flows view if that is what you want."
            )
        await service.delete_flow(current, core_confirmed=True)
        return f"Deleted {what}, which the change had created."
    before = dict(record.get("before") or {})
    await service.update_flow(ident, before=current, **before)
    return f"Put back the earlier {', '.join(before)} of {what}."


async def _undo_field(service: ApiService, record: JournalRecord) -> str:
    action, ident, what = record["action"], record["id"], label(record)
    slug = record.get("flow_slug")
    before = dict(record.get("before") or {})
    if action == "reordered":
        fields = {f.id: f for f in await service.list_fields(slug)} if slug else {}
        after = record.get("after") or {}
        moved = [i for i, order in after.items() if i not in fields or fields[i].order != order]
        if moved:
            raise UndoRefused(f"The fields of {what} were changed since; not undone.")
        await service.set_field_orders(before, slug, [fields[i] for i in before])
        return f"Put back {what}."
    if action == "deleted":
        try:
            flow = await service.get_flow(str(before.get("flow_id", "")))
        except NotFoundError:
            raise UndoRefused(f"The flow of {what} was deleted since; not undone.") from None
        if any(f.slug == before.get("slug") for f in await service.list_fields(flow.slug)):
            raise UndoRefused(f"Flow {flow.slug!r} has a field {before.get('slug')!r} again.")
        field = await service.create_field(
            flow,
            name=str(before.get("name", "")),
            slug=str(before.get("slug", "")),
            field_type=str(before.get("field_type", "")),
            description=str(before.get("description") or ""),
            required=bool(before.get("required")),
            enabled=bool(before.get("enabled", True)),
            default=before.get("default"),
            validation_rules=before.get("validation_rules") or (),
            order=before.get("order"),
            omit_null=bool(before.get("omit_null")),
        )
        return f"Re-created {what} with a new id, {field.id}; the values it held are gone."
    try:
        current = await service.get_field(ident)
    except NotFoundError:
        raise _gone(what) from None
    _changed_since(record, field_attrs(current), current.updated_at)
    if action == "created":
        await service.delete_field(current, slug)
        return f"Deleted {what}, which the change had created."
    await service.update_field(ident, flow_slug=slug, before=current, **before)
    return f"Put back the earlier {', '.join(before)} of {what}."
