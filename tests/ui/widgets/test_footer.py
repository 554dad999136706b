"""The footer shim (Textualize/textual#6666): removed FooterKeys do not stay watched."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Button
from textual.widgets import Footer as TextualFooter
from textual.widgets._footer import FooterKey

from flowtui.ui.widgets.footer import WATCHERS, Footer


class Keys(App[None]):
    """Two buttons with their own bindings: each focus move recomposes the footer."""

    def __init__(self, footer: type[TextualFooter]) -> None:
        super().__init__()
        self.footer_class = footer

    def compose(self) -> ComposeResult:
        yield One(id="one")
        yield Two(id="two")
        yield self.footer_class()


class One(Button):
    BINDINGS = [Binding("x", "noop", "One x"), Binding("y", "noop", "One y")]


class Two(Button):
    BINDINGS = [Binding("z", "noop", "Two z")]


async def watched_after_focus_moves(footer_class: type[TextualFooter]) -> tuple[int, int]:
    """(watcher entries of the footer's ``compact``, keys attached) after 10 focus moves."""
    app = Keys(footer_class)
    async with app.run_test(size=(80, 10)) as pilot:
        for _ in range(10):
            await pilot.press("tab")
            await pilot.pause()
        footer = app.query_one(TextualFooter)
        watchers: dict[str, list[tuple[Widget, object]]] = getattr(footer, WATCHERS, {})
        entries = watchers.get("compact", [])
        return len(entries), sum(1 for node, _ in entries if node.is_attached)


async def test_the_shim_keeps_only_the_keys_on_screen() -> None:
    entries, attached = await watched_after_focus_moves(Footer)
    assert entries > 0 and entries == attached


async def test_textual_footer_still_leaks_so_the_shim_is_still_needed() -> None:
    """When this fails, Textual fixed #6666: drop flowtui/ui/widgets/footer.py."""
    entries, attached = await watched_after_focus_moves(TextualFooter)
    assert entries > attached


class Toggle(App[None]):
    """Three buttons: two with the same keys, one with others; ``x`` disabled on demand."""

    BINDINGS = [Binding("q", "noop", "Quit")]

    def compose(self) -> ComposeResult:
        yield One(id="one")
        yield One(id="same")
        yield Two(id="two")
        yield Footer()


class Other(Screen[None]):
    BINDINGS = [Binding("w", "noop", "Other w")]

    def compose(self) -> ComposeResult:
        yield Button("other", id="other")
        yield Footer()


class Gated(Button):
    """``x`` shown disabled while ``gate`` is off (check_action answers None)."""

    BINDINGS = [Binding("x", "gated", "Gated x")]
    gate = True

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return None if action == "gated" and not self.gate else True

    def action_gated(self) -> None:
        pass


def shown_keys(footer: Footer) -> list[tuple[str, str, bool]]:
    """(key, description, disabled) of each key the footer holds, in order."""
    return [(k.key, k.description, k.has_class("-disabled")) for k in footer.query(FooterKey)]


async def test_a_focus_move_with_the_same_keys_does_not_recompose() -> None:
    app = Toggle()
    async with app.run_test(size=(80, 10)) as pilot:
        await pilot.pause()
        footer = app.query_one(Footer)
        app.set_focus(app.query_one("#one"))
        await pilot.pause()
        await pilot.pause()
        before = footer.recomposes
        keys = list(footer.query(FooterKey))
        app.set_focus(app.query_one("#same"))  # same bindings: nothing to redraw
        await pilot.pause()
        await pilot.pause()
        assert footer.recomposes == before
        assert list(footer.query(FooterKey)) == keys  # the very same key widgets
        assert shown_keys(footer)[0] == ("x", "One x", False)

        app.set_focus(app.query_one("#two"))  # other keys: recomposed, showing them
        await pilot.pause()
        await pilot.pause()
        assert footer.recomposes == before + 1
        assert shown_keys(footer)[0] == ("z", "Two z", False)


async def test_a_binding_disabled_by_check_action_recomposes() -> None:
    class App1(App[None]):
        def compose(self) -> ComposeResult:
            yield Gated(id="gated")
            yield Footer()

    app = App1()
    async with app.run_test(size=(80, 10)) as pilot:
        gated = app.query_one(Gated)
        app.set_focus(gated)
        await pilot.pause()
        await pilot.pause()
        footer = app.query_one(Footer)
        assert shown_keys(footer)[0] == ("x", "Gated x", False)
        before = footer.recomposes
        app.refresh_bindings()  # nothing changed: no recompose
        await pilot.pause()
        await pilot.pause()
        assert footer.recomposes == before
        gated.gate = False
        app.refresh_bindings()
        await pilot.pause()
        await pilot.pause()
        assert footer.recomposes == before + 1
        assert shown_keys(footer)[0] == ("x", "Gated x", True)


async def test_a_new_screen_with_other_keys_shows_them_and_a_pop_restores() -> None:
    app = Toggle()
    async with app.run_test(size=(80, 10)) as pilot:
        app.set_focus(app.query_one("#two"))
        await pilot.pause()
        await pilot.pause()
        main_footer = app.query_one(Footer)
        main_keys = shown_keys(main_footer)
        await app.push_screen(Other())
        await pilot.pause()
        await pilot.pause()
        other_keys = shown_keys(app.screen.query_one(Footer))
        assert ("w", "Other w", False) in other_keys and ("z", "Two z", False) not in other_keys
        before = main_footer.recomposes
        app.pop_screen()
        await pilot.pause()
        await pilot.pause()
        assert main_footer.recomposes == before  # the same keys as before the push
        assert shown_keys(main_footer) == main_keys
