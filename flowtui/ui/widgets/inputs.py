"""Input that follows the app's cursor-blink setting (off in tests, so snapshots are stable),
and a checkbox that reads without colour."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from textual.binding import Binding
from textual.content import Content
from textual.message import Message
from textual.widgets import Checkbox, Input


@runtime_checkable
class CursorSetting(Protocol):
    """An app that says whether cursors blink (``FlowApp(cursor_blink=...)``)."""

    cursor_blink: bool


class TextInput(Input):
    def on_mount(self) -> None:
        # Any app may hold the input (a bare App in a test blinks, as Textual's default).
        app = self.app
        self.cursor_blink = app.cursor_blink if isinstance(app, CursorSetting) else True


class TickBox(Checkbox, inherit_bindings=False):
    """A checkbox readable without colour: ``[x]`` ticked, ``[ ]`` not, and a ``›`` before it
    while it has the focus. ``space`` toggles it; ``enter`` is the form's (it posts
    :class:`TickBox.Submitted`, as an :class:`Input` does), so enter on a tick box submits
    the form rather than toggling the box."""

    BINDINGS = [
        Binding("space", "toggle_button", "Toggle", id="tickbox.toggle", tooltip="Tick or untick"),
        Binding(
            "enter",
            "submit",
            "Submit",
            id="tickbox.submit",
            show=False,
            tooltip="Submit the form (space ticks)",
        ),
    ]

    DEFAULT_CSS = """
    TickBox, TickBox:focus, TickBox.-textual-compact:focus {
        border: none; padding: 0; background: transparent; background-tint: transparent 0%;
    }
    TickBox:focus > .toggle--label { text-style: bold underline; }
    """

    @dataclass
    class Submitted(Message):
        """Enter was pressed on the box."""

        tick_box: TickBox

    @property
    def _button(self) -> Content:
        style = self.get_visual_style("toggle--button")
        marker = "›" if self.has_focus else " "
        return Content.assemble(
            marker, ("[", style), ("x" if self.value else " ", style), ("]", style)
        )

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    def action_submit(self) -> None:
        self.post_message(self.Submitted(self))
