"""Customers of the sandbox: shape, validation, custom (core flow) fields and passwords."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import httpx
import pytest

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
BASE_KEYS = {
    "id",
    "type",
    "name",
    "email",
    "password",
    "external_ref",
    "authentication_mechanism",
    "meta",
}


def customer_body(name: Any = "Ron Swanson", email: Any = "ron@pawnee.example", **attrs) -> dict:
    data = {"type": "customer", "name": name, "email": email, **attrs}
    return {"data": {k: v for k, v in data.items() if v is not ...}}


async def new_customer(api: httpx.AsyncClient, name="Ron Swanson", email=None, **attrs) -> dict:
    email = email or f"{name.lower().replace(' ', '.')}@pawnee.example"
    response = await api.post("/v2/customers", json=customer_body(name, email, **attrs))
    assert response.status_code == 201, response.text
    return response.json()["data"]


async def customers_flow(api: httpx.AsyncClient) -> str:
    body = {
        "data": {
            "type": "flow",
            "name": "Customers",
            "slug": "customers",
            "description": "Extends the customer resource",
            "enabled": True,
        }
    }
    response = await api.post("/v2/flows", json=body)
    assert response.status_code == 201, response.text
    return response.json()["data"]["id"]


async def add_field(
    api: httpx.AsyncClient, flow_id: str, slug: str, field_type: str = "string", **attrs
) -> dict:
    data = {
        "type": "field",
        "name": slug.title(),
        "slug": slug,
        "field_type": field_type,
        "description": f"The {slug} field",
        "required": False,
        "enabled": True,
        "relationships": {"flow": {"data": {"type": "flow", "id": flow_id}}},
        **attrs,
    }
    response = await api.post("/v2/fields", json={"data": data})
    assert response.status_code == 201, response.text
    return response.json()["data"]


def errors(response: httpx.Response, status: int) -> list[dict]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"errors"}
    assert isinstance(body["errors"], list) and body["errors"]
    return body["errors"]


def raw_json(data: Any) -> dict:
    """Request kwargs sending ``data`` as JSON exactly as ``json.dumps`` writes it."""
    return {
        "content": json.dumps(data).encode(),
        "headers": {"Content-Type": "application/json"},
    }


# -- shape and CRUD -----------------------------------------------------------------------


async def test_create_answers_201_with_the_customer_shape(api):
    response = await api.post(
        "/v2/customers",
        json=customer_body("Leslie Knope", "leslie@pawnee.example", password="waffles"),
    )
    assert response.status_code == 201
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"data"}
    data = body["data"]
    assert set(data) == BASE_KEYS
    assert UUID.match(data["id"])
    assert data["type"] == "customer"
    assert data["name"] == "Leslie Knope"
    assert data["email"] == "leslie@pawnee.example"
    assert data["password"] is True
    assert data["external_ref"] is None
    assert data["authentication_mechanism"] == "password"
    assert set(data["meta"]) == {"timestamps"}
    stamps = data["meta"]["timestamps"]
    assert set(stamps) == {"created_at", "updated_at"}
    assert TIMESTAMP.match(stamps["created_at"]) and TIMESTAMP.match(stamps["updated_at"])
    assert stamps["created_at"] == stamps["updated_at"]
    assert "waffles" not in response.text


async def test_password_false_without_one_and_never_the_secret(api):
    created = await new_customer(api, "Ann Perkins")
    assert created["password"] is False
    got = (await api.get(f"/v2/customers/{created['id']}")).json()["data"]
    assert got["password"] is False
    response = await api.put(
        f"/v2/customers/{created['id']}",
        json={"data": {"type": "customer", "password": "s3cret-Pa55"}},
    )
    assert response.status_code == 200
    assert response.json()["data"]["password"] is True
    for response in (
        await api.get(f"/v2/customers/{created['id']}"),
        await api.get("/v2/customers"),
    ):
        assert "s3cret-Pa55" not in response.text
        assert "scrypt" not in response.text


async def test_get_put_delete(api):
    created = await new_customer(api, "Tom Haverford", external_ref="crm-1", password="pw")
    cid = created["id"]
    got = await api.get(f"/v2/customers/{cid}")
    assert got.status_code == 200
    assert got.json() == {"data": created}

    # partial update: absent attributes keep their value
    response = await api.put(
        f"/v2/customers/{cid}", json={"data": {"type": "customer", "name": "T"}}
    )
    assert response.status_code == 200
    updated = response.json()["data"]
    assert updated["name"] == "T"
    assert updated["email"] == created["email"]
    assert updated["external_ref"] == "crm-1"
    assert updated["password"] is True
    assert (
        updated["meta"]["timestamps"]["created_at"] == created["meta"]["timestamps"]["created_at"]
    )
    assert updated["meta"]["timestamps"]["updated_at"] > created["meta"]["timestamps"]["updated_at"]
    assert (await api.get(f"/v2/customers/{cid}")).json()["data"] == updated

    # data.id may be present when it matches the URL
    response = await api.put(
        f"/v2/customers/{cid}",
        json={"data": {"type": "customer", "id": cid, "email": "TOM@entertainment720.example"}},
    )
    assert response.status_code == 200
    assert response.json()["data"]["email"] == "TOM@entertainment720.example"

    # external_ref may be cleared with null
    response = await api.put(
        f"/v2/customers/{cid}", json={"data": {"type": "customer", "external_ref": None}}
    )
    assert response.status_code == 200
    assert response.json()["data"]["external_ref"] is None

    deleted = await api.delete(f"/v2/customers/{cid}")
    assert deleted.status_code == 204
    assert deleted.content == b""
    errors(await api.get(f"/v2/customers/{cid}"), 404)
    errors(await api.delete(f"/v2/customers/{cid}"), 404)


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
async def test_unknown_customer_is_404(api, method):
    body = {"data": {"type": "customer", "name": "X"}} if method == "PUT" else None
    response = await api.request(method, "/v2/customers/no-such-customer", json=body)
    errs = errors(response, 404)
    assert errs[0]["status"] == 404


@pytest.mark.parametrize(
    "body",
    [
        {"data": {"name": "A", "email": "a@b.co"}},
        {"data": {"type": "customers", "name": "A", "email": "a@b.co"}},
        {"data": {"type": "entry", "name": "A", "email": "a@b.co"}},
        {"data": []},
        {"name": "A", "email": "a@b.co"},
        [],
    ],
)
async def test_missing_or_wrong_type_is_422(api, body):
    errs = errors(await api.post("/v2/customers", json=body), 422)
    assert all("title" in e for e in errs)
    assert (await api.get("/v2/customers")).json()["meta"]["results"]["total"] == 0


# -- validation ---------------------------------------------------------------------------


async def test_missing_name_and_email_give_one_error_each(api):
    response = await api.post("/v2/customers", json={"data": {"type": "customer"}})
    errs = errors(response, 422)
    assert errs == [
        {
            "title": "Failed Validation",
            "detail": "The data.name field is required.",
            "source": "data.name",
        },
        {
            "title": "Failed Validation",
            "detail": "The data.email field is required.",
            "source": "data.email",
        },
    ]


@pytest.mark.parametrize("missing", ["name", "email"])
async def test_one_missing_attribute(api, missing):
    body = customer_body()
    del body["data"][missing]
    errs = errors(await api.post("/v2/customers", json=body), 422)
    assert errs == [
        {
            "title": "Failed Validation",
            "detail": f"The data.{missing} field is required.",
            "source": f"data.{missing}",
        }
    ]


@pytest.mark.parametrize("value", [None, ""])
async def test_null_or_empty_name_is_missing(api, value):
    errs = errors(await api.post("/v2/customers", json=customer_body(name=value)), 422)
    assert [e["detail"] for e in errs] == ["The data.name field is required."]
    assert "status" not in errs[0]


@pytest.mark.parametrize(
    "email", ["not-an-email", "a@b", "@b.co", "a b@c.de", "a@b.co\n", "a@@b.co", 42, ["a@b.co"]]
)
async def test_bad_email_is_422(api, email):
    errs = errors(await api.post("/v2/customers", json=customer_body(email=email)), 422)
    assert len(errs) == 1
    assert errs[0]["source"] == "data.email"
    assert errs[0]["title"] == "Failed Validation"
    assert "status" not in errs[0]


async def test_bad_email_on_update_is_422(api):
    created = await new_customer(api)
    for email in ("nope", None, ""):
        response = await api.put(
            f"/v2/customers/{created['id']}", json={"data": {"type": "customer", "email": email}}
        )
        assert errors(response, 422)[0]["source"] == "data.email"
    got = (await api.get(f"/v2/customers/{created['id']}")).json()["data"]
    assert got["email"] == created["email"]


async def test_duplicate_email_is_409_case_insensitively(api):
    await new_customer(api, "Ron Swanson", "ron@pawnee.example")
    for email in ("ron@pawnee.example", "RON@Pawnee.Example"):
        response = await api.post("/v2/customers", json=customer_body("Other", email))
        errs = errors(response, 409)
        assert len(errs) == 1
    listing = (await api.get("/v2/customers")).json()
    assert listing["meta"]["results"]["total"] == 1


async def test_duplicate_email_on_update_is_409(api):
    await new_customer(api, "Ron Swanson", "ron@pawnee.example")
    other = await new_customer(api, "Tammy Two", "tammy@pawnee.example")
    response = await api.put(
        f"/v2/customers/{other['id']}",
        json={"data": {"type": "customer", "email": "Ron@PAWNEE.example"}},
    )
    errors(response, 409)
    got = (await api.get(f"/v2/customers/{other['id']}")).json()["data"]
    assert got["email"] == "tammy@pawnee.example"
    # changing one's own email's case is no conflict
    response = await api.put(
        f"/v2/customers/{other['id']}",
        json={"data": {"type": "customer", "email": "TAMMY@pawnee.example"}},
    )
    assert response.status_code == 200
    assert response.json()["data"]["email"] == "TAMMY@pawnee.example"


async def test_a_deleted_customers_email_is_free_again(api):
    created = await new_customer(api, email="ron@pawnee.example")
    assert (await api.delete(f"/v2/customers/{created['id']}")).status_code == 204
    await new_customer(api, email="ron@pawnee.example")


async def test_external_ref_length(api):
    ok = await new_customer(api, "A One", external_ref="x" * 2048)
    assert ok["external_ref"] == "x" * 2048
    response = await api.post(
        "/v2/customers", json=customer_body("B Two", "b@x.example", external_ref="x" * 2049)
    )
    errs = errors(response, 422)
    assert [e["source"] for e in errs] == ["data.external_ref"]
    assert "status" not in errs[0]
    # 2048 characters, not bytes
    wide = await new_customer(api, "C Three", external_ref="é" * 2048)
    assert wide["external_ref"] == "é" * 2048
    response = await api.put(
        f"/v2/customers/{ok['id']}",
        json={"data": {"type": "customer", "external_ref": "y" * 2049}},
    )
    errors(response, 422)


@pytest.mark.parametrize("ref", [1, True, ["x"], {"a": 1}])
async def test_external_ref_must_be_a_string_or_null(api, ref):
    response = await api.post("/v2/customers", json=customer_body(external_ref=ref))
    assert errors(response, 422)[0]["source"] == "data.external_ref"


async def test_every_problem_is_reported_at_once(api):
    body = {"data": {"type": "customer", "email": "nope", "external_ref": 5}}
    errs = errors(await api.post("/v2/customers", json=body), 422)
    assert sorted(e["source"] for e in errs) == ["data.email", "data.external_ref", "data.name"]
    assert all("status" not in e for e in errs)


async def test_unknown_attributes_are_ignored(api):
    created = await new_customer(
        api, unique=True, colour="red", attributes={"x": 1}, meta={"owner": "me"}
    )
    assert set(created) == BASE_KEYS
    assert set(created["meta"]) == {"timestamps"}
    response = await api.put(
        f"/v2/customers/{created['id']}",
        json={"data": {"type": "customer", "colour": "blue", "nickname": "Ron"}},
    )
    assert response.status_code == 200
    assert set(response.json()["data"]) == BASE_KEYS


async def test_authentication_mechanism_is_always_password(api):
    created = await new_customer(api, authentication_mechanism="oidc")
    assert created["authentication_mechanism"] == "password"


# -- passwords and customer tokens --------------------------------------------------------


async def test_password_is_stored_hashed(api, sandbox_app):
    created = await new_customer(api, password="correct horse")
    store = sandbox_app.state.store
    row = store.get_customer(created["id"])
    assert row["password_hash"]
    assert "correct horse" not in row["password_hash"]
    raw = store.db.execute("SELECT * FROM customers WHERE id = ?", (created["id"],)).fetchone()
    assert all("correct horse" not in str(value) for value in tuple(raw))
    # a random salt: the same password hashes differently each time
    other = await new_customer(api, "Other One", password="correct horse")
    assert store.get_customer(other["id"])["password_hash"] != row["password_hash"]


async def token_request(api, email, password, **extra):
    data = {"type": "token", "authentication_mechanism": "password", "email": email,
            "password": password, **extra}  # fmt: skip
    return await api.post("/v2/customers/tokens", json={"data": data})


async def test_customer_token_with_the_right_password(api):
    created = await new_customer(api, "April Ludgate", "april@pawnee.example", password="janet")
    before = time.time()
    response = await token_request(api, "april@pawnee.example", "janet")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"data"}
    data = body["data"]
    assert set(data) == {"type", "id", "customer_id", "token", "expires"}
    assert data["type"] == "token"
    assert data["customer_id"] == created["id"]
    assert isinstance(data["token"], str) and len(data["token"]) >= 16
    assert isinstance(data["id"], str) and data["id"]
    assert isinstance(data["expires"], int)
    assert before + 24 * 3600 - 5 <= data["expires"] <= time.time() + 24 * 3600 + 5
    # the email is compared case-insensitively, as it is unique case-insensitively
    again = await token_request(api, "APRIL@pawnee.example", "janet")
    assert again.status_code == 200
    assert again.json()["data"]["token"] != data["token"]


async def test_customer_token_after_a_password_change(api):
    created = await new_customer(api, "Andy Dwyer", "andy@pawnee.example", password="mouse-rat")
    await api.put(
        f"/v2/customers/{created['id']}",
        json={"data": {"type": "customer", "password": "johnny-karate"}},
    )
    errors(await token_request(api, "andy@pawnee.example", "mouse-rat"), 401)
    assert (await token_request(api, "andy@pawnee.example", "johnny-karate")).status_code == 200


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("april@pawnee.example", "wrong"),
        ("april@pawnee.example", "Janet"),
        ("april@pawnee.example", "janet "),
        ("nobody@pawnee.example", "janet"),
    ],
)
async def test_customer_token_wrong_password_is_401(api, email, password):
    await new_customer(api, "April Ludgate", "april@pawnee.example", password="janet")
    response = await token_request(api, email, password)
    errs = errors(response, 401)
    assert "janet" not in response.text
    assert errs[0]["title"]


async def test_customer_token_without_a_stored_password_is_401(api):
    await new_customer(api, "Jerry Gergich", "jerry@pawnee.example")
    errors(await token_request(api, "jerry@pawnee.example", "anything"), 401)


async def test_customer_token_needs_email_and_password(api):
    errs = errors(await api.post("/v2/customers/tokens", json={"data": {"type": "token"}}), 422)
    assert sorted(e["source"] for e in errs) == ["data.email", "data.password"]


# -- hostile text -------------------------------------------------------------------------


async def test_lone_surrogate_is_stored_as_replacement_character(api):
    raw = (
        b'{"data": {"type": "customer", "name": "A\\ud800B", "email": "s@x.example",'
        b' "external_ref": "\\udfff"}}'
    )
    response = await api.post(
        "/v2/customers", content=raw, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 201, response.text
    data = response.json()["data"]
    assert data["name"] == "A\ufffdB"
    assert data["external_ref"] == "\ufffd"
    got = (await api.get(f"/v2/customers/{data['id']}")).json()["data"]
    assert got["name"] == "A\ufffdB"
    # a valid surrogate pair is one character, untouched
    raw = b'{"data": {"type": "customer", "name": "\\ud83d\\ude00", "email": "t@x.example"}}'
    response = await api.post(
        "/v2/customers", content=raw, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 201
    assert response.json()["data"]["name"] == "\U0001f600"


HOSTILE = [
    "[bold]x[/]",
    "[red]unclosed",
    "\x1b[31mred\x1b[0m",
    "\x1b]8;;http://evil.example\x1b\\link\x1b]8;;\x1b\\",
    "tab\tnew\nline\rcr\x00nul",
    "  padded  ",
    "ω≈ç√∫ 👩‍👩‍👧 \u202eRTL",
    '"quoted" \\ back',
    "x" * 10_000,
]


@pytest.mark.parametrize("text", HOSTILE)
async def test_hostile_text_round_trips_exactly(api, text):
    response = await api.post(
        "/v2/customers",
        **raw_json(customer_body(name=text, email="h@x.example", external_ref=text[:2048])),
    )
    assert response.status_code == 201, response.text
    created = response.json()["data"]
    assert created["name"] == text
    assert created["external_ref"] == text[:2048]
    got = (await api.get(f"/v2/customers/{created['id']}")).json()["data"]
    assert got["name"] == text
    listed = (await api.get("/v2/customers")).json()["data"]
    assert [c["name"] for c in listed] == [text]


async def test_hostile_custom_string_round_trips(api):
    flow_id = await customers_flow(api)
    await add_field(api, flow_id, "notes")
    text = "".join(HOSTILE)
    created = await new_customer(api, notes=text)
    assert created["notes"] == text
    got = (await api.get(f"/v2/customers/{created['id']}")).json()["data"]
    assert got["notes"] == text


# -- custom fields of the customers core flow ---------------------------------------------


async def test_custom_fields_surface_flat(api):
    flow_id = await customers_flow(api)
    await add_field(api, flow_id, "nickname")
    await add_field(api, flow_id, "tier", "integer", default=1)
    await add_field(api, flow_id, "vip", "boolean", default=False)
    await add_field(api, flow_id, "birthday", "date", omit_null=True)
    await add_field(api, flow_id, "spent", "float")

    created = await new_customer(api, nickname="Duke Silver", tier=3, birthday="1970-05-06")
    assert set(created) == BASE_KEYS | {"nickname", "tier", "vip", "birthday", "spent"}
    assert created["nickname"] == "Duke Silver"
    assert created["tier"] == 3
    assert created["vip"] is False  # the default
    assert created["birthday"] == "1970-05-06"
    assert created["spent"] is None  # no value, no default, not omit_null
    # keys are flat: no attributes object, and meta stays as it is
    assert "attributes" not in created
    assert set(created["meta"]) == {"timestamps"}

    bare = await new_customer(api, "Bare Customer")
    assert "birthday" not in bare  # null and omit_null
    assert bare["nickname"] is None and bare["tier"] == 1 and bare["spent"] is None

    got = (await api.get(f"/v2/customers/{created['id']}")).json()["data"]
    assert got == created
    listed = {c["id"]: c for c in (await api.get("/v2/customers")).json()["data"]}
    assert listed[created["id"]] == created
    assert listed[bare["id"]] == bare


async def test_partial_update_of_custom_values(api):
    flow_id = await customers_flow(api)
    await add_field(api, flow_id, "nickname", default="none")
    await add_field(api, flow_id, "tier", "integer")
    created = await new_customer(api, nickname="Ronnie", tier=2)
    cid = created["id"]
    response = await api.put(f"/v2/customers/{cid}", json={"data": {"type": "customer", "tier": 5}})
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["nickname"] == "Ronnie" and data["tier"] == 5
    # null removes the stored value, so the default shows again
    response = await api.put(
        f"/v2/customers/{cid}", json={"data": {"type": "customer", "nickname": None}}
    )
    assert response.json()["data"]["nickname"] == "none"
    assert response.json()["data"]["tier"] == 5


async def test_stored_value_then_default_then_null_then_omitted(api):
    flow_id = await customers_flow(api)
    field = await add_field(api, flow_id, "colour", default="green")
    stored = await new_customer(api, "Has Value", colour="blue")
    defaulted = await new_customer(api, "No Value")
    assert stored["colour"] == "blue" and defaulted["colour"] == "green"

    # drop the default: the one without a value shows null
    response = await api.put(
        f"/v2/fields/{field['id']}", json={"data": {"type": "field", "default": None}}
    )
    assert response.status_code == 200
    assert (await api.get(f"/v2/customers/{defaulted['id']}")).json()["data"]["colour"] is None
    # omit_null leaves the null out, keeps real values
    response = await api.put(
        f"/v2/fields/{field['id']}", json={"data": {"type": "field", "omit_null": True}}
    )
    assert response.status_code == 200
    assert "colour" not in (await api.get(f"/v2/customers/{defaulted['id']}")).json()["data"]
    assert (await api.get(f"/v2/customers/{stored['id']}")).json()["data"]["colour"] == "blue"
    # a default is shown even with omit_null
    await api.put(f"/v2/fields/{field['id']}", json={"data": {"type": "field", "default": "red"}})
    assert (await api.get(f"/v2/customers/{defaulted['id']}")).json()["data"]["colour"] == "red"


async def test_disabled_fields_are_hidden_and_come_back(api):
    flow_id = await customers_flow(api)
    field = await add_field(api, flow_id, "nickname")
    created = await new_customer(api, nickname="Ronnie")
    cid = created["id"]

    response = await api.put(
        f"/v2/fields/{field['id']}", json={"data": {"type": "field", "enabled": False}}
    )
    assert response.status_code == 200
    got = (await api.get(f"/v2/customers/{cid}")).json()["data"]
    assert "nickname" not in got
    assert set(got) == BASE_KEYS
    listed = (await api.get("/v2/customers")).json()["data"][0]
    assert "nickname" not in listed
    # a value for a disabled field is ignored, not stored, not an error
    response = await api.put(
        f"/v2/customers/{cid}", json={"data": {"type": "customer", "nickname": "Duke"}}
    )
    assert response.status_code == 200
    assert "nickname" not in response.json()["data"]

    await api.put(f"/v2/fields/{field['id']}", json={"data": {"type": "field", "enabled": True}})
    got = (await api.get(f"/v2/customers/{cid}")).json()["data"]
    assert got["nickname"] == "Ronnie"


async def test_keys_appear_on_older_customers_and_vanish_on_delete(api):
    old = await new_customer(api, "Old Customer")
    assert set(old) == BASE_KEYS
    flow_id = await customers_flow(api)
    assert set((await api.get(f"/v2/customers/{old['id']}")).json()["data"]) == BASE_KEYS

    field = await add_field(api, flow_id, "tier", "integer", default=1)
    plain = await add_field(api, flow_id, "nickname")
    got = (await api.get(f"/v2/customers/{old['id']}")).json()["data"]
    assert got["tier"] == 1 and got["nickname"] is None

    response = await api.put(
        f"/v2/customers/{old['id']}", json={"data": {"type": "customer", "tier": 4}}
    )
    assert response.json()["data"]["tier"] == 4

    assert (await api.delete(f"/v2/fields/{field['id']}")).status_code == 204
    got = (await api.get(f"/v2/customers/{old['id']}")).json()["data"]
    assert "tier" not in got
    assert set(got) == BASE_KEYS | {"nickname"}
    listed = (await api.get("/v2/customers")).json()["data"][0]
    assert "tier" not in listed

    # a new field reusing the slug does not bring the old value back
    await add_field(api, flow_id, "tier", "integer")
    assert (await api.get(f"/v2/customers/{old['id']}")).json()["data"]["tier"] is None
    assert (await api.delete(f"/v2/fields/{plain['id']}")).status_code == 204


async def test_fields_of_other_flows_do_not_touch_customers(api):
    response = await api.post(
        "/v2/flows",
        json={"data": {"type": "flow", "name": "W", "slug": "wishlists", "description": "",
                       "enabled": True}},
    )  # fmt: skip
    await add_field(api, response.json()["data"]["id"], "title")
    created = await new_customer(api, title="ignored")
    assert set(created) == BASE_KEYS


async def test_required_custom_field_missing_on_create(api):
    flow_id = await customers_flow(api)
    await add_field(api, flow_id, "tier", "integer", required=True, default=1)
    await add_field(api, flow_id, "nickname", required=True)
    errs = errors(await api.post("/v2/customers", json=customer_body()), 422)
    assert sorted(e["source"] for e in errs) == ["data.nickname", "data.tier"]
    assert all(e["title"] == "Failed Validation" and "status" not in e for e in errs)
    # null is no value either
    errs = errors(await api.post("/v2/customers", json=customer_body(tier=None, nickname="x")), 422)
    assert [e["source"] for e in errs] == ["data.tier"]
    created = await new_customer(api, tier=2, nickname="x")
    # an update need not repeat a required value, but cannot null it
    cid = created["id"]
    ok = await api.put(f"/v2/customers/{cid}", json={"data": {"type": "customer", "name": "R"}})
    assert ok.status_code == 200 and ok.json()["data"]["tier"] == 2
    bad = await api.put(f"/v2/customers/{cid}", json={"data": {"type": "customer", "tier": None}})
    assert [e["source"] for e in errors(bad, 422)] == ["data.tier"]


async def test_disabled_required_field_is_not_required(api):
    flow_id = await customers_flow(api)
    await add_field(api, flow_id, "nickname", required=True, enabled=False)
    created = await new_customer(api)
    assert set(created) == BASE_KEYS


RULE_CASES = [
    # (field_type, validation_rules, good values, bad values)
    ("string", [], ["", "x", "0"], [1, True, ["x"], {"a": "b"}]),
    ("string", [{"type": "enum", "options": ["a", "b"]}], ["a", "b"], ["c", "A", 1]),
    ("string", [{"type": "email"}], ["a@b.co"], ["nope", "a@b", "a@b.co\n"]),
    ("string", [{"type": "slug"}], ["a-b_C9"], ["a b", "a.b", "(x)"]),
    (
        "string",
        [{"type": "uuid"}],
        ["123e4567-e89b-42d3-a456-426614174000"],
        ["123e4567", "123e4567-e89b-42d3-a456-42661417400g"],
    ),
    ("integer", [], [0, -5, 2**63 - 1], [1.5, "1", True, 2**63, 1.0]),
    ("integer", [{"type": "between", "options": {"from": 1, "to": 5}}], [1, 3, 5], [0, 6, -1]),
    ("integer", [{"type": "enum", "options": [1, 2, 3]}], [1, 3], [4, 0]),
    ("float", [], [0, 1.5, -2], ["1.5", False]),
    (
        "float",
        [{"type": "between", "options": {"from": 0.5, "to": 9.5}}],
        [0.5, 9.5, 5],
        [0.4, 9.6],
    ),
    ("float", [{"type": "enum", "options": [0.5, 1.0]}], [0.5, 1], [0.75]),
    ("boolean", [], [True, False], [1, 0, "true", "false"]),
    (
        "date",
        [],
        ["2026-12-24", "2026-12-24 10:11:12", "2026-12-24T10:11:12", "2024-02-29"],
        [
            "2026-02-30",
            "2025-02-29",
            "2026-13-01",
            "24/12/2026",
            "2026-12-24 25:00:00",
            "2026-12-24T10:11:12Z",
            20261224,
        ],
    ),
    (
        "date",
        [{"type": "enum", "options": ["2026-12-24", "2026-12-25"]}],
        ["2026-12-25"],
        ["2026-12-26"],
    ),
]


@pytest.mark.parametrize(("field_type", "rules", "good", "bad"), RULE_CASES)
async def test_custom_values_are_checked_by_type_and_rule(api, field_type, rules, good, bad):
    flow_id = await customers_flow(api)
    await add_field(api, flow_id, "value", field_type, validation_rules=rules)
    for i, value in enumerate(good):
        response = await api.post(
            "/v2/customers", json=customer_body(f"Good {i}", f"good{i}@x.example", value=value)
        )
        assert response.status_code == 201, (value, response.text)
        assert response.json()["data"]["value"] == value
    total = (await api.get("/v2/customers")).json()["meta"]["results"]["total"]
    anchor = await new_customer(api, "Anchor", "anchor@x.example", value=good[0])
    for value in bad:
        response = await api.post(
            "/v2/customers", json=customer_body("Bad", "bad@x.example", value=value)
        )
        errs = errors(response, 422)
        assert len(errs) == 1, (value, errs)
        assert errs[0]["source"] == "data.value"
        assert errs[0]["title"] == "Failed Validation"
        assert "status" not in errs[0]
        # the same check on update, and the stored value stays
        response = await api.put(
            f"/v2/customers/{anchor['id']}", json={"data": {"type": "customer", "value": value}}
        )
        assert errors(response, 422)[0]["source"] == "data.value", value
    assert (await api.get("/v2/customers")).json()["meta"]["results"]["total"] == total + 1
    got = (await api.get(f"/v2/customers/{anchor['id']}")).json()["data"]
    assert got["value"] == good[0]


async def test_each_bad_custom_value_is_its_own_error(api):
    flow_id = await customers_flow(api)
    await add_field(api, flow_id, "tier", "integer")
    await add_field(api, flow_id, "vip", "boolean")
    await add_field(api, flow_id, "nickname")
    body = customer_body(email="bad", tier="3", vip="yes", nickname="fine")
    errs = errors(await api.post("/v2/customers", json=body), 422)
    assert sorted(e["source"] for e in errs) == ["data.email", "data.tier", "data.vip"]


async def test_custom_field_filter_is_400(api):
    flow_id = await customers_flow(api)
    await add_field(api, flow_id, "nickname")
    response = await api.get("/v2/customers", params={"filter": "eq(nickname,Ron)"})
    errs = errors(response, 400)
    assert "nickname" in errs[0]["detail"]


@pytest.mark.parametrize("name", [5, True, ["Ron"], {"first": "Ron"}])
async def test_name_must_be_a_string(api, name):
    errs = errors(await api.post("/v2/customers", json=customer_body(name=name)), 422)
    assert [e["source"] for e in errs] == ["data.name"]
    assert "status" not in errs[0]


@pytest.mark.parametrize("password", [5, True, ["pw"], {"pw": 1}])
async def test_password_must_be_a_string(api, password):
    errs = errors(await api.post("/v2/customers", json=customer_body(password=password)), 422)
    assert [e["source"] for e in errs] == ["data.password"]


async def test_renaming_then_deleting_the_customers_flow(api):
    flow_id = await customers_flow(api)
    await add_field(api, flow_id, "nickname")
    created = await new_customer(api, nickname="Ronnie")
    # a core flow cannot be deleted ...
    errors(await api.delete(f"/v2/flows/{flow_id}"), 405)
    # ... until its slug is changed: then its fields are no longer customer attributes
    response = await api.put(
        f"/v2/flows/{flow_id}", json={"data": {"type": "flow", "slug": "old-customers"}}
    )
    assert response.status_code == 200
    got = (await api.get(f"/v2/customers/{created['id']}")).json()["data"]
    assert set(got) == BASE_KEYS
    assert (await api.delete(f"/v2/flows/{flow_id}")).status_code == 204
    # a new customers flow with a field of the same slug starts empty
    flow_id = await customers_flow(api)
    await add_field(api, flow_id, "nickname")
    got = (await api.get(f"/v2/customers/{created['id']}")).json()["data"]
    assert got["nickname"] is None
