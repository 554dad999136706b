"""Compare with…: this store's flows and fields beside another profile's or a schema file's,
and the difference applied to THIS store, item by item.

Stages on one screen: **choose** (another saved profile, or the path of a schema file written
by ``flowtui schema pull``), **load** (both sides pulled at once in a worker, the requests
answered so far counted per side, then the stored values a replace or delete would lose),
**plan** (side by side: this store | the other side, per flow and field; ``space`` picks an
item, ``a`` all of them, ``p`` plans deletes too (prune), the highlighted item's every change
below), **preview** (before → after for each attribute of the picked items), and **apply**
(after a confirmation naming the store: progress per item, then each failure with the store's
message). The plan is ``plan(current=this store, desired=the other side)``: the other side is
only read. A read-only profile compares, and is told why it cannot apply.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import httpx
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import ContentSwitcher, DataTable, Label, OptionList, ProgressBar, Static
from textual.widgets.option_list import Option

from flowtui.api.errors import ApiError, AuthError
from flowtui.api.service import ApiService
from flowtui.config.profiles import ConfigError, Profile
from flowtui.config.resolve import Resolved, resolve
from flowtui.config.secrets import SecretsError
from flowtui.ops import schema as S
from flowtui.ui.logic import compare as L
from flowtui.ui.screens.base import BaseScreen
from flowtui.ui.screens.dialogs import ConfirmDialog
from flowtui.ui.widgets.compare import PlanTable, show_preview, show_waiting
from flowtui.ui.widgets.footer import Footer
from flowtui.ui.widgets.header import StoreHeader
from flowtui.ui.widgets.inputs import TextInput
from flowtui.ui.widgets.safe import literal, safe
from flowtui.ui.widgets.tables import cursor_key

Stage = Literal["choose", "load", "plan", "preview", "apply"]
Connect = Callable[[Resolved], ApiService]


@dataclass(frozen=True)
class Source:
    """The other side: a saved profile (by name) or a schema file (by path)."""

    kind: Literal["profile", "file"]
    value: str

    @property
    def label(self) -> str:
        return f"profile {self.value}" if self.kind == "profile" else f"file {self.value}"


class SourceError(Exception):
    """The other side cannot be read (one sentence for the choose stage)."""


@contextlib.contextmanager
def counting(service: ApiService, seen: Callable[[], None]) -> Iterator[None]:
    """Call ``seen`` for every answer ``service`` receives meanwhile (the load progress)."""

    async def hook(response: httpx.Response) -> None:
        seen()

    hooks = service.client.event_hooks["response"]
    hooks.append(hook)
    try:
        yield
    finally:
        with contextlib.suppress(ValueError):
            hooks.remove(hook)


class CompareScreen(BaseScreen):
    """Compare this store with another profile or a schema file; apply the picked items."""

    DEFAULT_CSS = """
    CompareScreen #compare-stages { height: 1fr; padding: 0 1; }
    CompareScreen #compare-stages > Vertical { height: 1fr; }
    CompareScreen .compare-title { text-style: bold; width: 1fr; height: auto; margin-bottom: 1; }
    CompareScreen .compare-label { width: 1fr; height: auto; color: $text-muted; }
    CompareScreen #compare-profiles { height: auto; max-height: 10; margin-bottom: 1; }
    CompareScreen #compare-path { width: 1fr; }
    CompareScreen #compare-problem { color: $error; width: 1fr; height: auto; margin-top: 1; }
    CompareScreen #compare-readonly { color: $warning; width: 1fr; height: auto; }
    CompareScreen #compare-load-bar, CompareScreen #compare-progress { margin: 1 0; }
    CompareScreen .compare-side { width: 1fr; height: auto; }
    CompareScreen DataTable { height: 1fr; }
    CompareScreen #compare-detail, CompareScreen #compare-failure {
        height: auto; max-height: 8; background: $boost; padding: 0 1;
    }
    CompareScreen #compare-blocked { color: $warning; height: auto; max-height: 3; }
    """

    BINDINGS = [
        Binding(
            "escape",
            "back",
            "Back",
            id="compare.back",
            tooltip="Back one step (to the plan, to the choice, to the designer)",
        ),
        Binding(
            "f10,ctrl+s",
            "preview",
            "Preview",
            id="compare.preview",
            tooltip="Before → after for every picked item (nothing is sent yet)",
        ),
        Binding(
            "f10,ctrl+s",
            "apply",
            "Apply",
            id="compare.apply",
            tooltip="Apply the picked items to this store (asks first)",
        ),
        Binding(
            "p",
            "prune",
            "Prune",
            id="compare.prune",
            tooltip="Also plan deleting what the other side lacks (on/off)",
        ),
        Binding(
            "r",
            "reload",
            "Compare again",
            id="compare.reload",
            tooltip="Pull both sides again and plan anew",
        ),
    ]

    def __init__(self, connect: Connect) -> None:
        super().__init__()
        self.connect = connect
        self.stage: Stage = "choose"
        self.source: Source | None = None
        self.current: S.Schema | None = None
        self.other: S.Schema | None = None
        self.prune = False
        #: Why the values a replace or delete loses could not be counted, or "".
        self.uncounted = ""
        self.plan: S.Plan = S.Plan(())
        self.items: dict[str, S.PlanItem] = {}
        self.picks = L.Picks(self.plan)
        self.applying = False
        self.applied = False
        self.report: S.ApplyReport | None = None
        #: Why apply refused to start (read-only, blocked, another run of it), or "".
        self.refusal = ""
        self.progress: L.Progress | None = None
        self.answers = {"here": 0, "other": 0}

    # -- layout ---------------------------------------------------------------------------

    @property
    def profile(self) -> Profile:
        resolved = self.flow_app.resolved
        if resolved is None:
            raise RuntimeError("no session: log in first")
        return resolved.profile

    @property
    def here(self) -> str:
        """This store, as the screen names it."""
        host = urlsplit(self.profile.base_url).netloc or self.profile.base_url
        return f"THIS store (profile {self.profile.name}, {host})"

    def compose(self) -> ComposeResult:
        yield StoreHeader(self.profile, bool(self.flow_app.api.is_sandbox), "Compare")
        with ContentSwitcher(initial="compare-choose", id="compare-stages"):
            with Vertical(id="compare-choose"):
                yield Label(
                    literal(
                        f"Compare the flows and fields of {self.here} with another profile "
                        "or a schema file. The other side is only read: its design is "
                        "applied to THIS store, the items you pick, after a preview and a "
                        "confirmation."
                    ),
                    classes="compare-title",
                )
                yield Label("Another profile (enter):", classes="compare-label")
                yield OptionList(id="compare-profiles")
                yield Label(
                    "Or a schema file written by flowtui schema pull (type its path, enter):",
                    classes="compare-label",
                )
                yield TextInput(id="compare-path", placeholder="design.toml", compact=True)
                yield Label("", id="compare-problem")
            with Vertical(id="compare-load"):
                yield Label("", classes="compare-title", id="compare-load-title")
                yield ProgressBar(id="compare-load-bar", total=3, show_eta=False)
                yield Label("", classes="compare-side", id="compare-here-status")
                yield Label("", classes="compare-side", id="compare-other-status")
                yield Label("", classes="compare-side", id="compare-count-status")
            with Vertical(id="compare-plan-stage"):
                yield Label("", classes="compare-title", id="compare-plan-title")
                yield Label("", id="compare-readonly")
                yield PlanTable(id="compare-plan", cursor_type="row", zebra_stripes=True)
                yield Static("", id="compare-detail")
                yield Static("", id="compare-blocked")
            with Vertical(id="compare-preview"):
                yield Label("", classes="compare-title", id="compare-preview-title")
                yield DataTable(id="compare-preview-table", cursor_type="row", zebra_stripes=True)
            with Vertical(id="compare-apply"):
                yield Label("", classes="compare-title", id="compare-apply-title")
                yield ProgressBar(id="compare-progress", show_eta=False)
                yield Label("", id="compare-count")
                yield DataTable(id="compare-results", cursor_type="row", zebra_stripes=True)
                yield Static("", id="compare-failure")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#compare-problem", Label).display = False
        readonly = self.query_one("#compare-readonly", Label)
        readonly.display = self.flow_app.api.read_only
        readonly.update(
            "This profile is read-only (implicit token): you can compare, not apply. "
            "Use a profile with a client secret."
        )
        options = self.query_one("#compare-profiles", OptionList)
        try:
            profiles = [p for p in self.flow_app.profiles.profiles() if p.name != self.profile.name]
        except ConfigError as exc:
            self.problem(str(exc))
            profiles = []
        for p in profiles:
            host = urlsplit(p.base_url).netloc or p.base_url
            ro = ", read-only" if p.read_only else ""
            options.add_option(Option(safe(f"{p.name}  ({host}{ro})", 80), id=p.name))
        if profiles:
            options.highlighted = 0
            options.focus()
        else:
            options.add_option(Option(Text("(no other profile saved)", style="dim"), disabled=True))
            self.query_one("#compare-path", TextInput).focus()

    def set_stage(self, stage: Stage) -> None:
        self.stage = stage
        target = "compare-plan-stage" if stage == "plan" else f"compare-{stage}"
        self.query_one("#compare-stages", ContentSwitcher).current = target
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("preview", "prune", "pick", "pick_all"):
            return self.stage == "plan"
        if action == "apply":
            return self.stage == "preview"
        if action == "reload":
            return (self.stage == "plan" or (self.stage == "apply" and not self.applying)) and (
                self.source is not None
            )
        return True

    def problem(self, text: str) -> None:
        label = self.query_one("#compare-problem", Label)
        label.update(literal(text))
        label.display = bool(text)

    # -- choose ---------------------------------------------------------------------------

    @on(OptionList.OptionSelected, "#compare-profiles")
    def profile_chosen(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.start(Source("profile", event.option.id))

    @on(TextInput.Submitted, "#compare-path")
    def file_chosen(self, event: TextInput.Submitted) -> None:
        path = event.value.strip()
        if not path:
            self.problem("Type the path of a schema file (flowtui schema pull --output FILE).")
            return
        self.start(Source("file", path))

    def start(self, source: Source) -> None:
        self.source = source
        self.problem("")
        self.load(source)

    # -- load -----------------------------------------------------------------------------

    def side_status(self, which: str, text: str) -> None:
        self.query_one(f"#compare-{which}-status", Label).update(literal(text))

    def answered(self, which: str) -> Callable[[], None]:
        def seen() -> None:
            self.answers[which] += 1
            name = "This store" if which == "here" else "The other side"
            self.side_status(
                which, f"{name}: pulling flows and fields… {self.answers[which]} answered"
            )

        return seen

    async def pull_here(self, entries: bool = False) -> S.Schema:
        """This store's design (with its custom flows' entries when the other side has
        entries: a file pulled with ``--entries``)."""
        service = self.flow_app.api
        with counting(service, self.answered("here")):
            schema = await S.pull(service, entries=entries)
        self.side_status("here", f"This store ({self.profile.name}): {summary(schema)}")
        self.query_one("#compare-load-bar", ProgressBar).advance(1)
        return schema

    async def pull_other(self, source: Source) -> S.Schema:
        if source.kind == "file":
            schema = await asyncio.to_thread(read_schema, Path(source.value).expanduser())
        else:
            try:
                resolved = resolve(source.value, store=self.flow_app.profiles, env={})
            except (ConfigError, SecretsError) as exc:
                raise SourceError(f"Cannot use profile {source.value}: {exc}") from None
            service = self.connect(resolved)
            try:
                with counting(service, self.answered("other")):
                    schema = await S.pull(service)
            except ApiError as exc:
                raise SourceError(f"Could not read profile {source.value}: {exc.summary}") from None
            finally:
                await service.aclose()
        self.side_status("other", f"The other side ({source.label}): {summary(schema)}")
        self.query_one("#compare-load-bar", ProgressBar).advance(1)
        return schema

    @work(exclusive=True, group="compare.load", exit_on_error=False)
    async def load(self, source: Source) -> None:
        self.answers = {"here": 0, "other": 0}
        self.query_one("#compare-load-title", Label).update(
            literal(f"Comparing {self.here} with {source.label}…")
        )
        self.query_one("#compare-load-bar", ProgressBar).update(total=3, progress=0)
        self.side_status("here", "This store: pulling flows and fields…")
        other = "reading the file…" if source.kind == "file" else "pulling flows and fields…"
        self.side_status("other", f"The other side: {other}")
        self.side_status("count", "")
        self.set_stage("load")
        tasks: list[asyncio.Future[S.Schema]] = []
        try:
            if source.kind == "file":
                # The file first (it is quick): entries in it mean this store's are compared.
                self.other = await self.pull_other(source)
                self.current = await self.pull_here(entries=bool(self.other.entries))
            else:  # both stores at once
                tasks = [
                    asyncio.ensure_future(self.pull_here()),
                    asyncio.ensure_future(self.pull_other(source)),
                ]
                self.current, self.other = await asyncio.gather(*tasks)
        except (SourceError, S.SchemaFileError) as exc:
            self.back_to_choose(str(exc))
            return
        except ApiError as exc:
            if isinstance(exc, AuthError):
                raise  # the login screen
            self.back_to_choose(f"Could not read this store: {exc.summary}")
            return
        finally:
            for task in tasks:
                task.cancel()
        await self.make_plan()

    def back_to_choose(self, text: str) -> None:
        self.problem(text)
        self.set_stage("choose")

    async def make_plan(self) -> None:
        assert self.current is not None and self.other is not None
        plan = S.plan(self.current, self.other, prune=self.prune, allow_replace=True)
        self.uncounted = ""
        if any(L.loses_values(i) for i in plan.items):
            self.side_status("count", "Counting the stored values a replace or delete loses…")
            try:
                plan = await S.count_values(self.flow_app.api, plan)
            except ApiError as exc:
                if isinstance(exc, AuthError):
                    raise
                # A read-only (implicit) token cannot read customers: plan all the same.
                self.uncounted = exc.summary
        self.query_one("#compare-load-bar", ProgressBar).advance(1)
        self.plan = plan
        self.items = {i.key: i for i in plan.items}
        self.picks = self.picks.replan(plan)
        self.show_plan()

    # -- plan -----------------------------------------------------------------------------

    def show_plan(self) -> None:
        plan, source = self.plan, self.source
        assert source is not None
        table = self.query_one("#compare-plan", PlanTable)
        table.show(plan, self.picks, self.profile.name, source.value)
        notes = [f"Blocked: {b}" for b in plan.blocked]
        if self.uncounted:
            notes.append(f"Stored values not counted: {self.uncounted}")
        blocked = self.query_one("#compare-blocked", Static)
        blocked.update(literal("\n".join(notes)))
        blocked.display = bool(notes)
        self.show_title()
        self.show_detail()
        self.set_stage("plan")
        table.focus()

    def show_title(self) -> None:
        source = self.source
        assert source is not None
        plan = self.plan
        prune = (
            "on: deletes what the other side lacks" if self.prune else "off (p: plan deletes too)"
        )
        if plan.empty:
            text = (
                f"Nothing to do: {self.here} already has the design of {source.label}. "
                f"Prune {prune}."
            )
        else:
            picked = self.picks.picked()
            text = (
                f"The design of {source.label} applied to {self.here}: "
                f"{L.counts_text(plan.items)}. Prune {prune}. Picked {len(picked)} "
                f"(space, a: all); f10 previews."
            )
        self.query_one("#compare-plan-title", Label).update(literal(text))

    def highlighted_item(self) -> S.PlanItem | None:
        key = cursor_key(self.query_one("#compare-plan", PlanTable))
        return self.items.get(key) if key else None

    def show_detail(self) -> None:
        item = self.highlighted_item()
        detail = self.query_one("#compare-detail", Static)
        detail.update(literal("\n".join(L.detail_lines(item))) if item else "")
        detail.display = item is not None

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "compare-plan":
            self.show_detail()
        elif event.data_table.id == "compare-results":
            self.show_failure()

    def refresh_picks(self, changed: set[str]) -> None:
        self.query_one("#compare-plan", PlanTable).mark(changed, self.picks)
        self.show_title()

    def action_pick(self) -> None:
        item = self.highlighted_item()
        if item is None:
            self.app.bell()
            return
        self.refresh_picks(self.picks.toggle(item.key))
        table = self.query_one("#compare-plan", PlanTable)
        if table.cursor_row < table.row_count - 1:
            table.move_cursor(row=table.cursor_row + 1)

    def action_pick_all(self) -> None:
        self.refresh_picks(self.picks.all())

    @work(exclusive=True, group="compare.load", exit_on_error=False)
    async def action_prune(self) -> None:
        if self.current is None or self.other is None:
            return
        self.prune = not self.prune
        await self.make_plan()

    def action_reload(self) -> None:
        if self.source is not None and not self.applying:
            self.applied = False
            self.load(self.source)

    # -- preview --------------------------------------------------------------------------

    def action_preview(self) -> None:
        if self.stage != "plan":
            return
        picked = self.picks.picked()
        if not picked:
            self.app.bell()
            self.notify("Pick the items to apply first: space picks one, a all.", timeout=3)
            return
        if not self.flow_app.writable("apply a design to this store"):
            return
        source = self.source
        assert source is not None
        table = self.query_one("#compare-preview-table", DataTable)
        show_preview(table, picked, source.value)
        lost = L.lost_total(picked)
        lose = ""
        if lost:
            lose = f" {lost:,} stored values are lost."
        elif lost is None:
            lose = " Stored values are lost (not counted)."
        self.query_one("#compare-preview-title", Label).update(
            literal(
                f"Preview: {len(picked)} item{'' if len(picked) == 1 else 's'} "
                f"({L.counts_text(picked)}) from {source.label} to {self.here}.{lose} "
                "Nothing is sent until you apply (f10, asks first); esc goes back to the plan."
            )
        )
        self.set_stage("preview")
        table.focus()

    def action_apply(self) -> None:
        if self.stage != "preview" or self.applying:
            return
        if not self.flow_app.writable("apply a design to this store"):
            return
        source = self.source
        assert source is not None
        picked = self.picks.picked()
        kind = "the SANDBOX" if self.flow_app.api.is_sandbox else "the LIVE STORE"
        host = urlsplit(self.profile.base_url).netloc or self.profile.base_url
        question, detail = L.confirm_text(
            picked, source.label, self.profile.name, f"{host} ({kind})"
        )
        self.app.push_screen(ConfirmDialog(question, detail, "Apply"), self.confirmed)

    def confirmed(self, yes: bool | None) -> None:
        if yes:
            self.run_apply()

    # -- apply ----------------------------------------------------------------------------

    @work(exclusive=True, group="compare.apply", exit_on_error=False)
    async def run_apply(self) -> None:
        picked = self.picks.picked()
        source = self.source
        assert source is not None
        self.applying = True
        self.report = None
        self.refusal = ""
        self.progress = L.Progress(len(picked))
        show_waiting(self.query_one("#compare-results", DataTable), picked)
        self.query_one("#compare-apply-title", Label).update(
            literal(f"Applying {len(picked)} items from {source.label} to {self.here}…")
        )
        self.query_one("#compare-progress", ProgressBar).update(
            total=max(len(picked), 1), progress=0
        )
        self.show_count()
        self.query_one("#compare-failure", Static).display = False
        self.set_stage("apply")
        try:
            self.report = await S.apply(
                self.flow_app.api,
                self.plan,
                only={i.key for i in picked},
                # No state file: the run reads the store first and sends only what still
                # differs, so comparing again after an interruption is the resume.
                state_path=None,
                progress=self.on_progress,
            )
        except S.SchemaApplyError as exc:
            self.refusal = str(exc)
        finally:
            self.applying = False
            self.applied = True
            self.show_report()

    def on_progress(self, item: S.PlanItem, status: str) -> None:
        progress = self.progress
        if progress is None:
            return
        before = progress.finished
        progress.saw(item, status)
        self.query_one("#compare-progress", ProgressBar).advance(progress.finished - before)
        with contextlib.suppress(Exception):  # an item apply reports but the table lacks
            self.query_one("#compare-results", DataTable).update_cell(
                item.key, "result", Text(status)
            )
        self.show_count()

    def show_count(self) -> None:
        if self.progress is not None:
            self.query_one("#compare-count", Label).update(Text(self.progress.text()))

    def show_report(self) -> None:
        report = self.report
        picked = self.picks.picked()
        table = self.query_one("#compare-results", DataTable)
        failed = dict(report.failed) if report else {}
        done = set(report.done) if report else set()
        for item in picked:
            if item.key in done:
                cell = Text("done", style="green")
            elif item.key in failed:
                cell = safe(f"failed: {failed[item.key]}", 300, "bold")
            else:
                cell = Text("not sent (stopped at the first failure)", style="dim")
            table.update_cell(item.key, "result", cell)
        if report is None:
            head = (
                f"Nothing was sent: {self.refusal[:1].upper()}{self.refusal[1:]}."
                if self.refusal
                else "Stopped by an error (shown in the message)."
            )
        elif failed:
            head = (
                f"Stopped at the first failure: {len(done)} done, {len(failed)} failed, "
                f"{len(picked) - len(done) - len(failed)} not sent."
            )
        else:
            head = f"Done: {len(done)} of {len(picked)} applied to {self.here}."
        self.query_one("#compare-apply-title", Label).update(
            literal(f"{head} r compares again; esc goes back to the designer.")
        )
        bar = self.query_one("#compare-progress", ProgressBar)
        bar.update(progress=len(done) + len(failed))
        unsent = len(picked) - len(done) - len(failed)
        self.query_one("#compare-count", Label).update(
            Text(f"{len(done)} done · {len(failed)} failed · {unsent} not sent")
        )
        self.refresh_bindings()
        if failed:
            first = next(i for i, item in enumerate(picked) if item.key in failed)
            table.move_cursor(row=first)
        table.focus()
        self.show_failure()

    def show_failure(self) -> None:
        """The whole message of the highlighted failure, wrapped, under the table."""
        detail = self.query_one("#compare-failure", Static)
        key = cursor_key(self.query_one("#compare-results", DataTable))
        failed = dict(self.report.failed) if self.report else {}
        item = self.plan.item(key) if key else None
        if key in failed and item is not None:
            detail.update(literal(f"{item.title}: {failed[key]}"))
            detail.display = True
        else:
            detail.display = False

    # -- keys -----------------------------------------------------------------------------

    def action_back(self) -> None:
        if self.stage == "apply":
            if self.applying:
                self.notify("Applying: wait for it to finish (it stops at the first failure).")
                return
            self.dismiss(None)
        elif self.stage == "preview":
            self.set_stage("plan")
            self.query_one("#compare-plan", PlanTable).focus()
        elif self.stage in ("plan", "load"):
            self.workers.cancel_group(self, "compare.load")
            self.set_stage("choose")
            self.query_one("#compare-profiles", OptionList).focus()
        else:
            self.dismiss(None)


def summary(schema: S.Schema) -> str:
    """``3 flows, 14 fields`` (``, 12 entries`` when it holds entries)."""

    flows, fields = len(schema.flows), sum(len(f.fields) for f in schema.flows)
    text = f"{flows} flow{'' if flows == 1 else 's'}, {fields} field{'' if fields == 1 else 's'}"
    if schema.entries:
        n = len(schema.entries)
        text += f", {n} entr{'y' if n == 1 else 'ies'}"
    return text


def read_schema(path: Path) -> S.Schema:
    """The schema in ``path`` (a :class:`SourceError` saying why not)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SourceError(f"No such file: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SourceError(f"Cannot read {path}: {exc}") from None
    try:
        return S.Schema.from_toml(text)
    except S.SchemaFileError as exc:
        raise SourceError(f"{path}: {exc}") from None
