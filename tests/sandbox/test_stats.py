"""``GET /_sandbox/stats``: what the fault injection did, counted (the soak tests' figures)."""

from __future__ import annotations

import httpx

from tests.conftest import CLIENT_ID, CLIENT_SECRET, make_sandbox


async def test_stats_count_every_kind_of_fault() -> None:
    app = make_sandbox(fault_rate=0.5, rate_limit=1000, fault_seed=3)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox.test") as client:
        form = {"grant_type": "client_credentials", "client_id": CLIENT_ID}
        form["client_secret"] = CLIENT_SECRET
        statuses = [
            (await client.post("/oauth/access_token", data=form)).status_code for _ in range(40)
        ]
        stats = (await client.get("/_sandbox/stats")).json()
    app.state.store.close()
    assert stats == app.state.counts.as_dict()
    assert stats["requests"] == 40  # /_sandbox/ itself is not counted
    assert stats["errors_500"] == statuses.count(500)
    assert stats["errors_503"] == statuses.count(503)
    assert stats["tokens_issued"] == statuses.count(200) > 0
    assert stats["rate_limited"] == stats["dropped"] == stats["delayed"] == 0
