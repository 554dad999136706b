"""Soak test of the API service against the faulty sandbox (issue 7, "Faults").

The sandbox (its own process, a file database, 250 demo customers) answers 10 % of requests
500/503, drops 3 % of connections after processing them, adds 300 ms to every request,
answers 429 with ``Retry-After`` above 40 requests/s and issues tokens that live 5 seconds.
The service, with its real retry policy and no pacing of its own (so the 429s come), runs
520 edits, 60 creates and 25 deletes, 24 at a time; the operations on one customer run in
order, so "the last accepted value" is defined.

Every operation ends accepted (the service returned) or failed (it raised an ``ApiError``;
anything else fails the test). The store is then read from the database file, past flowtui
and past the faults, and compared with what was meant:

- every accepted change is there: each customer's final state is one the sequence of its
  operations allows (accepted ones applied, failed ones applied or not: a request may fail
  after the store carried it out);
- every accepted create is there exactly once, under the id the service returned; a failed
  one at most once; accepted deletes are gone;
- no POST reached the store twice (counted on the wire, beneath the retry layer), and no
  email is held twice.
"""

from __future__ import annotations

import asyncio
import collections
import json
import random
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from flowtui.api.errors import ApiError, AuthError, ConflictError, NetworkError, NotFoundError
from flowtui.api.service import ApiService
from tests.conftest import CLIENT_ID, CLIENT_SECRET

from .common import FaultySandbox, read_store, record

pytestmark = pytest.mark.soak

EDITS, CREATES, DELETES = 520, 60, 25
CONCURRENCY = 24
SEED = 7


class WireLog(httpx.AsyncBaseTransport):
    """The real transport, recording every attempt that goes on the wire (beneath the
    service's retries): method, path, the email of a customer POST, and the status (or
    "lost" when the connection broke)."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport(retries=0)
        self.attempts: list[tuple[str, str, str | None, int | str]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        email = None
        if request.method == "POST" and request.url.path == "/v2/customers":
            email = json.loads(request.content)["data"]["email"]
        try:
            response = await self.inner.handle_async_request(request)
        except httpx.HTTPError:
            self.attempts.append((request.method, request.url.path, email, "lost"))
            raise
        self.attempts.append((request.method, request.url.path, email, response.status_code))
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


@dataclass
class Op:
    kind: str  # edit, create, delete
    target: str  # customer id, or the email of a create
    changes: dict[str, Any] = field(default_factory=dict)
    outcome: str = "pending"  # accepted, failed
    error: ApiError | None = None
    result: Any = None


#: The attributes an edit may change, and so the state compared per customer.
TRACKED = ("name", "delivery_notes", "loyalty_tier")


def edit_changes(n: int) -> dict[str, Any]:
    changes: dict[str, Any] = {"delivery_notes": f"soak edit {n}"}
    if n % 4 == 0:
        changes["name"] = f"Soak Name {n}"
    if n % 3 == 0:
        changes["loyalty_tier"] = n % 5 + 1
    return changes


def possible_states(start: tuple, ops: list[Op]) -> set[tuple]:
    """The states a customer may end in: accepted edits applied, failed ones maybe."""
    states = {start}
    for op in ops:
        if op.kind != "edit":
            continue
        applied = {
            tuple(op.changes.get(key, value) for key, value in zip(TRACKED, s, strict=True))
            for s in states
        }
        states = applied if op.outcome == "accepted" else states | applied
    return states


def state_of(row: dict, ids: dict[str, str]) -> tuple:
    custom = row["custom"]
    return (
        row["name"],
        custom.get(ids["delivery_notes"]),
        custom.get(ids["loyalty_tier"], 1),  # the field's default
    )


def plan(customer_ids: list[str]) -> tuple[list[list[Op]], list[Op]]:
    """Per-customer chains of edits (some ending in a delete), and the creates."""
    rng = random.Random(SEED)
    chains: dict[str, list[Op]] = {cid: [] for cid in customer_ids}
    for n in range(EDITS):
        cid = rng.choice(customer_ids)
        chains[cid].append(Op("edit", cid, edit_changes(n)))
    for cid in rng.sample(customer_ids, DELETES):
        chains[cid].append(Op("delete", cid))
    creates = [
        Op(
            "create",
            f"soak.create.{i}@example.com",
            {"name": f"Soak Create {i}", "delivery_notes": f"created {i}"},
        )
        for i in range(CREATES)
    ]
    return [c for c in chains.values() if c], creates


async def run_op(svc: ApiService, op: Op, untyped: list[BaseException]) -> None:
    try:
        if op.kind == "edit":
            op.result = await svc.update_customer(op.target, op.changes)
        elif op.kind == "delete":
            op.result = await svc.delete_customer(op.target)
        else:
            custom = {k: v for k, v in op.changes.items() if k != "name"}
            op.result = await svc.create_customer(
                name=op.changes["name"], email=op.target, custom=custom
            )
        op.outcome = "accepted"
    except ApiError as exc:
        op.outcome, op.error = "failed", exc
    except BaseException as exc:  # an error that is not an ApiError reached the caller
        op.outcome = "failed"
        untyped.append(exc)


async def test_service_survives_the_faulty_sandbox(tmp_path) -> None:
    sandbox = FaultySandbox(tmp_path, customers=250)
    before, ids = read_store(sandbox.db)
    initial = {r["id"]: state_of(r, ids) for r in before}
    chains, creates = plan(list(initial))
    wire = WireLog()
    untyped: list[BaseException] = []
    started = time.monotonic()
    with sandbox:
        svc = ApiService(sandbox.url, CLIENT_ID, CLIENT_SECRET, rate_limit=None, transport=wire)
        gate = asyncio.Semaphore(CONCURRENCY)

        async def run_chain(chain: list[Op]) -> None:
            async with gate:
                for op in chain:
                    await run_op(svc, op, untyped)

        try:
            await asyncio.gather(*(run_chain(c) for c in chains + [[op] for op in creates]))
        finally:
            await svc.aclose()
        faults = sandbox.stats()
        sandbox.stop()
    seconds = time.monotonic() - started
    rows, _ = read_store(sandbox.db)
    by_id = {r["id"]: r for r in rows}

    assert not untyped, f"errors that are not ApiErrors reached the caller: {untyped[:3]}"
    ops = [op for chain in chains for op in chain] + creates
    # Nobody else touches these customers: a 404 or a 409 could only come from the client
    # meeting its own earlier attempt (a repeated DELETE or POST), a failure that is false.
    own_echo = [op for op in ops if isinstance(op.error, NotFoundError | ConflictError)]
    assert own_echo == [], own_echo
    # The session never ends: a 401 that reaches the caller sends a user to the login screen.
    assert not [op for op in ops if isinstance(op.error, AuthError)]

    # Accepted answers carry what was sent.
    for op in ops:
        if op.kind == "edit" and op.outcome == "accepted":
            assert all(op.result.value(k) == v for k, v in op.changes.items()), op

    # Edits: every customer ends in a state its operations allow.
    lost = []
    for chain in chains:
        cid = chain[0].target
        deleted = [op for op in chain if op.kind == "delete"]
        if deleted and deleted[0].outcome == "accepted":
            if cid in by_id:
                lost.append((cid, "deleted but still there"))
            continue
        if cid not in by_id:
            if not deleted:
                lost.append((cid, "gone without a delete"))
            continue
        allowed = possible_states(initial[cid], chain)
        if state_of(by_id[cid], ids) not in allowed:
            lost.append((cid, state_of(by_id[cid], ids), sorted(map(str, allowed))))
    untouched = set(initial) - {c[0].target for c in chains}
    lost += [(cid, "changed untouched") for cid in untouched if cid not in by_id]

    # Creates: accepted ones exactly once under the returned id; failed ones at most once.
    by_email = collections.Counter(r["email"].lower() for r in rows)
    duplicates = sum(n - 1 for n in by_email.values() if n > 1)
    landed_anyway = 0
    for op in creates:
        holders = [r for r in rows if r["email"] == op.target]
        if op.outcome == "accepted":
            if [r["id"] for r in holders] != [op.result.id]:
                lost.append((op.target, "accepted create not there once", holders))
        else:
            assert len(holders) <= 1
            landed_anyway += len(holders)
            # Only a lost connection leaves the outcome open; a 409 would mean a repeat.
            if holders:
                assert isinstance(op.error, NetworkError), op.error
    # No POST reached the store twice: attempts that were processed (answered 201/409, or
    # lost after sending) per email.
    processed = collections.Counter(
        email
        for method, _, email, status in wire.attempts
        if email and (status == "lost" or status in (201, 409))
    )
    repeated_posts = sum(n - 1 for n in processed.values() if n > 1)

    accepted = collections.Counter((op.kind, op.outcome) for op in ops)
    failures = collections.Counter(type(op.error).__name__ for op in ops if op.error)
    figures = {
        "operations": {
            kind: {
                "attempted": accepted[(kind, "accepted")] + accepted[(kind, "failed")],
                "accepted": accepted[(kind, "accepted")],
                "failed (ApiError raised)": accepted[(kind, "failed")],
            }
            for kind in ("edit", "create", "delete")
        },
        "failures by type": dict(failures),
        "failed creates that reached the store (connection lost after sending)": landed_anyway,
        "faults injected by the sandbox": faults,
        "requests on the wire": len(wire.attempts),
        "client retries": svc.transport.retries,
        "logins (token renewals)": svc.auth.logins,
        "changes lost": len(lost),
        "duplicates": duplicates + repeated_posts,
        "seconds": round(seconds, 1),
    }
    record("service", figures)

    assert lost == []
    assert duplicates == 0 and repeated_posts == 0
    assert sum(1 for op in ops if op.kind == "edit") >= 500
    assert len(creates) >= 50 and DELETES >= 20
    # The faults really happened, all of them, and tokens expired many times over.
    assert faults["errors_500"] > 0 and faults["errors_503"] > 0
    assert faults["dropped"] > 0 and faults["rate_limited"] > 0
    assert faults["delayed"] == faults["requests"]
    assert faults["tokens_issued"] >= 3
    # Tokens are renewed before they expire, not fetched for every request.
    assert svc.auth.logins <= seconds + 3
