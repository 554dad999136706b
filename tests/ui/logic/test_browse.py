"""The browser's pure decisions: search filters, sorts, page plans past the 10,000 offset cap
(checked against the real sandbox, ties included), columns, form diffs and conflicts."""

from __future__ import annotations

import httpx
import pytest

from flowtui.api.models import Customer, Field
from flowtui.api.service import ApiService
from flowtui.sandbox.store import Store
from flowtui.ui.logic import browse as B
from tests.conftest import CLIENT_ID, CLIENT_SECRET, make_sandbox


def cust(i: int = 1, **kw) -> Customer:
    base = dict(id=f"id-{i}", name=f"N{i}", email=f"e{i}@x.test", created_at=f"2024-01-0{i}")
    base.update(kw)
    return Customer(**base)


# -- search ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        ("", ()),
        ("   ", ()),
        ("knope", (("like", "name", "*knope*"),)),
        ("  Ron Swan ", (("like", "name", "*Ron Swan*"),)),
        ("ron@", (("like", "email", "*ron@*"),)),
        ("a+b@x.org", (("like", "email", "*a+b@x.org*"),)),
        ("*les*", (("like", "name", "*les*"),)),
    ],
)
def test_search_is_name_unless_there_is_an_at(text, terms):
    assert B.search_for(text).terms == terms


def test_search_refuses_a_double_quote_with_a_reason():
    search = B.search_for('say "hi"')
    assert search.terms == () and "double quote" in search.problem


# -- sorts -------------------------------------------------------------------------------


def test_sort_cycles_and_flips():
    sort = B.Sort()
    assert sort.param == "-created_at" and sort.describe() == "created newest first"
    seen = []
    for _ in range(4):
        sort = B.next_sort(sort)
        seen.append(sort.param)
    assert seen == ["-updated_at", "name", "email", "-created_at"]
    assert B.Sort("name", False).reversed().param == "-name"
    assert B.Sort("name", True).describe() == "name Z→A"


# -- page plans --------------------------------------------------------------------------


def test_within_the_cap_pages_go_by_offset():
    plan = B.plan_page(10_000, 100_000, B.Sort())
    assert (plan.how, plan.query_offset, plan.sort) == ("offset", 10_000, "-created_at")


def test_past_the_cap_created_pages_go_by_key_from_the_neighbour():
    current = B.Loaded(10_000, 100, B.Edge("2024-05-01", 1), B.Edge("2024-04-01", 3))
    nxt = B.plan_page(10_100, 100_000, B.Sort(), current=current)
    assert nxt.how == "keyset" and nxt.filters == (("le", "created_at", "2024-04-01"),)
    assert nxt.query_offset == 3 and nxt.sort == "-created_at" and not nxt.reverse
    back = B.plan_page(
        9_900 + 10_000,
        100_000,
        B.Sort(),
        current=B.Loaded(20_000, 100, B.Edge("2024-05-01", 2), B.Edge("2024-04-01", 1)),
    )
    assert back.how == "keyset" and back.reverse and back.sort == "created_at"
    assert back.filters == (("ge", "created_at", "2024-05-01"),) and back.query_offset == 2
    asc = B.plan_page(10_100, 100_000, B.Sort("updated_at", False), current=current)
    assert asc.filters == (("ge", "updated_at", "2024-04-01"),)


def test_the_last_page_comes_from_the_other_end():
    plan = B.plan_page(B.last_page_offset(12_345), 12_345, B.Sort("name", False))
    assert plan.offset == 12_300 and plan.limit == 45
    assert (plan.how, plan.query_offset, plan.sort, plan.reverse) == ("from-end", 0, "-name", True)


def test_name_sort_in_the_middle_of_a_large_store_is_unreachable_and_says_why():
    plan = B.plan_page(50_000, 100_000, B.Sort("name", False))
    assert isinstance(plan, B.Unreachable)
    assert "10,000" in plan.reason and "Sort by created" in plan.reason
    far = B.plan_page(50_000, 100_000, B.Sort())  # created sort without a neighbour
    assert isinstance(far, B.Unreachable) and "page by page" in far.reason


def test_loaded_counts_ties_at_the_edges_and_chains_single_value_pages():
    sort = B.Sort()
    plan = B.Plan(0, 4, "-created_at", 0)
    items = [
        cust(1, created_at="b"),
        cust(2, created_at="b"),
        cust(3, created_at="a"),
        cust(4, created_at="a"),
    ]
    page = B.loaded(plan, items, sort)
    assert page.first == B.Edge("b", 2) and page.last == B.Edge("a", 2)
    nxt = B.loaded(B.Plan(4, 4, "-created_at", 0), [cust(5, created_at="a")] * 4, sort, page)
    assert nxt.last == B.Edge("a", 6)


def test_page_range():
    assert B.page_range(200, 100, 12_345) == "201-300 of 12,345 customers"
    assert B.page_range(0, 0, 0) == "No customers yet."


async def _walk(service, sort, total, backwards=False):
    """Every page by the plans, as the browser would turn them; ids in view order."""
    pages, current = [], None
    target = B.last_page_offset(total) if backwards else 0
    while 0 <= target < total:
        plan = B.plan_page(target, total, sort, current=current)
        assert isinstance(plan, B.Plan), plan
        page = await service.list_customers(
            filters=list(plan.filters), sort=plan.sort, limit=plan.limit, offset=plan.query_offset
        )
        items = list(reversed(page.items)) if plan.reverse else page.items
        current = B.loaded(plan, items, sort, current)
        pages.append((plan.how, [c.id for c in items]))
        target += -B.PAGE_SIZE if backwards else B.PAGE_SIZE
    if backwards:
        pages.reverse()
    return pages


@pytest.mark.parametrize("sort", [B.Sort(), B.Sort("created_at", False), B.Sort("name", False)])
async def test_paging_past_the_cap_walks_every_customer_once_in_order(sort):
    """10,350 customers in runs of 150 sharing one created_at (more than a page of ties)."""
    store = Store(":memory:")
    rows = []
    for i in range(10_350):
        stamp = f"2024-01-01T00:{i // 150 // 60:02d}:{i // 150 % 60:02d}.000Z"
        rows.append(
            (
                f"{i * 7919 % 10_350:05d}",
                f"Name {i % 37}",
                f"c{i}@x.test",
                None,
                None,
                {},
                stamp,
                stamp,
            )
        )
    store.insert_customers(rows)
    app = make_sandbox(store)
    column = {"created_at": "created_at", "name": "name_lc"}[sort.attr]
    order = "DESC" if sort.desc else "ASC"
    expected = [
        r[0]
        for r in store.db.execute(f"SELECT id FROM customers ORDER BY {column} {order}, id {order}")
    ]
    service = ApiService(
        "http://sandbox.test",
        CLIENT_ID,
        CLIENT_SECRET,
        rate_limit=None,
        transport=httpx.ASGITransport(app=app),
    )
    async with service:
        forward = await _walk(service, sort, len(expected))
        assert [i for _, ids in forward for i in ids] == expected
        hows = {how for how, _ in forward}
        assert "offset" in hows and hows - {"offset"}  # past the cap it went another way
        if sort.attr == "created_at":
            assert "keyset" in hows
            backward = await _walk(service, sort, len(expected), backwards=True)
            assert [i for _, ids in backward for i in ids] == expected
    store.close()


# -- columns, diffs, conflicts ------------------------------------------------------------


def test_columns_include_custom_fields_and_a_missing_value_is_blank():
    field = Field("f1", "flow", "Delivery notes", "delivery_notes", "string")
    assert B.column_options([field])[-1] == ("custom:delivery_notes", "Delivery notes")
    assert B.default_columns([field]) == ["name", "email", "custom:delivery_notes", "created_at"]
    c = cust(1, created_at="2024-01-02T03:04:05.678Z", custom={"tier": 3})
    assert B.cell_value(c, "custom:delivery_notes") is None
    assert B.cell_value(c, "custom:tier") == 3
    assert B.cell_value(c, "created_at") == "2024-01-02 03:04"


def test_form_changes_keeps_only_what_changed():
    initial = {"name": "Ron", "email": "r@x.test", "tier": 1, "news": False, "password": None}
    same = dict(initial)
    assert B.form_changes(initial, same) == {}
    edited = {**initial, "tier": 2, "password": "s3cret"}
    assert B.form_changes(initial, edited) == {"tier": 2, "password": "s3cret"}
    assert B.form_changes({"v": 1}, {"v": 1.0}) == {"v": 1.0}


def test_conflict_rows_show_theirs_beside_mine():
    original = cust(1, custom={"tier": 1, "notes": "a"}, has_password=False)
    theirs = cust(1, name="Ronald", custom={"tier": 1, "notes": "b"}, has_password=True)
    rows = B.conflict_rows(original, theirs, {"tier": 4, "notes": "c"}, {"tier": "Loyalty"})
    by_key = {r.key: r for r in rows}
    assert set(by_key) == {"name", "notes", "tier", "password"}
    assert (by_key["name"].theirs, by_key["name"].mine, by_key["name"].who) == (
        "Ronald",
        "N1",
        "they",
    )
    assert by_key["notes"].who == "both" and by_key["tier"].label == "Loyalty"
    assert by_key["password"].mine == "(unchanged)" and by_key["password"].theirs == "set"
