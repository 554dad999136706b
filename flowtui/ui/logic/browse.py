"""What the customer browser and editor decide, as pure functions (no Textual, no I/O).

* **Search**: EPCC can only AND filters, so "name or email" cannot be one query. Text with an
  ``@`` searches email (``like(email,*x*)``), anything else searches name (``like(name,*x*)``).
  Running both and merging would break server paging (two totals, two offsets), so we do not.
* **Sorting**: name, email, created or updated, either direction, always on the server.
* **Paging past the 10,000 offset cap**: EPCC refuses ``page[offset]`` above 10,000, so a page
  is planned (:func:`plan_page`) one of three ways: by offset when it can; by key from the
  page next to it for the ``created_at``/``updated_at`` sorts (``le``/``ge`` on the stamp,
  skipping the rows with the same stamp already seen, so ties by id are exact); or from the
  other end with the reversed sort when it lies within 10,000 of the end (this is also how
  the last page is fetched). Name and email cannot be filtered by range in EPCC (only
  ``eq``/``like``), so with those sorts the middle of a store larger than about 20,000
  matching customers cannot be reached: :class:`Unreachable` says so and what to do instead.
* **Editing**: :func:`form_changes` keeps only what the user changed; :func:`conflict_rows`
  lays out "theirs" beside "mine" when the customer changed on the server meanwhile.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from flowtui.api.models import Customer, Field

#: EPCC refuses ``page[offset]`` beyond this.
OFFSET_CAP = 10_000
PAGE_SIZE = 100
#: Sorts the browser offers, in the order ``s`` cycles through them.
SORT_CYCLE = ("created_at", "updated_at", "name", "email")
#: Sorts whose attribute EPCC can filter by range (so pages can be walked by key).
KEYSET_SORTS = ("created_at", "updated_at")
SORT_LABELS = {
    "created_at": "created",
    "updated_at": "updated",
    "name": "name",
    "email": "email",
}

Term = tuple[str, str, str]


# -- search ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Search:
    """A search as the store understands it: filter terms and a sentence describing them."""

    terms: tuple[Term, ...] = ()
    description: str = ""
    problem: str | None = None


def search_for(text: str) -> Search:
    """The filter for what was typed after ``/``.

    Text containing ``@`` searches email, anything else name; both are case-insensitive
    "contains" searches. ``*`` is dropped (EPCC treats it as a wildcard only at the ends) and
    a double quote cannot be searched for (EPCC has no escape for it inside a filter value).
    """
    text = text.strip().replace("*", "")
    if not text:
        return Search()
    if '"' in text:
        return Search(problem='a search cannot contain a double quote (")')
    attr = "email" if "@" in text else "name"
    return Search((("like", attr, f"*{text}*"),), f"{attr} contains “{text}”")


# -- sorting -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Sort:
    attr: str = "created_at"
    desc: bool = True

    @property
    def param(self) -> str:
        """The ``sort`` query parameter (``-created_at``)."""
        return f"-{self.attr}" if self.desc else self.attr

    def reversed(self) -> Sort:
        return Sort(self.attr, not self.desc)

    def describe(self) -> str:
        """``"newest first"``, ``"name A→Z"``, …"""
        if self.attr in KEYSET_SORTS:
            what = SORT_LABELS[self.attr]
            return f"{what} newest first" if self.desc else f"{what} oldest first"
        return f"{self.attr} Z→A" if self.desc else f"{self.attr} A→Z"


def next_sort(sort: Sort) -> Sort:
    """The sort ``s`` moves to: the next attribute, newest first for stamps, A→Z for text."""
    i = SORT_CYCLE.index(sort.attr) if sort.attr in SORT_CYCLE else -1
    attr = SORT_CYCLE[(i + 1) % len(SORT_CYCLE)]
    return Sort(attr, attr in KEYSET_SORTS)


def sort_key(customer: Customer, attr: str) -> str:
    return str(customer.value(attr) or "")


# -- page plans --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Edge:
    """The sort value at one edge of a loaded page, and how many rows with that value lie at
    that edge and beyond it on the side already seen (what a keyset query must skip)."""

    stamp: str
    ties: int


@dataclass(frozen=True, slots=True)
class Loaded:
    """What a planner needs to know about the page on screen."""

    offset: int
    count: int
    first: Edge | None = None
    last: Edge | None = None


@dataclass(frozen=True, slots=True)
class Plan:
    """How to fetch the page at logical ``offset``: send ``sort``, ``filters`` (ANDed with the
    search), ``page[offset]=query_offset``, ``page[limit]=limit``; reverse the items when
    ``reverse`` (they came in the opposite order)."""

    offset: int
    limit: int
    sort: str
    query_offset: int
    filters: tuple[Term, ...] = ()
    reverse: bool = False
    how: str = "offset"  # offset | keyset | from-end


@dataclass(frozen=True, slots=True)
class Unreachable:
    offset: int
    reason: str


def last_page_offset(total: int, limit: int = PAGE_SIZE) -> int:
    return 0 if total <= 0 else ((total - 1) // limit) * limit


def plan_page(
    target: int,
    total: int,
    sort: Sort,
    *,
    limit: int = PAGE_SIZE,
    current: Loaded | None = None,
    cap: int = OFFSET_CAP,
) -> Plan | Unreachable:
    """How to fetch the page starting at logical offset ``target`` (see the module doc)."""
    target = max(0, target)
    if target <= cap:
        return Plan(target, limit, sort.param, target)
    if sort.attr in KEYSET_SORTS and current is not None:
        if target == current.offset + current.count and current.last is not None:
            op = "le" if sort.desc else "ge"
            skip = current.last.ties
            if skip <= cap:
                filters = ((op, sort.attr, current.last.stamp),)
                return Plan(target, limit, sort.param, skip, filters, how="keyset")
        if target == current.offset - limit and current.first is not None:
            op = "ge" if sort.desc else "le"
            skip = current.first.ties
            if skip <= cap:
                filters = ((op, sort.attr, current.first.stamp),)
                param = sort.reversed().param
                return Plan(target, limit, param, skip, filters, reverse=True, how="keyset")
    count = min(limit, total - target)
    from_end = total - target - count
    if count > 0 and 0 <= from_end <= cap:
        return Plan(target, count, sort.reversed().param, from_end, reverse=True, how="from-end")
    if sort.attr in KEYSET_SORTS:
        reason = (
            f"Customers {target + 1:,}-{target + limit:,} can only be reached page by page "
            "from a neighbouring page (the store caps offsets at 10,000)."
        )
    else:
        reason = (
            f"Sorted by {sort.attr}, the store can reach only the first and last "
            f"{cap:,} customers: EPCC caps offsets at {cap:,} and cannot filter "
            f"{sort.attr}s by range. Sort by created or updated (s) or search (/) to reach "
            "the ones in between."
        )
    return Unreachable(target, reason)


def _run(values: Sequence[str]) -> int:
    """How many values at the start of ``values`` equal the first."""
    n = 0
    for value in values:
        if value != values[0]:
            break
        n += 1
    return n


def loaded(
    plan: Plan, items: Sequence[Customer], sort: Sort, previous: Loaded | None = None
) -> Loaded:
    """Describe a page just fetched by ``plan`` (items in view order), chaining tie counts
    with ``previous`` when the new page is its neighbour and is one run of a single value."""
    if not items:
        return Loaded(plan.offset, 0)
    keys = [sort_key(c, sort.attr) for c in items]
    head, tail = _run(keys), _run(keys[::-1])
    first, last = Edge(keys[0], head), Edge(keys[-1], tail)
    if previous is not None and head == len(keys):
        if plan.offset == previous.offset + previous.count and previous.last:
            if previous.last.stamp == keys[-1]:
                last = Edge(keys[-1], tail + previous.last.ties)
        if plan.offset + len(items) == previous.offset and previous.first:
            if previous.first.stamp == keys[0]:
                first = Edge(keys[0], head + previous.first.ties)
    return Loaded(plan.offset, len(items), first, last)


def page_range(offset: int, count: int, total: int, noun: str = "customers") -> str:
    """``"201-300 of 12,345 customers"`` (or an empty-state sentence)."""
    if total == 0:
        return f"No {noun} yet."
    if count == 0:
        return f"No {noun} on this page (of {total:,})."
    return f"{offset + 1:,}-{offset + count:,} of {total:,} {noun}"


# -- columns -----------------------------------------------------------------------------

BASE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("name", "Name"),
    ("email", "Email"),
    ("external_ref", "External ref"),
    ("id", "Id"),
    ("created_at", "Created"),
    ("updated_at", "Updated"),
)


def column_options(fields: Iterable[Field]) -> list[tuple[str, str]]:
    """Every column the browser can show: ``(key, label)``, base first, then custom fields
    (key ``custom:<slug>``, labelled by the field's name)."""
    options = list(BASE_COLUMNS)
    options += [(f"custom:{f.slug}", f.name or f.slug) for f in fields]
    return options


def default_columns(fields: Iterable[Field]) -> list[str]:
    return ["name", "email", *(f"custom:{f.slug}" for f in fields), "created_at"]


COLUMN_WIDTHS = {
    "name": 24,
    "email": 28,
    "external_ref": 14,
    "id": 36,
    "created_at": 16,
    "updated_at": 16,
}


def column_width(key: str, label: str) -> int:
    """A fixed width per column, so one long value cannot push the others off screen."""
    return COLUMN_WIDTHS.get(key, min(max(len(label), 10), 20))


#: How wide the columns that hold long text may grow when the table has room to spare.
GROW_TO = {"email": 48, "name": 36, "external_ref": 24}


def column_widths(heads: list[tuple[str, str]], room: int) -> list[int]:
    """The width of each ``(key, label)`` column when the table is ``room`` cells wide: the
    fixed :func:`column_width`, and the room left over (each column also takes 2 cells of
    padding) shared out to the email, name and external ref columns, up to :data:`GROW_TO`,
    so a wide terminal shows long addresses whole (issue 16) and a narrow one is unchanged."""
    widths = [column_width(key, label) for key, label in heads]
    spare = room - sum(widths) - 2 * len(heads)
    growing = [i for i, (key, _) in enumerate(heads) if key in GROW_TO]
    while spare > 0 and growing:
        share = max(1, spare // len(growing))
        for i in list(growing):
            extra = min(share, GROW_TO[heads[i][0]] - widths[i], spare)
            widths[i] += extra
            spare -= extra
            if widths[i] >= GROW_TO[heads[i][0]]:
                growing.remove(i)
            if spare <= 0:
                break
    return widths


def cell_value(customer: Customer, key: str) -> Any:
    """The value a column shows (None, shown blank, when the customer has none)."""
    if key.startswith("custom:"):
        return customer.custom.get(key[7:])
    if key in ("created_at", "updated_at"):
        stamp = customer.value(key) or ""
        return stamp[:16].replace("T", " ") if stamp else None
    return customer.value(key)


# -- editing -----------------------------------------------------------------------------


def form_changes(initial: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """What an update must send: the form values that differ from what the form opened with
    (type included, so 1 and 1.0 and True differ), plus a non-empty password."""
    changes: dict[str, Any] = {}
    for key, value in current.items():
        if key == "password":
            if value:
                changes[key] = value
            continue
        before = initial.get(key)
        if before != value or type(before) is not type(value):
            changes[key] = value
    return changes


@dataclass(frozen=True, slots=True)
class ConflictRow:
    key: str
    label: str
    original: Any
    theirs: Any
    mine: Any
    who: str  # "you", "they", "both"


def conflict_rows(
    original: Customer,
    theirs: Customer,
    mine: dict[str, Any],
    labels: dict[str, str] | None = None,
) -> list[ConflictRow]:
    """Each attribute changed by you (``mine``) or by them since the form opened, with the
    value when the form opened, theirs now and yours. A password is never shown."""
    labels = labels or {}
    keys = ["name", "email", "external_ref"]
    keys += sorted(set(original.custom) | set(theirs.custom))
    rows: list[ConflictRow] = []
    for key in [*keys, "password"]:
        if key == "password":
            they = original.has_password != theirs.has_password
            you = bool(mine.get("password"))
            if they or you:
                rows.append(
                    ConflictRow(
                        key,
                        labels.get(key, "Password"),
                        "set" if original.has_password else "not set",
                        "set" if theirs.has_password else "not set",
                        "(new password)" if you else "(unchanged)",
                        "both" if they and you else ("you" if you else "they"),
                    )
                )
            continue
        before, now = original.value(key), theirs.value(key)
        they = before != now
        you = key in mine
        if they or you:
            who = "both" if they and you else ("you" if you else "they")
            rows.append(
                ConflictRow(key, labels.get(key, key), before, now, mine.get(key, before), who)
            )
    return rows
