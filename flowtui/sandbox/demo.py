"""Deterministic demo data: a ``customers`` core flow with typed fields, N customers, and a
small custom flow with entries; an ``addresses`` core flow and one to three addresses per
customer, in several countries (:mod:`flowtui.sandbox.demo_addresses`). The same seed always
gives the same store, ids included, so screenshots and snapshot tests are stable.
"""

from __future__ import annotations

import datetime as dt
import random
import time
import unicodedata
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from flowtui.sandbox.addresses import AddressRecord
from flowtui.sandbox.demo_addresses import ADDRESS_FIELDS, demo_addresses
from flowtui.sandbox.query import format_timestamp
from flowtui.sandbox.store import CustomerRecord, Store

SEED = 20190705  # the date of the seed walkthrough
EPOCH = dt.datetime(2023, 1, 1, 9, 0, 0)
DEMO_SETTING = "demo_data"

FIRST = [
    "Leslie",
    "Ron",
    "April",
    "Andy",
    "Ann",
    "Chris",
    "Ben",
    "Tom",
    "Donna",
    "Jerry",
    "Craig",
    "Mona",
    "Jean-Ralphio",
    "Tammy",
    "Ethel",
    "Perd",
    "Joan",
    "Shauna",
    "Dave",
    "Marcia",
    "Marshall",
    "Kyle",
    "Bobby",
    "Lucy",
    "Ingrid",
    "Wendy",
    "Li",
    "Priya",
    "Mateo",
    "Sofia",
    "Noah",
    "Amara",
    "Yuki",
    "Oluwaseun",
    "Zoë",
    "Björn",
    "Siobhán",
    "José",
    "Fatima",
    "Hiroshi",
    "Chloé",
    "Aleksander",
    "Nia",
    "Rafael",
    "Ines",
    "Tariq",
    "Mei",
    "Kwame",
    "Astrid",
    "Diego",
]
LAST = [
    "Knope",
    "Swanson",
    "Ludgate",
    "Dwyer",
    "Perkins",
    "Traeger",
    "Wyatt",
    "Haverford",
    "Meagle",
    "Gergich",
    "Middlecott",
    "Saperstein",
    "Beauregard",
    "Newport",
    "Hapley",
    "Shepard",
    "Hamilton",
    "Sanderson",
    "Brandanowitz",
    "Mulvaney",
    "Larson",
    "Tanaka",
    "Okafor",
    "Müller",
    "García",
    "Rossi",
    "Nguyen",
    "O'Brien",
    "Kowalski",
    "Silva",
    "Haddad",
    "Johansson",
    "Fernández",
    "Mbeki",
    "Dubois",
    "Petrov",
    "Yamamoto",
    "Achebe",
    "Lindqvist",
    "Moreno",
    "Patel",
    "Novak",
]
DOMAINS = ("example.com", "example.org", "example.net", "pawnee.example", "eagleton.example")
NOTES = (
    "Leave with the neighbour at number 12",
    "Do NOT leave in a government building",
    "Ring twice; the bell is broken",
    "Side door, behind the waffle stand",
    "Deliver to reception, 3rd floor",
    "Call on arrival",
    "Leave in Leslie Knope’s office",
    "No deliveries on Sundays",
)
WINDOWS = ("morning", "afternoon", "evening", "any")

CUSTOMER_FIELDS: list[dict[str, Any]] = [
    {
        "name": "Delivery notes",
        "slug": "delivery_notes",
        "field_type": "string",
        "description": "Where and how to leave parcels",
        "validation_rules": [],
        "default": None,
    },
    {
        "name": "Loyalty tier",
        "slug": "loyalty_tier",
        "field_type": "integer",
        "description": "1 (new) to 5 (best customers)",
        "validation_rules": [{"type": "between", "options": {"from": 1, "to": 5}}],
        "default": 1,
    },
    {
        "name": "Newsletter",
        "slug": "newsletter",
        "field_type": "boolean",
        "description": "Subscribed to the newsletter",
        "validation_rules": [],
        "default": False,
    },
    {
        "name": "Birthday",
        "slug": "birthday",
        "field_type": "date",
        "description": "For the birthday voucher",
        "validation_rules": [],
        "default": None,
        "omit_null": True,
    },
    {
        "name": "Contact window",
        "slug": "contact_window",
        "field_type": "string",
        "description": "When the customer prefers to be called",
        "validation_rules": [{"type": "enum", "options": list(WINDOWS)}],
        "default": "any",
    },
    {
        "name": "Lifetime value",
        "slug": "lifetime_value",
        "field_type": "float",
        "description": "Total spent, in the store currency",
        "validation_rules": [{"type": "between", "options": {"from": 0, "to": 1000000}}],
        "default": 0.0,
    },
]


def _ascii(text: str) -> str:
    """``josé`` -> ``jose``: demo emails stay plain ASCII, as most real ones are."""
    folded = unicodedata.normalize("NFKD", text.replace("ø", "o").replace("ß", "ss"))
    return folded.encode("ascii", "ignore").decode()


def _seeded_ids(rng: random.Random) -> Callable[[], str]:
    return lambda: str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _clock(start: dt.datetime) -> Callable[[], dt.datetime]:
    state = {"t": start}

    def tick() -> dt.datetime:
        state["t"] += dt.timedelta(seconds=1)
        return state["t"]

    return tick


def _customers(n: int, rng: random.Random, fields: dict[str, str]) -> Iterator[CustomerRecord]:
    ids = _seeded_ids(rng)
    span = 3 * 365 * 86400  # created over about three years
    step = span / max(n, 1)
    used: set[str] = set()
    for i in range(n):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        name = f"{first} {last}"
        local = _ascii(f"{first}.{last}".lower().replace("'", "").replace(" ", ""))
        email = f"{local}@{rng.choice(DOMAINS)}"
        if email in used:
            email = f"{local}{i}@{rng.choice(DOMAINS)}"
        used.add(email)
        created = EPOCH + dt.timedelta(seconds=int(i * step) + rng.randrange(int(step) or 1))
        updated = created + dt.timedelta(seconds=rng.randrange(0, 90 * 86400))
        custom: dict[str, Any] = {}
        if rng.random() < 0.4:
            custom[fields["delivery_notes"]] = rng.choice(NOTES)
        if rng.random() < 0.9:
            custom[fields["loyalty_tier"]] = rng.choices((1, 2, 3, 4, 5), (40, 25, 18, 11, 6))[0]
        custom[fields["newsletter"]] = rng.random() < 0.35
        if rng.random() < 0.7:
            born = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(0, 52 * 365))
            custom[fields["birthday"]] = born.isoformat()
        if rng.random() < 0.6:
            custom[fields["contact_window"]] = rng.choice(WINDOWS)
        custom[fields["lifetime_value"]] = round(rng.lognormvariate(5, 1.2), 2)
        ref = f"crm-{100000 + i}" if rng.random() < 0.3 else None
        yield (
            ids(),
            name,
            email,
            None,
            ref,
            custom,
            format_timestamp(created),
            format_timestamp(updated),
        )


def _core_flow(
    store: Store, name: str, slug: str, description: str, fields: list[dict[str, Any]]
) -> dict[str, str]:
    """Create a core flow with these fields (in this order); their ids by slug."""
    flow = store.create_flow(name, slug, description, True)
    ids: dict[str, str] = {}
    for order, spec in enumerate(fields, start=1):
        row = store.create_field(
            {
                "flow_id": flow["id"],
                "description": spec["description"],
                "required": False,
                "enabled": True,
                "order": order,
                "omit_null": spec.get("omit_null", False),
                **{k: v for k, v in spec.items() if k not in ("description", "omit_null")},
            }
        )
        ids[spec["slug"]] = row["id"]
    return ids


def seed(
    store: Store, n: int, *, seed: int = SEED, progress: Callable[[int], None] | None = None
) -> bool:
    """Fill an empty store with the demo flows and ``n`` customers; False if it holds data.

    Deterministic: the same ``n`` and ``seed`` give the same ids, names and values.
    """
    if store.list_flows() or store.count_customers():
        return False
    rng = random.Random(seed)
    saved_ids, saved_clock = store.ids, store.clock
    store.ids = _seeded_ids(rng)
    store.clock = _clock(EPOCH - dt.timedelta(days=30))
    try:
        slugs = _core_flow(
            store, "Customers", "customers", "Extends the default customer object", CUSTOMER_FIELDS
        )
        wish = store.create_flow(
            "Wishlists", "wishlists", "Products customers want, shared with the store", True
        )
        title = store.create_field(
            {
                "flow_id": wish["id"],
                "name": "Title",
                "slug": "title",
                "field_type": "string",
                "description": "What the list is called",
                "required": True,
                "enabled": True,
                "order": 1,
                "omit_null": False,
                "validation_rules": [],
                "default": None,
            }
        )
        priority = store.create_field(
            {
                "flow_id": wish["id"],
                "name": "Priority",
                "slug": "priority",
                "field_type": "integer",
                "description": "1 is most urgent",
                "required": False,
                "enabled": True,
                "order": 2,
                "omit_null": False,
                "validation_rules": [{"type": "enum", "options": [1, 2, 3]}],
                "default": 2,
            }
        )
        store.create_field(
            {
                "flow_id": wish["id"],
                "name": "Owner",
                "slug": "owner",
                "field_type": "relationship",
                "description": "The customer the list belongs to",
                "required": False,
                "enabled": True,
                "order": 3,
                "omit_null": False,
                "validation_rules": [{"type": "one-to-one", "to": "customer"}],
                "default": None,
            }
        )
        for i, name in enumerate(("Birthday ideas", "Camping trip", "Office waffles")):
            store.create_entry(wish["id"], {title["id"]: name, priority["id"]: i % 3 + 1})
        # Created after everything above, so the ids and times above are those of before.
        address_slugs = _core_flow(
            store, "Addresses", "addresses", "Extends the default address object", ADDRESS_FIELDS
        )
        customer_rng = random.Random(seed + 1)
        addresses = demo_addresses(random.Random(seed + 2), address_slugs)
        batch: list[CustomerRecord] = []
        address_batch: list[AddressRecord] = []
        done = 0
        with store.addresses.bulk():
            for record in _customers(n, customer_rng, slugs):
                batch.append(record)
                address_batch.extend(addresses(record[0], record[1], record[6]))
                if len(batch) == 5000:
                    store.insert_customers(batch)
                    store.addresses.insert_many(address_batch)
                    done += len(batch)
                    batch.clear()
                    address_batch.clear()
                    if progress:
                        progress(done)
            if batch:
                store.insert_customers(batch)
                store.addresses.insert_many(address_batch)
                if progress:
                    progress(n)
        store.optimize()
        store.set_setting(DEMO_SETTING, str(n))
    finally:
        store.ids, store.clock = saved_ids, saved_clock
    return True


def timed_seed(store: Store, n: int) -> float:
    """Seed and return the seconds it took (used by the benchmark)."""
    start = time.perf_counter()
    seed(store, n)
    return time.perf_counter() - start
