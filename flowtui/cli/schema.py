"""``flowtui schema pull / plan / apply / diff``: carry flows, fields (and entries) between stores.

A store's design goes to a TOML file (:mod:`flowtui.ops.schema_file`), a plan says what it
would take to make another store look like it (:mod:`flowtui.ops.schema_plan`), and apply
makes it so: paced, journaled and resumable (:mod:`flowtui.ops.schema_apply`). Plans go to
stdout, progress and messages to stderr. Store text is printed through
:func:`flowtui.core.textsafe.printable`, so it is shown literally.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from flowtui.cli.common import (
    CommandError,
    ExamplesFormatter,
    add_profile_option,
    reported,
    resolve_for,
    run_async,
)

if TYPE_CHECKING:
    from flowtui.config.resolve import Resolved
    from flowtui.ops.schema import ApplyReport, Plan, Schema

#: ``flowtui schema plan`` and ``diff``: changes are planned.
CHANGES = 2

EXAMPLES = """examples:
  flowtui schema pull --profile staging --output design.toml
  flowtui schema pull --entries --output design.toml      with custom flows' entries (0600)
  flowtui schema plan design.toml --profile production    what apply would do (exit 2: changes)
  flowtui schema apply design.toml --profile production   shows the plan, asks, applies
  flowtui schema apply design.toml --yes --prune --allow-replace
  flowtui schema diff --from staging --to production      two stores, no file in between
"""


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``flowtui schema ACTION``."""
    top = sub.add_parser(
        "schema",
        help="carry flows, fields and entries between stores (pull, plan, apply, diff)",
        description="Write a store's flows and fields (custom flows and core extensions) to a "
        "readable TOML file, see what it would take to make another store match it, and apply "
        "that: paced, journaled (each item can be undone) and resumable.",
        epilog=EXAMPLES,
        formatter_class=ExamplesFormatter,
    )
    ssub = top.add_subparsers(dest="schema_command", metavar="ACTION", required=True)
    pull = ssub.add_parser(
        "pull",
        help="write the store's flows and fields to a TOML file",
        description="Write every flow (custom ones and core extensions) with every field and "
        "rule, without ids or timestamps and in a stable order: two pulls of one store are "
        "byte-identical. Relationships of entries are written by key or email, never by id.",
        epilog=EXAMPLES,
        formatter_class=ExamplesFormatter,
    )
    pull.add_argument(
        "--output", "-o", metavar="FILE", help="write here instead of stdout (replaced atomically)"
    )
    pull.add_argument(
        "--entries",
        action="store_true",
        help="add the entries of custom flows (the file is then readable by you only)",
    )
    pull.set_defaults(handler=reported(run_pull))
    for name, text in (
        ("plan", "show what apply would do (exit 0: nothing to do, 2: changes planned)"),
        ("apply", "make the store match FILE: preview, confirm, apply"),
    ):
        action = ssub.add_parser(
            name,
            help=text,
            description=_DESCRIPTIONS[name],
            epilog=EXAMPLES,
            formatter_class=ExamplesFormatter,
        )
        action.add_argument("file", metavar="FILE", help="a schema file written by schema pull")
        _plan_options(action)
        if name == "apply":
            action.add_argument("--yes", "-y", action="store_true", help="apply without asking")
        action.set_defaults(handler=reported(run_plan if name == "plan" else run_apply))
        add_profile_option(action)
    diff = ssub.add_parser(
        "diff",
        help="the plan between two profiles' stores (exit 0: same, 2: changes)",
        description="Pull both stores and show what applying the first's design to the second "
        "would do, with no file in between. Nothing is written.",
        epilog=EXAMPLES,
        formatter_class=ExamplesFormatter,
    )
    diff.add_argument(
        "--from",
        dest="source",
        metavar="PROFILE",
        required=True,
        help="the store whose design is carried",
    )
    diff.add_argument(
        "--to", dest="target", metavar="PROFILE", required=True, help="the store that would change"
    )
    diff.add_argument("--entries", action="store_true", help="compare custom flows' entries too")
    _plan_options(diff)
    diff.set_defaults(handler=reported(run_diff))
    add_profile_option(pull)


_DESCRIPTIONS = {
    "plan": "Compare FILE with the store and print, per flow, field and entry, what apply "
    "would do: create, update (before → after for each attribute) or, with --prune, delete. "
    "A field_type change is a replace, with the number of stored values it would lose; it "
    "needs --allow-replace. Exit 0 when there is nothing to do, 2 when changes are planned, "
    "1 on errors.",
    "apply": "Print the plan, ask, then apply it in dependency order (flows, fields, entries; "
    "deletes last), paced and journaled (each item can be undone from the journal). Stops at "
    "the first failure with what was done and what was not. A run that was stopped or killed "
    "resumes when the same command is run again, without sending anything twice. Read-only "
    "profiles refuse. Exit 0 when done, 1 when something failed, was blocked or declined.",
}


def _plan_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--prune", action="store_true", help="also delete what the store has and the design has not"
    )
    parser.add_argument(
        "--allow-replace",
        action="store_true",
        help="allow field_type changes (the field is deleted and created again: its values go)",
    )


# -- pull --------------------------------------------------------------------------------------


def run_pull(args: argparse.Namespace) -> int:
    from flowtui.ops.connect import service_for
    from flowtui.ops.schema import pull_with_notes

    resolved = resolve_for(args, args.profile)

    async def go() -> tuple[Schema, list[str]]:
        async with service_for(resolved) as service:
            return await pull_with_notes(service, entries=args.entries)

    schema, notes = run_async(go())
    text = schema.to_toml()
    _notes(notes)
    if not args.output:
        sys.stdout.write(text)
        return 0
    _write(Path(args.output), text, private=bool(args.entries))
    flows = len(schema.flows)
    fields = sum(len(f.fields) for f in schema.flows)
    extra = f" and {len(schema.entries):,} entries" if args.entries else ""
    print(f"Wrote {flows} flows, {fields} fields{extra} to {_safe(args.output)}", file=sys.stderr)
    return 0


def _write(path: Path, text: str, *, private: bool) -> None:
    """Atomically; 0600 when the file holds entries (customer data may be in them)."""
    from flowtui.config._files import atomic_write

    target = Path(os.path.abspath(path))
    if not target.parent.is_dir():
        raise CommandError(f"cannot write {_safe(str(path))}: its folder does not exist")
    try:
        atomic_write(target, text.encode("utf-8"), mode=0o600 if private else 0o644)
    except OSError as exc:
        raise CommandError(f"cannot write {_safe(str(path))}: {exc.strerror or exc}") from None


def _notes(notes: list[str]) -> None:
    for note in notes[:20]:
        print(f"flowtui: note: {_safe(note)}", file=sys.stderr)
    if len(notes) > 20:
        print(f"flowtui: note: ... and {len(notes) - 20:,} more", file=sys.stderr)


def _safe(text: str) -> str:
    from flowtui.core.textsafe import printable

    return printable(text)


# -- plan, diff, apply -------------------------------------------------------------------------


def _read(path: str) -> tuple[Schema, bytes]:
    from flowtui.ops.schema import Schema, SchemaFileError

    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise CommandError(f"cannot read {_safe(path)}: {exc.strerror or exc}") from None
    try:
        return Schema.from_toml(raw.decode("utf-8")), raw
    except UnicodeDecodeError:
        raise CommandError(f"{_safe(path)} is not UTF-8 text") from None
    except SchemaFileError as exc:
        raise CommandError(f"{_safe(path)}: {_safe(str(exc))}") from None


async def _planned(service: object, desired: Schema, args: argparse.Namespace) -> Plan:
    from flowtui.ops.schema import count_values, plan, pull

    current = await pull(service, entries=bool(desired.entries))
    made = plan(current, desired, prune=args.prune, allow_replace=args.allow_replace)
    return await count_values(service, made)


def _print_plan(made: Plan) -> None:
    from flowtui.ops.schema import plan_lines, summary

    for line in plan_lines(made):
        print(line)
    print(summary(made))
    for reason in made.blocked:
        print(f"Blocked: {_safe(reason)}")
    sys.stdout.flush()


def run_plan(args: argparse.Namespace) -> int:
    from flowtui.ops.connect import service_for

    desired, _ = _read(args.file)
    resolved = resolve_for(args, args.profile)

    async def go() -> Plan:
        async with service_for(resolved) as service:
            return await _planned(service, desired, args)

    made = run_async(go())
    _print_plan(made)
    return 0 if made.empty else CHANGES


def run_diff(args: argparse.Namespace) -> int:
    from flowtui.config.resolve import resolve
    from flowtui.ops.connect import service_for
    from flowtui.ops.schema import pull

    source = resolve(args.source)
    target = resolve_for(args, args.target)

    async def go() -> Plan:
        async with service_for(source) as a, service_for(target) as b:
            desired = await pull(a, entries=args.entries)
            return await _planned(b, desired, args)

    made = run_async(go())
    _print_plan(made)
    return 0 if made.empty else CHANGES


def state_file(resolved: Resolved, raw: bytes, args: argparse.Namespace) -> Path:
    """Where applying this file (with these options) to this profile keeps its state, so
    the same command after a kill resumes the same plan."""
    from flowtui.ops.schema_apply import state_path_for

    digest = hashlib.sha256(raw)
    digest.update(f"\0{resolved.profile.base_url}\0{args.prune}\0{args.allow_replace}".encode())
    return state_path_for(resolved.profile.name, digest.hexdigest())


def run_apply(args: argparse.Namespace) -> int:
    from flowtui.ops.connect import service_for
    from flowtui.ops.schema import Plan
    from flowtui.ops.schema_apply import load_unfinished

    desired, raw = _read(args.file)
    resolved = resolve_for(args, args.profile)
    profile = resolved.profile
    if profile.read_only:
        raise CommandError(
            f"profile {_safe(profile.name)!r} is read-only: applying a schema needs a profile "
            "that can write flows and fields"
        )
    state = state_file(resolved, raw, args)
    resumed = load_unfinished(state)
    shown: Plan | None = None
    if resumed is not None:
        made, done = resumed
        shown = Plan(tuple(i for i in made.items if i.key not in done))
        print(
            f"Resuming an earlier run of this plan ({len(done)} of {len(made.items)} items "
            "done); what is left:"
        )
    else:

        async def go() -> Plan:
            async with service_for(resolved) as service:
                return await _planned(service, desired, args)

        made = run_async(go())
    _print_plan(shown or made)
    if made.empty:
        return 0
    if made.blocked:
        print("Nothing was applied.", file=sys.stderr)
        return 1
    left = len((shown or made).items)
    question = f"Apply these {left} changes to {_safe(profile.name)}?"
    if not args.yes and not _confirmed(question):
        print("Nothing was applied.", file=sys.stderr)
        return 1
    report = _apply(resolved, made, state)
    return _report(report, made)


def _confirmed(question: str) -> bool:
    """Asked on the terminal, as ``flowtui import`` asks."""
    from flowtui.cli.transfer import _confirmed as ask

    return ask(question)


def _apply(resolved: Resolved, made: Plan, state: Path) -> ApplyReport:
    from flowtui.cli.progress import Progress
    from flowtui.ops.connect import service_for
    from flowtui.ops.schema import PlanItem, SchemaApplyError, apply

    unjournaled: list[str] = []
    with Progress("items", verb="Applied") as progress:
        count = 0
        total = len(made.items)

        def step(item: PlanItem, status: str) -> None:
            nonlocal count
            count += 1
            progress(count, total)

        async def go() -> ApplyReport:
            async with service_for(resolved) as service:
                service.on_journal_error = unjournaled.append
                return await apply(service, made, state_path=state, progress=step)

        try:
            report = run_async(go())
        except SchemaApplyError as exc:
            raise CommandError(str(exc)) from None
        except KeyboardInterrupt:
            progress.close()
            print(
                "flowtui: stopped; run the same command again to resume where it stopped",
                file=sys.stderr,
            )
            raise
        progress.finish(len(report.done))
    for text in unjournaled[:5]:
        print(f"flowtui: warning: {_safe(text)}", file=sys.stderr)
    return report


def _report(report: ApplyReport, made: Plan) -> int:
    print(f"Done: {len(report.done)} of {len(made.items)} items.")
    for key, reason in report.failed:
        print(f"Failed: {_safe(key)}: {_safe(reason)}")
    if report.skipped:
        print(
            f"Not attempted ({len(report.skipped)}): "
            + ", ".join(_safe(k) for k in report.skipped[:10])
        )
    if not report.ok:
        print(
            "flowtui: the apply stopped at the first failure; fix it and run the same command "
            "again to resume",
            file=sys.stderr,
        )
        return 1
    return 0
