"""What every screen and widget may use of the app: the session, its change signal, the
writability check, and the one road for errors.

``FlowApp`` (ui/app.py) builds on :class:`SessionApp`; screens and widgets import this module,
never ui/app.py, so the app can import every screen without an import cycle. They reach the
app through :attr:`FlowNode.flow_app`, which is typed (``self.app`` is only ``App``).

The error funnel: a worker's failure does not bubble to the app, so each screen and view
catches its workers' errors (:class:`ErrorFunnel`) and hands them to
:meth:`SessionApp.report_error`, which shows them one way: a toast for short ones, the message
dialog listing every message of a validation error, and the login screen (over the current
view, nothing lost) when the credentials no longer work. Forms put errors that name a field
next to that field. Server text is never parsed as markup.

The change flow: the service's changes feed the app-level Signal ``changed``; views subscribe
on mount (:meth:`SessionApp.follow_changes`). The profile's local index does not go through a
widget: the app opens it (:meth:`SessionApp.open_index`) and subscribes it to the service
itself (``CustomerIndex.follow``), ahead of the signal when it is open at log-in.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, cast

from rich.console import RenderableType
from textual import events
from textual.app import App
from textual.dom import DOMNode
from textual.screen import Screen
from textual.signal import Signal
from textual.worker import Worker, WorkerState

from flowtui.api.errors import ApiError, AuthError, NetworkError, ValidationError
from flowtui.api.service import ApiService, Change
from flowtui.config.paths import index_file
from flowtui.config.profiles import ProfileStore
from flowtui.config.resolve import Resolved
from flowtui.core.textsafe import printable
from flowtui.ui.collecting import CollectionGate
from flowtui.ui.typeahead import TypeAhead, Typed

if TYPE_CHECKING:
    from flowtui.index import CustomerIndex

    pass

Severity = Literal["information", "warning", "error"]


def error_lines(error: BaseException) -> list[str]:
    """Every message of an error, each one line of plain text."""
    if isinstance(error, ApiError):
        lines = []
        for item in error.errors:
            where = f"{item.attribute}: " if item.attribute else ""
            lines.append(printable(where + item.message))
        return lines
    return [printable(f"{type(error).__name__}: {error}")]


class SessionApp(App[None]):
    """The app as screens and widgets see it (FlowApp fills in the screen-pushing parts)."""

    def __init__(self, profiles: ProfileStore) -> None:
        super().__init__()
        self.profiles = profiles
        self.service: ApiService | None = None
        self.resolved: Resolved | None = None
        #: Every change the service reports ("customer 42 updated", "session renewed").
        #: Subscribe with :meth:`follow_changes`, which reports a listener that raises.
        self.changed: Signal[Change] = Signal(self, "changed")
        #: The profile's local search index (flowtui.index) while it is open: opened with the
        #: session when the profile has one, or when the browser first finds (``f``). It
        #: follows the service's changes itself, not through a widget.
        self.index: CustomerIndex | None = None
        #: Set when the index could not follow a change (the next sync puts it right); the
        #: browser says so and clears it.
        self.index_behind = False
        self._unfollow_index: Callable[[], None] | None = None
        #: Every key and paste, handed out in order, each where it would land typed slowly
        #: (ui/typeahead.py).
        self.typeahead = TypeAhead(self, self._deliver_typed)
        #: No garbage collection from a key until the app is quiet again (ui/collecting.py).
        self.collections = CollectionGate()

    # -- keys -------------------------------------------------------------------------------

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key | events.Paste) and not event.is_forwarded:
            self.collections.key()
            await self.typeahead.take(event)
            return
        if isinstance(event, events.MouseDown):
            self.collections.key()
        await super().on_event(event)

    def _display(self, screen: Screen[Any], renderable: RenderableType | None) -> None:
        """Textual hands the terminal driver a frame (a Textual internal:
        tests/ui/test_collection_gate.py checks it is still called): the app is not quiet."""
        super()._display(screen, renderable)
        if renderable is not None:
            self.collections.frame()

    async def _shutdown(self) -> None:
        self.collections.close()  # never leave the collector off
        await super()._shutdown()

    async def _deliver_typed(self, event: Typed) -> None:
        """What Textual does with a key the app reads: priority bindings, else the focus."""
        await super().on_event(event)

    def keys_ready(self) -> None:
        """A screen that held the type-ahead (:class:`~flowtui.ui.typeahead.KeyReady`) can
        take keys now."""
        self.typeahead.poke()

    # -- the session ------------------------------------------------------------------------

    @property
    def api(self) -> ApiService:
        """The session's service; only screens shown after logging in use it."""
        if self.service is None:
            raise RuntimeError("no session: log in first")
        return self.service

    def writable(self, what: str) -> bool:
        """May this session write? Says why not (read-only profile) and returns False."""
        if self.service is None:
            return False
        if self.service.read_only:
            self.report(
                f"This profile is read-only (implicit token): it cannot {what}. "
                "Use a profile with a client secret.",
                title="Read-only",
                severity="warning",
            )
            return False
        return True

    def profile_name(self) -> str | None:
        return self.resolved.profile.name if self.resolved is not None else None

    def open_index(self, *, create: bool = True) -> CustomerIndex | None:
        """The profile's index, opened (created empty when missing and ``create``) and
        following the service; None without a session. Opening errors propagate."""
        if self.index is not None:
            return self.index
        name = self.profile_name()
        if name is None or self.service is None:
            return None
        path = index_file(name)
        if not create and not path.exists():
            return None
        # Imported when a profile has (or asks for) an index: not needed to show the first page.
        from flowtui.index import CustomerIndex

        self.index = CustomerIndex(path)
        self.follow_index()
        return self.index

    def follow_index(self) -> None:
        """(Re)subscribe the open index to the session's service."""
        if self._unfollow_index is not None:
            self._unfollow_index()
            self._unfollow_index = None
        if self.index is None or self.service is None:
            return
        subscribe = self.service.subscribe

        def guarded(listener: Callable[[Change], None]) -> Callable[[], None]:
            def apply(change: Change) -> None:
                try:
                    listener(change)
                except Exception:  # the next sync puts it right; the browser says so
                    self.index_behind = True

            return subscribe(apply)

        self._unfollow_index = self.index.follow(guarded)

    def close_index(self) -> None:
        if self._unfollow_index is not None:
            self._unfollow_index()
            self._unfollow_index = None
        if self.index is not None:
            self.index.close()
            self.index = None
        self.index_behind = False

    def follow_changes(self, node: DOMNode, callback: Callable[[Change], object]) -> None:
        """Call ``callback`` with every change while ``node`` is mounted. A callback that
        raises is reported through the funnel, never swallowed."""

        def deliver(change: Change) -> None:
            try:
                callback(change)
            except Exception as exc:
                self.report_error(exc)

        self.changed.subscribe(node, deliver, immediate=True)

    def publish_change(self, change: Change) -> None:
        self.changed.publish(change)

    # -- the one road for errors --------------------------------------------------------------

    def report_error(self, error: BaseException) -> None:
        """Show ``error`` the flowtui way (see the module docstring)."""
        if isinstance(error, AuthError):
            self.session_expired(error)
            return
        if isinstance(error, ValidationError) and len(error.errors) > 1:
            self.show_messages(error.kind, error_lines(error))
            return
        title = error.kind if isinstance(error, ApiError) else "Error"
        severity: Severity = "warning" if isinstance(error, NetworkError) else "error"
        self.report("\n".join(error_lines(error)), title=title, severity=severity)

    def report(
        self,
        text: str,
        *,
        title: str = "Error",
        severity: Severity = "error",
        timeout: float | None = None,
    ) -> None:
        """A failure (or a refusal) told in words: a toast, shown literally (``timeout``:
        seconds it stays; None: Textual's default)."""
        if timeout is None:
            self.notify(text, title=title, severity=severity)
        else:
            self.notify(text, title=title, severity=severity, timeout=timeout)

    def session_expired(self, error: ApiError) -> None:
        """The credentials no longer work: FlowApp shows the login screen over the view."""
        raise NotImplementedError

    def show_messages(self, title: str, lines: list[str]) -> None:
        """Show every line of an error: FlowApp pushes the message dialog."""
        raise NotImplementedError

    def notify(self, message: str, *, title: str = "", **kwargs: Any) -> None:
        """Every toast as plain text: never markup, control characters shown as escapes (a
        message often quotes what a store sent)."""
        kwargs["markup"] = False
        super().notify(
            printable(str(message), keep_newlines=True),
            title=printable(str(title)),
            **kwargs,
        )


class FlowNode:
    """Mixin for screens and widgets: the app, typed."""

    @property
    def flow_app(self) -> SessionApp:
        app = cast(DOMNode, self).app
        if not isinstance(app, SessionApp):  # pragma: no cover - a bare App in a unit test
            raise TypeError(f"{type(self).__name__} needs a flowtui app, not {type(app)}")
        return app


class ErrorFunnel(FlowNode):
    """Mixin: workers of this screen (or view: a widget's worker reports to the widget, not
    its screen) report their failures through :meth:`SessionApp.report_error`."""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            self.flow_app.report_error(event.worker.error)
