"""The ``flowtui`` command line: argument parsing and subcommands.

One module per command group builds its part of the parser and holds its handlers:
:mod:`~flowtui.cli.app` (no command: open the app, ``--demo``), :mod:`~flowtui.cli.sandbox`,
:mod:`~flowtui.cli.profile`, :mod:`~flowtui.cli.login`, :mod:`~flowtui.cli.transfer` (export
and import) and :mod:`~flowtui.cli.index`; :mod:`~flowtui.cli.common` holds what they share
and :mod:`~flowtui.cli.progress` their progress display. Each command's parser names its
handler (``handler`` in the parsed arguments).

Heavy modules (uvicorn, the sandbox, httpx, Textual, rich) are imported inside the command
that needs them, so ``flowtui --help`` stays instant.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from flowtui import __version__
from flowtui.cli import app, index, login, profile, sandbox, schema, transfer
from flowtui.cli.common import ExamplesFormatter, Handler

__all__ = ["build_parser", "main"]

MAIN_EXAMPLES = """examples:
  flowtui --demo                      try it on a built-in sandbox store (no account needed)
  flowtui profile add shop --region us-east --client-id XXXX
  flowtui                             open the default profile's store
  flowtui --profile shop              open another profile's store
  flowtui COMMAND --help              the options of one command

Keys inside the app: f1 (or ?) shows the keys that work where you are; ctrl+p the commands.
"""


def build_parser() -> argparse.ArgumentParser:
    """The whole command line: the app's options, then one subparser per command."""
    parser = argparse.ArgumentParser(
        prog="flowtui",
        formatter_class=ExamplesFormatter,
        epilog=MAIN_EXAMPLES,
        description=(
            "flowtui: design Elastic Path Commerce Cloud flows and fields, and browse and edit "
            "customers, from the terminal. Without a command it opens the app: the login "
            "screen when there is no profile yet, else the default profile's customers."
        ),
    )
    parser.add_argument("--version", action="version", version=f"flowtui {__version__}")
    app.add_arguments(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sandbox.add_parser(sub)
    profile.add_parser(sub)
    login.add_parser(sub)
    transfer.add_parsers(sub)
    index.add_parser(sub)
    schema.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``flowtui`` with ``argv`` (default: the process's arguments); the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler | None = getattr(args, "handler", None)
    if handler is not None:
        return handler(args)
    app.check_arguments(parser, args)
    return app.run_app(args)
