"""Authentication: the token endpoint, token checks on /v2, implicit (read-only) tokens, and
what every answer carries (JSON errors for unknown paths and methods, the sandbox header)."""

from __future__ import annotations

import asyncio
import time
from urllib.parse import urlsplit

import httpx
import pytest

from flowtui import __version__
from tests.conftest import CLIENT_ID, CLIENT_SECRET, get_token, make_sandbox

from .helpers import create_customer, create_entry, create_field, create_flow, errors_of

UNAUTHORIZED = {"errors": [{"status": 401, "title": "Unable to validate access token"}]}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


async def post_form(client: httpx.AsyncClient, form: str) -> httpx.Response:
    return await client.post("/oauth/access_token", content=form.encode(), headers=FORM)


# -- the token endpoint ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "form",
    [
        f"grant_type=client_credentials&client_id={CLIENT_ID}&client_secret={CLIENT_SECRET}",
        f"client_id={CLIENT_ID}&client_secret={CLIENT_SECRET}&grant_type=client_credentials",
        f"client_secret={CLIENT_SECRET}&grant_type=client_credentials&client_id={CLIENT_ID}",
    ],
)
async def test_client_credentials_grant_in_any_field_order(client, form):
    before = int(time.time())
    response = await post_form(client, form)
    after = int(time.time())
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires", "expires_in", "identifier"}
    assert isinstance(body["access_token"], str) and len(body["access_token"]) >= 16
    assert body["token_type"] == "Bearer"
    assert body["identifier"] == "client_credentials"
    assert body["expires_in"] == 3600
    assert isinstance(body["expires"], int)
    assert before + 3600 <= body["expires"] <= after + 3600
    # The token works.
    flows = await client.get(
        "/v2/flows", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert flows.status_code == 200


@pytest.mark.parametrize(
    "form",
    [f"grant_type=implicit&client_id={CLIENT_ID}", f"client_id={CLIENT_ID}&grant_type=implicit"],
)
async def test_implicit_grant_in_any_field_order(client, form):
    response = await post_form(client, form)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires", "expires_in", "identifier"}
    assert body["token_type"] == "Bearer"
    assert body["identifier"] == "implicit"
    assert body["expires_in"] == 3600
    assert abs(body["expires"] - (time.time() + 3600)) < 5


async def test_each_grant_gives_a_new_token(client):
    first = await get_token(client)
    second = await get_token(client)
    assert first != second


@pytest.mark.parametrize(
    "form",
    [
        f"grant_type=client_credentials&client_id=wrong&client_secret={CLIENT_SECRET}",
        f"grant_type=client_credentials&client_id={CLIENT_ID}&client_secret=wrong",
        f"grant_type=client_credentials&client_id={CLIENT_ID}",
        "grant_type=client_credentials",
        "grant_type=implicit&client_id=wrong",
        "grant_type=implicit",
    ],
)
async def test_bad_client_credentials_are_401(client, form):
    errors = errors_of(await post_form(client, form), 401)
    assert errors[0]["status"] == 401


@pytest.mark.parametrize(
    "form",
    [
        f"client_id={CLIENT_ID}&client_secret={CLIENT_SECRET}",
        f"grant_type=&client_id={CLIENT_ID}&client_secret={CLIENT_SECRET}",
        f"grant_type=password&client_id={CLIENT_ID}&client_secret={CLIENT_SECRET}",
        f"grant_type=refresh_token&client_id={CLIENT_ID}&client_secret={CLIENT_SECRET}",
        "",
    ],
)
async def test_missing_or_unknown_grant_type_is_400(client, form):
    errors = errors_of(await post_form(client, form), 400)
    assert errors[0]["status"] == 400


# -- tokens on /v2 --------------------------------------------------------------------------

V2_CALLS = [
    ("GET", "/v2/flows"),
    ("POST", "/v2/flows"),
    ("GET", "/v2/flows/00000000-0000-4000-8000-000000000000"),
    ("PUT", "/v2/flows/00000000-0000-4000-8000-000000000000"),
    ("DELETE", "/v2/flows/00000000-0000-4000-8000-000000000000"),
    ("GET", "/v2/flows/customers/fields"),
    ("GET", "/v2/flows/widgets/entries"),
    ("POST", "/v2/flows/widgets/entries"),
    ("GET", "/v2/flows/widgets/entries/x"),
    ("POST", "/v2/flows/widgets/entries/x/relationships/rel"),
    ("GET", "/v2/fields"),
    ("POST", "/v2/fields"),
    ("GET", "/v2/fields/x"),
    ("DELETE", "/v2/fields/x"),
    ("GET", "/v2/customers"),
    ("POST", "/v2/customers"),
    ("GET", "/v2/customers/x"),
    ("PUT", "/v2/customers/x"),
    ("POST", "/v2/customers/tokens"),
]


def assert_unauthorized(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == UNAUTHORIZED


@pytest.mark.parametrize(("method", "path"), V2_CALLS)
async def test_v2_without_token_is_401(client, method, path):
    response = await client.request(method, path, json={"data": {"type": "flow"}})
    assert_unauthorized(response)


@pytest.mark.parametrize(
    "header", ["Bearer 0123456789abcdef", "Bearer: 0123456789abcdef", "0123456789abcdef", "Bearer"]
)
@pytest.mark.parametrize(("method", "path"), V2_CALLS[:3] + V2_CALLS[-5:])
async def test_v2_with_unknown_token_is_401(client, method, path, header):
    response = await client.request(method, path, headers={"Authorization": header})
    assert_unauthorized(response)


async def test_expired_token_is_401():
    app = make_sandbox(token_ttl=1)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://sb.test") as c:
            while True:  # a token with some life left, so "works, then expires" is reliable
                response = await c.post(
                    "/oauth/access_token",
                    data={
                        "grant_type": "client_credentials",
                        "client_id": CLIENT_ID,
                        "client_secret": CLIENT_SECRET,
                    },
                )
                body = response.json()
                assert body["expires_in"] == 1
                if body["expires"] - time.time() > 0.3:
                    break
                await asyncio.sleep(0.1)
            headers = {"Authorization": f"Bearer {body['access_token']}"}
            assert (await c.get("/v2/flows", headers=headers)).status_code == 200
            await asyncio.sleep(body["expires"] - time.time() + 0.05)
            for method, path in (("GET", "/v2/flows"), ("POST", "/v2/flows"), *V2_CALLS[-5:]):
                assert_unauthorized(await c.request(method, path, headers=headers))
            # Unknown paths and methods under /v2 also report the token first.
            assert_unauthorized(await c.get("/v2/nothing-here", headers=headers))
            assert_unauthorized(await c.patch("/v2/flows", headers=headers))
    finally:
        app.state.store.close()


async def test_token_stored_as_expired_is_401(client, sandbox_app):
    sandbox_app.state.store.add_token("old-token", "client_credentials", time.time() - 1)
    assert_unauthorized(await client.get("/v2/flows", headers={"Authorization": "old-token"}))


@pytest.mark.parametrize("template", ["Bearer {}", "Bearer: {}", "{}"])
async def test_the_three_authorization_forms(client, template):
    token = await get_token(client)
    headers = {"Authorization": template.format(token)}
    response = await client.post(
        "/v2/flows",
        json={
            "data": {
                "type": "flow",
                "name": "Wishlists",
                "slug": "wishlists",
                "description": "",
                "enabled": True,
            }
        },
        headers=headers,
    )
    assert response.status_code == 201, response.text
    assert (await client.get("/v2/flows", headers=headers)).status_code == 200
    assert (await client.get("/v2/customers", headers=headers)).status_code == 200


# -- implicit tokens ------------------------------------------------------------------------


@pytest.fixture
async def store_with_data(api):
    """A custom flow with a field and an entry, the customers flow, a customer with a password."""
    flow = await create_flow(api, "wishlists")
    field = await create_field(api, flow["id"], "title")
    rel = await create_field(
        api,
        flow["id"],
        "owner",
        "relationship",
        validation_rules=[{"type": "one-to-one", "to": "customer"}],
    )
    entry = await create_entry(api, "wishlists", title="Books")
    customers = await create_flow(api, "customers")
    customer = await create_customer(api, "Ann Perkins", "ann@example.com", password="nurse")
    return {
        "flow": flow,
        "field": field,
        "rel": rel,
        "entry": entry,
        "customers": customers,
        "customer": customer,
    }


async def implicit_headers(client: httpx.AsyncClient) -> dict:
    return {"Authorization": f"Bearer {await get_token(client, 'implicit')}"}


async def test_implicit_token_reads_flows_fields_and_entries(api, store_with_data):
    d = store_with_data
    headers = await implicit_headers(api)
    for path in (
        "/v2/flows",
        f"/v2/flows/{d['flow']['id']}",
        "/v2/flows/wishlists/fields",
        f"/v2/flows/{d['flow']['id']}/fields/{d['field']['id']}",
        "/v2/fields",
        f"/v2/fields/{d['field']['id']}",
        "/v2/flows/wishlists/entries",
        f"/v2/flows/wishlists/entries/{d['entry']['id']}",
    ):
        response = await api.get(path, headers=headers)
        assert response.status_code == 200, (path, response.text)
    # What it reads is what a full token reads.
    full = await api.get(f"/v2/flows/wishlists/entries/{d['entry']['id']}")
    mine = await api.get(f"/v2/flows/wishlists/entries/{d['entry']['id']}", headers=headers)
    assert mine.json() == full.json()
    # A 404 stays a 404 for a reader.
    assert (await api.get("/v2/fields/nope", headers=headers)).status_code == 404


async def test_implicit_token_may_log_a_shopper_in(api, store_with_data):
    headers = await implicit_headers(api)
    body = {
        "data": {
            "type": "token",
            "authentication_mechanism": "password",
            "email": "ann@example.com",
            "password": "nurse",
        }
    }
    response = await api.post("/v2/customers/tokens", json=body, headers=headers)
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["type"] == "token"
    assert data["customer_id"] == store_with_data["customer"]["id"]
    body["data"]["password"] = "wrong"
    errors = errors_of(await api.post("/v2/customers/tokens", json=body, headers=headers), 401)
    assert errors[0]["status"] == 401


async def test_implicit_token_cannot_write_or_touch_customers(api, store_with_data):
    d = store_with_data
    headers = await implicit_headers(api)
    flow_id, field_id, entry_id = d["flow"]["id"], d["field"]["id"], d["entry"]["id"]
    customer_id = d["customer"]["id"]
    entry_path = f"/v2/flows/wishlists/entries/{entry_id}"
    calls = [
        ("POST", "/v2/flows", {"data": {"type": "flow"}}),
        ("PUT", f"/v2/flows/{flow_id}", {"data": {"type": "flow", "name": "X"}}),
        ("DELETE", f"/v2/flows/{flow_id}", None),
        ("POST", "/v2/fields", {"data": {"type": "field"}}),
        ("PUT", f"/v2/fields/{field_id}", {"data": {"type": "field", "name": "X"}}),
        ("DELETE", f"/v2/fields/{field_id}", None),
        ("POST", "/v2/flows/wishlists/entries", {"data": {"type": "entry"}}),
        ("PUT", entry_path, {"data": {"type": "entry", "title": "X"}}),
        ("DELETE", entry_path, None),
        (
            "POST",
            f"{entry_path}/relationships/owner",
            {"data": [{"type": "customer", "id": customer_id}]},
        ),
        ("PUT", f"{entry_path}/relationships/owner", {"data": []}),
        ("DELETE", f"{entry_path}/relationships/owner", None),
        ("GET", "/v2/customers", None),
        ("GET", f"/v2/customers/{customer_id}", None),
        ("GET", "/v2/customers/00000000-0000-4000-8000-000000000000", None),
        ("POST", "/v2/customers", {"data": {"type": "customer", "name": "A", "email": "a@b.co"}}),
        ("PUT", f"/v2/customers/{customer_id}", {"data": {"type": "customer", "name": "X"}}),
        ("DELETE", f"/v2/customers/{customer_id}", None),
    ]
    for method, path, body in calls:
        response = await api.request(method, path, json=body, headers=headers)
        errors = errors_of(response, 403)
        assert errors[0]["status"] == 403, (method, path)
    # Nothing changed.
    assert (await api.get(f"/v2/flows/{flow_id}")).json()["data"]["name"] == "Wishlists"
    assert (await api.get(entry_path)).json()["data"]["title"] == "Books"
    assert (await api.get(f"/v2/customers/{customer_id}")).status_code == 200
    assert len((await api.get("/v2/flows")).json()["data"]) == 2


# -- headers and answers --------------------------------------------------------------------

SDK_HEADERS = {
    "Content-Type": "application/json",
    "X-MOLTIN-SDK-LANGUAGE": "JS-REQUEST",
    "X-MOLTIN-SDK-VERSION": "3.14.0",
    "X-MOLTIN-APPLICATION": "flowtui-tests",
    "X-MOLTIN-CURRENCY": "USD",
    "X-MOLTIN-LANGUAGE": "en",
}


async def test_sdk_headers_and_json_content_type_without_body(api, store_with_data):
    d = store_with_data
    for path in (
        "/v2/flows",
        "/v2/fields",
        "/v2/customers",
        f"/v2/customers/{d['customer']['id']}",
        "/v2/flows/wishlists/entries",
    ):
        response = await api.get(path, headers=SDK_HEADERS)
        assert response.status_code == 200, (path, response.text)
    response = await api.delete(
        f"/v2/flows/wishlists/entries/{d['entry']['id']}", headers=SDK_HEADERS
    )
    assert response.status_code == 204
    assert response.content == b""
    response = await api.delete(f"/v2/customers/{d['customer']['id']}", headers=SDK_HEADERS)
    assert response.status_code == 204
    response = await api.post(
        "/v2/flows",
        json={
            "data": {
                "type": "flow",
                "name": "Notes",
                "slug": "notes",
                "description": "",
                "enabled": True,
            }
        },
        headers=SDK_HEADERS,
    )
    assert response.status_code == 201


async def test_unknown_v2_path_is_401_without_token_and_404_with_one(client, api):
    for path in ("/v2/nothing", "/v2/flows/a/b/c/d/e", "/v2/products"):
        assert_unauthorized(await client.get(path, headers={"Authorization": ""}))
        errors = errors_of(await api.get(path), 404)
        assert errors[0]["status"] == 404


async def test_unknown_path_outside_v2_is_404_json(client):
    for path in ("/", "/nothing", "/oauth/other"):
        errors = errors_of(await client.get(path), 404)
        assert errors[0]["status"] == 404


async def test_unknown_method_is_405_json(api):
    for method, path in (
        ("PATCH", "/v2/flows"),
        ("DELETE", "/v2/flows"),
        ("PATCH", "/v2/fields/x"),
        ("PUT", "/v2/customers"),
        ("GET", "/oauth/access_token"),
    ):
        response = await api.request(method, path)
        errors = errors_of(response, 405)
        assert errors[0]["status"] == 405
    # Outside /v2 no token is needed to be told so.
    response = await api.get("/oauth/access_token", headers={"Authorization": ""})
    assert errors_of(response, 405)[0]["status"] == 405


async def test_unknown_method_without_token_is_401(client):
    assert_unauthorized(await client.patch("/v2/flows"))


async def test_every_answer_carries_the_sandbox_header(client, api):
    token = api.headers["Authorization"]
    answers = [
        await client.get("/_sandbox/health"),
        await client.post("/oauth/access_token", data={"grant_type": "x"}),
        await client.post("/oauth/access_token", data={"grant_type": "implicit", "client_id": "x"}),
        await client.get("/v2/flows", headers={"Authorization": ""}),
        await client.get("/v2/flows", headers={"Authorization": token}),
        await client.post("/v2/flows", content=b"{not json", headers={"Authorization": token}),
        await client.post(
            "/v2/flows", json={"data": {"type": "flow"}}, headers={"Authorization": token}
        ),
        await client.get("/v2/nothing", headers={"Authorization": token}),
        await client.patch("/v2/flows", headers={"Authorization": token}),
        await client.get("/nothing"),
    ]
    flow = await create_flow(api, "notes")
    answers.append(await api.delete(f"/v2/flows/{flow['id']}"))
    assert [a.status_code for a in answers] == [
        200,
        400,
        401,
        401,
        200,
        400,
        422,
        404,
        405,
        404,
        204,
    ]
    for answer in answers:
        assert answer.headers["X-Flowtui-Sandbox"] == __version__


async def test_health(client):
    response = await client.get("/_sandbox/health")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {"status": "ok", "version": __version__}


async def test_health_over_http(live_sandbox):
    assert urlsplit(live_sandbox).hostname == "127.0.0.1"
    async with httpx.AsyncClient(base_url=live_sandbox, timeout=10) as http:
        response = await http.get("/_sandbox/health")
        assert response.status_code == 200
        assert response.json()["status"] == "ok"
        assert response.headers["X-Flowtui-Sandbox"] == __version__
        assert_unauthorized(await http.get("/v2/flows"))
        token = await get_token(http)
        response = await http.get("/v2/flows", headers={"Authorization": f"Bearer: {token}"})
        assert response.status_code == 200
        assert response.headers["X-Flowtui-Sandbox"] == __version__


def break_flow_listing(sandbox_app, monkeypatch) -> None:
    """Make GET /v2/flows crash inside the store (server trouble, not an API error)."""

    def boom():
        raise RuntimeError("the disk is on fire")

    monkeypatch.setattr(sandbox_app.state.store, "list_flows", boom)


async def test_a_crash_is_a_json_500_with_the_sandbox_header(sandbox_app, monkeypatch):
    transport = httpx.ASGITransport(app=sandbox_app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox.test") as c:
        headers = {"Authorization": await get_token(c)}
        break_flow_listing(sandbox_app, monkeypatch)
        response = await c.get("/v2/flows", headers=headers)
        assert errors_of(response, 500)[0]["status"] == 500
        assert response.headers["X-Flowtui-Sandbox"] == __version__
        # Other calls still work.
        assert (await c.get("/v2/fields", headers=headers)).status_code == 200


async def test_a_crash_over_http(sandbox_app, live_sandbox, monkeypatch):
    async with httpx.AsyncClient(base_url=live_sandbox, timeout=10) as http:
        headers = {"Authorization": await get_token(http)}
        break_flow_listing(sandbox_app, monkeypatch)
        response = await http.get("/v2/flows", headers=headers)
        assert errors_of(response, 500)[0]["status"] == 500
        assert response.headers["X-Flowtui-Sandbox"] == __version__
        # The server closes that connection, and says so; the next call opens a new one.
        assert response.headers["connection"] == "close"
        for _ in range(3):
            assert (await http.get("/v2/fields", headers=headers)).status_code == 200
