"""Typed errors of the EPCC API, parsed from every error shape a store sends.

An error body is ``{"errors": [...]}``; each item has a ``title`` and usually a ``detail``;
``status`` may be a number, a string or absent; ``source`` (the offending attribute) is
optional and may be a string (``"data.email"``) or a JSON:API object (``{"pointer": ...}``).
Every item is kept: screens show all messages, each next to the attribute it concerns.
Exception text never contains request bodies or headers, so no secret can leak through it.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

import httpx


@dataclass(frozen=True, slots=True)
class ErrorItem:
    """One entry of an error envelope."""

    title: str
    detail: str | None = None
    status: int | None = None
    source: str | None = None

    @property
    def attribute(self) -> str | None:
        """The attribute this error concerns (``"data.email"`` -> ``"email"``), if any."""
        if not self.source:
            return None
        text = self.source.strip("/").replace("/", ".")
        for prefix in ("data.attributes.", "data."):
            if text.startswith(prefix):
                return text[len(prefix) :] or None
        return None if text in ("data", "") else text

    @property
    def message(self) -> str:
        """The detail when there is one, else the title."""
        return self.detail or self.title


class ApiError(Exception):
    """A request that did not succeed. ``errors`` holds every message the store sent."""

    #: What the user should understand this as, for headings and toasts.
    kind = "API error"

    def __init__(
        self,
        errors: list[ErrorItem] | None = None,
        *,
        status: int | None = None,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        self.errors = errors or [ErrorItem(self.kind)]
        self.status = status
        self.method = method
        self.path = path
        super().__init__(self.summary)

    @property
    def summary(self) -> str:
        """All messages joined in one line, prefixed by the status."""
        text = "; ".join(e.message for e in self.errors)
        return f"{self.status}: {text}" if self.status else text

    def for_attribute(self, attribute: str) -> list[str]:
        """The messages concerning one attribute (for showing them next to its input)."""
        return [e.message for e in self.errors if e.attribute == attribute]

    def general(self) -> list[str]:
        """The messages that concern no particular attribute."""
        return [e.message for e in self.errors if e.attribute is None]


class BadRequestError(ApiError):
    kind = "Bad request"


class AuthError(ApiError):
    """401: the token or the client credentials were refused."""

    kind = "Not authenticated"


class ForbiddenError(ApiError):
    """403: e.g. a read-only (implicit) token attempting a write."""

    kind = "Not allowed"


class NotFoundError(ApiError):
    kind = "Not found"


class NotAllowedError(ApiError):
    """405: e.g. deleting a core flow."""

    kind = "Not allowed"


class ConflictError(ApiError):
    """409: e.g. a duplicate customer email."""

    kind = "Conflict"


class ValidationError(ApiError):
    """422: one or more attributes were refused; see :meth:`ApiError.for_attribute`."""

    kind = "Validation failed"


class RateLimitedError(ApiError):
    """429 that persisted through the client's retries."""

    kind = "Rate limited"

    def __init__(self, *args: Any, retry_after: float | None = None, **kwargs: Any) -> None:
        self.retry_after = retry_after
        super().__init__(*args, **kwargs)


class ServerError(ApiError):
    """5xx that persisted through retries (or a POST, which is never retried)."""

    kind = "Server error"


class NetworkError(ApiError):
    """The store could not be reached, or the connection broke, or it timed out."""

    kind = "Network error"
    #: Whether the request may have reached the store (the connection broke, or the answer
    #: did not come in time, after it was sent): a POST may have been carried out.
    maybe_sent = False


class ProtocolError(ApiError):
    """The store answered something that is not the documented shape."""

    kind = "Unexpected answer"


_BY_STATUS: dict[int, type[ApiError]] = {
    400: BadRequestError,
    401: AuthError,
    403: ForbiddenError,
    404: NotFoundError,
    405: NotAllowedError,
    409: ConflictError,
    422: ValidationError,
    429: RateLimitedError,
}


def _status(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _source(value: Any) -> str | None:
    if isinstance(value, str):
        return value or None
    if isinstance(value, dict):
        for key in ("pointer", "parameter", "attribute"):
            if isinstance(value.get(key), str):
                return value[key]
    return None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else json.dumps(value)


def parse_error_items(body: Any, fallback: str) -> list[ErrorItem]:
    """The items of an error body in any of the shapes stores send; never raises."""
    items: list[ErrorItem] = []
    raw = body.get("errors") if isinstance(body, dict) else None
    if isinstance(raw, dict):
        raw = [raw]
    if isinstance(raw, list):
        for entry in raw:
            if isinstance(entry, str):
                items.append(ErrorItem(entry))
            elif isinstance(entry, dict):
                items.append(
                    ErrorItem(
                        title=_text(entry.get("title")) or fallback,
                        detail=_text(entry.get("detail")),
                        status=_status(entry.get("status")),
                        source=_source(entry.get("source")),
                    )
                )
    elif isinstance(body, dict) and isinstance(body.get("error"), str):
        items.append(ErrorItem(body["error"], _text(body.get("message"))))
    return items or [ErrorItem(fallback)]


def error_from_response(response: httpx.Response) -> ApiError:
    """The typed error for a non-2xx response (its body must have been read)."""
    status = response.status_code
    try:
        body = response.json()
    except (ValueError, UnicodeDecodeError):
        text = response.text.strip()[:200]
        body = {"errors": [{"title": response.reason_phrase or "Error", "detail": text or None}]}
    cls = _BY_STATUS.get(status) or (ServerError if status >= 500 else ApiError)
    items = parse_error_items(body, response.reason_phrase or f"HTTP {status}")
    kwargs: dict[str, Any] = {}
    if cls is RateLimitedError:
        kwargs["retry_after"] = parse_retry_after(response.headers.get("retry-after"))
    return cls(
        items,
        status=status,
        method=response.request.method,
        path=response.request.url.path,
        **kwargs,
    )


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta seconds or an HTTP date), if usable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())
