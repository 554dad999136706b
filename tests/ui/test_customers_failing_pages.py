"""A page the user waits for whose request fails (issue 14's left-over): whether it was a
prefetch already on its way when the key was pressed, or a request of its own, the failure
takes the one road for errors (the status line in the view's error state, and a toast), and
the next key asks again (from the page on screen: the key that failed is not lost)."""

from __future__ import annotations

import asyncio

import pytest

from tests.ui.conftest import logged_in_app, until, wait_for_customers
from tests.ui.test_customers_remote import LATENCIES, Recorder, far, offsets, settle, status

__all__ = ["far"]  # the fixture, shared with the remote tests

REFUSAL = b'{"errors": [{"status": 400, "title": "Bad Request", "detail": "page refused"}]}'


class Refusing:
    """The recorded sandbox, refusing (400: not retried) the customer pages at ``offsets``."""

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder
        self.offsets: set[int] = set()
        #: When given, a refusal waits for it to be set (else for the store's latency).
        self.held: asyncio.Event | None = None

    @property
    def state(self):
        return self.recorder.state

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and scope["path"] == "/v2/customers":
            query = scope.get("query_string", b"").decode()
            if any(f"page%5Boffset%5D={o}&" in query + "&" for o in self.offsets) or any(
                f"page[offset]={o}&" in query + "&" for o in self.offsets
            ):
                if self.held is not None:
                    await self.held.wait()
                else:
                    await asyncio.sleep(self.state.config.latency_ms / 1000)  # as far away
                headers = [(b"content-type", b"application/json")]
                await send({"type": "http.response.start", "status": 400, "headers": headers})
                await send({"type": "http.response.body", "body": REFUSAL})
                return
        await self.recorder(scope, receive, send)


def refusing_app(far, latency: int):
    from tests.ui.conftest import build_app

    recorder = far(1_000, latency=latency)
    refusing = Refusing(recorder)
    profiles_app = logged_in_app(recorder)
    app = build_app(refusing, profiles=profiles_app.profiles, resolved=profiles_app.initial)
    return app, recorder, refusing


def toasts(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


@pytest.mark.parametrize("latency", LATENCIES)
async def test_a_failed_prefetch_is_asked_again_and_its_failure_shown(far, latency):
    app, recorder, refusing = refusing_app(far, latency)
    async with app.run_test(size=(120, 36)) as pilot:
        view = await wait_for_customers(pilot)
        refusing.offsets = {200}
        await pilot.press("pagedown")  # page 2 from the cache; page 3 ahead fails unseen
        await settle(pilot)
        assert view.page.offset == 100 and view.state == "loaded"
        assert not toasts(app)
        mark = len(recorder.sent)
        await pilot.press("pagedown")  # page 3 is not there: asked for, and refused
        await until(pilot, lambda: view.state == "error")
        await settle(pilot)
        assert status(app).startswith("Could not load customers:")
        assert any("page refused" in t for t in toasts(app))
        assert view.page.offset == 100  # page 2 stays (the rows are still page 2's)
        refusing.offsets = set()
        await pilot.press("pagedown")  # the next key: page 3 again, not page 4
        await until(pilot, lambda: view.state == "loaded" and view.page.offset == 200)
        await settle(pilot)
        assert status(app) == "201-300 of 1,000 customers"
        assert offsets(recorder.pages(mark))[:1] == [200]


@pytest.mark.parametrize("latency", LATENCIES)
async def test_a_prefetch_failing_while_the_user_waits_for_it_is_shown(far, latency):
    app, _, refusing = refusing_app(far, latency)
    async with app.run_test(size=(120, 36)) as pilot:
        view = await wait_for_customers(pilot)
        # Page 3 ahead stays on its way until released: a fixed delay (300 ms) could run out
        # before a busy machine's test saw it, or pressed the next key.
        refusing.held = asyncio.Event()
        refusing.offsets = {200}
        await pilot.press("pagedown")
        await until(pilot, lambda: view.fetcher.background is not None)
        await pilot.press("pagedown")  # waits for the prefetch on its way ...
        await until(pilot, lambda: view.fetcher.waiting == 1)
        refusing.held.set()  # ... which fails
        await until(pilot, lambda: view.state == "error")
        await settle(pilot)
        assert status(app).startswith("Could not load customers:")
        assert any("page refused" in t for t in toasts(app))
        refusing.offsets = set()
        await pilot.press("pagedown")
        await until(pilot, lambda: view.state == "loaded" and view.page.offset == 200)
        await settle(pilot)
        assert status(app) == "201-300 of 1,000 customers"
