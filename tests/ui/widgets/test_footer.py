"""The footer shim (Textualize/textual#6666): removed FooterKeys do not stay watched."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widget import Widget
from textual.widgets import Button
from textual.widgets import Footer as TextualFooter

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
