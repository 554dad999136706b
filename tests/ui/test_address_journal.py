"""Address changes in the journal screen and their undo by keyboard, against the real sandbox
(checked by raw HTTP), at latency 0 and 150 ms."""

from __future__ import annotations

import pytest

from flowtui.ui.screens.dialogs import ConfirmDialog
from flowtui.ui.screens.journal import JournalScreen
from tests.api.test_addresses import RON, add_address_flow
from tests.ui.conftest import logged_in_app, raw_get, until, wait_for_customers
from tests.ui.test_journal import cells, open_journal


@pytest.mark.parametrize("latency_ms", [0, 150])
async def test_an_address_change_is_listed_and_undone(sandbox, latency_ms):
    app = logged_in_app(sandbox)
    async with app.run_test(size=(100, 24)) as pilot:
        await wait_for_customers(pilot)
        service = app.service
        await add_address_flow(service)
        customer = (await service.list_customers(limit=1)).items[0]
        home = await service.create_address(customer.id, {**RON, "gate_code": "[b]7[/b]"})
        await service.update_address(customer.id, home.id, {"city": "Pawnee"})
        sandbox.state.config.latency_ms = latency_ms
        await open_journal(pilot)
        assert cells(app, "action")[:2] == ["updated", "created"]
        assert cells(app, "change")[0] == "city: Sunny Town → Pawnee"
        await pilot.press("u")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        question = str(app.screen.question)
        assert "updated address" in question and f"of customer {customer.id}" in question
        await pilot.press("y")
        await until(pilot, lambda: isinstance(app.screen, JournalScreen))
        await until(pilot, lambda: cells(app, "action")[0].startswith("undo #"))
        path = f"/v2/customers/{customer.id}/addresses/{home.id}"
        stored = (await raw_get(sandbox, path))["data"]
        assert (stored["city"], stored["gate_code"]) == ("Sunny Town", "[b]7[/b]")
