"""Changing one row of the customers table and redrawing that row alone (issue 14: a save).

``DataTable.update_cell`` bumps the table's update count, which is part of the key of every
render cache the table keeps: the next frame renders every visible row again (33 rows of 9
cells, two thirds of the frame after a save). :func:`patch_row` sets the row's cells and
drops only that row's cached renders, so the next frame renders one row.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from textual.cache import LRUCache
from textual.widgets.data_table import ColumnKey, RowKey

from flowtui.ui.widgets.customers.table import CustomerTable, marked


def patch_row(table: CustomerTable, key: str, cells: Mapping[str, Any]) -> None:
    """Put ``cells`` (column key to value) in the row ``key`` and redraw that row alone.

    It reaches into DataTable's render caches (Textual 8.2.x: the cell, row, row-renderable
    and line caches); tests/ui/test_customer_save.py compares what it draws with a redraw
    from empty caches. A row or
    column the table lacks raises ``CellDoesNotExist``, as ``update_cell`` does."""
    row_key = RowKey(key)
    columns = table.ordered_columns
    if row_key not in table._row_locations or any(
        ColumnKey(column) not in table._column_locations for column in cells
    ):
        for column, value in cells.items():
            table.update_cell(key, column, value)  # raises for the missing one
        return
    first = columns[0].key.value if columns else None
    data = table._data[row_key]
    for column, value in cells.items():
        if column == first and table.is_marked(key):
            value = marked(value)
        data[ColumnKey(column)] = value
    caches: list[LRUCache[Any, Any]] = [table._cell_render_cache, table._row_render_cache]
    for cache in caches:
        for cache_key in list(cache.keys()):  # an LRUCache: not iterable itself
            if cache_key[0] == row_key:
                cache.discard(cache_key)
    index = table.get_row_index(row_key)
    table._row_renderable_cache.discard((table._update_count, index))
    y_offsets = table._y_offsets
    for cache_key in list(table._line_cache.keys()):
        line = cache_key[0] - table.header_height if table.show_header else cache_key[0]
        if 0 <= line < len(y_offsets) and y_offsets[line][0] == row_key:
            table._line_cache.discard(cache_key)
    table.refresh_row(index)
