"""The customers table's cells kept per customer record (issue 14): a page fetched ahead has
its cells built when it lands, so the page key's frame only swaps them in; a changed customer
(a new record) is built again; the memo stays bounded."""

from __future__ import annotations

from flowtui.api.models import Customer
from flowtui.ui.widgets.customers.rows import RowMemo
from flowtui.ui.widgets.safe import safe
from tests.ui.conftest import logged_in_app, wait_for_customers
from tests.ui.test_customers_remote import far, settle, status

__all__ = ["far"]


def test_cells_are_built_once_per_record_and_columns():
    built: list[str] = []

    def build(customer: Customer, columns: list[str]):
        built.append(customer.id)
        return [safe(getattr(customer, c)) for c in columns]

    memo = RowMemo(limit=3)
    ada = Customer(id="a", name="Ada", email="ada@x.test")
    first = memo.cells(ada, ["name", "email"], build)
    assert memo.cells(ada, ["name", "email"], build) is first and built == ["a"]
    assert [str(c) for c in memo.cells(ada, ["email"], build)] == ["ada@x.test"]
    renamed = Customer(id="a", name="Ada L.", email="ada@x.test")  # a changed record
    assert str(memo.cells(renamed, ["name"], build)[0]) == "Ada L." and built == ["a"] * 3
    for i in range(5):
        memo.cells(Customer(id=f"c{i}", name="n", email="e@x.test"), ["name"], build)
    assert len(memo) <= 3


async def test_a_prefetched_page_is_built_before_its_key(far):
    sandbox = far(latency=0)
    app = logged_in_app(sandbox)
    async with app.run_test(size=(120, 36)) as pilot:
        view = await wait_for_customers(pilot)
        await settle(pilot)  # the next page fetched ahead, and its cells built
        built: list[str] = []
        cells = view.cells

        def counted(customer, columns):
            built.append(customer.id)
            return cells(customer, columns)

        view.cells = counted  # type: ignore[method-assign]
        await pilot.press("pagedown")
        assert status(app) == "101-200 of 250 customers"
        assert not set(built) & set(view.customers)  # its rows were ready (the page after
        assert len(built) == 50  # it, fetched ahead in turn, is what was built meanwhile)
        shown = view.highlighted()
        assert shown is not None
        assert str(view.table.get_cell(shown.id, "name")) == shown.name
