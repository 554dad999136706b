"""``/v2/flows``: flows, and the fields of one flow (read-only here; fields are written at
``/v2/fields``)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from flowtui.core import fields as F
from flowtui.sandbox.auth import authorize
from flowtui.sandbox.errors import ErrorObject, SandboxError, error, failed, invalid, not_found
from flowtui.sandbox.routes.base import Handlers
from flowtui.sandbox.serialisation import JSONResponse, data_of, field_out, flow_out

#: The attributes a flow has besides its id.
FLOW_ATTRIBUTES = ("name", "slug", "description", "enabled")


class FlowHandlers(Handlers):
    def routes(self) -> list[Route]:
        return [
            Route("/v2/flows", self.flows, methods=["GET", "POST"]),
            Route("/v2/flows/{flow_id}", self.flow, methods=["GET", "PUT", "DELETE"]),
            Route("/v2/flows/{slug}/fields", self.flow_fields, methods=["GET"]),
            Route("/v2/flows/{flow_id}/fields/{field_id}", self.flow_field, methods=["GET"]),
        ]

    async def flows(self, request: Request) -> Response:
        authorize(self.store, request)
        base = self.base(request)
        if request.method == "GET":
            return JSONResponse({"data": [flow_out(f, base) for f in self.store.list_flows()]})
        data = data_of(await self.body(request), "flow")
        errors = self._flow_errors(data, creating=True)
        if errors:
            raise invalid(errors)
        flow = self.store.create_flow(
            data["name"], data["slug"], data["description"], data["enabled"]
        )
        return JSONResponse({"data": flow_out(flow, base)}, status_code=201)

    def _flow_errors(
        self, data: dict[str, Any], creating: bool, flow_id: str | None = None
    ) -> list[ErrorObject]:
        errors = []
        for key, kind, check in (
            ("name", "a string", lambda v: isinstance(v, str) and v != ""),
            ("slug", "a string", lambda v: isinstance(v, str)),
            ("description", "a string", lambda v: isinstance(v, str)),
            ("enabled", "true or false", lambda v: isinstance(v, bool)),
        ):
            if key not in data or (data[key] is None and creating):
                if creating:
                    errors.append(failed(f"The data.{key} field is required.", f"data.{key}"))
            elif not check(data[key]):  # null included: an update cannot clear these
                errors.append(failed(f"The data.{key} field must be {kind}.", f"data.{key}"))
        slug = data.get("slug")
        if isinstance(slug, str):
            problem = F.flow_slug_problem(slug)
            if problem:
                errors.append(failed(f"The data.slug field is invalid: {problem}.", "data.slug"))
            else:
                other = self.store.get_flow_by_slug(slug)
                if other is not None and other["id"] != flow_id:
                    errors.append(failed(f"A flow with slug {slug!r} already exists.", "data.slug"))
                elif flow_id is not None:
                    # Renamed onto a core slug: its fields may not shadow the resource's own
                    # attributes, just as such fields could not be created on that flow.
                    for fld in self.store.list_fields(flow_id):
                        clash = F.field_slug_problem(fld["slug"], slug)
                        if clash:
                            errors.append(
                                failed(
                                    f"The data.slug field is invalid: field {fld['slug']!r} "
                                    f"cannot be on the {slug!r} flow ({clash}).",
                                    "data.slug",
                                )
                            )
        return errors

    async def flow(self, request: Request) -> Response:
        authorize(self.store, request)
        flow_id = request.path_params["flow_id"]
        flow = self.store.get_flow(flow_id)
        if flow is None:
            raise not_found("Flow", f"No flow with id {flow_id!r}")
        if request.method == "GET":
            return JSONResponse({"data": flow_out(flow, self.base(request))})
        if request.method == "DELETE":
            resource = F.core_resource(flow["slug"])
            if resource:
                raise SandboxError(
                    405,
                    [
                        error(
                            405,
                            "Method Not Allowed",
                            f"{flow['slug']!r} is a core flow (it extends the {resource} "
                            "resource) and cannot be deleted; change its slug first, then "
                            "delete it",
                        )
                    ],
                )
            self.store.delete_flow(flow_id)
            return Response(status_code=204)
        data = data_of(await self.body(request), "flow")  # a data.id is ignored
        errors = self._flow_errors(data, creating=False, flow_id=flow_id)
        if errors:
            raise invalid(errors)
        changes = {k: data[k] for k in FLOW_ATTRIBUTES if k in data}
        flow = self.store.update_flow(flow_id, changes)
        if flow is None:  # deleted by another request while this one read its body
            raise not_found("Flow", f"No flow with id {flow_id!r}")
        return JSONResponse({"data": flow_out(flow, self.base(request))})

    async def flow_fields(self, request: Request) -> Response:
        authorize(self.store, request)
        flow = self.flow_by_slug(request.path_params["slug"])
        base = self.base(request)
        return JSONResponse(
            {"data": [field_out(f, base) for f in self.store.list_fields(flow["id"])]}
        )

    async def flow_field(self, request: Request) -> Response:
        authorize(self.store, request)
        row = self.store.get_field(request.path_params["field_id"])
        if row is None or row["flow_id"] != request.path_params["flow_id"]:
            raise not_found(
                "Field", f"No field with id {request.path_params['field_id']!r} in that flow"
            )
        return JSONResponse({"data": field_out(row, self.base(request))})
