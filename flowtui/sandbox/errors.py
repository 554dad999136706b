"""The sandbox's error envelope: ``{"errors": [...]}`` with an HTTP status, as EPCC answers.

A handler raises :class:`SandboxError` (or one of the helpers below builds it); the app's
exception handler turns it into the answer with :func:`error_response`. The name differs from
the client's ``flowtui.api.errors.ApiError`` on purpose: this is the server's side.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Literal

from starlette.responses import Response

#: One object of the ``errors`` list: ``title``, usually ``status`` and ``detail``, sometimes
#: ``source``.
ErrorObject = dict[str, Any]


class SandboxError(Exception):
    """An answer in the error envelope: ``{"errors": [...]}`` with an HTTP status."""

    def __init__(
        self, status: int, errors: list[ErrorObject], headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(errors[0].get("detail") or errors[0].get("title"))
        self.status = status
        self.errors = errors
        self.headers: Mapping[str, str] = headers or {}


def error(
    status: int, title: str, detail: str | None = None, source: str | None = None
) -> ErrorObject:
    """One error object with a numeric ``status``."""
    out: ErrorObject = {"status": status, "title": title}
    if detail is not None:
        out["detail"] = detail
    if source is not None:
        out["source"] = source
    return out


def failed(detail: str, source: str | None = None) -> ErrorObject:
    """A 422 error object as flows, fields and entries answer it."""
    return error(422, "Failed Validation", detail, source)


def customer_failed(detail: str, source: str) -> ErrorObject:
    """A 422 error object as a real store answers for customers: with no ``status`` key."""
    return {"title": "Failed Validation", "detail": detail, "source": source}


def address_bad(detail: str, source: str) -> ErrorObject:
    """A 400 error object for a missing or wrongly typed base attribute of an address, as the
    addresses spec's example shows it: ``"status": "400"``, a string."""
    return {"status": "400", "title": "Bad Request", "detail": detail, "source": source}


def bad_request(detail: str, source: str | None = None) -> SandboxError:
    return SandboxError(400, [error(400, "Bad Request", detail, source)])


def unauthorized(detail: str) -> SandboxError:
    return SandboxError(401, [error(401, "Unauthorized", detail)])


def bad_customer_token(detail: str) -> SandboxError:
    """401 for an ``X-Moltin-Customer-Token`` that is expired, forged or unknown. Its title
    differs from the access token's, so a client does not re-authenticate for it."""
    return SandboxError(401, [error(401, "Unable to validate customer token", detail)])


def forbidden(detail: str) -> SandboxError:
    return SandboxError(403, [error(403, "Forbidden", detail)])


#: What a 404 can be about. Each titles its error ``"<Resource> not found"``, as Elastic
#: Path's own tooling compares ``errors[0].title`` with ``Flow not found`` and the like.
Missing = Literal["Flow", "Field", "Entry", "Customer", "Address"]


def not_found(resource: Missing, detail: str) -> SandboxError:
    """404 for a missing resource: titled by the resource, ``detail`` saying which id."""
    return SandboxError(404, [error(404, f"{resource} not found", detail)])


def no_route(path: str) -> SandboxError:
    """404 for a path the sandbox does not serve: titled ``Not Found``."""
    return SandboxError(404, [error(404, "Not Found", f"No route {path}")])


def too_large(limit: int) -> SandboxError:
    detail = f"Request bodies are limited to {limit} bytes"
    return SandboxError(413, [error(413, "Payload Too Large", detail)])


def invalid(errors: list[ErrorObject]) -> SandboxError:
    return SandboxError(422, errors)


def duplicate_email(email: str) -> SandboxError:
    """409 for an email another customer has; its ``status`` is a string, as real stores
    sometimes send it."""
    return SandboxError(
        409,
        [
            {
                "status": "409",
                "title": "Duplicate email",
                "detail": f"A customer with email {email!r} already exists",
                "source": "data.email",
            }
        ],
    )


def crashed() -> SandboxError:
    """The 500 of a request the sandbox failed to answer (a bug, or a broken store)."""
    return SandboxError(500, [error(500, "Internal Server Error", "The sandbox failed to answer")])


#: Missing, unknown or expired access token.
UNAUTHORIZED = SandboxError(401, [error(401, "Unable to validate access token")])


def envelope_bytes(errors: list[ErrorObject]) -> bytes:
    """The JSON body of an error answer."""
    return json.dumps({"errors": errors}, separators=(",", ":")).encode()


def error_response(exc: SandboxError) -> Response:
    return Response(
        envelope_bytes(exc.errors),
        status_code=exc.status,
        media_type="application/json",
        headers=exc.headers,
    )
