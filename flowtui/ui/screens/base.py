"""The base classes of flowtui's screens: each has the error funnel (ui/session.py) and the
typed app accessor ``flow_app``."""

from __future__ import annotations

from textual.binding import Binding
from textual.screen import ModalScreen, Screen

from flowtui.ui.session import ErrorFunnel

#: The prefix of the names kept forms are installed under (``FormScreen.kept_name``); the
#: app closes the ones made ahead at exit by it (``FlowApp._close_forms_ahead``).
KEPT_FORMS = "flowtui.kept."
#: Seconds between the steps that lay out and render a form made ahead
#: (``FormScreen.lay_out_ahead``), each taken while the app is idle.
AHEAD_STEP_DELAY = 0.1


class BaseScreen(ErrorFunnel, Screen[None]):
    """A full screen with the error funnel."""


class BaseModal(ErrorFunnel, ModalScreen):
    """A modal screen with the error funnel; ``esc`` closes it."""

    BINDINGS = [Binding("escape", "dismiss_modal", "Back", id="modal.back", tooltip="Close this")]

    def action_dismiss_modal(self) -> None:
        self.dismiss(None)
