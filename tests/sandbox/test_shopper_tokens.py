"""Shoppers' customer tokens: ``POST /v2/customers/tokens`` answers a JSON Web Token (HS256,
with ``sub``, ``name``, ``iat``, ``exp`` and ``jti``), decoded here with PyJWT, not with the
sandbox's own code. An implicit token plus that token in ``X-Moltin-Customer-Token`` may GET
and PUT the shopper's own record, nothing else under ``/v2/customers``; an expired, forged or
unknown customer token answers 401. In process and over real HTTP (the ``wire`` fixtures)."""

from __future__ import annotations

import asyncio
import time
import uuid

import httpx
import jwt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flowtui.sandbox.auth import CUSTOMER_TOKEN_KEY
from flowtui.sandbox.server import BackgroundServer
from flowtui.sandbox.store import Store
from tests.conftest import get_token, make_sandbox

from .helpers import create_customer, errors_of

HEADER = "X-Moltin-Customer-Token"


def store_key(app) -> bytes:
    """The key the sandbox signs customer tokens with (a test may read the store directly)."""
    key = app.state.store.get_setting(CUSTOMER_TOKEN_KEY)
    assert key is not None, "no customer token was issued yet"
    return bytes.fromhex(key)


async def log_in(client: httpx.AsyncClient, email: str, password: str, access: str) -> dict:
    body = {
        "data": {
            "type": "token",
            "authentication_mechanism": "password",
            "email": email,
            "password": password,
        }
    }
    headers = {"Authorization": f"Bearer {access}"}
    response = await client.post("/v2/customers/tokens", json=body, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["data"]


@pytest.fixture
async def shop(wire_api):
    """Two customers with passwords, an implicit token, and Ann logged in with it."""
    ann = await create_customer(wire_api, "Ann Perkins", "ann@example.com", password="nurse")
    ben = await create_customer(wire_api, "Ben Wyatt", "ben@example.com", password="cones")
    implicit = await get_token(wire_api, "implicit")
    token = await log_in(wire_api, "ann@example.com", "nurse", implicit)
    return {"ann": ann, "ben": ben, "implicit": implicit, "token": token}


def shopper(shop: dict, token: str | None = None) -> dict[str, str]:
    """Headers of a shopper: the implicit token and a customer token (Ann's by default)."""
    return {
        "Authorization": f"Bearer {shop['implicit']}",
        HEADER: shop["token"]["token"] if token is None else token,
    }


def assert_refused(response: httpx.Response, detail: str) -> None:
    (error,) = errors_of(response, 401)
    assert (error["status"], error["title"]) == (401, "Unable to validate customer token")
    assert detail in error["detail"], error


# -- the token is a JWT ---------------------------------------------------------------------


async def test_the_customer_token_is_an_hs256_jwt(wire_api, shop, sandbox_app):
    data, ann = shop["token"], shop["ann"]
    assert set(data) == {"type", "id", "customer_id", "token", "expires"}
    token = data["token"]
    assert jwt.get_unverified_header(token) == {"alg": "HS256", "typ": "JWT"}
    claims = jwt.decode(token, store_key(sandbox_app), algorithms=["HS256"])
    assert set(claims) == {"sub", "name", "iat", "exp", "jti"}
    assert claims["sub"] == data["customer_id"] == ann["id"]
    assert claims["name"] == "Ann Perkins"
    assert claims["jti"] == data["id"]
    assert uuid.UUID(claims["jti"]).version == 4
    assert claims["exp"] == data["expires"] == claims["iat"] + 24 * 3600
    assert abs(claims["iat"] - time.time()) < 60
    # A client without the key can read it too (as the documentation's sample is read).
    assert jwt.decode(token, options={"verify_signature": False}) == claims
    # Each login is a new token with its own id.
    again = await log_in(wire_api, "ann@example.com", "nurse", shop["implicit"])
    assert again["id"] != data["id"] and again["token"] != token


async def test_a_client_credentials_token_may_log_a_customer_in_too(wire_api, sandbox_app):
    await create_customer(wire_api, "Ann Perkins", "ann@example.com", password="nurse")
    full = wire_api.headers["Authorization"].removeprefix("Bearer ")
    data = await log_in(wire_api, "ann@example.com", "nurse", full)
    assert (
        jwt.decode(data["token"], store_key(sandbox_app), algorithms=["HS256"])["sub"]
        == (data["customer_id"])
    )


async def test_the_signing_key_is_the_stores_and_survives_a_restart(tmp_path):
    path = tmp_path / "sandbox.db"
    first = make_sandbox(Store(path))
    transport = httpx.ASGITransport(app=first)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox.test") as c:
        c.headers["Authorization"] = f"Bearer {await get_token(c)}"
        ann = await create_customer(c, "Ann Perkins", "ann@example.com", password="nurse")
        implicit = await get_token(c, "implicit")
        token = (await log_in(c, "ann@example.com", "nurse", implicit))["token"]
    key = store_key(first)
    first.state.store.close()
    again = make_sandbox(Store(path))
    assert store_key(again) == key
    transport = httpx.ASGITransport(app=again)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox.test") as c:
        headers = {"Authorization": f"Bearer {implicit}", HEADER: token}
        response = await c.get(f"/v2/customers/{ann['id']}", headers=headers)
        assert response.status_code == 200, response.text
    again.state.store.close()
    # Another store signs with another key.
    other = make_sandbox()
    assert other.state.store.get_setting(CUSTOMER_TOKEN_KEY) is None
    other.state.store.close()


# -- a shopper's own record -----------------------------------------------------------------


async def test_a_shopper_reads_their_own_record(wire_api, shop):
    ann = shop["ann"]
    response = await wire_api.get(f"/v2/customers/{ann['id']}", headers=shopper(shop))
    assert response.status_code == 200, response.text
    assert response.json() == (await wire_api.get(f"/v2/customers/{ann['id']}")).json()
    assert response.json()["data"]["email"] == "ann@example.com"


async def test_a_shopper_updates_their_own_record(wire_api, shop):
    ann = shop["ann"]
    path = f"/v2/customers/{ann['id']}"
    body = {"data": {"type": "customer", "name": "Ann Perkins-Traeger"}}
    response = await wire_api.put(path, json=body, headers=shopper(shop))
    assert response.status_code == 200, response.text
    got = response.json()["data"]
    assert (got["id"], got["name"], got["email"]) == (ann["id"], body["data"]["name"], ann["email"])
    assert (await wire_api.get(path)).json()["data"] == got
    # The same checks as for any update.
    bad = {"data": {"type": "customer", "email": "not an email"}}
    (error,) = errors_of(await wire_api.put(path, json=bad, headers=shopper(shop)), 422)
    assert error["source"] == "data.email"
    taken = {"data": {"type": "customer", "email": "BEN@example.com"}}
    errors_of(await wire_api.put(path, json=taken, headers=shopper(shop)), 409)
    # A new password takes effect: the shopper logs in with it.
    new = {"data": {"type": "customer", "password": "knope2012"}}
    assert (await wire_api.put(path, json=new, headers=shopper(shop))).status_code == 200
    await log_in(wire_api, "ann@example.com", "knope2012", shop["implicit"])


async def test_a_shoppers_put_ignores_a_body_id(wire_api, shop):
    ann, ben = shop["ann"], shop["ben"]
    body = {"data": {"type": "customer", "id": ben["id"], "name": "Ann P."}}
    response = await wire_api.put(f"/v2/customers/{ann['id']}", json=body, headers=shopper(shop))
    assert response.status_code == 200, response.text
    assert response.json()["data"]["id"] == ann["id"]
    assert (await wire_api.get(f"/v2/customers/{ben['id']}")).json()["data"] == ben


async def test_a_shopper_may_not_touch_anything_else_under_customers(wire_api, shop):
    ann, ben = shop["ann"], shop["ben"]
    calls = [
        ("GET", f"/v2/customers/{ben['id']}", None),
        ("PUT", f"/v2/customers/{ben['id']}", {"data": {"type": "customer", "name": "X"}}),
        ("DELETE", f"/v2/customers/{ben['id']}", None),
        ("GET", "/v2/customers/00000000-0000-4000-8000-000000000000", None),
        ("GET", "/v2/customers", None),
        ("GET", f"/v2/customers?filter=eq(id,{ann['id']})", None),
        ("POST", "/v2/customers", {"data": {"type": "customer", "name": "A", "email": "a@b.co"}}),
        ("DELETE", f"/v2/customers/{ann['id']}", None),
    ]
    for method, path, body in calls:
        response = await wire_api.request(method, path, json=body, headers=shopper(shop))
        (error,) = errors_of(response, 403)
        assert error["status"] == 403, (method, path)
    # Nothing changed.
    for customer in (ann, ben):
        got = await wire_api.get(f"/v2/customers/{customer['id']}")
        assert got.json()["data"] == customer
    assert len((await wire_api.get("/v2/customers")).json()["data"]) == 2


async def test_without_a_customer_token_an_implicit_token_stays_locked_out(wire_api, shop):
    ann = shop["ann"]
    headers = {"Authorization": f"Bearer {shop['implicit']}"}
    for method in ("GET", "PUT"):
        body = {"data": {"type": "customer", "name": "X"}} if method == "PUT" else None
        response = await wire_api.request(
            method, f"/v2/customers/{ann['id']}", json=body, headers=headers
        )
        errors_of(response, 403)


async def test_a_customer_token_alone_is_no_access_token(wire_api, shop):
    ann = shop["ann"]
    headers = {HEADER: shop["token"]["token"], "Authorization": ""}
    response = await wire_api.get(f"/v2/customers/{ann['id']}", headers=headers)
    assert response.json() == {
        "errors": [{"status": 401, "title": "Unable to validate access token"}]
    }
    headers = {"Authorization": f"Bearer {shop['token']['token']}"}
    errors_of(await wire_api.get(f"/v2/customers/{ann['id']}", headers=headers), 401)


async def test_a_client_credentials_token_ignores_the_header(wire_api, shop):
    """Whatever it carries: garbage, or Ann's token on Ben's record."""
    ben = shop["ben"]
    for token in ("garbage", shop["token"]["token"]):
        response = await wire_api.get(f"/v2/customers/{ben['id']}", headers={HEADER: token})
        assert response.status_code == 200, response.text
        body = {"data": {"type": "customer", "name": "Ben"}}
        response = await wire_api.put(
            f"/v2/customers/{ben['id']}", json=body, headers={HEADER: token}
        )
        assert response.status_code == 200, response.text
    assert (await wire_api.get("/v2/customers", headers={HEADER: "garbage"})).status_code == 200


# -- refused customer tokens ----------------------------------------------------------------


def claims_of(shop: dict, **changes) -> dict:
    """Ann's token's claims, with ``changes``."""
    claims = jwt.decode(shop["token"]["token"], options={"verify_signature": False})
    claims.update(changes)
    return claims


async def test_an_expired_customer_token_is_401(wire_api, shop, sandbox_app):
    ann = shop["ann"]
    past = int(time.time()) - 10
    expired = jwt.encode(claims_of(shop, iat=past - 60, exp=past), store_key(sandbox_app))
    for method in ("GET", "PUT"):
        body = {"data": {"type": "customer", "name": "X"}} if method == "PUT" else None
        response = await wire_api.request(
            method, f"/v2/customers/{ann['id']}", json=body, headers=shopper(shop, expired)
        )
        assert_refused(response, "expired")
    assert (await wire_api.get(f"/v2/customers/{ann['id']}")).json()["data"] == ann


@pytest.mark.parametrize("over_http", [False, True])
async def test_a_customer_token_expires_after_its_lifetime(over_http):
    """A token the sandbox issued itself, with ``customer_token_ttl`` of one second."""
    app = make_sandbox(customer_token_ttl=1)
    server = BackgroundServer(app).start() if over_http else None
    transport = None if server else httpx.ASGITransport(app=app)
    base = server.url if server else "http://sandbox.test"
    try:
        async with httpx.AsyncClient(transport=transport, base_url=base, timeout=10) as c:
            c.headers["Authorization"] = f"Bearer {await get_token(c)}"
            ann = await create_customer(c, "Ann Perkins", "ann@example.com", password="nurse")
            implicit = await get_token(c, "implicit")
            data = await log_in(c, "ann@example.com", "nurse", implicit)
            claims = jwt.decode(data["token"], store_key(app), algorithms=["HS256"])
            assert claims["exp"] == claims["iat"] + 1 == data["expires"]
            await asyncio.sleep(max(0.0, data["expires"] - time.time()) + 0.05)
            headers = {"Authorization": f"Bearer {implicit}", HEADER: data["token"]}
            response = await c.get(f"/v2/customers/{ann['id']}", headers=headers)
            assert_refused(response, "expired")
            with pytest.raises(jwt.ExpiredSignatureError):
                jwt.decode(data["token"], store_key(app), algorithms=["HS256"])
    finally:
        if server:
            server.stop()
        app.state.store.close()


@pytest.mark.parametrize(
    "forge",
    [
        "another key",
        "alg none",
        "HS512",
        "tampered sub",
        "tampered exp",
        "not a jwt",
        "two parts",
        "bad base64",
        "non-ascii",
    ],
)
async def test_a_forged_customer_token_is_401(wire_api, shop, sandbox_app, forge):
    ann, ben = shop["ann"], shop["ben"]
    real = shop["token"]["token"]
    head, _, sig = real.split(".")
    key = store_key(sandbox_app)
    target = ann["id"]
    if forge == "another key":
        token = jwt.encode(claims_of(shop), b"k" * 32, algorithm="HS256")
    elif forge == "alg none":
        token = jwt.encode(claims_of(shop), None, algorithm="none")
    elif forge == "HS512":
        token = jwt.encode(claims_of(shop), key * 2, algorithm="HS512")
    elif forge == "tampered sub":
        # Ann's signature on a payload naming Ben.
        other = jwt.encode(claims_of(shop, sub=ben["id"]), b"k" * 32, algorithm="HS256")
        token = f"{head}.{other.split('.')[1]}.{sig}"
        target = ben["id"]
    elif forge == "tampered exp":
        later = jwt.encode(claims_of(shop, exp=2**40), b"k" * 32, algorithm="HS256")
        token = f"{head}.{later.split('.')[1]}.{sig}"
    elif forge == "not a jwt":
        token = "a-customer-token-of-the-old-opaque-kind"
    elif forge == "two parts":
        token = real.rsplit(".", 1)[0]
    elif forge == "bad base64":
        token = f"{head}.{real.split('.')[1]}+/.{sig}"
    else:
        token = f"{head}.{real.split('.')[1]}é.{sig}"
    headers: dict[str, str | bytes] = {**shopper(shop), HEADER: token.encode()}
    response = await wire_api.get(f"/v2/customers/{target}", headers=headers)
    assert_refused(response, "not valid")


async def test_an_unknown_customer_token_is_401(wire_api, shop, sandbox_app):
    """Signed with the store's key, but never issued (or its customer is gone)."""
    ann, ben = shop["ann"], shop["ben"]
    key = store_key(sandbox_app)
    made_up = jwt.encode(claims_of(shop, jti=str(uuid.uuid4())), key, algorithm="HS256")
    response = await wire_api.get(f"/v2/customers/{ann['id']}", headers=shopper(shop, made_up))
    assert_refused(response, "not known")
    # A real token id whose subject was changed (and re-signed with the key) is no one's.
    swapped = jwt.encode(claims_of(shop, sub=ben["id"]), key, algorithm="HS256")
    response = await wire_api.get(f"/v2/customers/{ben['id']}", headers=shopper(shop, swapped))
    assert_refused(response, "not known")
    # Deleting the customer forgets their tokens.
    assert (await wire_api.delete(f"/v2/customers/{ann['id']}")).status_code == 204
    response = await wire_api.get(f"/v2/customers/{ann['id']}", headers=shopper(shop))
    assert_refused(response, "not known")


async def test_a_reset_forgets_customer_tokens_but_not_access_tokens(wire_api, shop):
    ann = shop["ann"]
    assert (await wire_api.post("/_sandbox/reset", json={})).status_code == 204
    response = await wire_api.get(f"/v2/customers/{ann['id']}", headers=shopper(shop))
    assert_refused(response, "not known")
    headers = {"Authorization": f"Bearer {shop['implicit']}"}
    assert (await wire_api.get("/v2/flows", headers=headers)).status_code == 200


async def test_any_customer_token_header_is_a_401_never_a_crash(sandbox_app):
    """Whatever a client puts in the header (here: JWT-looking garbage), a JSON 401."""
    transport = httpx.ASGITransport(app=sandbox_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox.test") as c:
        c.headers["Authorization"] = f"Bearer {await get_token(c)}"
        ann = await create_customer(c, "Ann Perkins", "ann@example.com", password="nurse")
        implicit = await get_token(c, "implicit")
        real = (await log_in(c, "ann@example.com", "nurse", implicit))["token"]
        part = st.text(alphabet="AZaz09-_+/=.é~ ", max_size=16)
        garbage = st.one_of(
            st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0xFF), max_size=80),
            st.lists(part, min_size=1, max_size=4).map(".".join),
            part.map(lambda p: real[: len(real) // 2] + p),
        )
        values = find_all(garbage, 150)
        for value in values:
            headers = {"Authorization": f"Bearer {implicit}", HEADER: value.encode("latin-1")}
            response = await c.get(f"/v2/customers/{ann['id']}", headers=headers)
            if value.strip(" \t"):
                assert_refused(response, "customer token")
            else:  # an empty header is no customer token: an implicit token alone
                errors_of(response, 403)


def find_all(strategy: st.SearchStrategy[str], count: int) -> list[str]:
    """``count`` examples of ``strategy``, drawn deterministically."""
    found: list[str] = []

    @given(strategy)
    @settings(max_examples=count, derandomize=True, database=None, deadline=None)
    def collect(value: str) -> None:
        found.append(value)

    collect()
    return found
