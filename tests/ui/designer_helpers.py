"""Helpers for the flow designer's UI tests: reach the designer, pick rows, type by keys."""

from __future__ import annotations

from textual.pilot import Pilot
from textual.widgets import DataTable, Input

from flowtui.ui.screens.main import MainScreen
from flowtui.ui.widgets.flows import FlowsView
from tests.ui.conftest import until, workers_done


def designer(app) -> FlowsView:
    return app.main_screen().query_one(FlowsView)


async def settle(pilot: Pilot) -> None:
    await workers_done(pilot.app)
    await pilot.pause()


async def open_designer(pilot: Pilot, flows: int | None = None) -> FlowsView:
    """Wait for the main screen, press f3, wait until the flows have loaded."""
    app = pilot.app
    await until(pilot, lambda: isinstance(app.screen, MainScreen))
    await pilot.press("f3")
    view = designer(app)
    await until(pilot, lambda: view.loaded)
    if flows is not None:
        await until(pilot, lambda: view.table.row_count == flows)
    await settle(pilot)
    return view


async def select_flow(pilot: Pilot, slug: str) -> FlowsView:
    """Put the flows cursor on ``slug`` (by keys) and focus the flows table."""
    view = designer(pilot.app)
    view.table.focus()
    await pilot.press("ctrl+home")
    for _ in range(view.table.row_count):
        flow = view.highlighted()
        if flow is not None and flow.slug == slug:
            break
        await pilot.press("down")
    await pilot.pause()
    assert view.highlighted() is not None and view.highlighted().slug == slug
    return view


async def select_field(pilot: Pilot, flow_slug: str, field_slug: str) -> FlowsView:
    """Select the flow, go to its fields (tab) and put the cursor on ``field_slug``."""
    view = await select_flow(pilot, flow_slug)
    await pilot.press("tab")
    assert pilot.app.focused is view.fields_table
    await pilot.press("ctrl+home")
    for _ in range(view.fields_table.row_count):
        if view.highlighted_field().slug == field_slug:
            break
        await pilot.press("down")
    assert view.highlighted_field().slug == field_slug
    return view


async def type_into(pilot: Pilot, selector: str, text: str, keys: bool = False) -> None:
    """Put ``text`` into an input: typed key by key (``keys``), else set (faster; the
    input still posts ``Changed`` as typing does)."""
    widget = pilot.app.screen.query_one(selector, Input)
    widget.focus()
    if keys:
        await pilot.pause()
        widget.action_end()
        await pilot.press(*(["backspace"] * len(widget.value)))
        await pilot.press(*text)
    else:
        widget.value = text
    await pilot.pause()
    assert widget.value == text, (widget.value, text)


def column(table: DataTable, index: int) -> list[str]:
    return [str(table.get_row_at(i)[index]) for i in range(table.row_count)]


def notifications(app) -> list[str]:
    return [n.message for n in app._notifications]
