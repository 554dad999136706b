"""``/v2/flows/{slug}/entries``: entries of custom flows, and their relationship fields."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from flowtui.core import fields as F
from flowtui.sandbox import query as Q
from flowtui.sandbox.auth import authorize
from flowtui.sandbox.errors import bad_request, failed, invalid, not_found
from flowtui.sandbox.routes.base import Handlers
from flowtui.sandbox.serialisation import JSONResponse, data_of, entry_out
from flowtui.sandbox.store import ENTRY_SORT_COLUMNS, Row
from flowtui.sandbox.values import apply_values

#: What may be filtered on entries, and with which operators.
ENTRY_FILTERS: dict[str, frozenset[str]] = {"id": frozenset({"eq", "in"})}


class EntryHandlers(Handlers):
    def routes(self) -> list[Route]:
        return [
            Route("/v2/flows/{slug}/entries", self.entries, methods=["GET", "POST"]),
            Route(
                "/v2/flows/{slug}/entries/{entry_id}",
                self.entry,
                methods=["GET", "PUT", "DELETE"],
            ),
            Route(
                "/v2/flows/{slug}/entries/{entry_id}/relationships/{field_slug}",
                self.entry_relationship,
                methods=["POST", "PUT", "DELETE"],
            ),
        ]

    def _custom_flow(self, slug: str) -> Row:
        """The flow with this slug; 422 when it is a core flow (its values are attributes)."""
        flow = self.flow_by_slug(slug)
        resource = F.core_resource(slug)
        if resource:
            raise invalid(
                [
                    failed(
                        f"{slug!r} is a core flow: its values are attributes of the {resource} "
                        "resource, not entries"
                    )
                ]
            )
        return flow

    async def entries(self, request: Request) -> Response:
        authorize(self.store, request)
        slug = request.path_params["slug"]
        flow = self._custom_flow(slug)
        fields = self.store.list_fields(flow["id"])
        base = self.base(request)
        if request.method == "GET":
            params = self.params(request)
            try:
                limit, offset = Q.parse_page(params)
                terms = Q.parse_filter(params["filter"]) if params.get("filter") else []
                Q.check_terms(terms, ENTRY_FILTERS, "entries")
                sort = Q.parse_sort(params.get("sort"), frozenset(ENTRY_SORT_COLUMNS), "created_at")
            except Q.QueryError as exc:
                raise bad_request(exc.detail, exc.parameter) from None
            rows, total = self.store.list_entries(flow["id"], terms, sort, limit, offset)
            keep = {k: v for k, v in params.items() if k in ("filter", "sort")}
            return JSONResponse(
                Q.page_body(
                    [entry_out(r, fields, slug, base) for r in rows],
                    total=total,
                    limit=limit,
                    offset=offset,
                    url=f"{base}/v2/flows/{slug}/entries",
                    keep=keep,
                )
            )
        data = data_of(await self.body(request), "entry")
        vals, errors = apply_values(
            data, fields, {}, creating=True, make=failed, limit=self.config.max_values_bytes
        )
        if errors:
            raise invalid(errors)
        row = self.store.create_entry(flow["id"], vals)
        return JSONResponse({"data": entry_out(row, fields, slug, base)}, status_code=201)

    async def entry(self, request: Request) -> Response:
        authorize(self.store, request)
        slug, entry_id = request.path_params["slug"], request.path_params["entry_id"]
        flow = self._custom_flow(slug)
        row = self.store.get_entry(flow["id"], entry_id)
        if row is None:
            raise not_found("Entry", f"No entry with id {entry_id!r} in flow {slug!r}")
        fields = self.store.list_fields(flow["id"])
        base = self.base(request)
        if request.method == "GET":
            return JSONResponse({"data": entry_out(row, fields, slug, base)})
        if request.method == "DELETE":
            self.store.delete_entry(flow["id"], entry_id)
            return Response(status_code=204)
        data = data_of(await self.body(request), "entry")  # a data.id is ignored
        vals, errors = apply_values(
            data,
            fields,
            row["vals"],
            creating=False,
            make=failed,
            limit=self.config.max_values_bytes,
        )
        if errors:
            raise invalid(errors)
        row = self.store.update_entry(flow["id"], entry_id, vals)
        if row is None:  # deleted by another request while this one read its body
            raise not_found("Entry", f"No entry with id {entry_id!r} in flow {slug!r}")
        return JSONResponse({"data": entry_out(row, fields, slug, base)})

    async def entry_relationship(self, request: Request) -> Response:
        authorize(self.store, request)
        slug, entry_id = request.path_params["slug"], request.path_params["entry_id"]
        field_slug = request.path_params["field_slug"]
        flow = self._custom_flow(slug)
        row = self.store.get_entry(flow["id"], entry_id)
        if row is None:
            raise not_found("Entry", f"No entry with id {entry_id!r} in flow {slug!r}")
        fld = next(
            (
                f
                for f in self.store.list_fields(flow["id"])
                if f["slug"] == field_slug and f["enabled"]
            ),
            None,
        )
        if fld is None:
            raise not_found("Field", f"Flow {slug!r} has no enabled field {field_slug!r}")
        if fld["field_type"] != "relationship":
            raise invalid([failed(f"Field {field_slug!r} is not a relationship field.")])
        rels = dict(row["rels"])
        if request.method == "DELETE":
            rels[fld["id"]] = None
            self.store.update_entry(flow["id"], entry_id, row["vals"], rels)
            return Response(status_code=204)
        body = await self.body(request)
        items = body.get("data") if isinstance(body, dict) else None
        if isinstance(items, dict):
            items = [items]
        rule = F.relationship_rule(fld["validation_rules"]) or {"type": "one-to-many", "to": ""}
        problems = []
        if not isinstance(items, list):
            problems.append("The data field must be a list of {type, id} objects.")
            items = []
        for i, item in enumerate(items):
            if not (
                isinstance(item, dict)
                and isinstance(item.get("id"), str)
                and item["id"]
                and isinstance(item.get("type"), str)
            ):
                problems.append(f"data[{i}] must be an object with a type and an id.")
            elif rule["to"] and item["type"] != rule["to"]:
                problems.append(f"data[{i}].type must be {rule['to']!r}.")
        if problems:
            raise invalid([failed(p, "data") for p in problems])
        new = [{"type": it["type"], "id": it["id"]} for it in items]
        value: Any
        if rule["type"] == "one-to-one":
            if len(new) > 1:
                raise invalid([failed("A one-to-one relationship takes a single item.", "data")])
            value = new[0] if new else None
            result = new
        else:
            existing = (rels.get(fld["id"]) or []) if request.method == "POST" else []
            merged = list(existing)
            for it in new:
                if it not in merged:
                    merged.append(it)
            value = merged or None
            result = merged
        rels[fld["id"]] = value
        self.store.update_entry(flow["id"], entry_id, row["vals"], rels)
        return JSONResponse({"data": result}, status_code=201)
