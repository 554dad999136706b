"""Small modal dialogs: a message list and a yes/no confirmation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Label, Static

from flowtui.ui.screens.base import BaseModal
from flowtui.ui.widgets.safe import BODY_LIMIT, literal


class MessageDialog(BaseModal):
    """Every message of an error (or any list of lines), shown literally."""

    def __init__(self, title: str, lines: list[str]) -> None:
        super().__init__()
        self.title_text = title
        self.lines = lines

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(literal(self.title_text), classes="dialog-title")
            with VerticalScroll(classes="dialog-body"):
                for line in self.lines:
                    yield Static(literal("• " + line, limit=BODY_LIMIT))
            with Horizontal(classes="dialog-buttons"):
                yield Button("OK", variant="primary", id="ok")

    def on_mount(self) -> None:
        self.set_focus(self.query_one("#ok", Button))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(None)


class ConfirmDialog(BaseModal):
    """Asks before something destructive; dismisses with True or False."""

    BINDINGS = [
        Binding("escape", "answer(False)", "Cancel", id="confirm.cancel", tooltip="Do nothing"),
        Binding("y", "answer(True)", "Yes", show=False, id="confirm.yes", tooltip="Go ahead"),
        Binding("n", "answer(False)", "No", show=False, id="confirm.no", tooltip="Do nothing"),
    ]

    def __init__(self, question: str, detail: str = "", yes: str = "Yes") -> None:
        super().__init__()
        self.question = question
        self.detail = detail
        self.yes = yes

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(literal(self.question), classes="dialog-title")
            if self.detail:
                yield Static(literal(self.detail, limit=BODY_LIMIT), classes="dialog-body")
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.yes, variant="error", id="yes")
                yield Button("Cancel", id="no")

    def on_mount(self) -> None:
        self.set_focus(self.query_one("#no", Button))

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")


def ask(app: App[Any], dialog: Screen[Any], then: Callable[[], object]) -> None:
    """Show a yes/no ``dialog``; call ``then`` only when the answer is yes."""

    def answer(yes: bool | None) -> None:
        if yes:
            then()

    app.push_screen(dialog, answer)


def close_form(screen: Screen[Any], changed: bool) -> None:
    """Close a form: at once when nothing changed, else only after the user agrees to lose it."""
    if not changed:
        screen.dismiss(None)
        return
    dialog = ConfirmDialog("Discard this form?", "What you typed will be lost.", "Discard")
    ask(screen.app, dialog, lambda: screen.dismiss(None))
