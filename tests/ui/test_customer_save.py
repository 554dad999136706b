"""Saving an edit as fast as the store answers (issue 14, "save ≤ 2 round trips + 60 ms"):
the editor closes at the PUT's answer with the journal's record still on its way (and never
lost: an undo pressed at once finds it), the browser's row changes in place with no other
request, and only that row is drawn again."""

from __future__ import annotations

import dataclasses

import pytest
from textual.geometry import Region
from textual.widgets.data_table import RowKey

from flowtui.ui.screens.dialogs import ConfirmDialog
from flowtui.ui.screens.main import MainScreen
from tests.api.test_journal_writer import Gated
from tests.ui.conftest import PROFILE, logged_in_app, until, wait_for_customers, workers_done
from tests.ui.test_customer_editor import open_editor, record_requests, type_into


@pytest.mark.parametrize("latency", [0, 150])
async def test_the_editor_closes_at_the_stores_answer_and_the_save_is_journaled(
    sandbox, latency, tmp_path
):
    sandbox.state.config.latency_ms = latency
    app = logged_in_app(sandbox)
    async with app.run_test(size=(120, 36)) as pilot:
        view = await wait_for_customers(pilot)
        journal = Gated(tmp_path / "journal.jsonl")
        app.service.journal = journal
        editor = await open_editor(pilot)
        original = editor.original
        await type_into(pilot, "name", "Saved At Once", paste=True)
        await until(pilot, lambda: not view.fetcher.tasks)  # the page's prefetch is done
        sent = record_requests(app)
        try:
            await pilot.press("ctrl+s")
            await until(
                pilot,
                lambda: (
                    isinstance(app.screen, MainScreen)
                    and view.customers[original.id].name == "Saved At Once"
                ),
            )
            # Shown with the journal's record still on its way (its disk is held up).
            assert not journal.path.exists()
            assert "Saved At Once" in str(view.table.get_cell(original.id, "name"))
            # An undo pressed at once finds this save (the reader waits for the record).
            await pilot.press("u")
            journal.gate.set()
            await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
            assert original.id in str(app.screen.question)
            await pilot.press("n")
        finally:
            journal.gate.set()
        await workers_done(app)
        # The conflict check's read and the write: nothing else about customers (no page
        # asked again). (The flows view loads its flows and fields in the background.)
        path = f"/v2/customers/{original.id}"
        about_customers = [(m, p) for m, p, _ in sent if p.startswith("/v2/customers")]
        assert about_customers == [("GET", path), ("PUT", path)]
    last = journal.last_change(PROFILE)
    assert last is not None and last["id"] == original.id
    assert (last["before"], last["after"]) == ({"name": original.name}, {"name": "Saved At Once"})


def lines(table) -> list[tuple[str, list]]:
    return [(s.text, list(s)) for s in (table.render_line(y) for y in range(table.size.height))]


async def test_a_changed_row_is_drawn_as_a_full_redraw_would_and_alone(sandbox):
    app = logged_in_app(sandbox)
    async with app.run_test(size=(120, 36)) as pilot:
        view = await wait_for_customers(pilot)
        table = view.table
        await pilot.press("down")
        target = view.highlighted()
        await pilot.press("space")  # marked: its first cell carries the mark
        await until(pilot, lambda: target.id in view.marks)
        other = next(key for key in view.customers if key != target.id)
        await pilot.pause()
        lines(table)  # every row drawn and cached
        changed = dataclasses.replace(target, name="Patched [b]Name[/b]\x1b")
        assert view.update_customer(changed)

        def cached(key: str) -> bool:
            return any(k[0] == RowKey(key) for k in list(table._row_render_cache.keys()))

        assert cached(other) and not cached(target.id)  # only that row is drawn again
        await pilot.pause()
        # What reaches the screen (the widget's own line cache included) shows it.
        region = Region(0, 0, table.size.width, table.size.height)
        shown = "".join(strip.text for strip in table.render_lines(region))
        assert "Patched [b]Name[/b]" in shown
        patched = lines(table)
        table._clear_caches()
        assert patched == lines(table)  # what a redraw from nothing draws
        assert "Patched [b]Name[/b]" in "".join(text for text, _ in patched)  # no markup parsed
        assert str(table.get_cell(target.id, table.ordered_columns[0].key)).startswith("● ")
