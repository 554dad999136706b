"""The browser's way to a customer's addresses: ``a`` asks the host screen to open the
highlighted customer's address list (the detail pane shows them too)."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from flowtui.api.models import Customer
from flowtui.ui.widgets.customers.state import Browser


class Addressing(Browser):
    """Mixed into :class:`~flowtui.ui.widgets.customers.view.CustomersView`."""

    @dataclass
    class AddressesAsked(Message):
        """Open ``customer``'s addresses (the host pushes the address list)."""

        customer: Customer

    def action_addresses(self) -> None:
        customer = self.highlighted()
        if customer is None:
            self.app.bell()
            return
        self.post_message(self.AddressesAsked(customer))
