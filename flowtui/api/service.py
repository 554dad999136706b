"""The API service every screen shares: one ``httpx.AsyncClient`` per profile, typed models in,
typed models or typed errors out, and change notifications after every successful write.

No Textual here. Screens call these coroutines from workers; listeners registered with
:meth:`ApiService.subscribe` learn what changed so any open view can refresh itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import importlib.util
import sys
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import quote

import httpx

from flowtui import __version__

if importlib.util.find_spec("sniffio") is None:
    # httpcore tries `import sniffio` for every lock it creates; without sniffio each failed
    # import searches sys.path again (about 2,000 searches per 50,000 exported customers,
    # 8 % of an export's time). Recording it as absent makes the attempt fail at once;
    # httpcore then assumes asyncio, which is what flowtui runs on.
    sys.modules.setdefault("sniffio", None)  # type: ignore[arg-type]
from flowtui.api.addresses import AddressCalls
from flowtui.api.aiostream import http_transport
from flowtui.api.auth import EpccAuth, TokenCache
from flowtui.api.changes import Change, Listener, Listeners
from flowtui.api.definitions import Definitions, value_only
from flowtui.api.errors import (
    ApiError,
    ErrorItem,
    NotAllowedError,
    NotFoundError,
    ProtocolError,
    error_from_response,
)
from flowtui.api.models import Customer, Entry, Field, Flow, Page
from flowtui.api.paging import PAGE_LIMIT, CustomerWalks
from flowtui.api.params import encode_query, list_params
from flowtui.api.recording import (
    WriteRecorder,
    customer_attrs,
    diff,
    entry_attrs,
    field_attrs,
    flow_attrs,
    relationship_items,
    start_write,
    undoing,
)
from flowtui.api.transport import (
    MAYBE_DONE,
    PacedRetryTransport,
    RetryNotice,
    RetryPolicy,
    network_error,
    tls_context,
)
from flowtui.api.wire import NoCookies, root, spent, whole

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)


class ApiService(AddressCalls, CustomerWalks):
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
        journal: WriteRecorder | None = None,
        profile_name: str = "",
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.read_only = read_only
        #: Every successful write is appended here (see :mod:`flowtui.api.recording`; the
        #: real journal is :class:`flowtui.ops.journal.Journal`). With a
        #: journal, an update or delete whose caller does not pass ``before=`` costs one GET
        #: first, to record what the attributes were.
        self.journal = journal
        self.profile_name = profile_name
        #: Called with one sentence when a write succeeded but could not be journaled.
        self.on_journal_error: Callable[[str], None] | None = None
        #: Why requests cannot be made at all (an unusable ca_bundle), raised by each one.
        self._setup_error: ApiError | None = None
        if transport is None:
            if self.base_url.startswith("http://"):
                # Plain http (the sandbox) needs no certificates: loading the CA bundle would
                # cost ~30 ms of start-up for nothing. https always verifies as configured.
                transport = http_transport(verify=False)
            else:
                try:
                    transport = http_transport(verify=tls_context(verify))
                except ApiError as exc:
                    self._setup_error = exc
                    transport = http_transport()
        inner = transport
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
            cookies=NoCookies(),
        )
        self._root = root(self.client)  # requests go out as whole URLs (see api/wire.py)
        self._listeners = Listeners()
        self.definitions = Definitions(self.list_fields, self._emit)  # fields kept
        self._listeners.subscribe(self.definitions.apply)
        self._seen: OrderedDict[str, str] = OrderedDict()  # customer id -> updated_at
        #: Journal records handed over and not yet written (see :meth:`_journal`).
        self._unwritten: set[asyncio.Future[None]] = set()
        #: Whether the last answer came from a flowtui sandbox (``X-Flowtui-Sandbox``).
        self.is_sandbox: bool | None = None

    def __repr__(self) -> str:
        return f"ApiService({self.base_url!r}, read_only={self.read_only})"

    async def aclose(self) -> None:
        if self._unwritten:  # records of writes made: on disk before the session ends
            await asyncio.wait(set(self._unwritten))
        await self.definitions.aclose()
        await self.client.aclose()

    async def __aenter__(self) -> ApiService:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    # -- change notifications ----------------------------------------------------------------

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` with every :class:`Change`; returns a function that unsubscribes."""
        return self._listeners.subscribe(listener)

    @property
    def on_listener_error(self) -> Callable[[BaseException], None] | None:
        """Called with what a listener raised (the app points it at its error funnel); when
        None, it is logged at ERROR with its traceback on the ``flowtui.api`` logger. Either
        way every other listener still gets the change."""
        return self._listeners.on_error

    @on_listener_error.setter
    def on_listener_error(self, hook: Callable[[BaseException], None] | None) -> None:
        self._listeners.on_error = hook

    def _emit(self, change: Change) -> None:
        self._listeners.emit(change)

    # -- the journal ----------------------------------------------------------------------------

    def undoing(self, seq: int) -> contextlib.AbstractContextManager[None]:
        """Within this block (this task only), writes are journaled as undoing ``seq``."""
        return undoing(seq)

    def _journal(
        self,
        resource: str,
        action: str,
        id: str,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
        flow_slug: str | None = None,
        unrecorded: list[str] | None = None,
    ) -> Awaitable[None]:
        """Hand the record of a write that succeeded to the journal's thread at once
        (:func:`~flowtui.api.recording.start_write`: a failure goes to ``on_journal_error``,
        not to the write); awaiting the result waits until it is written."""
        if self.journal is None:
            return asyncio.sleep(0)
        written = start_write(
            self.journal,
            profile=self.profile_name,
            resource=resource,
            action=action,
            id=id,
            before=before,
            after=after,
            flow_slug=flow_slug,
            unrecorded=unrecorded,
            on_error=self.on_journal_error,
        )
        self._unwritten.add(written)
        written.add_done_callback(self._unwritten.discard)
        return written

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
        url = whole(self._root, path, encode_query(params) if params else "")
        if self._setup_error is not None:
            raise self._setup_error
        try:
            response = spent(await self.client.request(method, url, json=json))
        except httpx.HTTPError as exc:
            raise network_error(exc, self.base_url, method, path) from None
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

    @classmethod
    def _list(cls, body: Any, what: str) -> list[Any]:
        """The ``data`` list of a list answer (a malformed one is a :class:`ProtocolError`)."""
        data = cls._data(body)
        if not isinstance(data, list):
            raise ProtocolError(
                [ErrorItem(f"The store sent a malformed list of {what}: its data is not a list")]
            )
        return data

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
        return [Flow.parse(d) for d in self._list(await self.request("GET", "/v2/flows"), "flows")]

    async def get_flow(self, flow_id: str) -> Flow:
        return Flow.parse(self._data(await self.request("GET", f"/v2/flows/{quote(flow_id)}")))

    async def create_flow(
        self, name: str, slug: str, description: str = "", enabled: bool = True
    ) -> Flow:
        body: dict[str, Any] = {"type": "flow", "name": name, "slug": slug}
        body["description"], body["enabled"] = description, enabled
        flow = Flow.parse(
            self._data(await self.request("POST", "/v2/flows", json={"data": body}, expect=(201,)))
        )
        self._emit(Change("flow", "created", flow.id, flow, flow.slug))
        await self._journal("flow", "created", flow.id, None, flow_attrs(flow), flow.slug)
        return flow

    async def update_flow(
        self, flow_id: str, *, before: Flow | None = None, **changes: Any
    ) -> Flow:
        """Partial update: pass only what changes (name, slug, description, enabled).
        ``before`` (the flow as it is now) saves a GET when journaling."""
        if self.journal is not None and before is None:
            before = await self.get_flow(flow_id)
        flow = await self._put_flow(flow_id, changes)
        if before is not None:
            old = flow_attrs(before)
            new = flow_attrs(flow)
            b, a = diff(changes, old.get, new.get)
            await self._journal("flow", "updated", flow.id, b, a, flow.slug)
        return flow

    async def _put_flow(self, flow_id: str, changes: dict[str, Any]) -> Flow:
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
        original = flow
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
            flow = await self._put_flow(flow.id, {"slug": f"{flow.slug}-deleted-{stamp}"})
        await self.request("DELETE", f"/v2/flows/{quote(flow.id)}", expect=(204,))
        self._emit(Change("flow", "deleted", flow.id, None, slug))
        await self._journal("flow", "deleted", flow.id, flow_attrs(original), None, slug)

    # -- fields -----------------------------------------------------------------------------

    async def list_fields(self, flow_slug: str | None = None) -> list[Field]:
        """Fields of one flow (by slug, in ``order``), or of every flow."""
        path = f"/v2/flows/{quote(flow_slug, safe='')}/fields" if flow_slug else "/v2/fields"
        fields = [Field.parse(d) for d in self._list(await self.request("GET", path), "fields")]
        self.definitions.saw(flow_slug, fields)
        return fields

    async def value_fields(self, flow_slug: str = "customers") -> list[Field]:
        """The enabled, non-relationship fields of a flow (those a record shows as values),
        in order; none when the flow does not exist (the store answers 404)."""
        try:
            fields = await self.list_fields(flow_slug)
        except NotFoundError:
            fields = []
            self.definitions.saw(flow_slug, fields)
        return value_only(fields)

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
        await self._journal("field", "created", field.id, None, field_attrs(field), flow.slug)
        return field

    async def update_field(
        self,
        field_id: str,
        *,
        flow_slug: str | None = None,
        before: Field | None = None,
        **changes: Any,
    ) -> Field:
        """Partial update (name, slug, description, required, default, enabled, order,
        omit_null, validation_rules); the field type cannot change. ``before`` (the field as
        it is now) saves a GET when journaling."""
        if self.journal is not None and before is None:
            before = await self.get_field(field_id)
        field = await self._put_field(field_id, flow_slug, changes)
        if before is not None:
            old, new = field_attrs(before), field_attrs(field)
            b, a = diff(changes, old.get, new.get)
            await self._journal("field", "updated", field.id, b, a, flow_slug)
        return field

    async def _put_field(
        self, field_id: str, flow_slug: str | None, changes: dict[str, Any]
    ) -> Field:
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
        await self._journal("field", "deleted", field.id, field_attrs(field), None, flow_slug)

    async def reorder_fields(
        self, ordered: Sequence[Field], flow_slug: str | None = None
    ) -> list[Field]:
        """Write ``order`` = 1..n following ``ordered``, sending only the changed ones."""
        orders = {f.id: position for position, f in enumerate(ordered, start=1)}
        return await self.set_field_orders(orders, flow_slug, ordered) if orders else []

    async def set_field_orders(
        self,
        orders: Mapping[str, int | None],
        flow_slug: str | None = None,
        current: Sequence[Field] = (),
    ) -> list[Field]:
        """Give each field id its ``order`` (only those that differ from ``current`` are
        sent); journaled as one "reordered" record. Returns the fields of ``current`` (or
        the written ones) as they are now."""
        now = {f.id: f for f in current}
        before: dict[str, Any] = {}
        after: dict[str, Any] = {}
        for field_id, position in orders.items():
            old = now.get(field_id)
            if old is not None and old.order == position:
                continue
            if old is None:
                old = await self.get_field(field_id)
            now[field_id] = await self._put_field(field_id, flow_slug, {"order": position})
            before[field_id], after[field_id] = old.order, position
        if after:
            await self._journal("field", "reordered", flow_slug or "", before, after, flow_slug)
        return [now[f.id] for f in current] if current else list(now.values())

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
        await self._journal("entry", "created", entry.id, None, dict(entry.values), flow_slug)
        return entry

    async def update_entry(
        self,
        flow_slug: str,
        entry_id: str,
        values: dict[str, Any],
        *,
        before: Entry | None = None,
    ) -> Entry:
        """Send ``values``; ``before`` (the entry as it is now) saves a GET when journaling."""
        if self.journal is not None and before is None:
            before = await self.get_entry(flow_slug, entry_id)
        body = await self.request(
            "PUT",
            self._entries_path(flow_slug, entry_id),
            json={"data": {"type": "entry", "id": entry_id, **values}},
        )
        entry = Entry.parse(self._data(body), flow_slug)
        self._emit(Change("entry", "updated", entry.id, entry, flow_slug))
        if before is not None:
            old, new = before.values, entry.values
            b, a = diff(values, old.get, new.get)
            await self._journal("entry", "updated", entry.id, b, a, flow_slug)
        return entry

    async def delete_entry(
        self, flow_slug: str, entry_id: str, *, before: Entry | None = None
    ) -> None:
        """Delete an entry; ``before`` (the entry as it is now) saves a GET when journaling."""
        if self.journal is not None and before is None:
            before = await self.get_entry(flow_slug, entry_id)
        await self.request("DELETE", self._entries_path(flow_slug, entry_id), expect=(204,))
        self._emit(Change("entry", "deleted", entry_id, None, flow_slug))
        if before is not None:
            await self._journal("entry", "deleted", entry_id, entry_attrs(before), None, flow_slug)

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
        old: list[dict[str, str]] | None = None
        if self.journal is not None:
            entry = await self.get_entry(flow_slug, entry_id)
            old = relationship_items(entry.relationships.get(field_slug))
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
        if old is not None:
            key = f"relationships.{field_slug}"
            new = relationship_items(result)
            await self._journal("entry", "updated", entry_id, {key: old}, {key: new}, flow_slug)
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
        params = list_params(filters, sort, limit, offset)
        page = Page.parse(await self.request("GET", "/v2/customers", params=params), Customer.parse)
        for customer in page.items:
            self._saw_customer(customer)
        return page

    async def count_customers(self, filters: Iterable[tuple[str, str, str]] = ()) -> int:
        return (await self.list_customers(filters=filters, limit=1)).total

    async def customer_by_email(self, email: str) -> Customer | None:
        """The customer with ``email`` (the store compares emails without case), or None."""
        page = await self.list_customers(filters=[("eq", "email", email)], limit=1)
        return page.items[0] if page.items else None

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
        await self._journal(
            "customer",
            "created",
            customer.id,
            None,
            customer_attrs(customer),
            unrecorded=["password"] if password else None,
        )
        return customer

    async def update_customer(
        self,
        customer_id: str,
        changes: dict[str, Any],
        *,
        before: Customer | None = None,
        wait_for_journal: bool = True,
    ) -> Customer:
        """Send only ``changes`` (the attributes the editor's form diff found changed).

        With a journal, the record is read first (one GET) unless ``before``, the customer as
        it is now, is given (the editor has just read it for its conflict check). The record
        is handed to the journal's thread before anyone hears of the change;
        ``wait_for_journal=False`` returns without waiting for it to be on disk."""
        if self.journal is not None and before is None:
            before = await self.get_customer(customer_id)
        data = {"type": "customer", "id": customer_id, **changes}
        body = await self.request(
            "PUT", f"/v2/customers/{quote(customer_id, safe='')}", json={"data": data}
        )
        customer = Customer.parse(self._data(body))
        self._seen[customer.id] = customer.updated_at
        written = None
        if before is not None and self.journal is not None:
            keys = [k for k in changes if k != "password"]
            b, a = diff(keys, before.value, customer.value)
            hidden = ["password"] if "password" in changes else None
            written = self._journal("customer", "updated", customer.id, b, a, unrecorded=hidden)
        self._emit(Change("customer", "updated", customer.id, customer))
        if written is not None and wait_for_journal:
            await written
        return customer

    async def delete_customer(self, customer_id: str, *, before: Customer | None = None) -> None:
        """Delete a customer; with a journal it is read first (one GET) unless ``before``
        is given, so the journal holds what was deleted."""
        if self.journal is not None and before is None:
            before = await self.get_customer(customer_id)
        await self.request("DELETE", f"/v2/customers/{quote(customer_id, safe='')}", expect=(204,))
        self._seen.pop(customer_id, None)
        self._emit(Change("customer", "deleted", customer_id))
        if before is not None:
            hidden = ["password"] if before.has_password else None
            await self._journal(
                "customer", "deleted", customer_id, customer_attrs(before), None, unrecorded=hidden
            )
