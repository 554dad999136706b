"""Forms generated from field definitions: one input per field, checked as you type.

A :class:`FormField` describes an input (a customer's base attribute or a flow field); a
:class:`FieldEditor` renders it with the widget its type needs (text, number, switch, date,
a choice list for enums), its required mark and default, and the rule problem next to it.
The checks are :mod:`flowtui.core.fields`, the same code the sandbox enforces.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Checkbox, Input, Label, Select

from flowtui.api.models import Field
from flowtui.core import fields as F
from flowtui.ui.widgets.inputs import TextInput
from flowtui.ui.widgets.safe import display, literal, safe

#: The Input type (what it accepts as you type) of each field type shown as text.
INPUT_TYPES: dict[str, Literal["integer", "number", "text"]] = {
    "integer": "integer",
    "float": "number",
}


@dataclass(frozen=True)
class FormField:
    key: str
    label: str
    field_type: str = "string"
    rules: tuple[dict[str, Any], ...] = ()
    required: bool = False
    default: Any = None
    description: str = ""
    secret: bool = False
    #: Extra check for base attributes (e.g. email shape), returning a problem or None.
    extra: Any = field(default=None, compare=False)

    @classmethod
    def from_field(cls, f: Field) -> FormField:
        return cls(
            key=f.slug,
            label=f.name or f.slug,
            field_type=f.field_type,
            rules=f.validation_rules,
            required=f.required,
            default=f.default,
            description=f.description,
        )

    def enum_options(self) -> list[Any] | None:
        for rule in self.rules:
            if isinstance(rule, dict) and rule.get("type") == "enum":
                options = rule.get("options")
                return list(options) if isinstance(options, list) else []
        return None

    def hint(self) -> str:
        parts = [display(self.field_type)]
        for rule in self.rules:
            kind = rule.get("type") if isinstance(rule, dict) else None
            if kind == "between":
                opts = rule.get("options")
                if isinstance(opts, dict):
                    parts.append(f"{display(opts.get('from'))}–{display(opts.get('to'))}")
            elif kind in ("email", "slug", "uuid"):
                parts.append(kind)
        if self.default is not None:
            parts.append(f"default {display(self.default)}")
        if parts == ["string"]:
            return ""  # a plain text field needs no explanation
        return ", ".join(parts)


@dataclass(frozen=True, eq=False)
class Choice:
    """A choice list's value for an option that cannot be one itself (a list or an object,
    as a misbehaving store may serve): hashable, it stands for ``option``."""

    index: int
    option: Any


def choice_value(index: int, option: Any) -> Any:
    """What the choice list holds for ``option``: the option itself when it can be a
    value (hashable), otherwise a :class:`Choice` standing for it."""
    try:
        hash(option)
    except TypeError:
        return Choice(index, option)
    return option


class FieldEditor(Vertical):
    """One labelled input with its live problem message."""

    DEFAULT_CSS = """
    FieldEditor {
        height: auto; margin-bottom: 1;
        layout: grid; grid-size: 2; grid-columns: 20 1fr; grid-rows: auto;
    }
    FieldEditor .field-label { width: 20; padding-right: 1; text-style: bold; }
    FieldEditor .field-hint { padding-left: 20; color: $text-muted; height: auto; column-span: 2; }
    FieldEditor .field-error { padding-left: 20; color: $error; height: auto; column-span: 2; }
    FieldEditor Select, FieldEditor Input { width: 1fr; }
    FieldEditor Input { background: $boost; }
    FieldEditor Checkbox { border: none; height: 1; padding: 0; background: transparent; width: 5; }
    FieldEditor Checkbox:focus { border: none; }
    """

    class Changed(Message):
        """The value (or its validity) changed."""

        def __init__(self, editor: FieldEditor) -> None:
            super().__init__()
            self.editor = editor

    def __init__(self, spec: FormField, value: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.spec = spec
        self.initial = value
        self.choices: list[Any] = []
        self.server_error: str | None = None
        #: The problem line, mounted the first time there is a problem to show (most rows
        #: never have one: one node fewer per row to style and lay out on every open).
        self.error: Label | None = None

    def compose(self) -> ComposeResult:
        spec = self.spec
        mark = " *" if spec.required else ""
        # One grid (label | input, then the hint and the problem across both): no row
        # container, one node fewer per row to style and lay out on every open. The problem
        # line comes last, mounted by show_problem when there is one.
        yield Label(literal(spec.label).append(mark), classes="field-label")
        yield from self.compose_input()
        hint = spec.hint()
        if hint:
            yield Label(literal(hint), classes="field-hint")

    def compose_input(self) -> ComposeResult:
        spec = self.spec
        options = spec.enum_options()
        if spec.field_type == "boolean":
            yield Checkbox("", value=self.start_checked(), id=f"input-{spec.key}")
        elif options is not None:
            # Options are store text: each shown by a Text (never markup), each value made
            # hashable (an option a malformed answer left as an object is still a choice).
            # The prompt holds no store text; the hint line below shows the default.
            self.choices = [choice_value(i, o) for i, o in enumerate(options)]
            yield Select(
                [(safe(o), c) for c, o in zip(self.choices, options, strict=True)],
                value=self.start_choice(),
                allow_blank=not spec.required or not options,  # no options: a blank list
                prompt="(none)",
                compact=True,
                id=f"input-{spec.key}",
            )
        else:
            kind = INPUT_TYPES.get(spec.field_type, "text")
            placeholder = {"date": "YYYY-MM-DD or YYYY-MM-DD HH:MM:SS"}.get(spec.field_type, "")
            if spec.default is not None and not placeholder:
                placeholder = f"default: {display(spec.default)}"
            yield TextInput(
                value=self.start_text(),
                type=kind,
                password=spec.secret,
                placeholder=placeholder,
                compact=True,
                id=f"input-{spec.key}",
            )

    def start_checked(self) -> bool:
        """What a switch starts with: the value, else the field's default."""
        return self.initial if isinstance(self.initial, bool) else bool(self.spec.default)

    def start_choice(self) -> Any:
        """What a choice list starts with: the choice of the value, else none."""
        options = self.spec.enum_options() or []
        found = (c for c, o in zip(self.choices, options, strict=True) if o == self.initial)
        return next(found, Select.NULL)

    def start_text(self) -> str:
        """What a text input starts with (store text shown literally)."""
        return "" if self.initial is None else display(self.initial)

    def reset(self, value: Any) -> None:
        """Start again from ``value``, as if composed with it: its input holds it (no
        Changed message: nothing was typed), no problem shown, the cursor at its end."""
        self.initial = value
        self.server_error = None
        self.reset_input()
        error = self.error
        if error is not None and error.display:
            error.update("")
            error.display = False

    def reset_input(self) -> None:
        widget = self.input
        if isinstance(widget, Checkbox):
            with widget.prevent(Checkbox.Changed):
                widget.value = self.start_checked()
        elif isinstance(widget, Select):
            with widget.prevent(Select.Changed):
                widget.value = self.start_choice()
        else:
            text = self.start_text()
            with widget.prevent(Input.Changed):
                widget.value = text
            widget.cursor_position = len(text)

    @property
    def input(self) -> Input | Select[Any] | Checkbox:
        widget = self.query_one(f"#input-{self.spec.key}")
        if not isinstance(widget, Input | Select | Checkbox):  # pragma: no cover - composed so
            raise TypeError(f"#input-{self.spec.key} is a {type(widget).__name__}")
        return widget

    def value(self) -> tuple[Any, str | None]:
        """The current value and its problem (None when acceptable)."""
        widget = self.input
        spec = self.spec
        if isinstance(widget, Checkbox):
            value: Any = widget.value
        elif isinstance(widget, Select):
            value = None if widget.value is Select.NULL else widget.value
            if isinstance(value, Choice):
                value = value.option
        else:
            value, problem = F.parse_text(spec.field_type, widget.value)
            if problem:
                return None, problem
        try:
            problem = F.check_value(spec.field_type, spec.rules, value, required=spec.required)
        except (TypeError, ValueError, KeyError, AttributeError):
            # Rules of a shape the checks do not know (a malformed answer): the store, which
            # checks every write, judges the value; its answer lands under this field.
            problem = F.check_value(spec.field_type, (), value, required=spec.required)
        if problem is None and spec.extra is not None and value is not None:
            problem = spec.extra(value)
        return value, problem

    def show_problem(self, problem: str | None) -> None:
        text = problem or self.server_error or ""
        label = self.error
        if label is None:
            if text:  # the first problem of this row: its line, last in the grid
                self.error = Label(literal(text), classes="field-error")
                self.mount(self.error)
            return
        label.update(literal(text))
        label.display = bool(text)

    @property
    def problem_shown(self) -> str:
        """The problem this row shows, "" when none."""
        label = self.error
        return str(label.render()) if label is not None and label.display else ""

    def set_server_error(self, message: str | None) -> None:
        self.server_error = message
        self.show_problem(None)

    def _changed(self) -> None:
        self.server_error = None
        _, problem = self.value()
        self.show_problem(problem)
        self.post_message(self.Changed(self))

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._changed()

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        self._changed()

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        event.stop()
        self._changed()
