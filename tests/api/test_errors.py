"""Error parsing: every shape an EPCC store sends, and the status -> class mapping."""

from __future__ import annotations

import datetime as dt
import json
from email.utils import format_datetime

import httpx
import pytest

from flowtui.api.errors import (
    ApiError,
    AuthError,
    BadRequestError,
    ConflictError,
    ErrorItem,
    ForbiddenError,
    NotAllowedError,
    NotFoundError,
    RateLimitedError,
    ServerError,
    ValidationError,
    error_from_response,
    parse_error_items,
    parse_retry_after,
)


def response(
    status: int,
    body: object = None,
    *,
    text: str | None = None,
    headers: dict[str, str] | None = None,
    method: str = "POST",
    path: str = "/v2/customers",
) -> httpx.Response:
    """A real httpx.Response as a store would send it (body read, request attached)."""
    request = httpx.Request(method, f"https://store.test{path}")
    if text is not None:
        content = text.encode()
        hdrs = {"content-type": "text/html"}
    else:
        content = json.dumps(body).encode()
        hdrs = {"content-type": "application/json"}
    hdrs.update(headers or {})
    return httpx.Response(status, headers=hdrs, content=content, request=request)


# -- parse_error_items --------------------------------------------------------------------


def test_status_as_number() -> None:
    items = parse_error_items(
        {"errors": [{"status": 404, "title": "Not Found", "detail": "No flow"}]}, "x"
    )
    assert items == [ErrorItem("Not Found", "No flow", 404, None)]


def test_status_as_string() -> None:
    items = parse_error_items(
        {"errors": [{"status": "409", "title": "Duplicate email", "source": "data.email"}]}, "x"
    )
    assert items == [ErrorItem("Duplicate email", None, 409, "data.email")]
    assert items[0].status == 409 and isinstance(items[0].status, int)


def test_status_as_padded_string() -> None:
    assert parse_error_items({"errors": [{"status": " 422 ", "title": "t"}]}, "x")[0].status == 422


@pytest.mark.parametrize("value", [None, "abc", True, 4.5, {"code": 1}, ""])
def test_status_unusable_is_none(value: object) -> None:
    assert parse_error_items({"errors": [{"status": value, "title": "t"}]}, "x")[0].status is None


def test_status_absent_customer_validation() -> None:
    body = {
        "errors": [
            {
                "title": "Failed Validation",
                "detail": "The data.name field is required.",
                "source": "data.name",
            }
        ]
    }
    (item,) = parse_error_items(body, "x")
    assert item == ErrorItem(
        "Failed Validation", "The data.name field is required.", None, "data.name"
    )
    assert item.attribute == "name"
    assert item.message == "The data.name field is required."


def test_source_as_string() -> None:
    (item,) = parse_error_items({"errors": [{"title": "t", "source": "data.email"}]}, "x")
    assert item.source == "data.email"
    assert item.attribute == "email"


def test_source_as_jsonapi_pointer() -> None:
    body = {"errors": [{"title": "t", "source": {"pointer": "/data/attributes/email"}}]}
    (item,) = parse_error_items(body, "x")
    assert item.source == "/data/attributes/email"
    assert item.attribute == "email"


def test_source_pointer_without_attributes_segment() -> None:
    (item,) = parse_error_items(
        {"errors": [{"title": "t", "source": {"pointer": "/data/name"}}]}, "x"
    )
    assert item.attribute == "name"


def test_source_as_parameter() -> None:
    (item,) = parse_error_items(
        {"errors": [{"title": "t", "source": {"parameter": "filter"}}]}, "x"
    )
    assert item.source == "filter"
    assert item.attribute == "filter"


@pytest.mark.parametrize("source", [None, "", {}, {"pointer": 3}, ["data.email"], "data", "/data"])
def test_source_absent_or_unusable(source: object) -> None:
    entry: dict = {"title": "t"}
    if source is not None:
        entry["source"] = source
    (item,) = parse_error_items({"errors": [entry]}, "x")
    assert item.attribute is None


def test_nested_attribute_path() -> None:
    item = ErrorItem("t", source="data.relationships.flow.data.id")
    assert item.attribute == "relationships.flow.data.id"


def test_several_errors_kept_in_order() -> None:
    body = {
        "errors": [
            {
                "title": "Failed Validation",
                "detail": "The data.name field is required.",
                "source": "data.name",
            },
            {
                "status": "422",
                "title": "Failed Validation",
                "detail": "The data.email field is required.",
                "source": {"pointer": "/data/email"},
            },
            {"status": 422, "title": "Failed Validation", "detail": "Bad rules"},
        ]
    }
    items = parse_error_items(body, "x")
    assert [i.message for i in items] == [
        "The data.name field is required.",
        "The data.email field is required.",
        "Bad rules",
    ]
    assert [i.attribute for i in items] == ["name", "email", None]
    assert [i.status for i in items] == [None, 422, 422]


def test_title_missing_uses_fallback_and_non_string_texts() -> None:
    body = {"errors": [{"detail": {"why": "nested"}}, {"title": 12}]}
    items = parse_error_items(body, "Unprocessable Entity")
    assert items[0].title == "Unprocessable Entity"
    assert items[0].detail == '{"why": "nested"}'
    assert items[1].title == "12"


def test_errors_as_single_object_and_as_strings() -> None:
    assert parse_error_items({"errors": {"title": "One"}}, "x") == [ErrorItem("One")]
    assert parse_error_items({"errors": ["first", "second"]}, "x") == [
        ErrorItem("first"),
        ErrorItem("second"),
    ]


def test_oauth_style_error() -> None:
    items = parse_error_items({"error": "invalid_client", "message": "Bad secret"}, "x")
    assert items == [ErrorItem("invalid_client", "Bad secret")]


@pytest.mark.parametrize(
    "body", [None, [], "oops", 42, {}, {"errors": []}, {"errors": [1, None]}, {"errors": "x"}]
)
def test_unusable_bodies_give_the_fallback(body: object) -> None:
    assert parse_error_items(body, "Bad Gateway") == [ErrorItem("Bad Gateway")]


# -- ApiError helpers -------------------------------------------------------------------------


def test_for_attribute_and_general() -> None:
    error = ValidationError(
        [
            ErrorItem("Failed Validation", "Name is required", source="data.name"),
            ErrorItem("Failed Validation", "Email is required", source="data.email"),
            ErrorItem("Failed Validation", "Email looks wrong", source="/data/attributes/email"),
            ErrorItem("Something else"),
            ErrorItem("Body", "Bad data object", source="data"),
        ],
        status=422,
    )
    assert error.for_attribute("email") == ["Email is required", "Email looks wrong"]
    assert error.for_attribute("name") == ["Name is required"]
    assert error.for_attribute("password") == []
    assert error.general() == ["Something else", "Bad data object"]
    assert error.summary == (
        "422: Name is required; Email is required; Email looks wrong; Something else; "
        "Bad data object"
    )
    assert str(error) == error.summary


def test_default_item_is_the_kind() -> None:
    error = NotFoundError()
    assert error.errors == [ErrorItem("Not found")]
    assert str(error) == "Not found"
    assert error.general() == ["Not found"]


# -- error_from_response ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (401, AuthError),
        (403, ForbiddenError),
        (404, NotFoundError),
        (405, NotAllowedError),
        (409, ConflictError),
        (422, ValidationError),
        (429, RateLimitedError),
        (500, ServerError),
        (502, ServerError),
        (503, ServerError),
        (504, ServerError),
        (599, ServerError),
    ],
)
def test_status_to_class(status: int, cls: type[ApiError]) -> None:
    error = error_from_response(
        response(status, {"errors": [{"status": status, "title": "T", "detail": "D"}]})
    )
    assert type(error) is cls
    assert error.status == status
    assert error.method == "POST"
    assert error.path == "/v2/customers"
    assert error.errors == [ErrorItem("T", "D", status)]
    assert str(error) == f"{status}: D"


@pytest.mark.parametrize("status", [402, 410, 418, 413])
def test_other_client_errors_are_plain_api_errors(status: int) -> None:
    error = error_from_response(response(status, {"errors": [{"title": "T"}]}))
    assert type(error) is ApiError
    assert error.status == status


def test_customer_validation_response() -> None:
    body = {
        "errors": [
            {
                "title": "Failed Validation",
                "detail": "The data.name field is required.",
                "source": "data.name",
            },
            {
                "title": "Failed Validation",
                "detail": "The data.email field is required.",
                "source": "data.email",
            },
        ]
    }
    error = error_from_response(response(422, body))
    assert isinstance(error, ValidationError)
    assert error.for_attribute("name") == ["The data.name field is required."]
    assert error.for_attribute("email") == ["The data.email field is required."]
    assert error.general() == []


def test_non_json_body() -> None:
    html = "<html><body>502 Bad Gateway</body></html>"
    error = error_from_response(response(502, text=html, method="GET", path="/v2/flows"))
    assert isinstance(error, ServerError)
    assert error.errors == [ErrorItem("Bad Gateway", html)]
    assert error.method == "GET" and error.path == "/v2/flows"


def test_non_json_body_is_truncated() -> None:
    error = error_from_response(response(500, text="x" * 5000))
    assert error.errors[0].detail == "x" * 200


def test_empty_body() -> None:
    error = error_from_response(response(503, text=""))
    assert isinstance(error, ServerError)
    assert error.errors == [ErrorItem("Service Unavailable")]


def test_invalid_utf8_body() -> None:
    request = httpx.Request("GET", "https://store.test/v2/flows")
    raw = httpx.Response(500, content=b"\xff\xfe\xfa not utf-8", request=request)
    error = error_from_response(raw)
    assert isinstance(error, ServerError)
    assert len(error.errors) == 1


def test_json_body_that_is_not_an_envelope() -> None:
    error = error_from_response(response(404, ["unexpected"]))
    assert isinstance(error, NotFoundError)
    assert error.errors == [ErrorItem("Not Found")]


# -- Retry-After --------------------------------------------------------------------------------


def test_retry_after_seconds_on_429() -> None:
    error = error_from_response(
        response(429, {"errors": [{"title": "Too Many"}]}, headers={"Retry-After": "3"})
    )
    assert isinstance(error, RateLimitedError)
    assert error.retry_after == 3.0


def test_retry_after_missing_on_429() -> None:
    error = error_from_response(response(429, {"errors": [{"title": "Too Many"}]}))
    assert isinstance(error, RateLimitedError)
    assert error.retry_after is None


def test_retry_after_http_date_on_429() -> None:
    when = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30)
    header = format_datetime(when, usegmt=True)
    error = error_from_response(response(429, {"errors": []}, headers={"Retry-After": header}))
    assert isinstance(error, RateLimitedError)
    assert 27.0 <= error.retry_after <= 30.0


@pytest.mark.parametrize(
    ("value", "expected"),
    [("0", 0.0), ("2", 2.0), (" 7 ", 7.0), ("1.5", 1.5), ("-4", 0.0)],
)
def test_parse_retry_after_seconds(value: str, expected: float) -> None:
    assert parse_retry_after(value) == expected


def test_parse_retry_after_dates() -> None:
    future = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=120)
    past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=120)
    assert 117.0 <= parse_retry_after(format_datetime(future, usegmt=True)) <= 120.0
    assert parse_retry_after(format_datetime(past, usegmt=True)) == 0.0
    # An HTTP date with no zone information is read as UTC.
    naive = (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=60)).strftime("%a, %d %b %Y %H:%M:%S")
    assert 57.0 <= parse_retry_after(naive) <= 60.0


@pytest.mark.parametrize("value", [None, "", "soon", "Mon, 99 Foo 2026"])
def test_parse_retry_after_unusable(value: str | None) -> None:
    assert parse_retry_after(value) is None
