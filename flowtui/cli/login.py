"""``flowtui login [--check [NAME]]``: prove a profile's credentials work against its store
(checking is what ``login`` does: ``flowtui login`` alone checks the default profile)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from flowtui.cli.common import ExamplesFormatter, reported, resolve_for, run_async, when

if TYPE_CHECKING:
    from flowtui.config.secrets import CachedToken

LOGIN_EXAMPLES = """examples:
  flowtui login                  the default profile
  flowtui login --check          the same
  flowtui login --check shop     the profile named shop
"""


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``flowtui login [--check [NAME]]``."""
    login = sub.add_parser(
        "login",
        help="log in with a profile and report the token",
        description="Authenticate with a profile's credentials and print the token's kind "
        "and expiry (never the token itself).",
        epilog=LOGIN_EXAMPLES,
        formatter_class=ExamplesFormatter,
    )
    login.set_defaults(handler=reported(check_login))
    login.add_argument(
        "--check",
        metavar="NAME",
        nargs="?",
        const="",
        help="the profile to check (default, or --check alone: the default profile)",
    )


def check_login(args: argparse.Namespace) -> int:
    """Log in (or reuse the cached token after one real request) and print the token's kind
    and expiry, never the token."""
    from flowtui.ops.connect import service_for

    resolved = resolve_for(args, args.check or None)

    async def check() -> tuple[CachedToken, bool | None]:
        async with service_for(resolved) as service:
            # A real request, so a cached token is proven to work against a store that
            # answers (it is reused, not replaced, while it is valid).
            await service.list_flows()
            token = await service.login()
            return token, service.is_sandbox

    token, sandbox = run_async(check())
    where = resolved.profile.base_url + (" (flowtui sandbox)" if sandbox else "")
    print(
        f"Logged in to {where} as {resolved.profile.name!r}: {token.kind} token, "
        f"expires {when(token.expires)}"
    )
    return 0
