"""The main screen: the customers and flows views, global keys, help, keymap, and server
text shown literally. Every test runs against the demo-seeded in-process sandbox."""

from __future__ import annotations

import ast
from pathlib import Path

from rich.text import Text
from textual.widgets import ContentSwitcher, DataTable

from flowtui.config.profiles import ProfileStore
from flowtui.ui.screens.forms import NewCustomerScreen
from flowtui.ui.screens.main import MainScreen
from flowtui.ui.widgets.flows import FlowsView
from flowtui.ui.widgets.keys import key_groups
from tests.ui.conftest import (
    SEEDED,
    build_app,
    logged_in_app,
    save_profile,
    seeded_sandbox,
    until,
    wait_for_customers,
    workers_done,
)

WIDGETS = Path(__file__).resolve().parents[2] / "flowtui" / "ui" / "widgets"


def imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports, at any level (function bodies included)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def test_no_widget_imports_a_screen():
    """Screens push screens; widgets post messages (``CustomersView.EditAsked``, ...)."""
    modules = sorted(WIDGETS.rglob("*.py"))
    assert len(modules) > 10
    offenders = {
        str(path.relative_to(WIDGETS)): sorted(
            name for name in imported_modules(path) if name.startswith("flowtui.ui.screens")
        )
        for path in modules
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def help_open(app) -> bool:
    return len(app.screen.query("HelpPanel")) == 1


def status(app) -> str:
    return str(app.screen.query_one("#customers-status").render())


def flows_loaded(app) -> bool:
    return app.screen.query_one(FlowsView).table.row_count > 0


async def test_customers_view_shows_the_first_page(sandbox):
    app = logged_in_app(sandbox)
    async with app.run_test(size=(120, 36)) as pilot:
        view = await wait_for_customers(pilot)
        assert [type(s).__name__ for s in app.screen_stack] == ["SplashScreen", "MainScreen"]
        assert view.table.row_count == 100
        assert status(app) == f"1-100 of {SEEDED} customers"
        # The custom fields of the customers flow are columns.
        labels = [str(c.label) for c in view.table.columns.values()]
        assert labels[:2] == ["Name", "Email"] and labels[-1] == "Created"
        assert len(labels) > 3
        # The header says where we are.
        header = {w.id: str(w.render()) for w in app.screen.query("#store-header Label") if w.id}
        assert header["header-profile"] == "profile pawnee"
        assert header["header-host"] == "127.0.0.1:8710"
        assert header["header-kind"] == "SANDBOX"
        assert header["header-view"] == "Customers"
        assert "header-readonly" not in header
        assert app.focused is view.table


async def test_paging_with_brackets(sandbox):
    app = logged_in_app(sandbox)
    async with app.run_test(size=(120, 36)) as pilot:
        view = await wait_for_customers(pilot)
        first = view.highlighted()
        await pilot.press("right_square_bracket")
        await until(pilot, lambda: status(app) == f"101-200 of {SEEDED} customers")
        assert view.pager.position == 100 and view.highlighted() != first
        await pilot.press("right_square_bracket")
        await until(pilot, lambda: status(app) == f"201-{SEEDED} of {SEEDED} customers")
        assert view.table.row_count == SEEDED - 200
        await pilot.press("right_square_bracket")  # the last page: nothing further
        await workers_done(app)
        assert view.pager.position == 200
        await pilot.press("left_square_bracket")
        await until(pilot, lambda: status(app) == f"101-200 of {SEEDED} customers")


async def test_f2_f3_switch_views(sandbox):
    app = logged_in_app(sandbox)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for_customers(pilot)
        switcher = app.screen.query_one("#views", ContentSwitcher)
        await pilot.press("f3")
        assert switcher.current == "flows"
        assert str(app.screen.query_one("#header-view").render()) == "Flows"
        await until(pilot, lambda: flows_loaded(app))
        flows = app.screen.query_one(FlowsView)
        assert app.focused is flows.table
        slugs = sorted(str(flows.table.get_row_at(i)[1]) for i in range(flows.table.row_count))
        assert slugs == ["addresses", "customers", "wishlists"]
        assert str(app.screen.query_one("#flows-status").render()) == "3 flows"
        await pilot.press("f2")
        assert switcher.current == "customers"
        assert str(app.screen.query_one("#header-view").render()) == "Customers"


async def test_c_copies_the_highlighted_customers_email(sandbox):
    app = logged_in_app(sandbox)
    async with app.run_test(size=(120, 36)) as pilot:
        view = await wait_for_customers(pilot)
        await pilot.press("down", "down")
        expected = view.customers[
            view.table.coordinate_to_cell_key(view.table.cursor_coordinate).row_key.value
        ].email
        assert view.table.cursor_row == 2
        await pilot.press("c")
        assert app.clipboard == expected
        assert expected == str(view.table.get_row_at(2)[1])
        await pilot.press("C")
        assert app.clipboard == view.highlighted().id


async def test_help_toggles_with_f1_and_question_mark(sandbox):
    app = logged_in_app(sandbox)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for_customers(pilot)
        assert not help_open(app)
        await pilot.press("f1")
        assert help_open(app)
        await pilot.press("f1")
        assert not help_open(app)
        await pilot.press("question_mark")
        assert help_open(app)
        await pilot.press("question_mark")
        assert not help_open(app)


async def test_help_at_80x24_shows_the_views_own_keys_first_and_scrolls_by_keyboard(sandbox):
    """Issue 16: at 80x24 the table's 13 generic cursor keys came first and the view's own
    keys were below the fold, out of reach without a mouse."""
    app = logged_in_app(sandbox)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_customers(pilot)
        await pilot.press("f1")
        await until(pilot, lambda: app.screen.query("KeysPanel"))
        await pilot.pause()
        panel = app.screen.query_one("KeysPanel")
        groups = [g.title for g in key_groups(app.screen.active_bindings.values())]
        assert groups == ["Customers view", "Main screen", "Everywhere", "Moving around"]
        # what the panel shows, line by line, as drawn at its width
        table = app.screen.query_one("KeysTable")
        lines = [strip.text.strip() for strip in table.render_lines(table.region.reset_offset)]
        assert lines[0] == "Customers view"
        cursor = lines.index("↑ Cursor up")
        assert lines.index("Moving around") == cursor - 1
        # the screen's own keys before any generic one, each on one line at 80 columns
        for line in ("v Details", "o Columns", "f Find", "A Mark all", "b Bulk edit"):
            assert lines.index(line) < cursor
        assert lines.index("j Journal") < lines.index("u Undo") < cursor
        assert lines.index("/ Search") < panel.size.height  # the view's first keys at once
        # ctrl+down and shift+pgdn scroll the panel; ctrl+up goes back
        assert panel.scroll_y == 0 and panel.max_scroll_y > 0
        await pilot.press("ctrl+down")
        await pilot.pause()
        assert panel.scroll_y > 0
        await pilot.press("ctrl+up")
        await pilot.pause()
        assert panel.scroll_y == 0
        await pilot.press("shift+pagedown")
        await pilot.pause()
        assert panel.scroll_y > 0
        assert app.focused is app.screen.query_one("CustomersView").table  # focus stayed
        await pilot.press("f1")
        assert not help_open(app)
        await pilot.press("ctrl+down")  # closed: the key is not the panel's any more
        await pilot.pause()


async def test_ctrl_q_quits_even_from_a_modal(sandbox):
    app = logged_in_app(sandbox)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for_customers(pilot)
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, NewCustomerScreen))
        await pilot.press("ctrl+q")
        await until(pilot, lambda: app.return_code == 0)  # exit() was called
    assert app.return_code == 0


async def test_keymap_from_config_remaps_bindings_by_id(sandbox):
    profiles = ProfileStore()
    resolved = save_profile(profiles)
    with profiles.path.open("a", encoding="utf-8") as f:
        f.write('\n[settings.keymap]\n"app.view_flows" = "f5"\n"customers.copy_email" = "y"\n')
    assert profiles.settings()["keymap"]["app.view_flows"] == "f5"
    app = build_app(sandbox, profiles=profiles, resolved=resolved)
    async with app.run_test(size=(120, 36)) as pilot:
        view = await wait_for_customers(pilot)
        switcher = app.screen.query_one("#views", ContentSwitcher)
        await pilot.press("c")  # no longer bound
        assert app.clipboard == ""
        await pilot.press("y")
        assert app.clipboard == view.highlighted().email
        await pilot.press("f3")  # no longer bound
        assert switcher.current == "customers"
        await pilot.press("f5")
        assert switcher.current == "flows"
        await pilot.press("f2")  # untouched bindings keep their keys
        assert switcher.current == "customers"


async def test_server_text_is_shown_literally():
    sandbox = seeded_sandbox(3)
    try:
        sandbox.state.store.create_customer(
            name="[bold]Ada[/] \x1b[31m",
            email="ada@example.com",
            password_hash=None,
            external_ref=None,
            custom={},
        )
        app = logged_in_app(sandbox)
        async with app.run_test(size=(120, 36)) as pilot:
            view = await wait_for_customers(pilot)
            table = app.screen.query_one("#customers-table", DataTable)
            assert view.table is table
            row = table.get_row(view.highlighted().id)  # the newest customer comes first
            cell = row[0]
            assert isinstance(cell, Text)
            assert "[bold]Ada[/]" in cell.plain
            assert "\\x1b" in cell.plain
            assert "\x1b" not in cell.plain
            # What reaches the screen: the first row's line holds the brackets and no ESC.
            line = "".join(segment.text for segment in table.render_line(1))
            assert "[bold]Ada[/] \\x1b[31m" in line
            assert "\x1b" not in line
    finally:
        sandbox.state.store.close()


async def test_main_screen_is_usable_at_80x24(sandbox):
    """The whole customers-to-flows round trip by keys in a small terminal."""
    app = logged_in_app(sandbox)
    async with app.run_test(size=(80, 24)) as pilot:
        view = await wait_for_customers(pilot)
        assert isinstance(app.screen, MainScreen)
        assert view.table.size.height >= 10
        await pilot.press("ctrl+end")
        assert view.table.cursor_row == 99
        await pilot.press("c")
        assert app.clipboard == str(view.table.get_row_at(99)[1])
        await pilot.press("f3")
        await until(pilot, lambda: flows_loaded(app))
        await pilot.press("f2", "f1")
        assert help_open(app)
        await pilot.press("f1")
        assert not help_open(app)
