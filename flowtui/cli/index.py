"""``flowtui index sync / search / status``: the local search index of customers.

EPCC cannot filter customers on custom fields, so flowtui keeps a SQLite index per profile
(:mod:`flowtui.index`); these commands fill it, search it and describe it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from flowtui.cli.common import (
    CommandError,
    _positive,
    add_profile_option,
    reported,
    run_async,
)
from flowtui.cli.progress import Progress

if TYPE_CHECKING:
    from flowtui.config.resolve import Resolved
    from flowtui.index import CustomerIndex, SyncResult


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``flowtui index ACTION``: each action's parser names its own handler."""
    idx = sub.add_parser(
        "index",
        help="the local search index of customers and their custom fields",
        description="EPCC cannot filter customers on custom fields, so flowtui keeps a local "
        "index per profile (SQLite in the cache directory), synced by updated_at, and searches "
        "it: `flowtui index search 'delivery_notes:knope loyalty_tier>=4'`.",
    )
    isub = idx.add_subparsers(dest="index_command", metavar="ACTION", required=True)
    isync = isub.add_parser(
        "sync",
        help="bring the index up to date (the first sync reads every customer)",
        description="Read what changed since the last sync (or every customer the first time) "
        "into the profile's index, with progress on stderr.",
    )
    isync.add_argument("--full", action="store_true", help="rebuild from scratch")
    isync.set_defaults(handler=reported(sync))
    isearch = isub.add_parser(
        "search",
        help="search the index",
        description="Terms are ANDed: field:text (contains), field=value, field!=value, "
        'field>=n, field<=n, field>n, field<n, quoted values (field:"two words"), and bare '
        "words (contained in name, email or any custom text field). Fields by slug or name, "
        "spaces as underscores.",
    )
    isearch.add_argument("query", help="e.g. 'delivery_notes:knope loyalty_tier>=4'")
    isearch.add_argument(
        "--limit", type=_positive(int), default=50, help="matches shown (default: %(default)s)"
    )
    isearch.set_defaults(handler=reported(search))
    istatus = isub.add_parser(
        "status",
        help="how many customers the index holds and how old it is",
        description="Show the profile's index: where it is, how many customers it holds, "
        "when it was last synced and its size.",
    )
    istatus.set_defaults(handler=reported(status))
    for action in isub.choices.values():
        add_profile_option(action)


@contextmanager
def _opened(args: argparse.Namespace) -> Iterator[tuple[Resolved, CustomerIndex]]:
    """The profile of ``--profile`` and its index, closed at the end."""
    import sqlite3

    from flowtui.config.resolve import resolve
    from flowtui.index import CustomerIndex, index_path

    resolved = resolve(args.profile)
    path = index_path(resolved.profile.name)
    try:
        index = CustomerIndex(path)
    except (OSError, sqlite3.Error) as exc:
        raise CommandError(f"cannot open the index {path}: {exc}") from None
    try:
        yield resolved, index
    finally:
        index.close()


def sync(args: argparse.Namespace) -> int:
    """Bring the index up to date (``--full``: rebuild it), with progress on stderr."""
    from flowtui.index import sync_index
    from flowtui.ops.connect import service_for

    with _opened(args) as (resolved, index), Progress("customers", verb="Indexed") as progress:

        async def run() -> SyncResult:
            async with service_for(resolved) as service:
                return await sync_index(index, service, progress=progress, full=args.full)

        result = run_async(run())
        progress.finish(result.fetched)
        gone = f", {result.deleted:,} deleted" if result.deleted else ""
        print(
            f"{result.mode.capitalize()} sync of profile {resolved.profile.name}: the index "
            f"holds {result.count:,} customers{gone}.",
            file=sys.stderr,
        )
    return 0


def search(args: argparse.Namespace) -> int:
    """The matches on stdout, one a line with the fields the query names; the count on
    stderr."""
    from flowtui.core.textsafe import printable
    from flowtui.index import QueryError, age_text

    with _opened(args) as (resolved, index):
        name = resolved.profile.name
        if index.synced_at is None:
            raise CommandError(
                f"the index of profile {name} is empty: run `flowtui index sync "
                f"--profile {name}` first"
            )
        try:
            result = index.search(args.query, limit=args.limit)
        except QueryError as exc:
            raise CommandError(f"cannot search: {exc}") from None
        shown = [c.field for c in result.conditions if c.field and not c.field.base]
        for customer in result.customers:
            parts = [customer.name, f"<{customer.email}>", customer.id]
            for field in dict.fromkeys(shown):
                parts.append(f"{field.column}={customer.custom.get(field.column)}")
            print(printable("  ".join(parts)))
        print(
            f"{len(result.customers):,} of {result.total:,} matches · index "
            f"{age_text(index.age())}",
            file=sys.stderr,
        )
    return 0


def status(args: argparse.Namespace) -> int:
    """Where the index is, what it holds, when it was synced and its size."""
    import datetime as dt

    from flowtui.core.textsafe import printable
    from flowtui.index import age_text

    with _opened(args) as (resolved, index):
        status = index.status()
        synced = "never"
        if status.synced_at is not None:
            when = dt.datetime.fromtimestamp(status.synced_at, dt.UTC)
            synced = f"{when:%Y-%m-%d %H:%M:%S} UTC ({age_text(status.age)})"
        rows = [
            ("profile", resolved.profile.name),
            ("store", status.base_url or resolved.profile.base_url),
            ("customers", f"{status.count:,}"),
            ("synced", synced),
            ("newest", status.watermark or "-"),
            ("file", f"{status.path} ({status.size / 1e6:.1f} MB)"),
        ]
        for key, value in rows:
            print(f"{key:<10} {printable(value)}")
    return 0
