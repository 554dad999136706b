"""Input that follows the app's cursor-blink setting (off in tests, so snapshots are stable)."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from textual.widgets import Input


@runtime_checkable
class CursorSetting(Protocol):
    """An app that says whether cursors blink (``FlowApp(cursor_blink=...)``)."""

    cursor_blink: bool


class TextInput(Input):
    def on_mount(self) -> None:
        # Any app may hold the input (a bare App in a test blinks, as Textual's default).
        app = self.app
        self.cursor_blink = app.cursor_blink if isinstance(app, CursorSetting) else True
