"""Unit tests of flowtui/sandbox/query.py: query strings, filters, sorting and pagination."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qsl, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flowtui.sandbox import query as Q
from flowtui.sandbox.query import QueryError, Term

# -- parse_query_string -------------------------------------------------------------------


def test_raw_and_encoded_query_strings_parse_alike():
    raw = b"page[limit]=5&filter=eq(email,a@b.c):gt(created_at,2026-01-02T03:04:05.678Z)"
    encoded = (
        b"page%5Blimit%5D=5&filter=eq%28email%2Ca%40b.c%29%3A"
        b"gt%28created_at%2C2026-01-02T03%3A04%3A05.678Z%29"
    )
    expected = {
        "page[limit]": "5",
        "filter": "eq(email,a@b.c):gt(created_at,2026-01-02T03:04:05.678Z)",
    }
    assert Q.parse_query_string(raw) == expected
    assert Q.parse_query_string(encoded) == expected
    assert Q.parse_query_string(raw.decode()) == expected


def test_plus_is_a_space_and_percent_2b_is_a_plus():
    assert Q.parse_query_string(b"filter=eq(email,a+b@x.com)") == {"filter": "eq(email,a b@x.com)"}
    assert Q.parse_query_string(b"filter=eq(email,a%2Bb@x.com)") == {
        "filter": "eq(email,a+b@x.com)"
    }
    assert Q.parse_query_string(b"a+b=c+d") == {"a b": "c d"}


def test_split_on_ampersand_before_decoding():
    # An encoded & is part of a value, a raw one separates parameters.
    assert Q.parse_query_string(b"filter=eq(name,Tom%26Jerry)&sort=name") == {
        "filter": "eq(name,Tom&Jerry)",
        "sort": "name",
    }
    # An encoded = is part of the value too; only the first raw = splits key from value.
    assert Q.parse_query_string(b"filter=eq(name,a%3Db)") == {"filter": "eq(name,a=b)"}
    assert Q.parse_query_string(b"filter=eq(name,a=b)") == {"filter": "eq(name,a=b)"}


def test_query_string_edge_cases():
    assert Q.parse_query_string(b"") == {}
    assert Q.parse_query_string(b"&&") == {}
    assert Q.parse_query_string(b"flag") == {"flag": ""}
    assert Q.parse_query_string(b"sort=name&sort=-email") == {"sort": "-email"}  # last wins
    assert Q.parse_query_string(b"filter=eq(name,Zo%C3%AB)") == {"filter": "eq(name,Zoë)"}
    # A lone % that starts no escape is kept as it is.
    assert Q.parse_query_string(b"filter=like(name,100%)") == {"filter": "like(name,100%)"}


@pytest.mark.parametrize("raw", [b"filter=%FF", b"%C3=1", b"name=%ED%A0%80", b"x=\xff"])
def test_invalid_utf8_is_a_query_error(raw):
    with pytest.raises(QueryError) as info:
        Q.parse_query_string(raw)
    assert "UTF-8" in info.value.detail


# -- parse_filter -------------------------------------------------------------------------


def test_single_term():
    assert Q.parse_filter("eq(email,ron@pawnee.example)") == [
        Term("eq", "email", ("ron@pawnee.example",))
    ]


def test_terms_joined_by_colon_and_timestamps_need_no_quotes():
    terms = Q.parse_filter(
        "gt(created_at,2026-01-02T03:04:05.678Z):le(updated_at,2026-02-03T04:05:06.789Z)"
        ":like(name,*knope*)"
    )
    assert terms == [
        Term("gt", "created_at", ("2026-01-02T03:04:05.678Z",)),
        Term("le", "updated_at", ("2026-02-03T04:05:06.789Z",)),
        Term("like", "name", ("*knope*",)),
    ]


def test_quoted_values():
    assert Q.parse_filter('eq(name,"Leslie Knope")') == [Term("eq", "name", ("Leslie Knope",))]
    # A quoted value may hold ) : , and (
    assert Q.parse_filter('eq(name,"a):eq(b,c"):eq(email,x@y.z)') == [
        Term("eq", "name", ("a):eq(b,c",)),
        Term("eq", "email", ("x@y.z",)),
    ]
    assert Q.parse_filter('eq(name,"")') == [Term("eq", "name", ("",))]


def test_unquoted_values_with_parentheses_and_colons():
    assert Q.parse_filter("eq(name,Ron (the man))") == [Term("eq", "name", ("Ron (the man)",))]
    assert Q.parse_filter("eq(name,a)b)") == [Term("eq", "name", ("a)b",))]
    assert Q.parse_filter("eq(name,a:b):eq(email,c)") == [
        Term("eq", "name", ("a:b",)),
        Term("eq", "email", ("c",)),
    ]
    assert Q.parse_filter("eq(name,x,y)") == [Term("eq", "name", ("x,y",))]
    # Without a : between them, what looks like a second term is part of the value.
    assert Q.parse_filter("eq(name,x)eq(email,y)") == [Term("eq", "name", ("x)eq(email,y",))]


def test_in_lists():
    assert Q.parse_filter("in(id,a,b,c)") == [Term("in", "id", ("a", "b", "c"))]
    assert Q.parse_filter('in(id,"a,b",c,"d)")') == [Term("in", "id", ("a,b", "c", "d)"))]
    assert Q.parse_filter("in(id,only)") == [Term("in", "id", ("only",))]
    assert Q.parse_filter("in(id,a,b):eq(id,a)") == [
        Term("in", "id", ("a", "b")),
        Term("eq", "id", ("a",)),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "eq",
        "eq(",
        "eq(name",
        "eq(name)",  # missing comma
        "eq(name,",
        "eq(name,x",  # unbalanced
        "eq(name,x):",
        "eq(name,x):eq(email,y",
        "foo(name,x)",  # unknown operator
        "EQ(name,x)",
        "eq (name,x)",
        "eq(,x)",
        "eq(1name,x)",
        'eq(name,"x)',  # unterminated quote
        'eq(name,"x"y)',
        "in(id,a,,b)",  # empty list item
        "in(id,)",
        'in(id,"a)',
        'in(id,"a"b)',
    ],
)
def test_malformed_filters(text):
    with pytest.raises(QueryError):
        Q.parse_filter(text)


def test_at_most_ten_terms():
    ten = ":".join(f"eq(name,n{i})" for i in range(10))
    assert len(Q.parse_filter(ten)) == 10
    with pytest.raises(QueryError) as info:
        Q.parse_filter(ten + ":eq(name,n10)")
    assert "10" in info.value.detail
    assert info.value.parameter == "filter"


def test_unknown_operator_is_named():
    with pytest.raises(QueryError) as info:
        Q.parse_filter("contains(name,x)")
    assert "contains" in info.value.detail


def test_check_terms():
    allowed = {"id": frozenset({"eq", "in"}), "name": frozenset({"eq", "like"})}
    Q.check_terms(Q.parse_filter("eq(id,1):like(name,*a)"), allowed, "things")
    with pytest.raises(QueryError) as info:
        Q.check_terms(Q.parse_filter("eq(colour,red)"), allowed, "things")
    assert "colour" in info.value.detail
    with pytest.raises(QueryError) as info:
        Q.check_terms(Q.parse_filter("like(id,1*)"), allowed, "things")
    assert "like" in info.value.detail and "id" in info.value.detail


_filter_alphabet = st.sampled_from([*'eqlikngtb(),:"*_%@ .-Zz019aA\\', "created_at"])


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text(max_size=60),
        st.lists(_filter_alphabet, max_size=40).map("".join),
        st.lists(
            st.tuples(
                st.sampled_from([*Q.OPERATORS, "xx", ""]),
                st.sampled_from(["name", "id", "", "a-b"]),
                st.text(alphabet='ab),:("', max_size=8),
            ).map(lambda t: f"{t[0]}({t[1]},{t[2]})"),
            min_size=1,
            max_size=12,
        ).map(":".join),
    )
)
def test_parse_filter_returns_terms_or_raises_query_error(text):
    try:
        terms = Q.parse_filter(text)
    except QueryError as exc:
        assert isinstance(exc.detail, str) and exc.detail
        return
    assert 1 <= len(terms) <= Q.MAX_FILTERS
    for term in terms:
        assert isinstance(term, Term)
        assert term.op in Q.OPERATORS
        assert term.values and all(isinstance(v, str) for v in term.values)
        if term.op != "in":
            assert len(term.values) == 1


# -- like_pattern -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "pattern"),
    [
        ("knope", "knope"),
        ("*knope", "%knope"),
        ("knope*", "knope%"),
        ("*knope*", "%knope%"),
        ("*", "%"),
        ("**", "%%"),
        ("a*b", "a*b"),  # * only at the ends
        ("100%", "100\\%"),
        ("a_b", "a\\_b"),
        ("*50%_off*", "%50\\%\\_off%"),
        ("back\\slash", "back\\\\slash"),
        ("", ""),
    ],
)
def test_like_pattern(value, pattern):
    assert Q.like_pattern(value) == pattern


# -- timestamps ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "canonical"),
    [
        ("2026-01-02T03:04:05.678Z", "2026-01-02T03:04:05.678Z"),
        ("2026-01-02T03:04:05.678z", "2026-01-02T03:04:05.678Z"),
        ("2026-01-02T03:04:05Z", "2026-01-02T03:04:05.000Z"),
        ("2026-01-02", "2026-01-02T00:00:00.000Z"),
        ("2026-01-02T04:04:05.678+01:00", "2026-01-02T03:04:05.678Z"),
        ("2026-01-02T03:04:05.678999", "2026-01-02T03:04:05.678Z"),
        ("0005-01-01", "0005-01-01T00:00:00.000Z"),
    ],
)
def test_normalise_timestamp(value, canonical):
    assert Q.normalise_timestamp(value) == canonical


@pytest.mark.parametrize(
    "value",
    ["", "yesterday", "2026-13-01", "2026-02-30", "0001-01-01T00:00:00+01:00",
     "9999-12-31T23:59:59-01:00"],
)  # fmt: skip
def test_bad_timestamps_are_query_errors(value):
    with pytest.raises(QueryError):
        Q.normalise_timestamp(value)


def test_format_timestamp_has_milliseconds_and_padding():
    assert Q.format_timestamp(dt.datetime(2026, 1, 2, 3, 4, 5, 678901)) == (
        "2026-01-02T03:04:05.678Z"
    )
    assert Q.format_timestamp(dt.datetime(999, 1, 2)) == "0999-01-02T00:00:00.000Z"


# -- sort ---------------------------------------------------------------------------------

SORTABLE = frozenset({"created_at", "name"})


def test_parse_sort():
    assert Q.parse_sort(None, SORTABLE, "-created_at") == ("created_at", True)
    assert Q.parse_sort("name", SORTABLE, "-created_at") == ("name", False)
    assert Q.parse_sort("-name", SORTABLE, "-created_at") == ("name", True)
    for bad in ("colour", "-colour", "-", "", "--name", "+name", "Name"):
        with pytest.raises(QueryError) as info:
            Q.parse_sort(bad, SORTABLE, "-created_at")
        assert info.value.parameter == "sort"


# -- parse_page ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, (100, 0)),
        ({"page[limit]": "5"}, (5, 0)),
        ({"page[limit]": "100"}, (100, 0)),
        ({"page[limit]": "101"}, (100, 0)),
        ({"page[limit]": "100000000000000000000"}, (100, 0)),
        ({"page[limit]": ""}, (100, 0)),
        ({"page[offset]": "10000"}, (100, 10000)),
        ({"page[offset]": "0", "page[limit]": "1"}, (1, 0)),
        ({"page[offset]": " 7 "}, (100, 7)),
    ],
)
def test_parse_page(params, expected):
    assert Q.parse_page(params) == expected


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"page[limit]": "0"}, "page[limit]"),
        ({"page[limit]": "-1"}, "page[limit]"),
        ({"page[limit]": "ten"}, "page[limit]"),
        ({"page[limit]": "1.5"}, "page[limit]"),
        ({"page[limit]": "9" * 5000}, "page[limit]"),
        ({"page[offset]": "-1"}, "page[offset]"),
        ({"page[offset]": "10001"}, "page[offset]"),
        ({"page[offset]": "x"}, "page[offset]"),
    ],
)
def test_parse_page_refuses(params, parameter):
    with pytest.raises(QueryError) as info:
        Q.parse_page(params)
    assert info.value.parameter == parameter


# -- page_body ----------------------------------------------------------------------------

URL = "http://sandbox.test/v2/customers"


def _offset_of(link: str | None) -> int | None:
    if link is None:
        return None
    parts = urlsplit(link)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == URL
    return int(dict(parse_qsl(parts.query))["page[offset]"])


@pytest.mark.parametrize(
    ("total", "limit", "offset", "current", "pages", "prev", "nxt", "last"),
    [
        (0, 100, 0, 1, 0, None, None, None),
        (1, 100, 0, 1, 1, None, None, None),
        (100, 100, 0, 1, 1, None, None, None),
        (101, 100, 0, 1, 2, None, 100, 100),
        (101, 100, 100, 2, 2, 0, None, 100),
        (250, 100, 200, 3, 3, 100, None, 200),
        (250, 10, 0, 1, 25, None, 10, 240),
        (250, 10, 120, 13, 25, 110, 130, 240),
        (250, 10, 240, 25, 25, 230, None, 240),
        (250, 7, 245, 36, 36, 238, None, 245),
        (5, 2, 3, 2, 3, 1, None, 4),
    ],
)
def test_page_body_arithmetic(total, limit, offset, current, pages, prev, nxt, last):
    body = Q.page_body(["x"], total=total, limit=limit, offset=offset, url=URL, keep={})
    assert body["data"] == ["x"]
    assert body["meta"] == {
        "page": {"limit": limit, "offset": offset, "current": current, "total": pages},
        "results": {"total": total},
    }
    links = body["links"]
    assert set(links) == {"current", "first", "last", "prev", "next"}
    assert _offset_of(links["current"]) == offset
    assert _offset_of(links["first"]) == 0
    assert _offset_of(links["prev"]) == prev
    assert _offset_of(links["next"]) == nxt
    assert _offset_of(links["last"]) == last
    for link in links.values():
        if link is not None:
            assert dict(parse_qsl(urlsplit(link).query))["page[limit]"] == str(limit)


def test_page_body_links_keep_filter_and_sort_encoded():
    keep = {"filter": 'eq(email,a+b@x.com):eq(name,"A B&C")', "sort": "-name"}
    body = Q.page_body([], total=30, limit=10, offset=10, url=URL, keep=keep)
    for name in ("current", "first", "last", "prev", "next"):
        link = body["links"][name]
        query = urlsplit(link).query
        # The link decodes (with the server's own parser) back to the same parameters.
        params = Q.parse_query_string(query.encode())
        assert params["filter"] == keep["filter"]
        assert params["sort"] == "-name"
        assert "+" not in query and " " not in query and "&C" not in query
