"""Field types, validation rules and value checks of EPCC flows.

Pure functions with no I/O and no Textual import: the sandbox enforces these rules on the
server side and the editor uses the very same functions to check values before sending them,
so the two can never disagree. Every checker returns a human sentence describing the problem,
or ``None`` when the input is acceptable.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import re
from collections.abc import Iterable
from typing import Any

FIELD_TYPES: tuple[str, ...] = ("string", "integer", "float", "boolean", "date", "relationship")

#: Core flow slug -> the singular name of the built-in resource it extends.
CORE_FLOWS: dict[str, str] = {
    "accounts": "account",
    "account-members": "account-member",
    "account-memberships": "account-membership",
    "addresses": "address",
    "authentication-realms": "authentication-realm",
    "carts": "cart",
    "cart_items": "cart_item",
    "catalogs": "catalog",
    "customers": "customer",
    "oidc-profiles": "oidc-profile",
    "order_items": "order_item",
    "orders": "order",
    "password-profiles": "password-profile",
    "products": "product",
    "promotions": "promotion",
    "user-authentication-info": "user-authentication-info",
    "user-authentication-oidc-profile-info": "user-authentication-oidc-profile-info",
    "user-authentication-password-profile-info": "user-authentication-password-profile-info",
}

#: Singular resource names that may not be used as flow slugs.
RESERVED_FLOW_SLUGS: frozenset[str] = frozenset(
    [
        "address",
        "brand",
        "cart",
        "category",
        "collection",
        "currency",
        "customer",
        "field",
        "file",
        "flow",
        "integration",
        "inventory",
        "language",
        "product",
        "order",
        "setting",
        "promotion",
    ]
)

#: Field slugs no flow may use.
RESERVED_FIELD_SLUGS: frozenset[str] = frozenset(
    [
        "id",
        "type",
        "meta",
        "links",
        "relationships",
        "weight",
        "weights",
        "attribute",
        "attributes",
        "dimension",
        "dimensions",
    ]
)

#: The base attributes of a customer address (contract: customer addresses), in display
#: order; the sandbox, the API model and the reserved field slugs all use this one list.
ADDRESS_ATTRS: tuple[str, ...] = (
    "name",
    "first_name",
    "last_name",
    "company_name",
    "line_1",
    "line_2",
    "city",
    "county",
    "region",
    "postcode",
    "country",
    "phone_number",
    "instructions",
)

#: The built-in attributes of core resources, which their flow's fields may not shadow.
RESOURCE_ATTRIBUTES: dict[str, frozenset[str]] = {
    "customers": frozenset(
        ["name", "email", "password", "external_ref", "authentication_mechanism"]
    ),
    "addresses": frozenset(ADDRESS_ATTRS),
    "products": frozenset(
        ["name", "slug", "sku", "description", "manage_stock", "status", "commodity_type", "price"]
    ),
    "orders": frozenset(["status", "payment", "shipping", "customer", "billing_address"]),
}

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
#: Largest string value a field accepts, in UTF-8 bytes.
MAX_STRING_BYTES = 16 * 1024 * 1024

# \Z, not $ (which also matches before a final newline); [0-9], not \d (any Unicode digit).
_SLUG_CHARS = re.compile(r"^[A-Za-z0-9_\-()]+\Z")
_SLUG_RULE = re.compile(r"^[A-Za-z0-9_\-]+\Z")
_UUID = re.compile(r"^[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}\Z")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+\Z")
_DATE = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[ T]([0-9]{2}):([0-9]{2}):([0-9]{2}))?\Z")


def is_email(value: str) -> bool:
    """True when ``value`` looks like an e-mail address (one ``@``, a dotted domain)."""
    return bool(_EMAIL.match(value))


def is_int(value: Any) -> bool:
    """True for a JSON integer (Python ``bool`` is not one)."""
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
    """True for a finite JSON number (integer or float, never a boolean)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, float) and math.isfinite(value)


def parse_date(value: str) -> tuple[_dt.date, _dt.time | None] | None:
    """Parse ``YYYY-MM-DD`` or ``YYYY-MM-DD HH:MM:SS`` (``T`` allowed); ``None`` if invalid."""
    m = _DATE.match(value)
    if not m:
        return None
    try:
        day = _dt.date(int(m[1]), int(m[2]), int(m[3]))
        clock = _dt.time(int(m[4]), int(m[5]), int(m[6])) if m[4] is not None else None
    except ValueError:
        return None
    return day, clock


def flow_slug_problem(slug: Any) -> str | None:
    """Why ``slug`` cannot name a flow, or ``None``. Uniqueness is the store's business."""
    if not isinstance(slug, str) or not slug:
        return "slug must be a non-empty string"
    if slug.startswith("$"):
        return "slug must not start with $"
    if slug in RESERVED_FLOW_SLUGS:
        return f"slug {slug!r} is reserved (it names a built-in resource type)"
    if not _SLUG_CHARS.match(slug):
        return "slug may contain only letters, digits, -, _ and parentheses"
    return None


def field_slug_problem(slug: Any, flow_slug: str | None = None) -> str | None:
    """Why ``slug`` cannot name a field of the flow ``flow_slug``, or ``None``."""
    if not isinstance(slug, str) or not slug:
        return "slug must be a non-empty string"
    if slug.startswith("$"):
        return "slug must not start with $"
    if slug in RESERVED_FIELD_SLUGS:
        return f"slug {slug!r} is reserved"
    if flow_slug is not None and slug in RESOURCE_ATTRIBUTES.get(flow_slug, ()):
        resource = CORE_FLOWS.get(flow_slug, flow_slug)
        return f"slug {slug!r} is already an attribute of the {resource} resource"
    if not _SLUG_CHARS.match(slug):
        return "slug may contain only letters, digits, -, _ and parentheses"
    return None


def core_resource(flow_slug: str) -> str | None:
    """The built-in resource a flow with this slug extends, or ``None`` for a custom flow."""
    return CORE_FLOWS.get(flow_slug)


def _number_option(value: Any, integer: bool) -> int | float | None:
    """A rule bound as a number (numeric strings accepted, as the spec allows), or None."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    if integer:
        if is_int(value):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return None
    return value if is_number(value) else None


def normalise_rules(field_type: str, rules: Any) -> tuple[list[dict[str, Any]], list[str]]:
    """Check ``validation_rules`` for a field type.

    Returns the rules in canonical form (numeric strings turned into numbers, unknown keys
    dropped) and a list of problems; the rules are usable only when that list is empty.
    """
    if rules is None:
        rules = []
    if not isinstance(rules, list):
        return [], ["validation_rules must be a list"]
    out: list[dict[str, Any]] = []
    problems: list[str] = []
    if field_type == "boolean" and rules:
        problems.append("boolean fields take no validation rules")
        return [], problems
    for i, rule in enumerate(rules):
        where = f"validation_rules[{i}]"
        if not isinstance(rule, dict) or not isinstance(rule.get("type"), str):
            problems.append(f"{where} must be an object with a type")
            continue
        kind = rule["type"]
        allowed = {
            "string": ("enum", "email", "slug", "uuid"),
            "integer": ("between", "enum"),
            "float": ("between", "enum"),
            "date": ("enum",),
            "relationship": ("one-to-one", "one-to-many"),
        }.get(field_type, ())
        if kind not in allowed:
            kinds = ", ".join(allowed) or "none"
            problems.append(
                f"{where}: a {field_type} field cannot have a {kind!r} rule (allowed: {kinds})"
            )
            continue
        if kind in ("email", "slug", "uuid"):
            out.append({"type": kind})
        elif kind == "between":
            opts = rule.get("options")
            if not isinstance(opts, dict):
                problems.append(f"{where}: between needs options {{from, to}}")
                continue
            integer = field_type == "integer"
            lo = _number_option(opts.get("from"), integer)
            hi = _number_option(opts.get("to"), integer)
            noun = "integers" if integer else "numbers"
            if lo is None or hi is None:
                problems.append(f"{where}: between options from and to must be {noun}")
            elif lo > hi:
                problems.append(f"{where}: between option from ({lo}) is greater than to ({hi})")
            else:
                out.append({"type": "between", "options": {"from": lo, "to": hi}})
        elif kind == "enum":
            opts = rule.get("options")
            if not isinstance(opts, list) or not opts:
                problems.append(f"{where}: enum needs a non-empty list of options")
                continue
            bad = [o for o in opts if _value_type_problem(field_type, o) is not None]
            if bad:
                problems.append(
                    f"{where}: enum options must all be valid {field_type} values "
                    f"(not {json.dumps(bad[0])})"
                )
                continue
            out.append({"type": "enum", "options": list(opts)})
        else:  # one-to-one / one-to-many
            to = rule.get("to")
            if not isinstance(to, str) or not to or not _SLUG_CHARS.match(to):
                problems.append(f"{where}: {kind} needs 'to', the related type or flow slug")
                continue
            out.append({"type": kind, "to": to})
    if field_type == "relationship" and not problems:
        if len(out) != 1:
            problems.append(
                "a relationship field needs exactly one rule: "
                '{"type": "one-to-one" | "one-to-many", "to": "<type>"}'
            )
    return out, problems


def relationship_rule(rules: Iterable[dict[str, Any]]) -> dict[str, Any] | None:
    """The cardinality rule of a relationship field, if any."""
    for rule in rules:
        if rule.get("type") in ("one-to-one", "one-to-many"):
            return rule
    return None


def _value_type_problem(field_type: str, value: Any) -> str | None:
    if field_type == "string":
        if not isinstance(value, str):
            return "must be a string"
        if len(value) > MAX_STRING_BYTES // 4 and len(value.encode()) > MAX_STRING_BYTES:
            return "must be at most 16 MB"
    elif field_type == "integer":
        if not is_int(value):
            return "must be an integer"
        if not INT64_MIN <= value <= INT64_MAX:
            return "is out of the 64-bit integer range"
    elif field_type == "float":
        if not is_number(value):
            return "must be a number"
    elif field_type == "boolean":
        if not isinstance(value, bool):
            return "must be true or false"
    elif field_type == "date":
        if not isinstance(value, str) or parse_date(value) is None:
            return "must be a date, YYYY-MM-DD or YYYY-MM-DD HH:MM:SS"
    elif field_type == "relationship":
        return "is a relationship: set it through the entry's relationships endpoint"
    else:
        return f"has an unknown field type {field_type!r}"
    return None


def _same_date(a: str, b: str) -> bool:
    pa, pb = parse_date(a), parse_date(b)
    return pa is not None and pa == pb


def value_problem(field_type: str, rules: Iterable[dict[str, Any]], value: Any) -> str | None:
    """Why ``value`` is not acceptable for a field of this type and rules, or ``None``.

    ``None`` (JSON null) is acceptable here; whether a field may be null is a matter of
    ``required``, checked by the caller.
    """
    if value is None:
        return None
    problem = _value_type_problem(field_type, value)
    if problem:
        return problem
    for rule in rules:
        kind = rule.get("type")
        if kind == "enum":
            options = rule["options"]
            if field_type == "date":
                ok = any(_same_date(value, o) for o in options)
            else:
                ok = value in options
            if not ok:
                shown = ", ".join(json.dumps(o) for o in options[:20])
                more = ", ..." if len(options) > 20 else ""
                return f"must be one of {shown}{more}"
        elif kind == "between":
            lo, hi = rule["options"]["from"], rule["options"]["to"]
            if not lo <= value <= hi:
                return f"must be between {lo} and {hi}"
        elif kind == "email":
            if not is_email(value):
                return "must be an email address"
        elif kind == "slug":
            if not _SLUG_RULE.match(value):
                return "may contain only letters, digits, - and _"
        elif kind == "uuid":
            if not _UUID.match(value):
                return "must be a UUID"
    return None


def normalise_default(
    field_type: str, rules: Iterable[dict[str, Any]], default: Any
) -> tuple[Any, str | None]:
    """Check a field's ``default`` and return it as stored.

    A number default on a string field is accepted and stored as its string form (the seed
    walkthrough sends ``"default": 0`` for a string field).
    """
    if default is None:
        return None, None
    if field_type == "relationship":
        return None, "relationship fields cannot have a default"
    if field_type == "string" and is_number(default):
        default = json.dumps(default)
    problem = value_problem(field_type, list(rules), default)
    return default, (f"default {problem}" if problem else None)


def parse_text(field_type: str, text: str) -> tuple[Any, str | None]:
    """What a form's text input means for a field type: (value, problem).

    Empty text is ``None`` (no value). Integers and floats are parsed; strings and dates are
    kept as typed (dates are then checked by :func:`value_problem`).
    """
    if text == "":
        return None, None
    if field_type == "integer":
        try:
            return int(text.strip()), None
        except ValueError:
            return None, "must be a whole number"
    if field_type == "float":
        try:
            number = float(text.strip())
        except ValueError:
            return None, "must be a number"
        if not math.isfinite(number):
            return None, "must be a finite number"
        return number, None
    if field_type == "boolean":
        lowered = text.strip().lower()
        if lowered in ("true", "yes", "1"):
            return True, None
        if lowered in ("false", "no", "0"):
            return False, None
        return None, "must be true or false"
    return text, None


def check_value(
    field_type: str, rules: Iterable[dict[str, Any]], value: Any, *, required: bool
) -> str | None:
    """The problem with a form value (required, type, rules), or ``None``."""
    if value is None:
        return "is required" if required else None
    return value_problem(field_type, list(rules), value)
