"""The base of the three views (customers, flows, entries): what each shows while it loads,
when it is empty or broken, its status line, the writability check, and confirm-and-delete.

A view never pushes a screen: it posts a message (declared here or in the view, named in the
past tense) and the screen that hosts it pushes the dialog or form. A confirmation carries
what to do on "yes" (and, optionally, on "no"), so the view keeps its own worker logic.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from rich.text import Text
from textual.containers import Vertical
from textual.message import Message
from textual.reactive import var
from textual.widgets import Label

from flowtui.api.errors import ApiError
from flowtui.ui.session import ErrorFunnel

#: What a view shows: a page (``loaded``), nothing yet (``empty``), a failure in its status
#: line (``error``), or a store that will not let this profile read (``forbidden``).
ViewState = Literal["loading", "loaded", "empty", "error", "forbidden"]

READ_ONLY_NOTE = "read-only profile (implicit token): you can look, not change"


class StatusLine(Label):
    """A view's status line: plain text (store text is never markup); ``error`` colours it."""

    text: var[str] = var("")
    error: var[bool] = var(False)

    def watch_text(self, text: str) -> None:
        self.update(Text(text))

    def watch_error(self, error: bool) -> None:
        self.set_class(error, "error")


class View(ErrorFunnel, Vertical):
    """A view of records: state, status line, writability, confirmations."""

    @dataclass
    class ConfirmAsked(Message):
        """The view wants a yes/no answer before something destructive. The host screen
        shows the dialog (typed when ``typed`` is set: the user must type it) and calls
        ``then`` on yes, ``otherwise`` (when given) on no."""

        question: str
        detail: str
        yes: str
        then: Callable[[], object]
        typed: str | None = None
        otherwise: Callable[[], object] | None = None

    #: Where the view is: see :data:`ViewState`.
    state: var[ViewState] = var[ViewState]("loading")
    #: The status line's text and whether it tells a failure.
    status_line: var[str] = var("")
    status_error: var[bool] = var(False)

    #: Say in the status line that a read-only profile can look but not change.
    NOTE_READ_ONLY = False

    def status(self, text: str, error: bool = False) -> None:
        """Put ``text`` in the status line (shown literally)."""
        if self.NOTE_READ_ONLY and self.read_only:
            text += f" · {READ_ONLY_NOTE}"
        self.status_line = text
        self.status_error = error

    def load_failed(self, what: str, error: Exception) -> None:
        """Loading ``what`` failed. The status line says so in place of the records and
        stays until the next load (it is the view's state: ``r`` retries); the error itself
        takes the one road for errors like every other failure (a toast naming its kind),
        unless the view is hidden (a load ahead of time: its status line says it when
        shown)."""
        self.state = "error"
        summary = error.summary if isinstance(error, ApiError) else str(error)
        self.status(f"Could not load {what}: {summary} (r retries)", error=True)
        if self.display:
            self.flow_app.report_error(error)

    def status_text(self) -> str:
        return self.status_line

    @property
    def read_only(self) -> bool:
        service = self.flow_app.service
        return service is not None and service.read_only

    def writable(self, what: str) -> bool:
        """May this session write? If not, the app says why (read-only profiles)."""
        return self.flow_app.writable(what)

    def ask(
        self,
        question: str,
        detail: str,
        yes: str,
        then: Callable[[], object],
        *,
        typed: str | None = None,
    ) -> None:
        """Ask the host screen to confirm; ``then()`` runs on yes."""
        self.post_message(self.ConfirmAsked(question, detail, yes, then, typed))

    async def confirmed(self, question: str, detail: str, yes: str) -> bool:
        """Ask and wait for the answer (from a worker)."""
        answer: asyncio.Future[bool] = asyncio.get_running_loop().create_future()

        def settle(value: bool) -> None:
            if not answer.done():
                answer.set_result(value)

        self.post_message(
            self.ConfirmAsked(
                question, detail, yes, lambda: settle(True), otherwise=lambda: settle(False)
            )
        )
        return await answer
