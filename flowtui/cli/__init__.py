"""The ``flowtui`` command line: argument parsing and subcommands.

One module per command group builds its part of the parser and holds its handlers:
:mod:`~flowtui.cli.app` (no command: open the app, ``--demo``), :mod:`~flowtui.cli.sandbox`,
:mod:`~flowtui.cli.profile`, :mod:`~flowtui.cli.login`, :mod:`~flowtui.cli.transfer` (export
and import) and :mod:`~flowtui.cli.index`; :mod:`~flowtui.cli.common` holds what they share
and :mod:`~flowtui.cli.progress` their progress display. Each command's parser names its
handler (``handler`` in the parsed arguments).

Heavy modules (uvicorn, the sandbox, httpx, Textual, rich) are imported inside the command
that needs them, so ``flowtui --help`` stays instant; a command line that begins with a
command loads only that command's module (:func:`build_parser`).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from flowtui import __version__
from flowtui.cli import app
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


#: The module that builds each command's parser and holds its handler, in the order ``--help``
#: lists them (``export`` and ``import`` share one).
COMMAND_MODULES = {
    "sandbox": "sandbox",
    "profile": "profile",
    "login": "login",
    "export": "transfer",
    "import": "transfer",
    "index": "index",
    "schema": "schema",
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole command line: the app's options, then one subparser per command. With
    ``command`` (one of :data:`COMMAND_MODULES`), only that command's module is imported
    and only its parsers are added: a command line that begins with it parses exactly
    as with every command there, and the modules of the others are not loaded (for
    ``flowtui export``, compiling and running them was a tenth of its start-up)."""
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
    names = [COMMAND_MODULES[command]] if command in COMMAND_MODULES else COMMAND_MODULES.values()
    for name in dict.fromkeys(names):
        module = importlib.import_module(f"flowtui.cli.{name}")  # for start-up speed
        add = module.add_parsers if name == "transfer" else module.add_parser
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``flowtui`` with ``argv`` (default: the process's arguments); the exit code."""
    words = sys.argv[1:] if argv is None else list(argv)
    # A command first on the line: only its module is loaded (see build_parser).
    parser = build_parser(words[0] if words else None)
    args = parser.parse_args(words)
    handler: Handler | None = getattr(args, "handler", None)
    if handler is not None:
        return handler(args)
    app.check_arguments(parser, args)
    return app.run_app(args)
