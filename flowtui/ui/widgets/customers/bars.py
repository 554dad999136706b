"""The browser's two input bars: ``/`` searches the store (name or email), ``f`` finds by any
field in the local index. Each waits for a pause in the typing before it says what to look
for, and shows itself while the view's ``searching``/``finding`` is set (bound)."""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding
from textual.message import Message
from textual.reactive import var
from textual.timer import Timer
from textual.widgets import Input

from flowtui.ui.widgets.inputs import TextInput

SEARCH_DELAY = 0.3  # seconds of quiet typing before a search is sent
FIND_DELAY = 0.2  # seconds of quiet typing before the index is searched


class Bar(TextInput):
    """An input that settles: ``Settled`` after ``DELAY`` seconds of quiet or on enter."""

    DELAY = SEARCH_DELAY

    @dataclass
    class Settled(Message):
        """What to look for now; ``done`` when enter was pressed (back to the table)."""

        bar: Bar
        value: str
        done: bool = False

    #: Shown while the view searches (or finds); bound to the view's flag.
    shown: var[bool] = var(False, init=False)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]  # Input's own keywords
        self._timer: Timer | None = None

    def watch_shown(self, shown: bool) -> None:
        self.set_class(shown, "shown")

    def stop_timer(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    def _on_input_changed(self, event: Input.Changed) -> None:
        if event.input is not self:
            return
        event.stop()
        self.stop_timer()
        self._timer = self.set_timer(self.DELAY, self._settle)

    def _on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input is not self:
            return
        event.stop()
        self.stop_timer()
        self.post_message(self.Settled(self, self.value, done=True))

    def _settle(self) -> None:
        self._timer = None
        self.post_message(self.Settled(self, self.value))


class SearchBar(Bar):
    """The ``/`` search box; ``esc`` clears the search and goes back to the table."""

    BINDINGS = [
        Binding(
            "escape",
            "clear",
            "Clear search",
            id="customers.search_clear",
            tooltip="Clear the search and go back to the table",
        )
    ]

    class Cleared(Message):
        """Esc was pressed in the search box."""

    def action_clear(self) -> None:
        self.stop_timer()
        self.post_message(self.Cleared())


class FindBar(Bar):
    """The ``f`` box: find by any field in the local index; ``esc`` goes back to the store."""

    DELAY = FIND_DELAY
    BINDINGS = [
        Binding(
            "escape",
            "close",
            "Back to the store",
            id="customers.find_close",
            tooltip="Leave the index results and show the store's pages again",
        )
    ]

    class Closed(Message):
        """Esc was pressed in the find box."""

    def action_close(self) -> None:
        self.post_message(self.Closed())
