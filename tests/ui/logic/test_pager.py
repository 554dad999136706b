"""The pager on its own (no Textual, no I/O): requests and generations, targets, plans,
queries, and landing answers; then whole walks past the 10,000 offset cap against a list that
answers queries the way the store does."""

from __future__ import annotations

from flowtui.api.models import Customer, Page
from flowtui.ui.logic import browse as B
from flowtui.ui.logic.pager import (
    CACHE_PAGES,
    REVALIDATE_AFTER,
    STALE_AFTER,
    PageCache,
    Pager,
    Query,
    Request,
    age_note,
)


def cust(i: int, stamp: str | None = None) -> Customer:
    return Customer(
        id=f"id-{i:06d}",
        name=f"N{i:06d}",
        email=f"e{i}@x.test",
        created_at=stamp or f"2024-01-01T00:00:{i:06d}",
    )


def page(items: list[Customer], offset: int, total: int, limit: int = 100) -> Page[Customer]:
    return Page(items, limit, offset, total, -(-total // limit), offset // limit + 1)


class Store:
    """Answers a :class:`Query` like EPCC: filters, a sort, an offset and a limit."""

    def __init__(self, customers: list[Customer], cap: int = B.OFFSET_CAP) -> None:
        self.customers = customers
        self.cap = cap
        self.queries: list[Query] = []

    def answer(self, query: Query) -> Page[Customer]:
        assert query.offset <= self.cap, "the store refuses offsets past its cap"
        self.queries.append(query)
        rows = list(self.customers)
        for op, attr, value in query.filters:
            if op == "le":
                rows = [c for c in rows if str(c.value(attr)) <= value]
            elif op == "ge":
                rows = [c for c in rows if str(c.value(attr)) >= value]
        desc = query.sort.startswith("-")
        attr = query.sort.lstrip("-")
        rows.sort(key=lambda c: (str(c.value(attr)), c.id), reverse=desc)
        chosen = rows[query.offset : query.offset + query.limit]
        return page(chosen, query.offset, len(rows), query.limit)


def fetch(pager: Pager, store: Store, target: int | None = None, **kw: bool) -> Page[Customer]:
    """What the view does for one page: request, plan, query, land, show."""
    request = pager.request(target, **kw)
    plan = pager.plan_for(request.target)
    assert isinstance(plan, B.Plan), plan
    answer = store.answer(pager.query(plan))
    assert pager.is_current(request)
    shown = pager.landed(plan, answer)
    pager.shown(shown)
    return shown


# -- requests ----------------------------------------------------------------------------


def test_a_new_pager_is_at_the_start_with_nothing_shown():
    pager = Pager()
    assert (pager.page, pager.position, pager.total, pager.pending) == (None, 0, 0, None)
    assert pager.next_target() is None and pager.prev_target() is None
    assert pager.last_target() is None and pager.neighbours() == []


def test_every_request_is_a_new_generation_and_only_the_newest_is_current():
    pager = Pager()
    first = pager.request(0)
    second = pager.request(100)
    assert first == Request(0, 1) and second == Request(100, 2)
    assert not pager.is_current(first) and pager.is_current(second)
    assert pager.pending == 100
    pager.invalidate()  # index results took over: nothing on its way may land
    assert not pager.is_current(second) and pager.pending is None


def test_a_request_without_a_target_reloads_the_position_and_reset_forgets_the_page():
    pager = Pager()
    pager.shown(page([cust(i) for i in range(100)], 300, 1_000))
    pager.loaded = B.Loaded(300, 100)
    assert pager.request().target == 300
    assert pager.page is not None and pager.loaded is not None
    assert pager.request(0, reset=True).target == 0
    assert pager.page is None and pager.loaded is None and pager.total == 0
    assert pager.request(-5).target == 0


def test_after_a_failed_request_the_next_step_is_from_the_page_on_screen():
    pager = Pager()
    pager.shown(page([cust(i) for i in range(100)], 100, 1_000))
    pager.request(pager.step(1))  # page 3 asked for
    assert pager.step(1) == 300  # a key meanwhile moves the target on
    pager.failed()  # page 3 could not be fetched
    assert pager.pending is None and pager.step(1) == 200  # the next key asks for it again


def test_targets_of_the_page_keys():
    pager = Pager()
    pager.shown(page([cust(i) for i in range(100)], 100, 250))
    assert pager.next_target() == 200 and pager.prev_target() == 0
    assert pager.last_target() == 200 and pager.neighbours() == [200, 0]
    pager.shown(page([cust(i) for i in range(50)], 200, 250))
    assert pager.next_target() is None and pager.prev_target() == 100
    pager.shown(page([cust(i) for i in range(100)], 0, 250))
    assert pager.prev_target() is None and pager.neighbours() == [100]


def test_sort_and_search_say_whether_they_changed():
    pager = Pager()
    assert not pager.set_sort(B.Sort())
    assert pager.set_sort(B.Sort("name", False)) and pager.sort == B.Sort("name", False)
    assert not pager.set_search(B.Search())
    assert pager.set_search(B.search_for("knope")) and pager.search.terms


# -- plans and queries -------------------------------------------------------------------


def test_the_query_ands_the_search_with_the_plan_and_is_a_cache_key():
    pager = Pager()
    pager.set_search(B.search_for("ann@"))
    plan = B.Plan(10_100, 100, "-created_at", 3, (("le", "created_at", "2024"),), how="keyset")
    query = pager.query(plan)
    assert query == Query(
        (("like", "email", "*ann@*"), ("le", "created_at", "2024")), "-created_at", 100, 3
    )
    assert {query: "page"}[pager.query(plan)] == "page"  # same plan, same key


def test_an_unreachable_target_is_remembered_as_the_plan():
    pager = Pager()
    pager.set_sort(B.Sort("name", False))
    pager.shown(page([cust(i) for i in range(100)], 0, 50_000))
    plan = pager.plan_for(20_000)
    assert isinstance(plan, B.Unreachable) and pager.plan is plan
    assert "Sort by created or updated" in plan.reason


def test_landing_a_from_end_answer_reverses_it_and_keeps_the_logical_offset():
    pager = Pager()
    pager.shown(page([cust(i) for i in range(100)], 0, 10_250))
    plan = pager.plan_for(10_200)
    assert isinstance(plan, B.Plan) and plan.how == "from-end" and plan.limit == 50
    answer = page([cust(i) for i in range(50, 0, -1)], 0, 10_250, limit=50)
    landed = pager.landed(plan, answer)
    assert [c.id for c in landed.items] == [cust(i).id for i in range(1, 51)]
    assert landed.offset == 10_200 and landed.total == 10_250
    assert pager.plan is plan and pager.loaded == B.Loaded(
        10_200, 50, B.Edge(cust(1).created_at or "", 1), B.Edge(cust(50).created_at or "", 1)
    )
    assert pager.pending is None


def test_a_keyset_answer_keeps_the_whole_lists_total():
    pager = Pager()
    pager.shown(page([cust(i) for i in range(100)], 10_000, 10_500))
    plan = B.Plan(10_100, 100, "-created_at", 0, (("le", "created_at", "x"),), how="keyset")
    landed = pager.landed(plan, page([cust(i) for i in range(100)], 0, 400))
    assert landed.total == 10_500 and landed.offset == 10_100


# -- whole walks against a store that answers like EPCC ------------------------------------


def test_walking_every_page_past_the_offset_cap_by_key_sees_every_customer_once():
    # 10,250 customers; many share a stamp (ties straddle page edges), newest first.
    customers = [cust(i, f"2024-01-01T00:{i // 7:06d}") for i in range(10_250)]
    store = Store(customers)
    pager = Pager()
    seen: list[str] = []
    shown = fetch(pager, store, 0)
    seen += [c.id for c in shown.items]
    while (target := pager.next_target()) is not None:
        shown = fetch(pager, store, target)
        seen += [c.id for c in shown.items]
    assert len(seen) == len(set(seen)) == 10_250
    assert pager.plan is not None and isinstance(pager.plan, B.Plan)
    assert pager.plan.how == "keyset"
    assert shown.offset == 10_200 and pager.position == 10_200


def test_the_last_page_comes_from_the_end_and_the_one_before_it_by_key():
    customers = [cust(i) for i in range(10_250)]
    store = Store(customers)
    pager = Pager()
    fetch(pager, store, 0)
    last = fetch(pager, store, pager.last_target())
    newest_first = sorted(customers, key=lambda c: (c.created_at, c.id), reverse=True)
    assert [c.id for c in last.items] == [c.id for c in newest_first[10_200:]]
    assert isinstance(pager.plan, B.Plan) and pager.plan.how == "from-end"
    before = fetch(pager, store, pager.prev_target())
    assert isinstance(pager.plan, B.Plan) and pager.plan.how == "keyset"
    assert [c.id for c in before.items] == [c.id for c in newest_first[10_100:10_200]]
    assert all(q.offset <= B.OFFSET_CAP for q in store.queries)


def test_a_stale_answer_is_not_current_when_a_newer_request_was_made():
    store = Store([cust(i) for i in range(300)])
    pager = Pager()
    fetch(pager, store, 0)
    old = pager.request(100)
    newer = pager.request(200)
    assert not pager.is_current(old) and pager.is_current(newer)
    assert pager.page is not None and pager.page.offset == 0  # nothing landed meanwhile


# -- the page cache and coalesced targets (issue 14) -------------------------------------


def cached_fetch(pager: Pager, store: Store, target: int) -> Page[Customer]:
    """What the view does with the cache: a hit is shown as it is, a miss asks the store."""
    request = pager.request(target)
    plan = pager.step_plan(request.target)
    assert isinstance(plan, B.Plan), plan
    query = pager.query(plan)
    hit = pager.cache.get(query)
    answer = hit.answer if hit is not None else pager.cache.put(query, store.answer(query)).answer
    shown = pager.landed(plan, answer)
    pager.shown(shown)
    return shown


def test_the_cache_stays_bounded_over_500_page_turns_and_serves_revisits():
    store = Store([cust(i) for i in range(3_000)])
    pager = Pager()
    cached_fetch(pager, store, 0)
    for turn in range(500):
        forward = (turn // 29) % 2 == 0  # down 29 pages, up 29, ...
        target = pager.step(1 if forward else -1)
        if target is None:
            target = pager.step(-1 if forward else 1)
        assert target is not None
        cached_fetch(pager, store, target)
        assert len(pager.cache) <= CACHE_PAGES
    asked = len(store.queries)
    offset = pager.page.offset
    back = pager.step(-1)
    assert back is not None
    cached_fetch(pager, store, back)  # the page just left: from the cache
    assert len(store.queries) == asked and pager.page.offset == offset - 100


def test_page_keys_during_a_load_move_the_target_not_the_page():
    store = Store([cust(i) for i in range(1_000)])
    pager = Pager()
    cached_fetch(pager, store, 0)
    targets = []
    for _ in range(5):  # five PgDn before any answer: each moves the pending target
        target = pager.step(1)
        assert target is not None
        targets.append(pager.request(target).target)
    assert targets == [100, 200, 300, 400, 500] and pager.page.offset == 0
    assert pager.step(-1) == 400 and pager.direction == -1
    pager.request(900)
    assert pager.step(1) is None  # past the end


def test_a_coalesced_target_past_the_cap_is_reached_page_by_page():
    store = Store([cust(i) for i in range(20_500)])  # the middle: by key only
    pager = Pager()
    cached_fetch(pager, store, 10_000)  # at the cap
    pager.request(10_300)  # three PgDn at once: past the cap only by key from a neighbour
    steps = []
    while pager.pending is not None:
        plan = pager.step_plan(pager.pending)
        assert isinstance(plan, B.Plan)
        steps.append((plan.offset, plan.how))
        pager.landed(plan, store.answer(pager.query(plan)))
    assert steps == [(10_100, "keyset"), (10_200, "keyset"), (10_300, "keyset")]


def test_cached_pages_are_patched_and_say_their_age():
    now = [100.0]
    cache = PageCache(size=2, clock=lambda: now[0])
    q = [Query((), "-created_at", 100, o) for o in (0, 100, 200)]
    cache.put(q[0], page([cust(1), cust(2)], 0, 2))
    cache.put(q[1], page([cust(3)], 100, 2))
    changed = Customer(id=cust(2).id, name="Renamed", email="r@x.test")
    assert cache.patch(changed) == 1
    assert cache.get(q[0]).answer.items[1].name == "Renamed"
    cache.put(q[2], page([], 200, 2))  # q[1] was used least recently: it goes
    assert q[1] not in cache and q[0] in cache and len(cache) == 2
    assert cache.fresh(q[0])
    now[0] += REVALIDATE_AFTER
    assert not cache.fresh(q[0]) and age_note(cache.age(cache.get(q[0]))) == ""
    assert age_note(STALE_AFTER) == "as of 30 s ago" and age_note(600) == "as of 10 min ago"
    cache.clear()
    assert len(cache) == 0


def test_prefetch_follows_the_direction_of_travel():
    store = Store([cust(i) for i in range(1_000)])
    pager = Pager()
    cached_fetch(pager, store, 300)
    assert pager.prefetch_targets() == [400, 200]  # a jump: both, ahead first
    cached_fetch(pager, store, pager.step(1))
    assert pager.prefetch_targets() == [500]
    cached_fetch(pager, store, pager.step(-1))
    assert pager.prefetch_targets() == [200, 400]
