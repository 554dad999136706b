"""The cells of the customers table, kept per customer record (issue 14: a cached page turn
within 50 ms). Building a page's cells (900 values through :func:`~flowtui.ui.widgets.safe.safe`)
is a few milliseconds the key's frame need not pay when the page was fetched ahead: the view
builds them when the prefetch lands, and the page turn finds them here.

A record is a frozen :class:`~flowtui.api.models.Customer`: a changed customer is a new
object, so a record's identity (kept alive by the memo itself) and the columns are the key."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text

from flowtui.api.models import Customer

#: Records kept (the page cache's 20 pages of 100, and some room).
ROWS_KEPT = 4_000

Build = Callable[[Customer, list[str]], list[Text]]


class RowMemo:
    """Cells by (record, columns); forgets everything past :data:`ROWS_KEPT` records."""

    def __init__(self, limit: int = ROWS_KEPT) -> None:
        self.limit = limit
        self._rows: dict[int, tuple[Customer, tuple[str, ...], list[Text]]] = {}

    def __len__(self) -> int:
        return len(self._rows)

    def cells(self, customer: Customer, columns: list[str], build: Build) -> list[Text]:
        """The cells of ``customer`` in ``columns``: kept ones, else ``build``'s (then kept).
        The list is shared: callers do not change it."""
        wanted = tuple(columns)
        kept = self._rows.get(id(customer))
        if kept is not None and kept[0] is customer and kept[1] == wanted:
            return kept[2]
        cells = build(customer, columns)
        if len(self._rows) >= self.limit:
            self._rows.clear()
        self._rows[id(customer)] = (customer, wanted, cells)
        return cells
