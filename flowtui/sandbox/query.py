"""Query strings, filters, sorting and pagination, as an EPCC store parses them.

No I/O here: these functions turn raw request text into plain values or raise
:class:`QueryError`, which the app answers with a 400 in the error envelope.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote, unquote_to_bytes

MAX_FILTERS = 10
MAX_LIMIT = 100
MAX_OFFSET = 10_000
OPERATORS = ("eq", "like", "in", "gt", "ge", "lt", "le")


class QueryError(ValueError):
    """A query string, filter, sort or page parameter the store refuses (HTTP 400)."""

    def __init__(self, detail: str, parameter: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.parameter = parameter


def _decode(part: bytes) -> str:
    try:
        return unquote_to_bytes(part.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        raise QueryError("The query string is not valid UTF-8 after percent-decoding") from None


def parse_query_string(raw: bytes | str) -> dict[str, str]:
    """Split on ``&`` first, then decode each part (``+`` is a space). Last value wins.

    Works the same for raw (``filter=eq(email,a@b.c)``) and percent-encoded query strings.
    """
    if isinstance(raw, str):
        raw = raw.encode("latin-1", "replace")
    params: dict[str, str] = {}
    for part in raw.split(b"&"):
        if not part:
            continue
        key, _, value = part.partition(b"=")
        params[_decode(key)] = _decode(value)
    return params


@dataclass(frozen=True, slots=True)
class Term:
    """One filter term: ``op(attr,value)``; ``values`` has several items only for ``in``."""

    op: str
    attr: str
    values: tuple[str, ...]


_TERM_START = re.compile(r"([a-z]+)\(([A-Za-z_][A-Za-z0-9_\-]*),")
_NEXT_TERM = re.compile(r"\):[a-z]+\(")


def _split_list(text: str) -> list[str]:
    """Split an ``in`` list on commas; items may be quoted with ``"``."""
    items: list[str] = []
    i = 0
    while True:
        if text[i : i + 1] == '"':
            end = text.find('"', i + 1)
            if end < 0:
                raise QueryError("Unterminated quote in filter", "filter")
            items.append(text[i + 1 : end])
            i = end + 1
            if i == len(text):
                return items
            if text[i] != ",":
                raise QueryError("Expected , after a quoted value in filter", "filter")
            i += 1
        else:
            end = text.find(",", i)
            if end < 0:
                items.append(text[i:])
                return items
            items.append(text[i:end])
            i = end + 1


def parse_filter(text: str) -> list[Term]:
    """Parse ``op(attr,value)`` terms joined by ``:``.

    A ``:`` separates terms only between a ``)`` and the next ``op(``; an unquoted value runs
    to the ``)`` that closes its term, so timestamps with colons need no quoting.
    """
    terms: list[Term] = []
    pos = 0
    while True:
        m = _TERM_START.match(text, pos)
        if not m:
            raise QueryError(
                f"Cannot parse filter at character {pos + 1}: {text[pos : pos + 40]!r}"
            )
        op, attr = m[1], m[2]
        if op not in OPERATORS:
            raise QueryError(f"Unsupported filter operator {op!r}", "filter")
        pos = m.end()
        if op != "in" and text[pos : pos + 1] == '"':
            end = text.find('"', pos + 1)
            if end < 0 or text[end + 1 : end + 2] != ")":
                raise QueryError("Unterminated quoted value in filter", "filter")
            values: tuple[str, ...] = (text[pos + 1 : end],)
            close = end + 1
        else:
            nxt = _NEXT_TERM.search(text, pos)
            close = nxt.start() if nxt else len(text) - 1
            if close < pos or text[close] != ")":
                raise QueryError("A filter term is missing its closing )", "filter")
            raw = text[pos:close]
            if op == "in":
                values = tuple(_split_list(raw))
                if any(v == "" for v in values):
                    raise QueryError("An in() list has an empty value", "filter")
            else:
                values = (raw,)
        terms.append(Term(op, attr, values))
        if len(terms) > MAX_FILTERS:
            raise QueryError(f"At most {MAX_FILTERS} filters may be combined", "filter")
        pos = close + 1
        if pos == len(text):
            return terms
        if text[pos] != ":":
            raise QueryError(f"Expected : between filters at character {pos + 1}", "filter")
        pos += 1


def check_terms(terms: list[Term], allowed: Mapping[str, frozenset[str]], what: str) -> None:
    """Refuse terms naming an attribute or operator that ``allowed`` does not list."""
    for term in terms:
        ops = allowed.get(term.attr)
        if ops is None:
            raise QueryError(
                f"Cannot filter {what} by {term.attr!r}; filterable attributes: "
                + ", ".join(sorted(allowed)),
                "filter",
            )
        if term.op not in ops:
            raise QueryError(
                f"Operator {term.op!r} is not supported for {term.attr!r} (use "
                + ", ".join(o for o in OPERATORS if o in ops)
                + ")",
                "filter",
            )


def normalise_timestamp(value: str) -> str:
    """An ISO 8601 date or time as the store's canonical ``YYYY-MM-DDTHH:MM:SS.mmmZ``."""
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        stamp = dt.datetime.fromisoformat(text)
    except ValueError:
        raise QueryError(f"{value!r} is not an ISO 8601 date or timestamp", "filter") from None
    if stamp.tzinfo is not None:
        try:
            stamp = stamp.astimezone(dt.UTC).replace(tzinfo=None)
        except OverflowError:
            raise QueryError(f"{value!r} is out of the supported date range", "filter") from None
    return format_timestamp(stamp)


def format_timestamp(stamp: dt.datetime) -> str:
    """A naive UTC datetime as ``2026-01-02T03:04:05.678Z``."""
    # %Y is not zero-padded for years before 1000 on every platform: pad it by hand.
    return f"{stamp.year:04d}-{stamp:%m-%dT%H:%M:%S}.{stamp.microsecond // 1000:03d}Z"


def like_pattern(value: str) -> str:
    """A ``like`` value (``*`` wildcard at either end only) as a SQL LIKE pattern.

    The pattern escapes ``%`` and ``_`` with a backslash (use ``ESCAPE '\\'``).
    """
    starts = value.startswith("*")
    ends = value.endswith("*") and len(value) > 1
    core = value[1 if starts else 0 : len(value) - 1 if ends else len(value)]
    core = core.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return ("%" if starts else "") + core + ("%" if ends else "")


def parse_sort(value: str | None, allowed: frozenset[str], default: str) -> tuple[str, bool]:
    """``sort=attr`` or ``sort=-attr`` as (attribute, descending)."""
    text = default if value is None else value
    desc = text.startswith("-")
    attr = text[1:] if desc else text
    if attr not in allowed:
        raise QueryError(
            f"Cannot sort by {attr!r}; sortable attributes: " + ", ".join(sorted(allowed)), "sort"
        )
    return attr, desc


def _int_param(params: Mapping[str, str], name: str, default: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw.strip())
    except ValueError:
        raise QueryError(f"{name} must be a whole number, not {raw!r}", name) from None


def parse_page(params: Mapping[str, str]) -> tuple[int, int]:
    """``page[limit]`` (default and max 100, larger clamped) and ``page[offset]`` (≤ 10,000)."""
    limit = _int_param(params, "page[limit]", MAX_LIMIT)
    offset = _int_param(params, "page[offset]", 0)
    if limit < 1:
        raise QueryError("page[limit] must be at least 1", "page[limit]")
    if offset < 0:
        raise QueryError("page[offset] must not be negative", "page[offset]")
    if offset > MAX_OFFSET:
        raise QueryError(
            f"page[offset] may be at most {MAX_OFFSET}; page by created_at to go further",
            "page[offset]",
        )
    return min(limit, MAX_LIMIT), offset


def page_body(
    data: list, *, total: int, limit: int, offset: int, url: str, keep: Mapping[str, str]
) -> dict:
    """A paginated list body: ``data``, ``links`` (absolute URLs) and ``meta``."""
    pages = -(-total // limit) if total else 0

    def link(at: int) -> str:
        query = [f"{quote(k, safe='[]')}={quote(v, safe='()*,:@')}" for k, v in keep.items()]
        query += [f"page[offset]={at}", f"page[limit]={limit}"]
        return url + "?" + "&".join(query)

    last_offset = (pages - 1) * limit if pages else 0
    return {
        "data": data,
        "links": {
            "current": link(offset),
            "first": link(0),
            "last": link(last_offset) if pages > 1 else None,
            "prev": link(max(0, offset - limit)) if offset > 0 else None,
            "next": link(offset + limit) if offset + limit < total else None,
        },
        "meta": {
            "page": {
                "limit": limit,
                "offset": offset,
                "current": offset // limit + 1,
                "total": pages,
            },
            "results": {"total": total},
        },
    }
