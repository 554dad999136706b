"""Typed models of EPCC resources, parsed once at the edge of the API service.

Parsing is strict about structure (a missing ``id`` is a :class:`ProtocolError`) and lenient
about extras (unknown keys are kept where they carry data, such as a customer's custom
values). Text from the server is kept exactly as sent: the screens neutralise it for display.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from flowtui.api.errors import ErrorItem, ProtocolError
from flowtui.core.fields import ADDRESS_ATTRS, core_resource

T = TypeVar("T")

#: Customer keys that are not custom (flow) values.
CUSTOMER_BASE_KEYS = frozenset(
    {
        "id",
        "type",
        "name",
        "email",
        "password",
        "external_ref",
        "authentication_mechanism",
        "meta",
        "links",
        "relationships",
    }
)


def _bad(what: str, detail: str) -> ProtocolError:
    """A malformed answer: the title names the resource, the detail (what the user reads)
    says what is wrong with it in one sentence of its own."""
    return ProtocolError(
        [
            ErrorItem(
                f"Unexpected {what} from the store", f"The store sent a malformed {what}: {detail}"
            )
        ]
    )


def _json_type(value: Any) -> str:
    """The JSON name of ``value``'s type, for messages: "an object", "a string", "null"..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number" if math.isfinite(value) else "not a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, dict):
        return "an object"
    return "an array" if isinstance(value, list) else f"a {type(value).__name__}"


def _scalar(value: Any) -> bool:
    """A string, a number or a boolean (a finite number: NaN and infinity are no value)."""
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, str | int)


def _rules(data: dict[str, Any], name: str) -> tuple[dict[str, Any], ...]:
    """A field's ``validation_rules``, checked where the rest of flowtui relies on their shape.

    Entries that are not objects are dropped (nothing reads them). A rule flowtui knows
    (enum, between, one-to-one, one-to-many) whose options have the wrong shape is refused
    with a :class:`ProtocolError` naming the field and the rule: dropping it would let a save
    of the field delete the store's rule, and keeping it would hand the editor an option it
    cannot show (an enum option that is an object once crashed it)."""
    rules = data.get("validation_rules")
    if not isinstance(rules, list):
        return ()
    kept: list[dict[str, Any]] = []
    for i, rule in enumerate(rules):
        if not isinstance(rule, dict):
            continue
        where = f"the field {name}: validation_rules[{i}]"
        kind = rule.get("type")
        if not isinstance(kind, str):
            raise _bad("field", f"{where} has a type that is {_json_type(kind)}, not a name")
        options = rule.get("options")
        if kind == "enum":
            if not isinstance(options, list):
                raise _bad("field", f"{where} (enum) has options that are {_json_type(options)}")
            for j, option in enumerate(options):
                if not _scalar(option):
                    raise _bad("field", f"{where} (enum) option {j + 1} is {_json_type(option)}")
        elif kind == "between":
            if not isinstance(options, dict):
                raise _bad("field", f"{where} (between) has options that are {_json_type(options)}")
            for end in ("from", "to"):
                if end in options and not _scalar(options[end]):
                    raise _bad(
                        "field",
                        f"{where} (between) has a {end!r} that is {_json_type(options[end])}",
                    )
        elif kind in ("one-to-one", "one-to-many") and not isinstance(rule.get("to"), str):
            raise _bad("field", f"{where} ({kind}) has a 'to' that is {_json_type(rule.get('to'))}")
        kept.append(rule)
    return tuple(kept)


def _obj(data: Any, what: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise _bad(what, f"expected an object, got {type(data).__name__}")
    if not isinstance(data.get("id"), str):
        raise _bad(what, "it has no id")
    return data


def _str(data: dict, key: str, default: str = "") -> str:
    value = data.get(key, default)
    return value if isinstance(value, str) else ("" if value is None else str(value))


#: ``data[key]`` as the models read text: a string as it is, null or absent as "", anything
#: else as ``str()`` of it (for code that reads a store's JSON the way the models do).
text = _str


def _object(value: Any) -> dict[str, Any]:
    """``value`` when it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}


def _stamps(data: dict[str, Any]) -> tuple[str, str]:
    stamps = _object(_object(data.get("meta")).get("timestamps"))
    return _str(stamps, "created_at"), _str(stamps, "updated_at")


def _order(value: Any) -> int | None:
    """A field's ``order``: an integer (or an integral float), else None (never raises)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


@dataclass(frozen=True, slots=True)
class Flow:
    id: str
    name: str
    slug: str
    description: str
    enabled: bool
    created_at: str = ""
    updated_at: str = ""

    @property
    def resource(self) -> str | None:
        """The built-in resource this flow extends (core flow), or None (custom flow)."""
        return core_resource(self.slug)

    @property
    def is_core(self) -> bool:
        return self.resource is not None

    @classmethod
    def parse(cls, data: Any) -> Flow:
        data = _obj(data, "flow")
        created, updated = _stamps(data)
        return cls(
            id=data["id"],
            name=_str(data, "name"),
            slug=_str(data, "slug"),
            description=_str(data, "description"),
            enabled=bool(data.get("enabled", True)),
            created_at=created,
            updated_at=updated,
        )


@dataclass(frozen=True, slots=True)
class Field:
    id: str
    flow_id: str
    name: str
    slug: str
    field_type: str
    description: str = ""
    required: bool = False
    default: Any = None
    enabled: bool = True
    order: int | None = None
    omit_null: bool = False
    validation_rules: tuple[dict[str, Any], ...] = ()
    created_at: str = ""
    updated_at: str = ""

    @classmethod
    def parse(cls, data: Any) -> Field:
        data = _obj(data, "field")
        created, updated = _stamps(data)
        flow_id = ""
        rel = data.get("relationships")
        if isinstance(rel, dict) and isinstance(rel.get("flow"), dict):
            inner = rel["flow"].get("data")
            if isinstance(inner, dict) and isinstance(inner.get("id"), str):
                flow_id = inner["id"]
        name = repr(_str(data, "slug") or data["id"])
        rules = _rules(data, name)
        order = data.get("order")
        default = data.get("default")
        if not (default is None or _scalar(default)):
            raise _bad("field", f"the field {name} has a default that is {_json_type(default)}")
        return cls(
            id=data["id"],
            flow_id=flow_id,
            name=_str(data, "name"),
            slug=_str(data, "slug"),
            field_type=_str(data, "field_type"),
            description=_str(data, "description"),
            required=bool(data.get("required", False)),
            default=default,
            enabled=bool(data.get("enabled", True)),
            order=_order(order),
            omit_null=bool(data.get("omit_null", False)),
            validation_rules=rules,
            created_at=created,
            updated_at=updated,
        )


@dataclass(frozen=True, slots=True)
class Entry:
    id: str
    flow_slug: str
    values: dict[str, Any] = field(default_factory=dict)
    relationships: dict[str, Any] = field(default_factory=dict)
    created_at: str = ""
    updated_at: str = ""

    @classmethod
    def parse(cls, data: Any, flow_slug: str) -> Entry:
        data = _obj(data, "entry")
        created, updated = _stamps(data)
        values = {
            k: v
            for k, v in data.items()
            if k not in ("id", "type", "meta", "links", "relationships")
        }
        rels = {}
        raw = data.get("relationships")
        if isinstance(raw, dict):
            rels = {k: v.get("data") for k, v in raw.items() if isinstance(v, dict)}
        return cls(data["id"], flow_slug, values, rels, created, updated)


@dataclass(frozen=True, slots=True)
class Customer:
    id: str
    name: str
    email: str
    has_password: bool = False
    external_ref: str | None = None
    custom: dict[str, Any] = field(default_factory=dict)
    created_at: str = ""
    updated_at: str = ""

    @classmethod
    def parse(cls, data: Any) -> Customer:
        data = _obj(data, "customer")
        created, updated = _stamps(data)
        ref = data.get("external_ref")
        return cls(
            id=data["id"],
            name=_str(data, "name"),
            email=_str(data, "email"),
            has_password=data.get("password") is True,
            external_ref=ref if isinstance(ref, str) else None,
            custom={k: v for k, v in data.items() if k not in CUSTOMER_BASE_KEYS},
            created_at=created,
            updated_at=updated,
        )

    def value(self, key: str) -> Any:
        """A base attribute or custom value by its key (None when absent)."""
        if key in ("name", "email", "external_ref", "id", "created_at", "updated_at"):
            return getattr(self, key)
        return self.custom.get(key)


class Keyed(Protocol):
    """What a walk by key reads of a customer: its id and stamps (a :class:`Customer` or a
    :class:`CustomerRow`)."""

    @property
    def id(self) -> str: ...
    @property
    def created_at(self) -> str: ...
    @property
    def updated_at(self) -> str: ...


class CustomerRow:
    """A customer as the store sent it (``data``, the JSON object), with the id and stamps a
    walk needs, checked and read as :meth:`Customer.parse` checks and reads them.

    For bulk walks that write customers out (the export): they need the store's object, not
    a :class:`Customer`, whose construction costs more CPU than fetching it. Treat ``data``
    as read-only.
    """

    __slots__ = ("created_at", "data", "id", "updated_at")

    id: str
    created_at: str
    updated_at: str
    data: dict[str, Any]

    @classmethod
    def parse(cls, data: Any) -> CustomerRow:
        # Exact types first (what a JSON decoder makes); anything else the model's way.
        if type(data) is not dict or type(data.get("id")) is not str:
            data = _obj(data, "customer")
        row = _new_row(cls)
        row.data, row.id = data, data["id"]
        meta = data.get("meta")
        stamps = meta.get("timestamps") if type(meta) is dict else None
        if type(stamps) is dict:
            created, updated = stamps.get("created_at", ""), stamps.get("updated_at", "")
            if type(created) is not str or type(updated) is not str:
                created, updated = _str(stamps, "created_at"), _str(stamps, "updated_at")
        else:
            created, updated = _stamps(data)
        row.created_at, row.updated_at = created, updated
        return row

    def customer(self) -> Customer:
        """The :class:`Customer` the model path would have made of the same object."""
        return Customer.parse(self.data)


_new_row = object.__new__


#: Address keys that are not custom (flow) values.
ADDRESS_BASE_KEYS = frozenset({"id", "type", "meta", "links", "relationships", *ADDRESS_ATTRS})


def _address_customer(data: dict[str, Any]) -> str:
    """The customer id an address names in ``relationships.customer``: under ``data`` as the
    contract has it, or directly as the vendored spec's schema shows; "" when absent."""
    rel = _object(_object(data.get("relationships")).get("customer"))
    inner = rel.get("data") if isinstance(rel.get("data"), dict) else rel
    ident = inner.get("id") if isinstance(inner, dict) else None
    return ident if isinstance(ident, str) else ""


@dataclass(frozen=True, slots=True)
class Address:
    """One of a customer's addresses: its base attributes (text, "" when absent), its
    custom values (the ``addresses`` core flow's fields, flat on the address) and stamps."""

    id: str
    customer_id: str
    name: str = ""
    first_name: str = ""
    last_name: str = ""
    company_name: str = ""
    line_1: str = ""
    line_2: str = ""
    city: str = ""
    county: str = ""
    region: str = ""
    postcode: str = ""
    country: str = ""
    phone_number: str = ""
    instructions: str = ""
    custom: dict[str, Any] = field(default_factory=dict)
    created_at: str = ""
    updated_at: str = ""

    @classmethod
    def parse(cls, data: Any, customer_id: str | None = None) -> Address:
        """An address from the store's JSON; ``customer_id`` (the customer whose addresses
        were asked for) wins over the one the answer names."""
        data = _obj(data, "address")
        created, updated = _stamps(data)
        return cls(
            id=data["id"],
            customer_id=customer_id or _address_customer(data),
            **{key: _str(data, key) for key in ADDRESS_ATTRS},
            custom={k: v for k, v in data.items() if k not in ADDRESS_BASE_KEYS},
            created_at=created,
            updated_at=updated,
        )

    def value(self, key: str) -> Any:
        """A base attribute or custom value by its key (None when absent)."""
        if key in ADDRESS_ATTRS or key in ("id", "customer_id", "created_at", "updated_at"):
            return getattr(self, key)
        return self.custom.get(key)

    def summary(self) -> str:
        """One compact line: ``Home · 1 Main St, Springfield 12345, US`` (parts that are
        empty are left out; the caller makes it safe to show)."""
        place = " ".join(p for p in (self.city, self.postcode) if p)
        where = ", ".join(p for p in (self.line_1, place, self.country) if p)
        label = self.name or " ".join(p for p in (self.first_name, self.last_name) if p)
        return " · ".join(p for p in (label, where) if p) or self.id


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a paginated list."""

    items: list[T]
    limit: int
    offset: int
    total: int  # matching records
    pages: int  # page count
    current: int  # 1-based
    next_url: str | None = None
    prev_url: str | None = None

    @property
    def has_next(self) -> bool:
        return self.offset + len(self.items) < self.total

    @property
    def first_index(self) -> int:
        """1-based position of the first item ("201" in "201-300 of 12,345"); 0 if empty."""
        return self.offset + 1 if self.items else 0

    @property
    def last_index(self) -> int:
        return self.offset + len(self.items)

    @classmethod
    def parse(cls, body: Any, item: Any) -> Page:
        if not isinstance(body, dict) or not isinstance(body.get("data"), list):
            raise _bad("list", "the body has no data list")
        items = [item(d) for d in body["data"]]
        meta = _object(body.get("meta"))
        page = _object(meta.get("page"))
        results = _object(meta.get("results"))

        def num(table: dict[str, Any], key: str, default: int, least: int = 0) -> int:
            value = table.get(key)
            text = value.strip() if isinstance(value, str) else ""
            if text.isascii() and text.isdigit() and len(text) <= 18:  # "12": a number as text
                value = int(text)
            if isinstance(value, int) and not isinstance(value, bool) and value >= least:
                return value
            return default

        links = _object(body.get("links"))
        limit = num(page, "limit", max(len(items), 1), least=1)
        offset = num(page, "offset", 0)
        total = num(results, "total", offset + len(items))
        return cls(
            items=items,
            limit=limit,
            offset=offset,
            total=total,
            pages=num(page, "total", -(-total // limit) if total else 0),
            current=num(page, "current", offset // limit + 1),
            next_url=links.get("next") if isinstance(links.get("next"), str) else None,
            prev_url=links.get("prev") if isinstance(links.get("prev"), str) else None,
        )
