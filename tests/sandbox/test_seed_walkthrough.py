"""The seed walkthrough ("Extend the customer resource with Flows"), step by step.

Every request is sent as the guide sends it: the token form-encoded, the bodies as the
guide's literal JSON text (so ``"unique": false`` and ``"default": 0`` reach the server),
the Authorization header in the guide's own styles, and the update's curly apostrophe as raw
UTF-8 bytes.
"""

from __future__ import annotations

import asyncio
import json
import re

import httpx

from tests.conftest import CLIENT_ID, CLIENT_SECRET

from .helpers import TIMESTAMP, UUID

# Step 2, as the guide printed it (24 Jun 2019 revision; the later one lost the body's end).
FLOW_BODY = """{
        "data":{
          "type":"flow",
          "name":"Customers",
          "slug":"customers",
          "description":"Extends the default customer object",
          "enabled":true
   }
}"""

FIELD_BODY = """{
          "data": {
            "type": "field",
            "name": "Delivery Details",
            "slug": "delivery_details",
            "field_type": "string",
            "description": "customers delivery details",
            "required": false,
            "unique": false,
            "default": 0,
            "enabled": true,
            "order": 1,
            "relationships": {
              "flow": {
                "data": {
                  "type": "flow",
                  "id": "FLOW-ID"
                }
              }
            }
          }
        }"""

CUSTOMER_BODY = """{
        "data": {
          "type": "customer",
          "name": "Ron Swanson",
          "email": "ron.swanson@gmail.com",
          "delivery_details": "Do NOT leave in a government building"
        }
      }"""

UPDATE_BODY = """{
        "data": {
          "type": "customer",
          "id": "CUSTOMER-ID",
          "delivery_details": "Leave in Leslie Knope\u2019s office"
        }
      }"""

JSON = {"Content-Type": "application/json"}


async def raw_post(base: str, path: str, header_lines: list[str], body: bytes) -> tuple[int, dict]:
    """POST over a plain socket, header lines written byte for byte as given (e.g. curl's
    ``-H "Authorization:XXXX"``, with no space after the colon)."""
    host, port = base.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    head = [f"POST {path} HTTP/1.1", f"Host: {host}:{port}", *header_lines]
    head += [f"Content-Length: {len(body)}", "Connection: close"]
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(), timeout=10)
    writer.close()
    status_line, _, rest = answer.partition(b"\r\n")
    headers, _, payload = rest.partition(b"\r\n\r\n")
    assert b"x-flowtui-sandbox:" in headers.lower()
    return int(status_line.split()[1]), json.loads(payload)


async def run_walkthrough(http: httpx.AsyncClient, base: str, raw: bool = False) -> None:
    """Steps 1 to 5 and the update, asserting every answer (``raw``: step 2 over a socket)."""
    # 1. Get your access token (curl -d ... sends a form, in the guide's field order).
    form = f"client_id={CLIENT_ID}&client_secret={CLIENT_SECRET}&grant_type=client_credentials"
    response = await http.post(
        "/oauth/access_token",
        content=form.encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200, response.text
    token = response.json()
    assert token["token_type"] == "Bearer"
    assert token["identifier"] == "client_credentials"
    access = token["access_token"]

    # 2. Create a core Flow: "Authorization:XXXX" (a bare token), "Content-Type:application/json".
    if raw:
        lines = [f"Authorization:{access}", "Content-Type:application/json"]
        status, body = await raw_post(base, "/v2/flows", lines, FLOW_BODY.encode())
        assert status == 201, body
    else:
        response = await http.post(
            "/v2/flows",
            content=FLOW_BODY.encode(),
            headers={"Authorization": access, "Content-Type": "application/json"},
        )
        assert response.status_code == 201, response.text
        body = response.json()
    flow = body["data"]
    assert UUID.match(flow["id"])
    assert flow["type"] == "flow"
    assert flow["slug"] == "customers"
    assert flow["name"] == "Customers"
    assert flow["description"] == "Extends the default customer object"
    assert flow["enabled"] is True
    assert flow["links"]["self"] == f"{base}/v2/flows/{flow['id']}"
    flow_id = flow["id"]

    # Steps 3 to 5 send "Authorization: XXXX": a bare token as well.
    auth = {"Authorization": access, **JSON}

    # 3. Create a Field, FLOW-ID replaced by the id of step 2.
    response = await http.post(
        "/v2/fields", content=FIELD_BODY.replace("FLOW-ID", flow_id).encode(), headers=auth
    )
    assert response.status_code == 201, response.text
    field = response.json()["data"]
    assert field["type"] == "field"
    assert field["slug"] == "delivery_details"
    assert field["name"] == "Delivery Details"
    assert field["field_type"] == "string"
    assert field["required"] is False
    assert field["enabled"] is True
    assert field["order"] == 1
    assert field["default"] == "0"  # a number default on a string field: its string form
    assert field["validation_rules"] == []
    assert "unique" not in field  # an attribute fields do not know is ignored
    assert field["relationships"]["flow"]["data"] == {"type": "flow", "id": flow_id}
    assert field["links"]["self"] == f"{base}/v2/flows/{flow_id}/fields/{field['id']}"
    assert TIMESTAMP.match(field["meta"]["timestamps"]["created_at"])

    # The field is listed under its flow's slug.
    response = await http.get("/v2/flows/customers/fields", headers=auth)
    assert response.status_code == 200
    assert [f["id"] for f in response.json()["data"]] == [field["id"]]

    # 4. Create a customer with the custom field.
    response = await http.post("/v2/customers", content=CUSTOMER_BODY.encode(), headers=auth)
    assert response.status_code == 201, response.text
    customer = response.json()["data"]
    assert customer["type"] == "customer"
    assert customer["name"] == "Ron Swanson"
    assert customer["email"] == "ron.swanson@gmail.com"
    assert customer["delivery_details"] == "Do NOT leave in a government building"
    customer_id = customer["id"]

    # 5. Get the customer: the guide sends Content-Type on a GET with no body.
    response = await http.get(f"/v2/customers/{customer_id}", headers=auth)
    assert response.status_code == 200, response.text
    got = response.json()["data"]
    assert got["id"] == customer_id
    assert got["delivery_details"] == "Do NOT leave in a government building"
    assert got["password"] is False
    assert got["authentication_mechanism"] == "password"

    # Update the customer: PUT with data.id, the apostrophe is U+2019 sent as UTF-8 bytes.
    raw = UPDATE_BODY.replace("CUSTOMER-ID", customer_id).encode("utf-8")
    assert "\u2019".encode() in raw and b"\\u2019" not in raw
    response = await http.put(f"/v2/customers/{customer_id}", content=raw, headers=auth)
    assert response.status_code == 200, response.text
    assert response.json()["data"]["delivery_details"] == "Leave in Leslie Knope\u2019s office"

    response = await http.get(f"/v2/customers/{customer_id}", headers=auth)
    assert response.status_code == 200
    got = response.json()["data"]
    assert got["delivery_details"] == "Leave in Leslie Knope\u2019s office"
    assert got["name"] == "Ron Swanson"  # a partial update keeps the rest
    assert got["email"] == "ron.swanson@gmail.com"
    # The answer is valid UTF-8 JSON carrying the same character.
    assert (
        "Knope\u2019s" in json.loads(response.content.decode("utf-8"))["data"]["delivery_details"]
    )


async def test_walkthrough_in_process(client):
    await run_walkthrough(client, "http://sandbox.test")


async def test_walkthrough_over_http(live_sandbox):
    assert re.match(r"^http://127\.0\.0\.1:\d+$", live_sandbox)
    async with httpx.AsyncClient(base_url=live_sandbox, timeout=10) as http:
        await run_walkthrough(http, live_sandbox, raw=True)
        health = await http.get("/_sandbox/health")
        assert health.status_code == 200
        assert health.headers["X-Flowtui-Sandbox"]


async def test_guide_body_as_sent_is_stored_exactly(client):
    """The field of step 3 read back on its own equals what the create answered."""
    token = (
        await client.post(
            "/oauth/access_token",
            data={
                "grant_type": "client_credentials",
                "client_secret": CLIENT_SECRET,
                "client_id": CLIENT_ID,
            },
        )
    ).json()["access_token"]
    headers = {"Authorization": token, **JSON}
    flow = (await client.post("/v2/flows", content=FLOW_BODY, headers=headers)).json()["data"]
    created = await client.post(
        "/v2/fields", content=FIELD_BODY.replace("FLOW-ID", flow["id"]), headers=headers
    )
    assert created.status_code == 201
    field = created.json()["data"]
    again = await client.get(f"/v2/fields/{field['id']}", headers=headers)
    assert again.status_code == 200
    assert again.json()["data"] == field
    # A customer created before any value was sent shows the default "0".
    response = await client.post(
        "/v2/customers",
        json={"data": {"type": "customer", "name": "Leslie Knope", "email": "leslie@pawnee.gov"}},
        headers=headers,
    )
    assert response.status_code == 201
    assert response.json()["data"]["delivery_details"] == "0"
