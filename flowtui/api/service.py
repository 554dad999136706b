"""The API service every screen shares: one ``httpx.AsyncClient`` per profile, typed models in,
typed models or typed errors out, and change notifications after every successful write.

No Textual here. Screens call these coroutines from workers; listeners registered with
:meth:`ApiService.subscribe` learn what changed so any open view can refresh itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import sys
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from flowtui import __version__

try:
    import sniffio  # noqa: F401
except ImportError:
    # httpcore tries `import sniffio` for every lock it creates; without sniffio each failed
    # import searches sys.path again (about 2,000 searches per 50,000 exported customers,
    # 8 % of an export's time). Recording it as absent makes the attempt fail at once;
    # httpcore then assumes asyncio, which is what flowtui runs on.
    sys.modules.setdefault("sniffio", None)  # type: ignore[arg-type]
from flowtui.api.auth import EpccAuth, TokenCache
from flowtui.api.errors import (
    ApiError,
    ErrorItem,
    NetworkError,
    NotAllowedError,
    NotFoundError,
    ProtocolError,
    error_from_response,
)
from flowtui.api.models import Customer, Entry, Field, Flow, Page
from flowtui.api.transport import MAYBE_DONE, PacedRetryTransport, RetryNotice, RetryPolicy

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
PAGE_LIMIT = 100
#: Customers can be sorted by these (and ``-`` for descending).
CUSTOMER_SORTS = ("created_at", "updated_at", "name", "email", "id")


@dataclass(frozen=True, slots=True)
class Change:
    """What changed: ``resource`` is flow, field, entry or customer; ``action`` is created,
    updated or deleted; ``flow_slug`` names the flow of a field or entry when known; ``item``
    is the new model (None for a delete). ``via`` is "write", or "read" when a read revealed a
    newer version than one seen before."""

    resource: str
    action: str
    id: str
    item: Any = None
    flow_slug: str | None = None
    via: str = "write"


Listener = Callable[[Change], None]


def filter_value(value: str) -> str:
    """A filter value, quoted when it holds characters that would end a term."""
    if any(c in value for c in '(),:"') or value != value.strip():
        if '"' in value:
            raise ValueError("filter values cannot contain a double quote")
        return f'"{value}"'
    return value


def build_filter(terms: Iterable[tuple[str, str, str]]) -> str | None:
    """``[("like", "name", "*knope*"), ...]`` as an EPCC filter string (``:`` = AND)."""
    parts = [f"{op}({attr},{filter_value(str(value))})" for op, attr, value in terms]
    return ":".join(parts) or None


def encode_query(params: dict[str, Any]) -> str:
    """Percent-encode every value (a ``+`` in an email must reach the store as ``%2B``)."""
    return "&".join(
        f"{quote(k, safe='[]')}={quote(str(v), safe='')}"
        for k, v in params.items()
        if v is not None
    )


class ApiService:
    """All calls the screens make against one store (one profile)."""

    def __init__(
        self,
        base_url: str,
        client_id: str,
        client_secret: str | None = None,
        *,
        read_only: bool = False,
        rate_limit: float | None = 20.0,
        token_cache: TokenCache | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        verify: bool | str = True,
        retry: RetryPolicy | None = None,
        on_retry: Callable[[RetryNotice], None] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.read_only = read_only
        inner = transport or httpx.AsyncHTTPTransport(verify=verify, retries=0)
        self.transport = PacedRetryTransport(
            inner, rate=rate_limit, policy=retry, on_retry=on_retry
        )
        self.auth = EpccAuth(
            f"{self.base_url}/oauth/access_token",
            client_id,
            client_secret,
            grant="implicit" if read_only else "client_credentials",
            cache=token_cache,
        )
        self.client = httpx.AsyncClient(
            base_url=self.base_url,
            transport=self.transport,
            auth=self.auth,
            timeout=timeout,
            headers={"User-Agent": f"flowtui/{__version__}", "Accept": "application/json"},
        )
        self._listeners: list[Listener] = []
        self._seen: OrderedDict[str, str] = OrderedDict()  # customer id -> updated_at
        #: Whether the last answer came from a flowtui sandbox (``X-Flowtui-Sandbox``).
        self.is_sandbox: bool | None = None

    def __repr__(self) -> str:
        return f"ApiService({self.base_url!r}, read_only={self.read_only})"

    async def aclose(self) -> None:
        await self.client.aclose()

    async def __aenter__(self) -> ApiService:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    # -- change notifications ----------------------------------------------------------------

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` with every :class:`Change`; returns a function that unsubscribes."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def _emit(self, change: Change) -> None:
        for listener in list(self._listeners):
            with contextlib.suppress(Exception):
                listener(change)

    def _saw_customer(self, customer: Customer) -> None:
        before = self._seen.get(customer.id)
        self._seen[customer.id] = customer.updated_at
        self._seen.move_to_end(customer.id)
        while len(self._seen) > 50_000:
            self._seen.popitem(last=False)
        if before is not None and customer.updated_at and customer.updated_at > before:
            self._emit(Change("customer", "updated", customer.id, customer, via="read"))

    # -- plumbing -------------------------------------------------------------------------------

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        expect: Sequence[int] = (200,),
    ) -> Any:
        """Send one request; return the parsed JSON body (None for 204) or raise an ApiError."""
        url = path + ("?" + encode_query(params) if params else "")
        try:
            response = await self.client.request(method, url, json=json)
        except httpx.TimeoutException as exc:
            # The detail is what ``str(error)`` shows, so it says the whole thing.
            detail = f"{self.base_url} did not answer {method} {path} in time"
            sent = not isinstance(exc, httpx.ConnectTimeout)
            error = NetworkError(
                [
                    ErrorItem(
                        "The store did not answer in time",
                        f"{detail} ({type(exc).__name__}){_maybe_done(method, sent)}",
                    )
                ],
                method=method,
                path=path,
            )
            error.maybe_sent = sent
            raise error from None
        except httpx.ConnectError as exc:
            detail = f"Cannot connect to {self.base_url} ({type(exc).__name__}: {exc})"
            raise NetworkError(
                [ErrorItem("Cannot reach the store", detail)], method=method, path=path
            ) from None
        except httpx.HTTPError as exc:
            detail = (
                f"The connection to {self.base_url} broke during {method} {path} "
                f"({type(exc).__name__}: {exc}){_maybe_done(method, True)}"
            )
            error = NetworkError(
                [ErrorItem("The connection to the store broke", detail)], method=method, path=path
            )
            error.maybe_sent = True
            raise error from None
        self.is_sandbox = "x-flowtui-sandbox" in response.headers
        if (
            method == "DELETE"
            and response.status_code == 404
            and 204 in expect
            and response.request.extensions.get(MAYBE_DONE)
        ):
            # An earlier attempt was lost after it may have reached the store, and the repeat
            # finds nothing to delete: that attempt did it.
            return None
        if response.status_code not in expect:
            raise error_from_response(response)
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise ProtocolError(
                [ErrorItem("The store answered with something that is not JSON")],
                status=response.status_code,
                method=method,
                path=path,
            ) from None

    @staticmethod
    def _data(body: Any) -> Any:
        if not isinstance(body, dict) or "data" not in body:
            raise ProtocolError([ErrorItem("The answer has no data")])
        return body["data"]

    async def login(self) -> Any:
        """Make sure there is a valid token (logging in when needed); returns it."""
        if not self.auth.usable(self.auth.token):
            await self.request("GET", "/v2/flows")
        return self.auth.token

    async def verify(self) -> Any:
        """Prove the session works with one real request (logging in when needed), which
        also tells whether the store is a flowtui sandbox; returns the token."""
        await self.request("GET", "/v2/flows")
        return self.auth.token

    # -- flows ------------------------------------------------------------------------------

    async def list_flows(self) -> list[Flow]:
        return [Flow.parse(d) for d in self._data(await self.request("GET", "/v2/flows"))]

    async def get_flow(self, flow_id: str) -> Flow:
        return Flow.parse(self._data(await self.request("GET", f"/v2/flows/{quote(flow_id)}")))

    async def create_flow(
        self, name: str, slug: str, description: str = "", enabled: bool = True
    ) -> Flow:
        body = {"type": "flow", "name": name, "slug": slug, "description": description}
        body["enabled"] = enabled
        flow = Flow.parse(
            self._data(await self.request("POST", "/v2/flows", json={"data": body}, expect=(201,)))
        )
        self._emit(Change("flow", "created", flow.id, flow, flow.slug))
        return flow

    async def update_flow(self, flow_id: str, **changes: Any) -> Flow:
        """Partial update: pass only what changes (name, slug, description, enabled)."""
        body = {"type": "flow", "id": flow_id, **changes}
        flow = Flow.parse(
            self._data(
                await self.request("PUT", f"/v2/flows/{quote(flow_id)}", json={"data": body})
            )
        )
        self._emit(Change("flow", "updated", flow.id, flow, flow.slug))
        return flow

    async def delete_flow(self, flow: Flow, *, core_confirmed: bool = False) -> None:
        """Delete a flow with its fields and entries.

        A store refuses to delete a core flow (405); with ``core_confirmed`` the slug is first
        renamed so the flow stops being core, then it is deleted. The "deleted" change names
        the original slug, so views of that resource learn their custom attributes went.
        """
        slug = flow.slug
        if flow.is_core:
            if not core_confirmed:
                raise NotAllowedError(
                    [
                        ErrorItem(
                            "Core flows cannot be deleted",
                            f"{flow.slug!r} extends the {flow.resource} resource; rename its "
                            "slug first (flowtui can do this for you after confirmation)",
                        )
                    ],
                    status=405,
                )
            stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d%H%M%S")
            flow = await self.update_flow(flow.id, slug=f"{flow.slug}-deleted-{stamp}")
        await self.request("DELETE", f"/v2/flows/{quote(flow.id)}", expect=(204,))
        self._emit(Change("flow", "deleted", flow.id, None, slug))

    # -- fields -----------------------------------------------------------------------------

    async def list_fields(self, flow_slug: str | None = None) -> list[Field]:
        """Fields of one flow (by slug, in ``order``), or of every flow."""
        path = f"/v2/flows/{quote(flow_slug, safe='')}/fields" if flow_slug else "/v2/fields"
        return [Field.parse(d) for d in self._data(await self.request("GET", path))]

    async def value_fields(self, flow_slug: str = "customers") -> list[Field]:
        """The enabled, non-relationship fields of a flow (those a record shows as values),
        in order; none when the flow does not exist (the store answers 404)."""
        try:
            fields = await self.list_fields(flow_slug)
        except NotFoundError:
            return []
        return [f for f in fields if f.enabled and f.field_type != "relationship"]

    async def get_field(self, field_id: str) -> Field:
        return Field.parse(self._data(await self.request("GET", f"/v2/fields/{quote(field_id)}")))

    async def create_field(
        self,
        flow: Flow,
        *,
        name: str,
        slug: str,
        field_type: str,
        description: str = "",
        required: bool = False,
        enabled: bool = True,
        default: Any = None,
        validation_rules: Sequence[dict[str, Any]] = (),
        order: int | None = None,
        omit_null: bool = False,
    ) -> Field:
        body: dict[str, Any] = {
            "type": "field",
            "name": name,
            "slug": slug,
            "field_type": field_type,
            "description": description,
            "required": required,
            "enabled": enabled,
            "default": default,
            "validation_rules": list(validation_rules),
            "order": order,
            "omit_null": omit_null,
            "relationships": {"flow": {"data": {"type": "flow", "id": flow.id}}},
        }
        field = Field.parse(
            self._data(await self.request("POST", "/v2/fields", json={"data": body}, expect=(201,)))
        )
        self._emit(Change("field", "created", field.id, field, flow.slug))
        return field

    async def update_field(
        self, field_id: str, *, flow_slug: str | None = None, **changes: Any
    ) -> Field:
        """Partial update (name, slug, description, required, default, enabled, order,
        omit_null, validation_rules); the field type cannot change."""
        body = {"type": "field", "id": field_id, **changes}
        field = Field.parse(
            self._data(
                await self.request("PUT", f"/v2/fields/{quote(field_id)}", json={"data": body})
            )
        )
        self._emit(Change("field", "updated", field.id, field, flow_slug))
        return field

    async def delete_field(self, field: Field, flow_slug: str | None = None) -> None:
        await self.request("DELETE", f"/v2/fields/{quote(field.id)}", expect=(204,))
        self._emit(Change("field", "deleted", field.id, None, flow_slug))

    async def reorder_fields(
        self, ordered: Sequence[Field], flow_slug: str | None = None
    ) -> list[Field]:
        """Write ``order`` = 1..n following ``ordered``, sending only the changed ones."""
        updated: list[Field] = []
        for position, field in enumerate(ordered, start=1):
            if field.order != position:
                field = await self.update_field(field.id, flow_slug=flow_slug, order=position)
            updated.append(field)
        return updated

    # -- entries ----------------------------------------------------------------------------

    def _entries_path(self, flow_slug: str, entry_id: str | None = None) -> str:
        path = f"/v2/flows/{quote(flow_slug, safe='')}/entries"
        return f"{path}/{quote(entry_id, safe='')}" if entry_id else path

    async def list_entries(
        self, flow_slug: str, *, limit: int = PAGE_LIMIT, offset: int = 0
    ) -> Page[Entry]:
        body = await self.request(
            "GET",
            self._entries_path(flow_slug),
            params={"page[limit]": limit, "page[offset]": offset},
        )
        return Page.parse(body, lambda d: Entry.parse(d, flow_slug))

    async def get_entry(self, flow_slug: str, entry_id: str) -> Entry:
        body = await self.request("GET", self._entries_path(flow_slug, entry_id))
        return Entry.parse(self._data(body), flow_slug)

    async def create_entry(self, flow_slug: str, values: dict[str, Any]) -> Entry:
        body = await self.request(
            "POST",
            self._entries_path(flow_slug),
            json={"data": {"type": "entry", **values}},
            expect=(201,),
        )
        entry = Entry.parse(self._data(body), flow_slug)
        self._emit(Change("entry", "created", entry.id, entry, flow_slug))
        return entry

    async def update_entry(self, flow_slug: str, entry_id: str, values: dict[str, Any]) -> Entry:
        body = await self.request(
            "PUT",
            self._entries_path(flow_slug, entry_id),
            json={"data": {"type": "entry", "id": entry_id, **values}},
        )
        entry = Entry.parse(self._data(body), flow_slug)
        self._emit(Change("entry", "updated", entry.id, entry, flow_slug))
        return entry

    async def delete_entry(self, flow_slug: str, entry_id: str) -> None:
        await self.request("DELETE", self._entries_path(flow_slug, entry_id), expect=(204,))
        self._emit(Change("entry", "deleted", entry_id, None, flow_slug))

    async def set_relationship(
        self,
        flow_slug: str,
        entry_id: str,
        field_slug: str,
        items: Sequence[tuple[str, str]],
        *,
        append: bool = False,
    ) -> list[dict[str, str]]:
        """Replace (or append to) an entry's relationship with ``(type, id)`` items; an empty
        list clears it."""
        path = (
            f"{self._entries_path(flow_slug, entry_id)}/relationships/{quote(field_slug, safe='')}"
        )
        if not items and not append:
            await self.request("DELETE", path, expect=(204,))
            result: list[dict[str, str]] = []
        else:
            data = [{"type": t, "id": i} for t, i in items]
            body = await self.request(
                "POST" if append else "PUT", path, json={"data": data}, expect=(200, 201)
            )
            result = self._data(body) or []
        self._emit(Change("entry", "updated", entry_id, None, flow_slug))
        return result

    # -- customers --------------------------------------------------------------------------

    async def list_customers(
        self,
        *,
        filters: Iterable[tuple[str, str, str]] = (),
        sort: str | None = None,
        limit: int = PAGE_LIMIT,
        offset: int = 0,
    ) -> Page[Customer]:
        """One page of customers; ``filters`` are ``(op, attr, value)`` terms ANDed together."""
        params = {
            "page[limit]": limit,
            "page[offset]": offset,
            "sort": sort,
            "filter": build_filter(filters),
        }
        page = Page.parse(await self.request("GET", "/v2/customers", params=params), Customer.parse)
        for customer in page.items:
            self._saw_customer(customer)
        return page

    async def count_customers(self, filters: Iterable[tuple[str, str, str]] = ()) -> int:
        return (await self.list_customers(filters=filters, limit=1)).total

    async def get_customer(self, customer_id: str) -> Customer:
        body = await self.request("GET", f"/v2/customers/{quote(customer_id, safe='')}")
        customer = Customer.parse(self._data(body))
        self._saw_customer(customer)
        return customer

    async def create_customer(
        self,
        *,
        name: str,
        email: str,
        password: str | None = None,
        external_ref: str | None = None,
        custom: dict[str, Any] | None = None,
    ) -> Customer:
        """Create a customer (sent once: a POST is never retried after it may have arrived)."""
        data: dict[str, Any] = {"type": "customer", "name": name, "email": email}
        if password:
            data["password"] = password
        if external_ref is not None:
            data["external_ref"] = external_ref
        data.update(custom or {})
        body = await self.request("POST", "/v2/customers", json={"data": data}, expect=(201,))
        customer = Customer.parse(self._data(body))
        self._saw_customer(customer)
        self._emit(Change("customer", "created", customer.id, customer))
        return customer

    async def update_customer(self, customer_id: str, changes: dict[str, Any]) -> Customer:
        """Send only ``changes`` (see :func:`flowtui.api.models.customer_changes`)."""
        data = {"type": "customer", "id": customer_id, **changes}
        body = await self.request(
            "PUT", f"/v2/customers/{quote(customer_id, safe='')}", json={"data": data}
        )
        customer = Customer.parse(self._data(body))
        self._seen[customer.id] = customer.updated_at
        self._emit(Change("customer", "updated", customer.id, customer))
        return customer

    async def delete_customer(self, customer_id: str) -> None:
        await self.request("DELETE", f"/v2/customers/{quote(customer_id, safe='')}", expect=(204,))
        self._seen.pop(customer_id, None)
        self._emit(Change("customer", "deleted", customer_id))

    async def iter_customers(
        self, *, page_size: int = PAGE_LIMIT, concurrency: int = 4, windows: int | None = None
    ) -> AsyncIterator[Customer]:
        """Every customer, oldest first, paged by key (created_at, then id), never by offset,
        so it walks stores of any size.

        The time span is cut into windows walked by up to ``concurrency`` concurrent workers;
        each window's pages are buffered (at most two pages) and yielded in order, so memory
        stays bounded and the output is sorted. ``page_size`` is capped at the store's page
        limit (100): a short page is how a window's end is recognised.
        """
        page_size = max(1, min(page_size, PAGE_LIMIT))
        first = await self.list_customers(sort="created_at", limit=1)
        if not first.items:
            return
        last = await self.list_customers(sort="-created_at", limit=1)
        start, end = first.items[0].created_at, last.items[0].created_at
        bounds = _time_windows(start, end, windows or max(1, concurrency * 4))
        queues = [asyncio.Queue(maxsize=2) for _ in bounds]
        semaphore = asyncio.Semaphore(max(1, concurrency))
        done = object()

        async def walk(index: int) -> None:
            lo, hi = bounds[index]
            async with semaphore:
                try:
                    async for page in self._walk_window(lo, hi, page_size):
                        await queues[index].put(page)
                    await queues[index].put(done)
                except BaseException as exc:
                    await queues[index].put(exc)
                    raise

        tasks = [asyncio.create_task(walk(i)) for i in range(len(bounds))]
        try:
            for queue in queues:
                while True:
                    page = await queue.get()
                    if page is done:
                        break
                    if isinstance(page, BaseException):
                        raise page
                    for customer in page:
                        yield customer
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _walk_window(
        self, lo: str | None, hi: str | None, page_size: int
    ) -> AsyncIterator[list[Customer]]:
        """Pages of the customers with lo <= created_at < hi (None: unbounded), by key."""
        after: tuple[str, str] | None = None  # (created_at, id) of the last one yielded
        while True:
            terms: list[tuple[str, str, str]] = []
            if after is None:
                if lo is not None:
                    terms.append(("ge", "created_at", lo))
            else:
                terms.append(("ge", "created_at", after[0]))
            if hi is not None:
                terms.append(("lt", "created_at", hi))
            page = await self.list_customers(filters=terms, sort="created_at", limit=page_size)
            items = page.items
            if after is not None:
                # ge() repeats the ones at the boundary timestamp already yielded: skip them.
                items = [c for c in items if (c.created_at, c.id) > after]
                if not items and len(page.items) == page_size:
                    # A full page of one timestamp: drain that timestamp by id instead.
                    async for chunk in self._drain_tie(after, page_size):
                        yield chunk
                        after = (chunk[-1].created_at, chunk[-1].id)
                    terms = [("gt", "created_at", after[0])]
                    if hi is not None:
                        terms.append(("lt", "created_at", hi))
                    page = await self.list_customers(
                        filters=terms, sort="created_at", limit=page_size
                    )
                    items = page.items
            if items:
                yield items
                after = (items[-1].created_at, items[-1].id)
            if len(page.items) < page_size:
                return

    async def _drain_tie(
        self, after: tuple[str, str], page_size: int
    ) -> AsyncIterator[list[Customer]]:
        while True:
            terms = [("eq", "created_at", after[0]), ("gt", "id", after[1])]
            page = await self.list_customers(filters=terms, sort="id", limit=page_size)
            if page.items:
                yield page.items
                after = (page.items[-1].created_at, page.items[-1].id)
            if len(page.items) < page_size:
                return


def _parse_stamp(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def _format_stamp(value: dt.datetime) -> str:
    value = value.astimezone(dt.UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def _time_windows(start: str, end: str, count: int) -> list[tuple[str | None, str | None]]:
    """``count`` consecutive [lo, hi) windows covering everything (first and last open)."""
    try:
        lo, hi = _parse_stamp(start), _parse_stamp(end)
    except ValueError:
        return [(None, None)]
    span = (hi - lo) / count
    if count <= 1 or span < dt.timedelta(milliseconds=10):
        return [(None, None)]
    cuts = [_format_stamp(lo + span * i) for i in range(1, count)]
    edges: list[str | None] = [None, *cuts, None]
    return [(edges[i], edges[i + 1]) for i in range(count)]


def _maybe_done(method: str, sent: bool) -> str:
    """What a lost answer means for a request that is not repeated (a POST)."""
    if sent and method.upper() == "POST":
        return "; it may have been carried out, so check before trying again"
    return ""


def api_error_text(error: BaseException) -> str:
    """One line for any error a service call can raise (never contains a secret)."""
    if isinstance(error, ApiError):
        return error.summary
    return f"{type(error).__name__}: {error}"
