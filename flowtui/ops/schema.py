"""Carrying a design between stores: pull, plan and apply flows, fields and entries (no Textual).

The shared interface of ``flowtui schema`` (:mod:`flowtui.cli.schema`) and the app's compare
view. The parts live beside it:

* :mod:`.schema_file`: :class:`Schema`, :class:`FlowSpec`, :class:`FieldSpec`,
  :class:`EntrySpec` and the TOML file (``Schema.to_toml()`` / ``Schema.from_toml()``);
* :mod:`.schema_plan`: :func:`plan` (pure) and :class:`Plan`, :class:`PlanItem`,
  :class:`Change`;
* :mod:`.schema_pull`: :func:`pull` (a store's design) and :func:`count_values`;
* :mod:`.schema_apply`: :func:`apply` (paced, journaled, resumable) and :class:`ApplyReport`.
"""

from __future__ import annotations

from flowtui.ops.schema_apply import (
    ApplyReport,
    SchemaApplyError,
    apply,
    load_unfinished,
    state_path_for,
)
from flowtui.ops.schema_file import (
    EntrySpec,
    FieldSpec,
    FlowSpec,
    Schema,
    SchemaFileError,
)
from flowtui.ops.schema_plan import Change, Plan, PlanItem, plan, plan_lines, summary
from flowtui.ops.schema_pull import count_values, pull, pull_with_notes

__all__ = [
    "ApplyReport",
    "Change",
    "EntrySpec",
    "FieldSpec",
    "FlowSpec",
    "Plan",
    "PlanItem",
    "Schema",
    "SchemaApplyError",
    "SchemaFileError",
    "apply",
    "count_values",
    "load_unfinished",
    "plan",
    "plan_lines",
    "pull",
    "pull_with_notes",
    "state_path_for",
    "summary",
]
