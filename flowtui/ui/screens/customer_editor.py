"""Editing one customer: the form, the conflict screen, and the browser's column chooser.

The form is generated from the ``customers`` flow's enabled fields plus name, email,
external_ref and password (set or reset, never shown: empty means unchanged). Only the
attributes the user changed are sent. Before saving, the customer is read again: if its
``updated_at`` moved since the form opened, :class:`ConflictScreen` shows theirs beside
mine and nothing is written until the user chooses.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Label, SelectionList, Static
from textual.widgets.selection_list import Selection

from flowtui.api.errors import NotFoundError
from flowtui.api.models import Address, Customer, Field
from flowtui.ui.logic import browse as B
from flowtui.ui.screens.base import BaseModal
from flowtui.ui.screens.forms import CUSTOMER_BASE, FormScreen
from flowtui.ui.widgets.footer import Footer
from flowtui.ui.widgets.form import FormField
from flowtui.ui.widgets.safe import display, literal, safe

PASSWORD = FormField(
    "password", "New password", secret=True, description="empty keeps the current one"
)


def edit_specs(custom: list[FormField]) -> list[FormField]:
    base = [PASSWORD if s.key == "password" else s for s in CUSTOMER_BASE]
    return base + custom


def form_values(customer: Customer, specs: list[FormField]) -> dict[str, Any]:
    """What each input starts with (the password never)."""
    return {s.key: None if s.key == "password" else customer.value(s.key) for s in specs}


class EditCustomerScreen(FormScreen):
    """Edit one customer; dismisses with the saved :class:`Customer` (or None)."""

    DEFAULT_CSS = """
    EditCustomerScreen, ConflictScreen, ColumnsScreen { align: center middle; }
    EditCustomerScreen #form-subtitle { color: $text-muted; height: auto; }
    """
    TITLE_TEXT = "Edit customer"
    FIELDS_FLOW = "customers"

    def __init__(self, customer: Customer) -> None:
        super().__init__()
        self.original = customer

    def on_mount(self) -> None:
        self.message_subtitle()
        self.open_fields()

    @classmethod
    def opening(cls, app: App[Any], customer: Customer) -> EditCustomerScreen:
        """The editor to push for ``customer``: the kept one, filled with it, or a new one."""
        screen = cls.kept(app, lambda: cls(customer))
        assert isinstance(screen, cls)
        if screen.is_running:
            screen.original = customer
            screen.reopen()
        return screen

    def message_subtitle(self) -> None:
        self.message(self.opening_note())

    def opening_note(self) -> str:
        c = self.original
        return f"{display(c.name)} <{display(c.email)}> · updated {c.updated_at}"

    def specs_for(self, fields: list[Field]) -> list[FormField]:
        return edit_specs([FormField.from_field(f) for f in fields])

    def initial_specs(self) -> list[FormField] | None:
        """From the fields the session keeps: the editor opens with no round trip (the view
        that asked for it has read them)."""
        return self.kept_specs()

    def spec_values(self, specs: list[FormField]) -> dict[str, Any]:
        """Each input starts from the customer being edited (a new field too)."""
        return form_values(self.original, specs)

    def labels(self) -> dict[str, str]:
        return {s.key: s.label for s in self.specs}

    @work(exclusive=True, group="form.save", exit_on_error=False)
    async def submit(self, values: dict[str, Any]) -> None:
        service = self.flow_app.api
        changes = B.form_changes(self.initial_values, values)
        if not changes:
            self.saving = False
            self.revalidate()
            self.message("Nothing changed: nothing to save.")
            return
        try:
            current = await service.get_customer(self.original.id)
        except NotFoundError:
            self.saving = False
            self.revalidate()
            self.message("This customer was deleted on the server: not saved.", error=True)
            return
        except Exception as exc:
            return self.failed(exc)
        names = ", ".join(sorted(changes))
        if current.updated_at != self.original.updated_at and all(
            current.value(key) == value for key, value in changes.items()
        ):
            # The store already holds every change: an earlier Save reached it but its answer
            # was lost. Nothing to send, nothing to choose between.
            self.notify(f"Saved {current.email}: {names}", markup=False, timeout=3)
            self.dismiss(current)
            return
        if current.updated_at != self.original.updated_at:
            rows = B.conflict_rows(self.original, current, changes, self.labels())
            choice = await self.app.push_screen_wait(ConflictScreen(current, rows))
            if choice == "theirs":
                self.original = current
                self.saving = False
                await self.set_specs(self.specs)
                self.message(
                    "Loaded the version saved on the server; your changes were dropped.",
                )
                return
            if choice != "mine":
                self.saving = False
                self.revalidate()
                self.message("Not saved: the customer changed on the server meanwhile.")
                return
        try:
            # The journal's record is on its way to disk when this returns (see
            # flowtui.api.recording.start_write): the editor closes without waiting for it,
            # in the same step that the browser's row changed, so no frame is drawn between.
            customer = await service.update_customer(
                self.original.id, changes, before=current, wait_for_journal=False
            )
        except Exception as exc:
            return self.failed(exc)
        self.dismiss(customer)
        self.notify(f"Saved {customer.email}: {names}", markup=False, timeout=3)


class ConflictScreen(BaseModal):
    """Theirs beside mine; dismisses with "mine", "theirs" or None (cancel)."""

    DEFAULT_CSS = """
    ConflictScreen .conflict { width: 100; max-width: 100%; height: auto; max-height: 90%;
        border: round $warning; padding: 0 1; background: $surface; }
    ConflictScreen .conflict-grid { height: auto; max-height: 16; }
    ConflictScreen .conflict-row { height: auto; }
    ConflictScreen .conflict-row Static { width: 1fr; padding-right: 1; }
    ConflictScreen .conflict-row .attr { width: 16; text-style: bold; }
    ConflictScreen .conflict-head Static { text-style: bold underline; }
    ConflictScreen .dialog-buttons { height: auto; }
    """
    BINDINGS = [
        Binding("escape", "choose('cancel')", "Cancel", id="conflict.cancel", tooltip="Not now"),
        Binding(
            "m", "choose('mine')", "Keep mine", id="conflict.mine", tooltip="Overwrite with yours"
        ),
        Binding("t", "choose('theirs')", "Take theirs", id="conflict.theirs", tooltip="Drop yours"),
    ]

    def __init__(self, theirs: Customer | Address, rows: list[B.ConflictRow]) -> None:
        super().__init__()
        self.theirs = theirs
        self.rows = rows

    def compose(self) -> ComposeResult:
        with Vertical(classes="conflict"):
            yield Label("Changed on the server since you opened it", classes="dialog-title")
            yield Static(
                literal(
                    f"Saved there at {self.theirs.updated_at}. Keep mine sends only your "
                    "changes (their other changes stay); take theirs reloads the form."
                )
            )
            with VerticalScroll(classes="conflict-grid"):
                with Horizontal(classes="conflict-row conflict-head"):
                    yield Static("Attribute", classes="attr")
                    yield Static("Theirs (server now)")
                    yield Static("Mine (this form)")
                for row in self.rows:
                    with Horizontal(classes="conflict-row"):
                        yield Static(safe(row.label, 16), classes="attr")
                        yield Static(self.cell(row.theirs, row.who in ("they", "both")))
                        yield Static(self.cell(row.mine, row.who in ("you", "both")))
            with Horizontal(classes="dialog-buttons"):
                yield Button("Keep mine (m)", variant="warning", id="mine")
                yield Button("Take theirs (t)", variant="primary", id="theirs")
                yield Button("Cancel", id="cancel")
        yield Footer()

    @staticmethod
    def cell(value: Any, changed: bool) -> Text:
        text = safe(value, 300) if value not in (None, "") else Text("(none)", style="dim")
        text.no_wrap = False
        if changed:
            text.stylize("bold")
        return text

    def on_mount(self) -> None:
        self.set_focus(self.query_one("#cancel", Button))

    def action_choose(self, choice: str) -> None:
        self.dismiss(None if choice == "cancel" else choice)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.action_choose(event.button.id or "cancel")


class ColumnsScreen(BaseModal):
    """Choose the browser's columns; dismisses with the chosen keys (or None)."""

    DEFAULT_CSS = """
    ColumnsScreen .columns { width: 50; max-width: 100%; height: auto; max-height: 90%;
        border: round $accent; padding: 0 1; background: $surface; }
    ColumnsScreen SelectionList { height: auto; max-height: 18; }
    ColumnsScreen .dialog-buttons { height: auto; }
    """
    BINDINGS = [
        Binding("escape", "dismiss_modal", "Cancel", id="columns.cancel", tooltip="Keep as is"),
        Binding(
            "ctrl+s,f10", "apply", "Apply", id="columns.apply", tooltip="Show the ticked columns"
        ),
    ]

    def __init__(self, options: list[tuple[str, str]], selected: list[str]) -> None:
        super().__init__()
        self.options = options
        self.selected = selected

    def compose(self) -> ComposeResult:
        with Vertical(classes="columns"):
            yield Label("Columns (space ticks, F10 applies)", classes="dialog-title")
            yield SelectionList[str](
                *[
                    Selection(safe(label, 40), key, key in self.selected)
                    for key, label in self.options
                ],
                id="columns-list",
            )
            with Horizontal(classes="dialog-buttons"):
                yield Button("Apply", variant="primary", id="apply")
                yield Button("Cancel", id="cancel")
        yield Footer()

    def on_mount(self) -> None:
        self.set_focus(self.query_one(SelectionList))

    def action_apply(self) -> None:
        chosen = set(self.query_one(SelectionList).selected)
        keys = [k for k, _ in self.options if k in chosen]
        if not keys:
            self.app.bell()
            self.flow_app.report("Choose at least one column.", title="", severity="warning")
            return
        self.dismiss(keys)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "apply":
            self.action_apply()
        else:
            self.dismiss(None)
