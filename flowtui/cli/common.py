"""What every command shares: the help layout, argument types, the one-line failure, running a
coroutine, and the profile a command talks to.

Only the standard library is imported here; the layers below are imported inside the
functions that need them, so ``flowtui --help`` and ``flowtui --demo`` start fast.
"""

from __future__ import annotations

import argparse
import functools
import sys
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from flowtui.config.profiles import Profile
    from flowtui.config.resolve import Resolved

T = TypeVar("T")
N = TypeVar("N", int, float)

Handler = Callable[[argparse.Namespace], int]
"""A command: its parsed arguments in, its exit code out."""

PROFILE_OPTION_HELP = "profile (default: the default profile)"


class ExamplesFormatter(argparse.HelpFormatter):
    """Wraps descriptions as usual but keeps an epilog of examples as it is written."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if text.startswith("examples:"):
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)


# -- argument types: argparse names the function in "invalid _fraction value: 'x'", so the
# names are part of the output and stay as they were.


def _fraction(text: str) -> float:
    """A number from 0 to 1."""
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError("must be between 0 and 1")
    return value


def _positive(kind: Callable[[str], N]) -> Callable[[str], N]:
    """A ``kind`` (int or float) greater than 0."""

    def parse(text: str) -> N:
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError("must be greater than 0")
        return value

    return parse


def _non_negative_int(text: str) -> int:
    """A whole number, 0 or more."""
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def add_profile_option(parser: argparse.ArgumentParser) -> None:
    """``--profile NAME``: the profile a command uses."""
    parser.add_argument("--profile", metavar="NAME", help=PROFILE_OPTION_HELP)


# -- failures ----------------------------------------------------------------------------------


class CommandError(Exception):
    """A failure a command reports as one line on stderr (exit code 1)."""


#: The exit status after an unexpected exception (a bug): EX_SOFTWARE of sysexits.h.
UNEXPECTED = 70


def fail_text(exc: BaseException, target: Profile | None = None) -> str:
    """One line for a failure; ``target`` (the profile being used) lets a refused login or
    an unreachable store say what to do (see :mod:`flowtui.api.advice`). Never a secret:
    errors carry the method and path of a request, not its credentials."""
    from flowtui.api.advice import advice
    from flowtui.api.errors import ApiError

    if target is not None and (text := advice(exc, target.base_url, target.client_id)):
        return text
    if isinstance(exc, ApiError):
        where = f" ({exc.method} {exc.path})" if exc.method and exc.path else ""
        return f"{exc.kind}: {exc.summary}{where}"
    return str(exc)


def reported(handler: Handler) -> Handler:
    """``handler`` with the commands' failure policy: an expected failure (a command, API,
    config or secrets error) is one line on stderr and exit 1; Ctrl-C is "interrupted" and
    130; a closed pipe (``| head``) is a quiet 0; any other OS error (a full disk) one line;
    a local database error (the search index) one line and 1; anything else is a bug in
    flowtui: one line naming it and where it happened, and :data:`UNEXPECTED` (70), never 0."""

    @functools.wraps(handler)
    def run(args: argparse.Namespace) -> int:
        from flowtui.api.errors import ApiError
        from flowtui.config.profiles import ConfigError
        from flowtui.config.secrets import SecretsError

        try:
            return handler(args)
        except (CommandError, ApiError, ConfigError, SecretsError) as exc:
            print(f"flowtui: {fail_text(exc, getattr(args, 'target', None))}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            print("flowtui: interrupted", file=sys.stderr)
            return 130
        except BrokenPipeError:
            return 0
        except OSError as exc:  # e.g. the disk filled up while writing an export
            print(f"flowtui: {exc}", file=sys.stderr)
            return 1
        except Exception as exc:
            import sqlite3

            if isinstance(exc, sqlite3.Error):  # the index file: busy, unreadable, full
                print(f"flowtui: the local database failed: {exc}", file=sys.stderr)
                return 1
            print(f"flowtui: {unexpected(exc)}", file=sys.stderr)
            return UNEXPECTED

    return run


def unexpected(exc: BaseException) -> str:
    """One line for a bug: the exception, its message and the innermost place it came from."""
    import traceback

    frames = traceback.extract_tb(exc.__traceback__)
    where = f" at {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
    text = " ".join(str(exc).split())[:300]
    return (
        f"unexpected {type(exc).__name__}{where}: {text or 'no message'} (a bug in flowtui; "
        "please report it)"
    )


# -- running -----------------------------------------------------------------------------------


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    """Run one coroutine to the end in a new event loop (commands are synchronous)."""
    import asyncio

    return asyncio.run(coro)


def resolve_for(args: argparse.Namespace, name: str | None) -> Resolved:
    """The profile (and secret) named ``name``, else FLOWTUI_PROFILE's, else the default one,
    with the EPCC_* environment applied; kept as ``args.target`` so that a failure's line
    can say what to do about that store."""
    from flowtui.config.resolve import resolve

    resolved = resolve(name)
    args.target = resolved.profile
    return resolved


def when(expires: float) -> str:
    """An expiry as UTC time and how long is left: ``2026-01-02 03:04:05 UTC (in 59 min 3 s)``."""
    import datetime as dt

    stamp = dt.datetime.fromtimestamp(expires, dt.UTC)
    left = int(expires - time.time())
    if left <= 0:
        rel = "expired"
    elif left < 3600:
        rel = f"in {left // 60} min {left % 60} s"
    else:
        rel = f"in {left // 3600} h {left % 3600 // 60} min"
    return f"{stamp:%Y-%m-%d %H:%M:%S} UTC ({rel})"
