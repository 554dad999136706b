"""Custom values (of entries, and of customers through the core ``customers`` flow) checked
against the enabled fields of their flow, by the rules of :mod:`flowtui.core.fields`."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from flowtui.core import fields as F
from flowtui.sandbox.errors import ErrorObject
from flowtui.sandbox.store import Row

#: Builds the error object for one bad value: ``make(detail, source)``.
MakeError = Callable[[str, str], ErrorObject]


def apply_values(
    data: dict[str, Any],
    fields: list[Row],
    stored: dict[str, Any],
    *,
    creating: bool,
    make: MakeError,
    limit: int,
) -> tuple[dict[str, Any], list[ErrorObject]]:
    """Check the custom values in ``data`` against the flow's enabled fields.

    Returns the new stored values (keyed by field id; null removes a value so the default shows
    again) and one error per bad field. Keys that are not enabled fields are ignored. The new
    values together may take ``limit`` bytes of JSON (UTF-8).
    """
    out = dict(stored)
    errors: list[ErrorObject] = []
    for f in fields:
        if not f["enabled"]:
            continue
        slug, source = f["slug"], f"data.{f['slug']}"
        if slug not in data:
            if creating and f["required"]:
                errors.append(make(f"The data.{slug} field is required.", source))
            continue
        value = data[slug]
        if f["field_type"] == "relationship":
            errors.append(
                make(
                    f"The data.{slug} field is a relationship: set it with "
                    f".../relationships/{slug}.",
                    source,
                )
            )
            continue
        if value is None:
            if f["required"]:
                errors.append(make(f"The data.{slug} field is required.", source))
            else:
                out.pop(f["id"], None)
            continue
        problem = F.value_problem(f["field_type"], f["validation_rules"], value)
        if problem:
            errors.append(make(f"The data.{slug} field {problem}.", source))
        else:
            out[f["id"]] = value
    if not errors and out != stored:
        size = len(json.dumps(out, ensure_ascii=False).encode("utf-8", "replace"))
        if size > limit:
            detail = (
                f"The custom values would take {size} bytes; together they may take at most "
                f"{limit} bytes."
            )
            errors.append(make(detail, "data"))
    return out, errors
