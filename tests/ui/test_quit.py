"""Quitting ends cleanly whenever it comes: also while the app composes its forms ahead."""

from __future__ import annotations

import asyncio

from flowtui.ui.app import KEPT_FORMS
from flowtui.ui.screens.customer_editor import EditCustomerScreen
from flowtui.ui.screens.forms import NewCustomerScreen
from tests.ui.conftest import logged_in_app, wait_for_customers


async def test_quitting_while_the_forms_are_composed_ahead_ends_cleanly(sandbox):
    """The app composes the editor and the new-customer form off screen once it is idle
    (1.5 s after start). A quit while they were still being composed closed them
    half-mounted: their widgets' ``on_mount`` failed on children that never came (NoMatches
    for '#form-message', '#save', a Select's '#label') or the first input took the focus
    after the screens were gone (ScreenStackError), and the app exited with a traceback.
    Where in the composing the quit comes varies, hence several quits: the first as the
    main screen's timer composes them when the quit is already on its way (the forms
    registered, not started: NoMatches '#form-message' every time before the fix), the
    others a few event-loop steps after they started (most runs failed before the fix)."""
    names = [cls.kept_name() for cls in (EditCustomerScreen, NewCustomerScreen)]
    assert all(name.startswith(KEPT_FORMS) for name in names)  # what the exit looks for
    for steps in range(-1, 6):
        app = logged_in_app(sandbox)
        async with app.run_test(size=(120, 36)) as pilot:  # raises what the app raised
            await wait_for_customers(pilot)
            main = app.main_screen()
            assert main is not None
            if steps < 0:  # as its timer does: run by the main screen, the quit already on
                main.call_later(main.prepare_forms)  # its way (the forms not started yet)
            else:
                main.prepare_forms()
                assert all(app.is_screen_installed(name) for name in names)
                for _ in range(steps):
                    await asyncio.sleep(0)
        assert app.return_code in (None, 0), steps
