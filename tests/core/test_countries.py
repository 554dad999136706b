"""The ISO 3166-1 list and the country search the address editor's picker uses."""

from __future__ import annotations

import re

import pytest

from flowtui.core import countries as C


def test_the_list_is_the_standard_249_with_unique_codes_and_names():
    codes = [code for code, _ in C.COUNTRIES]
    assert len(C.COUNTRIES) == 249
    assert len(set(codes)) == 249 and codes == sorted(codes)
    assert all(re.fullmatch(r"[A-Z]{2}", code) for code in codes)
    assert len({name for _, name in C.COUNTRIES}) == 249
    assert set(C.ALIASES.values()) <= set(codes)
    assert dict(C.COUNTRIES)["GB"] == "United Kingdom"
    assert dict(C.COUNTRIES)["KR"] == "Korea, Republic of"
    # user-assigned and withdrawn codes are not countries
    assert not {"XK", "UK", "EU", "AN"} & set(codes)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("DE", "DE"),
        (" de ", "DE"),
        ("germany", "DE"),
        ("Germany (DE)", "DE"),
        ("(de)", "DE"),
        ("South Korea", "KR"),
        ("uk", "GB"),
        ("Côte d'Ivoire", "CI"),
        ("Germany (FR)", None),
        ("Germ", None),
        ("", None),
        ("ZZ", None),
    ],
)
def test_resolve_names_exactly_one_country_or_none(text, code):
    assert C.resolve(text) == code


def test_search_ranks_code_then_name_prefix_then_word_then_substring():
    assert C.search("de")[0].code == "DE"  # the code beats Denmark's prefix
    assert [c.code for c in C.search("ger")][:2] == ["DE", "DZ"]  # prefix, then "Algeria"
    assert [c.code for c in C.search("korea")] == ["KP", "KR"]  # by name on a tie
    assert C.search("republic of")[0].name.casefold().find("republic of") > 0
    assert C.search("south korea")[0].code == "KR"  # an alias
    assert C.search("Germany (DE)")[0].code == "DE"  # a label typed back
    assert C.search("qqq") == []


def test_empty_search_lists_every_country_by_name_and_limits():
    every = C.search("")
    assert len(every) == 249
    assert [c.name.casefold() for c in every] == sorted(c.name.casefold() for c in every)
    assert len(C.search("a", limit=5)) == 5


def test_names_and_labels():
    assert C.country_name("us") == "United States"
    assert C.country_name("ZZ") is None
    assert C.country("fr").label == "France (FR)"
