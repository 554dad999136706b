"""Find by any field in the customer browser (``f``): results from the local index replace the
table rows, ``esc`` goes back to the store's pages; the index syncs in the background when the
view opens and shows its age; failures show in the status line. Against the real sandbox."""

from __future__ import annotations

import asyncio

from flowtui.config.secrets import secret_store
from flowtui.index import CustomerIndex, index_path, sync_index
from flowtui.ui.screens.dialogs import ConfirmDialog
from tests.ui.conftest import (
    PROFILE,
    SEEDED,
    factory_for,
    logged_in_app,
    raw_get,
    until,
    wait_for_customers,
    workers_done,
)
from tests.ui.test_typeahead import burst, settled

SIZE = (120, 36)


def status(app) -> str:
    return str(app.screen.query_one("#customers-status").render())


def info(app) -> str:
    return str(app.screen.query_one("#customers-info").render())


def row_ids(view) -> list[str]:
    return [k.value for k in view.table.rows]


async def found_ids(view) -> list[str] | None:
    """Every id the find on screen matches (all pages); None when the table shows the store."""
    if view.find_query is None:
        return None
    found = await asyncio.to_thread(view.index.search, view.find_query, limit=10**9)
    return [c.id for c in found.customers]


async def settle(pilot) -> None:
    await workers_done(pilot.app)
    await pilot.pause()


async def synced_app(sandbox, **kw):
    """The app with the ``pawnee`` profile, whose index was synced beforehand."""
    app = logged_in_app(sandbox, **kw)
    async with factory_for(sandbox)(app.initial) as service:
        index = CustomerIndex(index_path(PROFILE))
        await sync_index(index, service)
        index.close()
    return app


async def all_customers(sandbox) -> list[dict]:
    body = await raw_get(sandbox, "/v2/customers", **{"page[limit]": 100, "sort": "name"})
    out = body["data"]
    for offset in range(100, body["meta"]["results"]["total"], 100):
        page = await raw_get(sandbox, "/v2/customers", **{"page[limit]": 100,
                             "page[offset]": offset, "sort": "name"})  # fmt: skip
        out += page["data"]
    return out


async def find(pilot, query: str) -> None:
    view = pilot.app.screen.query_one("CustomersView")
    await pilot.press("f")
    box = pilot.app.screen.query_one("#customers-find")
    box.value = query  # as if typed (one test types for real)
    await pilot.press("enter")
    await until(pilot, lambda: view.find_query == query and status(pilot.app).startswith("index:"))
    await settle(pilot)


async def test_find_by_a_custom_field_and_back(sandbox):
    app = await synced_app(sandbox)
    everyone = await all_customers(sandbox)
    want = {c["id"] for c in everyone if "knope" in (c.get("delivery_notes") or "").lower()}
    async with app.run_test(size=SIZE) as pilot:
        view = await wait_for_customers(pilot)
        await until(pilot, lambda: "index: up to date" in info(app))
        await find(pilot, "delivery_notes:knope")
        assert set(row_ids(view)) == want
        assert status(app) == f"index: {len(want)} matches (1-{len(want)}) · index up to date"
        assert info(app) == "sort: name"
        assert app.focused is view.table
        assert set(await found_ids(view)) == want
        await pilot.press("escape")  # from the table
        await until(pilot, lambda: view.find_query is None and view.state == "loaded")
        await settle(pilot)
        assert status(app) == f"1-100 of {SEEDED} customers"
        assert not app.screen.query_one("#customers-find").has_class("shown")
        assert await found_ids(view) is None
        # esc in the box itself goes back too
        await find(pilot, "loyalty_tier>=4 newsletter=true")
        await pilot.press("f", "escape")
        await until(pilot, lambda: view.find_query is None and view.state == "loaded")


async def test_find_pages_through_many_matches_and_follows_deletes(sandbox):
    app = await synced_app(sandbox)
    everyone = await all_customers(sandbox)
    want = sorted(
        (c["name"].casefold(), c["id"]) for c in everyone if (c.get("loyalty_tier") or 0) >= 1
    )
    assert len(want) > 100
    async with app.run_test(size=SIZE) as pilot:
        view = await wait_for_customers(pilot)
        await find(pilot, "Loyalty_Tier>=1")
        assert row_ids(view) == [i for _, i in want[:100]]
        assert status(app).startswith(f"index: {len(want)} matches (1-100)")
        await pilot.press("pagedown")
        await until(pilot, lambda: "(101-200)" in status(app))
        assert row_ids(view) == [i for _, i in want[100:200]]
        assert len(await found_ids(view)) == len(want)
        # Deleting from the results: the index follows at once.
        victim = view.highlighted()
        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("y")
        await until(pilot, lambda: f"index: {len(want) - 1} matches" in status(app))
        await settle(pilot)
        assert victim.id not in await found_ids(view)


async def test_first_find_builds_the_index_and_bad_queries_say_why(sandbox):
    app = logged_in_app(sandbox)
    async with app.run_test(size=SIZE) as pilot:
        view = await wait_for_customers(pilot)
        assert "index" not in info(app)  # no index yet: nothing synced behind your back
        await pilot.press("f", *"newsletter=yes")
        await until(pilot, lambda: view.find_query == "newsletter=yes")
        await until(pilot, lambda: view.index.synced_at and "index up to date" in status(app))
        await settle(pilot)
        body = await raw_get(sandbox, "/v2/customers", **{"page[limit]": 100})
        assert body["meta"]["results"]["total"] == SEEDED
        total = view.index.search("newsletter=yes").total
        assert total and status(app).startswith(f"index: {total} matches")
        app.screen.query_one("#customers-find").value = "colour:red"
        await pilot.press("enter")
        await until(pilot, lambda: view.state == "error")
        assert status(app).startswith("Cannot search the index: there is no field 'colour'")
        assert app.screen.query_one("#customers-status").has_class("error")


async def test_a_failed_background_sync_shows_in_the_status(sandbox):
    synced = await synced_app(sandbox)
    secret_store(synced.initial.profile).delete(PROFILE)  # the secret and its cached token
    app = logged_in_app(sandbox, read_only=True)  # EPCC refuses customers to read-only
    async with app.run_test(size=SIZE) as pilot:
        view = app.screen.query_one("CustomersView")
        await until(pilot, lambda: "index: sync failed:" in info(app))
        await until(pilot, lambda: view.state == "forbidden")
        assert app.is_running


def test_snapshot_find_results(snap_compare, sandbox):
    app = asyncio.run(synced_app(sandbox))

    async def run_before(pilot) -> None:
        await wait_for_customers(pilot)
        await until(pilot, lambda: "index: up to date" in info(pilot.app))
        await find(pilot, 'delivery_notes:"government building" loyalty_tier>=3')

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


async def test_a_new_field_with_a_default_rebuilds_the_index(sandbox):
    app = await synced_app(sandbox)
    async with app.run_test(size=SIZE) as pilot:
        view = await wait_for_customers(pilot)
        await until(pilot, lambda: "index: up to date" in info(app))
        flows = {f.slug: f for f in await app.service.list_flows()}
        await app.service.create_field(
            flows["customers"], name="Region", slug="region", field_type="string", default="north"
        )
        await until(pilot, lambda: "region" in [f.column for f in view.index.fields()])
        await find(pilot, "region=north")
        assert status(app).startswith(f"index: {SEEDED} matches (1-100)")


async def test_mark_all_in_find_mode_marks_what_the_index_found(sandbox):
    """`A` after a find marks every customer the index matches (every page), not the store's
    current search."""
    app = await synced_app(sandbox)
    everyone = await all_customers(sandbox)
    want = {c["id"] for c in everyone if (c.get("loyalty_tier") or 0) >= 2}
    assert 100 < len(want) < len(everyone)  # more than one page of results, not everyone
    async with app.run_test(size=SIZE) as pilot:
        view = await wait_for_customers(pilot)
        await find(pilot, "loyalty_tier>=2")
        view.table.focus()
        await pilot.press("A")
        await until(pilot, lambda: not view.marking and len(view.marks) == len(want))
        assert set(view.marks) == want


async def test_mark_all_with_an_invalid_find_marks_nothing_and_raises_nothing(sandbox):
    app = await synced_app(sandbox)
    async with app.run_test(size=SIZE) as pilot:
        view = await wait_for_customers(pilot)
        await pilot.press("f")
        app.screen.query_one("#customers-find").value = "no_such_field:1"
        await pilot.press("enter")
        await until(pilot, lambda: status(app).startswith("Cannot search the index:"))
        await settle(pilot)
        view.table.focus()
        await pilot.press("A")
        await settle(pilot)
        assert view.marks == {} and not view.marking
        assert [n for n in app._notifications if n.severity == "error"] == []


async def test_the_index_follows_the_service_from_the_app_not_from_the_browser(sandbox):
    """The app opens the profile's index with the session and subscribes it to the service:
    a change made while the browser is not even mounted still reaches the index; an index
    that cannot follow a change says it will catch up at the next sync."""
    app = await synced_app(sandbox)
    async with app.run_test(size=SIZE) as pilot:
        view = await wait_for_customers(pilot)
        index = app.index
        assert index is not None and view.index is index
        customer = view.highlighted()
        await view.remove()  # no browser any more: the index must follow on its own
        saved = await app.api.update_customer(customer.id, {"name": "Followed Directly"})
        assert saved.name == "Followed Directly"
        assert index.get(customer.id).name == "Followed Directly"
        await app.api.delete_customer(customer.id)
        assert index.get(customer.id) is None

    app = await synced_app(sandbox)
    async with app.run_test(size=SIZE) as pilot:
        view = await wait_for_customers(pilot)
        await until(pilot, lambda: "index: up to date" in info(app))
        app.index.close()  # the index can no longer be written: it falls behind
        other = next(iter(view.customers.values()))
        await app.api.update_customer(other.id, {"name": "Fell Behind"})
        await until(pilot, lambda: "index: will catch up at the next sync" in info(app))


async def test_esc_in_the_table_backs_out_one_level_at_a_time(sandbox):
    """Issue 16: ``esc`` in the table leaves find mode, then closes the detail pane, then
    clears the search; with nothing left to back out of it does nothing."""
    app = await synced_app(sandbox)
    async with app.run_test(size=SIZE) as pilot:
        view = await wait_for_customers(pilot)
        await until(pilot, lambda: "index: up to date" in info(app))
        await pilot.press("slash", *"knope", "enter")
        await until(pilot, lambda: view.search.terms != () and view.state == "loaded")
        await settle(pilot)
        searched = status(app)
        assert searched != f"1-100 of {SEEDED} customers" and view.detail_shown
        await find(pilot, "loyalty_tier>=4")
        assert app.focused is view.table
        await pilot.press("escape")  # 1: back to the store's (searched) pages
        await until(pilot, lambda: view.find_query is None and view.state == "loaded")
        await settle(pilot)
        assert status(app) == searched and view.detail_shown
        await pilot.press("escape")  # 2: the detail pane closes
        await pilot.pause()
        assert not view.detail_shown and not view.detail.has_class("shown")
        assert view.search.terms != ()
        await pilot.press("escape")  # 3: the search is cleared
        await until(pilot, lambda: status(app) == f"1-100 of {SEEDED} customers")
        assert view.search.terms == () and app.focused is view.table
        await pilot.press("escape")  # 4: nothing left: nothing happens
        await settle(pilot)
        assert status(app) == f"1-100 of {SEEDED} customers" and app.focused is view.table


async def test_page_keys_typed_ahead_page_through_the_results(sandbox):
    """Two PgDn in one write in find mode land on the third page of results: the second key
    waits until the first one's page of index results is shown (type-ahead)."""
    app = await synced_app(sandbox)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_customers(pilot)
        await find(pilot, "Loyalty_Tier>=1")
        total = int(status(app).split()[1])
        assert total > 200
        app.screen.query_one("CustomersView").table.focus()
        await settled(pilot, burst(app, "\x1b[6~" * 2))
        assert status(app).startswith(f"index: {total} matches (201-{total})")
