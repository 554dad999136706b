"""Small helpers for the DataTables the views show."""

from __future__ import annotations

from textual.widgets import DataTable


def cursor_key(table: DataTable) -> str | None:
    """The row key (a record id) under the table's cursor, or None when the table is empty."""
    if not table.row_count:
        return None
    key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
    return key.value if key else None
