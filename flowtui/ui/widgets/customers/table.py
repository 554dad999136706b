"""The customers table: one page of customers, marked ones flagged in their first cell; the
page keys turn server pages rather than scroll within the page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.cells import cell_len, set_cell_size
from rich.console import ConsoleOptions
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.coordinate import Coordinate
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import var
from textual.strip import Strip
from textual.widgets import DataTable
from textual.widgets._data_table import Row, TwoWayDict
from textual.widgets.data_table import RowKey

from flowtui.api.models import Customer

MARK = "● "
#: How many cell styles the table keeps (a page's visible cells, each in a few states).
CELL_STYLES = 4_096


def marked(cell: Any) -> Text:
    """A cell with the mark in front (marked customers' first column)."""
    text = cell.copy() if isinstance(cell, Text) else Text(str(cell), end="")
    return Text(MARK, style="bold", end="") + text


def plain_cell(cell: Text, inner: int, pad: int, style: Style) -> list[Segment] | None:
    """What rich makes of ``Styled(Padding(cell, (0, pad)), pre_style, post_style)`` on one
    line ``inner + 2 * pad`` cells wide, for a ``Text`` of one line with no style or spans
    (every plain cell of this table): the text cut to ``inner`` cells (rich's "fold" and
    "crop" cut the same on one line) and padded, all in ``style`` (``pre_style`` then
    ``post_style``). None for any other cell (rich draws it). The test compares the two
    over hostile and wide text (tests/ui/test_customers_cells.py)."""
    plain = cell.plain
    if (
        cell._spans
        or cell.style
        or cell.justify not in (None, "default")
        or cell.overflow not in (None, "fold", "crop")
        or "\n" in plain
        or "\t" in plain
    ):
        return None
    length = cell_len(plain)
    if length > inner:
        plain = set_cell_size(plain, inner)
        length = inner
    # Separate segments, as rich makes them: a line's width is the sum of its segments'
    # (a zero-width joiner at the end of the text would join the padding after it).
    spaces = Segment(" " * pad, style)
    return [spaces, Segment(plain, style), Segment(" " * (inner - length), style), spaces]


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

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        #: Rich's options for a cell's text by (column width, padding, screen size).
        self._cell_options: dict[tuple[int, int, Size], ConsoleOptions] = {}
        #: A body cell's styles (DataTable's, its row and column added) by where it is: the
        #: same from page to page (kept until the CSS changes).
        self._cell_styles: dict[tuple[object, ...], tuple[Style, Style, Style]] = {}
        #: Row styles by row kind (even, odd, a fixed row's index), for one pseudo-class state
        #: (set before DataTable's own set-up, whose watchers clear them).
        self._row_styles: dict[tuple[int, Style], Style] = {}
        self._row_styles_state: object = None
        #: The widget's rich style during a render pass (None outside one).
        self._pass_style: Style | None = None
        super().__init__(*args, **kwargs)

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

    def _render_cell(
        self,
        row_index: int,
        column_index: int,
        base_style: Style,
        width: int,
        cursor: bool = False,
        hover: bool = False,
    ) -> list[list[Segment]]:
        """DataTable's cell, drawn without its generic layers for a one-line ``Text`` cell.

        Issue 14: DataTable draws each visible cell of a new page through rich's
        ``Styled(Padding(cell))``, two nested ``render_lines`` and their generators: most of a
        cached page turn's frame. For a body cell of a one-line row holding a ``Text`` (every
        cell of this table: :func:`~flowtui.ui.widgets.safe.safe`), this puts in DataTable's
        own cell cache, under its own key, the same segments with one ``render_lines`` (the
        one ``Padding`` makes) and the padding and styles added directly; anything else (the
        header, a label, a taller row, another renderable) is DataTable's own path.
        """
        if row_index < 0 or column_index < 0:
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        row_key = self._row_locations.get_key(row_index)
        column_key = self._column_locations.get_key(column_index)
        if row_key is None or column_key is None:
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        state = self._pseudo_class_state
        hovering = self._show_hover_cursor
        key = (row_key, column_key, base_style, cursor, hover, hovering, self._update_count, state)
        cache = self._cell_render_cache
        lines = cache.get(key)
        if lines is not None:
            return lines
        row = self.rows.get(row_key)
        cell = self._data[row_key].get(column_key) if row is not None else None
        pad = self.cell_padding
        inner = width - 2 * pad
        if (
            row is None
            or not isinstance(cell, Text)
            or row.height != 1
            or inner < 1
            or row_index < self.fixed_rows
            or column_index < self.fixed_columns
        ):
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        show_cursor = self.show_cursor
        styles_key = (
            base_style,
            row_index,
            column_index,
            cursor,
            hover,
            hovering,
            show_cursor,
            state,
            self.cursor_foreground_priority,
            self.cursor_background_priority,
        )
        styles = self._cell_styles.get(styles_key)
        if styles is None:
            component_style, post_style = self._get_styles_to_render_cell(
                False,
                False,
                False,
                hover,
                cursor,
                show_cursor,
                hovering,
                self.cursor_foreground_priority == "css",
                self.cursor_background_priority == "css",
            )
            pre_style = base_style + Style.from_meta({"row": row_index, "column": column_index})
            pre_style += component_style
            plain_style = pre_style + post_style if pre_style else post_style
            styles = (pre_style, post_style, plain_style)
            if len(self._cell_styles) > CELL_STYLES:
                self._cell_styles.clear()
            self._cell_styles[styles_key] = styles
        pre_style, post_style, plain_style = styles
        lines = [
            plain_cell(cell, inner, pad, plain_style)
            or self._rich_cell(cell, width, inner, pad, pre_style, post_style)
        ]
        cache[key] = lines
        return lines

    def render_lines(self, crop: Region) -> list[Strip]:
        # The widget's style once per pass (DataTable looks it up for every line).
        self._pass_style = self.rich_style
        try:
            return super().render_lines(crop)
        finally:
            self._pass_style = None

    def render_line(self, y: int) -> Strip:
        """DataTable's, without its per-line look-ups (fixed rows: DataTable's own)."""
        if self.fixed_rows:
            return super().render_line(y)
        width = self.size.width
        scroll_x, scroll_y = self.scroll_offset
        if y >= (self.header_height if self.show_header else 0):
            y += scroll_y
        style = self._pass_style or self.rich_style
        return self._render_line(y, scroll_x, scroll_x + width, style)

    def _render_line_in_row(
        self,
        row_key: RowKey,
        line_no: int,
        base_style: Style,
        cursor_location: Coordinate,
        hover_location: Coordinate,
    ) -> tuple[list[list[Segment]], list[list[Segment]]]:
        """DataTable's for a row cursor, no row labels and no fixed columns (this table),
        with the cursor and hover worked out once per row instead of once per cell;
        anything else is DataTable's own. The lines are compared with DataTable's in
        tests/ui/test_customers_cells.py."""
        if (
            self.cursor_type != "row"
            or self.fixed_columns
            or (self._labelled_row_exists and self.show_row_labels)
        ):
            return super()._render_line_in_row(
                row_key, line_no, base_style, cursor_location, hover_location
            )
        show_cursor = self.show_cursor
        hovering = self._show_hover_cursor
        key = (
            row_key,
            line_no,
            base_style,
            cursor_location,
            hover_location,
            self.cursor_type,
            show_cursor,
            hovering,
            self._update_count,
            self._pseudo_class_state,
        )
        cache = self._row_render_cache
        kept = cache.get(key)
        if kept is not None:
            return kept
        locations = self._row_locations
        located = locations.get(row_key) if row_key in locations else None
        row_index = -1 if located is None else located
        row_style = self._get_row_style(row_index, base_style)
        cursor = cursor_location.row == row_index
        hover = hover_location.row == row_index
        render_cell = self._render_cell
        padding = 2 * self.cell_padding
        table_width = self._row_label_column_width
        scrollable: list[list[Segment]] = []
        for column_index, column in enumerate(self.ordered_columns):
            width = padding + (column.content_width if column.auto_width else column.width)
            table_width += width
            lines = render_cell(row_index, column_index, row_style, width, cursor, hover)
            scrollable.append(lines[line_no])
        extend_style, _ = self._get_styles_to_render_cell(
            row_index == -1, False, False, hover, cursor, show_cursor, hovering, False, False
        )
        extend_style = row_style + extend_style
        extend_style += Style.from_meta({"row": row_index, "column": 0, "out_of_bounds": True})
        remaining = max(0, self.size.width - table_width)
        scrollable.append([Segment(" " * remaining, extend_style)])
        pair: tuple[list[list[Segment]], list[list[Segment]]] = ([], scrollable)
        cache[key] = pair
        return pair

    def _rich_cell(
        self, cell: Text, width: int, inner: int, pad: int, pre_style: Style, post_style: Style
    ) -> list[Segment]:
        """The cell as ``Styled(Padding(cell))`` renders it, with one ``render_lines``."""
        console = self.app.console
        size = self.app.size
        options = self._cell_options.get((width, pad, size))
        if options is None:  # what DataTable gives Padding, and Padding gives the cell
            options = self.app.console_options.update_dimensions(width, 1)
            options = options.update(no_wrap=True).update_width(inner).update_height(1)
            self._cell_options[(width, pad, size)] = options
        null = Style.null()
        (line,) = console.render_lines(cell, options, style=null, pad=True)
        spaces = " " * pad
        segments = [Segment(spaces, null), *line, Segment(spaces, null)] if pad else line
        return list(Segment.apply_style(segments, pre_style, post_style))

    def _get_row_style(self, row_index: int, base_style: Style) -> Style:
        """DataTable's, kept per row kind: it looks the component style up per line drawn."""
        key = (row_index % 2 if row_index >= self.fixed_rows else row_index, base_style)
        state = (self._pseudo_class_state, self.zebra_stripes, self.fixed_rows)
        if state != self._row_styles_state:
            self._row_styles.clear()
            self._row_styles_state = state
        style = self._row_styles.get(key)
        if style is None:
            style = self._row_styles[key] = super()._get_row_style(row_index, base_style)
        return style

    def notify_style_update(self) -> None:
        self._row_styles.clear()
        self._cell_styles.clear()
        super().notify_style_update()

    def _clear_caches(self) -> None:
        self._row_styles.clear()
        super()._clear_caches()

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
