"""The journal screen and undo by keyboard, against the real sandbox (checked by raw HTTP)."""

from __future__ import annotations

import datetime as dt

from textual.widgets import DataTable

from flowtui.ops.journal import Journal
from flowtui.ui.screens.dialogs import ConfirmDialog
from flowtui.ui.screens.journal import JournalScreen
from flowtui.ui.screens.main import MainScreen
from tests.ui.conftest import (
    PROFILE,
    logged_in_app,
    raw_get,
    run_command,
    until,
    wait_for_customers,
    workers_done,
)
from tests.ui.test_customer_editor import open_editor, type_into


def cells(app, column: str) -> list[str]:
    table = app.screen.query_one("#journal-table", DataTable)
    return [str(c) for c in table.get_column(column)]


async def open_journal(pilot) -> JournalScreen:
    app = pilot.app
    await pilot.press("j")
    await until(pilot, lambda: isinstance(app.screen, JournalScreen))
    await workers_done(app)
    await pilot.pause()
    return app.screen


async def test_edit_then_undo_from_the_journal(sandbox):
    app = logged_in_app(sandbox)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_customers(pilot)
        await open_editor(pilot)
        original = app.screen.original
        await type_into(pilot, "name", "Changed By Test", paste=True)
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, MainScreen))
        path = f"/v2/customers/{original.id}"
        assert (await raw_get(sandbox, path))["data"]["name"] == "Changed By Test"

        await open_journal(pilot)
        # issue 16: the journal says which store its undo is in
        assert str(app.screen.query_one("#header-host").render()) == "127.0.0.1:8710"
        assert str(app.screen.query_one("#header-view").render()) == "Journal"
        assert cells(app, "action") == ["updated"]
        assert cells(app, "id") == [original.id[:10]]
        assert cells(app, "change") == [f"name: {original.name} → Changed By Test"]
        await pilot.press("u")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        assert "Undo #1: updated customer" in str(app.screen.question)
        await pilot.press("y")
        await until(pilot, lambda: isinstance(app.screen, JournalScreen))
        await until(pilot, lambda: len(cells(app, "action")) == 2)
        assert (await raw_get(sandbox, path))["data"]["name"] == original.name
        assert cells(app, "action") == ["undo #1", "updated"]
        # the same change again: refused, nothing written
        await pilot.press("down", "u")
        await pilot.pause()
        assert isinstance(app.screen, JournalScreen) and len(cells(app, "action")) == 2
        assert "already undone" in [n.message for n in app._notifications][-1]
        # main screen u: nothing left to undo
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, MainScreen))
        await pilot.press("u")
        await workers_done(app)
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert "Nothing to undo" in [n.message for n in app._notifications][-1]


async def test_main_screen_u_undoes_the_last_change_after_a_check(sandbox):
    app = logged_in_app(sandbox)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_customers(pilot)
        service = app.service
        page = await service.list_customers(limit=1)
        customer = page.items[0]
        await service.update_customer(customer.id, {"name": "Via Service"})
        await pilot.press("u")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        assert customer.id in app.screen.question
        await pilot.press("y")
        await until(pilot, lambda: isinstance(app.screen, MainScreen))
        await workers_done(app)
        got = await raw_get(sandbox, f"/v2/customers/{customer.id}")
        assert got["data"]["name"] == customer.name
        # a change made elsewhere since: refused
        await service.update_customer(customer.id, {"name": "Mine"})
        async with raw_client_put(sandbox, customer.id, "Theirs"):
            pass
        await pilot.press("u")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("y")
        await workers_done(app)
        await pilot.pause()
        got = await raw_get(sandbox, f"/v2/customers/{customer.id}")
        assert got["data"]["name"] == "Theirs"
        refusal = [n.message for n in app._notifications][-1]
        assert refusal.startswith(f"Customer {customer.id} (Mine) was changed since (updated_at")
        assert service.journal.last_change(PROFILE)["after"] == {"name": "Mine"}


class raw_client_put:
    """Someone else renames the customer (straight to the store, no journal)."""

    def __init__(self, sandbox, customer_id: str, name: str) -> None:
        self.sandbox, self.id, self.name = sandbox, customer_id, name

    async def __aenter__(self):
        from tests.ui.test_customer_editor import raw

        data = {"type": "customer", "id": self.id, "name": self.name}
        await raw(self.sandbox, "PUT", f"/v2/customers/{self.id}", data)

    async def __aexit__(self, *exc):
        return False


async def test_palette_and_read_only(sandbox):
    app = logged_in_app(sandbox, read_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, MainScreen))
        await run_command(pilot, "journal: show")
        await until(pilot, lambda: isinstance(app.screen, JournalScreen))
        app.service.journal.append(profile=PROFILE, resource="customer", id="x", action="created")
        await pilot.press("r")
        await until(pilot, lambda: cells(app, "id") == ["x"])
        await pilot.press("u")
        await pilot.pause()
        assert isinstance(app.screen, JournalScreen)  # refused before asking
        assert "read-only" in [n.message for n in app._notifications][-1]


def fixed_journal(path) -> Journal:
    clock = iter(dt.datetime(2026, 3, 4, 9, 30, s, tzinfo=dt.UTC) for s in range(0, 60, 7))
    journal = Journal(path, clock=lambda: next(clock))
    add = journal.append
    add(
        profile=PROFILE,
        resource="customer",
        id="c-0001",
        action="created",
        after={"name": "Leslie Knope", "email": "leslie@pawnee.gov", "loyalty_tier": 3},
        unrecorded=["password"],
    )
    add(
        profile=PROFILE,
        resource="customer",
        id="c-0001",
        action="updated",
        before={"name": "Leslie Knope"},
        after={"name": "Leslie [b]Knope\x1b[31m"},
    )
    add(profile="other", resource="customer", id="c-9", action="deleted", before={"name": "x"})
    add(
        profile=PROFILE,
        resource="field",
        id="f-0002",
        flow_slug="customers",
        action="updated",
        before={"required": False},
        after={"required": True},
    )
    add(
        profile=PROFILE,
        resource="entry",
        id="e-0003",
        flow_slug="wishlists",
        action="deleted",
        before={"title": "Camping trip", "priority": 2},
    )
    add(
        profile=PROFILE,
        resource="customer",
        id="c-0001",
        action="updated",
        undo_of=2,
        before={"name": "Leslie [b]Knope\x1b[31m"},
        after={"name": "Leslie Knope"},
    )
    return journal


def test_journal_snapshot(snap_compare, sandbox, tmp_path):
    """Fixed records (times from a fixed clock, markup and an escape in server text, another
    profile's record that must not show, an undone change struck through)."""
    app = logged_in_app(sandbox)

    async def run_before(pilot) -> None:
        await wait_for_customers(pilot)
        journal = fixed_journal(tmp_path / "fixed.jsonl")
        journal.display_name = "~/.local/share/flowtui/journal.jsonl"  # tmp paths vary
        app.service.journal = journal
        await open_journal(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
