"""The error funnel every flowtui screen shares.

A worker's failure does not bubble to the app, so each screen catches its workers' errors
here and shows them one way: a toast for short ones, a modal listing every message for
validation errors without a form to put them on, and the login screen (over the current view,
nothing lost) when the credentials no longer work. Server text is never parsed as markup.
"""

from __future__ import annotations

from textual.binding import Binding
from textual.screen import ModalScreen, Screen
from textual.worker import Worker, WorkerState

from flowtui.api.errors import ApiError, AuthError, NetworkError, ValidationError
from flowtui.textsafe import printable


def error_lines(error: BaseException) -> list[str]:
    """Every message of an error, each one line of plain text."""
    if isinstance(error, ApiError):
        lines = []
        for item in error.errors:
            where = f"{item.attribute}: " if item.attribute else ""
            lines.append(printable(where + item.message))
        return lines
    return [printable(f"{type(error).__name__}: {error}")]


def report_error(screen: Screen, error: BaseException) -> None:
    """Show ``error`` the flowtui way (see the module docstring)."""
    app = screen.app
    if isinstance(error, AuthError) and hasattr(app, "session_expired"):
        app.session_expired(error)
        return
    if isinstance(error, ValidationError) and len(error.errors) > 1:
        from flowtui.screens.dialogs import MessageDialog

        app.push_screen(MessageDialog(error.kind, error_lines(error)))
        return
    title = error.kind if isinstance(error, ApiError) else "Error"
    severity = "warning" if isinstance(error, NetworkError) else "error"
    app.notify("\n".join(error_lines(error)), title=title, severity=severity, markup=False)


class ErrorFunnel:
    """Mixin: workers of this screen (or view: a widget's worker reports to the widget, not
    its screen) report their failures through :func:`report_error`."""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            report_error(self, event.worker.error)  # type: ignore[arg-type]


class BaseScreen(ErrorFunnel, Screen):
    """A full screen with the error funnel."""


class BaseModal(ErrorFunnel, ModalScreen):
    """A modal screen with the error funnel; ``esc`` closes it."""

    BINDINGS = [Binding("escape", "dismiss_modal", "Back", id="modal.back", tooltip="Close this")]

    def action_dismiss_modal(self) -> None:
        self.dismiss(None)
