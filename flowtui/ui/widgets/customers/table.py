"""The customers table: one page of customers, marked ones flagged in their first cell; the
page keys turn server pages rather than scroll within the page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual.coordinate import Coordinate
from textual.message import Message
from textual.reactive import var
from textual.widgets import DataTable
from textual.widgets._data_table import Row, TwoWayDict
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

    def swap_rows(self, rows: list[tuple[str, list[Any]]]) -> None:
        """Replace every row with ``rows`` (key, cells) at once, the columns kept.

        ``clear()`` then ``add_row`` per row moves the cursor 101 times and, once idle,
        measures every new cell to size columns that here have fixed widths (issue 14:
        that re-measuring was most of a cached page's cost before its frame). This puts the
        rows in place in one go, with one refresh. It reaches into DataTable's row
        bookkeeping (Textual 8.2.x; the test suite compares it with ``add_row``), so it falls
        back to ``clear()`` and ``add_row`` whenever a column sizes itself.
        """
        columns = self.ordered_columns
        if not columns or any(c.auto_width for c in columns) or self._labelled_row_exists:
            self.clear()
            for key, cells in rows:
                self.add_row(*cells, key=key)
            return
        first = columns[0].key
        self._clear_caches()
        self._y_offsets.clear()
        self._data.clear()
        self.rows.clear()
        self._new_rows.clear()
        locations: dict[RowKey, int] = {}
        for index, (key, cells) in enumerate(rows):
            row_key = RowKey(key)
            locations[row_key] = index
            values = dict(zip((c.key for c in columns), cells, strict=False))
            if cells and key in self.marks:
                values[first] = marked(values[first])
            self._data[row_key] = values
            self.rows[row_key] = Row(row_key, 1, None, False)
        self._row_locations = TwoWayDict(locations)
        self._update_count += 1
        self._require_update_dimensions = True  # the row count (virtual height) may differ
        self.scroll_to(0, 0, animate=False, immediate=True)
        row = min(self.cursor_row, len(rows) - 1) if rows else 0
        self.cursor_coordinate = Coordinate(max(row, 0), self.cursor_column)
        self.refresh()
        self.check_idle()

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
