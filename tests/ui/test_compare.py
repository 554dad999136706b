"""The designer's "compare with…" against two real sandboxes (or a sandbox and a schema file),
by keys through Pilot, at 0 and 150 ms store latency.

The session's store ("pawnee", the demo data) is THIS store; "staging" is another sandbox
whose design differs in every way a plan can: a flow and its field to create, a field to
update, a field whose type changed (a replace), and, with prune, a field to delete. What
reached this store after applying is checked by raw HTTP, past flowtui.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from textual.widgets import DataTable, OptionList

from flowtui.api.service import ApiService
from flowtui.config.profiles import Profile, ProfileStore
from flowtui.config.secrets import secret_store
from flowtui.ops import schema as S
from flowtui.ops.connect import service_for
from flowtui.ui.app import FlowApp
from flowtui.ui.screens.compare import CompareScreen
from flowtui.ui.screens.dialogs import ConfirmDialog
from tests.conftest import CLIENT_ID, CLIENT_SECRET
from tests.hostile import CATALOGUE
from tests.ui.conftest import (
    BASE_URL,
    raw_get,
    run_command,
    save_profile,
    seeded_sandbox,
    until,
)
from tests.ui.designer_helpers import designer, notifications, open_designer, settle

SIZE = (120, 36)
HERE_CUSTOMERS = 40
OTHER = "staging"
OTHER_URL = "http://127.0.0.1:8711"
LATENCIES = [pytest.param(0, id="0ms"), pytest.param(150, id="150ms")]
#: Hostile text in the other store: markup, an action, an escape sequence, a bidi override.
HOSTILE_NAME = "[bold red]Brands[/] [@click=app.quit]q[/] \x1b[2J\u202eevil"
HOSTILE_SHOWN = "[bold red]Brands[/] [@click=app.quit]q[/] \\x1b[2J\\u202eevil"


@pytest.fixture
def stores() -> Iterator[tuple[Any, Any]]:
    """This store (the demo data, 40 customers: one page to count values on) and the other
    one (the demo flows, 5 customers)."""
    here, there = seeded_sandbox(HERE_CUSTOMERS), seeded_sandbox(5)
    yield here, there
    here.state.store.close()
    there.state.store.close()


def store_service(sandbox: Any, url: str = OTHER_URL) -> ApiService:
    """A service of its own on ``sandbox``: the other store's owner, or another writer."""
    return ApiService(
        url, CLIENT_ID, CLIENT_SECRET, transport=httpx.ASGITransport(app=sandbox), rate_limit=None
    )


async def shape_other(there: Any, brand_name: str = "Brands") -> None:
    """The other store's design: + flow brands with a field, delivery_notes described,
    contact_window an integer (a replace), lifetime_value gone (a delete, with prune)."""
    async with store_service(there) as s:
        customers = next(f for f in await s.list_flows() if f.slug == "customers")
        fields = {f.slug: f for f in await s.list_fields("customers")}
        brands = await s.create_flow(brand_name, "brands", "Who makes it")
        await s.create_field(brands, name="Label", slug="label", field_type="string")
        await s.update_field(
            fields["delivery_notes"].id, flow_slug="customers", description="Gate codes too"
        )
        await s.delete_field(fields["contact_window"], "customers")
        await s.create_field(
            customers,
            name="Contact window",
            slug="contact_window",
            field_type="integer",
            order=fields["contact_window"].order,
        )
        await s.delete_field(fields["lifetime_value"], "customers")


def two_store_app(here: Any, there: Any, *, read_only: bool = False) -> FlowApp:
    """FlowApp logged in to ``here`` (profile pawnee), with profile staging for ``there``."""
    profiles = ProfileStore()
    resolved = save_profile(profiles, read_only=read_only)
    other = Profile(name=OTHER, base_url=OTHER_URL, client_id=CLIENT_ID)
    profiles.save(other)
    secret_store(other).set_secret(OTHER, CLIENT_SECRET)
    by_url = {BASE_URL: here, OTHER_URL: there}

    def factory(resolved: Any, **kw: Any) -> ApiService:
        transport = httpx.ASGITransport(app=by_url[resolved.profile.base_url])
        return service_for(resolved, transport=transport, rate_limit=None, **kw)

    return FlowApp(profiles, resolved=resolved, service_factory=factory, cursor_blink=False)


def set_latency(latency: int, *sandboxes: Any) -> None:
    for sandbox in sandboxes:
        sandbox.state.config.latency_ms = latency


def cells(table: DataTable) -> list[list[str]]:
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


def plan_rows(screen: CompareScreen) -> dict[str, list[str]]:
    """Plan key -> the row's cells as shown (pick mark, action, item, this store, other)."""
    table = screen.query_one("#compare-plan", DataTable)
    return {item.key: [str(c) for c in table.get_row(item.key)] for item in screen.plan.items}


def label(screen: CompareScreen, selector: str) -> str:
    return str(screen.query_one(selector).render())


async def open_compare(pilot) -> CompareScreen:
    """The designer, then ``C``: the compare screen on its choose stage."""
    app = pilot.app
    await open_designer(pilot)
    await pilot.press("C")
    await until(pilot, lambda: isinstance(app.screen, CompareScreen))
    await settle(pilot)
    return app.screen


async def compare_with_staging(pilot) -> CompareScreen:
    """Compare with profile staging (enter on the only other profile)."""
    screen = await open_compare(pilot)
    assert pilot.app.focused is screen.query_one("#compare-profiles", OptionList)
    await pilot.press("enter")  # staging is the only other profile
    await until(pilot, lambda: screen.stage == "plan", timeout=15)
    await settle(pilot)
    return screen


async def pick(pilot, screen: CompareScreen, key: str) -> None:
    """Move the plan's cursor to ``key`` by keys and press space."""
    table = screen.query_one("#compare-plan", DataTable)
    table.focus()
    await pilot.press("ctrl+home")
    keys = [i.key for i in screen.plan.items]
    for _ in range(keys.index(key)):
        await pilot.press("down")
    await pilot.press("space")
    await pilot.pause()


async def apply_picked(pilot, screen: CompareScreen) -> None:
    app = pilot.app
    await pilot.press("f10")
    await until(pilot, lambda: screen.stage == "preview")
    await pilot.press("f10")
    await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
    await pilot.press("y")
    await until(pilot, lambda: screen.applied, timeout=15)
    await settle(pilot)


async def fields_of(sandbox: Any, slug: str) -> dict[str, dict]:
    return {f["slug"]: f for f in (await raw_get(sandbox, f"/v2/flows/{slug}/fields"))["data"]}


async def flow_slugs(sandbox: Any) -> set[str]:
    return {f["slug"] for f in (await raw_get(sandbox, "/v2/flows"))["data"]}


# -- the plan ------------------------------------------------------------------------------


@pytest.mark.parametrize("latency", LATENCIES)
async def test_plan_pick_preview_apply(stores, latency):
    here, there = stores
    await shape_other(there)
    set_latency(latency, here, there)
    app = two_store_app(here, there)
    async with app.run_test(size=SIZE) as pilot:
        screen = await compare_with_staging(pilot)
        # The load stage counted each side's answers (several requests per store) and
        # said what it found.
        assert screen.answers["here"] >= 2 and screen.answers["other"] >= 2
        assert label(screen, "#compare-here-status") == "This store (pawnee): 3 flows, 11 fields"
        assert label(screen, "#compare-other-status") == (
            "The other side (profile staging): 4 flows, 11 fields"
        )
        assert screen.query_one("#compare-load-bar").percentage == 1
        rows = plan_rows(screen)
        # Every kind of change, side by side: this store | staging.
        assert rows["flow:brands"][1] == "create"
        assert rows["flow:brands"][3] == "—" and '"Who makes it"' in rows["flow:brands"][4]
        assert rows["field:brands.label"][1] == "create"
        assert rows["field:customers.delivery_notes"][1] == "update"
        assert '"Gate codes too"' in rows["field:customers.delivery_notes"][4]
        replace = rows["field:customers.contact_window"]
        assert replace[1] == "replace" and replace[2] == "customers.contact_window"
        # What is lost opens this store's side: the 40 customers' contact windows.
        assert replace[3].startswith('40 values lost · field_type: "string"')
        assert replace[4].startswith('field_type: "integer"')
        assert "field:customers.lifetime_value" not in rows  # no delete without prune
        title = label(screen, "#compare-plan-title")
        assert "applied to THIS store (profile pawnee" in title and "profile staging" in title

        # Picking the new field picks its flow too; the replace stays unpicked.
        await pick(pilot, screen, "field:brands.label")
        await pick(pilot, screen, "field:customers.delivery_notes")
        assert screen.picks.keys == {
            "flow:brands",
            "field:brands.label",
            "field:customers.delivery_notes",
        }
        assert plan_rows(screen)["flow:brands"][0] == "[x]"
        assert plan_rows(screen)["field:customers.contact_window"][0] == "[ ]"

        await pilot.press("f10")
        await until(pilot, lambda: screen.stage == "preview")
        preview = cells(screen.query_one("#compare-preview-table", DataTable))
        assert any(r[1] == "description" and r[3] == '"Gate codes too"' for r in preview)
        assert any(r[1:] == ["name", "—", '"Label"'] for r in preview)
        assert "Nothing is sent until you apply" in label(screen, "#compare-preview-title")

        await pilot.press("f10")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("y")
        await until(pilot, lambda: screen.applied, timeout=15)
        await settle(pilot)
        assert screen.report is not None and not screen.report.failed
        assert "Done: 3 of 3 applied" in label(screen, "#compare-apply-title")
        results = cells(screen.query_one("#compare-results", DataTable))
        assert [r[2] for r in results] == ["done", "done", "done"]
        # The designer behind did not reload on each change while hidden (each reload's
        # requests would take the apply's pace); it does once, when shown again.
        view = designer(app)
        assert "brands" not in {f.slug for f in view.flows.values()}
        await pilot.press("escape")
        await until(pilot, lambda: "brands" in {f.slug for f in view.flows.values()})

    # This store, past flowtui: the picked items are there, the unpicked replace is not.
    assert "brands" in await flow_slugs(here)
    assert set(await fields_of(here, "brands")) == {"label"}
    customers = await fields_of(here, "customers")
    assert customers["delivery_notes"]["description"] == "Gate codes too"
    assert customers["contact_window"]["field_type"] == "string"
    assert "lifetime_value" in customers


async def test_prune_plans_deletes_with_the_values_they_lose(stores):
    here, there = stores
    await shape_other(there)
    app = two_store_app(here, there)
    async with app.run_test(size=SIZE) as pilot:
        screen = await compare_with_staging(pilot)
        assert "field:customers.lifetime_value" not in plan_rows(screen)
        await pilot.press("p")
        await until(pilot, lambda: "field:customers.lifetime_value" in plan_rows(screen))
        await settle(pilot)
        row = plan_rows(screen)["field:customers.lifetime_value"]
        assert row[1] == "delete" and row[4] == "—"
        assert row[3].startswith("40 values lost · ") and '"float"' in row[3]
        assert "Prune on" in label(screen, "#compare-plan-title")
        # Picks survive a replan; p again plans no delete.
        await pick(pilot, screen, "field:customers.lifetime_value")
        assert "field:customers.lifetime_value" in screen.picks.keys
        await pilot.press("p")
        await until(pilot, lambda: "field:customers.lifetime_value" not in plan_rows(screen))
        assert "field:customers.lifetime_value" not in screen.picks.keys


async def test_select_all_then_apply_makes_this_store_match(stores):
    """``a`` picks everything (the replace too); after applying, comparing again finds
    nothing to do."""
    here, there = stores
    await shape_other(there)
    app = two_store_app(here, there)
    async with app.run_test(size=SIZE) as pilot:
        screen = await compare_with_staging(pilot)
        await pilot.press("a")
        assert screen.picks.keys == {i.key for i in screen.plan.items}
        await apply_picked(pilot, screen)
        assert screen.report is not None and not screen.report.failed, screen.report
        await pilot.press("r")
        await until(pilot, lambda: screen.stage == "plan" and screen.plan.empty, timeout=15)
        assert "Nothing to do" in label(screen, "#compare-plan-title")
    customers = await fields_of(here, "customers")
    assert customers["contact_window"]["field_type"] == "integer"


# -- failures and refusals -------------------------------------------------------------------


@pytest.mark.parametrize("latency", LATENCIES)
async def test_a_failure_is_listed_per_item(stores, latency):
    """Another writer retypes delivery_notes in this store after the plan was made: its
    update fails with the reason, the items before it are done, the delete after it (the
    next stage) is not sent."""
    here, there = stores
    await shape_other(there)
    set_latency(latency, here, there)
    app = two_store_app(here, there)
    async with app.run_test(size=SIZE) as pilot:
        screen = await compare_with_staging(pilot)
        await pilot.press("p")
        await until(pilot, lambda: "field:customers.lifetime_value" in plan_rows(screen))
        await settle(pilot)
        for key in ("field:brands.label", "field:customers.delivery_notes"):
            await pick(pilot, screen, key)
        await pick(pilot, screen, "field:customers.lifetime_value")
        async with store_service(here, BASE_URL) as writer:
            customers = next(f for f in await writer.list_flows() if f.slug == "customers")
            notes = {f.slug: f for f in await writer.list_fields("customers")}["delivery_notes"]
            await writer.delete_field(notes, "customers")
            await writer.create_field(
                customers, name="Notes", slug="delivery_notes", field_type="integer"
            )
        await apply_picked(pilot, screen)
        report = screen.report
        assert report is not None
        assert [key for key, _ in report.failed] == ["field:customers.delivery_notes"]
        results = {r[0]: r[2] for r in cells(screen.query_one("#compare-results", DataTable))}
        assert results["flow brands"] == results["field brands.label"] == "done"
        assert results["field customers.delivery_notes"] == (
            "failed: its type on the store is integer: it needs a replace"
        )
        assert results["field customers.lifetime_value"].startswith("not sent")
        assert "Stopped at the first failure: 2 done, 1 failed, 1 not sent" in label(
            screen, "#compare-apply-title"
        )
        assert label(screen, "#compare-failure") == (
            "field customers.delivery_notes: its type on the store is integer: it needs a replace"
        )
        assert label(screen, "#compare-count") == "2 done · 1 failed · 1 not sent"
    # On the store: what was done is there, the other writer's field is untouched, and the
    # delete after the failure was not sent.
    assert set(await fields_of(here, "brands")) == {"label"}
    customers_now = await fields_of(here, "customers")
    assert customers_now["delivery_notes"]["field_type"] == "integer"
    assert "lifetime_value" in customers_now


async def test_read_only_profile_compares_but_cannot_apply(stores):
    here, there = stores
    await shape_other(there)
    app = two_store_app(here, there, read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        screen = await compare_with_staging(pilot)
        assert screen.query_one("#compare-readonly").display
        assert "read-only" in label(screen, "#compare-readonly")
        await pilot.press("a")
        await pilot.press("f10")
        await until(pilot, lambda: any("read-only" in n for n in notifications(app)))
        assert screen.stage == "plan"
        assert not isinstance(app.screen, ConfirmDialog)
    assert "brands" not in await flow_slugs(here)


async def test_esc_backs_out_one_level_and_c_works_from_the_fields(stores):
    here, there = stores
    await shape_other(there)
    app = two_store_app(here, there)
    async with app.run_test(size=SIZE) as pilot:
        screen = await compare_with_staging(pilot)
        await pick(pilot, screen, "field:customers.delivery_notes")
        await pilot.press("f10")
        await until(pilot, lambda: screen.stage == "preview")
        for stage in ("plan", "choose"):
            await pilot.press("escape")
            await until(pilot, lambda s=stage: screen.stage == s)
        assert screen.picks.keys == {"field:customers.delivery_notes"}
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is app.main_screen())
        view = app.main_screen().query_one("FlowsView")
        view.fields_table.focus()
        await pilot.press("C")
        await until(pilot, lambda: isinstance(app.screen, CompareScreen))


async def test_a_profile_that_cannot_log_in_is_said_on_the_choose_stage(stores):
    here, there = stores
    there.state.config.client_secret = "rotated"  # staging's saved secret no longer works
    app = two_store_app(here, there)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_compare(pilot)
        await pilot.press("enter")
        await until(pilot, lambda: screen.query_one("#compare-problem").display)
        await settle(pilot)
        assert screen.stage == "choose"
        assert label(screen, "#compare-problem").startswith("Could not read profile staging: ")
        assert app.screen is screen  # this session's login screen stays closed


async def test_an_unusable_file_is_said_on_the_choose_stage(stores, tmp_path):
    here, there = stores
    bad = tmp_path / "bad.toml"
    bad.write_text("this is = = not toml\n")
    app = two_store_app(here, there)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_compare(pilot)
        for path, expected in ((tmp_path / "missing.toml", "No such file"), (bad, str(bad))):
            screen.query_one("#compare-path").focus()
            screen.query_one("#compare-path").value = str(path)
            await pilot.press("enter")
            await until(pilot, lambda: screen.query_one("#compare-problem").display)
            await settle(pilot)
            assert screen.stage == "choose"
            assert expected in label(screen, "#compare-problem")


# -- a schema file, hostile text -------------------------------------------------------------


async def write_schema(there: Any, path: Path) -> None:
    async with store_service(there) as s:
        path.write_text((await S.pull(s)).to_toml())


async def test_a_file_with_entries_compares_this_stores_entries(stores, tmp_path):
    """This store's own design pulled with its entries, plus one wishlist: comparing plans
    that one entry only (this store's entries were pulled too, so none is planned twice)."""
    here, there = stores
    async with store_service(here, BASE_URL) as s:
        design = await S.pull(s, entries=True)
    wishlists = [e for e in design.entries if e.flow_slug == "wishlists"]
    assert wishlists
    # Keyed as pull keys them (by title here), so the other entries keep their keys.
    extra = S.EntrySpec("wishlists", "Waffle iron", {"title": "Waffle iron", "priority": 1}, {})
    path = tmp_path / "design.toml"
    path.write_text(dataclasses.replace(design, entries=(*design.entries, extra)).to_toml())
    app = two_store_app(here, there)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_compare(pilot)
        screen.query_one("#compare-path").focus()
        screen.query_one("#compare-path").value = str(path)
        await pilot.press("enter")
        await until(pilot, lambda: screen.stage == "plan", timeout=15)
        await settle(pilot)
        assert [(i.key, i.action) for i in screen.plan.items] == [
            ("entry:wishlists.Waffle iron", "create")
        ]
        assert f"{len(design.entries) + 1} entries" in label(screen, "#compare-other-status")
        row = next(iter(plan_rows(screen).values()))
        assert row[1:3] == ["create", "entry wishlists.Waffle iron"]
        assert '"Waffle iron"' in row[4]


@pytest.mark.parametrize("latency", LATENCIES)
async def test_compare_with_a_schema_file_shows_hostile_names_literally(stores, tmp_path, latency):
    here, there = stores
    await shape_other(there, brand_name=HOSTILE_NAME)
    folder = tmp_path / "[bold]designs"  # markup in the path, shown as typed
    folder.mkdir()
    path = folder / "staging.toml"
    await write_schema(there, path)
    set_latency(latency, here)
    app = two_store_app(here, there)
    async with app.run_test(size=SIZE) as pilot:
        await open_designer(pilot)
        await run_command(pilot, "designer: compare with…")
        await until(pilot, lambda: isinstance(app.screen, CompareScreen))
        screen = app.screen
        await settle(pilot)
        screen.query_one("#compare-path").focus()
        screen.query_one("#compare-path").value = str(path)
        await pilot.press("enter")
        await until(pilot, lambda: screen.stage == "plan", timeout=15)
        await settle(pilot)
        rows = plan_rows(screen)
        assert HOSTILE_SHOWN in rows["flow:brands"][4]
        assert f"file {path}" in label(screen, "#compare-plan-title")
        other_column = screen.query_one("#compare-plan", DataTable).columns["other"]
        assert other_column.label.plain == f"Other ({path})"
        # The detail under the table shows it whole, just as literally.
        await pick(pilot, screen, "flow:brands")
        table = screen.query_one("#compare-plan", DataTable)
        table.move_cursor(row=0)
        await pilot.pause()
        assert HOSTILE_SHOWN in label(screen, "#compare-detail")
        assert "flow:brands" in screen.picks.keys
        await apply_picked(pilot, screen)
        assert screen.report is not None and not screen.report.failed
    flows = (await raw_get(here, "/v2/flows"))["data"]
    assert [f["name"] for f in flows if f["slug"] == "brands"] == [HOSTILE_NAME]


async def test_hostile_descriptions_in_the_plan(stores):
    """Twelve of the catalogue's strings as the descriptions of the customer fields, six in
    the other store and six in this one: each side's cell shows its probe (the literal,
    escaped form)."""
    here, there = stores
    sides = {"there": (there, OTHER_URL, CATALOGUE[:6]), "here": (here, BASE_URL, CATALOGUE[6:12])}
    described: dict[str, dict[str, Any]] = {}
    for side, (sandbox, url, hostiles) in sides.items():
        async with store_service(sandbox, url) as s:
            fields = sorted(await s.list_fields("customers"), key=lambda f: f.slug)
            described[side] = dict(zip((f.slug for f in fields), hostiles, strict=True))
            for field in fields:
                text = described[side][field.slug].text
                await s.update_field(field.id, flow_slug="customers", description=text)
    app = two_store_app(here, there)
    async with app.run_test(size=SIZE) as pilot:
        screen = await compare_with_staging(pilot)
        rows = plan_rows(screen)
        for side, column in (("here", 3), ("there", 4)):
            for slug, hostile in described[side].items():
                assert hostile.probe in rows[f"field:customers.{slug}"][column], hostile.name
