"""Bulk edit by keyboard against the real sandbox: marks in the browser (space, all matching,
unmark), the bulk screen (field, value checked as you type, preview, confirm, progress,
report), stopping with esc and resuming (from the screen and the palette), the read-only
refusal, and snapshots of the browser with marks, the preview and the report."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import DataTable, Select

from flowtui.ops import bulk
from flowtui.ui.screens.bulk import BulkEditScreen, ResumeDialog
from flowtui.ui.screens.dialogs import ConfirmDialog
from flowtui.ui.screens.main import MainScreen
from flowtui.ui.widgets.customers import MARK
from tests.ops.test_bulk import CountingApp
from tests.ui.conftest import (
    logged_in_app,
    raw_client,
    raw_get,
    run_command,
    type_burst,
    until,
    workers_done,
)
from tests.ui.conftest import wait_for_customers as loaded

SIZE = (120, 36)


def marks_text(app) -> str:
    return str(app.screen.query_one("#customers-marks").render())


def label(app, selector: str) -> str:
    return str(app.screen.query_one(selector).render())


async def open_bulk(pilot, field: str, value: str) -> BulkEditScreen:
    """``b``, choose ``field``, type ``value``; the screen, on its setup stage."""
    app = pilot.app
    await pilot.press("b")
    await until(pilot, lambda: isinstance(app.screen, BulkEditScreen))
    screen = app.screen
    await until(pilot, lambda: screen.fields)
    screen.query_one("#bulk-field", Select).value = field
    screen.query_one("#bulk-value").focus()
    await pilot.press(*value)
    await pilot.pause()
    return screen


async def confirm_apply(pilot, screen: BulkEditScreen) -> None:
    app = pilot.app
    await pilot.press("f10")
    await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
    await pilot.press("y")
    await until(pilot, lambda: screen.stage == "report")
    await workers_done(app)
    await pilot.pause()


async def tiers(sandbox, ids) -> dict[str, Any]:
    return {i: (await raw_get(sandbox, f"/v2/customers/{i}"))["data"]["loyalty_tier"] for i in ids}


async def delete_raw(sandbox, customer_id: str) -> None:
    async with raw_client(sandbox) as client:
        form = {
            "grant_type": "client_credentials",
            "client_id": "test-client",
            "client_secret": sandbox.state.config.client_secret,
        }
        token = (await client.post("/oauth/access_token", data=form)).json()["access_token"]
        r = await client.delete(
            f"/v2/customers/{customer_id}", headers={"Authorization": f"Bearer {token}"}
        )
        assert r.status_code == 204


async def test_mark_three_preview_apply_and_report(sandbox):
    app = logged_in_app(sandbox)
    async with app.run_test(size=SIZE) as pilot:
        view = await loaded(pilot)
        await pilot.press("space", "space", "space")
        ids = list(view.marks)
        assert ids == [k.value for k in list(view.table.rows)[:3]]
        assert marks_text(app).startswith("3 marked")
        first = view.table.get_cell(ids[0], "name")
        assert str(first).startswith(MARK)
        await pilot.press("up", "space")  # unmark the third
        assert len(view.marks) == 2 and marks_text(app).startswith("2 marked")
        await pilot.press("up", "space")  # and mark it again
        assert list(view.marks) == ids
        await pilot.press("pagedown")
        await until(pilot, lambda: view.page is not None and view.page.offset == 100)
        assert len(view.marks) == 3  # marks survive paging
        before = await tiers(sandbox, ids)
        value = next(v for v in range(1, 6) if v not in before.values())
        screen = await open_bulk(pilot, "loyalty_tier", "9")
        assert label(app, "#bulk-problem") == "Loyalty tier must be between 1 and 5"
        assert screen.query_one("#bulk-do-preview").disabled
        await pilot.press("f10")  # refused while invalid
        assert screen.stage == "setup"
        await pilot.press("backspace", str(value))
        await pilot.pause()
        assert not screen.query_one("#bulk-problem").display
        assert "integer, 1–5" in label(app, "#bulk-hint")
        await pilot.press("f10")
        await until(pilot, lambda: screen.stage == "preview")
        table = screen.query_one("#bulk-preview-table", DataTable)
        assert table.row_count == 3
        assert [str(c) for c in table.get_column("after")] == [str(value)] * 3
        assert "3 will change" in label(app, "#bulk-preview-summary")
        await pilot.press("escape")  # back to the value, then preview again
        assert screen.stage == "setup" and app.focused.id == "bulk-value"
        await pilot.press("enter")
        await until(pilot, lambda: screen.stage == "preview")
        gone = ids[1]
        await delete_raw(sandbox, gone)  # deleted between the preview and apply
        await confirm_apply(pilot, screen)
        assert screen.plan.state == "finished"
        report = label(app, "#bulk-report-summary")
        assert report.startswith("Done: set Loyalty tier to") and "2 changed, 1 failed" in report
        failures = screen.query_one("#bulk-failures", DataTable)
        assert failures.row_count == 1
        assert "deleted on the server" in str(failures.get_row_at(0)[2])
        assert str(screen.plan.path) in label(app, "#bulk-plan-path")
        assert await tiers(sandbox, [ids[0], ids[2]]) == {ids[0]: value, ids[2]: value}
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, MainScreen))
        assert list(view.marks) == ids  # marks stay until unmarked (x)
        assert view.marks[ids[0]].value("loyalty_tier") == value  # as the service last saw
        await pilot.press("x")
        assert view.marks == {} and marks_text(app) == ""


async def test_mark_all_asks_past_the_limit_then_stop_and_resume(sandbox, monkeypatch):
    counting = CountingApp(sandbox)
    app = logged_in_app(counting)
    monkeypatch.setattr(bulk, "MARK_ALL_ASK", 40)
    async with app.run_test(size=SIZE) as pilot:
        view = await loaded(pilot)
        await run_command(pilot, "bulk: resume")
        assert any("No unfinished bulk edit" in str(n.message) for n in app._notifications)
        await type_burst(pilot, "/an\r")  # a search (at once, not "a" first): mark all of it
        await until(pilot, lambda: view.search.terms and view.state == "loaded")
        matching = view.page.total
        assert 40 < matching < 100
        await pilot.press("A")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        assert f"Mark all {matching} matching customers?" in label(app, ".dialog-title")
        await pilot.press("n")
        await workers_done(app)
        assert view.marks == {} and marks_text(app) == ""
        await pilot.press("A")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("y")
        await until(pilot, lambda: len(view.marks) == matching and not view.marking)
        assert marks_text(app).startswith(f"{matching} marked")
        assert all("an" in c.name.lower() for c in view.marks.values())

        screen = await open_bulk(pilot, "newsletter", "yes")
        await pilot.press("f10")
        await until(pilot, lambda: screen.stage == "preview")
        sandbox.state.config.latency_ms = 400  # slow enough to stop midway
        await pilot.press("f10")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("y")
        await until(pilot, lambda: screen.plan.count("done") >= 4)
        await pilot.press("escape")  # asks first
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        assert label(app, ".dialog-title") == "Stop the bulk edit?"
        await pilot.press("y")
        await until(pilot, lambda: screen.stage == "report")
        sandbox.state.config.latency_ms = 0
        plan = screen.plan
        assert plan.state == "stopped" and plan.unfinished
        assert label(app, "#bulk-report-summary").startswith("Stopped:")
        assert screen.query_one("#bulk-resume").display
        first_run = dict(counting.writes)
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, MainScreen))

        await run_command(pilot, "bulk: resume")  # the palette opens it on its preview
        await until(pilot, lambda: isinstance(app.screen, BulkEditScreen))
        resumed = app.screen
        assert resumed.stage == "preview" and resumed.plan.id == plan.id
        assert label(app, "#bulk-preview-summary").startswith("Resume:")
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, MainScreen))

        await pilot.press("b")  # opening the bulk screen offers it too
        await until(pilot, lambda: isinstance(app.screen, ResumeDialog))
        dialog = app.screen.query_one(".dialog")  # centred (issue 16: it was top-left)
        (x, y), (cx, cy) = dialog.region.center, app.screen.region.center
        assert abs(x - cx) <= 1 and abs(y - cy) <= 1 and dialog.region.x > 0
        assert "sends them now to 127.0.0.1:8710 (the SANDBOX)" in label(app, ".dialog-body")
        await pilot.press("r")  # the one confirmation: the run starts at once
        await until(pilot, lambda: isinstance(app.screen, BulkEditScreen))
        screen = app.screen
        await until(pilot, lambda: screen.stage == "report", timeout=20)
        assert not any(isinstance(s, ConfirmDialog) for s in app.screen_stack)
        await workers_done(app)
        await pilot.pause()
        assert screen.plan.state == "finished" and screen.plan.count("failed") == 0
        assert not screen.query_one("#bulk-resume").display
    sent = [i.id for i in screen.plan.items if i.status == "done"]
    assert all(counting.writes[i] == 1 for i in sent)  # nothing sent twice
    assert set(first_run) < set(counting.writes)
    unchanged = [i.id for i in screen.plan.items if i.status == "skipped"]
    assert all(counting.writes[i] == 0 for i in unchanged)
    body = await raw_get(sandbox, "/v2/customers", filter="like(name,*an*)", **{"page[limit]": 100})
    assert len(body["data"]) == matching
    assert all(c["newsletter"] is True for c in body["data"])
    assert bulk.unfinished_plans("pawnee") == []


async def test_read_only_profile_refuses_bulk_edit_with_the_reason(sandbox):
    app = logged_in_app(sandbox, read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, MainScreen))
        view = app.screen.query_one("CustomersView")
        await until(pilot, lambda: view.state == "forbidden")
        await pilot.press("b")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert any("read-only" in str(n.message) for n in app._notifications)


async def test_an_unfinished_plan_can_be_discarded_when_offered(sandbox):
    app = logged_in_app(sandbox)
    async with app.run_test(size=SIZE) as pilot:
        view = await loaded(pilot)
        target = bulk.BulkField("name", "Name", required=True, core=True)
        profile = app.resolved.profile
        plan = bulk.build_plan(profile.name, profile.base_url, target, "X", [view.highlighted()])
        bulk.save_plan(plan)  # confirmed, never run: unfinished
        await pilot.press("b")
        await until(pilot, lambda: isinstance(app.screen, ResumeDialog))
        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, BulkEditScreen))
        assert app.screen.stage == "setup"
        assert bulk.unfinished_plans(profile.name) == []
        assert (bulk.plans_dir() / "done" / f"{plan.id}.json").exists()
        assert plan.path is not None and not plan.path.exists()


# -- snapshots ---------------------------------------------------------------------------


def test_snapshot_browser_with_marks(snap_compare, sandbox):
    app = logged_in_app(sandbox)

    async def run_before(pilot) -> None:
        await loaded(pilot)
        await pilot.press("space", "down", "space", "space")
        await workers_done(pilot.app)
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_snapshot_bulk_preview(snap_compare, sandbox):
    app = logged_in_app(sandbox)

    async def run_before(pilot) -> None:
        await loaded(pilot)
        await pilot.press(*["space"] * 6)
        screen = await open_bulk(pilot, "contact_window", "evening")
        await pilot.press("f10")
        await until(pilot, lambda: screen.stage == "preview")
        await workers_done(pilot.app)
        await pilot.pause()

    assert snap_compare(app, terminal_size=(100, 30), run_before=run_before)


@pytest.fixture
def fixed_plan_dir(monkeypatch):
    """Plans in a fixed folder under a fixed id, so the report's path is the same every run."""
    folder = Path("/tmp/flowtui-bulk-snapshot")
    shutil.rmtree(folder, ignore_errors=True)
    monkeypatch.setattr(bulk, "plans_dir", lambda: folder)
    monkeypatch.setattr(bulk, "new_plan_id", lambda now=None: "20260101-000000-snap01")
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_snapshot_bulk_report(snap_compare, sandbox, fixed_plan_dir):
    app = logged_in_app(sandbox)

    async def run_before(pilot) -> None:
        view = await loaded(pilot)
        await pilot.press(*["space"] * 4)
        screen = await open_bulk(pilot, "loyalty_tier", "5")
        await pilot.press("f10")
        await until(pilot, lambda: screen.stage == "preview")
        await delete_raw(sandbox, list(view.marks)[2])
        await confirm_apply(pilot, screen)

    assert snap_compare(app, terminal_size=(100, 30), run_before=run_before)
