"""What every resource's handlers share: the store, the configuration, the fault counts, and
small helpers to read a request's body and query."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from starlette.requests import Request
from starlette.routing import Route

from flowtui.sandbox import query as Q
from flowtui.sandbox.config import SandboxConfig
from flowtui.sandbox.errors import bad_request, customer_failed, failed, invalid, not_found
from flowtui.sandbox.faults import FaultCounts
from flowtui.sandbox.serialisation import long_string, read_json
from flowtui.sandbox.store import Row, Store


class Handlers(ABC):
    """Route handlers bound to one store and configuration; subclasses add one resource's."""

    def __init__(self, store: Store, config: SandboxConfig, counts: FaultCounts) -> None:
        self.store = store
        self.config = config
        self.counts = counts

    @abstractmethod
    def routes(self) -> list[Route]:
        """This resource's routes, in the order the router should try them."""

    @staticmethod
    def base(request: Request) -> str:
        """The URL the client called, without a trailing slash (for ``links``)."""
        return str(request.base_url).rstrip("/")

    async def body(self, request: Request) -> Any:
        """The JSON body (``None`` when empty); 400 when not JSON, 413 when too large, 422
        when a string in it is longer than ``max_string_chars``."""
        body = await read_json(request, self.config.max_body_bytes)
        limit = self.config.max_string_chars
        where = long_string(body, limit)
        if where is not None:
            make = customer_failed if request.url.path.startswith("/v2/customers") else failed
            detail = f"The {where} value is too long: strings may have at most {limit} characters."
            raise invalid([make(detail, where)])
        return body

    def params(self, request: Request) -> dict[str, str]:
        """The query parameters; 400 when the query string cannot be parsed."""
        try:
            return Q.parse_query_string(request.scope.get("query_string", b""))
        except Q.QueryError as exc:
            raise bad_request(exc.detail) from None

    def core_fields(self, slug: str) -> list[Row]:
        """The fields of the core flow ``slug`` (``customers``, ``addresses``); none while it
        does not exist."""
        flow = self.store.get_flow_by_slug(slug)
        return self.store.list_fields(flow["id"]) if flow else []

    def flow_by_slug(self, slug: str) -> Row:
        """The flow with this slug; 404 when there is none."""
        flow = self.store.get_flow_by_slug(slug)
        if flow is None:
            raise not_found("Flow", f"No flow with slug {slug!r}")
        return flow
