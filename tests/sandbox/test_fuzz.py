"""Fuzzing the sandbox: whatever a client throws at it, the answer is a 4xx in the error
envelope (or a success), never a 5xx and never a hang.

Hypothesis builds requests from the sandbox's own route table: every route and method (and
wrong methods), path parameters that exist or do not, garbage query strings (bad page
numbers, filter and sort garbage, broken percent-encoding, repeated keys), bad
``Authorization`` headers, malformed JSON and well-formed bodies with a wrong JSON type at
every attribute. Separate tests send bodies over the size limit and walk every attribute of
every write body with every wrong type. Each example gets a fresh demo-seeded in-process store;
runs are derandomized, so CI sees the same examples every time.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote_to_bytes

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.routing import Route

from flowtui.sandbox.app import MAX_BODY_BYTES
from tests.conftest import make_sandbox, seeded_store

TOKEN = "fuzz-token-0123456789"
IMPLICIT = "fuzz-implicit-0123456789"
#: Seconds any single answer may take.
TIMEOUT = 5.0
#: Examples of the main fuzz test; with the walks below, about 2,000 requests in a few seconds.
MAX_EXAMPLES = 600
#: Requests made by this module's tests (reported by the last test for the README).
SENT = {"n": 0}
STATUSES: Counter[int] = Counter()


def fresh_app(**config: Any):
    store = seeded_store(5)
    store.add_token(TOKEN, "client_credentials", time.time() + 3600)
    store.add_token(IMPLICIT, "implicit", time.time() + 3600)
    return make_sandbox(store, **config)


def ids_of(app) -> dict[str, str]:
    """Real values for every path parameter of the route table."""
    store = app.state.store
    wishlists = store.get_flow_by_slug("wishlists")
    fields = store.list_fields(wishlists["id"])
    entry = store.list_entries(wishlists["id"], [], ("created_at", False), 1, 0)[0][0]
    customer = store.list_customers([], ("created_at", False), 1, 0)[0][0]
    address = store.addresses.list(customer["id"])[0]
    return {
        "flow_id": wishlists["id"],
        "slug": "wishlists",
        "field_id": fields[0]["id"],
        "entry_id": entry["id"],
        "field_slug": "owner",
        "customer_id": customer["id"],
        "address_id": address["id"],
    }


APP = fresh_app()
ROUTES: list[tuple[str, list[str]]] = [
    (r.path, sorted(r.methods - {"HEAD"})) for r in APP.routes if isinstance(r, Route)
]
REAL_IDS = ids_of(APP)
APP.state.store.close()

#: A valid body per write route (a template the fuzzer spoils).
TEMPLATES: dict[str, Any] = {
    "/v2/flows": {
        "data": {"type": "flow", "name": "N", "slug": "n", "description": "d", "enabled": True}
    },
    "/v2/flows/{flow_id}": {"data": {"type": "flow", "name": "N2", "enabled": False}},
    "/v2/fields": {
        "data": {
            "type": "field",
            "name": "Size",
            "slug": "size",
            "field_type": "integer",
            "description": "d",
            "required": False,
            "enabled": True,
            "order": 4,
            "omit_null": False,
            "default": 2,
            "validation_rules": [{"type": "between", "options": {"from": 1, "to": 9}}],
            "relationships": {"flow": {"data": {"type": "flow", "id": "{flow_id}"}}},
        }
    },
    "/v2/fields/{field_id}": {
        "data": {"type": "field", "name": "T", "description": "x", "order": 2, "required": False}
    },
    "/v2/flows/{slug}/entries": {"data": {"type": "entry", "title": "t", "priority": 1}},
    "/v2/flows/{slug}/entries/{entry_id}": {"data": {"type": "entry", "title": "u"}},
    "/v2/flows/{slug}/entries/{entry_id}/relationships/{field_slug}": {
        "data": {"type": "customer", "id": "{customer_id}"}
    },
    "/v2/customers": {
        "data": {
            "type": "customer",
            "name": "A",
            "email": "a@b.example",
            "password": "pw",
            "external_ref": "x",
            "loyalty_tier": 2,
            "newsletter": True,
            "contact_window": "any",
            "birthday": "2000-01-01",
            "lifetime_value": 1.5,
            "delivery_notes": "n",
        }
    },
    "/v2/customers/{customer_id}": {"data": {"type": "customer", "name": "B", "loyalty_tier": 3}},
    "/v2/customers/{customer_id}/addresses": {
        "data": {
            "type": "address",
            "name": "Home",
            "first_name": "Ron",
            "last_name": "Swanson",
            "company_name": "Very Good Building Company",
            "line_1": "1 Sunny Street",
            "line_2": "Unit 101",
            "city": "Sunny Town",
            "county": "Sunnyville",
            "region": "acc-legal-name",
            "postcode": "SU33 1YY",
            "country": "GB",
            "phone_number": "(555) 555-1234",
            "instructions": "Leave behind bin",
            "gate_code": "1234#",
            "delivery_window": "evening",
        }
    },
    "/v2/customers/{customer_id}/addresses/{address_id}": {
        "data": {"type": "address", "city": "Pawnee", "delivery_window": "morning"}
    },
    "/v2/customers/tokens": {
        "data": {
            "type": "token",
            "email": "a@b.example",
            "password": "pw",
            "authentication_mechanism": "password",
        }
    },
}

WRONG_VALUES: list[Any] = [
    None,
    True,
    0,
    -1,
    10**30,
    -(10**30),
    1.5,
    1e308,
    "",
    "x" * 5000,
    "\ud800",
    "\x00\x1b[2J",
    [],
    [1, "a", None],
    {},
    {"a": {"b": [None]}},
]


def fill(value: Any, ids: dict[str, str]) -> Any:
    """The template with ``{param}`` placeholders replaced by real ids."""
    if isinstance(value, str):
        for key, real in ids.items():
            value = value.replace("{" + key + "}", real)
        return value
    if isinstance(value, dict):
        return {k: fill(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, ids) for v in value]
    return value


def key_paths(value: Any, prefix: tuple = ()) -> Iterator[tuple]:
    """Every path to a node of a JSON document (the root included)."""
    yield prefix
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from key_paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            yield from key_paths(inner, (*prefix, i))


def replaced(doc: Any, path: tuple, new: Any) -> Any:
    if not path:
        return new
    copy = json.loads(json.dumps(doc))
    node = copy
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = new
    return copy


def dumps(doc: Any) -> bytes:
    """JSON as a client would send it; lone surrogates escaped (``\\ud800``), as JSON allows."""
    return json.dumps(doc).encode()


def assert_good_answer(response: Answer, what: str) -> None:
    status = response.status_code
    assert status < 500, f"{what} -> {status}: {response.text[:300]}"
    assert 200 <= status < 500, f"{what} -> {status}"
    if status >= 400:
        assert response.headers.get("content-type", "").startswith("application/json"), what
        body = response.json()
        assert isinstance(body, dict) and set(body) == {"errors"}, f"{what}: {body}"
        assert isinstance(body["errors"], list) and body["errors"], what
        for item in body["errors"]:
            # Customer validation errors carry no "status", as a real store answers them
            # (api-contract.md); every other error item has one, matching the HTTP status.
            if "status" in item or not (status == 422 and "/customers" in what):
                assert int(item["status"]) == status, f"{what}: {item}"
            assert isinstance(item["title"], str) and item["title"], what
            assert isinstance(item.get("detail", ""), str), what


class Answer:
    """What the app answered to one request sent straight through ASGI."""

    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status_code, self.headers, self.content = status, headers, body

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.content)


async def send(
    app,
    method: str,
    url: str,
    *,
    content: bytes | list[bytes] | None = None,
    headers: dict[str, Any] | None = None,
) -> Answer:
    """Send one request straight to the ASGI app, exactly as generated (no client-side URL or
    header checks: garbage goes through as bytes); answer within :data:`TIMEOUT` seconds."""
    raw = url.encode("utf-8", "surrogatepass")
    raw_path, _, query = raw.partition(b"?")
    chunks = content if isinstance(content, list) else [content or b""]
    head = [(k.lower().encode(), v if isinstance(v, bytes) else v.encode()) for k, v in
            (headers or {}).items()]  # fmt: skip
    if not isinstance(content, list) and content is not None:
        head.append((b"content-length", str(len(content)).encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": unquote_to_bytes(raw_path).decode("utf-8", "replace"),
        "raw_path": raw_path,
        "query_string": query,
        "root_path": "",
        "headers": [(b"host", b"sandbox.test"), *head],
        "server": ("sandbox.test", 80),
        "client": ("127.0.0.1", 1234),
    }
    pending = list(chunks)
    out: dict[str, Any] = {"status": None, "headers": {}, "body": b""}

    async def receive() -> dict:
        if pending:
            chunk = pending.pop(0)
            return {"type": "http.request", "body": chunk, "more_body": bool(pending)}
        await asyncio.sleep(3600)  # a disconnect that never comes
        return {"type": "http.disconnect"}

    async def respond(message: dict) -> None:
        if message["type"] == "http.response.start":
            out["status"] = message["status"]
            out["headers"] = {k.decode(): v.decode("latin-1") for k, v in message["headers"]}
        elif message["type"] == "http.response.body":
            out["body"] += message.get("body", b"")

    SENT["n"] += 1
    await asyncio.wait_for(app(scope, receive, respond), TIMEOUT)
    assert out["status"] is not None, f"{method} {url[:80]}: no answer"
    STATUSES[out["status"]] += 1
    return Answer(out["status"], out["headers"], out["body"])


def run(coro):
    return asyncio.run(coro)


# -- strategies -----------------------------------------------------------------------------

ATOM = st.sampled_from(
    ["", "x", "0", "-1", "99999999999999999999", "abc", "1e9", "NaN", "%", "%zz", "%ff%fe",
     "%00", "%C0%AF", "[", "]", "()", "eq(", "eq(name,", "eq(name,x", 'eq(name,"x)',
     "like(email,*)", "in(id,)", "gt(created_at,yesterday)", "eq(loyalty_tier,2)",
     "eq(" + "a" * 300 + ",b)", ":".join(["eq(name,x)"] * 12), "\u202e", "\ud83d\ude00",
     "-", "--name", "name,email", "-created_at", "created_at;drop", "+", "&", "=", "==",
     "\x1b[2J"]
)  # fmt: skip
PARAM = st.sampled_from(
    ["page[limit]", "page[offset]", "page[", "page]limit[", "filter", "sort", "include",
     "page[limit]", "filter", "", "%", "%zz", "x"]
)  # fmt: skip


@st.composite
def query_strings(draw) -> str:
    parts = []
    for _ in range(draw(st.integers(0, 4))):
        key = draw(PARAM)
        value = draw(st.one_of(ATOM, st.text(max_size=20)))
        encoded = value.encode("utf-8", "surrogatepass")
        # Sometimes percent-encoded, sometimes raw bytes (latin-1 transportable only).
        if draw(st.booleans()):
            value = "".join(f"%{b:02X}" for b in encoded)
        else:
            value = encoded.decode("latin-1")
        parts.append(f"{key}={value}" if draw(st.booleans()) else key)
    return "&".join(parts)


PATH_VALUE = st.one_of(
    st.just("REAL"),
    st.sampled_from(["x", "0", "customers", "00000000-0000-0000-0000-000000000000", "%2e%2e",
                     "%00", "%ff", "a" * 2000, "wishlists", "title", "%E2%80%AE"]),
)  # fmt: skip

AUTH = st.sampled_from(
    [TOKEN, TOKEN, TOKEN, IMPLICIT, None, "", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz",
     "Bearer wrong", "Bearer: " + TOKEN, TOKEN + "x", "bearer  " + TOKEN + " extra",
     "Bearer " + "x" * 10_000, "Bearer \u00e9"]
)  # fmt: skip

METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE", "FOO"]


@st.composite
def bodies(draw, template: Any) -> bytes | None:
    kind = draw(st.sampled_from(["none", "valid", "spoiled", "garbage", "json"]))
    if kind == "none":
        return None
    if kind == "valid" and template is not None:
        return dumps(template)
    if kind == "spoiled" and template is not None:
        paths = list(key_paths(template))
        path = draw(st.sampled_from(paths))
        return dumps(replaced(template, path, draw(st.sampled_from(WRONG_VALUES))))
    if kind == "garbage":
        return draw(
            st.one_of(
                st.binary(max_size=64),
                st.sampled_from(
                    [b"{", b"[", b'{"data":', b"nul", b"NaN", b'{"data":{"a":Infinity}}',
                     b"\xff\xfe{}", b'{"data": {"type": "flow"', b"[" * 100_000,
                     b'"' + b"\\ud800" * 3 + b'"', b"{}" * 3, b"\x00", b"1e999999"]
                ),
            )
        )  # fmt: skip
    return dumps(draw(st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
        max_leaves=8,
    )))  # fmt: skip


@st.composite
def requests(draw) -> tuple[str, str, str, bytes | None, dict[str, str]]:
    path, methods = draw(st.sampled_from(ROUTES))
    method = (
        draw(st.sampled_from(methods))
        if draw(st.integers(0, 4))
        else draw(st.sampled_from(METHODS))
    )
    template = TEMPLATES.get(path)
    url = path
    for key in REAL_IDS:
        if "{" + key + "}" in url:
            value = draw(PATH_VALUE)
            url = url.replace("{" + key + "}", REAL_IDS[key] if value == "REAL" else value)
    if draw(st.integers(0, 9)) == 0:
        url += draw(st.sampled_from(["/", "/x", "//", "/..", "/%00", "x"]))
    query = draw(query_strings())
    if query:
        url += "?" + query
    body = draw(bodies(fill(template, REAL_IDS) if template else None))
    headers: dict[str, str] = {}
    auth = draw(AUTH)
    if auth is not None:
        headers["Authorization"] = (
            auth if " " in auth or not auth.startswith("fuzz") else (f"Bearer {auth}")
        )
    if body is not None:
        headers["Content-Type"] = draw(
            st.sampled_from(["application/json", "text/plain", "application/x-www-form-urlencoded",
                             "multipart/form-data", "application/json; charset=latin-1"])
        )  # fmt: skip
    return method, url, path, body, headers


# -- tests ----------------------------------------------------------------------------------


@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(requests())
def test_any_request_gets_a_4xx_envelope_or_success_never_5xx(request):
    method, url, route, body, headers = request
    app = fresh_app()
    try:
        response = run(send(app, method, url, content=body, headers=headers))
        assert_good_answer(response, f"{method} {url[:120]} ({route})")
    finally:
        app.state.store.close()


@pytest.mark.parametrize("route", sorted(TEMPLATES))
def test_a_wrong_type_at_every_attribute_is_refused_cleanly(route):
    """Every node of every write body replaced by every wrong JSON value, one at a time."""

    async def walk() -> int:
        app = fresh_app()
        try:
            template = fill(TEMPLATES[route], REAL_IDS)
            url = fill(route, REAL_IDS)
            methods = [m for p, ms in ROUTES if p == route for m in ms if m in ("POST", "PUT")]
            n = 0
            for method in methods:
                for path in key_paths(template):
                    for wrong in WRONG_VALUES:
                        doc = replaced(template, path, wrong)
                        response = await send(
                            app,
                            method,
                            url,
                            content=dumps(doc),
                            headers={
                                "Authorization": f"Bearer {TOKEN}",
                                "Content-Type": "application/json",
                            },
                        )
                        assert_good_answer(response, f"{method} {route} {path}={wrong!r:.40}")
                        n += 1
            return n
        finally:
            app.state.store.close()

    assert run(walk()) > 0


def write_routes() -> list[tuple[str, str]]:
    """Every method and route that reads a body (``/_sandbox/reset`` reads none)."""
    reading = {*TEMPLATES, "/oauth/access_token"}
    return [(m, p) for p, ms in ROUTES for m in ms if m in ("POST", "PUT") and p in reading]


@pytest.mark.parametrize(("method", "route"), write_routes())
def test_a_body_over_the_limit_is_413_declared_or_streamed(method, route):
    # 4 KB for the API (the token endpoint has its own 64 KB limit): 70 KB is over both.
    app = fresh_app(max_body_bytes=4096)
    url = fill(route, REAL_IDS)
    big = b'{"data":{"type":"flow","name":"' + b"x" * 70_000 + b'"}}'

    async def both() -> tuple[Answer, Answer]:
        headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
        declared = await send(app, method, url, content=big, headers=headers)
        pieces = [big[i : i + 1000] for i in range(0, len(big), 1000)]
        streamed = await send(app, method, url, content=pieces, headers=headers)
        return declared, streamed

    try:
        for response in run(both()):
            assert response.status_code == 413, response.text
            assert_good_answer(response, f"{method} {route} (too large)")
    finally:
        app.state.store.close()


def test_the_default_limit_is_1_mib():
    app = fresh_app()
    body = b'{"data":' + b" " * MAX_BODY_BYTES + b"}"
    try:
        response = run(
            send(
                app,
                "POST",
                "/v2/flows",
                content=body,
                headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
            )
        )
        assert response.status_code == 413
        assert_good_answer(response, "1 MiB + 9 bytes")
    finally:
        app.state.store.close()


@pytest.mark.parametrize(
    "url",
    ["/", "/v1/flows", "/v2", "/v2/", "/v2/nothing", "/v2/flows/x/y/z/w", "/_sandbox/",
     "/_sandbox/nothing", "/oauth", "/%", "/%zz", "/" + "a" * 10_000, "/v2/customers/%ff"],
    ids=lambda url: url[:20],
)  # fmt: skip
@pytest.mark.parametrize("auth", [True, False])
def test_unknown_routes_are_a_4xx_envelope(url, auth):
    app = fresh_app()
    headers = {"Authorization": f"Bearer {TOKEN}"} if auth else {}
    try:
        for method in ("GET", "POST", "DELETE"):
            response = run(send(app, method, url, headers=headers))
            assert 400 <= response.status_code < 500
            assert_good_answer(response, f"{method} {url[:60]}")
    finally:
        app.state.store.close()


@pytest.mark.parametrize(
    "query",
    ["page[limit]=1&" * 5000, "filter=eq(name,a)&" * 200, "sort=name&sort=-email&sort=x",
     "page[limit]=abc", "page[offset]=-5", "page[limit]=1e3", "filter=%zz", "sort=%ff",
     "filter=" + "eq(name,a):" * 50, "a" * 100_000],
    ids=lambda q: q[:20],
)  # fmt: skip
def test_repeated_and_garbage_query_keys_are_answered_or_refused(query):
    app = fresh_app()
    try:
        for url in ("/v2/customers", "/v2/flows", "/v2/flows/wishlists/entries", "/v2/fields"):
            response = run(
                send(app, "GET", f"{url}?{query}", headers={"Authorization": f"Bearer {TOKEN}"})
            )
            assert_good_answer(response, f"GET {url}?{query[:40]}")
    finally:
        app.state.store.close()


def test_zz_report_how_many_requests_were_sent(capsys):
    """Prints the figure for the README's Reliability section (``-s`` shows it)."""
    with capsys.disabled():
        print(f"\nfuzz: {SENT['n']} requests sent to the sandbox in this module, none 5xx")
        print("answers by status:", dict(sorted(STATUSES.items())))
    assert not [status for status in STATUSES if status >= 500]
