"""Unit tests of flowtui/core/fields.py: field types, validation rules and value checks."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flowtui.core import fields as F

# -- is_email -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["a@b.co", "leslie.knope@pawnee.example", "a+b@x.com", "o'brien@mail.example.org", "ü@ß.de"],
)
def test_is_email_accepts(value):
    assert F.is_email(value)


@pytest.mark.parametrize(
    "value",
    ["", "a", "a@b", "@b.co", "a@.co", "a@b.", "a@@b.co", "a@b..co", "a b@c.de", "a@b c.de",
     "a@b.co ", " a@b.co", "a@b.co\n"],
)  # fmt: skip
def test_is_email_refuses(value):
    assert not F.is_email(value)


# -- is_int / is_number -------------------------------------------------------------------


def test_is_int_and_is_number():
    assert F.is_int(0) and F.is_int(-(2**70))
    assert not F.is_int(True) and not F.is_int(1.0) and not F.is_int("1")
    assert F.is_number(1) and F.is_number(1.5) and F.is_number(-0.0)
    for bad in (True, False, math.inf, -math.inf, math.nan, "1", None, [1]):
        assert not F.is_number(bad)


# -- parse_date ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-12-24", (dt.date(2026, 12, 24), None)),
        ("2026-12-24 18:30:00", (dt.date(2026, 12, 24), dt.time(18, 30))),
        ("2026-12-24T18:30:05", (dt.date(2026, 12, 24), dt.time(18, 30, 5))),
        ("2024-02-29", (dt.date(2024, 2, 29), None)),
        ("0001-01-01 00:00:00", (dt.date(1, 1, 1), dt.time(0))),
    ],
)
def test_parse_date_valid(value, expected):
    assert F.parse_date(value) == expected


@pytest.mark.parametrize(
    "value",
    ["", "2026-02-30", "2025-02-29", "2026-13-01", "2026-00-10", "2026-1-2", "26-01-02",
     "2026/01/02", "2026-01-02 24:00:00", "2026-01-02 12:60:00", "2026-01-02 12:00",
     "2026-01-02T12:00:00Z", "2026-01-02T12:00:00.123", "2026-01-02 ", " 2026-01-02",
     "0000-01-01", "2026-01-02x12:00:00", "２０２６-01-02"],
)  # fmt: skip
def test_parse_date_invalid(value):
    assert F.parse_date(value) is None


# -- slugs --------------------------------------------------------------------------------


@pytest.mark.parametrize("slug", ["wishlists", "Wish-lists_2", "a", "foo(bar)", "customers"])
def test_flow_slug_ok(slug):
    assert F.flow_slug_problem(slug) is None


@pytest.mark.parametrize(
    "slug",
    [None, "", 5, "$wish", "customer", "product", "flow", "field", "promotion", "has space",
     "dots.no", "slash/no", "ümlaut", "wish\n", "wish\r", "٣"],
)  # fmt: skip
def test_flow_slug_problem(slug):
    problem = F.flow_slug_problem(slug)
    assert isinstance(problem, str) and problem


CONTRACT_FLOW_SLUGS = (
    "address brand cart category collection currency customer field file flow integration "
    "inventory language product order setting promotion"
)
CONTRACT_FIELD_SLUGS = (
    "id type meta links relationships weight weights attribute attributes dimension dimensions"
)


def test_every_reserved_flow_slug_is_refused():
    for slug in F.RESERVED_FLOW_SLUGS:
        assert "reserved" in F.flow_slug_problem(slug)
    # the contract's list, exactly
    assert set(CONTRACT_FLOW_SLUGS.split()) == F.RESERVED_FLOW_SLUGS


@pytest.mark.parametrize("slug", ["nickname", "loyalty-tier", "a_b", "x(1)", "Name"])
def test_field_slug_ok(slug):
    assert F.field_slug_problem(slug, "customers") is None
    assert F.field_slug_problem(slug) is None


def test_field_slug_problems():
    for slug in F.RESERVED_FIELD_SLUGS:
        assert "reserved" in F.field_slug_problem(slug)
        assert "reserved" in F.field_slug_problem(slug, "wishlists")
    assert set(CONTRACT_FIELD_SLUGS.split()) == F.RESERVED_FIELD_SLUGS
    for bad in (None, "", 3, "$x", "a b", "a.b", "nick\n"):
        assert F.field_slug_problem(bad) is not None
    # resource attributes only matter on their core flow
    for attr in ("name", "email", "password", "external_ref", "authentication_mechanism"):
        problem = F.field_slug_problem(attr, "customers")
        assert problem is not None and "customer" in problem
        assert F.field_slug_problem(attr, "wishlists") is None
        assert F.field_slug_problem(attr) is None


def test_core_resource():
    assert F.core_resource("customers") == "customer"
    assert F.core_resource("order_items") == "order_item"
    assert F.core_resource("wishlists") is None
    assert F.core_resource("Customers") is None


# -- normalise_rules ----------------------------------------------------------------------

GOOD_RULES = [
    ("string", [{"type": "enum", "options": ["a", "b"]}]),
    ("string", [{"type": "email"}]),
    ("string", [{"type": "slug"}]),
    ("string", [{"type": "uuid"}]),
    ("integer", [{"type": "between", "options": {"from": 1, "to": 5}}]),
    ("integer", [{"type": "enum", "options": [1, 2, 3]}]),
    ("float", [{"type": "between", "options": {"from": 0.5, "to": 9.5}}]),
    ("float", [{"type": "enum", "options": [0.5, 1.0]}]),
    ("date", [{"type": "enum", "options": ["2026-12-24", "2026-12-25"]}]),
    ("boolean", []),
    ("relationship", [{"type": "one-to-one", "to": "customer"}]),
    ("relationship", [{"type": "one-to-many", "to": "product"}]),
    ("string", []),
    ("integer", [{"type": "between", "options": {"from": 3, "to": 3}}]),
]


@pytest.mark.parametrize(("field_type", "rules"), GOOD_RULES)
def test_contract_rules_are_accepted_unchanged(field_type, rules):
    assert F.normalise_rules(field_type, rules) == (rules, [])


def test_none_rules_are_an_empty_list():
    assert F.normalise_rules("string", None) == ([], [])


def test_rules_are_canonicalised():
    rules, problems = F.normalise_rules(
        "integer",
        [{"type": "between", "options": {"from": "1", "to": 5.0, "extra": 1}, "junk": True}],
    )
    assert problems == []
    assert rules == [{"type": "between", "options": {"from": 1, "to": 5}}]
    assert F.is_int(rules[0]["options"]["to"])
    rules, problems = F.normalise_rules("string", [{"type": "email", "options": ["x"]}])
    assert (rules, problems) == ([{"type": "email"}], [])
    rules, problems = F.normalise_rules(
        "float", [{"type": "between", "options": {"from": "0.5", "to": 2}}]
    )
    assert (rules, problems) == ([{"type": "between", "options": {"from": 0.5, "to": 2}}], [])


BAD_RULES = [
    ("string", {"type": "email"}),  # not a list
    ("string", "email"),
    ("string", ["email"]),
    ("string", [{"options": []}]),
    ("string", [{"type": "between", "options": {"from": 1, "to": 2}}]),
    ("string", [{"type": "enum", "options": []}]),
    ("string", [{"type": "enum", "options": "a,b"}]),
    ("string", [{"type": "enum", "options": ["a", 1]}]),
    ("string", [{"type": "one-to-one", "to": "customer"}]),
    ("integer", [{"type": "email"}]),
    ("integer", [{"type": "between"}]),
    ("integer", [{"type": "between", "options": [1, 5]}]),
    ("integer", [{"type": "between", "options": {"from": 1}}]),
    ("integer", [{"type": "between", "options": {"from": 1.5, "to": 5}}]),
    ("integer", [{"type": "between", "options": {"from": "one", "to": 5}}]),
    ("integer", [{"type": "between", "options": {"from": True, "to": 5}}]),
    ("integer", [{"type": "between", "options": {"from": 6, "to": 5}}]),
    ("integer", [{"type": "enum", "options": [1, 2.5]}]),
    ("integer", [{"type": "enum", "options": [1, "2"]}]),
    ("integer", [{"type": "enum", "options": [True]}]),
    ("float", [{"type": "between", "options": {"from": 9.5, "to": 0.5}}]),
    ("float", [{"type": "between", "options": {"from": None, "to": 0.5}}]),
    ("float", [{"type": "enum", "options": [0.5, "x"]}]),
    ("float", [{"type": "uuid"}]),
    ("date", [{"type": "enum", "options": ["2026-02-30"]}]),
    ("date", [{"type": "enum", "options": ["tomorrow"]}]),
    ("date", [{"type": "between", "options": {"from": "2026-01-01", "to": "2026-02-01"}}]),
    ("boolean", [{"type": "enum", "options": [True, False]}]),
    ("relationship", []),
    ("relationship", [{"type": "one-to-one"}]),
    ("relationship", [{"type": "one-to-one", "to": ""}]),
    ("relationship", [{"type": "one-to-one", "to": "a b"}]),
    ("relationship", [{"type": "one-to-one", "to": "x"}, {"type": "one-to-many", "to": "y"}]),
    ("relationship", [{"type": "enum", "options": ["a"]}]),
    ("unknown", [{"type": "enum", "options": ["a"]}]),
]


@pytest.mark.parametrize(("field_type", "rules"), BAD_RULES)
def test_bad_rules_have_problems(field_type, rules):
    _, problems = F.normalise_rules(field_type, rules)
    assert problems
    assert all(isinstance(p, str) and p for p in problems)


def test_every_bad_rule_is_reported():
    _, problems = F.normalise_rules(
        "integer", [{"type": "email"}, {"type": "between", "options": {"from": 2, "to": 1}}]
    )
    assert len(problems) == 2
    assert problems[0].startswith("validation_rules[0]")
    assert problems[1].startswith("validation_rules[1]")


# -- value_problem ------------------------------------------------------------------------

U = "123e4567-e89b-42d3-a456-426614174000"

OK_VALUES = [
    ("string", [], ""),
    ("string", [], "[bold]x[/] \x1b[31m"),
    ("string", [{"type": "enum", "options": ["a", "b"]}], "b"),
    ("string", [{"type": "email"}], "a@b.co"),
    ("string", [{"type": "slug"}], "Abc-1_2"),
    ("string", [{"type": "uuid"}], U),
    ("string", [{"type": "uuid"}], U.upper()),
    ("integer", [], 0),
    ("integer", [], F.INT64_MAX),
    ("integer", [], F.INT64_MIN),
    ("integer", [{"type": "between", "options": {"from": 1, "to": 5}}], 1),
    ("integer", [{"type": "between", "options": {"from": 1, "to": 5}}], 5),
    ("integer", [{"type": "enum", "options": [1, 2, 3]}], 3),
    ("float", [], 1),
    ("float", [], -2.5),
    ("float", [{"type": "between", "options": {"from": 0.5, "to": 9.5}}], 0.5),
    ("float", [{"type": "between", "options": {"from": 0.5, "to": 9.5}}], 9),
    ("float", [{"type": "enum", "options": [0.5, 1.0]}], 1),
    ("boolean", [], True),
    ("boolean", [], False),
    ("date", [], "2026-12-24"),
    ("date", [], "2026-12-24 23:59:59"),
    ("date", [], "2026-12-24T00:00:00"),
    ("date", [{"type": "enum", "options": ["2026-12-24", "2026-12-25"]}], "2026-12-25"),
    ("date", [{"type": "enum", "options": ["2026-12-24 10:00:00"]}], "2026-12-24T10:00:00"),
]


@pytest.mark.parametrize(("field_type", "rules", "value"), OK_VALUES)
def test_value_ok(field_type, rules, value):
    assert F.value_problem(field_type, rules, value) is None


@pytest.mark.parametrize("field_type", F.FIELD_TYPES)
def test_null_is_always_acceptable_to_value_problem(field_type):
    assert F.value_problem(field_type, [{"type": "enum", "options": ["x"]}], None) is None


BAD_VALUES = [
    ("string", [], 1),
    ("string", [], True),
    ("string", [], ["a"]),
    ("string", [], {"a": 1}),
    ("string", [{"type": "enum", "options": ["a", "b"]}], "A"),
    ("string", [{"type": "email"}], "not-an-email"),
    ("string", [{"type": "slug"}], "no spaces"),
    ("string", [{"type": "slug"}], "paren(s)"),
    ("string", [{"type": "uuid"}], "123e4567e89b42d3a456426614174000"),
    ("string", [{"type": "uuid"}], U + "0"),
    ("string", [{"type": "uuid"}], U + "\n"),
    ("string", [{"type": "slug"}], "abc\n"),
    ("string", [{"type": "email"}], "a@b.co\n"),
    ("date", [], "2026-12-24\n"),
    ("integer", [], 1.5),
    ("integer", [], 1.0),
    ("integer", [], "1"),
    ("integer", [], True),
    ("integer", [], F.INT64_MAX + 1),
    ("integer", [], F.INT64_MIN - 1),
    ("integer", [{"type": "between", "options": {"from": 1, "to": 5}}], 0),
    ("integer", [{"type": "between", "options": {"from": 1, "to": 5}}], 6),
    ("integer", [{"type": "enum", "options": [1, 2, 3]}], 4),
    ("float", [], "1.5"),
    ("float", [], False),
    ("float", [], math.inf),
    ("float", [], math.nan),
    ("float", [{"type": "between", "options": {"from": 0.5, "to": 9.5}}], 0.49),
    ("float", [{"type": "between", "options": {"from": 0.5, "to": 9.5}}], 9.51),
    ("float", [{"type": "enum", "options": [0.5, 1.0]}], 0.75),
    ("boolean", [], 1),
    ("boolean", [], "true"),
    ("boolean", [], 0),
    ("date", [], "2026-02-30"),
    ("date", [], "2026-12-24T10:00:00Z"),
    ("date", [], 20261224),
    ("date", [], "24/12/2026"),
    ("date", [{"type": "enum", "options": ["2026-12-24", "2026-12-25"]}], "2026-12-26"),
    ("relationship", [], "anything"),
    ("mystery", [], "x"),
]


@pytest.mark.parametrize(("field_type", "rules", "value"), BAD_VALUES)
def test_value_problem(field_type, rules, value):
    problem = F.value_problem(field_type, rules, value)
    assert isinstance(problem, str) and problem


def test_value_problem_names_the_rule():
    assert "between 1 and 5" in F.value_problem(
        "integer", [{"type": "between", "options": {"from": 1, "to": 5}}], 9
    )
    assert '"a", "b"' in F.value_problem("string", [{"type": "enum", "options": ["a", "b"]}], "c")
    long_enum = [{"type": "enum", "options": list(range(30))}]
    assert F.value_problem("integer", long_enum, 99).endswith(", ...")


def test_string_size_limit():
    assert F.value_problem("string", [], "x" * F.MAX_STRING_BYTES) is None
    assert F.value_problem("string", [], "x" * (F.MAX_STRING_BYTES + 1)) is not None
    # 16 MB counts bytes, not characters
    assert F.value_problem("string", [], "é" * (F.MAX_STRING_BYTES // 2 + 1)) is not None


# -- normalise_default --------------------------------------------------------------------


def test_normalise_default():
    assert F.normalise_default("string", [], None) == (None, None)
    assert F.normalise_default("string", [], "x") == ("x", None)
    # the seed sends "default": 0 for a string field: stored as its string form
    assert F.normalise_default("string", [], 0) == ("0", None)
    assert F.normalise_default("string", [], 1.5) == ("1.5", None)
    assert F.normalise_default("integer", [], 3) == (3, None)
    assert F.normalise_default("boolean", [], False) == (False, None)
    assert F.normalise_default("date", [], "2026-01-02") == ("2026-01-02", None)
    between = [{"type": "between", "options": {"from": 1, "to": 5}}]
    assert F.normalise_default("integer", between, 5) == (5, None)
    _, problem = F.normalise_default("integer", between, 6)
    assert problem is not None and problem.startswith("default ")
    for field_type, value in [("integer", "3"), ("boolean", 0), ("date", "2026-02-30"),
                              ("string", True), ("float", "x")]:  # fmt: skip
        _, problem = F.normalise_default(field_type, [], value)
        assert problem is not None, (field_type, value)
    _, problem = F.normalise_default("string", [{"type": "enum", "options": ["a"]}], 0)
    assert problem is not None  # "0" is not one of the options
    _, problem = F.normalise_default("relationship", [], "x")
    assert problem is not None
    assert F.normalise_default("relationship", [], None) == (None, None)


# -- property tests -----------------------------------------------------------------------

ints = st.integers(min_value=F.INT64_MIN, max_value=F.INT64_MAX)


@given(ints, ints, ints)
def test_integer_between_is_inclusive(a, b, value):
    lo, hi = min(a, b), max(a, b)
    rules, problems = F.normalise_rules(
        "integer", [{"type": "between", "options": {"from": lo, "to": hi}}]
    )
    assert problems == []
    problem = F.value_problem("integer", rules, value)
    assert (problem is None) == (lo <= value <= hi)


@given(st.data())
def test_any_int_inside_passes(data):
    lo = data.draw(st.integers(-1000, 1000))
    hi = data.draw(st.integers(lo, lo + 1000))
    rules = [{"type": "between", "options": {"from": lo, "to": hi}}]
    inside = data.draw(st.integers(lo, hi))
    outside = data.draw(st.one_of(st.integers(max_value=lo - 1), st.integers(min_value=hi + 1)))
    assert F.value_problem("integer", rules, inside) is None
    assert F.value_problem("integer", rules, outside) is not None


finite = st.floats(allow_nan=False, allow_infinity=False)


@given(finite, finite, finite)
def test_float_between_is_inclusive(a, b, value):
    lo, hi = min(a, b), max(a, b)
    rules = [{"type": "between", "options": {"from": lo, "to": hi}}]
    assert (F.value_problem("float", rules, value) is None) == (lo <= value <= hi)


@given(st.lists(ints, min_size=1, max_size=10, unique=True), ints)
def test_integer_enum(options, value):
    rules, problems = F.normalise_rules("integer", [{"type": "enum", "options": options}])
    assert problems == []
    assert (F.value_problem("integer", rules, value) is None) == (value in options)


@given(st.dates(min_value=dt.date(1, 1, 1)), st.times())
def test_every_real_date_parses(day, clock):
    clock = clock.replace(microsecond=0)
    text = f"{day.year:04d}-{day.month:02d}-{day.day:02d}"
    assert F.parse_date(text) == (day, None)
    assert F.parse_date(f"{text} {clock:%H:%M:%S}") == (day, clock)
    assert F.parse_date(f"{text}T{clock:%H:%M:%S}") == (day, clock)
    assert F.value_problem("date", [], text) is None


@given(st.text())
def test_string_values_pass_without_rules(text):
    assert F.value_problem("string", [], text) is None


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=12,
)

any_rules = st.sampled_from([rules for _, rules in GOOD_RULES + BAD_RULES] + [[]])


@settings(max_examples=300)
@given(st.sampled_from([*F.FIELD_TYPES, "nope"]), any_rules, json_values)
def test_value_problem_never_raises(field_type, rules, value):
    # Only rules that normalise cleanly ever reach value_problem in the app.
    clean, problems = F.normalise_rules(field_type, rules)
    if problems:
        clean = []
    result = F.value_problem(field_type, clean, value)
    assert result is None or isinstance(result, str)


@settings(max_examples=300)
@given(st.sampled_from([*F.FIELD_TYPES, "nope"]), json_values)
def test_normalise_rules_and_default_never_raise(field_type, junk):
    rules, problems = F.normalise_rules(field_type, junk)
    assert isinstance(rules, list) and isinstance(problems, list)
    if not isinstance(junk, list | type(None)):
        assert problems
    _, problem = F.normalise_default(field_type, rules if not problems else [], junk)
    assert problem is None or isinstance(problem, str)


@given(st.text(max_size=30))
def test_slug_checks_never_raise_and_agree_on_charset(slug):
    for problem in (F.flow_slug_problem(slug), F.field_slug_problem(slug, "customers")):
        assert problem is None or isinstance(problem, str)
    if F.flow_slug_problem(slug) is None:
        assert slug and all(c.isascii() and (c.isalnum() or c in "-_()") for c in slug)
