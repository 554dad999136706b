"""Create or edit a field of a flow.

The type is picked when the field is created and locked afterwards (the store refuses to
change it). The rule editor shows what the type allows: a format for strings (email, slug,
uuid), enum options as a list, from/to for ``between``, cardinality and target for a
relationship. The default is checked against the type and the rules being edited, the slug
like a flow's plus the resource's own attribute names and the flow's other fields. Every
check is :mod:`flowtui.core.fields`, the same code the sandbox enforces; Save stays disabled while
anything is wrong, and the store's own refusals land next to the input they concern.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.suggester import SuggestFromList
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from flowtui.api.errors import ApiError, AuthError
from flowtui.api.models import Field, Flow
from flowtui.core import fields as F
from flowtui.ui.logic import designer as L
from flowtui.ui.screens.base import BaseModal
from flowtui.ui.screens.dialogs import close_form
from flowtui.ui.session import error_lines
from flowtui.ui.widgets.footer import Footer
from flowtui.ui.widgets.inputs import TextInput
from flowtui.ui.widgets.safe import literal

TYPE_LOCKED = "locked: the store cannot change a field's type; delete and re-create it"
TYPE_HELP = {
    "string": "text; optionally a format or a list of allowed values",
    "integer": "whole numbers; optionally a range or a list of allowed values",
    "float": "numbers; optionally a range or a list of allowed values",
    "boolean": "yes / no; takes no rules",
    "date": "YYYY-MM-DD (or with HH:MM:SS); optionally a list of allowed dates",
    "relationship": "links to other records, set per record; never required, no default",
}
#: What the message under the form calls each part :meth:`FieldFormScreen.evaluate` checks.
FIELD_PARTS = {"name": "Name", "slug": "Slug", "validation_rules": "Rules", "default": "Default"}


class FieldFormScreen(BaseModal):
    DEFAULT_CSS = """
    FieldFormScreen { align: center middle; }
    FieldFormScreen #ff-body { height: 1fr; }
    FieldFormScreen .ff-row { height: 1; }
    FieldFormScreen .ff-label { width: 14; text-style: bold; }
    FieldFormScreen .ff-row Input { width: 1fr; }
    FieldFormScreen .ff-row Select { width: 1fr; }
    FieldFormScreen .ff-half { width: 1fr; }
    FieldFormScreen .ff-to { width: 4; padding-left: 1; }
    FieldFormScreen .ff-note { padding-left: 14; color: $text-muted; height: auto; width: 1fr; }
    FieldFormScreen .ff-error { padding-left: 14; color: $error; height: auto; width: 1fr; }
    FieldFormScreen .ff-rules { height: auto; }
    FieldFormScreen Checkbox { border: none; height: 1; padding: 0 2 0 0; background: transparent; }
    """
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="form.cancel", tooltip="Close (asks if changed)"),
        Binding(
            "ctrl+s,f10", "save", "Save", id="form.save", tooltip="Save (F10 if ctrl+s is eaten)"
        ),
    ]

    def __init__(
        self,
        flow: Flow,
        fields: list[Field],
        custom_flows: list[str] | None = None,
        *,
        field: Field | None = None,
    ) -> None:
        super().__init__()
        self.flow = flow
        self.flow_fields = list(fields)
        self.custom_flows = list(custom_flows or [])
        self.field = field
        self.saving = False
        self.initial: dict[str, Any] = {}
        self._last_auto_slug = ""

    # -- layout ----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        f = self.field
        ftype = f.field_type if f else "string"
        rules = L.rules_to_inputs(ftype, f.validation_rules if f else ())
        title = (
            f"Edit field {f.slug} of {self.flow.slug}" if f else f"New field of {self.flow.slug}"
        )
        targets = sorted(set(L.RELATIONSHIP_TARGETS) | set(self.custom_flows))
        with Vertical(classes="form-dialog"):
            yield Label(literal(title), classes="dialog-title")
            with VerticalScroll(id="ff-body"):
                yield from self.row("Name *", self.text("ff-name", f.name if f else ""))
                yield self.error("name")
                yield from self.row("Slug *", self.text("ff-slug", f.slug if f else ""))
                yield self.error("slug")
                yield from self.row(
                    "Description", self.text("ff-description", f.description if f else "")
                )
                yield from self.row(
                    "Type",
                    Select(
                        [(t, t) for t in F.FIELD_TYPES],
                        value=ftype,
                        allow_blank=False,
                        compact=True,
                        disabled=f is not None,
                        id="ff-type",
                    ),
                )
                yield Label(
                    Text(TYPE_LOCKED if f else TYPE_HELP[ftype]),
                    classes="ff-note",
                    id="ff-type-note",
                )
                with Vertical(classes="ff-rules", id="rules-format"):
                    yield from self.row(
                        "Format",
                        Select(
                            [(s, s) for s in L.STRING_FORMATS],
                            value=rules.string_format,
                            allow_blank=False,
                            compact=True,
                            id="ff-format",
                        ),
                    )
                with Horizontal(classes="ff-row", id="rules-between"):
                    yield Label("Between", classes="ff-label")
                    yield self.text("ff-from", rules.between_from, "from", classes="ff-half")
                    yield Label("to", classes="ff-to")
                    yield self.text("ff-to", rules.between_to, "to", classes="ff-half")
                with Vertical(classes="ff-rules", id="rules-enum"):
                    yield from self.row(
                        "One of",
                        self.text("ff-enum", rules.enum_text, "allowed values, comma-separated"),
                    )
                    yield Label("", classes="ff-note", id="ff-enum-note")
                with Vertical(classes="ff-rules", id="rules-relationship"):
                    yield from self.row(
                        "Cardinality",
                        Select(
                            [(c, c) for c in L.CARDINALITIES],
                            value=rules.cardinality,
                            allow_blank=False,
                            compact=True,
                            id="ff-cardinality",
                        ),
                    )
                    yield from self.row(
                        "Target",
                        TextInput(
                            value=rules.target,
                            placeholder="customer, product, or a custom flow's slug",
                            suggester=SuggestFromList(targets, case_sensitive=False),
                            compact=True,
                            id="ff-target",
                        ),
                    )
                    yield Label(
                        Text("Custom flows: " + (", ".join(self.custom_flows) or "none")),
                        classes="ff-note",
                    )
                yield self.error("validation_rules")
                yield from self.row(
                    "Default", self.text("ff-default", L.default_text(f.default) if f else "")
                )
                yield self.error("default")
                with Horizontal(classes="ff-row"):
                    yield Label("", classes="ff-label")
                    yield Checkbox("Required", f.required if f else False, id="ff-required")
                    yield Checkbox("Enabled", f.enabled if f else True, id="ff-enabled")
                    yield Checkbox("Omit null", f.omit_null if f else False, id="ff-omit-null")
                yield Label("", classes="ff-note", id="ff-flags-note")
            yield Static("", id="form-message")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save", variant="primary", id="save", disabled=True)
                yield Button("Cancel", id="cancel")
        yield Footer()

    @staticmethod
    def row(label: str, widget) -> ComposeResult:
        with Horizontal(classes="ff-row"):
            yield Label(label, classes="ff-label")
            yield widget

    @staticmethod
    def text(widget_id: str, value: str, placeholder: str = "", classes: str = "") -> TextInput:
        return TextInput(
            value=value, placeholder=placeholder, compact=True, id=widget_id, classes=classes
        )

    @staticmethod
    def error(key: str) -> Label:
        return Label("", classes="ff-error", id=f"ff-{key.replace('_', '-')}-error")

    def on_mount(self) -> None:
        self.query_one("#ff-name", Input).focus()
        self.initial = self.snapshot()
        self._last_auto_slug = L.slugify(self.field.name) if self.field else ""
        self.revalidate()

    # -- reading the form ------------------------------------------------------------------

    def field_type(self) -> str:
        value = self.query_one("#ff-type", Select).value
        return value if isinstance(value, str) else "string"

    def val(self, widget_id: str) -> Any:
        widget = self.query_one(f"#{widget_id}")
        return widget.value  # type: ignore[attr-defined]

    def snapshot(self) -> dict[str, Any]:
        ids = ["ff-name", "ff-slug", "ff-description", "ff-type", "ff-format", "ff-from"]
        ids += ["ff-to", "ff-enum", "ff-cardinality", "ff-target", "ff-default"]
        ids += ["ff-required", "ff-enabled", "ff-omit-null"]
        return {i: self.val(i) for i in ids}

    def rule_inputs(self) -> L.RuleInputs:
        return L.RuleInputs(
            enum_text=self.val("ff-enum"),
            string_format=str(self.val("ff-format")),
            between_from=self.val("ff-from"),
            between_to=self.val("ff-to"),
            cardinality=str(self.val("ff-cardinality")),
            target=self.val("ff-target"),
        )

    def evaluate(self) -> tuple[dict[str, Any], dict[str, str]]:
        """The payload the form describes and the problem of each part (by attribute)."""
        ftype = self.field_type()
        problems: dict[str, str] = {}
        name = self.val("ff-name").strip()
        if not name:
            problems["name"] = "name is required"
        slug = self.val("ff-slug")
        editing = self.field.id if self.field else None
        problem = L.field_slug_check(slug, self.flow.slug, self.flow_fields, editing)
        if problem:
            problems["slug"] = problem
        rules, rule_problems = L.build_rules(ftype, self.rule_inputs())
        if rule_problems:
            problems["validation_rules"] = "; ".join(rule_problems)
        default, problem = L.parse_default(ftype, rules, self.val("ff-default"))
        if problem:
            problems["default"] = problem
        payload = {
            "name": name,
            "slug": slug,
            "description": self.val("ff-description"),
            "field_type": ftype,
            "required": bool(self.val("ff-required")) and ftype != "relationship",
            "enabled": bool(self.val("ff-enabled")),
            "omit_null": bool(self.val("ff-omit-null")),
            "default": default,
            "validation_rules": rules,
        }
        return payload, problems

    # -- reacting --------------------------------------------------------------------------

    def revalidate(self) -> None:
        ftype = self.field_type()
        parts = L.RULE_PARTS.get(ftype, ())
        for part in ("format", "between", "enum", "relationship"):
            self.query_one(f"#rules-{part}").display = part in parts
        if self.field is None:
            self.query_one("#ff-type-note", Label).update(Text(TYPE_HELP.get(ftype, "")))
        required = self.query_one("#ff-required", Checkbox)
        required.disabled = ftype == "relationship"
        default = self.query_one("#ff-default", Input)
        default.disabled = ftype == "relationship"
        default.placeholder = {
            "boolean": "true, false or empty",
            "date": "YYYY-MM-DD or empty",
            "relationship": "relationships have no default",
        }.get(ftype, "empty: no default")
        flags = self.query_one("#ff-flags-note", Label)
        flags.update(
            Text("Relationship fields are never required." if ftype == "relationship" else "")
        )
        flags.display = ftype == "relationship"
        _, problems = self.evaluate()
        for key in ("name", "slug", "validation_rules", "default"):
            label = self.query_one(f"#ff-{key.replace('_', '-')}-error", Label)
            label.update(literal(problems.get(key, "")))
            label.display = key in problems
        enum_note = self.query_one("#ff-enum-note", Label)
        if "enum" in parts and self.val("ff-enum").strip():
            options, problem = L.parse_options(ftype, self.val("ff-enum"))
            shown = " · ".join(L.default_text(o) for o in options)
            enum_note.update(literal("" if problem else f"{len(options)} options: {shown}"))
        else:
            enum_note.update("")
        self.query_one("#save", Button).disabled = bool(problems) or self.saving

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "ff-name" and self.field is None:
            slug_input = self.query_one("#ff-slug", Input)
            if slug_input.value in ("", self._last_auto_slug):
                self._last_auto_slug = L.slugify(event.value)
                slug_input.value = self._last_auto_slug
        self.revalidate()

    def on_select_changed(self, event: Select.Changed) -> None:
        self.revalidate()

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        self.revalidate()

    def message(self, text: str, error: bool = False) -> None:
        widget = self.query_one("#form-message", Static)
        widget.update(literal(text))
        widget.set_class(error, "error")

    # -- saving ----------------------------------------------------------------------------

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            self.action_save()
        elif event.button.id == "cancel":
            self.action_cancel()

    def action_save(self) -> None:
        payload, problems = self.evaluate()
        if self.saving:
            return
        if problems:
            self.point_at_problems(problems)
            return
        self.saving = True
        self.revalidate()
        self.message("Saving…")
        self.submit(payload)

    def point_at_problems(self, problems: dict[str, str]) -> None:
        """Save was asked with something wrong: say what under the form and move the focus
        to the first input concerned (the problems are shown next to their inputs already)."""
        key, problem = next(iter(problems.items()))
        more = f" (and {len(problems) - 1} more above)" if len(problems) > 1 else ""
        self.message(f"Not saved: {FIELD_PARTS[key]}: {problem}{more}.", error=True)
        if key == "validation_rules":
            shown = [
                w
                for part in L.RULE_PARTS.get(self.field_type(), ())
                if self.query_one(f"#rules-{part}").display
                for w in self.query_one(f"#rules-{part}").query("*")
                if w.focusable
            ]
            target = shown[0] if shown else None
        else:
            target = self.query_one(f"#ff-{key}")
        if target is not None:
            target.focus()
            target.scroll_visible()

    def action_cancel(self) -> None:
        close_form(self, self.snapshot() != self.initial)

    @work(exclusive=True, group="form.save", exit_on_error=False)
    async def submit(self, payload: dict[str, Any]) -> None:
        service = self.flow_app.api
        try:
            if self.field is None:
                field = await service.create_field(
                    self.flow, order=L.next_order(self.flow_fields), **payload
                )
                self.notify(f"Added field {field.slug} to {self.flow.slug}", markup=False)
            else:
                payload.pop("field_type")
                changes = L.field_changes(self.field, payload)
                if not changes:
                    self.dismiss(self.field)
                    return
                field = await service.update_field(
                    self.field.id, flow_slug=self.flow.slug, **changes
                )
                self.notify(f"Saved field {field.slug}", markup=False)
        except ApiError as exc:
            self.saving = False
            self.revalidate()
            self.show_server_errors(exc)
            return
        self.dismiss(field)

    def show_server_errors(self, error: ApiError) -> None:
        """Each message next to its input; the rest under the form."""
        if isinstance(error, AuthError):
            self.message("Not saved: the store refused the credentials. Log in, then Save.", True)
            self.flow_app.report_error(error)
            return
        placed = set()
        for key in ("name", "slug", "validation_rules", "default"):
            messages = error.for_attribute(key)
            if messages:
                label = self.query_one(f"#ff-{key.replace('_', '-')}-error", Label)
                label.update(literal("; ".join(messages)))
                label.display = True
                placed.add(key)
        rest = [e for e in error.errors if e.attribute not in placed]
        if rest:
            lines = error_lines(type(error)(rest, status=error.status))
            self.message(f"{error.kind}: " + " ".join(lines), error=True)
        else:
            self.message(f"{error.kind}: see the fields above.", error=True)
