"""Forms drawn ahead: the customer editor and the new-customer form, composed ahead of their
first open, are also laid out and rendered ahead, off screen (``FormScreen.lay_out_ahead``,
driven by ``MainScreen.prepare_forms``), so that the first open costs what a later one does.

Nothing of it reaches the terminal, the focus and the keys stay in the browser, and the frames
the first open hands the terminal add up to what a new form draws. "The terminal" here is a
model of one: every update Textual hands its driver (``App._display``, as
benchmarks/common.py's ``record_frames``) applied to a grid of cells."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.segment import ControlType
from rich.style import Style
from textual.screen import Screen
from textual.widget import Widget

from flowtui.ui.screens.address_editor import AddressEditorScreen, AddressesScreen
from flowtui.ui.screens.customer_editor import EditCustomerScreen
from flowtui.ui.screens.forms import FormScreen, NewCustomerScreen
from flowtui.ui.screens.main import MainScreen
from tests.ui.conftest import logged_in_app, raw_get, until, wait_for_customers
from tests.ui.test_customer_editor import open_editor
from tests.ui.test_forms import editor, form_ready, open_new_customer
from tests.ui.test_kept_forms import discard, mess_up, new_editor, screen_text
from tests.ui.test_typeahead import CTRL_S, LATENCIES, burst, settled

SIZE = (120, 36)
DOWN = "\x1b[B"

Cell = tuple[str, Style | None]


class Terminal:
    """The cells a terminal of ``size`` shows after the updates handed to it."""

    def __init__(self, size: tuple[int, int] = SIZE) -> None:
        self.width, self.height = size
        self.cells: list[list[Cell]] = [[(" ", None)] * self.width for _ in range(self.height)]
        self.console = Console(width=self.width, height=self.height, color_system="truecolor")

    def apply(self, update: Any) -> None:
        x = y = 0
        for segment in update.__rich_console__(self.console, self.console.options):
            if segment.control:
                for code in segment.control:
                    if code[0] == ControlType.CURSOR_MOVE_TO:
                        x, y = code[1], code[2]
                continue
            if segment.text == "\n":
                x, y = 0, y + 1
                continue
            style = segment.style.clear_meta_and_links() if segment.style else None
            for char in segment.text:
                width = self.console.measure(char).maximum if not char.isascii() else 1
                if 0 <= y < self.height and 0 <= x < self.width:
                    self.cells[y][x] = (char, style)
                    for extra in range(1, width):
                        if x + extra < self.width:
                            self.cells[y][x + extra] = ("", style)
                x += width

    def lines(self) -> list[str]:
        return ["".join(char for char, _ in row) for row in self.cells]


def watch_terminal(app: Any) -> tuple[Terminal, list[Screen[Any]]]:
    """A terminal model fed with every frame ``app`` draws, and the screens that drew them."""
    terminal, drawn_by = Terminal(), []
    display = app._display

    def recorded(screen: Screen[Any], renderable: Any) -> None:
        display(screen, renderable)
        if renderable is not None and not app._batch_count:  # what Textual writes out
            terminal.apply(renderable)
            drawn_by.append(screen)

    app._display = recorded
    return terminal, drawn_by


def redrawn(app: Any) -> Terminal:
    """What the screen on top draws from scratch, on a blank terminal."""
    terminal = Terminal()
    compositor = app.screen._compositor
    terminal.apply(compositor.render_update(full=True, screen_stack=app._background_screens))
    return terminal


def kept(app: Any, cls: type[FormScreen]) -> FormScreen | None:
    name = cls.kept_name()
    return app.get_screen(name) if app.is_screen_installed(name) else None  # type: ignore[return-value]


def drawn_ahead(app: Any) -> bool:
    return all(
        (form := kept(app, cls)) is not None and form.drawn_ahead
        for cls in (EditCustomerScreen, NewCustomerScreen)
    )


def count_calls(obj: Any, name: str) -> list[int]:
    """Count the calls of ``obj.name`` (an instance attribute shadowing the method)."""
    calls = [0]
    method = getattr(obj, name)

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        return method(*args, **kwargs)

    setattr(obj, name, counted)
    return calls


async def test_forms_drawn_ahead_draw_nothing_and_open_as_new_ones(sandbox):
    """The app lays out and renders both forms ahead without a frame of theirs reaching the
    terminal or the focus leaving the browser; the first open of the editor then draws what
    a new editor draws, its frames add up to a full redraw, and it lays the form out no more
    often than a later open does."""
    expected, new_state = await new_editor(sandbox)
    app = logged_in_app(sandbox)
    terminal, drawn_by = watch_terminal(app)
    async with app.run_test(size=SIZE) as pilot:
        view = await wait_for_customers(pilot)
        await until(pilot, lambda: drawn_ahead(app), timeout=10)
        await pilot.pause()
        editor = kept(app, EditCustomerScreen)
        assert editor is not None
        # Laid out at the screen's size: Textual's internals did what lay_out_ahead meant.
        assert editor.outer_size == app.size
        assert editor.find_widget(editor.editors()[0].input).region.width > 0
        assert isinstance(app.screen, MainScreen) and app.focused is view.table
        assert all(isinstance(screen, MainScreen) for screen in drawn_by)
        assert terminal.lines() == redrawn(app).lines()

        layouts = count_calls(editor, "_refresh_layout")
        await pilot.press("down")
        form = await open_editor(pilot)
        assert form is editor
        assert (form.initial_values, form.dirty(), form.focused.id) == new_state
        assert screen_text(app) == expected
        assert terminal.cells == redrawn(app).cells
        first_open = layouts[0]

        await discard(pilot)
        layouts[0] = 0
        await pilot.press("down")
        assert await open_editor(pilot) is editor
        assert first_open <= layouts[0]
        assert terminal.cells == redrawn(app).cells

        await discard(pilot)
        form = await open_new_customer(pilot)
        assert form is kept(app, NewCustomerScreen)
        assert terminal.cells == redrawn(app).cells


async def test_a_form_drawn_ahead_renders_its_widgets_ahead_and_is_frozen(sandbox, monkeypatch):
    """What the first open renders: only what it changes (as a later open), not every widget
    of the form from empty caches. And the forms made ahead are long-lived: once they are
    drawn the app moves them out of the collector's sight (a second ``freeze_heap``, after
    the one a second after start)."""
    from flowtui.ui import app as app_module

    frozen: list[bool] = []
    freeze = app_module.freeze_heap

    def recorded() -> None:
        frozen.append(drawn_ahead(app))
        freeze()

    monkeypatch.setattr(app_module, "freeze_heap", recorded)
    app = logged_in_app(sandbox)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_customers(pilot)
        await until(pilot, lambda: drawn_ahead(app) and True in frozen, timeout=10)
        assert frozen == [False, True]
        await pilot.pause()
        editor = kept(app, EditCustomerScreen)
        assert editor is not None
        renders = [0]
        original = Widget._render_content

        def counted(widget: Widget) -> None:
            if widget.screen is editor:
                renders[0] += 1
            original(widget)

        Widget._render_content = counted  # type: ignore[method-assign]
        try:
            await pilot.press("down")
            await open_editor(pilot)
            first = renders[0]
            await discard(pilot)
            renders[0] = 0
            await pilot.press("down")
            await open_editor(pilot)
            later = renders[0]
        finally:
            Widget._render_content = original  # type: ignore[method-assign]
        widgets = len(list(editor.query("*")))
        assert first <= later + 2 and first < widgets // 2, (first, later, widgets)


@LATENCIES
async def test_keys_typed_while_a_form_is_drawn_ahead_go_to_the_browser(sandbox, latency):
    """Keys queued before and between the steps that draw the editor ahead move the
    browser's cursor; ``e``, a name and ctrl+s typed in the same burst then edit the customer
    they moved to, in the form drawn ahead."""
    sandbox.state.config.latency_ms = latency
    app = logged_in_app(sandbox)
    async with app.run_test(size=SIZE) as pilot:
        view = await wait_for_customers(pilot)
        await until(pilot, lambda: drawn_ahead(app), timeout=10)
        # Start again with an editor composed ahead but not drawn yet.
        name = EditCustomerScreen.kept_name()
        old = app.get_screen(name)
        app.uninstall_screen(name)
        await old.remove()
        start = view.highlighted()
        assert EditCustomerScreen.compose_ahead(app, lambda: EditCustomerScreen(start))
        ahead = app.get_screen(name)
        await until(pilot, lambda: ahead.inputs_shown)
        rows = list(view.page.items)
        before = rows.index(start)

        # Each step with a key queued before it and handled after it.
        steps = 0
        while steps < 8:
            burst(app, DOWN)
            steps += 1
            if EditCustomerScreen.lay_out_ahead(app):
                break
            await pilot.pause()
        assert ahead.drawn_ahead and steps >= 2  # laid out, then rendered
        assert isinstance(app.screen, MainScreen) and app.focused is view.table
        expected = burst(app, f"{DOWN}eAnn Perkins{CTRL_S}")
        await settled(pilot, expected)
        await until(pilot, lambda: isinstance(app.screen, MainScreen), timeout=10)
        target = rows[before + steps + 1]
        assert ahead.original.id == target.id  # the form drawn ahead was the one opened
        assert view.customers[target.id].name == "Ann Perkins"
    stored = (await raw_get(sandbox, f"/v2/customers/{target.id}"))["data"]
    assert stored["name"] == "Ann Perkins"


async def restyled(pilot: Any) -> list[list[Cell]]:
    """What the screen on top draws once Textual has restyled every node of it."""
    pilot.app.screen.update_node_styles(animate=False)
    await pilot.pause()
    await pilot.pause()
    return redrawn(pilot.app).cells


async def test_a_form_shown_again_skips_no_restyle_it_needs(sandbox):
    """A kept form (drawn ahead, or put away) is shown without Textual's full restyle only
    while nothing app-wide its styles depend on changed: what reaches the terminal equals
    what a full restyle draws, on the first open, after a reopen with problems and the focus
    left in it, and after the theme changed while it was away (restyled then)."""
    app = logged_in_app(sandbox)
    terminal, _ = watch_terminal(app)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_customers(pilot)
        await until(pilot, lambda: drawn_ahead(app), timeout=10)
        editor = kept(app, EditCustomerScreen)
        restyles = count_calls(editor, "update_node_styles")
        form = await open_editor(pilot)
        assert form is editor and restyles[0] == 0  # the skip path
        shown = [row[:] for row in terminal.cells]
        assert shown == await restyled(pilot)

        await mess_up(pilot)
        await discard(pilot)
        restyles[0] = 0
        await pilot.press("down")
        assert await open_editor(pilot) is editor and restyles[0] == 0
        shown = [row[:] for row in terminal.cells]
        assert shown == await restyled(pilot)

        await discard(pilot)
        app.theme = "textual-light" if app.theme != "textual-light" else "nord"
        await pilot.pause()
        restyles[0] = 0
        assert await open_editor(pilot) is editor and restyles[0] > 0  # restyled
        shown = [row[:] for row in terminal.cells]
        assert shown == await restyled(pilot)


@LATENCIES
async def test_the_address_editor_is_drawn_ahead_while_the_list_is_read(sandbox, latency):
    """The addresses list reads the address fields with the addresses, then draws the
    editor ahead, off screen: its first open sends no request, lays out no more than a later
    open, fills in the highlighted address, and its frames add up to a full redraw."""
    sandbox.state.config.latency_ms = latency
    app = logged_in_app(sandbox)
    terminal, drawn_by = watch_terminal(app)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_customers(pilot)
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, AddressesScreen) and app.screen.settled)
        listing = app.screen
        assert listing.addresses  # the demo customers have addresses

        def ahead() -> Any:
            form = kept(app, AddressEditorScreen)
            return form if form is not None and form.drawn_ahead else None

        await until(pilot, ahead, timeout=10)
        form = ahead()
        assert app.screen is listing and app.focused is listing.table
        assert not any(isinstance(screen, AddressEditorScreen) for screen in drawn_by)
        await pilot.press("down")
        address = listing.highlighted()
        layouts = count_calls(form, "_refresh_layout")
        sent = sandbox.state.counts.requests
        await pilot.press("e")
        await until(pilot, lambda: app.screen is form and form_ready(app))
        await pilot.pause()
        assert sandbox.state.counts.requests == sent  # no round trip
        assert form.original == address and not form.dirty()
        assert editor(app, "line_1").input.value == address.line_1
        assert layouts[0] <= 1
        assert terminal.cells == redrawn(app).cells
