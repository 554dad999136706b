"""Query strings the store understands (no Textual): EPCC filter terms and percent-encoding."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import quote


def filter_value(value: str) -> str:
    """A filter value, quoted when it holds characters that would end a term."""
    if any(c in value for c in '(),:"') or value != value.strip():
        if '"' in value:
            raise ValueError("filter values cannot contain a double quote")
        return f'"{value}"'
    return value


def build_filter(terms: Iterable[tuple[str, str, str]]) -> str | None:
    """``[("like", "name", "*knope*"), ...]`` as an EPCC filter string (``:`` = AND)."""
    parts = [f"{op}({attr},{filter_value(str(value))})" for op, attr, value in terms]
    return ":".join(parts) or None


def list_params(
    filters: Iterable[tuple[str, str, str]], sort: str | None, limit: int, offset: int
) -> dict[str, Any]:
    """The query of one page of a list: its limit and offset, sort and filter terms."""
    return {
        "page[limit]": limit,
        "page[offset]": offset,
        "sort": sort,
        "filter": build_filter(filters),
    }


def encode_query(params: dict[str, Any]) -> str:
    """Percent-encode every value (a ``+`` in an email must reach the store as ``%2B``)."""
    return "&".join(
        f"{quote(k, safe='[]')}={quote(str(v), safe='')}"
        for k, v in params.items()
        if v is not None
    )
