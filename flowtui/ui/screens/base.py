"""The base classes of flowtui's screens: each has the error funnel (ui/session.py) and the
typed app accessor ``flow_app``."""

from __future__ import annotations

from textual.binding import Binding
from textual.screen import ModalScreen, Screen

from flowtui.ui.session import ErrorFunnel


class BaseScreen(ErrorFunnel, Screen[None]):
    """A full screen with the error funnel."""


class BaseModal(ErrorFunnel, ModalScreen):
    """A modal screen with the error funnel; ``esc`` closes it."""

    BINDINGS = [Binding("escape", "dismiss_modal", "Back", id="modal.back", tooltip="Close this")]

    def action_dismiss_modal(self) -> None:
        self.dismiss(None)
