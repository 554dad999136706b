"""``flowtui [--profile NAME]`` and ``flowtui --demo``: open the Textual app.

Textual is imported only here, and only after the demo sandbox's child process has been
started, so the two boot side by side. With a profile to open, the first requests go out
before Textual is imported (:func:`open_early`), so they travel while the UI loads.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from flowtui.cli.common import _non_negative_int

if TYPE_CHECKING:
    from flowtui.config.profiles import ProfileStore
    from flowtui.config.resolve import Resolved
    from flowtui.ui.app import FlowApp


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of the main command, which opens the app."""
    parser.add_argument(
        "--profile",
        metavar="NAME",
        dest="app_profile",
        help="open the app with this profile (default: FLOWTUI_PROFILE, then the default one)",
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="start a sandbox with demo data inside flowtui and open it (no account needed)",
    )
    parser.add_argument(
        "--reset", action="store_true", help="with --demo: start from fresh demo data"
    )
    parser.add_argument(
        "--demo-customers",
        metavar="N",
        type=_non_negative_int,
        default=None,
        help="with --demo: how many demo customers a fresh demo store gets (default 10,000)",
    )


def check_arguments(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Exit with a usage error (2) for options that do not go together."""
    if args.reset and not args.demo:
        parser.error("--reset goes with --demo")


def run_app(args: argparse.Namespace) -> int:
    """Open the Textual app (with an embedded demo sandbox for --demo)."""
    from flowtui.config.profiles import ProfileStore

    profiles = ProfileStore()
    embedded = None
    resolved: Resolved | None = None
    startup_error = None
    if args.demo:
        from flowtui.ops.demo import DEMO_CUSTOMERS, EmbeddedSandbox

        embedded = EmbeddedSandbox(
            reset=args.reset,
            customers=DEMO_CUSTOMERS if args.demo_customers is None else args.demo_customers,
        )
        try:
            resolved = embedded.start(profiles)
        except Exception as exc:
            embedded.stop()
            print(f"flowtui: the demo sandbox could not start: {exc}", file=sys.stderr)
            return 1
    else:
        from flowtui.ui.logic.early import resolve_at_start

        # No profile yet, or a config or credentials file it cannot use: the login screen
        # says so in the sentence a command would print.
        resolved, startup_error = resolve_at_start(profiles, args.app_profile)
        if resolved is not None:
            import asyncio

            return asyncio.run(open_early(profiles, resolved))
    # Imported after the demo sandbox's child process started: it boots while Textual imports.
    from flowtui.ui.app import FlowApp

    app = FlowApp(profiles, resolved=resolved, startup_error=startup_error)
    try:
        app.run()
    finally:
        if embedded is not None:
            if embedded.proc is not None and embedded.proc.poll() not in (None, 0):
                print(f"flowtui: the demo sandbox stopped: {embedded.complaint()}", file=sys.stderr)
            embedded.stop()
    # Non-zero when the app ended on an unexpected exception (Textual sets 1), never 0.
    return app.return_code or 0


#: Seconds after start for which garbage collection waits (:func:`open_early`).
GC_PAUSE = 2.0
#: The interpreter's thread switch interval while the UI imports (:func:`open_early`).
SWITCH_WHILE_IMPORTING = 0.0005


def _import_app() -> type[FlowApp]:
    from flowtui.ui.app import FlowApp

    return FlowApp


async def open_early(profiles: ProfileStore, resolved: Resolved, **run: Any) -> int:
    """Open ``resolved``'s store: send the log-in check, the customers flow's fields and the
    first page first, then import the UI in a thread while this loop serves the answers
    (issue 14: the round trips travel while Textual and the screens load), then run the app
    in this loop, on that session (``App.run`` is ``asyncio.run(App.run_async())``; ``run``:
    its options, e.g. ``headless`` in tests)."""
    import asyncio
    import gc

    # No garbage collection for the first GC_PAUSE seconds (the first page is up well
    # before): start-up makes hundreds of thousands of long-lived objects (modules, classes,
    # styles, widgets) and collections keep walking them again (~50 ms of CPU, 10 %, in
    # benchmarks/remote.py's start-up). The app freezes that heap a second after the main
    # screen opens (freeze_heap); then collections resume as usual.
    if not gc.isenabled():  # someone else's choice: left alone
        return await _open(profiles, resolved, run)
    gc.disable()
    resume = asyncio.get_running_loop().call_later(GC_PAUSE, gc.enable)
    try:
        return await _open(profiles, resolved, run)
    finally:
        resume.cancel()
        gc.enable()


async def _open(profiles: ProfileStore, resolved: Resolved, run: dict[str, Any]) -> int:
    import asyncio

    from flowtui.ui.logic.early import begin

    early = begin(resolved)
    await early.left()  # the requests on their way first: ~40 ms of work for this thread
    # While the UI imports in a thread, this loop sends and reads the requests: each time it
    # wakes up (a socket ready) it must win the interpreter lock back from the importing
    # thread, which by default keeps it for 5 ms. Short turns let the requests leave and
    # their answers be read at once, for ~1 % more time spent switching.
    switch = sys.getswitchinterval()
    sys.setswitchinterval(SWITCH_WHILE_IMPORTING)
    try:
        app_class = await asyncio.to_thread(_import_app)
    except BaseException:
        await early.abandon()
        raise
    finally:
        sys.setswitchinterval(switch)
    app = app_class(profiles, resolved=resolved, early=early)
    await app.run_async(**run)
    return app.return_code or 0
