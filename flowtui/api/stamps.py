"""The store's timestamps (no Textual): parsed, written and compared as a walk by key
(:mod:`flowtui.api.paging`) needs them.

A store writes ``2024-05-01T12:00:00.000Z`` (UTC, milliseconds, ``Z``: 24 characters) and
compares stamps in that form as text. A stamp in another form (microseconds, an offset) is
compared by time as well, so a check never calls it out of order on text alone.
"""

from __future__ import annotations

import datetime as dt


def parse_stamp(value: str) -> dt.datetime:
    """A store timestamp (ISO 8601, ``Z`` for UTC) as an aware datetime."""
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def format_stamp(value: dt.datetime) -> str:
    """``value`` as the store writes timestamps: UTC, milliseconds, ``Z``."""
    value = value.astimezone(dt.UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def before(a: str, b: str, *, certain: bool = True) -> bool:
    """Whether timestamp ``a`` is before ``b``. Stores compare their own form (milliseconds,
    ``Z``) as text; for another form, text order and time order may differ, so a check only
    calls ``a`` before ``b`` when both orders say so (``certain``), or when either does."""
    if len(a) == len(b) == 24:
        return a < b
    both = (a < b, time_order(a) < time_order(b))
    return all(both) if certain else any(both)


def plainly_inside(stamps: list[str], lower: tuple[str, str, str] | None, hi: str | None) -> bool:
    """Whether ``stamps``, all in the store's form, rise strictly within the bounds (the
    usual page), checked without a step per stamp; when not, a walk looks at each. A bound
    in another form is compared as text: when text calls a stamp outside, the look at each
    decides (:func:`before` calls it outside only when time agrees)."""
    if not stamps:
        return True
    if min(map(len, stamps)) != 24 or max(map(len, stamps)) != 24:
        return False
    if lower is not None:
        op, _, value = lower
        if stamps[0] < value or (op == "gt" and stamps[0] == value):
            return False
    if hi is not None and stamps[-1] >= hi:
        return False
    return all(map(str.__lt__, stamps, stamps[1:]))


def time_order(stamp: str) -> str:
    """``stamp`` as text that sorts in time order whatever its precision (microseconds,
    ``Z``): the store's own form (milliseconds, ``Z``) is padded, anything else is parsed;
    text that is no timestamp stays as it is."""
    if len(stamp) == 24 and stamp[19] == "." and stamp[23] == "Z":
        return stamp[:23] + "000Z"
    try:
        value = parse_stamp(stamp)
    except ValueError:
        return stamp
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
