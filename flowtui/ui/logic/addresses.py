"""Pure helpers of the address views and editor (no Textual): the labels of the base
attributes, what a form sends, the conflict rows, the line that names an address."""

from __future__ import annotations

from typing import Any

from flowtui.api.models import ADDRESS_ATTRS, Address
from flowtui.core import countries as C
from flowtui.ui.logic.browse import ConflictRow

#: The label of each base attribute in the editor, the conflict screen and the list.
ADDRESS_LABELS: dict[str, str] = {
    "name": "Label",
    "first_name": "First name",
    "last_name": "Last name",
    "company_name": "Company",
    "line_1": "Line 1",
    "line_2": "Line 2",
    "city": "City",
    "county": "County",
    "region": "Region",
    "postcode": "Postcode",
    "country": "Country",
    "phone_number": "Phone",
    "instructions": "Instructions",
}
#: Required when an address is created (the contract's [choice], after older Moltin docs).
ADDRESS_REQUIRED: frozenset[str] = frozenset(
    {"first_name", "last_name", "line_1", "postcode", "country"}
)
#: What the base attributes' inputs explain under them.
ADDRESS_HINTS: dict[str, str] = {
    "name": "what the customer calls it, e.g. Home or Office",
    "country": "ISO 3166 code: type a code or a name, pick from the list",
}
#: A store keeps at most this many addresses per customer (a documented quota).
ADDRESS_QUOTA = 25


def outgoing(values: dict[str, Any]) -> dict[str, Any]:
    """What a form's values send: an emptied base attribute is ``""`` (the store's base
    attributes are strings; a custom value emptied is ``null``)."""
    return {
        key: ("" if value is None and key in ADDRESS_ATTRS else value)
        for key, value in values.items()
    }


def creation(values: dict[str, Any]) -> dict[str, Any]:
    """What creating an address sends: only the values given (nothing for an empty input)."""
    return {key: value for key, value in values.items() if value is not None}


def held(address: Address, changes: dict[str, Any]) -> bool:
    """Whether ``address`` already holds every change (an earlier Save whose answer was
    lost reached the store)."""
    return all(address.value(key) == value for key, value in changes.items())


def title(address: Address) -> str:
    """How a confirmation names the address: its summary line (plain, made safe by the
    caller)."""
    return address.summary()


def country_text(code: str) -> str:
    """``"DE"`` -> ``"DE Germany"``; an unknown value as it is."""
    name = C.country_name(code) if code else None
    return f"{code} {name}" if name else code


def conflict_rows(
    original: Address, theirs: Address, mine: dict[str, Any], labels: dict[str, str]
) -> list[ConflictRow]:
    """Each attribute changed by you (``mine``) or by them since the form opened: the value
    then, theirs now and yours (base attributes first, then custom values by key)."""
    keys = [*ADDRESS_ATTRS, *sorted(set(original.custom) | set(theirs.custom) | set(mine))]
    rows: list[ConflictRow] = []
    for key in dict.fromkeys(keys):
        before, now = original.value(key), theirs.value(key)
        they = before != now
        you = key in mine
        if they or you:
            who = "both" if they and you else ("you" if you else "they")
            label = labels.get(key) or ADDRESS_LABELS.get(key, key)
            rows.append(ConflictRow(key, label, before, now, mine.get(key, before), who))
    return rows
