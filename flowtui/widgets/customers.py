"""The customers view: a server-paged table of customers, custom fields included.

Pages come from the service in a worker (never blocking the UI); every cell is server text
shown literally. The view reloads when the service reports a change to customers or to the
fields of the ``customers`` flow.
"""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Label

from flowtui.api.errors import ForbiddenError
from flowtui.api.models import Customer, Field, Page
from flowtui.api.service import Change
from flowtui.widgets.safe import safe

PAGE_SIZE = 100


def page_status(page: Page, noun: str = "customers") -> str:
    """``"201-300 of 12,345 customers"`` (or an empty-state sentence)."""
    if page.total == 0:
        return f"No {noun} yet."
    if not page.items:
        return f"No {noun} on this page (of {page.total:,})."
    return f"{page.first_index:,}-{page.last_index:,} of {page.total:,} {noun}"


class CustomersView(Vertical):
    """Browse customers page by page."""

    BINDINGS = [
        Binding(
            "right_square_bracket,ctrl+pagedown",
            "next_page",
            "Next page",
            id="customers.next_page",
            tooltip="Load the next page of customers from the store",
        ),
        Binding(
            "left_square_bracket,ctrl+pageup",
            "prev_page",
            "Prev page",
            id="customers.prev_page",
            tooltip="Load the previous page of customers",
        ),
        Binding(
            "c",
            "copy('email')",
            "Copy email",
            id="customers.copy_email",
            tooltip="Copy the highlighted customer's email (works over SSH: OSC 52)",
        ),
        Binding(
            "C",
            "copy('id')",
            "Copy id",
            id="customers.copy_id",
            show=False,
            tooltip="Copy the highlighted customer's id",
        ),
        Binding("n", "new", "New", id="customers.new", tooltip="Create a customer"),
        Binding("r", "reload", "Reload", id="customers.reload", tooltip="Reload this page"),
    ]

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.page_offset = 0
        self.fields: list[Field] = []
        self.customers: dict[str, Customer] = {}
        self.page: Page | None = None

    def compose(self) -> ComposeResult:
        yield Label("Loading customers…", id="customers-status", classes="status")
        table: DataTable = DataTable(id="customers-table", cursor_type="row", zebra_stripes=True)
        yield table

    def on_mount(self) -> None:
        self.load()

    @property
    def table(self) -> DataTable:
        return self.query_one("#customers-table", DataTable)

    def status(self, text: str) -> None:
        self.query_one("#customers-status", Label).update(Text(text))

    @work(exclusive=True, group="customers.load", exit_on_error=False)
    async def load(self) -> None:
        service = self.app.service
        self.status("Loading customers…")
        flows = await service.list_flows()
        has_flow = any(f.slug == "customers" for f in flows)
        fields = await service.list_fields("customers") if has_flow else []
        self.fields = [f for f in fields if f.enabled and f.field_type != "relationship"]
        try:
            page = await service.list_customers(offset=self.page_offset, limit=PAGE_SIZE)
        except ForbiddenError:
            if not service.read_only:
                raise
            self.table.clear(columns=True)
            self.status(
                "Read-only profile: EPCC does not let implicit tokens read customers. "
                "Flows and fields (f3) are readable."
            )
            return
        except Exception as exc:
            self.status(f"Could not load customers: {exc}")
            raise
        self.show(page)

    def show(self, page: Page[Customer]) -> None:
        self.page = page
        table = self.table
        cursor = table.cursor_row
        table.clear(columns=True)
        table.add_column("Name", key="name")
        table.add_column("Email", key="email")
        for f in self.fields:
            table.add_column(safe(f.name or f.slug, 30), key=f"custom:{f.slug}")
        table.add_column("Created", key="created_at")
        self.customers = {c.id: c for c in page.items}
        for c in page.items:
            cells = [safe(c.name, 60), safe(c.email, 60)]
            cells += [safe(c.custom.get(f.slug), 40) for f in self.fields]
            cells.append(safe(c.created_at[:10]))
            table.add_row(*cells, key=c.id)
        if page.items:
            table.move_cursor(row=min(max(cursor, 0), len(page.items) - 1))
        hint = "" if page.items else "  Press n to create one."
        self.status(page_status(page) + hint)

    def highlighted(self) -> Customer | None:
        table = self.table
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        return self.customers.get(key.value) if key else None

    def action_next_page(self) -> None:
        if self.page and self.page.has_next:
            self.page_offset += PAGE_SIZE
            self.load()

    def action_prev_page(self) -> None:
        if self.page_offset > 0:
            self.page_offset = max(0, self.page_offset - PAGE_SIZE)
            self.load()

    def action_reload(self) -> None:
        self.load()

    def action_copy(self, what: str) -> None:
        customer = self.highlighted()
        if customer is None:
            self.app.bell()
            return
        value = customer.email if what == "email" else customer.id
        self.app.copy_to_clipboard(value)
        self.app.notify(f"Copied {what}: {value}", markup=False, timeout=2)

    def action_new(self) -> None:
        self.app.action_new_customer()

    def on_change(self, change: Change) -> None:
        """Refresh after a change the service reported."""
        if change.resource == "customer" or (
            change.resource == "field" and change.flow_slug in ("customers", None)
        ):
            self.load()
