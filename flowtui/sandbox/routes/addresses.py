"""``/v2/customers/{customer_id}/addresses``: a customer's addresses, whose custom attributes
come from the core ``addresses`` flow exactly as customers' come from ``customers``.

As the contract and Elastic Path's addresses spec fix them: create answers 200 (not 201); a
missing or wrongly typed base attribute answers 400 (one error per attribute, ``source`` naming
it, ``"status": "400"`` as the spec's example has it); custom values are checked as customers'
are (422 without ``status``); the 26th address answers 422; an address of another customer is
404. A shopper (implicit token with their own ``X-Moltin-Customer-Token``) may do everything
to their own addresses.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from flowtui.sandbox.addresses import ADDRESS_ATTRS, MAX_ADDRESSES, REQUIRED_ATTRS, QuotaExceeded
from flowtui.sandbox.auth import SHOPPER_ADDRESS_METHODS, authorize
from flowtui.sandbox.errors import (
    ErrorObject,
    SandboxError,
    address_bad,
    customer_failed,
    invalid,
    not_found,
)
from flowtui.sandbox.routes.base import Handlers
from flowtui.sandbox.serialisation import JSONResponse, address_out, data_of
from flowtui.sandbox.store import Row
from flowtui.sandbox.values import apply_values


def base_changes(data: dict[str, Any], creating: bool) -> tuple[dict[str, str], list[ErrorObject]]:
    """The base attributes ``data`` sets, and one 400 error object per bad one.

    A required attribute must be a non-empty string (on create it must be present); an
    optional one a string, or null or "" to clear it. Unknown keys are left to the caller.
    """
    out: dict[str, str] = {}
    errors: list[ErrorObject] = []
    for attr in ADDRESS_ATTRS:
        source = f"data.{attr}"
        if attr not in data:
            if creating and attr in REQUIRED_ATTRS:
                errors.append(address_bad(f"The data.{attr} field is required.", source))
            continue
        value = data[attr]
        if value is None or value == "":
            if attr in REQUIRED_ATTRS:
                errors.append(address_bad(f"The data.{attr} field is required.", source))
            else:
                out[attr] = ""
        elif not isinstance(value, str):
            errors.append(address_bad(f"The data.{attr} field must be a string.", source))
        else:
            out[attr] = value
    return out, errors


class AddressHandlers(Handlers):
    def routes(self) -> list[Route]:
        return [
            Route("/v2/customers/{customer_id}/addresses", self.addresses, methods=["GET", "POST"]),
            Route(
                "/v2/customers/{customer_id}/addresses/{address_id}",
                self.address,
                methods=["GET", "PUT", "DELETE"],
            ),
        ]

    def _customer(self, request: Request) -> str:
        """The URL's customer id, once the caller may use it and the customer exists."""
        customer_id: str = request.path_params["customer_id"]
        authorize(self.store, request, customer_id, SHOPPER_ADDRESS_METHODS)
        if self.store.get_customer(customer_id) is None:
            raise _no_customer(customer_id)
        return customer_id

    async def addresses(self, request: Request) -> Response:
        customer_id = self._customer(request)
        fields = self.core_fields("addresses")
        base = self.base(request)
        if request.method == "GET":
            rows = self.store.addresses.list(customer_id)
            return JSONResponse({"data": [address_out(r, fields, base) for r in rows]})
        data = data_of(await self.body(request), "address", customer=True)
        attrs, custom = self._changes(data, fields, None)
        try:
            row = self.store.addresses.create(customer_id, attrs, custom)
        except QuotaExceeded:
            detail = f"A customer can have at most {MAX_ADDRESSES} addresses."
            raise invalid([customer_failed(detail, "data")]) from None
        if row is None:  # the customer was deleted while this request read its body
            raise _no_customer(customer_id)
        # 200, not 201: Elastic Path's spec documents only 200 for this create.
        return JSONResponse({"data": address_out(row, fields, base)})

    async def address(self, request: Request) -> Response:
        customer_id = self._customer(request)
        address_id: str = request.path_params["address_id"]
        row = self.store.addresses.get(customer_id, address_id)
        if row is None:
            raise _no_address(customer_id, address_id)
        fields = self.core_fields("addresses")
        if request.method == "GET":
            return JSONResponse({"data": address_out(row, fields, self.base(request))})
        if request.method == "DELETE":
            self.store.addresses.delete(customer_id, address_id)
            return Response(status_code=204)
        # A data.id is ignored: the URL's id wins, as for every other resource.
        data = data_of(await self.body(request), "address", customer=True)
        attrs, custom = self._changes(data, fields, row)
        updated = self.store.addresses.update(customer_id, address_id, attrs, custom)
        if updated is None:  # deleted by another request while this one read its body
            raise _no_address(customer_id, address_id)
        return JSONResponse({"data": address_out(updated, fields, self.base(request))})

    def _changes(
        self, data: dict[str, Any], fields: list[Row], current: Row | None
    ) -> tuple[dict[str, str], dict[str, Any]]:
        """Validate a create (``current`` None) or partial update: 400 for base attributes,
        then 422 for custom values (checked as customers' are)."""
        attrs, errors = base_changes(data, creating=current is None)
        if errors:
            raise SandboxError(400, errors)
        custom, custom_errors = apply_values(
            data,
            fields,
            {} if current is None else current["custom"],
            creating=current is None,
            make=customer_failed,
            limit=self.config.max_values_bytes,
        )
        if custom_errors:
            raise invalid(custom_errors)
        return attrs, custom


def _no_customer(customer_id: str) -> SandboxError:
    return not_found("Customer", f"No customer with id {customer_id!r}")


def _no_address(customer_id: str, address_id: str) -> SandboxError:
    return not_found("Address", f"No address with id {address_id!r} for customer {customer_id!r}")
