"""A store design for the schema tests, built through the service on a sandbox: custom flows
with a field of every type and every rule form, the ``customers`` and ``addresses`` core
extensions, entries with relationships (to entries of another flow and to a customer), and
hostile text in names and descriptions."""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx

from flowtui.api.service import ApiService
from flowtui.api.transport import RetryPolicy
from tests.conftest import CLIENT_ID, CLIENT_SECRET

BASE = "http://sandbox.test"
HOSTILE = "[bold red]Brands[/] \x1b[31mred\x1b]0;pwned\x07 \u202eevil\u200b"
OWNER_EMAIL = "ada@example.test"

#: (slug, field_type, extra attributes) of the brands flow: every type and rule form.
BRAND_FIELDS: list[tuple[str, str, dict[str, Any]]] = [
    ("slug", "string", {"required": True, "validation_rules": [{"type": "slug"}]}),
    ("title", "string", {"description": HOSTILE, "default": "untitled"}),
    ("tier", "string", {"validation_rules": [{"type": "enum", "options": ["gold", "silver"]}]}),
    ("contact", "string", {"validation_rules": [{"type": "email"}], "omit_null": True}),
    ("ref", "string", {"validation_rules": [{"type": "uuid"}], "enabled": False}),
    (
        "rank",
        "integer",
        {"validation_rules": [{"type": "between", "options": {"from": 1, "to": 9}}]},
    ),
    (
        "size",
        "integer",
        {"validation_rules": [{"type": "enum", "options": [1, 2, 3]}], "default": 2},
    ),
    (
        "score",
        "float",
        {"validation_rules": [{"type": "between", "options": {"from": 0.5, "to": 9.5}}]},
    ),
    ("ratio", "float", {"validation_rules": [{"type": "enum", "options": [0.5, 1.0]}]}),
    ("active", "boolean", {"default": True}),
    (
        "launch",
        "date",
        {"validation_rules": [{"type": "enum", "options": ["2026-12-24", "2026-12-25"]}]},
    ),
    ("founded", "date", {}),
    ("owner", "relationship", {"validation_rules": [{"type": "one-to-one", "to": "customer"}]}),
    (
        "stockists",
        "relationship",
        {"validation_rules": [{"type": "one-to-many", "to": "stockists"}]},
    ),
]


def service_for_app(app: Any, **options: Any) -> ApiService:
    settings: dict[str, Any] = {"rate_limit": None, "retry": RetryPolicy(0.001, 0.002)}
    settings.update(options)
    transport = httpx.ASGITransport(app=app)
    return ApiService(BASE, CLIENT_ID, CLIENT_SECRET, transport=transport, **settings)


async def build_design(service: ApiService) -> None:
    """Create the design and its entries on an empty store (one customer included)."""
    await service.create_customer(name="Ada", email=OWNER_EMAIL)
    stockists = await service.create_flow("Stockists", "stockists", "Shops that sell brands")
    await service.create_field(
        stockists, name="Slug", slug="slug", field_type="string", required=True, order=1
    )
    await service.create_field(stockists, name="City", slug="city", field_type="string", order=2)
    brands = await service.create_flow(HOSTILE, "brands", HOSTILE)
    for order, (slug, kind, extra) in enumerate(BRAND_FIELDS, start=1):
        await service.create_field(
            brands, name=slug.title(), slug=slug, field_type=kind, order=order, **extra
        )
    customers = await service.create_flow("Customers", "customers", "Customer extensions")
    await service.create_field(
        customers,
        name="Gate code",
        slug="gate_code",
        field_type="string",
        description="For deliveries",
        omit_null=True,
    )
    await service.create_field(
        customers, name="Tier", slug="loyalty", field_type="integer", default=1, order=2
    )
    addresses = await service.create_flow("Addresses", "addresses", "Address extensions", False)
    await service.create_field(
        addresses,
        name="Floor",
        slug="floor",
        field_type="integer",
        validation_rules=[{"type": "between", "options": {"from": 0, "to": 99}}],
    )
    await service.create_flow("Empty", "empty-flow", "", True)
    ids = {}
    for slug, city in (("north", "Oslo"), ("south", "Rome"), ("west", "Lima")):
        ids[slug] = (await service.create_entry("stockists", {"slug": slug, "city": city})).id
    owner = await service.customer_by_email(OWNER_EMAIL)
    assert owner is not None
    acme = await service.create_entry(
        "brands",
        {
            "slug": "acme",
            "title": "Acme",
            "tier": "gold",
            "contact": "a@acme.test",
            "rank": 3,
            "size": 1,
            "score": 2.5,
            "ratio": 1.0,
            "active": False,
            "launch": "2026-12-24",
            "founded": "1999-01-02",
        },
    )
    await service.set_relationship("brands", acme.id, "owner", [("customer", owner.id)])
    await service.set_relationship(
        "brands", acme.id, "stockists", [("stockists", ids["north"]), ("stockists", ids["west"])]
    )
    await service.create_entry("brands", {"slug": "zeta", "title": HOSTILE, "score": 9.5})


class CountingApp:
    """ASGI wrapper: counts the POSTs the sandbox answered with 201, by what they create
    (``flow:slug``, ``field:flow id/slug``, ``entry:flow/slug``), read from the request body."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.state = app.state
        self.posts: Counter[str] = Counter()
        self.requests = 0
        #: Requests being handled now (a killed client's included, until the store is done).
        self.inflight = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self.requests += 1
        body = b""
        messages = []
        if scope["method"] == "POST":
            while True:
                message = await receive()
                messages.append(message)
                body += message.get("body", b"")
                if not message.get("more_body"):
                    break
        queued = list(messages)

        async def replay() -> Any:
            return queued.pop(0) if queued else await receive()

        what = _what(scope["path"], body) if scope["method"] == "POST" else None

        async def recording(message: Any) -> None:
            if what and message["type"] == "http.response.start" and message["status"] == 201:
                self.posts[what] += 1
            await send(message)

        self.inflight += 1
        try:
            await self.app(scope, replay if messages else receive, recording)
        finally:
            self.inflight -= 1


def _what(path: str, body: bytes) -> str | None:
    import json

    try:
        data = json.loads(body or b"{}").get("data") or {}
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    if path == "/v2/flows":
        return f"flow:{data.get('slug')}"
    if path == "/v2/fields":
        flow = ((data.get("relationships") or {}).get("flow") or {}).get("data") or {}
        return f"field:{flow.get('id')}/{data.get('slug')}"
    parts = path.split("/")
    if len(parts) == 5 and parts[4] == "entries":
        return f"entry:{parts[3]}/{data.get('slug')}"
    return None
