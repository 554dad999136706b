"""Bulk edit screen: set one field for the marked customers, with a preview of every change.

Four stages on one screen: **setup** (choose the field among the ``customers`` flow's fields
plus name and external ref; type the value, checked as you type with the editor's rules),
**preview** (every customer: before → after; those that already hold the value say "no
change" and are not sent), **apply** (after a confirmation: a progress bar and a live count,
paced by the service's transport; ``esc`` asks whether to stop) and **report** (the failures
per customer with the store's message, and the path of the plan file). The plan is saved as
it runs (:mod:`flowtui.ops.bulk`), so a stopped or interrupted run is offered for resuming the
next time the screen opens, or from the palette (``bulk: resume``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, ContentSwitcher, DataTable, Label, ProgressBar, Select, Static

from flowtui.api.models import Customer
from flowtui.config.profiles import Profile
from flowtui.ops import bulk
from flowtui.ui.screens.base import BaseModal, BaseScreen
from flowtui.ui.screens.dialogs import ConfirmDialog
from flowtui.ui.session import SessionApp
from flowtui.ui.widgets.footer import Footer
from flowtui.ui.widgets.header import StoreHeader
from flowtui.ui.widgets.inputs import TextInput
from flowtui.ui.widgets.safe import display, literal, safe

#: Ids of the plans running in this app (never offered for resuming meanwhile).
ACTIVE: set[str] = set()

STAGES = ("setup", "preview", "apply", "report")


def value_cell(value: Any, limit: int = 40) -> Text:
    if value is None:
        return Text("(none)", style="dim", end="")
    return safe(value, limit)


def outcome_cell(plan: bulk.BulkPlan, item: bulk.BulkItem) -> Text:
    """What the preview says will happen (or, for a resumed plan, what already did)."""
    if item.status == bulk.SKIPPED and item.reason == bulk.NO_CHANGE:
        return Text("no change", style="dim", end="")
    if item.status == bulk.PENDING:
        return value_cell(plan.value)
    if item.status == bulk.DONE:
        return Text("done", style="green", end="")
    return safe(f"{item.status}: {item.reason}", None, "bold")


class ResumeDialog(BaseModal):
    """An unfinished plan: resume it, discard it, or not now. Dismisses with
    "resume", "discard" or None. Resume is the one confirmation: it names the store and
    the run starts at once (issue 16: it took three)."""

    DEFAULT_CSS = """
    ResumeDialog { align: center middle; }
    """

    BINDINGS = [
        Binding("escape", "choose('later')", "Not now", id="bulk.later", tooltip="Keep it"),
        Binding("r", "choose('resume')", "Resume", id="bulk.resume", tooltip="Resume the run"),
        Binding(
            "d", "choose('discard')", "Discard", id="bulk.discard", tooltip="Never offer it again"
        ),
    ]

    def __init__(self, plan: bulk.BulkPlan) -> None:
        super().__init__()
        self.plan = plan

    def compose(self) -> ComposeResult:
        plan = self.plan
        left = len(plan.to_send)
        host = urlsplit(plan.base_url).netloc or plan.base_url
        where = "the SANDBOX" if self.flow_app.api.is_sandbox else "the LIVE STORE"
        with Vertical(classes="dialog"):
            yield Label("An unfinished bulk edit", classes="dialog-title")
            yield Static(
                Text(
                    f"Started {display(plan.created_at)}: {display(plan.describe())}.\n"
                    f"{plan.summary()}; {left:,} to send.\n"
                    f"Resume sends them now to {host} ({where}), reading each customer first "
                    "and skipping any changed since the preview."
                ),
                classes="dialog-body",
            )
            with Horizontal(classes="dialog-buttons"):
                yield Button("Resume (r)", variant="primary", id="resume")
                yield Button("Discard (d)", variant="error", id="discard")
                yield Button("Not now", id="later")

    def on_mount(self) -> None:
        self.query_one("#resume", Button).focus()

    def action_choose(self, choice: str) -> None:
        self.dismiss(None if choice == "later" else choice)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.action_choose(event.button.id or "later")


class BulkEditScreen(BaseScreen):
    """Set one field for ``customers`` (or resume ``plan``)."""

    DEFAULT_CSS = """
    BulkEditScreen #bulk-stages { height: 1fr; padding: 0 1; }
    BulkEditScreen #bulk-stages > Vertical { height: 1fr; }
    BulkEditScreen .bulk-title { text-style: bold; width: 1fr; height: auto; margin-bottom: 1; }
    BulkEditScreen .bulk-row { height: auto; margin-bottom: 1; }
    BulkEditScreen .bulk-row > Label { width: 12; padding-top: 0; text-style: bold; }
    BulkEditScreen #bulk-field { width: 1fr; }
    BulkEditScreen #bulk-value { width: 1fr; }
    BulkEditScreen #bulk-hint { color: $text-muted; width: 1fr; height: auto; padding-left: 12; }
    BulkEditScreen #bulk-problem { color: $error; width: 1fr; height: auto; padding-left: 12; }
    BulkEditScreen #bulk-notes { color: $text-muted; height: auto; margin-top: 1; }
    BulkEditScreen DataTable { height: 1fr; }
    BulkEditScreen #bulk-progress { margin: 1 0; }
    BulkEditScreen #bulk-count, BulkEditScreen #bulk-apply-path { width: 1fr; height: auto; }
    BulkEditScreen #bulk-plan-path { color: $text-muted; margin-top: 1; }
    BulkEditScreen #bulk-failure-detail { height: auto; max-height: 4; }
    BulkEditScreen .dialog-buttons { margin-top: 0; }
    """

    BINDINGS = [
        Binding(
            "escape",
            "back",
            "Back",
            id="bulk.back",
            tooltip="Back one step; while applying, asks whether to stop",
        ),
        Binding(
            "f10,ctrl+s",
            "preview",
            "Preview",
            id="bulk.preview",
            tooltip="Show the change for every customer (nothing is sent yet)",
        ),
        Binding(
            "f10,ctrl+s",
            "apply",
            "Apply",
            id="bulk.apply",
            tooltip="Apply the previewed change (asks first)",
        ),
    ]

    def __init__(
        self, customers: list[Customer] | None = None, plan: bulk.BulkPlan | None = None
    ) -> None:
        super().__init__()
        self.customers = list(customers or [])
        self.plan: bulk.BulkPlan | None = plan
        self.resuming = plan is not None
        self.fields: list[bulk.BulkField] = []
        self.stage = "setup"
        self.stop = asyncio.Event()
        self.running = False
        self.sent = 0
        self.todo = 0
        self.problems: list[bulk.BulkItem] = []

    # -- layout ---------------------------------------------------------------------------

    @property
    def profile(self) -> Profile:
        """The session's profile (this screen opens only in a session)."""
        resolved = self.flow_app.resolved
        if resolved is None:
            raise RuntimeError("no session: log in first")
        return resolved.profile

    def compose(self) -> ComposeResult:
        service = self.flow_app.api
        yield StoreHeader(self.profile, bool(service.is_sandbox), "Bulk edit")
        count = len(self.customers)
        noun = "customer" if count == 1 else "customers"
        with ContentSwitcher(initial="bulk-setup", id="bulk-stages"):
            with Vertical(id="bulk-setup"):
                yield Label(
                    Text(f"Set one field for {count:,} {noun}"),
                    classes="bulk-title",
                    id="bulk-title",
                )
                with Horizontal(classes="bulk-row"):
                    yield Label("Field")
                    yield Select[str]([], prompt="Loading fields…", compact=True, id="bulk-field")
                with Horizontal(classes="bulk-row"):
                    yield Label("New value")
                    yield TextInput(compact=True, id="bulk-value", placeholder="empty clears it")
                yield Label("", id="bulk-hint")
                yield Label("", id="bulk-problem")
                yield Static(
                    Text(
                        "Not offered: "
                        + "; ".join(f"{slug}, as {why}" for slug, why in bulk.EXCLUDED.items())
                        + "."
                    ),
                    id="bulk-notes",
                )
                with Horizontal(classes="dialog-buttons"):
                    yield Button("Preview (F10)", variant="primary", id="bulk-do-preview")
                    yield Button("Cancel", id="bulk-cancel")
            with Vertical(id="bulk-preview"):
                yield Label("", classes="bulk-title", id="bulk-preview-summary")
                yield DataTable(id="bulk-preview-table", cursor_type="row", zebra_stripes=True)
                with Horizontal(classes="dialog-buttons"):
                    yield Button("Apply (F10)", variant="warning", id="bulk-do-apply")
                    yield Button("Back", id="bulk-back")
            with Vertical(id="bulk-apply"):
                yield Label("", classes="bulk-title", id="bulk-apply-title")
                yield ProgressBar(id="bulk-progress", show_eta=False)
                yield Label("", id="bulk-count")
                yield Label("", id="bulk-apply-path")
            with Vertical(id="bulk-report"):
                yield Label("", classes="bulk-title", id="bulk-report-summary")
                yield DataTable(id="bulk-failures", cursor_type="row", zebra_stripes=True)
                yield Static("", id="bulk-failure-detail")
                yield Static("", id="bulk-plan-path")
                with Horizontal(classes="dialog-buttons"):
                    yield Button("Resume", variant="primary", id="bulk-resume")
                    yield Button("Close", id="bulk-close")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#bulk-problem", Label).display = False
        if self.plan is not None:
            self.show_preview()
            return
        self.query_one("#bulk-do-preview", Button).disabled = True
        self.load_fields()
        profile = self.profile
        waiting = bulk.unfinished_plans(profile.name, base_url=profile.base_url, exclude=ACTIVE)
        if waiting:
            self.app.push_screen(ResumeDialog(waiting[0]), self.resume_answer(waiting[0]))

    def resume_answer(self, plan: bulk.BulkPlan) -> Callable[[str | None], None]:
        def answer(choice: str | None) -> None:
            if choice == "resume":  # confirmed in the dialog: no second question
                self.plan = plan
                self.resuming = True
                self.show_preview()
                if plan.to_send:
                    self.run_plan()
            elif choice == "discard":
                try:
                    bulk.discard_plan(plan)
                except bulk.PlanError as exc:
                    self.flow_app.report(str(exc), title="", severity="error")
                    return
                self.notify("Discarded the unfinished bulk edit.", timeout=3)

        return answer

    def set_stage(self, stage: str) -> None:
        self.stage = stage
        self.query_one("#bulk-stages", ContentSwitcher).current = f"bulk-{stage}"
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "preview":
            return self.stage == "setup"
        if action == "apply":
            return self.stage == "preview"
        return True

    # -- setup ----------------------------------------------------------------------------

    @work(exclusive=True, group="bulk.fields", exit_on_error=False)
    async def load_fields(self) -> None:
        custom = await self.flow_app.api.value_fields("customers")
        self.fields = bulk.bulk_fields(custom)
        select = self.query_one("#bulk-field", Select)
        select.set_options(
            [(safe(f"{f.label} ({f.slug}, {f.field_type})", 70), f.slug) for f in self.fields]
        )
        select.prompt = "Choose the field"
        self.query_one("#bulk-field", Select).focus()
        self.check_setup()

    def chosen_field(self) -> bulk.BulkField | None:
        value = self.query_one("#bulk-field", Select).value
        return next((f for f in self.fields if f.slug == value), None)

    def check_setup(self) -> tuple[bulk.BulkField | None, Any, str | None]:
        """The chosen field, the typed value and its problem; shown as you type."""
        target = self.chosen_field()
        hint = self.query_one("#bulk-hint", Label)
        problem_label = self.query_one("#bulk-problem", Label)
        if target is None:
            hint.update("")
            problem_label.display = False
            self.query_one("#bulk-do-preview", Button).disabled = True
            return None, None, "choose a field"
        value, problem = bulk.parse_value(target, self.query_one("#bulk-value", TextInput).value)
        hint.update(Text(display(target.hint())))
        problem_label.update(Text(f"{display(target.label)} {problem}" if problem else ""))
        problem_label.display = bool(problem)
        self.query_one("#bulk-do-preview", Button).disabled = problem is not None
        return target, value, problem

    def on_select_changed(self, event: Select.Changed) -> None:
        self.check_setup()

    def on_input_changed(self, event: TextInput.Changed) -> None:
        if event.input.id == "bulk-value":
            self.check_setup()

    def on_input_submitted(self, event: TextInput.Submitted) -> None:
        if event.input.id == "bulk-value":
            self.action_preview()

    def action_preview(self) -> None:
        if self.stage != "setup":
            return
        target, value, problem = self.check_setup()
        if target is None or problem is not None:
            self.app.bell()
            return
        profile = self.profile
        self.plan = bulk.build_plan(profile.name, profile.base_url, target, value, self.customers)
        self.resuming = False
        self.show_preview()

    # -- preview --------------------------------------------------------------------------

    def show_preview(self) -> None:
        plan = self.plan
        assert plan is not None
        table = self.query_one("#bulk-preview-table", DataTable)
        table.clear(columns=True)
        table.add_column("Name", width=22, key="name")
        table.add_column("Email", width=28, key="email")
        table.add_column("Before", width=16, key="before")
        table.add_column("After", width=24, key="after")
        table.add_rows(
            [
                (
                    safe(item.name, 40),
                    safe(item.email, 60),
                    value_cell(item.before),
                    outcome_cell(plan, item),
                )
                for item in plan.items
            ]
        )
        send = len(plan.to_send)
        if self.resuming:
            text = (
                f"Resume: {display(plan.describe())}. {plan.summary()}. {send:,} to send; "
                "each is read first and skipped if it changed since the preview."
            )
        else:
            text = f"Preview: {display(plan.describe())}. {send:,} will change"
            if plan.unchanged:
                text += f"; {plan.unchanged:,} already have it (no change, not sent)"
            text += ". Nothing is sent until you apply."
        self.query_one("#bulk-preview-summary", Label).update(Text(text))
        self.query_one("#bulk-do-apply", Button).disabled = send == 0
        self.set_stage("preview")
        table.focus()

    def action_apply(self) -> None:
        plan = self.plan
        if self.stage != "preview" or plan is None:
            return
        send = len(plan.to_send)
        if not send:
            self.app.bell()
            self.notify("Nothing to send: every customer already has this value.", timeout=3)
            return
        app = self.flow_app
        service = app.api
        host = urlsplit(plan.base_url).netloc or plan.base_url
        where = "the SANDBOX" if service.is_sandbox else "the LIVE STORE"
        rate = app.resolved.profile.rate_limit if app.resolved else None
        seconds = send / rate if rate else 0
        pace = ""
        if seconds >= 2:
            took = f"{seconds:,.0f} s" if seconds < 120 else f"{seconds / 60:,.0f} min"
            pace = f", about {took} at {rate:g} requests/s"
        what = display(plan.describe())
        dialog = ConfirmDialog(
            f"Change {display(plan.field.label)} for {send:,} customers?",
            f"{what[:1].upper()}{what[1:]} on {host} ({where}){pace}. "
            "The plan is saved as it runs: esc stops, and a stopped run can be resumed.",
            "Apply",
        )

        def answer(yes: bool | None) -> None:
            if yes:
                self.run_plan()

        self.app.push_screen(dialog, answer)

    # -- apply ----------------------------------------------------------------------------

    @work(exclusive=True, group="bulk.apply", exit_on_error=False)
    async def run_plan(self) -> None:
        plan = self.plan
        assert plan is not None
        self.stop = asyncio.Event()
        self.running = True
        ACTIVE.add(plan.id)
        todo = len(plan.to_send)
        self.query_one("#bulk-apply-title", Label).update(
            Text(f"Applying: {display(plan.describe())}. Paced to the profile's rate limit.")
        )
        bar = self.query_one("#bulk-progress", ProgressBar)
        bar.update(total=max(todo, 1), progress=0)
        self.sent = 0
        self.todo = todo
        self.show_count()
        self.set_stage("apply")
        try:
            await bulk.apply(self.flow_app.api, plan, self.on_progress, stop=self.stop)
        finally:
            ACTIVE.discard(plan.id)
            self.running = False
            self.show_report()

    def on_progress(self, plan: bulk.BulkPlan, item: bulk.BulkItem) -> None:
        self.sent += 1
        self.query_one("#bulk-progress", ProgressBar).advance(1)
        self.show_count()

    def show_count(self) -> None:
        plan = self.plan
        assert plan is not None
        c = plan.counts()
        text = (
            f"{self.sent:,} of {self.todo:,} · {c[bulk.DONE]:,} changed · "
            f"{c[bulk.FAILED]:,} failed · {c[bulk.SKIPPED] - plan.unchanged:,} skipped"
        )
        if self.stop.is_set():
            text += " · stopping…"
        self.query_one("#bulk-count", Label).update(Text(text))
        if plan.path is not None:
            self.query_one("#bulk-apply-path", Label).update(Text(f"Plan: {plan.path}"))

    def ask_stop(self) -> None:
        def answer(yes: bool | None) -> None:
            if yes and self.running:
                self.stop.set()
                self.show_count()

        dialog = ConfirmDialog(
            "Stop the bulk edit?",
            "The customers being sent now finish; the rest stay pending in the plan. "
            "Resume later from this screen or with bulk: resume (ctrl+p).",
            "Stop",
        )
        self.app.push_screen(dialog, answer)

    # -- report ---------------------------------------------------------------------------

    def show_report(self) -> None:
        plan = self.plan
        assert plan is not None
        if plan.state == "finished":
            head = "Done"
        elif plan.state == "interrupted":
            head = "Interrupted"
        else:
            head = "Stopped"
        lines = [f"{head}: {display(plan.describe())}. {plan.summary()}."]
        if plan.state != "finished" and plan.stop_reason:
            lines.append(plan.stop_reason)
        if plan.unfinished:
            lines.append(f"{len(plan.to_send):,} left: resume now, or later with bulk: resume.")
        self.query_one("#bulk-report-summary", Label).update(literal("\n".join(lines)))
        table = self.query_one("#bulk-failures", DataTable)
        table.clear(columns=True)
        problems = plan.problems()
        table.add_column("Name", width=20, key="name")
        table.add_column("Email", width=24, key="email")
        table.add_column("Failure" if problems else "No failures", width=90, key="reason")
        table.add_rows(
            [
                (safe(i.name, 40), safe(i.email, 60), safe(f"{i.status}: {i.reason}", 300))
                for i in problems
            ]
        )
        self.problems = problems
        self.show_failure(0)
        path = str(plan.path) if plan.path else "(not saved)"
        self.query_one("#bulk-plan-path", Static).update(
            Text(f"Plan and per-customer results: {path}")
        )
        self.query_one("#bulk-resume", Button).display = plan.unfinished
        self.set_stage("report")
        table.focus()

    def show_failure(self, row: int) -> None:
        """The whole message of the highlighted failure, wrapped, under the table."""
        detail = self.query_one("#bulk-failure-detail", Static)
        if 0 <= row < len(self.problems):
            item = self.problems[row]
            detail.update(
                Text(f"{display(item.name)} <{display(item.email)}>: {display(item.reason)}")
            )
        else:
            detail.update("")

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "bulk-failures":
            self.show_failure(event.cursor_row)

    def resume_now(self) -> None:
        self.resuming = True
        self.show_preview()

    # -- keys and buttons -----------------------------------------------------------------

    def action_back(self) -> None:
        if self.stage == "apply":
            if self.running:
                self.ask_stop()
            return
        if self.stage == "preview" and not self.resuming:
            self.set_stage("setup")
            self.query_one("#bulk-value", TextInput).focus()
            return
        self.dismiss(None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        actions = {
            "bulk-do-preview": self.action_preview,
            "bulk-do-apply": self.action_apply,
            "bulk-back": self.action_back,
            "bulk-cancel": self.action_back,
            "bulk-close": self.action_back,
            "bulk-resume": self.resume_now,
        }
        action = actions.get(event.button.id or "")
        if action is not None:
            event.stop()
            action()


def resume_bulk(app: SessionApp) -> None:
    """The palette's ``bulk: resume``: open the newest unfinished plan of this profile."""
    if not app.writable("bulk-edit customers") or app.resolved is None:
        return
    profile = app.resolved.profile
    waiting = bulk.unfinished_plans(profile.name, base_url=profile.base_url, exclude=ACTIVE)
    if not waiting:
        app.notify(f"No unfinished bulk edit for profile {profile.name}.", markup=False, timeout=3)
        return
    app.push_screen(BulkEditScreen(plan=waiting[0]))
