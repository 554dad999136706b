"""The country picker by keyboard: type a code or a name, move through the matches, pick."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Input

from flowtui.ui.widgets.country import CountryPicker, initial_text


class PickerApp(App[None]):
    def __init__(self, value: object = None) -> None:
        super().__init__()
        self.value = value
        self.picked: list[str] = []
        self.submitted: list[str] = []

    def compose(self) -> ComposeResult:
        yield CountryPicker(self.value, input_id="input-country")
        yield Input(id="other")

    def on_country_picker_picked(self, event: CountryPicker.Picked) -> None:
        self.picked.append(event.code)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.submitted.append(event.value)


async def test_typing_a_name_lists_matches_and_enter_picks_the_highlighted():
    app = PickerApp()
    async with app.run_test() as pilot:
        picker = app.query_one(CountryPicker)
        picker.input.focus()
        await pilot.press(*"ger")
        assert picker.is_open
        assert [c.code for c in picker.matches][:2] == ["DE", "DZ"]
        await pilot.press("down", "enter")  # the second match: Algeria
        assert picker.input.value == "Algeria (DZ)"
        assert picker.code == "DZ" and app.picked == ["DZ"]
        assert not picker.is_open
        assert app.submitted == []  # enter picked; it did not submit
        await pilot.press("enter")  # closed: enter goes on to the form
        assert app.submitted == ["Algeria (DZ)"]


async def test_a_code_typed_names_the_country_at_once_and_closes_the_list():
    app = PickerApp()
    async with app.run_test() as pilot:
        picker = app.query_one(CountryPicker)
        picker.input.focus()
        await pilot.press("d", "k")
        assert picker.code == "DK" and not picker.is_open
        await pilot.press("backspace")
        assert picker.code is None and picker.is_open
        await pilot.press("up", "up")  # clamped at the first match
        assert picker.list.highlighted == 0


async def test_the_list_closes_when_the_focus_leaves():
    app = PickerApp()
    async with app.run_test() as pilot:
        picker = app.query_one(CountryPicker)
        picker.input.focus()
        await pilot.press("n", "e", "t")
        assert picker.is_open
        await pilot.press("tab")
        await pilot.pause()
        assert not picker.is_open and picker.code is None


async def test_it_starts_from_a_known_code_or_shows_any_other_text_literally():
    assert initial_text("de") == "Germany (DE)"
    assert initial_text(None) == ""
    assert initial_text("Ruritania \x1b[31m") == "Ruritania \\x1b[31m"
    app = PickerApp("US")
    async with app.run_test():
        picker = app.query_one(CountryPicker)
        assert picker.input.value == "United States (US)" and picker.code == "US"
