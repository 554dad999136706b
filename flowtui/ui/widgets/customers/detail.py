"""The detail pane: every attribute of the highlighted customer, custom fields labelled and
typed. It shows what the view binds to it (``customer``, ``fields``, ``shown``)."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.reactive import var
from textual.widgets import Static

from flowtui.api.models import Customer, Field
from flowtui.ui.widgets.customers.addresses import AddressesBlock
from flowtui.ui.widgets.safe import display

DETAIL_LIMIT = 2_000  # characters of one value shown in the detail pane


def detail_text(customer: Customer, fields: list[Field] | tuple[Field, ...]) -> Text:
    """Every attribute of ``customer``, custom fields labelled by their field name and typed."""
    text = Text(no_wrap=False, end="")

    def line(label: str, value: Any, kind: str = "") -> None:
        text.append(f"{label}\n", style="bold")
        if value is None or value == "":
            text.append("  (none)", style="dim")
        else:
            shown = display(value)
            if len(shown) > DETAIL_LIMIT:
                shown = shown[:DETAIL_LIMIT] + f"… ({len(shown):,} characters)"
            text.append("  " + shown)
        if kind:
            text.append(f"  {kind}", style="dim")
        text.append("\n")

    line("Name", customer.name)
    line("Email", customer.email)
    line("External ref", customer.external_ref)
    line("Password", "set" if customer.has_password else "not set")
    line("Id", customer.id)
    line("Created", customer.created_at)
    line("Updated", customer.updated_at)
    known = set()
    if fields:
        text.append("\nCustom fields\n", style="bold underline")
    for f in fields:
        known.add(f.slug)
        line(f.name or f.slug, customer.custom.get(f.slug), f.field_type)
    others = [k for k in customer.custom if k not in known]
    if others:
        text.append("\nOther attributes\n", style="bold underline")
        for key in others:
            line(key, customer.custom[key])
    return text


class DetailPane(VerticalScroll):
    """The pane on the right of the table (``v`` shows or hides it)."""

    #: The highlighted customer (None: nothing highlighted).
    customer: var[Customer | None] = var[Customer | None](None, init=False)
    #: The customers flow's fields (labels and types of the custom attributes).
    fields: var[tuple[Field, ...]] = var[tuple[Field, ...]]((), init=False)
    shown: var[bool] = var(False, init=False)

    def compose(self) -> ComposeResult:
        yield AddressesBlock(id="customers-addresses").data_bind(
            customer=DetailPane.customer, shown=DetailPane.shown
        )
        yield Static("", id="customers-detail-body")

    def watch_shown(self, shown: bool) -> None:
        self.set_class(shown, "shown")
        self.show()

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        #: Whether a redraw for a new customer or fields is scheduled.
        self._due = False

    def watch_customer(self) -> None:
        self.show_soon()

    def watch_fields(self) -> None:
        self.show_soon()

    def show_soon(self) -> None:
        """Show the new customer in the frame after this one (issue 14: a page turn's
        frame draws the rows; the pane follows), once however often it changed meanwhile."""
        if not self._due:
            self._due = True
            self.call_after_refresh(self._show_due)

    def _show_due(self) -> None:
        self._due = False
        self.show()

    def show(self) -> None:
        if not self.shown or not self.is_mounted:
            return
        body = self.query_one("#customers-detail-body", Static)
        if self.customer is None:
            body.update(Text("No customer highlighted.", style="dim"))
        else:
            body.update(detail_text(self.customer, self.fields))
