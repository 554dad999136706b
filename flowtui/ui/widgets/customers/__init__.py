"""The customer browser: :class:`CustomersView` and its small widgets, one module each."""

from flowtui.ui.widgets.customers.detail import DetailPane, detail_text
from flowtui.ui.widgets.customers.table import MARK, CustomerTable
from flowtui.ui.widgets.customers.view import CustomersView, page_status

__all__ = ["MARK", "CustomerTable", "CustomersView", "DetailPane", "detail_text", "page_status"]
