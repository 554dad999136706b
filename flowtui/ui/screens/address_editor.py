"""A customer's addresses: the list (``a`` in the customer browser) and the address editor.

The list shows every address of one customer (a store keeps at most 25), a row each, custom
values included; ``n`` adds, ``e``/``enter`` edits, ``d`` deletes after a confirmation that
names the address. It follows the app's change signal, so an address saved, deleted or put
back by undo shows at once.

The editor is the generic form (:class:`~flowtui.ui.screens.forms.FormScreen`) generated from
the base attributes (``ADDRESS_ATTRS``) plus the ``addresses`` flow's enabled fields, each
checked as you type; the country is picked from the ISO 3166 list by code or name
(:class:`~flowtui.ui.widgets.country.CountryPicker`). Only changed attributes are sent; the
store's rejections land on their field; before saving an edit the address is read again and,
if it changed meanwhile (``updated_at``), theirs and mine are shown side by side first.
"""

from __future__ import annotations

from typing import Any

from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Label

from flowtui.api.errors import ApiError, NetworkError, NotFoundError, ServerError
from flowtui.api.models import ADDRESS_ATTRS, Address, Customer, Field
from flowtui.api.service import Change
from flowtui.ui.logic import addresses as L
from flowtui.ui.logic import browse as B
from flowtui.ui.screens.base import AHEAD_STEP_DELAY, BaseModal
from flowtui.ui.screens.core_specs import ADDRESS_BASE
from flowtui.ui.screens.customer_editor import ConflictScreen
from flowtui.ui.screens.dialogs import ConfirmDialog
from flowtui.ui.screens.forms import FormScreen
from flowtui.ui.widgets.country import AddressFieldEditor
from flowtui.ui.widgets.footer import Footer
from flowtui.ui.widgets.form import FieldEditor, FormField
from flowtui.ui.widgets.safe import display, literal, safe
from flowtui.ui.widgets.tables import cursor_key
from flowtui.ui.widgets.view import READ_ONLY_NOTE, StatusLine

#: Seconds after the addresses list has answered (then between tries) before the address
#: editor is composed ahead of its first open.
EDITOR_AHEAD_DELAY = 0.3


def address_specs(fields: list[Field]) -> list[FormField]:
    """The editor's inputs: the base attributes, then the ``addresses`` flow's enabled
    fields (relationships are set elsewhere)."""
    custom = [
        FormField.from_field(f) for f in fields if f.enabled and f.field_type != "relationship"
    ]
    return [*ADDRESS_BASE, *custom]


def address_values(address: Address | None, specs: list[FormField]) -> dict[str, Any]:
    """What each input starts with: the address's values (an empty base attribute: none)."""
    if address is None:
        return {}
    values = {s.key: address.value(s.key) for s in specs}
    return {k: (None if v == "" and k in ADDRESS_ATTRS else v) for k, v in values.items()}


class AddressEditorScreen(FormScreen):
    """Add an address to ``customer`` (``address`` None) or edit ``address``; dismisses with
    the saved :class:`Address` (or None)."""

    DEFAULT_CSS = """
    AddressEditorScreen, AddressesScreen { align: center middle; }
    """
    FIELDS_FLOW = "addresses"

    def __init__(
        self,
        customer: Customer,
        address: Address | None = None,
        known: frozenset[str] | None = None,
    ) -> None:
        super().__init__()
        self.customer = customer
        self.original = address
        #: The ids of the customer's addresses when the form opened (None: not known): a
        #: create whose answer is lost is looked for among the others.
        self.known = known
        self.TITLE_TEXT = "Edit address" if address is not None else "New address"

    def on_mount(self) -> None:
        self.show_whose()
        self.open_fields()

    @classmethod
    def opening(
        cls,
        app: App[Any],
        customer: Customer,
        address: Address | None = None,
        known: frozenset[str] | None = None,
    ) -> AddressEditorScreen:
        """The editor to push: the kept one, filled for ``customer`` and ``address`` (None:
        a new one, ``known`` the ids of the customer's addresses), or a new one."""
        screen = cls.kept(app, lambda: cls(customer, address, known))
        assert isinstance(screen, cls)
        if screen.is_running:
            screen.customer, screen.original, screen.known = customer, address, known
            screen.TITLE_TEXT = "Edit address" if address is not None else "New address"
            screen.reopen()
        return screen

    def show_whose(self) -> None:
        self.message(self.opening_note())

    def opening_note(self) -> str:
        c = self.customer
        whose = f"{display(c.name)} <{display(c.email)}>"
        if self.original is None:
            return f"A new address of {whose}. * marks what the store requires."
        return f"An address of {whose} · updated {self.original.updated_at}"

    def specs_for(self, fields: list[Field]) -> list[FormField]:
        return address_specs(fields)

    def initial_specs(self) -> list[FormField] | None:
        """From the fields the session keeps: opens with no round trip once they were read."""
        return self.kept_specs()

    @staticmethod
    def editors_for(specs: list[FormField], values: dict[str, Any]) -> list[FieldEditor]:
        return [AddressFieldEditor(s, values.get(s.key), id=f"field-{s.key}") for s in specs]

    def spec_values(self, specs: list[FormField]) -> dict[str, Any]:
        return address_values(self.original, specs)

    def labels(self) -> dict[str, str]:
        return {s.key: s.label for s in self.specs}

    @work(exclusive=True, group="form.save", exit_on_error=False)
    async def submit(self, values: dict[str, Any]) -> None:
        if self.original is None:
            await self.create(values)
        else:
            await self.update(self.original, values)

    async def create(self, values: dict[str, Any]) -> None:
        sent = L.creation(values)
        try:
            address = await self.flow_app.api.create_address(self.customer.id, sent)
        except (NetworkError, ServerError) as lost:
            found = await self.find_lost(sent, lost)
            if found is None:
                return
            address = found
        except Exception as exc:
            return self.failed(exc)
        self.notify(f"Added address {address.summary()}", markup=False, timeout=3)
        self.dismiss(address)

    async def find_lost(self, sent: dict[str, Any], lost: ApiError) -> Address | None:
        """The create's answer was lost (the connection broke after sending, or a server
        error): the address it made after all, when the customer now has one the form did
        not know holding exactly what was sent (one GET), so that saving again cannot make
        it twice. Else None, with the failure said under the form."""
        maybe_made = isinstance(lost, ServerError) or (
            isinstance(lost, NetworkError) and lost.maybe_sent
        )
        if self.known is None or not maybe_made:
            self.failed(lost)
            return None
        try:
            found = await self.flow_app.api.find_lost_address(self.customer.id, sent, self.known)
        except ApiError:
            self.failed(lost)  # could not look: its message says to check before trying again
            return None
        if found is None:
            self.failed(lost)
            title = lost.errors[0].title if lost.errors else lost.kind
            self.message(
                f"Not saved ({title}). The customer has no new address like this one, so "
                "saving again is safe.",
                error=True,
            )
        return found

    async def update(self, original: Address, values: dict[str, Any]) -> None:
        service = self.flow_app.api
        changes = L.outgoing(B.form_changes(self.initial_values, values))
        if not changes:
            self.saving = False
            self.revalidate()
            self.message("Nothing changed: nothing to save.")
            return
        try:
            current = await service.get_address(self.customer.id, original.id)
        except NotFoundError:
            self.saving = False
            self.revalidate()
            self.message("This address was deleted on the server: not saved.", error=True)
            return
        except Exception as exc:
            return self.failed(exc)
        names = ", ".join(sorted(changes))
        moved = current.updated_at != original.updated_at
        if moved and L.held(current, changes):
            # An earlier Save reached the store although its answer was lost.
            self.notify(f"Saved {current.summary()}: {names}", markup=False, timeout=3)
            self.dismiss(current)
            return
        if moved:
            rows = L.conflict_rows(original, current, changes, self.labels())
            choice = await self.app.push_screen_wait(ConflictScreen(current, rows))
            if choice == "theirs":
                self.original = current
                self.saving = False
                await self.set_specs(self.specs)
                self.message("Loaded the version saved on the server; your changes were dropped.")
                return
            if choice != "mine":
                self.saving = False
                self.revalidate()
                self.message("Not saved: the address changed on the server meanwhile.")
                return
        try:
            address = await service.update_address(
                self.customer.id, original.id, changes, before=current
            )
        except Exception as exc:
            return self.failed(exc)
        self.notify(f"Saved {address.summary()}: {names}", markup=False, timeout=3)
        self.dismiss(address)


class AddressesScreen(BaseModal):
    """Every address of one customer; add, edit and delete from here."""

    DEFAULT_CSS = """
    AddressesScreen .addresses { width: 110; max-width: 100%; height: auto; max-height: 90%;
        border: round $accent; padding: 0 1; background: $surface; }
    AddressesScreen #addresses-status { height: auto; color: $text-muted; }
    AddressesScreen #addresses-status.error { color: $error; }
    """
    BINDINGS = [
        Binding("escape", "dismiss_modal", "Close", id="addresses.close", tooltip="Back"),
        Binding("n", "new", "Add", id="addresses.new", tooltip="Add an address"),
        Binding(
            "e,enter", "edit", "Edit", id="addresses.edit", tooltip="Edit the highlighted address"
        ),
        Binding(
            "d",
            "delete",
            "Delete",
            id="addresses.delete",
            tooltip="Delete the highlighted address (asks first)",
        ),
        Binding(
            "r", "reload", "Reload", id="addresses.reload", show=False, tooltip="Read them again"
        ),
    ]

    def __init__(self, customer: Customer) -> None:
        super().__init__()
        self.customer = customer
        self.addresses: list[Address] = []
        self.loaded = False
        #: Whether the first load has answered (until then keys typed ahead wait: ``a`` then
        #: ``e`` edits the first address, not nothing).
        self.settled = False

    def compose(self) -> ComposeResult:
        c = self.customer
        with Vertical(classes="addresses"):
            yield Label(
                literal(f"Addresses of {display(c.name)} <{display(c.email)}>"),
                classes="dialog-title",
            )
            table: DataTable[Any] = DataTable(
                id="addresses-table", cursor_type="row", zebra_stripes=True
            )
            # As tall as its rows (app.tcss makes every table fill its screen).
            table.styles.height = "auto"
            table.styles.max_height = 28
            yield table
            yield StatusLine("Loading addresses…", id="addresses-status")
        yield Footer()

    @property
    def table(self) -> DataTable[Any]:
        return self.query_one("#addresses-table", DataTable)

    def on_mount(self) -> None:
        self.flow_app.follow_changes(self, self.store_changed)
        self.table.focus()
        self.load()
        # The editor's fields read with the list (unless kept and fresh): it opens with them.
        self.flow_app.api.definitions.revalidate("addresses")

    def status(self, text: str, error: bool = False) -> None:
        service = self.flow_app.service
        if service is not None and service.read_only:
            text += f" · {READ_ONLY_NOTE}"
        line = self.query_one("#addresses-status", StatusLine)
        line.text = text
        line.error = error

    def accepts_keys(self) -> bool:
        """Keys typed ahead wait for the first answer (ui/typeahead.py's ``KeyReady``)."""
        return self.settled

    @work(exclusive=True, group="addresses.load", exit_on_error=False)
    async def load(self) -> None:
        try:
            addresses = await self.flow_app.api.list_addresses(self.customer.id)
        except NotFoundError:
            self.status("This customer was deleted on the server.", error=True)
            return
        except ApiError as exc:
            self.status(f"Could not load addresses: {exc.summary} (r retries)", error=True)
            raise
        else:
            self.loaded = True
            self.show(addresses)
        finally:
            if not self.settled:
                self.settled = True
                self.flow_app.keys_ready()
                self.set_timer(EDITOR_AHEAD_DELAY, self.prepare_editor)

    def prepare_editor(self, tries: int = 20) -> None:
        """Compose the address editor ahead of its first open (once the ``addresses`` flow's
        fields are kept), then lay it out and render it, a step every
        ``AHEAD_STEP_DELAY`` seconds, each while the app is idle, as the main screen does for
        the customer forms (``FormScreen.compose_ahead``, ``FormScreen.lay_out_ahead``)."""
        if not self.is_attached or self.app.screen is not self:
            return
        composed = drawn = False
        if all(w.is_finished for w in self.app.workers):
            first = self.addresses[0] if self.addresses else None

            def build() -> AddressEditorScreen:
                return AddressEditorScreen(self.customer, first)

            composed = AddressEditorScreen.compose_ahead(self.app, build)
            drawn = composed and AddressEditorScreen.lay_out_ahead(self.app)
        if not drawn and tries > 1:
            delay = AHEAD_STEP_DELAY if composed else EDITOR_AHEAD_DELAY
            self.set_timer(delay, lambda: self.prepare_editor(tries - 1))

    def show(self, addresses: list[Address]) -> None:
        self.addresses = addresses
        table = self.table
        cursor = table.cursor_row
        table.clear(columns=True)
        custom = list(dict.fromkeys(k for a in addresses for k in a.custom))
        heads = [("name", "Label"), ("who", "Recipient"), ("line_1", "Line 1")]
        heads += [("city", "City"), ("postcode", "Postcode"), ("country", "Country")]
        heads += [(k, k) for k in custom]
        for key, label in heads:
            table.add_column(safe(label, 20), key=key)
        for a in addresses:
            who = " ".join(p for p in (a.first_name, a.last_name) if p)
            cells: list[Any] = [a.name, who, a.line_1, a.city, a.postcode]
            cells.append(L.country_text(a.country))
            cells += [a.custom.get(k) for k in custom]
            table.add_row(*[safe(v, 40) for v in cells], key=a.id)
        if addresses:
            table.move_cursor(row=min(max(cursor, 0), len(addresses) - 1), scroll=False)
        n = len(addresses)
        if n == 0:
            self.status("No addresses yet. Press n to add one.")
        else:
            noun = "address" if n == 1 else "addresses"
            self.status(f"{n} {noun} (a store keeps at most {L.ADDRESS_QUOTA})")

    def highlighted(self) -> Address | None:
        key = cursor_key(self.table)
        return next((a for a in self.addresses if a.id == key), None)

    def store_changed(self, change: Change) -> None:
        if change.resource == "address" and isinstance(change.item, Address):
            item = change.item
            if item.customer_id != self.customer.id or not self.loaded:
                return
            rest = [a for a in self.addresses if a.id != item.id]
            if change.action == "deleted":
                self.show(rest)
            elif change.action == "created":
                self.show([*rest, item])
            else:
                self.show([item if a.id == item.id else a for a in self.addresses])
        elif change.resource in ("field", "flow") and change.flow_slug in ("addresses", None):
            self.load()

    def action_reload(self) -> None:
        self.load()

    def action_new(self) -> None:
        if not self.flow_app.writable("add addresses"):
            return
        if len(self.addresses) >= L.ADDRESS_QUOTA:
            self.app.bell()
            self.flow_app.report(
                f"This customer has {len(self.addresses)} addresses: a store keeps at most "
                f"{L.ADDRESS_QUOTA}. Delete one first.",
                title="Addresses",
                severity="warning",
            )
            return
        known = frozenset(a.id for a in self.addresses) if self.loaded else None
        self.app.push_screen(AddressEditorScreen.opening(self.app, self.customer, known=known))

    def action_edit(self) -> None:
        address = self.highlighted()
        if address is None:
            self.app.bell()
        elif self.flow_app.writable("change addresses"):
            self.app.push_screen(AddressEditorScreen.opening(self.app, self.customer, address))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_edit()

    def action_delete(self) -> None:
        address = self.highlighted()
        if address is None:
            self.app.bell()
            return
        if not self.flow_app.writable("delete addresses"):
            return
        c = self.customer
        dialog = ConfirmDialog(
            f"Delete the address {display(L.title(address))}?",
            f"An address of {display(c.name)} <{display(c.email)}>; id {address.id}. Undo (u, "
            "or the journal: j) re-creates it with a new id.",
            "Delete",
        )

        def answered(yes: bool | None) -> None:
            if yes:
                self.delete(address)

        self.app.push_screen(dialog, answered)

    @work(exclusive=True, group="addresses.delete", exit_on_error=False)
    async def delete(self, address: Address) -> None:
        try:
            await self.flow_app.api.delete_address(self.customer.id, address.id, before=address)
        except NotFoundError:
            self.notify("That address was already deleted", markup=False, timeout=3)
            self.load()
            return
        self.notify(f"Deleted address {address.summary()}", markup=False, timeout=3)
