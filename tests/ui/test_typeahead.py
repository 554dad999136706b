"""Type-ahead (issue 14): every key typed in a burst lands where it would have landed typed
slowly, at 0 and 150 ms from the store.

How a burst is sent "in one write": the bytes a terminal would send in one chunk go through
Textual's own terminal parser (``XTermParser``, what the real driver feeds), and every event it
yields is put on the app's message queue at once, before the app has handled any of them.
That is what a remote terminal does to the app: the whole burst is already queued when the
first key is handled. (Pilot's ``press`` waits for the app to go idle after each key, so it
cannot reproduce this.)
"""

from __future__ import annotations

from typing import Any

import pytest
from textual._xterm_parser import XTermParser
from textual.app import App
from textual.pilot import Pilot
from textual.worker import WorkerCancelled

from flowtui.ui.app import FlowApp
from flowtui.ui.screens.customer_editor import EditCustomerScreen
from flowtui.ui.screens.forms import NewCustomerScreen
from flowtui.ui.screens.main import MainScreen
from flowtui.ui.typeahead import action_of, claims, has_pending
from tests.api.rewriting import Rewriting
from tests.ui.conftest import (
    customers_loaded,
    customers_view,
    logged_in_app,
    raw_get,
    until,
    wait_for_customers,
)
from tests.ui.test_customers_remote import offsets, recorded, status
from tests.ui.test_forms import editor, form_ready, open_new_customer
from tests.ui.test_malformed_answers import FIELD_LISTS, messages, object_option

LATENCIES = pytest.mark.parametrize("latency", [0, 150], ids=["L0", "L150"])

TAB, ENTER, CTRL_S = "\t", "\r", "\x13"


def burst(app: FlowApp, data: str) -> int:
    """Queue every event ``data`` parses to on ``app`` at once (see the module docstring);
    returns how many keys the app will have handed out once it has handled them all."""
    events = list(XTermParser().feed(data))
    expected = app.typeahead.delivered + len(events)
    for event in events:
        event.set_sender(app)
        app.post_message(event)
    return expected


async def settled(pilot: Pilot[Any], expected: int) -> None:
    """Until the app has handed out every key of the burst, and its workers are done."""
    app = pilot.app

    def all_handed_out() -> bool:
        return app.typeahead.delivered >= expected and app.typeahead.idle

    await until(pilot, all_handed_out, timeout=10)
    await workers_done(app)
    await until(pilot, all_handed_out, timeout=10)
    await pilot.pause()


async def workers_done(app: App[Any]) -> None:
    """Until every worker has finished; one cancelled meanwhile (a load replaced by the next
    page key's, a prefetch given up for the page asked for) is finished too."""
    while True:
        try:
            await app.workers.wait_for_complete()
            return
        except WorkerCancelled:
            continue


def value(app: App[Any], key: str) -> str:
    return editor(app, key).input.value


def test_has_pending_reads_textuals_queue() -> None:
    """The one Textual internal type-ahead reads: a pump's queue says whether it is empty."""
    app = App[None]()
    assert not has_pending(app)
    app._message_queue.put_nowait(object())  # type: ignore[arg-type]
    assert has_pending(app)
    assert has_pending(object())  # type: ignore[arg-type]  # cannot tell: "pending"


async def test_claims_reads_textuals_binding_chain(sandbox):
    """The other Textual internal type-ahead reads: the binding chain. It names the action
    ``active_bindings`` names for every key bound where the focus is (without asking every
    ``check_action``), and no binding for the text a focused input types."""
    app = logged_in_app(sandbox)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for_customers(pilot)
        for where in ("table", "search box"):
            screen = app.screen
            assert isinstance(screen._binding_chain, list)  # not the slow fallback
            active = screen.active_bindings
            assert active and {k: action_of(screen, k) for k in active} == {
                k: b.binding.action for k, b in active.items()
            }, where
            if where == "table":
                assert action_of(screen, "e") == "edit"
                await pilot.press("slash")
        assert app.focused is customers_view(app).search_input
        assert claims(app.screen, "e") == [] and action_of(app.screen, "enter") == "submit"


@LATENCIES
async def test_tab_then_text_lands_in_the_next_field(sandbox, latency):
    sandbox.state.config.latency_ms = latency
    app = logged_in_app(sandbox)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for_customers(pilot)
        await open_new_customer(pilot)
        await settled(pilot, burst(app, f"Ron{TAB}ron@pawnee.gov{TAB}secret{TAB}R-1"))
        assert value(app, "name") == "Ron"
        assert value(app, "email") == "ron@pawnee.gov"
        assert value(app, "password") == "secret"
        assert value(app, "external_ref") == "R-1"


@LATENCIES
async def test_a_new_customer_typed_in_one_burst_is_created_as_typed(sandbox, latency):
    """``n`` then the name (typed while the form opens), tab, the email, ctrl+s: before, the
    name lost its first word (or everything, at 150 ms) and ctrl+s raised KeyError."""
    sandbox.state.config.latency_ms = latency
    app = logged_in_app(sandbox)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for_customers(pilot)
        await settled(pilot, burst(app, f"nRon Swanson{TAB}ron@pawnee.gov{CTRL_S}"))
        await until(pilot, lambda: isinstance(app.screen, MainScreen), timeout=10)
    body = await raw_get(sandbox, "/v2/customers", filter="eq(email,ron@pawnee.gov)")
    assert [(c["name"], c["email"]) for c in body["data"]] == [("Ron Swanson", "ron@pawnee.gov")]


@LATENCIES
async def test_search_then_edit_in_one_burst(sandbox, latency):
    sandbox.state.config.latency_ms = latency
    app = logged_in_app(sandbox)
    async with app.run_test(size=(120, 36)) as pilot:
        view = await wait_for_customers(pilot)
        target = list(view.customers.values())[9]  # not the row highlighted before the search
        await settled(pilot, burst(app, f"/{target.email}{ENTER}eLeslie Knope{CTRL_S}"))
        await until(pilot, lambda: isinstance(app.screen, MainScreen), timeout=10)
        assert not isinstance(app.screen, EditCustomerScreen)
    body = await raw_get(sandbox, f"/v2/customers/{target.id}")
    assert body["data"]["name"] == "Leslie Knope"
    assert body["data"]["email"] == target.email


def requests(sandbox: Any) -> int:
    """API requests the sandbox has received so far (counted by the sandbox itself)."""
    return int(sandbox.state.counts.requests)


@LATENCIES
async def test_forms_and_the_column_chooser_open_with_no_request(sandbox, latency):
    """The customers view has read the fields: the editor, the new-customer form, the column
    chooser and the detail pane open without a round trip, and keys typed at once land."""
    sandbox.state.config.latency_ms = latency
    app = logged_in_app(sandbox)
    async with app.run_test(size=(120, 36)) as pilot:
        view = await wait_for_customers(pilot)
        first = view.highlighted()
        assert first is not None
        # The flows view reads its flows a second after start: not part of what is counted.
        flows = app.screen.flows
        await until(pilot, lambda: flows.requested and flows.state in ("loaded", "empty"))
        await app.workers.wait_for_complete()
        before = requests(sandbox)

        await settled(pilot, burst(app, "eX"))
        assert isinstance(app.screen, EditCustomerScreen) and form_ready(app)
        assert value(app, "name") == "X"  # the name was selected on focus: typing replaces it
        assert value(app, "email") == first.email
        assert requests(sandbox) == before
        app.screen.dismiss(None)
        await until(pilot, lambda: isinstance(app.screen, MainScreen))

        await settled(pilot, burst(app, "nA"))
        assert isinstance(app.screen, NewCustomerScreen) and value(app, "name") == "A"
        assert requests(sandbox) == before
        app.screen.dismiss(None)
        await until(pilot, lambda: isinstance(app.screen, MainScreen))

        await settled(pilot, burst(app, "o"))
        assert type(app.screen).__name__ == "ColumnsScreen"
        app.screen.dismiss(None)
        await until(pilot, lambda: isinstance(app.screen, MainScreen))
        await settled(pilot, burst(app, "v"))
        assert requests(sandbox) == before


async def test_keys_typed_in_the_table_wait_for_the_page_asked_for(sandbox):
    """While the page asked for loads, ``e`` (which acts on its rows) waits for it; page keys
    do not (they move the target). The store holds the answer until the app exits."""
    app = logged_in_app(sandbox)
    async with app.run_test(size=(120, 36)) as pilot:
        view = await wait_for_customers(pilot)
        sandbox.state.config.latency_ms = 60_000
        expected = burst(app, "re")
        await until(pilot, lambda: app.typeahead.delivered == expected - 1)
        await until(pilot, lambda: view.state == "loading")
        assert view.holds_key("e") and not view.holds_key("pagedown")
        await pilot.pause(0.1)
        assert [k.key for k in app.typeahead.pending] == ["e"]  # type: ignore[union-attr]
        assert isinstance(app.screen, MainScreen)
        # In the search box the keys are the box's: never held.
        view.search_input.focus()
        await pilot.pause()
        assert not view.holds_key("e")


async def test_a_form_whose_fields_cannot_be_read_holds_no_key(sandbox):
    """Fields not kept and their read fails (a malformed answer): the form says so and
    takes keys at once, rather than holding them until the type-ahead gives up."""
    shim = Rewriting(sandbox)
    app = logged_in_app(shim)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for_customers(pilot)
        shim.serve("GET", FIELD_LISTS, object_option)
        app.api.definitions.forget("customers")
        burst(app, "n")
        await until(pilot, lambda: isinstance(app.screen, NewCustomerScreen))
        form = app.screen
        await until(pilot, lambda: any("malformed field" in m for m in messages(app)))
        await app.workers.wait_for_complete()
        assert form.accepts_keys() and not form.specs


async def test_keys_typed_while_connecting_wait_for_the_main_screen(sandbox):
    """Typed before the first page is there (the splash, then the first load): ``n`` and a
    name still make the new-customer form with that name."""
    sandbox.state.config.latency_ms = 150
    app = logged_in_app(sandbox)
    async with app.run_test(size=(120, 36)) as pilot:
        assert not customers_loaded(app)  # still connecting, or the first page on its way
        await settled(pilot, burst(app, "nRon"))
        await until(pilot, lambda: isinstance(app.screen, NewCustomerScreen))
        await settled(pilot, 0)
        assert value(app, "name") == "Ron"


PGDN = "\x1b[6~"


@LATENCIES
async def test_page_keys_then_edit_in_one_burst(sandbox, latency):
    """``PgDn PgDn e`` in one write: the page keys coalesce (they only move the target, so
    they are handed out together), and ``e`` waits until the page they lead to is drawn,
    then edits the customer on the highlighted row of that page."""
    sandbox.state.config.latency_ms = latency
    app = logged_in_app(sandbox)
    async with app.run_test(size=(120, 36)) as pilot:
        view = await wait_for_customers(pilot)
        await pilot.press("down", "down")
        row = view.table.cursor_row
        sort = view.pager.sort.param
        body = await raw_get(sandbox, "/v2/customers", sort=sort, **{"page[offset]": 200})
        wanted = body["data"][row]
        await settled(pilot, burst(app, f"{PGDN}{PGDN}e"))
        await until(pilot, lambda: isinstance(app.screen, EditCustomerScreen))
        assert view.page.offset == 200 and view.table.cursor_row == row
        edited = app.screen.original
        assert (edited.id, edited.email) == (wanted["id"], wanted["email"])


@pytest.fixture
def thousand() -> Any:
    """1,000 customers behind test_customers_remote's recorder (what reached the store)."""
    sandbox = recorded(1_000, 0)
    yield sandbox
    sandbox.state.store.close()


@LATENCIES
async def test_five_page_downs_in_one_burst_ask_only_for_the_fifth_page(thousand, latency):
    """Five PgDn in one write: the next page is shown from the cache, the other four keys
    reach the view together and coalesce, so the one request waited on is for the fifth
    page on (then the sixth is fetched ahead): one round trip, not one per key."""
    sandbox = thousand
    sandbox.state.config.latency_ms = latency
    app = logged_in_app(sandbox)
    async with app.run_test(size=(120, 36)) as pilot:
        view = await wait_for_customers(pilot)
        ahead = view.pager.query_for(100)
        await until(pilot, lambda: ahead in view.pager.cache and not view.fetcher.tasks)
        mark = len(sandbox.sent)
        await settled(pilot, burst(app, PGDN * 5))
        await until(pilot, lambda: view.page.offset == 500 and view.state == "loaded")
        await settled(pilot, 0)
        pages = offsets(sandbox.pages(mark))
        assert pages[0] == 500 and set(pages) <= {500, 600} and len(set(pages)) == len(pages)
        assert status(app) == "501-600 of 1,000 customers"
