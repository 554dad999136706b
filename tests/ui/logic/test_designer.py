"""The designer's pure logic: rule editor parsing, defaults, slugs, diffs, order, warnings."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from flowtui.ui.logic import designer as L


@dataclass
class Item:
    id: str
    slug: str
    order: int | None = None


def test_parse_options_per_type_commas_and_lines():
    assert L.parse_options("string", "a, b\nc,,") == (["a", "b", "c"], None)
    assert L.parse_options("integer", "1,2, 3") == ([1, 2, 3], None)
    assert L.parse_options("float", "0.5\n1") == ([0.5, 1.0], None)
    assert L.parse_options("integer", "1, x")[1] == "option 'x' must be a whole number"
    assert "listed twice" in L.parse_options("string", "a, a")[1]
    assert "must be a date" in L.parse_options("date", "2026-13-01")[1]


@pytest.mark.parametrize(
    ("field_type", "inputs", "rules"),
    [
        ("string", L.RuleInputs(string_format="email"), [{"type": "email"}]),
        ("string", L.RuleInputs(enum_text="x, y"), [{"type": "enum", "options": ["x", "y"]}]),
        (
            "integer",
            L.RuleInputs(between_from="1", between_to="5"),
            [{"type": "between", "options": {"from": 1, "to": 5}}],
        ),
        (
            "float",
            L.RuleInputs(between_from="0.5", between_to="9.5"),
            [{"type": "between", "options": {"from": 0.5, "to": 9.5}}],
        ),
        (
            "date",
            L.RuleInputs(enum_text="2026-12-24"),
            [{"type": "enum", "options": ["2026-12-24"]}],
        ),
        ("boolean", L.RuleInputs(enum_text="ignored", string_format="email"), []),
        (
            "relationship",
            L.RuleInputs(cardinality="one-to-many", target="customer"),
            [{"type": "one-to-many", "to": "customer"}],
        ),
    ],
)
def test_build_rules_round_trips(field_type, inputs, rules):
    assert L.build_rules(field_type, inputs) == (rules, [])
    again = L.rules_to_inputs(field_type, rules)
    assert L.build_rules(field_type, again) == (rules, [])


def test_build_rules_problems():
    assert L.build_rules("integer", L.RuleInputs(between_from="1"))[1] == [
        "between needs both from and to"
    ]
    assert (
        "greater than to"
        in L.build_rules("integer", L.RuleInputs(between_from="5", between_to="1"))[1][0]
    )
    assert "needs a target" in L.build_rules("relationship", L.RuleInputs())[1][0]
    assert "needs 'to'" in L.build_rules("relationship", L.RuleInputs(target="a b"))[1][0]


def test_parse_default_checks_type_and_rules():
    rules = [{"type": "between", "options": {"from": 1, "to": 5}}]
    assert L.parse_default("integer", rules, "3") == (3, None)
    assert L.parse_default("integer", rules, "9") == (9, "default must be between 1 and 5")
    assert L.parse_default("integer", [], "x")[1] == "default must be a whole number"
    assert L.parse_default("string", [], "0") == ("0", None)
    assert L.parse_default("boolean", [], "true") == (True, None)
    assert L.parse_default("string", [], "") == (None, None)
    assert L.parse_default("relationship", [], "x")[1] is not None


def test_slug_checks():
    flows = [Item("1", "customers"), Item("2", "wishlists")]
    assert "already taken" in L.flow_slug_check("wishlists", flows)[0]
    assert L.flow_slug_check("wishlists", flows, editing_id="2")[0] is None
    assert "extend the order resource" in L.flow_slug_check("orders", flows)[1]
    assert "reserved" in L.flow_slug_check("customer", flows)[0]
    fields = [Item("a", "tier")]
    assert "already a field" in L.field_slug_check("tier", "customers", fields)
    assert L.field_slug_check("tier", "customers", fields, editing_id="a") is None
    assert "attribute of the customer resource" in L.field_slug_check("email", "customers", [])
    assert L.slugify("Delivery Details!") == "delivery_details"


def test_field_changes_only_what_differs():
    @dataclass
    class F:
        name: str = "A"
        slug: str = "a"
        description: str = ""
        required: bool = False
        default: object = 1
        enabled: bool = True
        omit_null: bool = False
        validation_rules: tuple = ()

    assert L.field_changes(F(), {"name": "A", "validation_rules": [], "default": 1}) == {}
    assert L.field_changes(F(), {"default": 1.0, "name": "B"}) == {"default": 1.0, "name": "B"}


def test_order_helpers():
    items = [Item("a", "a", 2), Item("b", "b", None), Item("c", "c", 1)]
    assert [i.id for i in L.in_order(items)] == ["c", "a", "b"]
    assert [i.id for i in L.moved(items, 0, 1)] == ["b", "a", "c"]
    assert L.moved(items, 0, -1) is None and L.moved(items, 2, 1) is None
    assert L.next_order(items) == 4


def test_delete_warnings_name_what_is_lost():
    text = L.delete_field_warning("Tier", "customers", "customer", 12345)
    assert "values of this field on 12,345 customers will no longer be shown" in text
    assert "on 1 entry will be lost" in L.delete_field_warning("T", "wish", None, 1)
    assert "every product" in L.delete_field_warning("T", "products", "product", None)
    assert "Its 2 fields and 3 entries" in L.delete_flow_warning("wish", None, 2, 3)
    assert "405" in L.delete_flow_warning("customers", "customer", 6, 10)


def test_describe_rules():
    rules = [{"type": "enum", "options": [1, 2, 3, 4, 5]}, {"type": "email"}]
    assert L.describe_rules(rules) == "one of 1, 2, 3, 4, …; email"
    assert L.describe_rules([{"type": "one-to-one", "to": "customer"}]) == "one-to-one → customer"
