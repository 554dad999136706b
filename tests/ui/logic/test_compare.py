"""The compare view's pure logic on real plans (``flowtui.ops.schema.plan``): the side-by-side
rows, picks with their dependencies, the preview, the confirmation and the progress count."""

from __future__ import annotations

import dataclasses

from flowtui.ops.schema import FieldSpec, FlowSpec, Schema, plan
from flowtui.ui.logic import compare as L


def field(slug: str, field_type: str = "string", **attrs) -> FieldSpec:
    values = {
        "name": slug.title(),
        "description": "",
        "required": False,
        "enabled": True,
        "default": None,
        "order": None,
        "omit_null": False,
    }
    values.update(attrs)
    return FieldSpec(slug=slug, field_type=field_type, **values)


def flow(slug: str, *fields: FieldSpec, **attrs) -> FlowSpec:
    values = {"name": slug.title(), "description": "", "enabled": True}
    values.update(attrs)
    return FlowSpec(slug=slug, fields=fields, **values)


HERE = Schema(
    (
        flow("customers", field("notes"), field("window"), field("old", "float")),
        flow("legacy", field("code")),
    )
)
THERE = Schema(
    (
        flow("brands", field("label"), field("rank", "integer"), description="Makers"),
        flow(
            "customers",
            field("notes", description="Gate codes too"),
            field("window", "integer"),
        ),
    )
)


def keys(p) -> list[str]:
    return [i.key for i in p.items]


def test_rows_side_by_side_for_every_kind_of_change():
    p = plan(HERE, THERE, prune=True, allow_replace=True)
    rows = {r.key: r for r in L.rows(p)}
    brands = rows["flow:brands"]
    assert (brands.action, brands.what, brands.current) == ("create", "flow brands", "—")
    assert brands.other == 'name: "Brands"; description: "Makers"; enabled: yes'
    notes = rows["field:customers.notes"]
    assert (notes.action, notes.what) == ("update", "customers.notes")
    assert (notes.current, notes.other) == ('description: ""', 'description: "Gate codes too"')
    window = rows["field:customers.window"]
    assert window.action == "replace"
    assert window.current == 'values lost (not counted) · field_type: "string"'
    assert window.other == 'field_type: "integer"'
    old = rows["field:customers.old"]
    assert old.action == "delete" and old.other == "—"
    assert old.current.startswith('values lost (not counted) · name: "Old"; field_type: "float"')
    assert rows["flow:legacy"].action == "delete"


def test_counted_values_lost_are_shown():
    p = plan(HERE, THERE, allow_replace=True)
    counted = dataclasses.replace(
        p,
        items=tuple(
            dataclasses.replace(i, values_lost=1) if i.action == "replace" else i for i in p.items
        ),
    )
    item = next(i for i in counted.items if i.action == "replace")
    assert L.row(item).current.startswith("1 value lost · ")
    assert L.action_text(item) == "replace (loses 1 stored value)"
    assert L.lost_total(counted.items) == 1
    assert L.lost_total(p.items) is None  # not counted
    assert L.lost_total([i for i in p.items if i.action == "create"]) == 0


def test_show_quotes_strings_and_leaves_escaping_to_the_display_path():
    assert L.show("") == '""'
    assert L.show(None) == "(none)"
    assert L.show(True) == "yes"
    assert L.show(3) == "3"
    assert L.show([{"type": "enum", "options": ["a", 1, None]}]) == (
        '[{"type": "enum", "options": ["a", 1, null]}]'
    )
    # Raw: the screen's safe() turns the escape into visible text, as everywhere else.
    assert L.show("\x1b[2J[b]x[/b]") == '"\x1b[2J[b]x[/b]"'


def test_picking_a_field_of_a_new_flow_picks_the_flow_and_dropping_the_flow_drops_it():
    p = plan(HERE, THERE)
    picks = L.Picks(p)
    assert picks.toggle("field:brands.rank") == {"flow:brands", "field:brands.rank"}
    assert picks.keys == {"flow:brands", "field:brands.rank"}
    picks.toggle("field:brands.label")
    picks.toggle("field:customers.notes")
    # Dropping the flow drops its fields: all three changed.
    assert picks.toggle("flow:brands") == {"flow:brands", "field:brands.rank", "field:brands.label"}
    assert picks.keys == {"field:customers.notes"}
    # Dropping one field leaves the flow and its other field alone.
    picks.toggle("field:brands.label")
    picks.toggle("field:brands.rank")
    assert picks.toggle("field:brands.label") == {"field:brands.label"}
    assert picks.keys == {"field:customers.notes", "flow:brands", "field:brands.rank"}
    assert [i.key for i in picks.picked()] == [
        k for k in keys(p) if k in picks.keys
    ]  # plan (dependency) order


def test_a_flow_delete_is_one_item_that_loses_every_value_of_the_flow():
    p = plan(HERE, THERE, prune=True)
    assert not [k for k in keys(p) if k.startswith("field:legacy.")]  # they go with it
    item = next(i for i in p.items if i.key == "flow:legacy")
    assert L.loses_values(item)
    assert L.row(item).current.startswith('values lost (not counted) · name: "Legacy"')
    picks = L.Picks(p)
    picks.toggle("flow:legacy")
    assert picks.keys == {"flow:legacy"}


def test_all_then_all_again_and_replan_keeps_what_still_exists():
    p = plan(HERE, THERE, prune=True)
    picks = L.Picks(p)
    picks.toggle("field:customers.notes")
    assert picks.all() == set(keys(p)) - {"field:customers.notes"}
    assert picks.keys == set(keys(p))
    assert picks.all() == set(keys(p))
    assert picks.keys == set()
    assert picks.toggle("field:nowhere.at_all") == set()
    picks.toggle("field:customers.old")
    picks.toggle("field:brands.label")
    kept = picks.replan(plan(HERE, THERE))  # no prune: the delete is gone
    assert kept.keys == {"flow:brands", "field:brands.label"}


def test_preview_rows_before_and_after():
    p = plan(HERE, THERE, prune=True, allow_replace=True)
    by_key = {i.key: i for i in p.items}
    assert L.preview_rows(by_key["field:customers.notes"]) == [
        ("description", '""', '"Gate codes too"')
    ]
    created = L.preview_rows(by_key["field:brands.rank"])
    assert ("field_type", "—", '"integer"') in created
    assert all(before == "—" for _, before, _ in created)
    deleted = L.preview_rows(by_key["field:customers.old"])
    assert ("field_type", '"float"', "—") in deleted
    lines = L.preview_lines([by_key["field:customers.window"]])
    assert lines[0] == "replace (its stored values are lost): field customers.window"
    assert '  field_type: "string" → "integer"' in lines


def test_confirmation_names_the_store_and_what_is_lost():
    p = plan(HERE, THERE, prune=True, allow_replace=True)
    items = [i for i in p.items if i.key in ("field:customers.notes", "field:customers.old")]
    items = [dataclasses.replace(i, values_lost=7) if i.action == "delete" else i for i in items]
    question, detail = L.confirm_text(items, "profile staging", "pawnee", "shop.test (LIVE)")
    assert question == "Apply 2 changes to profile pawnee?"
    assert detail.startswith("1 update · 1 delete, from the design of profile staging, sent to ")
    assert "shop.test (LIVE)" in detail
    assert detail.endswith("1 replace or delete: 7 stored values are lost.")


def test_progress_counts_finished_items():
    p = plan(HERE, THERE)
    progress = L.Progress(3)
    first, second = p.items[:2]
    progress.saw(first, "done")
    progress.saw(second, "failed")
    assert progress.finished == 2
    assert progress.text() == "2 of 3 · 1 done · 1 failed"
    assert L.counts_text(p.items) == "3 create · 1 update · 1 replace"
    assert L.counts_text([]) == "nothing"


def test_preview_table_names_each_item_once_and_compacts_a_long_preview():
    p = plan(HERE, THERE, prune=True, allow_replace=True)
    rows = L.preview_table(p.items)
    assert rows[0][0] == "create flow brands" and rows[1][0] == ""
    assert ("", "description", "—", '"Makers"') in rows
    assert [r[0] for r in rows if r[0]] == [f"{i.action} {L.short_name(i)}" for i in p.items]
    short = L.preview_table(p.items, limit=5)
    assert len(short) < len(rows)
    assert ("create flow brands", "(new)", "—", 'name: "Brands"; description: "Makers"; '
            "enabled: yes") in short  # fmt: skip
    assert ("delete flow legacy", "(all)", 'name: "Legacy"; enabled: yes', "—") in short
    # Updates and replaces keep a row per attribute.
    assert ("update customers.notes", "description", '""', '"Gate codes too"') in short
