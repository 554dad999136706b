"""``/v2/fields``: the fields of every flow; a field belongs to the flow it names at creation."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from flowtui.core import fields as F
from flowtui.sandbox.auth import authorize
from flowtui.sandbox.errors import ErrorObject, failed, invalid, not_found
from flowtui.sandbox.routes.base import Handlers
from flowtui.sandbox.serialisation import JSONResponse, data_of, field_out
from flowtui.sandbox.store import Row

#: A flow holds at most this many fields.
MAX_FIELDS_PER_FLOW = 100

#: The plain attributes of a field: name, what it must be, and the check.
ATTRIBUTE_CHECKS: tuple[tuple[str, str, Callable[[Any], bool]], ...] = (
    ("name", "a string", lambda v: isinstance(v, str) and v != ""),
    ("slug", "a string", lambda v: isinstance(v, str)),
    ("field_type", "a string", lambda v: isinstance(v, str)),
    ("description", "a string", lambda v: isinstance(v, str)),
    ("required", "true or false", lambda v: isinstance(v, bool)),
    ("enabled", "true or false", lambda v: isinstance(v, bool)),
    ("omit_null", "true or false", lambda v: isinstance(v, bool)),
    ("order", "an integer or null", lambda v: v is None or F.is_int(v)),
)


class FieldHandlers(Handlers):
    def routes(self) -> list[Route]:
        return [
            Route("/v2/fields", self.fields, methods=["GET", "POST"]),
            Route("/v2/fields/{field_id}", self.field, methods=["GET", "PUT", "DELETE"]),
        ]

    async def fields(self, request: Request) -> Response:
        authorize(self.store, request)
        base = self.base(request)
        if request.method == "GET":
            return JSONResponse({"data": [field_out(f, base) for f in self.store.list_fields()]})
        data = data_of(await self.body(request), "field")
        values, errors = self._field_values(data, None)
        if errors:
            raise invalid(errors)
        row = self.store.create_field(values)
        return JSONResponse({"data": field_out(row, base)}, status_code=201)

    async def field(self, request: Request) -> Response:
        authorize(self.store, request)
        field_id = request.path_params["field_id"]
        row = self.store.get_field(field_id)
        if row is None:
            raise not_found("Field", f"No field with id {field_id!r}")
        if request.method == "GET":
            return JSONResponse({"data": field_out(row, self.base(request))})
        if request.method == "DELETE":
            self.store.delete_field(field_id)
            return Response(status_code=204)
        data = data_of(await self.body(request), "field")  # a data.id is ignored
        values, errors = self._field_values(data, row)
        if errors:
            raise invalid(errors)
        row = self.store.update_field(field_id, values)
        if row is None:  # deleted by another request while this one read its body
            raise not_found("Field", f"No field with id {field_id!r}")
        return JSONResponse({"data": field_out(row, self.base(request))})

    def _field_values(
        self, data: dict[str, Any], current: Row | None
    ) -> tuple[dict[str, Any], list[ErrorObject]]:
        """Validate a field create (``current`` None) or update; return the columns to store."""
        errors: list[ErrorObject] = []
        creating = current is None
        out: dict[str, Any] = {}
        for key, kind, check in ATTRIBUTE_CHECKS:
            if key not in data or (data[key] is None and key != "order"):
                if creating and key not in ("omit_null", "order"):
                    errors.append(failed(f"The data.{key} field is required.", f"data.{key}"))
                continue
            if not check(data[key]):
                errors.append(failed(f"The data.{key} field must be {kind}.", f"data.{key}"))
            elif (
                key == "order"
                and data[key] is not None
                and not F.INT64_MIN <= data[key] <= F.INT64_MAX
            ):
                errors.append(failed("The data.order field is out of range.", "data.order"))
            else:
                out[key] = data[key]

        # the flow it belongs to
        flow: Row | None
        if current is None:
            flow_id = None
            rel: Any = data.get("relationships")  # any JSON: a wrong shape raises, suppressed
            with contextlib.suppress(KeyError, TypeError):
                flow_id = rel["flow"]["data"]["id"]
            if not isinstance(flow_id, str):
                errors.append(
                    failed(
                        "The data.relationships.flow.data.id field is required.",
                        "data.relationships.flow.data.id",
                    )
                )
                flow = None
            else:
                flow = self.store.get_flow(flow_id)
                if flow is None:
                    errors.append(
                        failed(f"No flow with id {flow_id!r}.", "data.relationships.flow.data.id")
                    )
                elif self.store.count_fields(flow_id) >= MAX_FIELDS_PER_FLOW:
                    errors.append(
                        failed(
                            f"A flow can have at most {MAX_FIELDS_PER_FLOW} fields.",
                            "data.relationships.flow",
                        )
                    )
            out["flow_id"] = flow_id
        else:
            flow = self.store.get_flow(current["flow_id"])

        # type: fixed at creation
        field_type = out.get("field_type")
        if current is None:
            if field_type is not None and field_type not in F.FIELD_TYPES:
                errors.append(
                    failed(
                        f"The data.field_type field must be one of {', '.join(F.FIELD_TYPES)}.",
                        "data.field_type",
                    )
                )
                field_type = None
        else:
            if field_type is not None and field_type != current["field_type"]:
                errors.append(
                    failed(
                        "The field_type of a field cannot change "
                        f"(it is {current['field_type']!r}).",
                        "data.field_type",
                    )
                )
            out.pop("field_type", None)
            field_type = current["field_type"]

        # slug: reserved names, resource attributes, unique in its flow
        slug = out.get("slug")
        if slug is not None:
            problem = F.field_slug_problem(slug, flow["slug"] if flow else None)
            if problem:
                errors.append(failed(f"The data.slug field is invalid: {problem}.", "data.slug"))
            elif flow is not None and self.store.field_slug_taken(
                flow["id"], slug, None if current is None else current["id"]
            ):
                errors.append(
                    failed(f"The flow already has a field with slug {slug!r}.", "data.slug")
                )

        if field_type is None:
            return out, errors

        # rules, then the default against them
        if current is None or "validation_rules" in data:
            rules, problems = F.normalise_rules(field_type, data.get("validation_rules"))
            errors += [failed(p, "data.validation_rules") for p in problems]
            out["validation_rules"] = rules
        else:
            rules = current["validation_rules"]
        if not any(e.get("source") == "data.validation_rules" for e in errors):
            if "default" in data or "validation_rules" in data or creating:
                default = data["default"] if "default" in data else (current or {}).get("default")
                default, problem = F.normalise_default(field_type, rules, default)
                if problem:
                    errors.append(failed(f"The data.default field: {problem}.", "data.default"))
                else:
                    out["default"] = default
        if field_type == "relationship":
            out["required"] = False
        if creating:
            out.setdefault("omit_null", False)
            out.setdefault("order", None)
        return out, errors
