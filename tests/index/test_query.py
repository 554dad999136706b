"""The index's query language: parsing and resolving against fields (pure functions)."""

from __future__ import annotations

import pytest

from flowtui.index.query import (
    BASE_FIELDS,
    IndexField,
    QueryError,
    Term,
    age_text,
    normalise,
    parse,
    parse_query,
)

FIELDS = [
    *BASE_FIELDS,
    IndexField("delivery_notes", "Delivery notes", "text"),
    IndexField("loyalty_tier", "Loyalty tier", "number"),
    IndexField("newsletter", "Newsletter", "boolean"),
    IndexField("birthday", "Birthday", "date"),
    IndexField("lifetime_value", "Lifetime value (€)", "number"),
]


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        ("", []),
        ("   ", []),
        ("knope", [Term(None, ":", "knope")]),
        ("delivery_notes:knope", [Term("delivery_notes", ":", "knope")]),
        (
            "loyalty_tier>=4 newsletter=true",
            [Term("loyalty_tier", ">=", "4"), Term("newsletter", "=", "true")],
        ),
        (
            "a>1 b<2 c<=3 d!=4",
            [Term("a", ">", "1"), Term("b", "<", "2"), Term("c", "<=", "3"), Term("d", "!=", "4")],
        ),
        (
            "tier≥4 tier≤5 tier≠3",
            [Term("tier", ">=", "4"), Term("tier", "<=", "5"), Term("tier", "!=", "3")],
        ),
        ('notes:"two words"', [Term("notes", ":", "two words")]),
        ('"leslie knope"', [Term(None, ":", "leslie knope")]),
        (r'notes:"say \"hi\""', [Term("notes", ":", 'say "hi"')]),
        ("  a:1\tb  ", [Term("a", ":", "1"), Term(None, ":", "b")]),
        ("url:http://x.example", [Term("url", ":", "http://x.example")]),
    ],
)
def test_parse_query(text, terms):
    assert parse_query(text) == terms


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('notes:"open', "quote is not closed"),
        (":knope", "name a field"),
        (">=4", "name a field"),
        ("notes:", "give a value after notes:"),
        ("tier>=", "give a value"),
        ("tier!4", "unknown operator"),
        ('"a"b', "put a space"),
        ('notes:"a"b', "put a space"),
        ('no"tes', "quote must start"),
    ],
)
def test_malformed_queries_say_what_is_wrong(text, message):
    with pytest.raises(QueryError, match=message):
        parse_query(text)


def test_fields_by_slug_or_name_in_any_case():
    assert normalise("  Delivery   notes ") == "delivery_notes"
    for name in ("delivery_notes", "DELIVERY_NOTES", "Delivery_Notes"):
        [cond] = parse(f"{name}:knope", FIELDS)
        assert cond.field.column == "delivery_notes"
    [cond] = parse("lifetime_value_(€)>=10", FIELDS)  # by name, spaces as underscores
    assert cond.field.column == "lifetime_value"


def test_unknown_field_lists_the_known_ones():
    with pytest.raises(QueryError) as info:
        parse("colour:red", FIELDS)
    message = str(info.value)
    assert message.startswith("there is no field 'colour'; known fields: name, email")
    assert "delivery_notes" in message and "loyalty_tier" in message
    assert "\n" not in message


def test_values_are_typed_by_field():
    tier, news, notes, bare = parse("loyalty_tier>=4 newsletter:yes delivery_notes=x knope", FIELDS)
    assert (tier.op, tier.value) == (">=", 4.0)
    assert (news.op, news.value) == ("=", 1.0)  # ":" on a boolean is equality
    assert (notes.op, notes.value) == ("=", "x")
    assert bare.field is None and bare.value == "knope"
    [tier] = parse("loyalty_tier:3", FIELDS)
    assert (tier.op, tier.value) == ("=", 3.0)
    [news] = parse("newsletter!=off", FIELDS)
    assert (news.op, news.value) == ("!=", 0.0)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("loyalty_tier>=many", "holds numbers"),
        ("loyalty_tier=nan", "holds numbers"),
        ("newsletter=maybe", "yes or no"),
        ("newsletter>1", "yes or no"),
        ("delivery_notes>=a", "holds text"),
        ("birthday<soon", "holds dates"),
        ("birthday=1990-02-31", "not a date"),
    ],
)
def test_values_of_the_wrong_kind_are_refused(text, message):
    with pytest.raises(QueryError, match=message):
        parse(text, FIELDS)


def test_dates_name_periods():
    [year] = parse("birthday<=1990", FIELDS)
    assert (year.value, year.end) == ("1990", "1991")
    [month] = parse("birthday=1990-12", FIELDS)
    assert month.end == "1991-01"
    [day] = parse("created_at>2024-02-28", FIELDS)
    assert (day.field.column, day.end) == ("created_at", "2024-02-29")
    [stamp] = parse("updated_at>=2024-02-28T10:00:00.000Z", FIELDS)
    assert stamp.end is None


def test_age_text():
    assert age_text(None) == "never synced"
    assert age_text(5) == "up to date"
    assert age_text(185) == "3 min old"
    assert age_text(7300) == "2 h old"
    assert age_text(86400 * 3) == "3 days old"
