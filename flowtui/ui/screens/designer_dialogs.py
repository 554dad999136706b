"""Dialogs of the flow designer: a confirmation that must be typed, and the live preview of
the form a flow produces."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, Label, Static

from flowtui.api.models import Field, Flow
from flowtui.core import fields as F
from flowtui.ui.screens.base import BaseModal
from flowtui.ui.screens.core_specs import BASE_SPECS, editor_for
from flowtui.ui.widgets.footer import Footer
from flowtui.ui.widgets.form import FieldEditor, FormField
from flowtui.ui.widgets.inputs import TextInput
from flowtui.ui.widgets.safe import BODY_LIMIT, literal


class TypedConfirmDialog(BaseModal):
    """Asks before something that cannot be undone; the user must type ``expected``.
    Dismisses with True or False."""

    DEFAULT_CSS = """
    TypedConfirmDialog { align: center middle; }
    TypedConfirmDialog #typed-input { margin-top: 1; }
    """
    BINDINGS = [Binding("escape", "answer(False)", "Cancel", id="typed.cancel", tooltip="Cancel")]

    def __init__(self, question: str, detail: str, *, expected: str, yes: str = "Delete") -> None:
        super().__init__()
        self.question = question
        self.detail = detail
        self.expected = expected
        self.yes = yes

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(literal(self.question), classes="dialog-title")
            yield Static(literal(self.detail, limit=BODY_LIMIT), classes="dialog-body")
            yield Label(literal(f"Type {self.expected} to confirm:"), id="typed-prompt")
            yield TextInput(placeholder=self.expected, id="typed-input", compact=True)
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.yes, variant="error", id="yes", disabled=True)
                yield Button("Cancel", id="no")

    def on_mount(self) -> None:
        self.query_one("#typed-input", Input).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        self.query_one("#yes", Button).disabled = event.value != self.expected

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.value == self.expected:
            self.dismiss(True)
        else:
            self.app.bell()

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        typed = self.query_one("#typed-input", Input).value
        self.dismiss(event.button.id == "yes" and typed == self.expected)


def preview_specs(flow: Flow, fields: list[Field]) -> tuple[list[FormField], list[str]]:
    """The inputs the flow's form has (a core flow flowtui knows, e.g. customers or
    addresses: its resource's base attributes first) and notes on what it does not show as
    an input (relationships, disabled fields)."""
    base = BASE_SPECS.get(flow.slug) if flow.is_core else None
    specs: list[FormField] = list(base) if base is not None else []
    notes: list[str] = []
    if flow.is_core and base is None:
        notes.append(f"The {flow.resource}'s own attributes come first (not shown here).")
    for f in fields:
        if not f.enabled:
            notes.append(f"{f.slug}: disabled, not part of the form")
        elif f.field_type == "relationship":
            rule = F.relationship_rule(f.validation_rules) or {}
            notes.append(
                f"{f.name or f.slug}: relationship ({rule.get('type', '?')} → "
                f"{rule.get('to', '?')}), picked from a list of records"
            )
        else:
            specs.append(FormField.from_field(f))
    return specs, notes


class PreviewScreen(BaseModal):
    """The form a flow produces, live: type into it to see the checks; nothing is saved."""

    DEFAULT_CSS = """
    PreviewScreen { align: center middle; }
    PreviewScreen #preview-notes { height: auto; color: $text-muted; }
    PreviewScreen #preview-fields { height: 1fr; }
    """
    BINDINGS = [Binding("escape", "dismiss_modal", "Close", id="preview.close", tooltip="Close")]

    def __init__(self, flow: Flow, fields: list[Field]) -> None:
        super().__init__()
        self.flow = flow
        self.fields = fields

    def compose(self) -> ComposeResult:
        specs, notes = preview_specs(self.flow, self.fields)
        editor = editor_for(self.flow.slug)
        what = f"a {self.flow.resource}" if self.flow.is_core else "an entry"
        with Vertical(classes="form-dialog"):
            yield Label(
                literal(f"Preview: the form for {what} of {self.flow.slug} (nothing is saved)"),
                classes="dialog-title",
            )
            with VerticalScroll(id="preview-fields"):
                for spec in specs:
                    yield editor(spec, id=f"field-{spec.key}")
                if not specs:
                    yield Label("No inputs: add fields with a.")
            yield Static(literal("\n".join(notes), limit=BODY_LIMIT), id="preview-notes")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Close", variant="primary", id="close")
        yield Footer()

    def on_mount(self) -> None:
        editors = list(self.query(FieldEditor))
        if editors:
            editors[0].input.focus()
        self.query_one("#preview-notes", Static).display = bool(
            preview_specs(self.flow, self.fields)[1]
        )

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(None)
