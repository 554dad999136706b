"""Screens that host views (the main screen, the entries screen) answer what the views ask:
the confirmation dialogs, typed when the view says so."""

from __future__ import annotations

from typing import Any

from textual.screen import Screen

from flowtui.ui.screens.base import BaseScreen
from flowtui.ui.widgets.view import View


def confirm(screen: Screen[Any], event: View.ConfirmAsked) -> None:
    """Ask what a view asked (typed when it must be), then do what it said on yes or no."""
    # Imported when first asked: not needed to show the first page (start-up, issue 14).
    from flowtui.ui.screens.designer_dialogs import TypedConfirmDialog
    from flowtui.ui.screens.dialogs import ConfirmDialog

    dialog: Screen[Any]
    if event.typed is not None:
        dialog = TypedConfirmDialog(
            event.question, event.detail, expected=event.typed, yes=event.yes
        )
    else:
        dialog = ConfirmDialog(event.question, event.detail, event.yes)

    def answered(yes: bool | None) -> None:
        if yes:
            event.then()
        elif event.otherwise is not None:
            event.otherwise()

    screen.app.push_screen(dialog, answered)


class ViewHost(BaseScreen):
    """A screen hosting views: the confirmations they ask for are shown here."""

    def on_view_confirm_asked(self, event: View.ConfirmAsked) -> None:
        event.stop()
        confirm(self, event)
