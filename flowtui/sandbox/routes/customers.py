"""``/v2/customers``: customers, whose custom attributes come from the core ``customers`` flow,
and ``/v2/customers/tokens``, where a customer logs in with email and password.

Customers answer errors as a real store does for them: 422 objects without ``status`` and a
409 (with a string status) for an email another customer has.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from flowtui.core import fields as F
from flowtui.sandbox import query as Q
from flowtui.sandbox.auth import authorize, check_password, hash_password, issue_customer_token
from flowtui.sandbox.errors import (
    ErrorObject,
    bad_request,
    customer_failed,
    duplicate_email,
    invalid,
    not_found,
    unauthorized,
)
from flowtui.sandbox.routes.base import Handlers
from flowtui.sandbox.serialisation import JSONResponse, customer_out, data_of
from flowtui.sandbox.store import CUSTOMER_SORT_COLUMNS, Row
from flowtui.sandbox.values import apply_values

MAX_EXTERNAL_REF = 2048

#: What may be filtered on customers, and with which operators.
CUSTOMER_FILTERS: dict[str, frozenset[str]] = {
    "email": frozenset({"eq", "like"}),
    "name": frozenset({"eq", "like"}),
    "id": frozenset({"eq", "gt", "ge", "lt", "le"}),
    "created_at": frozenset({"eq", "gt", "ge", "lt", "le"}),
    "updated_at": frozenset({"eq", "gt", "ge", "lt", "le"}),
    "external_ref": frozenset({"eq"}),
}


class CustomerHandlers(Handlers):
    def routes(self) -> list[Route]:
        # tokens before {customer_id}, which would match it too
        return [
            Route("/v2/customers", self.customers, methods=["GET", "POST"]),
            Route("/v2/customers/tokens", self.customer_token, methods=["POST"]),
            Route("/v2/customers/{customer_id}", self.customer, methods=["GET", "PUT", "DELETE"]),
        ]

    def customer_fields(self) -> list[Row]:
        """The fields of the core ``customers`` flow (none while it does not exist)."""
        return self.core_fields("customers")

    async def customers(self, request: Request) -> Response:
        authorize(self.store, request)
        fields = self.customer_fields()
        if request.method == "GET":
            params = self.params(request)
            try:
                limit, offset = Q.parse_page(params)
                terms = Q.parse_filter(params["filter"]) if params.get("filter") else []
                Q.check_terms(terms, CUSTOMER_FILTERS, "customers")
                sort = Q.parse_sort(
                    params.get("sort"), frozenset(CUSTOMER_SORT_COLUMNS), "-created_at"
                )
                rows, total = self.store.list_customers(terms, sort, limit, offset)
            except Q.QueryError as exc:
                raise bad_request(exc.detail, exc.parameter) from None
            base = self.base(request)
            keep = {k: v for k, v in params.items() if k in ("filter", "sort")}
            return JSONResponse(
                Q.page_body(
                    [customer_out(r, fields) for r in rows],
                    total=total,
                    limit=limit,
                    offset=offset,
                    url=f"{base}/v2/customers",
                    keep=keep,
                )
            )
        data = data_of(await self.body(request), "customer", customer=True)
        changes = await self._customer_changes(data, fields, None)
        row = self.store.create_customer(
            name=changes["name"],
            email=changes["email"],
            password_hash=changes.get("password_hash"),
            external_ref=changes.get("external_ref"),
            custom=changes["custom"],
        )
        return JSONResponse({"data": customer_out(row, fields)}, status_code=201)

    async def customer(self, request: Request) -> Response:
        customer_id = request.path_params["customer_id"]
        authorize(self.store, request, customer_id)
        row = self.store.get_customer(customer_id)
        if row is None:
            raise not_found("Customer", f"No customer with id {customer_id!r}")
        fields = self.customer_fields()
        if request.method == "GET":
            return JSONResponse({"data": customer_out(row, fields)})
        if request.method == "DELETE":
            self.store.delete_customer(customer_id)
            return Response(status_code=204)
        # A data.id is ignored: the URL's id wins (Elastic Path's import tooling sends the
        # source store's id when it re-runs).
        data = data_of(await self.body(request), "customer", customer=True)
        changes = await self._customer_changes(data, fields, row)
        row = self.store.update_customer(customer_id, changes)
        if row is None:  # deleted by another request while this one read its body
            raise not_found("Customer", f"No customer with id {customer_id!r}")
        return JSONResponse({"data": customer_out(row, fields)})

    async def _customer_changes(
        self, data: dict[str, Any], fields: list[Row], current: Row | None
    ) -> dict[str, Any]:
        """Validate a customer create (``current`` None) or update; 422 or 409 on failure."""
        errors: list[ErrorObject] = []
        changes: dict[str, Any] = {}
        for key in ("name", "email"):
            value = data.get(key)
            if key not in data or value is None or value == "":
                if current is None or key in data:
                    errors.append(
                        customer_failed(f"The data.{key} field is required.", f"data.{key}")
                    )
            elif not isinstance(value, str):
                errors.append(
                    customer_failed(f"The data.{key} field must be a string.", f"data.{key}")
                )
            elif key == "email" and not F.is_email(value):
                errors.append(
                    customer_failed(
                        "The data.email field must be a valid email address.", "data.email"
                    )
                )
            else:
                changes[key] = value
        if "external_ref" in data:
            ref = data["external_ref"]
            if ref is not None and not isinstance(ref, str):
                errors.append(
                    customer_failed(
                        "The data.external_ref field must be a string or null.", "data.external_ref"
                    )
                )
            elif ref is not None and len(ref) > MAX_EXTERNAL_REF:
                errors.append(
                    customer_failed(
                        "The data.external_ref field may be at most "
                        f"{MAX_EXTERNAL_REF} characters.",
                        "data.external_ref",
                    )
                )
            else:
                changes["external_ref"] = ref
        password = data.get("password")
        if "password" in data and password is not None and not isinstance(password, str):
            errors.append(
                customer_failed("The data.password field must be a string.", "data.password")
            )
        stored = {} if current is None else current["custom"]
        custom, custom_errors = apply_values(
            data,
            fields,
            stored,
            creating=current is None,
            make=customer_failed,
            limit=self.config.max_values_bytes,
        )
        errors += custom_errors
        if errors:
            raise invalid(errors)
        changes["custom"] = custom
        email = changes.get("email")
        if email and self.store.email_taken(email, None if current is None else current["id"]):
            raise duplicate_email(email)  # early, before hashing; the store checks again
        if "password" in data:
            changes["password_hash"] = (
                None
                if password is None
                else await run_in_threadpool(hash_password, password, self.config.password_cost)
            )
        return changes

    async def customer_token(self, request: Request) -> Response:
        authorize(self.store, request)
        data = data_of(await self.body(request), "token", customer=True)
        errors = []
        for key in ("email", "password"):
            if not isinstance(data.get(key), str) or not data[key]:
                errors.append(customer_failed(f"The data.{key} field is required.", f"data.{key}"))
        mechanism = data.get("authentication_mechanism", "password")
        if mechanism != "password":
            errors.append(
                customer_failed(
                    "The data.authentication_mechanism field must be 'password'.",
                    "data.authentication_mechanism",
                )
            )
        if errors:
            raise invalid(errors)
        row = self.store.get_customer_by_email(data["email"])
        if (
            row is None
            or row["password_hash"] is None
            or not (await run_in_threadpool(check_password, data["password"], row["password_hash"]))
        ):
            raise unauthorized("Invalid email or password")
        token = issue_customer_token(self.store, row, self.config.customer_token_ttl)
        return JSONResponse({"data": {"type": "token", **token}})
