"""The command palette (ctrl+p): Textual's, made to take keys typed ahead.

Textual's palette searches its providers in a worker, so its list of commands follows the
typing with a delay. Typed in one burst (``ctrl+p``, ``customer: new``, enter), enter reached
the palette before the search for what was typed had answered: it ran the command the list
showed before (or nothing, before any list was there). :class:`Palette` holds the keys that
act on the list (ui/typeahead.py's ``KeyHold``) until the search for the text in its box has
answered, so enter runs the command a slow typist would see first. Text, backspace and esc
never wait.
"""

from __future__ import annotations

from textual.command import CommandInput, CommandPalette
from textual.worker import Worker

from flowtui.ui.typeahead import has_pending

#: The keys that act on the list of commands found.
LIST_KEYS = frozenset(
    {"enter", "tab", "down", "up", "pagedown", "pageup"}
    | {"ctrl+end", "shift+end", "ctrl+home", "shift+home"}
)


class Palette(CommandPalette):
    """The command palette; enter and the list keys wait for the search they act on."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]  # CommandPalette's keywords
        #: The text of the newest search started (None: none yet).
        self.searched: str | None = None

    def _gather_commands(self, search_value: str) -> Worker[None]:
        self.searched = search_value
        return super()._gather_commands(search_value)

    def searching(self) -> bool:
        """Whether the list does not show the answer for the box's text yet: keys or a
        change still queued between the box and here, a search not started for its text, or
        still running."""
        try:
            box = self.query_one(CommandInput)
        except Exception:  # not composed yet: nothing to act on either
            return True
        for node in box.ancestors_with_self:
            if has_pending(node):
                return True
            if node is self:
                break
        return box.value.strip() != self.searched or any(
            worker.node is self
            and worker.group == self._GATHER_COMMANDS_GROUP
            and not worker.is_finished
            for worker in self.app.workers
        )

    def holds_key(self, key: str) -> bool:
        """Type-ahead: a key that acts on the list waits until it answers the box's text."""
        return key in LIST_KEYS and self.searching()
