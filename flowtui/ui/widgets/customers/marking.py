"""Marks and bulk edit: ``space`` marks the highlighted customer, ``A`` marks every customer
matching the search (every page), ``x`` clears the marks, ``b`` asks for a bulk edit of the
marked customers (or the highlighted one). The marks live on the view (``marks``, bound into
the table, which flags them) and follow the app's changes."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from textual import work
from textual.message import Message
from textual.widgets.data_table import CellDoesNotExist

from flowtui.api.models import Customer
from flowtui.api.service import Change
from flowtui.ui.widgets.customers.badges import marks_text
from flowtui.ui.widgets.customers.state import Browser


class Marking(Browser):
    """The marking part of the customer browser."""

    @dataclass
    class BulkEditAsked(Message):
        """Bulk-edit ``customers`` (the host pushes the bulk edit screen)."""

        customers: list[Customer]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        #: True while ``A`` is reading the matching customers.
        self.marking = False

    def show_marks(self, text: str | None = None) -> None:
        """``"3 marked (b: bulk edit)"`` next to the status, or what marking is doing."""
        self.marks_note = marks_text(len(self.marks)) if text is None else text

    def repaint_mark(self, customer_id: str) -> None:
        """Redraw the first cell of a customer's row (with or without the mark)."""
        customer = self.customers.get(customer_id)
        if customer is None or not self._heads:
            return
        first = self._heads[0][0]
        with contextlib.suppress(CellDoesNotExist):
            self.table.update_cell(customer_id, first, self.cells(customer, [first])[0])

    def repaint_marks(self) -> None:
        for customer_id in list(self.customers):
            self.repaint_mark(customer_id)

    def action_toggle_mark(self) -> None:
        customer = self.highlighted()
        if customer is None:
            self.app.bell()
            return
        if self.marks.pop(customer.id, None) is None:
            self.marks[customer.id] = customer
        self.repaint_mark(customer.id)
        self.show_marks()
        self.table.action_cursor_down()

    def action_clear_marks(self) -> None:
        self.workers.cancel_group(self, "customers.mark_all")
        self.marking = False
        self.marks.clear()
        self.repaint_marks()
        self.show_marks()

    def action_mark_all(self) -> None:
        if self.pager.search.problem or self.state == "forbidden":
            self.app.bell()
            return
        self.mark_matching()

    async def matching_customers(self) -> tuple[int, AsyncIterator[Customer]]:
        """How many customers the current search matches, and all of them.

        Walks the server's filters by key (past the 10,000 offset cap); find mode overrides
        this to yield what the local index found instead.
        """
        from flowtui.ops import bulk  # when first used: not needed to start (issue 14)

        service = self.flow_app.api
        terms = list(self.pager.search.terms)
        total = await bulk.count_matching(service, terms)
        return total, bulk.iter_matching(service, terms)

    @work(exclusive=True, group="customers.mark_all", exit_on_error=False)
    async def mark_matching(self) -> None:
        from flowtui.ops import bulk

        self.show_marks("Counting the matching customers…")
        try:
            total, customers = await self.matching_customers()
        except Exception:
            self.show_marks()
            raise
        if total > bulk.MARK_ALL_ASK:
            pages = -(-total // bulk.PAGE)
            yes = await self.confirmed(
                f"Mark all {total:,} matching customers?",
                f"They are read from the store, {bulk.PAGE} at a time ({pages:,} "
                "requests), and kept in memory until you unmark them (x).",
                "Mark all",
            )
            if not yes:
                self.show_marks()
                return
        self.marking = True
        count = 0
        try:
            async for customer in customers:
                self.marks[customer.id] = customer
                count += 1
                if count % bulk.PAGE == 0:
                    self.show_marks(f"Marking… {count:,} of {total:,}")
        finally:
            self.marking = False
            self.repaint_marks()
            self.show_marks()
        self.notify(f"Marked {count:,} matching customers.", timeout=3)

    def follow_marks(self, change: Change) -> None:
        """Keep the marked customers as the service last saw them; forget deleted ones."""
        if change.resource != "customer" or change.id not in self.marks:
            return
        if change.action == "deleted":
            del self.marks[change.id]
            self.show_marks()
        elif isinstance(change.item, Customer):
            self.marks[change.id] = change.item

    def action_bulk_edit(self) -> None:
        if not self.writable("bulk-edit customers"):
            return
        if self.marking:
            self.app.bell()
            self.notify("Still marking the matching customers; a moment.", timeout=3)
            return
        customers = list(self.marks.values())
        if not customers:
            customer = self.highlighted()
            if customer is None:
                self.app.bell()
                return
            customers = [customer]
        self.post_message(self.BulkEditAsked(customers))
