"""A customer's addresses (``/v2/customers/{id}/addresses``): the calls :class:`ApiService`
inherits from :class:`AddressCalls` (no Textual).

Every successful write tells the service's listeners (``Change("address", ...)`` whose item
is an :class:`Address`, so a view knows whose address it was, deletes included) and is
journaled with the address's before and after values and its ``customer_id``, so
:mod:`flowtui.ops.undo` can put it back. Custom values of the ``addresses`` core flow travel
flat beside the base attributes, exactly as customers' do.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from flowtui.api.changes import Action, Change
from flowtui.api.errors import ErrorItem, ProtocolError
from flowtui.api.models import Address
from flowtui.api.recording import WriteRecorder, address_attrs, diff, start_write

#: The flow whose fields surface on every address.
ADDRESS_FLOW = "addresses"


def addresses_path(customer_id: str, address_id: str | None = None) -> str:
    """``/v2/customers/{customer_id}/addresses[/{address_id}]``, each id escaped whole."""
    path = f"/v2/customers/{quote(customer_id, safe='')}/addresses"
    return f"{path}/{quote(address_id, safe='')}" if address_id is not None else path


class AddressCalls:
    """The address calls of :class:`flowtui.api.service.ApiService` (a mixin: it uses the
    service's ``request``, ``_data``, ``_emit`` and journal)."""

    journal: WriteRecorder | None
    profile_name: str
    on_journal_error: Callable[[str], None] | None

    if TYPE_CHECKING:

        async def request(
            self,
            method: str,
            path: str,
            *,
            params: dict[str, Any] | None = None,
            json: Any = None,
            expect: Sequence[int] = (200,),
        ) -> Any: ...

        @staticmethod
        def _data(body: Any) -> Any: ...

        def _emit(self, change: Change) -> None: ...

    async def list_addresses(self, customer_id: str) -> list[Address]:
        """All of the customer's addresses, oldest first (a store keeps at most 25)."""
        data = self._data(await self.request("GET", addresses_path(customer_id)))
        if not isinstance(data, list):
            raise ProtocolError(
                [ErrorItem("The store sent a malformed list of addresses: its data is not a list")]
            )
        return [Address.parse(d, customer_id) for d in data]

    async def get_address(self, customer_id: str, address_id: str) -> Address:
        body = await self.request("GET", addresses_path(customer_id, address_id))
        return Address.parse(self._data(body), customer_id)

    async def create_address(self, customer_id: str, values: dict[str, Any]) -> Address:
        """Create an address for the customer from ``values`` (base attributes and custom
        values by slug). Sent once: a POST is never retried after it may have arrived. The
        spec documents 200; a store answering 201 is taken at its word too."""
        body = await self.request(
            "POST",
            addresses_path(customer_id),
            json={"data": {"type": "address", **values}},
            expect=(200, 201),
        )
        address = Address.parse(self._data(body), customer_id)
        self._emit(Change("address", "created", address.id, address))
        await self._journal_address(
            "created", customer_id, address.id, None, address_attrs(address)
        )
        return address

    async def find_lost_address(
        self, customer_id: str, values: dict[str, Any], known: Collection[str]
    ) -> Address | None:
        """After a create whose answer was lost (a broken connection, a server error): the
        customer's address, not among the ``known`` ids, that holds exactly ``values``, i.e.
        the create that did happen, or None. Found, it is told and journaled as created, as
        if its answer had arrived, so nobody creates it twice and undo knows it. One GET; its
        failure is raised."""
        for address in await self.list_addresses(customer_id):
            if address.id in known:
                continue
            if all(address.value(k) == v for k, v in values.items()):
                self._emit(Change("address", "created", address.id, address))
                await self._journal_address(
                    "created", customer_id, address.id, None, address_attrs(address)
                )
                return address
        return None

    async def update_address(
        self,
        customer_id: str,
        address_id: str,
        changes: dict[str, Any],
        *,
        before: Address | None = None,
    ) -> Address:
        """Send only ``changes``. With a journal, the address is read first (one GET) unless
        ``before``, the address as it is now, is given (the editor has just read it for its
        conflict check)."""
        if self.journal is not None and before is None:
            before = await self.get_address(customer_id, address_id)
        data = {"type": "address", "id": address_id, **changes}
        body = await self.request(
            "PUT", addresses_path(customer_id, address_id), json={"data": data}
        )
        address = Address.parse(self._data(body), customer_id)
        self._emit(Change("address", "updated", address.id, address))
        if before is not None:
            b, a = diff(changes, before.value, address.value)
            await self._journal_address("updated", customer_id, address.id, b, a)
        return address

    async def delete_address(
        self, customer_id: str, address_id: str, *, before: Address | None = None
    ) -> None:
        """Delete an address; with a journal it is read first (one GET) unless ``before`` is
        given, so the journal holds what was deleted. The change's item is ``before`` (or an
        address with only its id and customer id)."""
        if self.journal is not None and before is None:
            before = await self.get_address(customer_id, address_id)
        await self.request("DELETE", addresses_path(customer_id, address_id), expect=(204,))
        gone = before if before is not None else Address(address_id, customer_id)
        self._emit(Change("address", "deleted", address_id, gone))
        if before is not None:
            await self._journal_address(
                "deleted", customer_id, address_id, address_attrs(before), None
            )

    async def _journal_address(
        self,
        action: Action,
        customer_id: str,
        address_id: str,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
    ) -> None:
        """Append the record of an address write that succeeded (see ``start_write``)."""
        if self.journal is None:
            return
        await start_write(
            self.journal,
            profile=self.profile_name,
            resource="address",
            action=action,
            id=address_id,
            before=before,
            after=after,
            customer_id=customer_id,
            on_error=self.on_journal_error,
        )
