"""The addresses block at the top of the detail pane: the highlighted customer's addresses,
one compact line each (store text, shown literally).

Addresses are a sub-resource: one request per customer. They load in a worker (exclusive, so
moving the highlight cancels the load for the customer left behind) after a short pause (a
held arrow key asks for the customer it stops on, not every one it passes), and are kept per
customer for the session: a highlight move back shows them at once, never waiting on the
network. The app's change signal keeps the cache right: an address created, changed or
deleted (in the editor, by undo) is applied in place; a change of the ``addresses`` flow's
fields drops the cache, as custom values come and go with them.
"""

from __future__ import annotations

import asyncio
from typing import Any

from rich.text import Text
from textual import work
from textual.reactive import var
from textual.widgets import Static

from flowtui.api.errors import ApiError, AuthError, ForbiddenError, NotFoundError
from flowtui.api.models import Address, Customer
from flowtui.api.service import Change
from flowtui.ui.session import ErrorFunnel
from flowtui.ui.widgets.safe import display

#: Seconds the highlight must rest on a customer before its addresses are asked for.
SETTLE_DELAY = 0.08
#: Characters of one address line (the pane cuts it to its width with an ellipsis anyway).
LINE_LIMIT = 200


def addresses_text(addresses: list[Address] | None, note: str = "") -> Text:
    """The block: a heading, then one line per address (``Home · 1 Main St, …``) or a note
    (loading, none, a failure)."""
    count = "" if addresses is None else f" ({len(addresses)})"
    text = Text(no_wrap=True, overflow="ellipsis", end="")
    text.append(f"Addresses{count}", style="bold underline")
    text.append("  a: open", style="dim")
    if note:
        text.append(f"\n  {note}", style="dim")
    for address in addresses or []:
        line = display(address.summary())
        if len(line) > LINE_LIMIT:
            line = line[: LINE_LIMIT - 1] + "…"
        text.append(f"\n• {line}")
    if addresses == [] and not note:
        text.append("\n  (none)", style="dim")
    return text


class AddressesBlock(ErrorFunnel, Static):
    """Above the customer's attributes in the detail pane (bound to the pane's state)."""

    DEFAULT_CSS = """
    AddressesBlock { height: auto; margin-bottom: 1; text-wrap: nowrap; text-overflow: ellipsis; }
    """

    #: The highlighted customer (None: nothing highlighted).
    customer: var[Customer | None] = var[Customer | None](None, init=False)
    #: Whether the pane is shown (nothing is loaded while it is hidden).
    shown: var[bool] = var(False, init=False)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("", **kwargs)
        #: Each customer's addresses as last read or changed, by customer id.
        self.cache: dict[str, list[Address]] = {}

    def on_mount(self) -> None:
        self.flow_app.follow_changes(self, self.store_changed)
        self.show()

    def watch_customer(self, before: Customer | None, after: Customer | None) -> None:
        # A move from one customer to another waits for the highlight to rest; the first
        # customer shown (the pane opening on it) loads at once.
        self.show(SETTLE_DELAY if before is not None and after is not None else 0.0)

    def watch_shown(self) -> None:
        self.show()

    def show(self, delay: float = 0.0) -> None:
        """Show the highlighted customer's addresses: from the cache at once, else loading
        (after ``delay`` seconds; cancelling the load of any other customer)."""
        if not self.is_mounted:
            return
        self.workers.cancel_group(self, "customers.addresses")
        customer = self.customer
        self.display = self.shown and customer is not None
        if not self.shown or customer is None:
            self.update("")
            return
        cached = self.cache.get(customer.id)
        if cached is not None:
            self.update(addresses_text(cached))
            return
        self.update(addresses_text(None, "loading…"))
        self.load(customer.id, delay)

    @work(exclusive=True, group="customers.addresses", exit_on_error=False)
    async def load(self, customer_id: str, delay: float = 0.0) -> None:
        if delay:
            await asyncio.sleep(delay)
        try:
            addresses = await self.flow_app.api.list_addresses(customer_id)
        except AuthError:
            raise  # the error funnel opens the login screen
        except NotFoundError:
            self.note(customer_id, "this customer was deleted on the server")
            return
        except ForbiddenError:
            self.note(customer_id, "this profile may not read addresses")
            return
        except ApiError as exc:
            self.note(customer_id, f"could not load: {exc.summary}")
            return
        self.cache[customer_id] = addresses
        if self.customer is not None and self.customer.id == customer_id:
            self.update(addresses_text(addresses))

    def note(self, customer_id: str, note: str) -> None:
        if self.customer is not None and self.customer.id == customer_id:
            self.update(addresses_text(None, note))

    def store_changed(self, change: Change) -> None:
        """Keep the cache right (see the module docstring)."""
        if change.resource == "address" and isinstance(change.item, Address):
            self.apply(change.action, change.item)
        elif change.resource == "customer" and change.action == "deleted":
            self.cache.pop(change.id, None)
            return
        elif change.resource in ("field", "flow") and change.flow_slug in ("addresses", None):
            self.cache.clear()
        else:
            return
        self.show()

    def apply(self, action: str, address: Address) -> None:
        """An address written: put it in (or take it out of) its customer's cached list."""
        cached = self.cache.get(address.customer_id)
        if cached is None:
            return  # not read yet: the first show reads it
        if action == "created":
            if all(a.id != address.id for a in cached):
                cached = [*cached, address]
        elif action == "updated":
            cached = [address if a.id == address.id else a for a in cached]
        elif action == "deleted":
            cached = [a for a in cached if a.id != address.id]
        self.cache[address.customer_id] = cached
