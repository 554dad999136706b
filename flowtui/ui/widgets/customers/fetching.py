"""The customer browser's page requests (issue 14: a store 50-150 ms away must feel local).

A :class:`Fetcher` sends every page request of the browser through the service (so each one
keeps to the profile's pacing) and keeps the rules that make a remote store usable:

* **One request per query.** A page already on its way is awaited, never asked for again
  (a prefetch the user then asks for is adopted, not repeated).
* **The user's page first.** At most one *background* request (a prefetch or a revalidation)
  is in flight, and none starts while the user waits for a page. When the user asks for a
  page that the background request is not fetching, that request is cancelled at once.
* **Answers are kept.** Every answer goes into the pager's :class:`PageCache`, also one that
  arrives after the user moved on (a request sent is never wasted).
* **Start-up.** :func:`~flowtui.ui.logic.early.start_early` sends the customers flow's
  fields and the first page while the log-in is still on its way (before the UI is even
  imported, when ``flowtui`` starts); the browser takes those answers
  (:func:`~flowtui.ui.logic.early.take_early`) instead of asking again.

No Textual here: the view runs the fetcher from its workers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from flowtui.api.models import Customer, Page
from flowtui.ui.logic.early import FIELDS, start_early, take_early
from flowtui.ui.logic.pager import PageCache, Query

Fetch = Callable[[Query], Awaitable[Page[Customer]]]

__all__ = ["FIELDS", "Fetcher", "start_early", "take_early"]


def _retrieve(task: asyncio.Task[Any]) -> None:
    """Mark a finished task's exception as seen (whoever awaits it reports it)."""
    if not task.cancelled():
        task.exception()


class Fetcher:
    """Page requests by query: deduplicated, the user's first, one in the background."""

    def __init__(self, fetch: Fetch, cache: PageCache) -> None:
        self._fetch = fetch
        self.cache = cache
        #: Requests in flight by query.
        self.tasks: dict[Query, asyncio.Task[Page[Customer]]] = {}
        #: The query of the one background request in flight (None: none).
        self.background: Query | None = None
        #: How many page requests the user is waiting for now.
        self.waiting = 0
        #: How many requests this fetcher sent (for tests and diagnostics).
        self.sent = 0

    def _start(self, query: Query) -> asyncio.Task[Page[Customer]]:
        task = asyncio.ensure_future(self._run(query))
        self.tasks[query] = task
        self.sent += 1
        task.add_done_callback(lambda t: self._done(query, t))
        return task

    async def _run(self, query: Query) -> Page[Customer]:
        answer = await self._fetch(query)
        self.cache.put(query, answer)
        return answer

    def _done(self, query: Query, task: asyncio.Task[Page[Customer]]) -> None:
        if self.tasks.get(query) is task:
            del self.tasks[query]
        if self.background == query:
            self.background = None
        _retrieve(task)

    def adopt(self, query: Query, task: asyncio.Task[Page[Customer]]) -> None:
        """Take over a request already sent for ``query`` (the early first page)."""
        if task.done():
            _retrieve(task)
            if not task.cancelled() and task.exception() is None:
                self.cache.put(query, task.result())
            return
        if query not in self.tasks:

            async def kept() -> Page[Customer]:
                answer = await task
                self.cache.put(query, answer)
                return answer

            adopted = asyncio.ensure_future(kept())
            self.tasks[query] = adopted
            adopted.add_done_callback(lambda t: self._done(query, t))

    async def get(self, query: Query) -> Page[Customer]:
        """The store's answer to ``query``, which the user waits for: the request already on
        its way for it, else a new one; a background request for anything else is
        cancelled first. Cancelling the caller does not cancel the request (its answer is
        cached)."""
        if self.background is not None and self.background != query:
            self.cancel_background()
        self.background = None  # the user's now, if it was a prefetch
        task = self.tasks.get(query) or self._start(query)
        self.waiting += 1
        try:
            return await asyncio.shield(task)
        finally:
            self.waiting -= 1

    def prefetch(self, query: Query) -> asyncio.Task[Page[Customer]] | None:
        """Fetch ``query`` in the background (a page ahead, or the page on screen again),
        unless it is on its way already, the user waits for a page, or another background
        request is in flight."""
        if query in self.tasks or self.waiting or self.background is not None:
            return None
        self.background = query
        return self._start(query)

    def cancel_background(self) -> None:
        query, self.background = self.background, None
        task = self.tasks.pop(query, None) if query is not None else None
        if task is not None:
            task.cancel()

    def cancel_all(self) -> None:
        """Cancel everything in flight (a new search or sort: no answer is of use now)."""
        self.background = None
        tasks, self.tasks = self.tasks, {}
        for task in tasks.values():
            task.cancel()
