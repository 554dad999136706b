"""The README's tutorial, typed into flowtui exactly as written, on the demo data.

The key sequence is read from the table in the README's "Tutorial" section, so the tutorial
and this test cannot drift apart: change a key there and this test types the new one. After
each of the guide's steps the store is checked with plain HTTP reads (past flowtui), and the
screen where the tutorial says what the user sees.
"""

from __future__ import annotations

import re
from pathlib import Path

from rich.text import Text
from textual import events
from textual.widgets import Input, Static

from flowtui.ops.demo import DEMO_CUSTOMERS
from flowtui.sandbox import demo
from flowtui.ui.screens.main import MainScreen
from tests.ui.conftest import (
    logged_in_app,
    raw_get,
    seeded_sandbox,
    wait_for_customers,
    workers_done,
)

README = Path(__file__).resolve().parents[2] / "README.md"
HEADING = "## Tutorial: extend customers with a custom field"
TOKEN = re.compile(r'`"(?P<text>[^`]*)"`|`(?P<key>[^`"]+)`(?:\s*×\s*(?P<times>\d+))?')

EMAIL = "ron.swanson@gmail.com"
FIRST = "Do NOT leave in a government building"
SECOND = "Leave in Leslie Knope’s office"  # the guide's text, its ’ included


def tutorial_steps(text: str | None = None) -> list[tuple[int, list[tuple[str, str]]]]:
    """``[(step, [("key", "tab") | ("text", "Ron Swanson"), ...]), ...]`` from the README."""
    text = README.read_text() if text is None else text
    assert HEADING in text, f"README has no section {HEADING!r}"
    section = text.split(HEADING, 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.startswith("|") or len(cells) < 2 or not cells[0].isdigit():
            continue
        actions: list[tuple[str, str]] = []
        for match in TOKEN.finditer(cells[1]):
            if match["text"] is not None:
                actions.append(("text", match["text"]))
            else:
                actions += [("key", match["key"])] * int(match["times"] or 1)
        assert actions, f"a tutorial row without keys: {line}"
        rows.append((int(cells[0]), actions))
    return rows


def test_the_readme_tutorial_parses_into_the_guide_steps():
    steps = tutorial_steps()
    assert [s for s, _ in steps] == sorted(s for s, _ in steps), "steps must be in order"
    assert {s for s, _ in steps} == {2, 3, 4, 5, 6}
    typed = [v for _, actions in steps for kind, v in actions if kind == "text"]
    assert {"Delivery Details", "Ron Swanson", EMAIL, FIRST, SECOND} <= set(typed)
    # The parser itself: quoted text, keys, repeats.
    sample = '| 4 | `tab` ×2 `"a b"` `ctrl+s` | x |'
    assert tutorial_steps(f"{HEADING}\n{sample}\n") == [
        (4, [("key", "tab"), ("key", "tab"), ("text", "a b"), ("key", "ctrl+s")])
    ]


async def ron(sandbox) -> dict:
    found = (await raw_get(sandbox, "/v2/customers", filter=f"eq(email,{EMAIL})"))["data"]
    assert len(found) == 1, found
    return found[0]


async def check_step(step: int, app, sandbox) -> None:
    """What the store (and the screen) hold once the tutorial's ``step`` is done."""
    main = app.main_screen()
    if step == 2:
        view = main.query_one("FlowsView")
        assert app.focused is view.table and view.highlighted().slug == "customers"
    elif step == 3:
        fields = (await raw_get(sandbox, "/v2/flows/customers/fields"))["data"]
        field = next(f for f in fields if f["slug"] == "delivery_details")
        assert field["name"] == "Delivery Details"
        assert field["description"] == "customers delivery details"
        assert field["field_type"] == "string"
        assert field["required"] is False and field["enabled"] is True
        assert max(f["order"] for f in fields) == field["order"], "it should be the last one"
    elif step == 4:
        customer = await ron(sandbox)
        assert customer["name"] == "Ron Swanson"
        assert customer["delivery_details"] == FIRST
    elif step == 5:
        assert isinstance(app.screen, MainScreen)
        table = main.query_one("#customers-table")
        assert table.row_count == 1 and EMAIL in [str(c) for c in table.get_row_at(0)]
        pane = main.query_one("#customers-detail")
        assert pane.has_class("shown")
        body = main.query_one("#customers-detail-body", Static).render()
        assert FIRST in (body.plain if isinstance(body, Text) else str(body))
    elif step == 6:
        assert isinstance(app.screen, MainScreen)
        customer = await ron(sandbox)
        assert customer["delivery_details"] == SECOND
        assert customer["name"] == "Ron Swanson" and customer["email"] == EMAIL
        table = main.query_one("#customers-table")
        assert SECOND in [str(c) for c in table.get_row_at(0)]


async def paste(pilot, text: str) -> None:
    """Put ``text`` into the focused input as the terminal does when it is typed or pasted
    quickly (one Paste event rather than one key event per character: the same input, the
    same Changed messages, a tenth of the time). It must be a text input that has the focus:
    a README step that leaves the focus elsewhere fails here."""
    focused = pilot.app.focused
    assert isinstance(focused, Input), f"{text!r} would not go into a text field ({focused})"
    focused.post_message(events.Paste(text))
    await pilot.pause()
    assert text in focused.value, (text, focused.value)


def search_typed(steps: list[tuple[int, list[tuple[str, str]]]]) -> str:
    """The text step 5 types into the ``/`` search box."""
    actions = [a for step, acts in steps if step == 5 for a in acts]
    return actions[actions.index(("key", "/")) + 1][1]


def test_the_tutorial_search_finds_ron_alone_in_any_demo_store():
    """Issue 16: ``ron.swanson@`` matched three demo customers besides Ron. The search is
    ``like(email,*text*)``: with Ron's whole address, only an address at his domain could
    match, and no demo address (whatever ``--demo-customers``) is at that domain."""
    typed = search_typed(tutorial_steps())
    assert typed == EMAIL
    domain = EMAIL.split("@", 1)[1]
    assert all(domain not in d for d in demo.DOMAINS)


async def test_the_readme_tutorial_works_key_by_key():
    # The store `flowtui --demo --reset` starts: the demo data, DEMO_CUSTOMERS customers.
    sandbox = seeded_sandbox(DEMO_CUSTOMERS)
    try:
        await type_the_tutorial(sandbox)
    finally:
        sandbox.state.store.close()


async def type_the_tutorial(sandbox) -> None:
    steps = tutorial_steps()
    app = logged_in_app(sandbox)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for_customers(pilot)  # `flowtui --demo` opens on the customers view
        done = []
        for index, (step, actions) in enumerate(steps):
            for kind, value in actions:
                if kind == "text":
                    await paste(pilot, value)
                else:
                    await pilot.press(value)
                await workers_done(app)
                await pilot.pause()
            await workers_done(app)
            await pilot.pause()
            last_of_step = index + 1 == len(steps) or steps[index + 1][0] != step
            if last_of_step:
                await check_step(step, app, sandbox)
                done.append(step)
        assert done == [2, 3, 4, 5, 6]
