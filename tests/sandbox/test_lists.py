"""Paginated lists of the sandbox: page parameters, meta, links, filters, sorting, keyset paging."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qsl, quote, urlsplit

import httpx
import pytest

from flowtui.sandbox import demo
from flowtui.sandbox.query import format_timestamp
from tests.conftest import get_token

BASE = "http://sandbox.test"
T0 = dt.datetime(2026, 1, 1, 0, 0, 0)


def cid(n: int) -> str:
    """A predictable customer id; ids sort by ``n``."""
    return f"00000000-0000-4000-8000-{n:012d}"


def stamp(seconds: float) -> str:
    return format_timestamp(T0 + dt.timedelta(seconds=seconds))


def insert(store, rows: list[dict]) -> None:
    """Insert customers straight into the store (fast, with chosen ids and timestamps)."""
    store.insert_customers(
        (
            r["id"],
            r["name"],
            r["email"],
            None,
            r.get("external_ref"),
            {},
            r["created_at"],
            r.get("updated_at", r["created_at"]),
        )
        for r in rows
    )


def many(n: int, *, name=None, same_time: bool = False) -> list[dict]:
    return [
        {
            "id": cid(i),
            "name": name or f"Customer {i:04d}",
            "email": f"c{i:04d}@example.com",
            "created_at": stamp(0 if same_time else i),
        }
        for i in range(n)
    ]


@pytest.fixture
def store(sandbox_app):
    return sandbox_app.state.store


def errors(response: httpx.Response, status: int) -> list[dict]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"errors"}
    assert body["errors"] and all("title" in e for e in body["errors"])
    return body["errors"]


async def ok(api: httpx.AsyncClient, url: str, **kwargs) -> dict:
    response = await api.get(url, **kwargs)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"data", "links", "meta"}
    return body


async def ids(api: httpx.AsyncClient, **params) -> list[str]:
    params.setdefault("page[limit]", "100")
    body = await ok(api, "/v2/customers", params=params)
    assert body["meta"]["results"]["total"] == len(body["data"]), "use a filter that fits a page"
    return [c["id"] for c in body["data"]]


def link_params(link: str) -> dict[str, str]:
    parts = urlsplit(link)
    assert f"{parts.scheme}://{parts.netloc}" == BASE
    return dict(parse_qsl(parts.query, keep_blank_values=True))


# -- pagination ---------------------------------------------------------------------------


async def test_default_limit_is_100(api, store):
    insert(store, many(250))
    body = await ok(api, "/v2/customers")
    assert len(body["data"]) == 100
    assert body["meta"] == {
        "page": {"limit": 100, "offset": 0, "current": 1, "total": 3},
        "results": {"total": 250},
    }


@pytest.mark.parametrize("limit", ["101", "250", "100000"])
async def test_limit_above_100_is_clamped(api, store, limit):
    insert(store, many(250))
    body = await ok(api, "/v2/customers", params={"page[limit]": limit})
    assert len(body["data"]) == 100
    assert body["meta"]["page"]["limit"] == 100
    assert body["meta"]["page"]["total"] == 3
    assert link_params(body["links"]["next"])["page[limit]"] == "100"


@pytest.mark.parametrize("limit", ["0", "-1", "-100", "ten", "1.5", "0x10", "5 5"])
async def test_bad_limit_is_400(api, limit):
    errs = errors(await api.get("/v2/customers", params={"page[limit]": limit}), 400)
    assert errs[0]["status"] == 400


@pytest.mark.parametrize("offset", ["-1", "x", "1e3", "10001", "99999999"])
async def test_bad_offset_is_400(api, offset):
    errors(await api.get("/v2/customers", params={"page[offset]": offset}), 400)


async def test_offset_up_to_10000(api, store):
    insert(store, many(250))
    body = await ok(api, "/v2/customers", params={"page[offset]": "10000"})
    assert body["data"] == []
    assert body["meta"] == {
        "page": {"limit": 100, "offset": 10000, "current": 101, "total": 3},
        "results": {"total": 250},
    }
    assert body["links"]["next"] is None
    errors(await api.get("/v2/customers", params={"page[offset]": "10001"}), 400)
    errors(await api.get("/v2/flows/whatever/entries", params={"page[offset]": "10001"}), 404)


@pytest.mark.parametrize(
    ("limit", "offset", "count", "current", "pages", "prev", "nxt", "last"),
    [
        (100, 0, 100, 1, 3, None, 100, 200),
        (100, 100, 100, 2, 3, 0, 200, 200),
        (100, 200, 50, 3, 3, 100, None, 200),
        (30, 0, 30, 1, 9, None, 30, 240),
        (30, 90, 30, 4, 9, 60, 120, 240),
        (30, 240, 10, 9, 9, 210, None, 240),
        (7, 245, 5, 36, 36, 238, None, 245),
        (1, 249, 1, 250, 250, 248, None, 249),
        (50, 250, 0, 6, 5, 200, None, 200),
    ],
)
async def test_page_meta_and_links(
    api, store, limit, offset, count, current, pages, prev, nxt, last
):
    insert(store, many(250))
    params = {"page[limit]": str(limit), "page[offset]": str(offset)}
    body = await ok(api, "/v2/customers", params=params)
    assert len(body["data"]) == count
    assert body["meta"] == {
        "page": {"limit": limit, "offset": offset, "current": current, "total": pages},
        "results": {"total": 250},
    }
    links = body["links"]
    assert set(links) == {"current", "first", "last", "prev", "next"}

    def offset_of(name):
        link = links[name]
        if link is None:
            return None
        assert link.startswith(f"{BASE}/v2/customers?")
        params = link_params(link)
        assert params["page[limit]"] == str(limit)
        return int(params["page[offset]"])

    assert offset_of("current") == offset
    assert offset_of("first") == 0
    assert offset_of("prev") == prev
    assert offset_of("next") == nxt
    assert offset_of("last") == last
    # default order -created_at: the newest first
    expected = [cid(i) for i in range(249, -1, -1)][offset : offset + limit]
    assert [c["id"] for c in body["data"]] == expected


async def test_one_page_has_no_last_prev_or_next(api, store):
    insert(store, many(3))
    body = await ok(api, "/v2/customers")
    assert body["links"]["last"] is None
    assert body["links"]["prev"] is None
    assert body["links"]["next"] is None
    assert body["links"]["first"].startswith(f"{BASE}/v2/customers?")
    assert link_params(body["links"]["current"])["page[offset]"] == "0"
    assert body["meta"] == {
        "page": {"limit": 100, "offset": 0, "current": 1, "total": 1},
        "results": {"total": 3},
    }


async def test_empty_list_still_has_meta(api):
    body = await ok(api, "/v2/customers")
    assert body["data"] == []
    assert body["meta"] == {
        "page": {"limit": 100, "offset": 0, "current": 1, "total": 0},
        "results": {"total": 0},
    }
    assert body["links"]["prev"] is None
    assert body["links"]["next"] is None
    assert body["links"]["last"] is None
    assert body["links"]["first"].startswith(f"{BASE}/v2/customers?")
    # a filter that matches nothing, too
    body = await ok(api, "/v2/customers", params={"filter": "eq(name,nobody)", "page[limit]": "5"})
    assert body["meta"]["page"] == {"limit": 5, "offset": 0, "current": 1, "total": 0}


async def test_following_next_links_visits_everyone_once(api, store):
    insert(store, many(250))
    seen: list[str] = []
    url: str | None = "/v2/customers?page[limit]=40&sort=name"
    pages = 0
    while url:
        body = await ok(api, url)
        seen += [c["id"] for c in body["data"]]
        url = body["links"]["next"]
        pages += 1
    assert pages == 7
    assert seen == [cid(i) for i in range(250)]


async def test_links_keep_filter_and_sort(api, store):
    insert(store, many(250))
    flt = "like(email,c00*):gt(created_at,2026-01-01T00:00:05.000Z)"
    params = {"filter": flt, "sort": "-email", "page[limit]": "10", "page[offset]": "20"}
    body = await ok(api, "/v2/customers", params=params)
    assert body["meta"]["results"]["total"] == 94  # c0006 .. c0099
    for name in ("current", "first", "last", "prev", "next"):
        got = link_params(body["links"][name])
        assert got["filter"] == flt
        assert got["sort"] == "-email"
        assert got["page[limit]"] == "10"
    # following a link gives the same filtered, sorted list
    following = await ok(api, body["links"]["next"])
    assert following["meta"]["page"]["offset"] == 30
    assert [c["email"] for c in following["data"]] == [
        f"c{i:04d}@example.com" for i in range(99 - 30, 99 - 40, -1)
    ]
    assert link_params(following["links"]["current"]) == link_params(body["links"]["next"])


async def test_links_keep_a_filter_with_a_plus_and_spaces(api, store):
    insert(
        store,
        [
            {"id": cid(1), "name": "Plus One", "email": "a+b@x.com", "created_at": stamp(1)},
            {"id": cid(2), "name": "Space", "email": "a b@x.com", "created_at": stamp(2)},
        ],
    )
    body = await ok(
        api, "/v2/customers", params={"filter": 'eq(email,"a+b@x.com")', "page[limit]": "1"}
    )
    assert [c["id"] for c in body["data"]] == [cid(1)]
    again = await ok(api, body["links"]["current"])
    assert [c["id"] for c in again["data"]] == [cid(1)]


# -- filters ------------------------------------------------------------------------------

PEOPLE = [
    {"name": "Leslie Knope", "email": "leslie@pawnee.example", "external_ref": "crm-1"},
    {"name": "Ron Swanson", "email": "RON@Pawnee.example", "external_ref": "CRM-2"},
    {"name": "Ann 100% Perkins", "email": "ann_p@eagleton.example"},
    {"name": "Ann 1000 Perkins", "email": "annxp@eagleton.example", "external_ref": "crm-1x"},
    {"name": "Duke: Silver (jazz)", "email": "duke@jazz.example", "external_ref": "a,b:c"},
    {"name": "Plus", "email": "a+b@x.com"},
    {"name": "Space", "email": "a b@x.com"},
    {"name": "ANN perkins", "email": "ann@pawnee.example"},
]


@pytest.fixture
def people(store) -> list[dict]:
    rows = []
    for i, person in enumerate(PEOPLE):
        rows.append(
            {
                "id": cid(i),
                **person,
                "created_at": stamp(i * 3600 + 0.678),
                "updated_at": stamp(100_000 - i * 60),
            }
        )
    insert(store, rows)
    return rows


def who(rows: list[dict], indexes) -> list[str]:
    return sorted(rows[i]["id"] for i in indexes)


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        # email: eq and like, case-insensitive
        ("eq(email,leslie@pawnee.example)", [0]),
        ("eq(email,LESLIE@PAWNEE.EXAMPLE)", [0]),
        ("eq(email,ron@pawnee.example)", [1]),
        ("eq(email,leslie@pawnee)", []),
        ("like(email,*@pawnee.example)", [0, 1, 7]),
        ("like(email,ANN*)", [2, 3, 7]),
        ("like(email,*EAGLETON*)", [2, 3]),
        ("like(email,ann_p*)", [2]),  # _ is literal, not a single-character wildcard
        ("like(email,ann@pawnee.example)", [7]),  # no * is an exact (folded) match
        ("like(email,*)", [0, 1, 2, 3, 4, 5, 6, 7]),
        # name: eq and like, case-insensitive
        ("eq(name,leslie knope)", [0]),
        ("eq(name,Ann Perkins)", [7]),
        ("like(name,ann*)", [2, 3, 7]),
        ("like(name,*PERKINS)", [2, 3, 7]),
        ("like(name,*100%*)", [2]),  # % is literal, so 1000 does not match
        ("like(name,*10%*)", []),
        ("like(name,a*s)", []),  # * only counts at the ends
        ("like(name,*n 1*)", [2, 3]),
        # quoting
        ('eq(name,"Leslie Knope")', [0]),
        ('eq(name,"Duke: Silver (jazz)")', [4]),
        ("eq(name,Duke: Silver (jazz))", [4]),
        ('like(name,"*(jazz)")', [4]),
        # external_ref: eq, exact
        ("eq(external_ref,crm-1)", [0]),
        ("eq(external_ref,crm-2)", []),
        ("eq(external_ref,CRM-2)", [1]),
        ('eq(external_ref,"a,b:c")', [4]),
        ("eq(external_ref,a,b:c)", [4]),
        # id
        (f"eq(id,{cid(3)})", [3]),
        (f"gt(id,{cid(5)})", [6, 7]),
        (f"ge(id,{cid(5)})", [5, 6, 7]),
        (f"lt(id,{cid(2)})", [0, 1]),
        (f"le(id,{cid(2)})", [0, 1, 2]),
        # created_at (customer i was created at T0 + i hours + 678 ms)
        ("eq(created_at,2026-01-01T02:00:00.678Z)", [2]),
        ("gt(created_at,2026-01-01T02:00:00.678Z)", [3, 4, 5, 6, 7]),
        ("ge(created_at,2026-01-01T02:00:00.678Z)", [2, 3, 4, 5, 6, 7]),
        ("lt(created_at,2026-01-01T02:00:00.678Z)", [0, 1]),
        ("le(created_at,2026-01-01T02:00:00.678Z)", [0, 1, 2]),
        ("gt(created_at,2026-01-01T02:00:00.677Z)", [2, 3, 4, 5, 6, 7]),
        ('gt(created_at,"2026-01-01T02:00:00.678Z")', [3, 4, 5, 6, 7]),
        ("lt(created_at,2026-01-01T02:00:00Z)", [0, 1]),
        ("lt(created_at,2026-01-01T03:00:00.678+01:00)", [0, 1]),
        ("gt(created_at,2026-01-01)", [0, 1, 2, 3, 4, 5, 6, 7]),
        ("lt(created_at,2026-01-01)", []),
        ("gt(created_at,0005-01-01)", [0, 1, 2, 3, 4, 5, 6, 7]),
        # updated_at (customer i was updated at T0 + 100000 s - i minutes)
        ("gt(updated_at,2026-01-02T03:44:00.000Z)", [0, 1, 2]),
        ("ge(updated_at,2026-01-02T03:43:40.000Z)", [0, 1, 2, 3]),
        ("le(updated_at,2026-01-02T03:43:40.000Z)", [3, 4, 5, 6, 7]),
        ("lt(updated_at,2026-01-02T03:43:40.000Z)", [4, 5, 6, 7]),
        ("eq(updated_at,2026-01-02T03:42:40.000Z)", [4]),
        # several terms: AND, with timestamps unquoted
        ("like(email,*@pawnee.example):gt(created_at,2026-01-01T00:00:00.678Z)", [1, 7]),
        (
            "like(name,ann*):lt(created_at,2026-01-01T03:00:00.000Z)"
            ":eq(email,ann_p@eagleton.example)",
            [2],
        ),
        ("gt(created_at,2026-01-01T01:00:00.678Z):lt(created_at,2026-01-01T04:00:00.678Z)", [2, 3]),
        ("eq(name,Plus):eq(name,Space)", []),
    ],
)  # fmt: skip
async def test_filters(api, people, flt, expected):
    assert sorted(await ids(api, filter=flt)) == who(people, expected)


async def test_raw_and_encoded_query_strings_answer_alike(api, people):
    filters = [
        # (as written raw in the URL, the value it stands for)
        ("like(email,*@pawnee.example):gt(created_at,2026-01-01T00:00:00.678Z)", None),
        ('eq(name,"Duke: Silver (jazz)")', None),
        ("like(name,*100%25*)", "like(name,*100%*)"),
        ("eq(email,ann_p@eagleton.example)", None),
    ]
    for raw_filter, value in filters:
        raw = f"/v2/customers?page[limit]=2&sort=-name&filter={raw_filter}"
        encoded = "/v2/customers?" + "&".join(
            f"{quote(k, safe='')}={quote(v, safe='')}"
            for k, v in (("page[limit]", "2"), ("sort", "-name"), ("filter", value or raw_filter))
        )
        assert "(" not in encoded and "[" not in encoded
        a, b = await api.get(raw), await api.get(encoded)
        assert a.status_code == b.status_code == 200, (a.text, b.text)
        assert a.json() == b.json()
        assert a.json()["meta"]["results"]["total"] >= 1


async def test_an_unencoded_plus_is_a_space(api, people):
    # raw: the + reaches the server as a space, and the server does not guess
    response = await api.get("/v2/customers?filter=eq(email,a+b@x.com)")
    assert response.status_code == 200
    assert [c["email"] for c in response.json()["data"]] == ["a b@x.com"]
    # %2B is a +
    response = await api.get("/v2/customers?filter=eq(email,a%2Bb@x.com)")
    assert [c["email"] for c in response.json()["data"]] == ["a+b@x.com"]
    # flowtui's way: every value percent-encoded
    response = await api.get("/v2/customers", params={"filter": "eq(email,a+b@x.com)"})
    assert [c["email"] for c in response.json()["data"]] == ["a+b@x.com"]


async def test_at_most_ten_filters(api, people):
    ten = ":".join(["like(email,*)"] * 9 + [f"eq(id,{cid(1)})"])
    assert await ids(api, filter=ten) == [cid(1)]
    eleven = ten + ":like(name,*)"
    errs = errors(await api.get("/v2/customers", params={"filter": eleven}), 400)
    assert "10" in errs[0]["detail"]


@pytest.mark.parametrize(
    "flt",
    [
        "eq(email,a@b.c",  # unbalanced
        "eq(email,a@b.c))x",
        "eq(email,a@b.c):",
        "(email,a@b.c)",
        "eq(email a@b.c)",  # missing comma
        "eq(email)",
        "contains(email,a)",  # unknown operator
        "EQ(email,a)",
        "eq(nickname,Ron)",  # unsupported attribute (such as a custom field slug)
        "eq(password,x)",
        "eq(type,customer)",
        "like(id,0000*)",  # operator not allowed for the attribute
        "gt(email,a)",
        "lt(name,m)",
        "like(external_ref,crm*)",
        "gt(external_ref,a)",
        "like(created_at,2026*)",
        "in(id,a,b)",
        "in(email,a@b.c)",
        'eq(email,"a@b.c)',  # unterminated quote
        "gt(created_at,yesterday)",  # not a timestamp
        "gt(created_at,2026-02-30)",
        "lt(updated_at,2026-13-01T00:00:00Z)",
        "gt(created_at,0001-01-01T00:00:00+01:00)",  # out of range once in UTC
        "lt(created_at,9999-12-31T23:59:59-01:00)",
    ],
)
async def test_malformed_filters_are_400(api, people, flt):
    errs = errors(await api.get("/v2/customers", params={"filter": flt}), 400)
    assert len(errs) == 1
    assert errs[0]["status"] == 400
    assert errs[0]["detail"]


async def test_an_empty_filter_means_none(api, people):
    assert len(await ids(api, filter="")) == len(PEOPLE)


async def test_invalid_utf8_in_the_query_string_is_400(api):
    errors(await api.get("/v2/customers?filter=eq(name,%FF)"), 400)


# -- sorting ------------------------------------------------------------------------------

SORT_PEOPLE = [
    # name, email, seconds after T0 created, seconds after T0 updated
    ("bob", "Zed@x.example", 5, 50),
    ("Alice", "amy@x.example", 3, 10),
    ("alice", "Bea@x.example", 3, 70),
    ("Carol", "cat@x.example", 1, 70),
    ("ALICE", "ALF@x.example", 9, 20),
    ("Émile", "emile@x.example", 2, 30),
    ("zoë", "zoe@x.example", 3, 40),
    ("bob", "bob@x.example", 7, 10),
]
SORT_IDS = [17, 3, 11, 5, 8, 2, 13, 1]


@pytest.fixture
def sortable(store) -> list[dict]:
    rows = [
        {
            "id": cid(n),
            "name": name,
            "email": email,
            "created_at": stamp(c),
            "updated_at": stamp(u),
        }
        for n, (name, email, c, u) in zip(SORT_IDS, SORT_PEOPLE, strict=True)
    ]
    insert(store, rows)
    return rows


def expected_order(rows: list[dict], attr: str, desc: bool) -> list[str]:
    def key(r):
        value = r[attr].lower() if attr in ("name", "email") else r[attr]
        return (value, r["id"])

    return [r["id"] for r in sorted(rows, key=key, reverse=desc)]


@pytest.mark.parametrize("attr", ["created_at", "email", "id", "name", "updated_at"])
@pytest.mark.parametrize("desc", [False, True])
async def test_sorting(api, sortable, attr, desc):
    got = await ids(api, sort=("-" if desc else "") + attr)
    assert got == expected_order(sortable, attr, desc)
    # the same order page by page
    paged: list[str] = []
    for offset in range(0, len(sortable), 3):
        body = await ok(
            api,
            "/v2/customers",
            params={"sort": ("-" if desc else "") + attr, "page[limit]": "3",
                    "page[offset]": str(offset)},
        )  # fmt: skip
        paged += [c["id"] for c in body["data"]]
    assert paged == got


async def test_name_and_email_sort_case_insensitively(api, sortable):
    names = [c["name"] for c in (await ok(api, "/v2/customers", params={"sort": "name"}))["data"]]
    assert [n.lower() for n in names] == sorted(n.lower() for n in names)
    assert names[:3] == ["Alice", "ALICE", "alice"]  # ties by id: 3, 8, 11
    emails = [
        c["email"] for c in (await ok(api, "/v2/customers", params={"sort": "email"}))["data"]
    ]
    assert emails[:4] == ["ALF@x.example", "amy@x.example", "Bea@x.example", "bob@x.example"]


async def test_default_sort_is_newest_first(api, sortable):
    default = await ids(api)
    assert default == expected_order(sortable, "created_at", True)
    assert default == await ids(api, sort="-created_at")


@pytest.mark.parametrize(
    "sort", ["nickname", "-nickname", "password", "external_ref", "-", "--name", "Name",
             "name,email", "+name", " name"],
)  # fmt: skip
async def test_unknown_sort_is_400(api, sortable, sort):
    errs = errors(await api.get("/v2/customers", params={"sort": sort}), 400)
    assert errs[0]["status"] == 400


@pytest.mark.parametrize("sort", [None, "name", "-name", "created_at", "-updated_at", "email"])
async def test_ties_give_stable_offset_pages(api, store, sort):
    # 45 customers with the same name and the same timestamps: only the id tells them apart
    insert(store, many(45, name="Same Name", same_time=True))
    seen: list[str] = []
    for offset in range(0, 45, 7):
        params = {"page[limit]": "7", "page[offset]": str(offset)}
        if sort:
            params["sort"] = sort
        body = await ok(api, "/v2/customers", params=params)
        seen += [c["id"] for c in body["data"]]
    assert len(seen) == 45
    assert len(set(seen)) == 45
    if sort in ("name", "created_at"):
        assert seen == sorted(seen)
    if sort in (None, "-name", "-updated_at"):
        assert seen == sorted(seen, reverse=True)


async def test_ties_through_the_api(api):
    created = []
    for i in range(12):
        body = {"data": {"type": "customer", "name": "Twin", "email": f"twin{i}@x.example"}}
        response = await api.post("/v2/customers", json=body)
        assert response.status_code == 201
        created.append(response.json()["data"]["id"])
    seen: list[str] = []
    for offset in range(0, 12, 5):
        body = await ok(
            api, "/v2/customers", params={"sort": "name", "page[limit]": "5",
                                          "page[offset]": str(offset)}
        )  # fmt: skip
        seen += [c["id"] for c in body["data"]]
    assert seen == sorted(created)


# -- keyset paging ------------------------------------------------------------------------


async def test_keyset_walk_visits_each_customer_once(api, store):
    assert demo.seed(store, 250)
    assert store.count_customers() == 250
    seen: list[str] = []
    last: str | None = None
    requests = 0
    while True:
        params = {"sort": "created_at", "page[limit]": "100"}
        if last is not None:
            params["filter"] = f"gt(created_at,{last})"
        body = await ok(api, "/v2/customers", params=params)
        requests += 1
        if not body["data"]:
            break
        seen += [c["id"] for c in body["data"]]
        stamps = [c["meta"]["timestamps"]["created_at"] for c in body["data"]]
        assert stamps == sorted(stamps)
        last = stamps[-1]
    assert requests == 4
    assert len(seen) == 250
    assert len(set(seen)) == 250
    everyone = set()
    for offset in (0, 100, 200):
        page = await ok(api, "/v2/customers", params={"page[offset]": str(offset)})
        everyone |= {c["id"] for c in page["data"]}
    assert set(seen) == everyone


async def test_keyset_walk_with_a_raw_unencoded_filter(api, store):
    insert(store, many(25))
    seen: list[str] = []
    last = None
    while True:
        url = "/v2/customers?sort=created_at&page[limit]=10"
        if last:
            url += f"&filter=gt(created_at,{last})"
        body = await ok(api, url)
        if not body["data"]:
            break
        seen += [c["id"] for c in body["data"]]
        last = body["data"][-1]["meta"]["timestamps"]["created_at"]
    assert seen == [cid(i) for i in range(25)]


# -- entries of a custom flow -------------------------------------------------------------


@pytest.fixture
async def wishlists(api, store):
    body = {
        "data": {
            "type": "flow",
            "name": "Wishlists",
            "slug": "wishlists",
            "description": "Wishes",
            "enabled": True,
        }
    }
    response = await api.post("/v2/flows", json=body)
    assert response.status_code == 201
    flow_id = response.json()["data"]["id"]
    field = {
        "data": {
            "type": "field",
            "name": "Title",
            "slug": "title",
            "field_type": "string",
            "description": "",
            "required": False,
            "enabled": True,
            "relationships": {"flow": {"data": {"type": "flow", "id": flow_id}}},
        }
    }
    response = await api.post("/v2/fields", json=field)
    assert response.status_code == 201
    title_id = response.json()["data"]["id"]
    return [store.create_entry(flow_id, {title_id: f"Wish {i}"})["id"] for i in range(25)]


async def test_entries_paginate_like_customers(api, wishlists):
    url = "/v2/flows/wishlists/entries"
    body = await ok(api, url)
    assert len(body["data"]) == 25
    assert body["meta"] == {
        "page": {"limit": 100, "offset": 0, "current": 1, "total": 1},
        "results": {"total": 25},
    }
    assert body["links"]["last"] is None and body["links"]["next"] is None

    body = await ok(api, url, params={"page[limit]": "10", "page[offset]": "10"})
    assert body["meta"] == {
        "page": {"limit": 10, "offset": 10, "current": 2, "total": 3},
        "results": {"total": 25},
    }
    assert [e["title"] for e in body["data"]] == [f"Wish {i}" for i in range(10, 20)]
    assert body["links"]["prev"].startswith(f"{BASE}/v2/flows/wishlists/entries?")
    assert link_params(body["links"]["prev"])["page[offset]"] == "0"
    assert link_params(body["links"]["next"])["page[offset]"] == "20"
    assert link_params(body["links"]["last"])["page[offset]"] == "20"

    # walking the next links visits every entry once
    seen: list[str] = []
    nxt: str | None = f"{url}?page[limit]=7"
    while nxt:
        page = await ok(api, nxt)
        seen += [e["id"] for e in page["data"]]
        nxt = page["links"]["next"]
    assert seen == wishlists

    body = await ok(api, url, params={"page[limit]": "500"})
    assert body["meta"]["page"]["limit"] == 100
    for bad in ({"page[limit]": "0"}, {"page[limit]": "x"}, {"page[offset]": "10001"},
                {"page[offset]": "-1"}, {"sort": "title"}, {"filter": "eq(title,Wish 1)"},
                {"filter": "like(id,*)"}):  # fmt: skip
        errors(await api.get(url, params=bad), 400)
    body = await ok(api, url, params={"page[offset]": "10000"})
    assert body["data"] == [] and body["meta"]["results"]["total"] == 25


async def test_entry_filters_keep_in_links(api, wishlists):
    flt = f"in(id,{wishlists[3]},{wishlists[5]},{wishlists[7]})"
    body = await ok(api, "/v2/flows/wishlists/entries", params={"filter": flt, "page[limit]": "2"})
    assert body["meta"]["results"]["total"] == 3
    assert body["meta"]["page"]["total"] == 2
    assert link_params(body["links"]["next"])["filter"] == flt
    rest = await ok(api, body["links"]["next"])
    assert {e["id"] for e in body["data"] + rest["data"]} == {
        wishlists[3],
        wishlists[5],
        wishlists[7],
    }


async def test_empty_entries_list_has_meta(api):
    body = {
        "data": {"type": "flow", "name": "E", "slug": "empty", "description": "", "enabled": True}
    }
    assert (await api.post("/v2/flows", json=body)).status_code == 201
    body = await ok(api, "/v2/flows/empty/entries")
    assert body["data"] == []
    assert body["meta"] == {
        "page": {"limit": 100, "offset": 0, "current": 1, "total": 0},
        "results": {"total": 0},
    }
    assert body["links"]["prev"] is None and body["links"]["next"] is None
    assert body["links"]["last"] is None


async def test_non_ascii_names_fold_for_filters(api, sortable):
    assert await ids(api, filter="eq(name,ÉMILE)") == [cid(2)]
    assert await ids(api, filter="like(name,émi*)") == [cid(2)]
    assert await ids(api, filter="like(name,*Ë)") == [cid(13)]


# -- over real HTTP -----------------------------------------------------------------------


async def test_raw_query_strings_and_absolute_links_over_loopback(live_sandbox, store):
    insert(store, many(30))
    insert(
        store,
        [{"id": cid(100), "name": "Plus", "email": "a+b@x.com", "created_at": stamp(100)}],
    )
    async with httpx.AsyncClient(base_url=live_sandbox, timeout=10) as client:
        client.headers["Authorization"] = f"Bearer {await get_token(client)}"
        raw = await client.get(
            "/v2/customers?page[limit]=4&page[offset]=4&sort=created_at"
            "&filter=like(email,c00*):gt(created_at,2026-01-01T00:00:02.000Z)"
        )
        encoded = await client.get(
            "/v2/customers",
            params={
                "page[limit]": "4",
                "page[offset]": "4",
                "sort": "created_at",
                "filter": "like(email,c00*):gt(created_at,2026-01-01T00:00:02.000Z)",
            },
        )
        assert raw.status_code == encoded.status_code == 200
        assert raw.json() == encoded.json()
        body = raw.json()
        assert [c["email"] for c in body["data"]] == [f"c{i:04d}@example.com" for i in range(7, 11)]
        assert body["meta"]["results"]["total"] == 27
        for name in ("current", "first", "last", "prev", "next"):
            assert body["links"][name].startswith(f"{live_sandbox}/v2/customers?")
        following = await client.get(body["links"]["next"])
        assert [c["email"] for c in following.json()["data"]] == [
            f"c{i:04d}@example.com" for i in range(11, 15)
        ]
        # an unencoded + is a space on the wire too
        plus = await client.get("/v2/customers?filter=eq(email,a+b@x.com)")
        assert plus.json()["meta"]["results"]["total"] == 0
        plus = await client.get("/v2/customers?filter=eq(email,a%2Bb@x.com)")
        assert [c["id"] for c in plus.json()["data"]] == [cid(100)]
