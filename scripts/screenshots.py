"""Regenerate screenshots/*.svg: every screen of flowtui on the sandbox's demo data.

    .venv/bin/python scripts/screenshots.py            # all of them, into screenshots/
    .venv/bin/python scripts/screenshots.py flows help # only these
    .venv/bin/python scripts/screenshots.py --check    # exit 1 if any is stale or missing

The app runs headless (Textual's test driver) against an in-process sandbox seeded with the
deterministic demo data, under a profile whose base URL is fixed, so the pictures only change
when the UI does. Nothing is written outside the output folder and a temporary folder.
``tests/test_screenshots.py`` regenerates them all and fails when one differs.

Adding a screen: write an ``async def`` that takes ``(app, pilot)`` and drives the app from the
customers view (or, with ``first_run=True``, from the login screen of a machine with no
profile) to the state to show, using keys as a user would, and decorate it with
``@scenario("file-name", "what it shows", "ScreenClassOnTop")``. Run the script, look at the
new SVG, commit it, and add a line for it to the README's "Screenshots" list. Logged-in
scenarios share one app and store (each starts on a fresh main screen), so a scenario must
not save anything; ``--separate`` runs each in its own app to check none leaks into another.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import filecmp
import os
import sys
import tempfile
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "screenshots"
SIZE = (100, 30)
DEMO_CUSTOMERS = 1_000
COMMAND = ".venv/bin/python scripts/screenshots.py"

Steps = Callable[[Any, Any], Awaitable[None]]


@dataclass(frozen=True)
class Scenario:
    name: str
    """The file name, without ``.svg``."""
    about: str
    """What the picture shows (for the README's list)."""
    screen: str
    """The class name of the screen on top in the picture (the test checks it, and that
    every screen of flowtui is in some picture)."""
    steps: Steps
    first_run: bool = False
    """Start with no profile (the login screen) instead of logged in on the customers view."""
    below: tuple[str, ...] = ()
    """Screens under the top one that the picture shows too (checked like ``screen``)."""
    alone: bool = False
    """Run in an app and store of its own: the scenario writes (to the store, the journal or
    the index) and must not change the pictures of the others."""


SCENARIOS: list[Scenario] = []
#: The sandbox store of the app running now (a scenario that writes fixes its ids with it).
STORE: Any = None
#: The sandbox settings of the app running now (a scenario may slow the store down).
SANDBOX_CONFIG: Any = None


def scenario(
    name: str,
    about: str,
    screen: str = "MainScreen",
    *,
    first_run: bool = False,
    below: tuple[str, ...] = (),
    alone: bool = False,
) -> Callable[[Steps], Steps]:
    """Register ``steps`` as the scenario producing ``screenshots/<name>.svg``."""

    def register(steps: Steps) -> Steps:
        assert all(s.name != name for s in SCENARIOS), f"two scenarios named {name}"
        SCENARIOS.append(Scenario(name, about, screen, steps, first_run, below, alone))
        return steps

    return register


# -- helpers the scenarios use ---------------------------------------------------------------


async def until(pilot, predicate: Callable[[], Any], timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        try:
            if predicate():
                return
        except Exception:
            pass
        if loop.time() > deadline:
            raise TimeoutError(f"the screen did not reach the expected state ({predicate})")
        await pilot.pause(0.02)


async def workers_done(app) -> None:
    """Until every worker has finished, also one started meanwhile; one cancelled meanwhile
    (a prefetch given up, an exclusive worker replaced) has finished too (Textual's
    ``wait_for_complete`` raises WorkerCancelled for it)."""
    from textual.worker import WorkerCancelled

    while running := [w for w in app.workers if not w.is_finished]:
        for worker in running:
            with contextlib.suppress(WorkerCancelled):
                await worker.wait()


async def settle(pilot) -> None:
    await workers_done(pilot.app)
    await pilot.pause()


async def keys(pilot, *keys: str) -> None:
    """Press keys (a multi-character string in the list is typed) and let workers finish."""
    for key in keys:
        if len(key) > 1 and not key.isidentifier() and "+" not in key:
            await pilot.press(*key)
        else:
            await pilot.press(key)
    await settle(pilot)


async def type_text(pilot, text: str, selector: str | None = None) -> None:
    """Put ``text`` in the focused input (or the ``selector`` one, focusing it), as typing
    it would (faster than key by key: the input posts the same events)."""
    widget = pilot.app.focused if selector is None else pilot.app.screen.query_one(selector)
    if selector is not None:
        widget.focus()
    widget.value = text
    widget.cursor_position = len(text)
    await settle(pilot)


async def customers_loaded(app, pilot) -> None:
    await until(pilot, lambda: app.main_screen() is not None)
    table = app.main_screen().query_one("#customers-table")
    await until(pilot, lambda: table.row_count > 0)
    await settle(pilot)


async def screen_is(pilot, name: str) -> None:
    await until(pilot, lambda: type(pilot.app.screen).__name__ == name)
    await settle(pilot)


async def flows_loaded(app, pilot) -> None:
    await customers_loaded(app, pilot)
    await pilot.press("f3")
    table = app.main_screen().query_one("#flows-table")
    await until(pilot, lambda: table.row_count > 0)
    await settle(pilot)


# -- the scenarios ---------------------------------------------------------------------------


@scenario("login", "first run: no profile yet, the login screen", "LoginScreen", first_run=True)
async def login(app, pilot) -> None:
    await screen_is(pilot, "LoginScreen")


@scenario("login-error", "the login form saying what is missing", "LoginScreen", first_run=True)
async def login_error(app, pilot) -> None:
    await screen_is(pilot, "LoginScreen")
    await type_text(pilot, "shop")
    await keys(pilot, "ctrl+t")


@scenario("customers", "the customers view (the README's picture)")
async def customers(app, pilot) -> None:
    await customers_loaded(app, pilot)


@scenario("customer-detail", "a customer's detail pane (`v`): their addresses and every attribute")
async def customer_detail(app, pilot) -> None:
    await customers_loaded(app, pilot)
    await keys(pilot, "down", "v")


@scenario(
    "columns", "choosing the browser's columns (`o`), custom fields included", "ColumnsScreen"
)
async def columns(app, pilot) -> None:
    await customers_loaded(app, pilot)
    await keys(pilot, "o")
    await screen_is(pilot, "ColumnsScreen")


@scenario(
    "customer-new-invalid", "the new-customer form with an invalid email", "NewCustomerScreen"
)
async def new_customer(app, pilot) -> None:
    await customers_loaded(app, pilot)
    await keys(pilot, "n")
    await until(pilot, lambda: bool(app.screen.query("FieldEditor")))
    await type_text(pilot, "Leslie Knope")
    await keys(pilot, "tab")
    await type_text(pilot, "leslie@pawnee")


@scenario(
    "customer-edit-invalid",
    "the customer editor: a loyalty tier out of range",
    "EditCustomerScreen",
)
async def edit_customer(app, pilot) -> None:
    await customers_loaded(app, pilot)
    await keys(pilot, "e")
    await until(pilot, lambda: bool(app.screen.query("#input-loyalty_tier")))
    await type_text(pilot, "9", "#input-loyalty_tier")


@scenario("customer-delete", "deleting a customer asks first, naming them", "ConfirmDialog")
async def delete_customer(app, pilot) -> None:
    await customers_loaded(app, pilot)
    await keys(pilot, "d")
    await screen_is(pilot, "ConfirmDialog")


@scenario(
    "customer-addresses",
    "a customer's addresses (`a`): a row each, custom values included",
    "AddressesScreen",
)
async def customer_addresses(app, pilot) -> None:
    await customers_loaded(app, pilot)
    await keys(pilot, "a")
    await until(pilot, lambda: getattr(app.screen, "loaded", False))
    await settle(pilot)


@scenario(
    "address-edit-invalid",
    "the address editor: a required postcode emptied, the country picker listing matches",
    "AddressEditorScreen",
)
async def edit_address(app, pilot) -> None:
    await customer_addresses(app, pilot)
    await keys(pilot, "e")
    await until(pilot, lambda: bool(app.screen.query("#input-country")))
    await settle(pilot)
    await type_text(pilot, "", "#input-postcode")
    await type_text(pilot, "ger", "#input-country")


@scenario("address-delete", "deleting an address asks first, naming it", "ConfirmDialog")
async def delete_address(app, pilot) -> None:
    await customer_addresses(app, pilot)
    await keys(pilot, "d")
    await screen_is(pilot, "ConfirmDialog")


@scenario("flows", "the flow designer: flows, and the fields of the highlighted one")
async def flows(app, pilot) -> None:
    await flows_loaded(app, pilot)


@scenario("flow-new", "the new-flow form: a core slug says what it extends", "FlowFormScreen")
async def new_flow(app, pilot) -> None:
    await flows_loaded(app, pilot)
    await keys(pilot, "n")
    await until(pilot, lambda: bool(app.screen.query("FieldEditor")))
    await type_text(pilot, "Customers")
    await keys(pilot, "tab")
    await type_text(pilot, "customers")


@scenario(
    "flow-delete-core", "deleting a core flow: type its slug to confirm", "TypedConfirmDialog"
)
async def delete_core_flow(app, pilot) -> None:
    await flows_loaded(app, pilot)
    await keys(pilot, "d")
    await screen_is(pilot, "TypedConfirmDialog")


@scenario(
    "field-new", "the field form: an integer with a range, checked as you type", "FieldFormScreen"
)
async def new_field(app, pilot) -> None:
    await flows_loaded(app, pilot)
    await keys(pilot, "tab", "a")
    await screen_is(pilot, "FieldFormScreen")
    await type_text(pilot, "Visits")
    app.screen.query_one("#ff-type").value = "integer"
    await settle(pilot)
    for selector, text in (("#ff-from", "0"), ("#ff-to", "1000"), ("#ff-default", "5000")):
        await type_text(pilot, text, selector)


@scenario("flow-preview", "the form a flow produces (`p`)", "PreviewScreen")
async def preview(app, pilot) -> None:
    await flows_loaded(app, pilot)
    await keys(pilot, "p")
    await screen_is(pilot, "PreviewScreen")


@scenario("entries", "the entries of a custom flow (wishlists)", "EntriesScreen")
async def entries(app, pilot) -> None:
    await flows_loaded(app, pilot)
    await keys(pilot, "down", "enter")
    await screen_is(pilot, "EntriesScreen")
    await until(pilot, lambda: app.screen.query_one("DataTable").row_count > 0)
    await settle(pilot)


@scenario(
    "entry-picker",
    "editing an entry: picking the customer it relates to",
    "RecordPicker",
    below=("EntriesScreen", "EntryFormScreen"),
)
async def entry_picker(app, pilot) -> None:
    await entries(app, pilot)
    await keys(pilot, "e")
    await screen_is(pilot, "EntryFormScreen")
    await until(pilot, lambda: bool(app.screen.query("FieldEditor")))
    app.screen.query_one("RelationRow Button").focus()
    await keys(pilot, "enter")
    await screen_is(pilot, "RecordPicker")
    await pilot.pause(0.2)
    await settle(pilot)


@scenario("help", "the keys that work where the focus is (`f1`)")
async def help_panel(app, pilot) -> None:
    await customers_loaded(app, pilot)
    await keys(pilot, "f1")


@scenario("palette", "the command palette (`ctrl+p`)", "Palette")
async def palette(app, pilot) -> None:
    await customers_loaded(app, pilot)
    await keys(pilot, "ctrl+p")
    await screen_is(pilot, "Palette")
    app.screen.query_one("Input").cursor_blink = False  # Textual's own input: blinks
    await type_text(pilot, "customer")
    await pilot.pause(0.3)


@scenario(
    "bulk-preview",
    "bulk edit: marked customers, the field and value, and the preview of every change",
    "BulkEditScreen",
)
async def bulk_preview(app, pilot) -> None:
    await customers_loaded(app, pilot)
    await keys(pilot, *["space"] * 6, "b")
    await screen_is(pilot, "BulkEditScreen")
    screen = app.screen
    await until(pilot, lambda: screen.fields)
    screen.query_one("#bulk-field").value = "contact_window"
    await type_text(pilot, "evening", "#bulk-value")
    await keys(pilot, "f10")
    await until(pilot, lambda: screen.stage == "preview")
    await settle(pilot)


@scenario(
    "find",
    "find by custom fields in the local index (`f`): delivery notes and loyalty tier",
    alone=True,
)
async def find(app, pilot) -> None:
    await customers_loaded(app, pilot)
    view = app.main_screen().query_one("CustomersView")
    await keys(pilot, "f")  # the first find builds the index
    await until(pilot, lambda: view.index is not None and view.index.synced_at is not None)
    await type_text(pilot, "delivery_notes:knope loyalty_tier>=4")
    await keys(pilot, "enter")
    await until(pilot, lambda: "matches" in str(view.query_one("#customers-status").render()))
    await settle(pilot)


@scenario(
    "search-local",
    "a search (`/`) answered first by the local index while the store's answer is on its way",
    alone=True,
)
async def search_local(app, pilot) -> None:
    await customers_loaded(app, pilot)
    view = app.main_screen().query_one("CustomersView")
    await keys(pilot, "f")  # builds the index
    await until(pilot, lambda: view.index is not None and view.index.synced_at is not None)
    await keys(pilot, "escape")
    await settle(pilot)
    SANDBOX_CONFIG.latency_ms = 60_000  # the store's answer is held until the app exits
    await pilot.press("slash")
    # The word at once, then enter with nothing waited for between them. Key by key, a busy
    # machine's pause between two keys let the search box's debounce search for a part of
    # the word first; and waiting for the workers after typing (type_text's settle) let the
    # debounce send the search, whose answer is held for 60 s, and waited for it: enter then
    # found the store's answer already there, and no local one was shown.
    box = app.focused
    box.value, box.cursor_position = "knope", len("knope")
    await pilot.press("enter")
    status = view.query_one("#customers-status")
    await until(pilot, lambda: str(status.render()).startswith("local index:"))
    await pilot.pause()


@scenario(
    "journal", "the journal of changes made with flowtui (`j`); `u` undoes", "JournalScreen",
    alone=True,
)  # fmt: skip
async def journal(app, pilot) -> None:
    import datetime as dt

    from flowtui.ops.undo import undo

    await customers_loaded(app, pilot)
    service = app.service
    counter = iter(range(1, 1000))
    STORE.ids = lambda: f"e{next(counter):07d}-demo"  # so the picture does not change
    ticks = iter(range(0, 3600, 97))
    start = dt.datetime(2026, 3, 4, 9, 30, tzinfo=dt.UTC)
    service.journal.clock = lambda: start + dt.timedelta(seconds=next(ticks))
    service.journal.display_name = "~/.local/share/flowtui/journal.jsonl"
    page = await service.list_customers(sort="email", limit=3)
    first, second, third = page.items
    await service.update_customer(first.id, {"name": "Leslie B. Knope", "loyalty_tier": 5})
    await service.update_customer(second.id, {"contact_window": "evening"})
    entry = await service.create_entry("wishlists", {"title": "Waffle iron", "priority": 1})
    await service.set_relationship("wishlists", entry.id, "owner", [("customer", third.id)])
    await undo(service, service.journal.last_change("demo"))
    await keys(pilot, "j")
    await screen_is(pilot, "JournalScreen")
    table = app.screen.query_one("#journal-table")
    await until(pilot, lambda: table.row_count == 5)
    await settle(pilot)


async def compare_planned(app, pilot, failure: bool = False) -> Any:
    """The compare view (flows view, ``C``) against a second sandbox under profile staging
    whose design differs: + flow brands and its field, delivery_notes described,
    contact_window an integer (a replace), lifetime_value gone (a delete, with prune). The
    plan with prune on, three items picked and the replace highlighted. ``failure``: another
    writer retypes delivery_notes here meanwhile, so applying that update will fail."""
    import httpx

    from flowtui.api.service import ApiService
    from flowtui.config.profiles import Profile, ProfileStore
    from flowtui.config.secrets import secret_store
    from flowtui.ops.connect import service_for
    from flowtui.sandbox import demo
    from flowtui.sandbox.app import SandboxConfig, create_app
    from flowtui.sandbox.store import Store

    other_url = "http://127.0.0.1:8711"
    store = Store(":memory:")
    demo.seed(store, 5)
    config = SandboxConfig(client_id="demo", client_secret="demo-secret", password_cost=16)
    there = create_app(config, store)
    profile = Profile(name="staging", base_url=other_url, client_id="demo")
    ProfileStore().save(profile)
    secret_store(profile).set_secret("staging", "demo-secret")
    factory = app.service_factory

    def both(resolved, **kwargs):
        if resolved.profile.base_url == other_url:
            transport = httpx.ASGITransport(app=there)
            return service_for(resolved, transport=transport, rate_limit=None, **kwargs)
        return factory(resolved, **kwargs)

    app.service_factory = both
    transport = httpx.ASGITransport(app=there)
    async with ApiService(other_url, "demo", "demo-secret", transport=transport) as s:
        customers = next(f for f in await s.list_flows() if f.slug == "customers")
        fields = {f.slug: f for f in await s.list_fields("customers")}
        brands = await s.create_flow("Brands", "brands", "Who makes it")
        await s.create_field(brands, name="Label", slug="label", field_type="string")
        notes = fields["delivery_notes"]
        await s.update_field(notes.id, flow_slug="customers", description="Gate codes too")
        window = fields["contact_window"]
        await s.delete_field(window, "customers")
        await s.create_field(
            customers,
            name="Contact window",
            slug="contact_window",
            field_type="integer",
            order=window.order,
        )
        await s.delete_field(fields["lifetime_value"], "customers")
    await flows_loaded(app, pilot)
    await keys(pilot, "C")
    await screen_is(pilot, "CompareScreen")
    screen = app.screen
    await keys(pilot, "enter")
    await until(pilot, lambda: screen.stage == "plan")
    await keys(pilot, "p")
    await until(pilot, lambda: len(screen.plan.items) == 5)
    await settle(pilot)
    # brands.label (its flow comes along), delivery_notes, lifetime_value; the replace last.
    await keys(pilot, "down", "space", "space", "down", "space", "ctrl+home")
    await keys(pilot, *["down"] * 3)
    if failure:
        here = app.service
        local = {f.slug: f for f in await here.list_fields("customers")}
        flow = next(f for f in await here.list_flows() if f.slug == "customers")
        await here.delete_field(local["delivery_notes"], "customers")
        await here.create_field(flow, name="Notes", slug="delivery_notes", field_type="integer")
        await settle(pilot)
    return screen


@scenario(
    "compare-plan",
    "compare with… (`C` in the flows view): another store's design beside this one's, "
    "items picked, the replace's every change below",
    "CompareScreen",
    alone=True,
)
async def compare_plan(app, pilot) -> None:
    await compare_planned(app, pilot)


@scenario(
    "compare-preview",
    "compare with…: the picked items before → after, before anything is sent",
    "CompareScreen",
    alone=True,
)
async def compare_preview(app, pilot) -> None:
    screen = await compare_planned(app, pilot)
    await keys(pilot, "f10")
    await until(pilot, lambda: screen.stage == "preview")
    await settle(pilot)


@scenario(
    "compare-failure",
    "compare with…: applied until a failure, listed per item with the store's reason",
    "CompareScreen",
    alone=True,
)
async def compare_failure(app, pilot) -> None:
    screen = await compare_planned(app, pilot, failure=True)
    await keys(pilot, "f10")
    await until(pilot, lambda: screen.stage == "preview")
    await keys(pilot, "f10", "y")
    await until(pilot, lambda: screen.applied)
    await settle(pilot)


# -- running them ----------------------------------------------------------------------------


@contextlib.contextmanager
def isolated_env() -> Iterator[None]:
    """flowtui's folders in a temporary one; no EPCC_* / FLOWTUI_PROFILE from outside."""
    keys_ = [f"FLOWTUI_{k}_DIR" for k in ("CONFIG", "DATA", "CACHE")]
    keys_ += ["EPCC_API_BASE_URL", "EPCC_CLIENT_ID", "EPCC_CLIENT_SECRET", "FLOWTUI_PROFILE"]
    saved = {k: os.environ.get(k) for k in keys_}
    with tempfile.TemporaryDirectory() as tmp:
        for key in keys_:
            os.environ.pop(key, None)
        for key in ("CONFIG", "DATA", "CACHE"):
            os.environ[f"FLOWTUI_{key}_DIR"] = f"{tmp}/{key.lower()}"
        try:
            yield
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


async def fresh_main_screen(app, pilot) -> None:
    """Back to the state a logged-in start reaches: only a new main screen over the splash."""
    from flowtui.ui.screens.main import MainScreen

    while len(app.screen_stack) > 1:
        await app.pop_screen()
    app.clear_notifications()
    await workers_done(app)
    await app.push_screen(MainScreen(app.resolved.profile, bool(app.service.is_sandbox)))
    await settle(pilot)


async def generate(
    out: Path = OUT, only: list[str] | None = None, share: bool = True
) -> dict[str, str]:
    """Write ``<out>/<name>.svg`` for each scenario (or those in ``only``); return
    ``{name: class name of the screen on top when the picture was taken}``. ``share``
    runs the logged-in scenarios in one app (``False``: one app each, slower)."""
    import httpx

    from flowtui.config.profiles import Profile, ProfileStore
    from flowtui.config.resolve import Resolved
    from flowtui.config.secrets import secret_store
    from flowtui.ops.connect import service_for
    from flowtui.sandbox import demo
    from flowtui.sandbox.app import SandboxConfig, create_app
    from flowtui.sandbox.store import Store
    from flowtui.ui.app import FlowApp

    unknown = set(only or ()) - {s.name for s in SCENARIOS}
    if unknown:
        raise SystemExit(f"no such screenshot: {', '.join(sorted(unknown))}")
    out.mkdir(parents=True, exist_ok=True)
    screens: dict[str, str] = {}
    with isolated_env():
        profiles = ProfileStore()
        profile = Profile(name="demo", base_url="http://127.0.0.1:8710", client_id="demo")
        profiles.save(profile)
        profiles.set_default("demo")
        secret_store(profile).set_secret("demo", "demo-secret")
        resolved = Resolved(profile=profile, secret="demo-secret", source="profile")
        empty = ProfileStore(Path(os.environ["FLOWTUI_CONFIG_DIR"]) / "empty.toml")
        chosen = [shot for shot in SCENARIOS if not only or shot.name in only]
        # Logged-in scenarios share one app (and store) when ``share``: each starts on a
        # fresh main screen, which looks exactly like a fresh start, for a third of the time.
        runs: list[list[Scenario]] = []
        for shot in chosen:
            shareable = not shot.first_run and not shot.alone
            if share and runs and shareable and not (runs[-1][0].first_run or runs[-1][0].alone):
                runs[-1].append(shot)
            else:
                runs.append([shot])
        for run in runs:
            global STORE, SANDBOX_CONFIG
            store = STORE = Store(":memory:")
            demo.seed(store, DEMO_CUSTOMERS)
            config = SandboxConfig(client_id="demo", client_secret="demo-secret", password_cost=16)
            sandbox = create_app(config, store)
            SANDBOX_CONFIG = config

            def factory(resolved, sandbox=sandbox, **kwargs):
                transport = httpx.ASGITransport(app=sandbox)
                return service_for(resolved, transport=transport, rate_limit=None, **kwargs)

            if run[0].first_run:
                app = FlowApp(empty, service_factory=factory, cursor_blink=False)
            else:
                app = FlowApp(
                    profiles, resolved=resolved, service_factory=factory, cursor_blink=False
                )
            async with app.run_test(size=SIZE) as pilot:
                for index, shot in enumerate(run):
                    if index:
                        await fresh_main_screen(app, pilot)
                    await shot.steps(app, pilot)
                    await pilot.pause(0.1)
                    stack = [type(s).__name__ for s in app.screen_stack]
                    screens[shot.name] = stack[-1]
                    expected = (shot.screen, *shot.below)
                    assert set(expected) <= set(stack), f"{shot.name}: {stack}, not {expected}"
                    app.save_screenshot(str(out / f"{shot.name}.svg"))
            store.close()
    return screens


def stale(fresh: Path, kept: Path = OUT) -> list[str]:
    """What differs between freshly made pictures and the kept ones, one line each."""
    made = {p.name for p in fresh.glob("*.svg")}
    have = {p.name for p in kept.glob("*.svg")}
    problems = [f"{name}: missing from {kept.name}/" for name in sorted(made - have)]
    problems += [f"{name}: no scenario makes it any more" for name in sorted(have - made)]
    problems += [
        f"{name}: differs"
        for name in sorted(made & have)
        if not filecmp.cmp(fresh / name, kept / name, shallow=False)
    ]
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="only these (default: all)")
    parser.add_argument("--check", action="store_true", help="only check; write nothing")
    parser.add_argument("--list", action="store_true", help="list the scenarios")
    parser.add_argument(
        "--separate", action="store_true", help="one app per scenario (slower; for checking)"
    )
    args = parser.parse_args(argv)
    if args.list:
        for shot in SCENARIOS:
            print(f"{shot.name:<22} {shot.about}")
        return 0
    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            asyncio.run(generate(Path(tmp), share=not args.separate))
            problems = stale(Path(tmp))
        if problems:
            print(f"screenshots are stale: run {COMMAND}", file=sys.stderr)
            print("\n".join(f"  {p}" for p in problems), file=sys.stderr)
            return 1
        print(f"{len(SCENARIOS)} screenshots up to date")
        return 0
    asyncio.run(generate(OUT, args.names or None, share=not args.separate))
    for name in args.names or [s.name for s in SCENARIOS]:
        print(f"screenshots/{name}.svg")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
