"""Regenerate screenshots/*.svg: every screen of flowtui on the sandbox's demo data.

    .venv/bin/python scripts/screenshots.py [NAME ...]     # default: every one

The app runs headless (Textual's test driver) against an in-process sandbox seeded with the
deterministic demo data, under a profile whose base URL is fixed, so the pictures only change
when the UI does. Nothing is written outside screenshots/ and a temporary folder.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "screenshots"
SIZE = (100, 30)
DEMO_CUSTOMERS = 1_000


async def until(pilot, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise TimeoutError("the screen did not reach the expected state")
        await pilot.pause(0.05)


async def shoot(name: str, make_app, steps: Callable[[object, object], Awaitable[None]]) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await steps(app, pilot)
        await pilot.pause(0.2)
        app.save_screenshot(str(OUT / f"{name}.svg"))
    print(f"screenshots/{name}.svg")


async def main() -> None:
    import httpx

    from flowtui.api.connect import service_for
    from flowtui.app import FlowApp
    from flowtui.config.profiles import Profile, ProfileStore
    from flowtui.config.resolve import Resolved
    from flowtui.config.secrets import secret_store
    from flowtui.sandbox import demo
    from flowtui.sandbox.app import SandboxConfig, create_app
    from flowtui.sandbox.store import Store

    OUT.mkdir(exist_ok=True)
    store = Store(":memory:")
    demo.seed(store, DEMO_CUSTOMERS)
    sandbox = create_app(SandboxConfig(client_id="demo", client_secret="demo-secret"), store)
    profiles = ProfileStore()
    profile = Profile(name="demo", base_url="http://127.0.0.1:8710", client_id="demo")
    profiles.save(profile)
    profiles.set_default("demo")
    secret_store(profile).set_secret("demo", "demo-secret")
    resolved = Resolved(profile=profile, secret="demo-secret", source="profile")

    def factory(resolved, **kwargs):
        transport = httpx.ASGITransport(app=sandbox)
        return service_for(resolved, transport=transport, rate_limit=None, **kwargs)

    def logged_in():
        return FlowApp(profiles, resolved=resolved, service_factory=factory, cursor_blink=False)

    def first_run():
        empty = ProfileStore(Path(os.environ["FLOWTUI_CONFIG_DIR"]) / "empty.toml")
        return FlowApp(empty, service_factory=factory, cursor_blink=False)

    async def loaded(app, pilot) -> None:
        await until(pilot, lambda: app.main_screen() is not None)
        table = app.main_screen().query_one("#customers-table")
        await until(pilot, lambda: table.row_count > 0)

    async def nothing(app, pilot) -> None:
        await pilot.pause(0.3)

    async def login_error(app, pilot) -> None:
        await pilot.pause(0.3)
        for key in "shop":
            await pilot.press(key)
        await pilot.press("ctrl+t")
        await pilot.pause(0.3)

    async def flows(app, pilot) -> None:
        await loaded(app, pilot)
        await pilot.press("f3")
        table = app.main_screen().query_one("#flows-table")
        await until(pilot, lambda: table.row_count > 0)

    async def help_panel(app, pilot) -> None:
        await loaded(app, pilot)
        await pilot.press("f1")

    async def palette(app, pilot) -> None:
        await loaded(app, pilot)
        await pilot.press("ctrl+p")
        await pilot.pause(0.2)
        for key in "customer":
            await pilot.press(key)
        await pilot.pause(0.3)

    async def new_customer(app, pilot) -> None:
        await loaded(app, pilot)
        await pilot.press("n")
        await until(pilot, lambda: bool(app.screen.query("FieldEditor")))
        for key in "Leslie Knope":
            await pilot.press(key)
        await pilot.press("tab")
        for key in "leslie@pawnee":
            await pilot.press(key)
        await pilot.pause(0.2)

    async def new_flow(app, pilot) -> None:
        await loaded(app, pilot)
        await pilot.press("f3")
        await pilot.press("n")
        await until(pilot, lambda: bool(app.screen.query("FieldEditor")))
        for key in "Customers":
            await pilot.press(key)
        await pilot.press("tab")
        for key in "customers":
            await pilot.press(key)
        await pilot.pause(0.2)

    async def journal(app, pilot) -> None:
        import datetime as dt

        await loaded(app, pilot)
        service = app.service
        counter = iter(range(1, 1000))
        store.ids = lambda: f"e{next(counter):07d}-demo"  # so the picture does not change
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
        from flowtui.undo import undo

        await undo(service, service.journal.last_change("demo"))
        await pilot.press("j")
        await until(pilot, lambda: bool(app.screen.query("#journal-table")))
        table = app.screen.query_one("#journal-table")
        await until(pilot, lambda: table.row_count == 5)

    async def find(app, pilot) -> None:
        await loaded(app, pilot)
        view = app.main_screen().query_one("CustomersView")
        await pilot.press("f")  # the first find builds the index
        await until(pilot, lambda: view.index is not None and view.index.synced_at is not None)
        for key in "delivery_notes:knope loyalty_tier>=4":
            await pilot.press(key)
        await pilot.press("enter")
        await until(pilot, lambda: "matches" in str(view.query_one("#customers-status").render()))

    shots = [
        ("login", first_run, nothing),
        ("login-error", first_run, login_error),
        ("customers", logged_in, loaded),
        ("flows", logged_in, flows),
        ("help", logged_in, help_panel),
        ("palette", logged_in, palette),
        ("customer-new-invalid", logged_in, new_customer),
        ("flow-new", logged_in, new_flow),
        ("journal", logged_in, journal),
        ("find", logged_in, find),
    ]
    wanted = set(sys.argv[1:])
    for name, make, steps in shots:
        if not wanted or name in wanted:
            await shoot(name, make, steps)
    store.close()


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        for key in ("CONFIG", "DATA", "CACHE"):
            os.environ[f"FLOWTUI_{key}_DIR"] = f"{tmp}/{key.lower()}"
        for key in ("EPCC_API_BASE_URL", "EPCC_CLIENT_ID", "EPCC_CLIENT_SECRET", "FLOWTUI_PROFILE"):
            os.environ.pop(key, None)
        sys.path.insert(0, str(ROOT))
        asyncio.run(main())
