"""The customers table: one page of customers, marked ones flagged in their first cell; the
page keys turn server pages rather than scroll within the page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual.message import Message
from textual.reactive import var
from textual.widgets import DataTable
from textual.widgets.data_table import RowKey

from flowtui.api.models import Customer

MARK = "● "


def marked(cell: Any) -> Text:
    """A cell with the mark in front (marked customers' first column)."""
    text = cell.copy() if isinstance(cell, Text) else Text(str(cell), end="")
    return Text(MARK, style="bold", end="") + text


class CustomerTable(DataTable[Any]):
    """The table of the customer browser."""

    @dataclass
    class PageAsked(Message):
        """A page key was pressed: ``action`` is the view's action (``next_page``, ...)."""

        action: str

    @dataclass
    class Opened(Message):
        """Enter on a row: the customer ``customer_id`` is to be opened (edited)."""

        customer_id: str

    #: The marked customers by id (the view's ``marks``, bound); their first cell shows MARK.
    marks: var[dict[str, Customer]] = var(dict, init=False)

    def is_marked(self, key: Any) -> bool:
        key = key.value if isinstance(key, RowKey) else key
        return key in self.marks

    def add_row(self, *cells: Any, key: str | None = None, **kwargs: Any) -> RowKey:
        if cells and self.is_marked(key):
            cells = (marked(cells[0]), *cells[1:])
        return super().add_row(*cells, key=key, **kwargs)

    def update_cell(self, row_key: Any, column_key: Any, value: Any, **kwargs: Any) -> None:
        columns = self.ordered_columns
        if columns and column_key == columns[0].key and self.is_marked(row_key):
            value = marked(value)
        super().update_cell(row_key, column_key, value, **kwargs)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value is not None:
            self.post_message(self.Opened(event.row_key.value))

    def action_page_down(self) -> None:
        self.post_message(self.PageAsked("next_page"))

    def action_page_up(self) -> None:
        self.post_message(self.PageAsked("prev_page"))

    def action_scroll_top(self) -> None:
        """ctrl+home: to the top row; at the top row already, to the first page."""
        if self.cursor_row <= 0:
            self.post_message(self.PageAsked("first_page"))
        else:
            super().action_scroll_top()

    def action_scroll_bottom(self) -> None:
        """ctrl+end: to the bottom row; at the bottom row already, to the last page."""
        if self.cursor_row >= self.row_count - 1:
            self.post_message(self.PageAsked("last_page"))
        else:
            super().action_scroll_bottom()
