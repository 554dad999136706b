"""``flowtui [--profile NAME]`` and ``flowtui --demo``: open the Textual app.

Textual is imported only here, and only after the demo sandbox's child process has been
started, so the two boot side by side.
"""

from __future__ import annotations

import argparse
import sys

from flowtui.cli.common import _non_negative_int


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
    from flowtui.config.profiles import ConfigError, ProfileStore
    from flowtui.config.resolve import Resolved, resolve

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
        try:
            resolved = resolve(args.app_profile)
        except ConfigError as exc:
            # No profile yet (or a broken config file): the login screen explains.
            startup_error = str(exc) if args.app_profile or profiles.path.exists() else None
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
    return app.return_code or 0  # 1 after a crash (Textual has shown what it was)
