"""The search language of the local customer index, parsed by pure functions (no SQL, no I/O).

Whitespace-separated terms, all of which must hold (AND)::

    delivery_notes:knope        the field contains "knope" (any case)
    loyalty_tier>=4             compare numbers (also > < <= and the signs >= <=)
    newsletter=true             equal (text: any case; != is "not equal", missing included)
    birthday<1990-06            dates compare as dates; a partial date is a whole period
    contact_window:"any time"   quotes keep spaces (a backslash escapes a quote)
    knope                       a bare word: contained in the name, email, external ref or
                                any custom text field

A field is named by its slug or by its name in any case with spaces written as underscores
(``Delivery_Notes``). :func:`parse_query` splits the text into :class:`Term` values;
:func:`resolve_terms` checks them against the known fields and types their values.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

#: Operators, longest first so ``>=`` wins over ``>``; the signs are accepted as their ASCII
#: equivalents.
OPERATORS = ("!=", ">=", "<=", ":", "=", ">", "<", "≥", "≤", "≠")
_SIGNS = {"≥": ">=", "≤": "<=", "≠": "!="}
_OP_CHARS = set(":=!<>≥≤≠")
COMPARISONS = (">", ">=", "<", "<=")

#: Field kinds: how values are stored and compared.
TEXT, NUMBER, BOOLEAN, DATE, STAMP = "text", "number", "boolean", "date", "timestamp"
KIND_OF_TYPE = {
    "string": TEXT,
    "integer": NUMBER,
    "float": NUMBER,
    "boolean": BOOLEAN,
    "date": DATE,
}
TRUE_WORDS = frozenset({"true", "yes", "y", "on", "1"})
FALSE_WORDS = frozenset({"false", "no", "n", "off", "0"})
_DATE_PREFIX = re.compile(r"^\d{4}(-\d{2}(-\d{2}([T ][0-9:.]*Z?)?)?)?$")


class QueryError(ValueError):
    """A query that cannot be run; the message is one sentence for the user."""


@dataclass(frozen=True, slots=True)
class Term:
    """One term as typed: ``field`` is None for a bare word; ``op`` is one of ``: = != > >= <
    <=`` (``:`` for a bare word)."""

    field: str | None
    op: str
    value: str


@dataclass(frozen=True, slots=True)
class IndexField:
    """A field the index can search: ``column`` is the slug the values are stored under."""

    column: str
    name: str
    kind: str
    base: bool = False  # a built-in customer attribute (name, email, ...)


#: The customer attributes every index knows, before the custom fields.
BASE_FIELDS = (
    IndexField("name", "Name", TEXT, True),
    IndexField("email", "Email", TEXT, True),
    IndexField("external_ref", "External ref", TEXT, True),
    IndexField("created_at", "Created", STAMP, True),
    IndexField("updated_at", "Updated", STAMP, True),
)


@dataclass(frozen=True, slots=True)
class Condition:
    """A resolved term: ``field`` is None for a bare word (any text field); ``value`` is typed
    (a float for numbers and booleans, text otherwise); ``end`` is the exclusive end of the
    period a partial date names (``1990`` -> ``1991``), else None."""

    field: IndexField | None
    op: str
    value: str | float
    end: str | None = None


def normalise(name: str) -> str:
    """``"Delivery notes"`` -> ``"delivery_notes"``: lower case, runs of spaces as ``_``."""
    return re.sub(r"\s+", "_", name.strip()).casefold()


def _read_quoted(text: str, start: int) -> tuple[str, int]:
    """The text of the quoted string at ``text[start] == '"'`` and the index after it."""
    out: list[str] = []
    i = start + 1
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            out.append(text[i + 1])
            i += 2
            continue
        if char == '"':
            return "".join(out), i + 1
        out.append(char)
        i += 1
    raise QueryError(f"a quote is not closed: {text[start:]}")


def parse_query(text: str) -> list[Term]:
    """Split ``text`` into terms (see the module docstring); QueryError when malformed."""
    terms: list[Term] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        if text[i] == '"':
            value, i = _read_quoted(text, i)
            if i < n and not text[i].isspace():
                raise QueryError(f"put a space after the closing quote of {value!r}")
            if value.strip():
                terms.append(Term(None, ":", value))
            continue
        start = i
        while i < n and not text[i].isspace() and text[i] not in _OP_CHARS and text[i] != '"':
            i += 1
        if i >= n or text[i].isspace():
            terms.append(Term(None, ":", text[start:i]))
            continue
        if text[i] == '"':
            raise QueryError(f"a quote must start a value: {text[start:].split()[0]}")
        field = text[start:i]
        op = next((o for o in OPERATORS if text.startswith(o, i)), None)
        if op is None:
            raise QueryError(f"unknown operator in {text[start:].split()[0]!r}")
        i += len(op)
        op = _SIGNS.get(op, op)
        if i < n and text[i] == '"':
            value, i = _read_quoted(text, i)
            if i < n and not text[i].isspace():
                raise QueryError(f"put a space after the closing quote of {value!r}")
        else:
            begin = i
            while i < n and not text[i].isspace():
                i += 1
            value = text[begin:i]
        if not field:
            raise QueryError(f"name a field before {op!r}, e.g. loyalty_tier{op}{value or 4}")
        if not value.strip():
            raise QueryError(f"give a value after {field}{op}")
        terms.append(Term(field, op, value))
    return terms


def find_field(name: str, fields: list[IndexField]) -> IndexField:
    """The field ``name`` refers to (slug or name, any case, spaces as ``_``)."""
    wanted = normalise(name)
    for f in fields:
        if normalise(f.column) == wanted:
            return f
    for f in fields:
        if normalise(f.name) == wanted:
            return f
    known = ", ".join(f.column for f in fields)
    raise QueryError(f"there is no field {name!r}; known fields: {known}")


def _number(field: IndexField, value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise QueryError(f"{field.column} holds numbers, and {value!r} is not one") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise QueryError(f"{field.column} holds numbers, and {value!r} is not one")
    return number


def _period_end(value: str) -> str | None:
    """The exclusive end of the period a date names: ``1990`` -> ``1991``, ``1990-12`` ->
    ``1991-01``, ``1990-12-31`` -> ``1991-01-01``; None for a time of day."""
    if re.fullmatch(r"\d{4}", value):
        return f"{int(value) + 1:04d}"
    if re.fullmatch(r"\d{4}-\d{2}", value):
        year, month = int(value[:4]), int(value[5:])
        return f"{year + 1:04d}-01" if month >= 12 else f"{year:04d}-{month + 1:02d}"
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return (dt.date.fromisoformat(value) + dt.timedelta(days=1)).isoformat()
        except (ValueError, OverflowError):
            raise QueryError(f"{value!r} is not a date") from None
    return None


def resolve_term(term: Term, fields: list[IndexField]) -> Condition:
    """Check ``term`` against ``fields`` and type its value."""
    if term.field is None:
        return Condition(None, ":", term.value)
    field = find_field(term.field, fields)
    op, value = term.op, term.value
    if field.kind == NUMBER:
        return Condition(field, "=" if op == ":" else op, _number(field, value))
    if field.kind == BOOLEAN:
        if op in COMPARISONS:
            raise QueryError(f"{field.column} is yes or no: use {field.column}=true or =false")
        word = value.casefold()
        if word not in TRUE_WORDS | FALSE_WORDS:
            raise QueryError(f"{field.column} is yes or no, and {value!r} is neither")
        return Condition(field, "=" if op == ":" else op, 1.0 if word in TRUE_WORDS else 0.0)
    if field.kind in (DATE, STAMP):
        if op == ":":
            return Condition(field, op, value)
        if not _DATE_PREFIX.match(value):
            raise QueryError(
                f"{field.column} holds dates: write them as 2024-05-31, 2024-05 or 2024"
            )
        return Condition(field, op, value, _period_end(value))
    if op in COMPARISONS:
        raise QueryError(
            f"{field.column} holds text, which does not compare with {op}: "
            f"use {field.column}:text to find what contains it"
        )
    return Condition(field, op, value)


def resolve_terms(terms: list[Term], fields: list[IndexField]) -> list[Condition]:
    return [resolve_term(t, fields) for t in terms]


def parse(text: str, fields: list[IndexField]) -> list[Condition]:
    """``text`` parsed and resolved against ``fields``."""
    return resolve_terms(parse_query(text), fields)


def age_text(seconds: float | None) -> str:
    """How old an index is, in words: ``"never synced"``, ``"up to date"``, ``"3 min old"``."""
    if seconds is None:
        return "never synced"
    if seconds < 60:
        return "up to date"
    if seconds < 3600:
        return f"{int(seconds // 60)} min old"
    if seconds < 86400 * 2:
        return f"{int(seconds // 3600)} h old"
    return f"{int(seconds // 86400)} days old"
