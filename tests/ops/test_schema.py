"""Carrying a design between stores (:mod:`flowtui.ops.schema`) against real sandboxes: the
round trip (pull, apply to an empty store, pull again: byte-identical, then nothing to plan),
plans for every kind of change, counting the values a replace loses, resuming without sending
anything twice (counted on the wire), the journal, and hostile text shown literally."""

from __future__ import annotations

import dataclasses
import stat
from collections.abc import AsyncIterator
from typing import Any

import pytest

from flowtui.ops import schema as S
from flowtui.ops.journal import Journal
from flowtui.ops.schema_apply import load_unfinished, state_path_for
from flowtui.ops.undo import undo
from flowtui.sandbox.store import Store
from tests.conftest import make_sandbox
from tests.ops.schema_design import (
    HOSTILE,
    OWNER_EMAIL,
    CountingApp,
    build_design,
    service_for_app,
)


class Sandbox:
    def __init__(self) -> None:
        self.store = Store(":memory:")
        self.app = CountingApp(make_sandbox(self.store))

    def service(self, **options: Any):
        return service_for_app(self.app, **options)


@pytest.fixture
async def stores() -> AsyncIterator[tuple[Sandbox, Sandbox, str]]:
    """A source store with the design, an empty target (holding only the related customer,
    which is not part of a design), and the source's pull with entries."""
    source, target = Sandbox(), Sandbox()
    async with source.service() as a, target.service() as b:
        await build_design(a)
        await b.create_customer(name="Ada elsewhere", email=OWNER_EMAIL)
        text = (await S.pull(a, entries=True)).to_toml()
    yield source, target, text
    source.store.close()
    target.store.close()


async def test_round_trip_is_byte_identical_and_then_there_is_nothing_to_do(stores):
    _, target, text = stores
    desired = S.Schema.from_toml(text)
    assert desired.to_toml() == text  # the file reads back to itself
    assert {f.slug for f in desired.flows} == {
        "addresses",
        "brands",
        "customers",
        "empty-flow",
        "stockists",
    }
    brands = desired.flow("brands")
    assert brands is not None and len(brands.fields) == 14
    assert {f.field_type for f in brands.fields} == {
        "string",
        "integer",
        "float",
        "boolean",
        "date",
        "relationship",
    }
    acme = next(e for e in desired.entries if e.key == "acme")
    assert acme.relationships == {"owner": [OWNER_EMAIL], "stockists": ["north", "west"]}
    for forbidden in ("id =", "created_at", "updated_at", "-4"):  # no ids, no timestamps
        assert forbidden not in text
    async with target.service() as b:
        made = S.plan(await S.pull(b, entries=True), desired)
        assert made.blocked == () and made.count("create") == len(made.items)
        report = await S.apply(b, made)
        assert report.ok and len(report.done) == len(made.items)
        again = await S.pull(b, entries=True)
        assert again.to_toml() == text
        assert S.plan(again, desired).empty
    assert max(target.app.posts.values()) == 1  # each thing created once


async def test_two_pulls_of_one_store_are_identical_and_keys_are_in_a_fixed_order(stores):
    source, _, text = stores
    async with source.service() as a:
        assert (await S.pull(a, entries=True)).to_toml() == text
        design_only = (await S.pull(a)).to_toml()
    assert "[[entries]]" not in design_only and design_only in text
    canon = [
        "slug",
        "name",
        "description",
        "field_type",
        "required",
        "enabled",
        "default",
        "order",
        "omit_null",
        "validation_rules",
    ]
    for block in text.split("[[flows.fields]]")[1:]:
        keys = [line.split(" = ")[0] for line in block.split("\n\n")[0].splitlines()[1:]]
        assert keys == [k for k in canon if k in keys] and keys[0] == "slug"


def _edit(schema: S.Schema, flow: str, **fields: Any) -> S.Schema:
    """The schema with ``flow``'s fields replaced (a None value removes the field)."""
    flows = []
    for f in schema.flows:
        if f.slug == flow:
            specs = [fields.get(s.slug, s) for s in f.fields]
            specs = [s for s in specs if s is not None]
            f = dataclasses.replace(f, fields=tuple(specs))
        flows.append(f)
    return dataclasses.replace(schema, flows=tuple(flows))


async def test_plans_for_every_kind_of_change_then_apply_makes_the_store_match(stores):
    _, target, text = stores
    desired = S.Schema.from_toml(text)
    async with target.service(journal=Journal()) as b:
        await S.apply(b, S.plan(await S.pull(b, entries=True), desired))
        current = await S.pull(b, entries=True)
    brands = desired.flow("brands")
    assert brands is not None
    rank = brands.field("rank")
    score = brands.field("score")
    assert rank is not None and score is not None
    new = _edit(
        desired,
        "brands",
        rank=dataclasses.replace(
            rank,
            required=True,
            validation_rules=({"type": "between", "options": {"from": 1, "to": 5}},),
        ),
        score=dataclasses.replace(score, field_type="string", validation_rules=(), default=None),
        founded=None,
    )
    extra = S.FieldSpec("notes", "Notes", "", "string", False, True, None, 20, False, ())
    flows = [
        dataclasses.replace(f, name="Stockists!", fields=(*f.fields, extra))
        if f.slug == "stockists"
        else f
        for f in new.flows
        if f.slug != "empty-flow"
    ]
    entries = [
        dataclasses.replace(e, values={**e.values, "city": "Bergen"}) if e.key == "north" else e
        for e in new.entries
        if e.key != "south"
    ]
    entries = [  # score becomes a string, and founded goes
        dataclasses.replace(
            e,
            values={
                k: str(v) if k == "score" else v for k, v in e.values.items() if k != "founded"
            },
        )
        for e in entries
    ]
    acme = next(e for e in entries if e.key == "acme")
    entries[entries.index(acme)] = dataclasses.replace(
        acme, relationships={"owner": [OWNER_EMAIL], "stockists": ["north"]}
    )
    entries.append(S.EntrySpec("stockists", "east", {"slug": "east", "city": "Kyiv"}))
    new = S.Schema(tuple(flows), tuple(entries))

    made = S.plan(current, new)
    by = {i.key: i for i in made.items}
    assert by["flow:stockists"].action == "update"
    assert by["flow:stockists"].changes == (S.Change("name", "Stockists", "Stockists!"),)
    assert by["field:stockists.notes"].action == "create"
    rank_changes = {c.attr: (c.before, c.after) for c in by["field:brands.rank"].changes}
    assert rank_changes == {
        "required": (False, True),
        "validation_rules": (
            [{"type": "between", "options": {"from": 1, "to": 9}}],
            [{"type": "between", "options": {"from": 1, "to": 5}}],
        ),
    }
    assert by["field:brands.score"].action == "replace"
    assert made.blocked and made.blocked[0].startswith("field:brands.score: field_type float")
    assert by["entry:stockists.north"].changes == (S.Change("city", "Oslo", "Bergen"),)
    assert by["entry:brands.acme"].changes == (
        S.Change("founded", "1999-01-02", None),
        S.Change("relationships.stockists", ["north", "west"], ["north"]),
        S.Change("score", 2.5, "2.5"),
    )
    assert by["entry:stockists.east"].action == "create"
    assert not [i for i in made.items if i.action == "delete"]  # deletes only with prune
    order = [i.resource for i in made.items]
    assert order == sorted(order, key=["flow", "field", "entry"].index)

    pruned = S.plan(current, new, prune=True, allow_replace=True)
    assert pruned.blocked == ()
    deletes = [i.key for i in pruned.items if i.action == "delete"]
    assert deletes == ["entry:stockists.south", "field:brands.founded", "flow:empty-flow"]
    async with target.service(journal=Journal()) as b:
        with pytest.raises(S.SchemaApplyError, match="blocked"):
            await S.apply(b, made)
        counted = await S.count_values(b, pruned)
        lost = {i.key: i.values_lost for i in counted.items if i.values_lost is not None}
        # score: acme 2.5 and zeta 9.5; founded: acme only; empty-flow: nothing
        assert lost == {"field:brands.score": 2, "field:brands.founded": 1, "flow:empty-flow": 0}
        assert "loses 2 stored values" in "\n".join(S.plan_lines(counted))
        report = await S.apply(b, counted)
        assert report.ok, report.failed
        after = await S.pull(b, entries=True)
        assert S.plan(after, new, prune=True).empty
        north = next(e for e in after.entries if e.key == "north")
        assert north.values["city"] == "Bergen"
        # every write is journaled and can be undone: undo the flow rename
        journal = Journal()
        record = next(
            r for r in journal.entries() if r["resource"] == "flow" and r["action"] == "updated"
        )
        await undo(b, record)
        flows = {f.slug: f.name for f in await b.list_flows()}
        assert flows["stockists"] == "Stockists"


async def test_a_replaced_field_gets_its_entries_values_back(stores):
    """integer → float: the values stay valid, but the replace loses them, so the plan sends
    the file's values again after it, and then the store matches."""
    source, _, text = stores
    desired = S.Schema.from_toml(text)
    brands = desired.flow("brands")
    rank = brands.field("rank") if brands is not None else None
    assert rank is not None
    new = _edit(desired, "brands", rank=dataclasses.replace(rank, field_type="float"))
    async with source.service() as a:
        made = S.plan(await S.pull(a, entries=True), new, allow_replace=True)
        assert [(i.key, i.action) for i in made.items] == [
            ("field:brands.rank", "replace"),
            ("entry:brands.acme", "update"),
        ]
        assert made.items[1].changes == (S.Change("rank", 3, 3),)
        assert (await S.apply(a, made)).ok
        assert S.plan(await S.pull(a, entries=True), new).empty


async def test_values_lost_are_counted_on_customers_and_addresses(stores):
    """customers: every customer walked, a value the store fills in from a default counts;
    addresses: every customer's addresses, one list each."""
    source, _, text = stores
    desired = S.Schema.from_toml(text)
    customers = desired.flow("customers")
    loyalty = customers.field("loyalty") if customers is not None else None
    assert loyalty is not None
    new = _edit(
        desired,
        "customers",
        loyalty=dataclasses.replace(
            loyalty, field_type="string", default=None, validation_rules=()
        ),
        gate_code=None,
    )
    new = _edit(new, "addresses", floor=None)
    async with source.service() as a:
        ben = await a.create_customer(
            name="Ben", email="ben@example.test", custom={"gate_code": "42"}
        )
        home = {"first_name": "Ben", "last_name": "B", "line_1": "1 Main St", "postcode": "1"}
        await a.create_address(ben.id, {**home, "country": "GB", "floor": 3})
        await a.create_address(ben.id, {**home, "country": "FR"})  # no floor: not counted
        planned = S.plan(await S.pull(a), new, prune=True, allow_replace=True)
        # before counting (and for core flows it cannot count) the plan says so
        assert "(values lost: not counted)" in "\n".join(S.plan_lines(planned))
        made = await S.count_values(a, planned)
    lost = {i.key: i.values_lost for i in made.items if i.action in ("replace", "delete")}
    assert lost == {
        "field:customers.loyalty": 2,
        "field:customers.gate_code": 1,
        "field:addresses.floor": 1,
    }


async def test_a_resumed_apply_sends_nothing_twice(stores, tmp_path):
    """Part of a plan landed (a run killed after its writes reached the store but before its
    state file recorded them): the next run finds them on the store and sends only the rest."""
    _, target, text = stores
    desired = S.Schema.from_toml(text)
    path = state_path_for("target", "0123456789abcdef")
    async with target.service() as b:
        made = S.plan(await S.pull(b, entries=True), desired)
        # as a killed run leaves it: every flow and field, and the stockists entries
        first = {i.key for i in made.items if i.resource != "entry" or "stockists" in i.key}
        done = await S.apply(b, made, only=first)  # no state file: as if it was never saved
        assert done.ok and set(done.done) == first
        seen: list[tuple[str, str]] = []
        report = await S.apply(
            b, made, state_path=path, progress=lambda i, s: seen.append((i.key, s))
        )
        assert report.ok and len(report.done) == len(made.items)
        assert {k for k, _ in seen} == {i.key for i in made.items}
        assert set(report.already) == first  # found on the store, not sent again
        assert (await S.pull(b, entries=True)).to_toml() == text
    assert target.app.posts and set(target.app.posts.values()) == {1}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_unfinished(path) is None  # finished: nothing to resume


async def test_a_stopped_apply_leaves_its_plan_to_resume_and_reports_what_was_not_done(stores):
    _, target, text = stores
    desired = S.Schema.from_toml(text)
    path = state_path_for("target", "fedcba9876543210")
    async with target.service() as b:
        made = S.plan(await S.pull(b, entries=True), desired)
        # a flow the store refuses (a reserved slug slipped past the file's checks)
        bad = dataclasses.replace(made.items[0], flow_slug="flow", key="flow:flow")
        broken = S.Plan((bad, *made.items[1:]))
        report = await S.apply(b, broken, state_path=path)
        assert not report.ok and report.failed[0][0] == "flow:flow"
        assert "422" in report.failed[0][1] and not report.done
        assert len(report.skipped) == len(made.items) - 1  # stopped at the first failure
        left = load_unfinished(path)
        assert left is not None and not left[1] and left[0].items[0].key == "flow:flow"
    assert not target.app.posts.get("flow:addresses")


async def test_read_only_services_refuse_before_sending_anything(stores):
    _, target, text = stores
    async with target.service(read_only=True) as b:
        made = S.plan(S.Schema(()), S.Schema.from_toml(text))
        with pytest.raises(S.SchemaApplyError, match="read-only"):
            await S.apply(b, made)
    assert not target.app.posts


async def test_hostile_text_in_the_store_and_the_file_is_shown_literally(stores):
    _, _, text = stores
    desired = S.Schema.from_toml(text)
    assert "\x1b" not in text and "\u202e" not in text  # escaped in the file
    assert desired.flow("brands").name == HOSTILE  # and read back exactly
    renamed = dataclasses.replace(desired.flow("brands"), name="plain")
    flows = tuple(renamed if f.slug == "brands" else f for f in desired.flows)
    current = dataclasses.replace(desired, flows=flows)
    lines = "\n".join(S.plan_lines(S.plan(current, desired)))
    assert "[bold red]Brands[/]" in lines  # markup is text
    assert "\\u001b[31mred\\u001b]0;pwned\\u0007" in lines and "\\u202eevil\\u200b" in lines
    assert "\x1b" not in lines and "\u202e" not in lines and "\u200b" not in lines


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("version = 1\n[[flows]\n", "not valid TOML: .*line 2"),
        (
            '[[flows]]\nslug = "b"\nname = "B"\n[[flows.fields]]\nslug = "x"\nname = "X"\n'
            'field_type = "strin"\n',
            "flow 'b', field 'x': field_type 'strin' is not one of",
        ),
        (
            '[[flows]]\nslug = "b"\nname = "B"\n[[flows.fields]]\nslug = "x"\nname = "X"\n'
            'field_type = "integer"\nvalidation_rules = [{type = "email"}]\n',
            "flow 'b', field 'x': validation_rules\\[0\\]: a integer field cannot have",
        ),
        (
            '[[flows]]\nslug = "customers"\nname = "C"\n[[entries]]\nflow = "customers"\n'
            'key = "k"\n',
            "core flow",
        ),
        ('[[flows]]\nslug = "flow"\nname = "F"\n', "flow 'flow': slug"),
        ("colour = 1\n", "unknown key 'colour'"),
    ],
)
def test_file_errors_name_the_line_or_the_item(text, message):
    with pytest.raises(S.SchemaFileError, match=message):
        S.Schema.from_toml(text)


def test_entry_keys_are_matched_across_stores_by_the_key_field():
    flow = S.FlowSpec(
        "kinds",
        "Kinds",
        "",
        True,
        (
            S.FieldSpec("label", "Label", "", "string", False, True, None, 1, False, ()),
            S.FieldSpec("code", "Code", "", "integer", False, True, None, 2, False, ()),
        ),
    )
    desired = S.Schema((flow,), (S.EntrySpec("kinds", "7", {"label": "seven", "code": 7}),))
    current = S.Schema((flow,), (S.EntrySpec("kinds", "x", {"label": "seven", "code": 7}),))
    assert S.plan(current, desired).empty  # the key field is "code", whatever the store said
    twins = S.Schema(
        (flow,),
        (S.EntrySpec("kinds", "h-1", {"label": "a"}), S.EntrySpec("kinds", "h-2", {"label": "a"})),
    )
    text = S.Schema((flow,), ()).to_toml()
    assert S.Schema.from_toml(text).flows == (flow,)
    made = S.plan(S.Schema((flow,)), twins)
    assert [i.action for i in made.items] == ["create", "create"]
