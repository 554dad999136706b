"""Forms built from fields whatever shape a store gave their rules, defaults and values:
no crash on composing, reading or typing, every option still shown and choosable."""

from __future__ import annotations

from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.widgets import Input, Select

from flowtui.ui.logic import designer as L
from flowtui.ui.widgets.form import FieldEditor, FormField

ODD = [{"a": [1, {"b": None}]}, ["x"], None, True, 2.5, "[b]s[/b]", "\x1b]0;t\x07"]
#: Rules a misbehaving store (or proxy) may serve inside a field's validation_rules.
MALFORMED_RULES: list[tuple[dict[str, Any], ...]] = [
    ({"type": "enum", "options": ODD},),
    ({"type": "enum", "options": 5},),
    ({"type": "enum", "options": "abc"},),
    ({"type": "enum", "options": {"a": 1}},),
    ({"type": "enum"},),
    ({"type": "between", "options": [1, 2]},),
    ({"type": "between", "options": {"from": {"a": 1}, "to": "z"}},),
    ({"type": "between", "options": 7},),
    ({"type": {"a": 1}},),
    ({"type": None, "options": None},),
    ({"type": "one-to-many", "to": {"x": 1}},),
]
TYPES = ["string", "integer", "float", "boolean", "date", "relationship", "???"]


@pytest.mark.parametrize("rules", MALFORMED_RULES, ids=range(len(MALFORMED_RULES)))
def test_designer_phrases_take_any_rules(rules):
    assert isinstance(L.describe_rules(rules), str)
    for field_type in TYPES:
        L.rules_to_inputs(field_type, rules)


class Form(App[None]):
    def __init__(self, specs: list[tuple[FormField, Any]]) -> None:
        super().__init__()
        self.specs = specs

    def compose(self) -> ComposeResult:
        for i, (spec, value) in enumerate(self.specs):
            yield FieldEditor(spec, value, id=f"e{i}")


async def test_editors_compose_read_and_take_keys_whatever_the_field_holds():
    specs = [
        (
            FormField(
                key=f"k{i}_{j}",
                label=f"[b]L{i}[/b]\x1b",
                field_type=field_type,
                rules=rules,
                required=j % 2 == 0,
                default=ODD[(i + j) % len(ODD)],
            ),
            ODD[(i * 3 + j) % len(ODD)],
        )
        for i, rules in enumerate(MALFORMED_RULES)
        for j, field_type in enumerate(TYPES)
    ]
    app = Form(specs)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        for editor in app.query(FieldEditor):
            editor.value()  # never raises
            widget = editor.input
            if isinstance(widget, Input):
                widget.value = "12"
            elif isinstance(widget, Select):
                for choice in editor.choices:
                    widget.value = choice
                    value, _ = editor.value()
                    assert value == getattr(choice, "option", choice)
            await pilot.pause()
            editor.value()
        assert app.is_running


async def test_the_problem_line_is_mounted_only_for_a_problem():
    """A row without a problem holds no problem line; the first problem mounts it (last
    in the row, under the hint), a fixed value hides it, a reset leaves none shown."""
    spec = FormField(key="n", label="N", field_type="integer", required=True, default=3)
    app = Form([(spec, 1)])
    async with app.run_test(size=(80, 10)) as pilot:
        row = app.query_one("#e0", FieldEditor)
        assert not row.query(".field-error") and row.problem_shown == ""
        plain = len(row.children)
        box = row.query_one(Input)
        box.value = ""
        await pilot.pause()
        assert row.problem_shown == "is required"
        assert len(row.children) == plain + 1
        assert row.children[-1] is row.query_one(".field-error")
        box.value = "4"
        await pilot.pause()
        assert row.problem_shown == "" and not row.query_one(".field-error").display
        box.value = "x"
        await pilot.pause()
        assert row.problem_shown != ""
        row.reset(2)
        await pilot.pause()
        assert row.problem_shown == "" and len(row.children) == plain + 1
        assert box.value == "2"
