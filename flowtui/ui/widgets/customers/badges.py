"""The status bar's two small badges: how many customers are marked, and the sort, search and
index state on the right. Both show what the view binds to them."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import var
from textual.widgets import Label

from flowtui.ui.logic.browse import Search, Sort


class MarksBadge(Label):
    """``"3 marked (b: bulk edit, x: unmark all)"``, or what marking is doing."""

    text: var[str] = var("", init=False)

    def watch_text(self, text: str) -> None:
        self.update(Text(text))
        self.set_class(bool(text), "shown")


def marks_text(count: int) -> str:
    return f"{count:,} marked (b: bulk edit, x: unmark all)" if count else ""


def info_text(sort: Sort, search: Search, finding: bool, index_note: str, note_is_age: bool) -> str:
    """The right of the status bar: search, sort and the index's state. With index results
    on screen the sort is always by name, and the age is already said on the left."""
    parts = [f"sort: {sort.describe()}"]
    if search.description:
        parts.insert(0, search.description)
    if finding:
        parts = ["sort: name"]
    if index_note and not (finding and note_is_age):
        parts.append(index_note)
    return " · ".join(parts)


class IndexBadge(Label):
    """The right of the status bar: the search and sort of the store's pages, and the local
    index's state ("index: 3 min old", "index: syncing 45%", ...)."""

    sort: var[Sort] = var(Sort, init=False)
    search: var[Search] = var(Search, init=False)
    finding: var[bool] = var(False, init=False)
    index_note: var[str] = var("", init=False)
    note_is_age: var[bool] = var(False, init=False)

    def on_mount(self) -> None:
        self.show()

    def show(self) -> None:
        text = info_text(self.sort, self.search, self.finding, self.index_note, self.note_is_age)
        self.update(Text(text))

    watch_sort = watch_search = watch_finding = watch_index_note = watch_note_is_age = show
