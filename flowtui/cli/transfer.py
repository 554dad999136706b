"""``flowtui export customers|addresses`` and ``flowtui import customers|addresses FILE``:
customers with their custom fields, or their addresses with theirs, out to, and back in
from, JSON Lines or CSV.

Data goes to stdout (or a file), progress and messages to stderr, so both pipe cleanly.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import gc
import os
import re
import sys
from collections import Counter
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from flowtui.cli.common import (
    CommandError,
    ExamplesFormatter,
    add_profile_option,
    fail_text,
    reported,
    resolve_for,
    run_async,
)
from flowtui.cli.progress import Progress

if TYPE_CHECKING:
    from flowtui.config.resolve import Resolved
    from flowtui.ops.export import ExportResult
    from flowtui.ops.importer import ImportPlan

EXPORT_EXAMPLES = """examples:
  flowtui export customers > customers.jsonl
  flowtui export customers --format csv --output customers.csv --profile shop
  flowtui export addresses --format csv --output addresses.csv
"""

IMPORT_EXAMPLES = """examples:
  flowtui import customers customers.csv                 shows the plan, asks, then imports
  flowtui import customers customers.csv --dry-run       the plan only, nothing written
  flowtui import customers customers.jsonl --yes --profile shop
  flowtui import addresses addresses.csv --dry-run
"""


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``flowtui export ...`` and ``flowtui import ...``."""
    exp = sub.add_parser(
        "export",
        help="export data (customers, or their addresses, with custom fields)",
        description="Write every customer with its custom fields as JSON Lines or CSV; or "
        "every customer's addresses with their custom fields, each with its customer's id "
        "and email. Progress goes to stderr, data to stdout (or --output), so it pipes "
        "cleanly. Customers are walked by creation time, never by offset, so stores of any "
        "size export completely.",
        epilog=EXPORT_EXAMPLES,
        formatter_class=ExamplesFormatter,
    )
    exp.add_argument(
        "what", choices=["customers", "addresses"], help="what to export: customers or addresses"
    )
    exp.add_argument(
        "--format",
        choices=["jsonl", "csv"],
        default="jsonl",
        help="JSON Lines (one record per line) or CSV with a header row (default: %(default)s)",
    )
    exp.add_argument(
        "--output",
        "-o",
        metavar="FILE",
        help="write here instead of stdout (created readable by you only: it holds personal data)",
    )
    exp.add_argument(
        "--raw",
        action="store_true",
        help="CSV: write cells as they are; by default a cell a spreadsheet would run as a "
        "formula (=, +, -, @, tab, CR first) gets a leading apostrophe, which import removes",
    )
    add_profile_option(exp)
    exp.set_defaults(handler=reported(run_export))

    imp = sub.add_parser(
        "import",
        help="import customers or addresses from CSV or JSON Lines (as the export writes them)",
        description="Check every row of FILE against the customers flow's fields and rules, "
        "print what the import would do (create, update, unchanged, invalid), then, once "
        "confirmed, create and update the customers. Rows are matched to customers by email "
        "(or by id); only attributes that differ are sent. Invalid and failed rows go to a "
        "failure file in the same format with an error column, to fix and import again. "
        "Exit codes: 0 every row done, 1 some rows invalid or failed, 2 nothing could be "
        "done (usage, file or connection errors), 3 written but not journaled (undo does not "
        "know those changes), 130 interrupted. Addresses: a row with an id updates that "
        "address, a row without one creates an address, for the customer with the row's "
        "customer_id (or, when no customer has it, its customer_email).",
        epilog=IMPORT_EXAMPLES,
        formatter_class=ExamplesFormatter,
    )
    imp.add_argument(
        "what", choices=["customers", "addresses"], help="what to import: customers or addresses"
    )
    imp.add_argument("file", metavar="FILE", help="a .csv or .jsonl file")
    imp.add_argument(
        "--format", choices=["csv", "jsonl"], help="the file's format (default: by its extension)"
    )
    imp.add_argument(
        "--match",
        choices=["email", "id"],
        help="customers: how rows find their customer (default: email; id lets a row change "
        "an email)",
    )
    imp.add_argument("--dry-run", action="store_true", help="print the report, write nothing")
    imp.add_argument(
        "--raw",
        action="store_true",
        help="CSV: read cells as they are (for a file exported with --raw); by default the "
        "apostrophe the export puts before a formula is taken off again",
    )
    imp.add_argument("--yes", "-y", action="store_true", help="write without asking")
    imp.add_argument(
        "--failures",
        metavar="PATH",
        help="where invalid and failed rows go (default: FILE's name with .failed before "
        "the extension)",
    )
    add_profile_option(imp)
    imp.set_defaults(handler=reported(run_import))


#: New objects between two collections during an export (Python's default is 700).
EXPORT_GC_THRESHOLD = 100_000


@contextlib.contextmanager
def fewer_collections() -> Iterator[None]:
    """The cyclic collector runs less often within the block: an export makes a few dozen
    objects per customer, none of them in a cycle (each answer is freed as soon as it is
    read, see flowtui/api/wire.py), and the default (a pass every 700 new objects) took a
    tenth of the command's CPU; at 20,000 the passes of a walk of 100,000 customers still
    took 60-90 ms, at 100,000 none runs (memory stays flat: nothing waits for them).
    Restored after."""
    threshold = gc.get_threshold()
    gc.set_threshold(max(threshold[0], EXPORT_GC_THRESHOLD), *threshold[1:])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)


def run_export(args: argparse.Namespace) -> int:
    """Every customer to stdout or ``--output``, with progress on stderr."""
    with fewer_collections():  # from here: the imports below ran ~80 passes at 700
        code = _export(args)
    freeze_at_exit()
    return code


#: Whether :func:`freeze_at_exit` has arranged the freeze (once a process).
freezes_at_exit = False


def freeze_at_exit() -> None:
    """At exit, move every object to the collector's permanent generation: the interpreter's
    shutdown then skips its last full collection of what an export leaves behind (20-60 ms
    of a command that took ~2 s; the data is written and closed by then)."""
    global freezes_at_exit
    if not freezes_at_exit:
        atexit.register(gc.freeze)
        freezes_at_exit = True


def _export(args: argparse.Namespace) -> int:
    from flowtui.ops.connect import service_for

    resolved = resolve_for(args, args.profile)
    addresses = args.what == "addresses"
    # Addresses: the bar counts the customers walked, the last line the addresses written.
    # Only the exporter used is imported (the addresses' one brings the import's machinery).
    if addresses:
        from flowtui.ops.address_transfer import export_addresses as exporter
    else:
        from flowtui.ops.export import export_customers as exporter
    with Progress("customers", verb="Walked" if addresses else "Exported") as progress:

        async def run(out: IO[str], for_terminal: bool) -> ExportResult:
            async with service_for(resolved) as service:
                return await exporter(
                    service,
                    out,
                    args.format,
                    progress=progress,
                    for_terminal=for_terminal,
                    raw=args.raw,
                )

        if args.output:
            result = _export_to_file(args.output, run, progress)
        else:
            result = run_async(run(sys.stdout, sys.stdout.isatty()))
            sys.stdout.flush()
        if addresses:
            progress.verb, progress.noun = "Exported", "addresses"
        progress.finish(result.count)
    return 0


def _export_to_file(
    output: str,
    run: Callable[[IO[str], bool], Coroutine[Any, Any, ExportResult]],
    progress: Progress,
) -> ExportResult:
    """Written beside the target and renamed at the end: an interrupted export never leaves
    a file that looks complete. Customers' data (addresses too): the file is created 0600
    (the folder must exist; it is left as it is)."""
    from flowtui.config._files import open_private

    target = os.path.abspath(output)
    partial = target + ".part"
    try:
        if not os.path.isdir(os.path.dirname(target)):
            raise FileNotFoundError(2, "No such file or directory")
        out = open_private(Path(partial), "w", encoding="utf-8", newline="")
    except OSError as exc:
        raise CommandError(f"cannot write {partial}: {exc.strerror or exc}") from None
    with out:
        try:
            result = run_async(run(out, False))
        except BaseException:
            progress.close()
            print(
                f"flowtui: the export stopped; what was written is in {partial}",
                file=sys.stderr,
            )
            raise
    try:
        os.replace(partial, target)
    except OSError as exc:
        raise CommandError(f"cannot rename {partial} to {target}: {exc.strerror or exc}") from None
    return result


def run_import(args: argparse.Namespace) -> int:
    """Exit 0: every row done; 1: some rows invalid or failed (or the answer was no);
    2: nothing could be done (usage, file or connection errors); 3: customers were written
    but the journal could not record them (a warning on stderr says why); 130: interrupted.
    The worst applies: 130, then 2, then 3, then 1."""
    from flowtui.api.errors import ApiError
    from flowtui.config.profiles import ConfigError
    from flowtui.config.secrets import SecretsError

    try:
        return _import(args)
    except (CommandError, ApiError, ConfigError, SecretsError) as exc:
        print(f"flowtui: {fail_text(exc)}", file=sys.stderr)
        return 2


def _import(args: argparse.Namespace) -> int:
    """Plan, report, ask, write, report again: see :func:`run_import`."""
    from flowtui.config.resolve import resolve
    from flowtui.core.textsafe import printable
    from flowtui.ops.address_transfer import plan_address_import
    from flowtui.ops.connect import service_for
    from flowtui.ops.importer import (
        ImportFileError,
        default_failures_path,
        detect_format,
        plan_import,
        report_lines,
    )

    noun = args.what
    if noun == "addresses" and args.match:
        raise CommandError(
            "--match is for customers: an address row is matched by its id, and finds its "
            "customer by customer_id or customer_email"
        )
    try:
        fmt = detect_format(args.file, args.format)
    except ImportFileError as exc:
        raise CommandError(str(exc)) from None
    resolved = resolve(args.profile)
    profile = resolved.profile
    if profile.read_only:
        raise CommandError(
            f"profile {profile.name!r} is read-only: importing needs a profile that can "
            f"write {noun}"
        )
    failures = args.failures or default_failures_path(args.file, fmt)
    with Progress("customers", verb="Looked up") as checking:

        async def plan() -> ImportPlan:
            async with service_for(resolved) as service:
                if noun == "addresses":
                    return await plan_address_import(
                        service, args.file, fmt, progress=checking, raw=args.raw
                    )
                return await plan_import(
                    service, args.file, fmt, args.match or "email", progress=checking, raw=args.raw
                )

        try:
            result = run_async(plan())
        except ImportFileError as exc:
            raise CommandError(str(exc)) from None
        if checking.done is not None:  # the store was asked
            checking.finish(checking.done)
    for line in report_lines(result):
        print(line)
    sys.stdout.flush()
    creates, updates = result.count("create"), result.count("update")
    bad = result.count("invalid")
    if args.dry_run:
        print("Dry run: nothing was written.")
        return 1 if bad else 0
    if not creates and not updates:
        print("Nothing to write.")
        return _write_failures(result, failures)
    question = f"Create {creates:,} and update {updates:,} {noun} in {printable(profile.name)}?"
    if bad:
        question += f" ({bad:,} invalid rows are left out)"
    if not args.yes and not _confirmed(question):
        print("Nothing was written.", file=sys.stderr)
        return 1
    return _write(resolved, result, failures)


def _confirmed(question: str) -> bool:
    """Ask ``question`` on the terminal; only "y" or "yes" is a yes."""
    if not sys.stdin.isatty():
        raise CommandError(
            "standard input is not a terminal, so there is no one to ask: add --yes to "
            "write without asking"
        )
    print(f"{question} [y/N] ", end="", file=sys.stderr, flush=True)
    answer = sys.stdin.readline().strip().lower()
    return answer in ("y", "yes")


def _write(resolved: Resolved, result: ImportPlan, failures: str) -> int:
    """Write the plan's creates and updates, print the outcome and the failed rows, and
    write the failure file. Ctrl-C keeps the rows not written in the failure file (130).
    Writes the journal could not record are named in a warning on stderr (3)."""
    from flowtui.ops.address_transfer import address_writer
    from flowtui.ops.connect import service_for
    from flowtui.ops.importer import apply_import, row_line

    unjournaled: list[str] = []
    journal_name = ""
    noun = result.noun

    with Progress(noun, verb="Wrote") as writing:

        async def write() -> Counter[str]:
            nonlocal journal_name
            async with service_for(resolved) as service:
                service.on_journal_error = unjournaled.append
                journal_name = _journal_name(service.journal)
                writer = address_writer(service) if noun == "addresses" else None
                return await apply_import(service, result, progress=writing, write_row=writer)

        interrupted = False
        try:
            run_async(write())
        except KeyboardInterrupt:
            interrupted = True
            for row in result.rows:
                if row.action in ("create", "update"):
                    if row.outcome == "pending":
                        row.outcome = "failed"
                        row.error = "interrupted while being written: it may have been written"
                    elif not row.outcome:
                        row.outcome, row.error = "not attempted", "not attempted: interrupted"
        outcomes = result.outcomes()
        writing.finish(outcomes["created"] + outcomes["updated"])
    failed = [r for r in result.rows if r.action in ("create", "update") and r.error]
    recovered = sum(1 for r in result.rows if r.recovered)
    summary = f"Created {outcomes['created']:,} and updated {outcomes['updated']:,} {noun}"
    if recovered:
        summary += f" ({recovered:,} created although the store's answer was lost)"
    print(summary + (f"; {len(failed):,} failed:" if failed else "."))
    for row in failed[:20]:
        print(f"  {row_line(row)}")
    if len(failed) > 20:
        print(f"  ... and {len(failed) - 20:,} more")
    code = _write_failures(result, failures)
    if unjournaled:
        _warn_unjournaled(unjournaled, journal_name, noun)
        code = code if code == 2 else NOT_JOURNALED  # 2 (nothing done) is worse
    if interrupted:
        print("flowtui: interrupted", file=sys.stderr)
        return 130
    if result.stopped:
        print(f"flowtui: the import stopped: {result.stopped}", file=sys.stderr)
        return 2
    return code


#: The exit status of an import whose writes were made but not all journaled.
NOT_JOURNALED = 3
_REASON = re.compile(r"\((.*)\)\.?$", re.S)


def _journal_name(recorder: object) -> str:
    """The journal's file as shown to the user (``~/...``), or "the journal"."""
    from flowtui.ops.journal import readable

    journal = readable(recorder)
    return journal.display_name if journal is not None else "the journal"


def _warn_unjournaled(texts: list[str], journal_name: str, noun: str = "customers") -> None:
    """One warning for every write the journal could not record: how many, and why."""
    from flowtui.core.textsafe import printable

    found = _REASON.search(texts[0])
    reason = found.group(1) if found else texts[0]
    changes = "1 change was" if len(texts) == 1 else f"{len(texts):,} changes were"
    print(
        f"flowtui: warning: {changes} made to {noun} but not journaled "
        f"({printable(journal_name)} could not be written: {printable(reason)}), so undo "
        "does not know them; the changes stand",
        file=sys.stderr,
    )


def _write_failures(plan: ImportPlan, path: str) -> int:
    """Write the failure file (when a row failed); the import's exit code so far."""
    from flowtui.core.textsafe import printable
    from flowtui.ops.importer import write_failures

    try:
        written = write_failures(plan, path)
    except OSError as exc:
        print(
            f"flowtui: cannot write the failure file {printable(path)}: {exc.strerror or exc}",
            file=sys.stderr,
        )
        return 2
    if written:
        print(f"{written:,} rows to fix and import again are in {printable(path)}")
    return 1 if written else 0
