"""A country picker: type a code or a name, pick from the ISO 3166-1 matches.

The input holds what was typed; the list under it (while the input has the focus and what
was typed does not name one country exactly) shows the best matches of
:func:`flowtui.core.countries.search`. ``up``/``down`` move through them, ``enter`` (or a
click) picks one, which puts its label ("Germany (DE)") in the input. The value is the code
the text names (:func:`flowtui.core.countries.resolve`), or None.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

from flowtui.core import countries as C
from flowtui.core import fields as F
from flowtui.ui.widgets.form import FieldEditor
from flowtui.ui.widgets.inputs import TextInput
from flowtui.ui.widgets.safe import display

#: How many matches the list shows at once (it scrolls for more).
MATCHES_SHOWN = 6


class CountryMatches(OptionList, can_focus=False):
    """The matches under the input (the input keeps the focus)."""


def initial_text(value: Any) -> str:
    """What the input starts with: a known code as its label, anything else as it is
    (shown literally: a store may hold any text there)."""
    if value is None:
        return ""
    found = C.country(value) if isinstance(value, str) else None
    return found.label if found is not None else display(value)


class CountryPicker(Vertical):
    """An input with the ISO 3166 countries matching what is typed under it."""

    DEFAULT_CSS = """
    CountryPicker { height: auto; width: 1fr; }
    CountryPicker CountryMatches { height: auto; max-height: 6; display: none;
        border: none; padding: 0; background: $surface; }
    CountryPicker.open CountryMatches { display: block; }
    """
    BINDINGS = [
        Binding(
            "down", "move(1)", "Next match", id="country.next", tooltip="Highlight the next country"
        ),
        Binding(
            "up", "move(-1)", "Prev match", id="country.prev", tooltip="Highlight the previous one"
        ),
    ]

    @dataclass
    class Picked(Message):
        """A country was picked from the list."""

        picker: CountryPicker
        code: str

    def __init__(self, value: Any = None, *, input_id: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.start = initial_text(value)
        self.input_id = input_id
        self.matches: list[C.Country] = []

    def compose(self) -> ComposeResult:
        yield TextInput(
            value=self.start,
            placeholder="type a code or a name (DE, germ…)",
            compact=True,
            id=self.input_id,
        )
        yield CountryMatches(id="country-matches")

    @property
    def input(self) -> Input:
        return self.query_one(TextInput)

    @property
    def list(self) -> CountryMatches:
        return self.query_one(CountryMatches)

    @property
    def code(self) -> str | None:
        """The code the input names exactly, or None."""
        return C.resolve(self.input.value)

    @property
    def is_open(self) -> bool:
        return self.has_class("open")

    def refresh_matches(self) -> None:
        """List what matches the input; open the list while it has the focus and names no
        one country exactly."""
        text = self.input.value
        self.matches = C.search(text, limit=50) if text.strip() else []
        options = self.list
        options.clear_options()
        options.add_options([Option(Text(c.label), id=c.code) for c in self.matches])
        if self.matches:
            options.highlighted = 0
        self.set_class(self.input.has_focus and bool(self.matches) and self.code is None, "open")

    def on_input_changed(self, event: Input.Changed) -> None:
        # Not stopped: the form's row hears it too (validation as you type).
        self.refresh_matches()

    def on_descendant_focus(self) -> None:
        self.refresh_matches()

    def on_descendant_blur(self) -> None:
        self.remove_class("open")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "move":
            return self.is_open  # closed: up and down go on (scrolling the form)
        return True

    def action_move(self, delta: int) -> None:
        options = self.list
        count = options.option_count
        if not count:
            return
        current = options.highlighted if options.highlighted is not None else -1
        options.highlighted = max(0, min(count - 1, current + delta))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        # Enter picks the highlighted match while the list is open; otherwise it goes on
        # (the form's enter).
        if self.is_open and self.list.highlighted is not None:
            event.stop()
            self.pick(self.matches[self.list.highlighted])

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        found = C.country(event.option.id or "")
        if found is not None:
            self.pick(found)

    def pick(self, country: C.Country) -> None:
        """Put ``country``'s label in the input (its Changed message follows) and close."""
        self.input.value = country.label
        self.input.cursor_position = len(self.input.value)
        self.remove_class("open")
        self.post_message(self.Picked(self, country.code))


class AddressFieldEditor(FieldEditor):
    """A row of an address form (the editor, the designer's preview): the country's input
    is the picker, its value the ISO code; any other row is a plain :class:`FieldEditor`."""

    def compose_input(self) -> ComposeResult:
        if self.spec.key == "country":
            yield CountryPicker(self.initial, input_id=f"input-{self.spec.key}")
        else:
            yield from super().compose_input()

    def reset_input(self) -> None:
        if self.spec.key != "country":
            super().reset_input()
            return
        picker = self.query_one(CountryPicker)
        text = initial_text(self.initial)
        with picker.input.prevent(Input.Changed):
            picker.input.value = text
        picker.input.cursor_position = len(text)
        picker.remove_class("open")

    def value(self) -> tuple[Any, str | None]:
        if self.spec.key != "country":
            return super().value()
        typed = self.query_one(CountryPicker).input.value.strip()
        if not typed:
            return None, F.check_value("string", (), None, required=self.spec.required)
        code = C.resolve(typed)
        if code is not None:
            return code, None
        if self.initial not in (None, "") and typed == initial_text(self.initial).strip():
            return self.initial, None  # what the store holds, left as it is
        return None, "pick a country from the list: type its code or its name"

    def on_country_picker_picked(self, event: CountryPicker.Picked) -> None:
        event.stop()
