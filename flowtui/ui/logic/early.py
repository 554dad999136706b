"""Start-up before the UI exists (issue 14: a store 150 ms away must feel local). No Textual.

``flowtui`` resolves the profile (:func:`resolve_at_start`) and, with one to open,
:func:`begin` builds its service and sends the log-in check (``GET /v2/flows``, logging in
first unless the cached token is still good), the customers flow's fields and the first page
of customers at once, *before* Textual and the screens are imported: once they are in the
network's hands (:meth:`Early.left`) the cli imports the UI in a thread while the event loop
serves their answers, so the round trips travel during the ~250 ms that loading the UI
takes. The app takes the :class:`Early` session over (``FlowApp(early=...)``): it awaits the
same log-in check (its failure is the one message shown, the other two requests are
dropped) and the browser takes the fields and the first page (:func:`take_early`) instead of
asking again.

:func:`start_early` alone is what the app does when it connects later (another profile, the
login screen, tests): the fields and the first page go out together with the log-in.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from flowtui.api.models import Customer, Field, Page
from flowtui.api.service import ApiService
from flowtui.api.transport import RetryNotice
from flowtui.config.profiles import ConfigError, ProfileStore
from flowtui.config.resolve import Resolved, resolve
from flowtui.config.secrets import SecretsError
from flowtui.ops.connect import service_for
from flowtui.ui.logic.browse import Plan
from flowtui.ui.logic.pager import Pager, Query

#: The key of the early fields request (:func:`take_early`); a page's key is its Query.
FIELDS = "fields"


def resolve_at_start(
    profiles: ProfileStore, name: str | None
) -> tuple[Resolved | None, str | None]:
    """The profile to open at start, or why not: the same one sentence a command prints for
    a config or credentials file it cannot use (garbage, a wrong type, a credentials file
    others can read), which the login screen then shows. No message when there is simply
    no profile yet (the login screen explains that itself)."""
    try:
        return resolve(name), None
    except SecretsError as exc:
        return None, str(exc)
    except ConfigError as exc:
        return None, (str(exc) if name or profiles.path.exists() else None)


def _retrieve(task: asyncio.Task[Any]) -> None:
    """Mark a finished task's exception as seen (whoever awaits it reports it)."""
    if not task.cancelled():
        task.exception()


_EARLY: weakref.WeakKeyDictionary[ApiService, dict[object, asyncio.Task[Any]]] = (
    weakref.WeakKeyDictionary()
)


def first_query() -> Query:
    """What the browser asks for first (a new pager's first page)."""
    pager = Pager()
    plan = pager.peek(0)
    if not isinstance(plan, Plan):  # pragma: no cover - offset 0 is always reachable
        raise TypeError(plan)
    return pager.query(plan)


def start_early(service: ApiService) -> Callable[[], None]:
    """Send the customers flow's fields and the first page of customers now, together with
    the log-in (the token request goes first; these wait for it, then go out together).
    Returns a function that cancels them (the log-in failed: its message is the one
    shown, these are dropped)."""
    query = first_query()

    async def page() -> Page[Customer]:
        return await service.list_customers(
            filters=list(query.filters), sort=query.sort, limit=query.limit, offset=query.offset
        )

    async def fields() -> list[Field]:
        return await service.value_fields("customers")

    tasks: dict[object, asyncio.Task[Any]] = {
        FIELDS: asyncio.ensure_future(fields()),
        query: asyncio.ensure_future(page()),
    }
    for task in tasks.values():
        task.add_done_callback(_retrieve)
    _EARLY[service] = tasks

    def cancel() -> None:
        for task in _EARLY.pop(service, {}).values():
            task.cancel()

    return cancel


def take_early(service: ApiService, key: object) -> asyncio.Task[Any] | None:
    """The early request for ``key`` (``FIELDS`` or a :class:`Query`), once."""
    tasks = _EARLY.get(service)
    if not tasks:
        return None
    task = tasks.pop(key, None)
    if not tasks:
        with contextlib.suppress(KeyError):
            del _EARLY[service]
    return task


#: Longest the UI's import waits for the early requests to leave (then it starts anyway).
LEAVE_WAIT = 0.06


class _Leaving(httpx.AsyncBaseTransport):
    """Wraps the service's own transport while the early requests leave, to tell when
    ``expected`` of them are in the network's hands: each request counts once its
    connection opens or its headers are written (httpcore's ``trace`` extension), after
    which it waits only for the network, not for this process."""

    def __init__(self, inner: httpx.AsyncBaseTransport, expected: int) -> None:
        self.inner = inner
        self.expected = expected
        self.left = 0
        self.gone = asyncio.Event()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        counted = False

        async def trace(name: str, info: dict[str, Any]) -> None:
            nonlocal counted
            if not counted and name.endswith(
                (".connect_tcp.started", ".send_request_headers.started")
            ):
                counted = True
                self.left += 1
                if self.left >= self.expected:
                    self.gone.set()

        request.extensions["trace"] = trace
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


@dataclass
class Early:
    """A session started before the app: the profile, its service, the log-in check on its
    way (``verified``), and the retry notices the transport told before the app could show
    them (the app replays them and takes the callback over)."""

    resolved: Resolved
    service: ApiService
    verified: asyncio.Task[Any]
    cancel: Callable[[], None]
    notices: list[RetryNotice] = field(default_factory=list)
    leaving: _Leaving | None = None

    async def left(self, timeout: float = LEAVE_WAIT) -> bool:
        """Wait (at most ``timeout`` seconds) until the requests sent are in the network's
        hands: the log-in alone when there is no usable token (the others wait for it),
        else all three. Whether they are. The cli imports the UI only then: the importing
        thread would otherwise share the interpreter with the work of sending them."""
        leaving, self.leaving = self.leaving, None
        if leaving is None:
            return True
        try:
            await asyncio.wait_for(leaving.gone.wait(), timeout)
        except TimeoutError:
            return False
        finally:
            self.service.transport.inner = leaving.inner
        return True

    async def abandon(self) -> None:
        """Drop everything sent (the UI could not start): no task left, the client closed."""
        self.cancel()
        self.verified.cancel()
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await self.verified
        await self.service.aclose()


def begin(resolved: Resolved, factory: Callable[..., ApiService] = service_for) -> Early:
    """Build ``resolved``'s service and send the log-in check, the customers flow's fields
    and the first page at once (in the running event loop)."""
    notices: list[RetryNotice] = []
    service = factory(resolved, on_retry=notices.append)
    auth = service.auth
    leaving = _Leaving(service.transport.inner, 3 if auth.usable(auth.token) else 1)
    service.transport.inner = leaving
    verified = asyncio.ensure_future(service.verify())  # first: it logs in when needed
    verified.add_done_callback(_retrieve)
    return Early(resolved, service, verified, start_early(service), notices, leaving)
