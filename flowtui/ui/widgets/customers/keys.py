"""The customer browser's keys: every binding has an id (remappable through the config's
keymap), a description and a tooltip."""

from __future__ import annotations

from textual.binding import Binding, BindingType

BINDINGS: list[BindingType] = [
    Binding("slash", "search", "Search", id="customers.search", tooltip="Search name or email"),
    Binding(
        "pagedown,right_square_bracket,ctrl+pagedown",
        "next_page",
        "Next page",
        id="customers.next_page",
        tooltip="Load the next page of customers from the store",
    ),
    Binding(
        "pageup,left_square_bracket,ctrl+pageup",
        "prev_page",
        "Prev page",
        id="customers.prev_page",
        tooltip="Load the previous page of customers",
    ),
    Binding(
        "ctrl+home,g",
        "first_page",
        "First page",
        id="customers.first_page",
        show=False,
        tooltip="Go to the first page (ctrl+home: the top row first, then the first page)",
    ),
    Binding(
        "ctrl+end,G",
        "last_page",
        "Last page",
        id="customers.last_page",
        show=False,
        tooltip="Go to the last page (ctrl+end: the bottom row first, then the last page)",
    ),
    Binding(
        "s",
        "cycle_sort",
        "Sort",
        id="customers.sort",
        tooltip="Sort by the next of created, updated, name, email (on the server)",
    ),
    Binding(
        "S",
        "flip_sort",
        "Reverse",
        id="customers.sort_direction",
        show=False,
        tooltip="Reverse the sort direction",
    ),
    Binding("e", "edit", "Edit", id="customers.edit", tooltip="Edit the highlighted customer"),
    Binding("n", "new", "New", id="customers.new", tooltip="Create a customer"),
    Binding(
        "d",
        "delete",
        "Delete",
        id="customers.delete",
        tooltip="Delete the highlighted customer (asks first)",
    ),
    Binding("o", "columns", "Columns", id="customers.columns", tooltip="Choose columns"),
    Binding(
        "v",
        "toggle_detail",
        "Details",
        id="customers.detail",
        tooltip="Show or hide every attribute of the highlighted customer",
    ),
    Binding(
        "c",
        "copy('email')",
        "Copy email",
        id="customers.copy_email",
        show=False,
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
    Binding("r", "reload", "Reload", id="customers.reload", show=False, tooltip="Reload this page"),
    Binding(
        "space",
        "toggle_mark",
        "Mark",
        id="customers.mark",
        show=False,
        tooltip="Mark or unmark the highlighted customer for a bulk edit",
    ),
    Binding(
        "A",
        "mark_all",
        "Mark all",
        id="customers.mark_all",
        show=False,
        tooltip="Mark every customer matching the search (every page)",
    ),
    Binding(
        "x",
        "clear_marks",
        "Unmark all",
        id="customers.clear_marks",
        show=False,
        tooltip="Clear every mark",
    ),
    Binding(
        "b",
        "bulk_edit",
        "Bulk edit",
        id="customers.bulk_edit",
        show=False,
        tooltip="Set one field for the marked customers (or the highlighted one)",
    ),
    Binding(
        "f",
        "find",
        "Find",
        id="customers.find",
        show=False,
        tooltip="Find by any field, custom ones too, in the local index "
        "(e.g. delivery_notes:knope loyalty_tier>=4)",
    ),
    Binding(
        "escape",
        "back",
        "Back",
        id="customers.back",
        show=False,
        tooltip="Back out one level: leave the index results, close the detail pane, "
        "clear the search (in that order)",
    ),
]
