"""A search of the local index as SQL steps (no Textual): each parsed query condition becomes
a :class:`Step` that either selects the matching customers' row ids or filters the hits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flowtui.index import query as Q
from flowtui.index.writer import MAX_FIELDS, SHIFT


def _like(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _phrase(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


_CMP = {"=": "=", "!=": "=", ">": ">", ">=": ">=", "<": "<", "<=": "<="}


def _range(column: str, op: str, value: str, end: str | None) -> tuple[str, list[Any]]:
    """A comparison of a date or timestamp ``column`` with a date that may name a period."""
    if end is None:
        return f"{column} {_CMP[op]} ?", [value]
    if op in ("=", "!="):
        return f"({column} >= ? AND {column} < ?)", [value, end]
    if op == "<=":
        return f"{column} < ?", [end]
    if op == ">":
        return f"{column} >= ?", [end]
    return f"{column} {op} ?", [value]


@dataclass(frozen=True, slots=True)
class Step:
    """One condition as SQL. ``kind`` says how it applies:

    * ``"set"``: ``sql`` is a SELECT of customer row ids (full-text matches, scans);
    * ``"value"``: ``sql`` is a condition on one value row (``num``, ``txt``, ``day``) of field
      number ``fno``, checked by row id ``(customer << 10) | fno`` without any search;
    * ``"customer"``: ``sql`` is a condition on the customers table's own columns.

    ``negate``: the customers for whom it does *not* hold (``!=``).
    """

    kind: str
    sql: str
    args: tuple
    negate: bool = False
    fno: int = -1

    def select(self) -> tuple[str, list[Any]]:
        """A SELECT of the row ids of the customers for whom ``sql`` holds."""
        if self.kind == "set":
            return self.sql, list(self.args)
        if self.kind == "value":
            return f"SELECT n >> {SHIFT} FROM vals WHERE f = ? AND {self.sql}", [
                self.fno,
                *self.args,
            ]
        return f"SELECT n FROM customers WHERE {self.sql}", list(self.args)

    def filter(self) -> tuple[str, list[Any]]:
        """A DELETE that keeps in ``temp.hits`` only the customers this step lets through."""
        keep_if = "NOT " if not self.negate else ""
        if self.kind == "set":
            return f"DELETE FROM temp.hits WHERE n {keep_if}IN ({self.sql})", list(self.args)
        if self.kind == "value":
            probe = f"SELECT 1 FROM vals v WHERE v.n = (temp.hits.n << {SHIFT}) | ? AND {self.sql}"
            return f"DELETE FROM temp.hits WHERE {keep_if}EXISTS ({probe})", [
                self.fno,
                *self.args,
            ]
        probe = f"SELECT 1 FROM customers c WHERE c.n = temp.hits.n AND {self.sql}"
        return f"DELETE FROM temp.hits WHERE {keep_if}EXISTS ({probe})", list(self.args)


def plan_conditions(conditions: Sequence[Q.Condition], fnos: dict[str, int]) -> list[Step]:
    """Each condition as a :class:`Step` (``fnos`` maps field slugs to their numbers)."""
    steps: list[Step] = []
    for cond in conditions:
        field = cond.field
        fno = -1 if field is None else fnos.get(field.column, -1)
        negate = cond.op == "!="
        if field is None or (field.kind == Q.TEXT and cond.op == ":"):
            value = str(cond.value)
            if len(value) >= 3:
                sql = f"SELECT rowid >> {SHIFT} FROM fts WHERE fts MATCH ?"
                args: list[Any] = [_phrase(value)]
                if field is not None:
                    sql += f" AND (rowid & {MAX_FIELDS}) = ?"
                    args.append(fno)
                steps.append(Step("set", sql, tuple(args)))
            elif field is None:  # too short for trigrams: scan the text values
                sql = f"SELECT n >> {SHIFT} FROM vals WHERE txt LIKE ? ESCAPE '\\'"
                steps.append(Step("set", sql, (_like(value),)))
            else:
                steps.append(Step("value", "txt LIKE ? ESCAPE '\\'", (_like(value),), fno=fno))
        elif field.kind == Q.STAMP:
            where, args = _range(field.column, cond.op, str(cond.value), cond.end)
            steps.append(Step("customer", where, tuple(args), negate))
        else:
            if field.kind == Q.TEXT:
                where, args = "txt = ? COLLATE NOCASE", [cond.value]
            elif field.kind in (Q.NUMBER, Q.BOOLEAN):
                where, args = f"num {_CMP[cond.op]} ?", [cond.value]
            elif cond.op == ":":  # dates: contains, as text
                where, args = "day LIKE ? ESCAPE '\\'", [_like(str(cond.value))]
            else:
                where, args = _range("day", cond.op, str(cond.value), cond.end)
            steps.append(Step("value", where, tuple(args), negate, fno))
    return steps
