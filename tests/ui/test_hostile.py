"""Hostile text in every screen: shown literally, never driving the terminal, UI responsive.

Every string of the shared catalogue (tests/hostile.py: Rich and Textual markup, ANSI CSI,
screen clear, window title, OSC 8 and OSC 52, C1 controls, bidi overrides and isolates,
zero-width characters, lone surrogates, a 1 MB string) is planted straight in the sandbox's
store, so the JSON answers carry them exactly, lone surrogates as ``\\ud800`` escapes: in
customer names, emails and custom fields, enum options, flow and field names and
descriptions, entry values; and a hostile server's error messages (422, 401) carry them too.
The test then walks every screen with keys and on each one checks that

* no segment a widget drew holds a control character (ESC, BEL, C1, bidi control, lone
  surrogate), and the exact text that would be written to the terminal holds no sequence
  the toolkit never writes itself (OSC, BEL, C1, screen clear) and encodes as UTF-8;
* the same holds for the SVG screenshot;
* the strings appear in their literal, escaped form (the *probes*);
* a key press is handled within :data:`KEY_BUDGET` seconds, with the 1 MB value present.

Snapshots of the editor, the designer and the entries screen with hostile data are the
visual evidence.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import time
from typing import Any

from rich.text import Text
from textual.app import App
from textual.command import CommandPalette
from textual.widgets import Input, Label, Select

from flowtui.config.profiles import ProfileStore
from flowtui.sandbox import demo
from flowtui.ui.app import FlowApp
from flowtui.ui.screens.customer_editor import ConflictScreen, EditCustomerScreen
from flowtui.ui.screens.designer_dialogs import PreviewScreen, TypedConfirmDialog
from flowtui.ui.screens.dialogs import ConfirmDialog, MessageDialog
from flowtui.ui.screens.entries import EntriesScreen, EntryFormScreen
from flowtui.ui.screens.field_form import FieldFormScreen
from flowtui.ui.screens.flow_form import FlowFormScreen
from flowtui.ui.screens.login import LoginScreen
from flowtui.ui.screens.main import MainScreen
from flowtui.ui.widgets.customers import detail_text
from flowtui.ui.widgets.safe import install_terminal_guard
from tests.hostile import CATALOGUE, MEGABYTE, output_problems, segment_problems
from tests.ui.conftest import (
    CLIENT_ID,
    CLIENT_SECRET,
    build_app,
    logged_in_app,
    seeded_sandbox,
    until,
    wait_for_customers,
)
from tests.ui.designer_helpers import open_designer, select_field, select_flow

#: Seconds a key press may take to be handled on any screen (measured: well under 0.2 s).
KEY_BUDGET = 2.0
SIZE = (120, 36)
#: Everything TEXT columns can hold, in one string (flow, field and customer names).
COMBINED = " ".join(h.text for h in CATALOGUE if h.in_text_columns and len(h.text) < 1000)
ALL_SHORT = [h.text for h in CATALOGUE if len(h.text) < 1000]
#: Per screen: the catalogue strings seen there and the slowest key press (for the report).
SEEN: dict[str, set[str]] = {}
SLOWEST: dict[str, float] = {}


class HostileServer:
    """The sandbox behind a switch: when ``errors`` is set, writes to ``/v2`` answer 422 with
    those hostile error items, and ``token_error`` answers the token endpoint 401 with one,
    as a hostile store would. Everything else is the real sandbox."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.state = app.state
        self.errors: list[dict] | None = None
        self.token_error: dict | None = None

    async def __call__(self, scope, receive, send) -> None:
        path, method = scope.get("path", ""), scope.get("method", "")
        reply = None
        if self.errors and path.startswith("/v2/") and method in ("POST", "PUT", "DELETE"):
            reply = (422, {"errors": self.errors})
        elif self.token_error and path == "/oauth/access_token":
            reply = (401, {"errors": [self.token_error]})
        if reply is None:
            await self.app(scope, receive, send)
            return
        body = json.dumps(reply[1]).encode()  # lone surrogates as \ud800 escapes
        await send(
            {
                "type": "http.response.start",
                "status": reply[0],
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": body})


def plant(store) -> dict[str, str]:
    """Hostile flows, fields, entries and customers, written straight into the store."""
    customers = store.get_flow_by_slug("customers")
    fields = {f["slug"]: f for f in store.list_fields(customers["id"])}
    enum = fields["contact_window"]
    options = ["morning", "afternoon", "evening", "any", *ALL_SHORT]
    store.update_field(enum["id"], {"validation_rules": [{"type": "enum", "options": options}]})
    notes = store.create_field(
        {
            "flow_id": customers["id"],
            "name": COMBINED,
            "slug": "hostile_notes",
            "field_type": "string",
            "description": COMBINED,
            "required": False,
            "enabled": True,
            "order": 7,
            "omit_null": False,
            "validation_rules": [],
            "default": None,
        }
    )
    ids = {}
    for i, h in enumerate(CATALOGUE):
        name = h.text if h.in_text_columns else h.name
        row = store.create_customer(
            name=f"zz {name}",
            email=f"{i}{name if len(name) < 100 else ''}@evil.test",
            password_hash=None,
            external_ref=h.text if h.in_text_columns else None,
            custom={
                fields["delivery_notes"]["id"]: h.text,
                notes["id"]: h.text,
                enum["id"]: h.text,
            },
        )
        ids[h.name] = row["id"]
    wish = store.get_flow_by_slug("wishlists")
    store.update_flow(wish["id"], {"description": COMBINED})
    choice = store.create_field(
        {
            "flow_id": wish["id"],
            "name": COMBINED,
            "slug": "hostile_choice",
            "field_type": "string",
            "description": COMBINED,
            "required": False,
            "enabled": True,
            "order": 4,
            "omit_null": False,
            "validation_rules": [{"type": "enum", "options": ALL_SHORT}],
            "default": None,
        }
    )
    title = next(f for f in store.list_fields(wish["id"]) if f["slug"] == "title")
    for h in CATALOGUE:
        store.create_entry(wish["id"], {title["id"]: h.text, choice["id"]: h.text})
    for i, h in enumerate(CATALOGUE):
        if h.in_text_columns:
            store.create_flow(h.text, f"hostile_{i}", h.text, True)
    return ids


def written(app: App) -> tuple[list[str], str]:
    """The text of every segment on screen (the modal's background included) and the exact
    text a full repaint writes to the terminal."""
    update = app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    texts = [seg.text for strip in update.strips for seg in strip]
    return texts, update.render_segments(app.console)


async def check(pilot, screen: str) -> None:
    """The checks of the module docstring, on what is on screen now."""
    app = pilot.app
    # Let loads finish; a worker may be waiting on this very screen (a save waits for the
    # conflict choice), so poll for a second rather than await (which could cancel it).
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline and not all(w.is_finished for w in app.workers):
        await pilot.pause(0.02)
    await pilot.pause()
    texts, out = written(app)
    assert segment_problems(texts) == [], f"{screen}: control characters on screen"
    assert click_actions(app) == [], f"{screen}: store markup made a clickable action"
    assert output_problems(out) == [], f"{screen}: terminal output"
    svg = app.export_screenshot()
    assert output_problems(svg) == [] and "\x1b" not in svg, f"{screen}: screenshot"
    plain = "".join(texts)
    seen = SEEN.setdefault(screen, set())
    seen.update(h.name for h in CATALOGUE if h.probe in plain)
    started = time.perf_counter()
    await pilot.press("f12")  # bound to nothing: the app still routes it
    await pilot.pause()
    slowest = time.perf_counter() - started
    SLOWEST[screen] = max(SLOWEST.get(screen, 0.0), slowest)
    assert slowest < KEY_BUDGET, f"{screen}: a key press took {slowest:.2f} s"


def hostile_app() -> tuple[FlowApp, HostileServer, dict[str, str]]:
    sandbox = seeded_sandbox(20)
    store = sandbox.state.store
    # Fixed ids and times, so snapshots are stable.
    store.ids = demo._seeded_ids(random.Random(7))
    store.clock = demo._clock(dt.datetime(2026, 1, 2, 3, 4, 5))
    ids = plant(store)
    server = HostileServer(sandbox)
    return logged_in_app(server), server, ids


async def test_the_client_receives_real_lone_surrogates():
    """The store's JSON answer carries ``\\ud800`` and flowtui's service decodes it as a lone
    surrogate (the API itself would have stored U+FFFD)."""
    app, server, ids = hostile_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_customers(pilot)
        customer = await app.service.get_customer(ids["lone surrogates"])
        assert customer.custom["delivery_notes"] == "lone\ud800sur\udfffrogate"
        megabyte = await app.service.get_customer(ids["one megabyte"])
        assert len(megabyte.custom["delivery_notes"]) == MEGABYTE
    server.state.store.close()


def report(capsys) -> None:
    """The figures for the README (``-s`` shows them)."""
    shown = sum(len(names) for names in SEEN.values())
    with capsys.disabled():
        print(
            f"\nhostile strings x screens tried: {len(CATALOGUE)} x {len(SEEN)} = "
            f"{len(CATALOGUE) * len(SEEN)}; probes seen on screen: {shown}; slowest key "
            f"press {max(SLOWEST.values()):.3f} s"
        )
        for screen in sorted(SEEN):
            print(f"  {screen}: {len(SEEN[screen])} seen, key press ≤ {SLOWEST[screen]:.3f} s")


async def test_every_screen_shows_hostile_text_literally_and_stays_responsive(capsys):
    app, server, ids = hostile_app()
    async with app.run_test(size=SIZE) as pilot:
        view = await wait_for_customers(pilot)
        # The hostile customers are the newest: first on the page, 1 MB one at the cursor.
        assert view.highlighted().id == ids["one megabyte"]
        await check(pilot, "customers table")
        await pilot.press("v")
        await check(pilot, "detail pane")
        detail = detail_text(view.highlighted(), view.fields).plain
        assert "… (1,048,576 characters)" in detail and len(detail) < 20_000
        await pilot.press("down")  # the detail pane follows the cursor
        await check(pilot, "detail pane")
        await pilot.press("v")

        # The editor, on the 1 MB customer and on an escape-laden one.
        await pilot.press("ctrl+home")
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, EditCustomerScreen))
        await check(pilot, "customer editor")
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, MainScreen))
        for _ in range(8):
            await pilot.press("down")
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, EditCustomerScreen))
        form = app.screen
        await check(pilot, "customer editor")

        # A conflict: the customer changes in the store behind the form's back.
        customer_id = view.highlighted().id
        server.state.store.update_customer(customer_id, {"name": COMBINED})
        tier = form.query_one("#input-loyalty_tier", Input)
        tier.focus()
        tier.value = "4"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, ConflictScreen))
        await check(pilot, "conflict screen")
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is form and not form.saving)

        # The store refuses the save with hostile messages, one on a field, one general.
        server.errors = [
            {"status": 422, "title": COMBINED, "detail": COMBINED, "source": "data.name"},
            {"status": "422", "title": ALL_SHORT[3], "detail": ALL_SHORT[5]},
        ]
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, ConflictScreen))
        await pilot.press("m")
        await until(pilot, lambda: app.screen is form and not form.saving)
        await check(pilot, "editor with server errors")
        server.errors = None
        form.query_one("#input-loyalty_tier", Input).value = ""
        await pilot.pause()
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, EditCustomerScreen), 5)
        if isinstance(app.screen, ConfirmDialog):  # "discard your changes?"
            await check(pilot, "discard confirmation")
            await pilot.press("y")
        await until(pilot, lambda: isinstance(app.screen, MainScreen))

        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await check(pilot, "delete customer confirmation")
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, MainScreen))

        # The designer: flows and fields with hostile names, forms, preview, deletes.
        designer = await open_designer(pilot)
        await check(pilot, "flows designer")
        await select_flow(pilot, "hostile_3")
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, FlowFormScreen))
        await check(pilot, "flow form")
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, MainScreen))
        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog | TypedConfirmDialog))
        await check(pilot, "delete flow confirmation")
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, MainScreen))

        await select_field(pilot, "customers", "hostile_notes")
        await check(pilot, "fields of a flow")
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, FieldFormScreen))
        await check(pilot, "field form")
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, MainScreen))
        await select_field(pilot, "customers", "contact_window")
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, FieldFormScreen))
        await check(pilot, "field form")
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, MainScreen))
        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog | TypedConfirmDialog))
        await check(pilot, "delete field confirmation")
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, MainScreen))
        await pilot.press("p")
        await until(pilot, lambda: isinstance(app.screen, PreviewScreen))
        await check(pilot, "form preview")
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, MainScreen))

        # A write the store refuses with several hostile messages: the error dialog.
        await select_flow(pilot, "wishlists")
        server.errors = [
            {"status": 422, "title": t, "detail": t, "source": "data"} for t in ALL_SHORT
        ]
        await pilot.press("space")
        await until(pilot, lambda: isinstance(app.screen, MessageDialog))
        await check(pilot, "error dialog")
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, MainScreen))
        # One hostile message: a toast.
        server.errors = [{"status": 422, "title": "x", "detail": COMBINED}]
        await pilot.press("space")
        await until(pilot, lambda: len(app._notifications) > 0)
        await check(pilot, "error toast")
        server.errors = None
        app.clear_notifications()

        # Entries of the custom flow, and the entry form.
        await select_flow(pilot, "wishlists")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, EntriesScreen))
        await until(pilot, lambda: app.screen.query_one("DataTable").row_count > 3)
        await check(pilot, "entries")
        entries = app.screen
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, EntryFormScreen))
        await check(pilot, "entry form")
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is entries)
        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await check(pilot, "delete entry confirmation")
        await pilot.press("n")
        await until(pilot, lambda: app.screen is entries)
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, MainScreen))
        assert designer.loaded

        # The palette, over all of it.
        await pilot.press("ctrl+p")
        await until(pilot, lambda: isinstance(app.screen, CommandPalette))
        app.screen.query_one(Input).value = "profile"
        await check(pilot, "command palette")
        await pilot.press("escape")
    server.state.store.close()
    # Every screen showed some of the catalogue literally (escaped), not just nothing.
    assert all(SEEN.values()), SEEN
    assert len(SEEN) >= 20
    report(capsys)


async def test_a_hostile_login_error_is_shown_literally():
    sandbox = seeded_sandbox(5)
    server = HostileServer(sandbox)
    server.token_error = {"status": 401, "title": COMBINED, "detail": COMBINED}
    app = build_app(server, profiles=ProfileStore())
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, LoginScreen))
        screen = app.screen
        screen.query_one("#name", Input).value = "evil"
        await pilot.pause()
        from textual.widgets import Select

        screen.query_one("#region", Select).value = "custom"
        await pilot.pause()
        screen.query_one("#url", Input).value = "http://127.0.0.1:8710"
        screen.query_one("#client-id", Input).value = CLIENT_ID
        screen.query_one("#secret", Input).value = CLIENT_SECRET
        await pilot.pause()
        await pilot.press("ctrl+t")
        message = screen.query_one("#login-message")
        await until(pilot, lambda: "x1b" in str(message.render()))
        await check(pilot, "login error")
    sandbox.state.store.close()


async def test_the_guard_keeps_controls_off_the_terminal_whoever_forgets_to_escape():
    """A widget given raw control characters (as an f-string title would) draws none."""
    install_terminal_guard()

    class Careless(App):
        def compose(self):
            yield Label(Text("".join(ALL_SHORT)))
            yield Input(value="".join(ALL_SHORT))

        def on_mount(self) -> None:
            App.notify(self, "".join(ALL_SHORT), markup=False)  # not FlowApp's escaping

    app = Careless()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        texts, out = written(app)
        assert segment_problems(texts) == []
        assert output_problems(out) == []
        assert "[bold red]alarm[/]" in "".join(texts)  # markup still shown literally


# -- snapshots: the visual evidence ----------------------------------------------------------


def test_snapshot_hostile_customers_and_editor(snap_compare):
    app, _server, _ = hostile_app()

    async def run_before(pilot) -> None:
        await wait_for_customers(pilot)
        for _ in range(8):
            await pilot.press("down")
        await pilot.press("e")
        await until(pilot, lambda: isinstance(pilot.app.screen, EditCustomerScreen))
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_snapshot_hostile_designer(snap_compare):
    app, _server, _ = hostile_app()

    async def run_before(pilot) -> None:
        await open_designer(pilot)
        await select_field(pilot, "customers", "hostile_notes")
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_snapshot_hostile_entries_and_error_dialog(snap_compare):
    app, server, _ = hostile_app()

    async def run_before(pilot) -> None:
        await open_designer(pilot)
        await select_flow(pilot, "wishlists")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(pilot.app.screen, EntriesScreen))
        await until(pilot, lambda: pilot.app.screen.query_one("DataTable").row_count > 3)
        server.errors = [{"status": 422, "title": t, "detail": t} for t in ALL_SHORT[:8]]
        await pilot.press("d")
        await until(pilot, lambda: isinstance(pilot.app.screen, ConfirmDialog))
        await pilot.press("y")
        await until(pilot, lambda: isinstance(pilot.app.screen, MessageDialog))
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


async def test_copying_drops_control_characters_and_lone_surrogates():
    app = build_app(seeded_sandbox(1), profiles=ProfileStore())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.copy_to_clipboard("a\x1b]52;c;eA==\x07b\ud800c\u202ed")
        assert app.clipboard == "a]52;c;eA==b\ufffdcd"


# -- enum options: markup, actions and objects (issue 15, items 1 and 12) --------------------

#: The option that quit flowtui when its ``q`` was clicked.
MARKUP_ACTION = "[bold red]MARK[/] [@click=app.quit]q[/]"
ESCAPES = "\x1b]0;PWNED\x07 ri\u202egh\u200bt"
#: What a misbehaving store (or a proxy) may serve as enum options besides strings.
#: Options of other types than text that a store may send and the model keeps (objects, lists
#: and null are refused at the edge in one sentence: tests/ui/test_malformed_answers.py).
ODD_OPTIONS = [7, True, 2.5]


def odd_enum_app() -> tuple[FlowApp, Any, str]:
    """A store whose ``contact_window`` enum holds markup, actions, escapes and numbers, with
    a markup default, and whose newest customer holds the markup action in that field."""
    sandbox = seeded_sandbox(5)
    store = sandbox.state.store
    customers = store.get_flow_by_slug("customers")
    enum = next(f for f in store.list_fields(customers["id"]) if f["slug"] == "contact_window")
    options = ["morning", MARKUP_ACTION, ESCAPES, *ODD_OPTIONS]
    store.update_field(
        enum["id"],
        {"validation_rules": [{"type": "enum", "options": options}], "default": MARKUP_ACTION},
    )
    row = store.create_customer(
        name="Odd Options",
        email="odd@example.test",
        password_hash=None,
        external_ref=None,
        custom={enum["id"]: MARKUP_ACTION},
    )
    return logged_in_app(sandbox), sandbox, row["id"]


def click_actions(app: App) -> list[str]:
    """The ``@click`` actions carried by the segments on screen (markup made them)."""
    update = app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    segments = [seg for line in update.strips for strip in line for seg in strip]
    texts_and_meta = [
        (seg.text, seg.style.meta.get("@click"))
        for seg in segments
        if seg.style is not None and seg.style.meta
    ]
    return [f"{text!r}: {action}" for text, action in texts_and_meta if action]


async def test_enum_options_are_shown_literally_and_clicking_them_never_runs_an_action():
    """Every option (markup, an ``[@click=app.quit]`` action, escapes, numbers) and the
    default in the hint are shown as sent; clicking every cell of the open choice list and of
    the hint runs no action; every option can be chosen and reads back as itself."""
    app, sandbox, odd_id = odd_enum_app()
    async with app.run_test(size=SIZE) as pilot:
        view = await wait_for_customers(pilot)
        assert view.highlighted().id == odd_id  # the newest customer, at the cursor
        await pilot.press("v")  # the detail pane shows the value as sent
        await pilot.pause()
        detail = detail_text(view.highlighted(), view.fields).plain
        assert MARKUP_ACTION in detail
        await pilot.press("v")
        await pilot.press("e")  # crashed with TypeError (unhashable dict) before
        await until(pilot, lambda: isinstance(app.screen, EditCustomerScreen))
        form = app.screen
        editor = form.query_one("#field-contact_window")
        select = form.query_one("#input-contact_window", Select)
        # The customer's value is the current choice.
        assert editor.value()[0] == MARKUP_ACTION
        editor.scroll_visible(animate=False)
        await pilot.pause()
        hint = f"string, default {MARKUP_ACTION}"
        assert hint in "".join(written(app)[0])
        select.focus()
        await pilot.press("enter")  # open the choice list
        await until(pilot, lambda: select.expanded)
        await pilot.pause()
        texts, out = written(app)
        shown = "".join(texts)
        for probe in (MARKUP_ACTION, "\\x1b]0;PWNED\\x07 ri\\u202egh\\u200bt", "2.5"):
            assert probe in shown, probe
        assert segment_problems(texts) == [] and output_problems(out) == []
        assert click_actions(app) == []
        # Click each row of the open list (a click picks an option and closes the list), then
        # every cell of the action's row where parsed markup would draw "MARK q" (the cells
        # after it hold plain text: no segment carries an action, checked above).
        overlay = select.query_one("SelectOverlay")
        region = overlay.region
        action_row = None

        async def click(x: int, y: int) -> None:
            if not select.expanded:
                select.focus()
                await pilot.press("enter")
                await until(pilot, lambda: select.expanded)
            await pilot.click(offset=(x, y))
            await pilot.pause()
            assert app.is_running and app.return_code is None, (x, y)

        for y in range(region.y, region.bottom):
            await click(region.x + 3, y)
            if select.value == MARKUP_ACTION:
                action_row = y
        assert action_row is not None
        for x in range(region.x, region.x + 12):
            await click(x, action_row)
        hint_label = editor.query_one(".field-hint")
        for x in range(hint_label.region.x, hint_label.region.right):
            await pilot.click(offset=(x, hint_label.region.y))
        await pilot.pause()
        assert app.is_running and app.return_code is None
        assert app.screen is form
        # Each odd option can be chosen and reads back as itself.
        for option in ODD_OPTIONS:
            choice = next(c for c in editor.choices if getattr(c, "option", c) == option)
            select.value = choice
            await pilot.pause()
            assert editor.value()[0] == option
    sandbox.state.store.close()


async def test_the_action_detector_sees_markup_actions():
    """:func:`click_actions` finds the action a parsed ``[@click=…]`` leaves on screen (so
    the empty lists above mean something)."""

    class Parsed(App):
        def compose(self):
            yield Label(MARKUP_ACTION)  # a plain str: parsed as markup

    app = Parsed()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert click_actions(app) == ["'q': app.quit"]
