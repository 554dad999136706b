"""The customers table swaps a page of rows in place (issue 14): the same table, cell for
cell and line for line, as clearing it and adding the rows one by one."""

from __future__ import annotations

from rich.text import Text
from textual.app import App, ComposeResult

from flowtui.api.models import Customer
from flowtui.ui.widgets.customers.table import MARK, CustomerTable


class Tables(App[None]):
    def compose(self) -> ComposeResult:
        yield CustomerTable(id="added", cursor_type="row")
        yield CustomerTable(id="swapped", cursor_type="row")


def rows(start: int, n: int) -> list[tuple[str, list[Text]]]:
    return [(f"id-{i}", [Text(f"Name {i}"), Text(f"n{i}@x.test")]) for i in range(start, start + n)]


def lines(table: CustomerTable) -> list[str]:
    return [table.render_line(y).text for y in range(table.size.height)]


async def test_swapped_rows_are_the_rows_added_one_by_one():
    app = Tables()
    async with app.run_test(size=(60, 30)) as pilot:
        added, swapped = (
            app.query_one("#added", CustomerTable),
            app.query_one("#swapped", CustomerTable),
        )
        for table in (added, swapped):
            table.add_column("Name", key="name", width=20)
            table.add_column("Email", key="email", width=20)
            table.marks = {"id-12": Customer(id="id-12", name="Name 12", email="n12@x.test")}
        swapped.swap_rows(rows(0, 10))
        swapped.move_cursor(row=7)
        for page in (rows(10, 10), rows(20, 4)):  # a page turn, then a shorter last page
            added.clear()
            for key, cells in page:
                added.add_row(*cells, key=key)
            added.move_cursor(row=min(7, len(page) - 1))
            swapped.swap_rows(page)
            await pilot.pause()
            assert [k.value for k in swapped.rows] == [k.value for k in added.rows]
            assert swapped.cursor_row == added.cursor_row
            assert swapped.virtual_size == added.virtual_size
            assert lines(swapped) == lines(added)
            for i in range(added.row_count):
                assert swapped.get_row_at(i) == added.get_row_at(i)
        swapped.swap_rows(rows(10, 3))
        assert str(swapped.get_cell("id-12", "name")).startswith(MARK)  # marked: flagged
