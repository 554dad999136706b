"""Snapshots of the compare view (regenerate with ``--snapshot-update`` and look at the SVGs):
the plan side by side with prune on and items picked, the preview before → after, and the
results of a run stopped by a failure."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.ui.conftest import seeded_sandbox
from tests.ui.designer_helpers import settle
from tests.ui.test_compare import (
    BASE_URL,
    HERE_CUSTOMERS,
    compare_with_staging,
    pick,
    plan_rows,
    shape_other,
    store_service,
    two_store_app,
    until,
)

SIZE = (100, 30)


@pytest.fixture
def stores() -> Iterator[tuple[Any, Any]]:
    """This store (the demo data) and the other one (shaped by each test)."""
    here, there = seeded_sandbox(HERE_CUSTOMERS), seeded_sandbox(5)
    yield here, there
    here.state.store.close()
    there.state.store.close()


async def planned(pilot):
    """The plan with prune on, a new field (and so its flow) and an update picked."""
    screen = await compare_with_staging(pilot)
    await pilot.press("p")
    await until(pilot, lambda: "field:customers.lifetime_value" in plan_rows(screen))
    for key in ("field:brands.label", "field:customers.delivery_notes"):
        await pick(pilot, screen, key)
    await pick(pilot, screen, "field:customers.lifetime_value")
    await pilot.press("ctrl+home", "down", "down", "down")  # the replace: its detail below
    await settle(pilot)
    return screen


def test_compare_plan(snap_compare, stores):
    here, there = stores

    async def run_before(pilot) -> None:
        await shape_other(there)
        await planned(pilot)

    assert snap_compare(two_store_app(here, there), terminal_size=SIZE, run_before=run_before)


def test_compare_preview(snap_compare, stores):
    here, there = stores

    async def run_before(pilot) -> None:
        await shape_other(there)
        screen = await planned(pilot)
        await pilot.press("f10")
        await until(pilot, lambda: screen.stage == "preview")
        await settle(pilot)

    assert snap_compare(two_store_app(here, there), terminal_size=SIZE, run_before=run_before)


def test_compare_failure_listed(snap_compare, stores):
    here, there = stores

    async def run_before(pilot) -> None:
        await shape_other(there)
        screen = await planned(pilot)
        async with store_service(here, BASE_URL) as writer:  # another writer, meanwhile
            customers = next(f for f in await writer.list_flows() if f.slug == "customers")
            notes = {f.slug: f for f in await writer.list_fields("customers")}["delivery_notes"]
            await writer.delete_field(notes, "customers")
            await writer.create_field(
                customers, name="Notes", slug="delivery_notes", field_type="integer"
            )
        await pilot.press("f10")
        await until(pilot, lambda: screen.stage == "preview")
        await pilot.press("f10", "y")
        await until(pilot, lambda: screen.applied, timeout=15)
        await settle(pilot)
        assert screen.report is not None and screen.report.failed

    assert snap_compare(two_store_app(here, there), terminal_size=SIZE, run_before=run_before)
