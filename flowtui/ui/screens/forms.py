"""Create forms opened from the palette or the views: a customer (with the custom fields of
the ``customers`` flow, checked as you type) and a flow (slug checked as you type).
Save stays disabled while anything is invalid; the store's rejections land on their field.

A form whose fields the session already keeps (:mod:`flowtui.api.definitions`) is composed
with its inputs and the focus in the first one: it opens with no round trip. Otherwise it reads
them in a worker, and until its inputs are there it holds the keys typed meanwhile
(:meth:`FormScreen.accepts_keys`, ui/typeahead.py), which then land in the form."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual import events, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Button, Label, Static
from textual.worker import Worker, WorkerState

from flowtui.api.errors import ApiError, AuthError, ConflictError, NetworkError
from flowtui.api.models import Customer, Field
from flowtui.api.service import Change
from flowtui.core import fields as F
from flowtui.ui.screens.base import KEPT_FORMS, BaseModal
from flowtui.ui.screens.dialogs import close_form
from flowtui.ui.session import error_lines
from flowtui.ui.widgets.footer import Footer
from flowtui.ui.widgets.form import FieldEditor, FormField
from flowtui.ui.widgets.safe import display, literal


def _email_problem(value: str) -> str | None:
    return None if F.is_email(value) else "must be an email address"


CUSTOMER_BASE = [
    FormField("name", "Name", required=True),
    FormField("email", "Email", required=True, extra=_email_problem),
    FormField("password", "Password", secret=True, description="never shown"),
    FormField("external_ref", "External ref"),
]


class FormScreen(BaseModal):
    """A modal form of :class:`FieldEditor` rows with Save and Cancel."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="form.cancel", tooltip="Close (asks if changed)"),
        Binding(
            "ctrl+s,f10", "save", "Save", id="form.save", tooltip="Save (F10 if ctrl+s is eaten)"
        ),
    ]
    TITLE_TEXT = "Form"
    #: What takes the focus when the screen is composed: the first input (not the scrolling
    #: body, Textual's first focusable, whose focus and blur each restyle the whole form).
    AUTO_FOCUS = "#form-fields Input, #form-fields Select, #form-fields Checkbox"

    def __init__(self) -> None:
        super().__init__()
        self.specs: list[FormField] = []
        self.initial_values: dict[str, Any] = {}
        self.saving = False
        #: Whether the form has shown its inputs (or given up: its fields could not be read).
        self.inputs_shown = False
        #: Whether the form, composed ahead, was also laid out and rendered ahead
        #: (:meth:`lay_out_ahead`).
        self.drawn_ahead = False
        self.layouts_ahead = 0

    def compose(self) -> ComposeResult:
        specs = self.initial_specs()
        with Vertical(classes="form-dialog"):
            yield Label(literal(self.TITLE_TEXT), classes="dialog-title")
            with VerticalScroll(id="form-fields"):
                if specs is not None:
                    self.specs = specs
                    yield from self.editors_for(specs, self.spec_values(specs))
            yield Static("", id="form-message")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save", variant="primary", id="save", disabled=True)
                yield Button("Cancel", id="cancel")
        yield Footer()

    #: The flow whose fields the form shows: a field (or flow) Change for it rebuilds the form.
    FIELDS_FLOW: str | None = None

    def spec_values(self, specs: list[FormField]) -> dict[str, Any]:
        """What the editors start with when nothing was typed (by key); none by default."""
        return {}

    def initial_specs(self) -> list[FormField] | None:
        """The specs known without a round trip, composed with the form; None (the default):
        the form shows them later with :meth:`set_specs`."""
        return None

    @staticmethod
    def editors_for(specs: list[FormField], values: dict[str, Any]) -> list[FieldEditor]:
        return [FieldEditor(s, values.get(s.key), id=f"field-{s.key}") for s in specs]

    def accepts_keys(self) -> bool:
        """Whether keys typed now can land (:class:`~flowtui.ui.typeahead.KeyReady`): the
        inputs are there, the focus in the first one, or the form is not building them (no
        ``form.fields`` worker of its own is under way)."""
        return self.inputs_shown or not any(
            w.node is self and w.group == "form.fields" and not w.is_finished
            for w in self.app.workers
        )

    def inputs_ready(self) -> None:
        """The inputs are there: focus the first one now (not after a refresh, so the keys
        typed meanwhile land in it) and let those keys come."""
        editors = self.editors()
        if editors and not self.inputs_shown:
            self.set_focus(editors[0].input)
        self.inputs_shown = True
        self.flow_app.keys_ready()

    async def set_specs(self, specs: list[FormField], values: dict[str, Any] | None = None) -> None:
        """Show one editor per spec, filled from ``values`` (by key), else from
        :meth:`spec_values`."""
        self.specs = specs
        values = {**self.spec_values(specs), **(values or {})}
        body = self.query_one("#form-fields", VerticalScroll)
        await body.remove_children()
        await body.mount_all(self.editors_for(specs, values))
        editors = list(self.query(FieldEditor))
        if editors:
            self.set_focus(editors[0].input)
        self.initial_values = self.values()[0]
        self.revalidate()
        self.inputs_ready()

    def editors(self) -> list[FieldEditor]:
        return list(self.query(FieldEditor))

    def values(self) -> tuple[dict[str, Any], bool]:
        values: dict[str, Any] = {}
        ok = True
        for editor in self.editors():
            value, problem = editor.value()
            ok = ok and problem is None
            values[editor.spec.key] = value
        return values, ok

    def revalidate(self) -> None:
        _, ok = self.values()
        self.query_one("#save", Button).disabled = not ok or self.saving or not self.specs

    async def follow_specs(self, specs: list[FormField]) -> None:
        """Show ``specs``: the first time as they are; later, when they differ (the flow
        changed while the form was open), rebuild keeping what was typed (and what the form
        opened with, so "discard?" still knows) and the focus."""
        if not self.specs:
            await self.set_specs(specs)
            return
        if specs == self.specs:
            return
        typed, opened = self.values()[0], self.initial_values
        focused = self.focused.id if self.focused else None
        await self.set_specs(specs, typed)
        self.initial_values = {**self.initial_values, **opened}
        if focused and self.query(f"#{focused}"):
            self.set_focus(self.query_one(f"#{focused}"))

    @work(exclusive=True, group="form.fields", exit_on_error=False)
    async def load_fields(self) -> None:
        """(Re)load the specs of ``FIELDS_FLOW`` (kept, else read from the store) and follow
        them; a form without one has nothing to load. Forms that build their inputs another
        way (entries) override it."""
        if self.FIELDS_FLOW is not None:
            await self.follow_specs(await self.read_specs())

    def specs_for(self, fields: list[Field]) -> list[FormField]:
        """The form's specs for the value fields of ``FIELDS_FLOW`` (one per field here)."""
        return [FormField.from_field(f) for f in fields]

    def kept_specs(self) -> list[FormField] | None:
        """The specs from the fields of ``FIELDS_FLOW`` the session keeps (None: not kept)."""
        service = self.flow_app.service
        if self.FIELDS_FLOW is None or service is None:
            return None
        fields = service.definitions.value_fields(self.FIELDS_FLOW)
        return None if fields is None else self.specs_for(fields)

    async def read_specs(self) -> list[FormField]:
        """The specs from the kept fields (the service's own changes reach them before the
        form hears of them: it follows without a round trip), else read from the store."""
        specs = self.kept_specs()
        if specs is None:
            fields = await self.flow_app.api.value_fields(self.FIELDS_FLOW or "customers")
            specs = self.specs_for(fields)
        return specs

    def open_fields(self) -> None:
        """At mount: a form composed from kept fields has them read again in the background
        (at most every 30 s: api/definitions.py); the others read them now."""
        if self.specs and self.FIELDS_FLOW is not None:
            self.flow_app.api.definitions.revalidate(self.FIELDS_FLOW)
        else:
            self.load_fields()

    # -- a kept form: built once, filled again for each open ------------------------------------

    @classmethod
    def kept_name(cls) -> str:
        return f"{KEPT_FORMS}{cls.__name__}"

    @classmethod
    def compose_ahead(cls, app: App[Any], build: Callable[[], FormScreen]) -> bool:
        """Compose the form this class keeps ahead of its first open, off screen (while the
        app is idle, once the fields are kept): that open only fills it. False while the
        fields are not kept yet (try again later); True once there is a kept form.

        Textual composes a screen when it is first pushed (``App._get_screen`` registers
        it); this does the same registration, ``App._register``, without pushing it:
        the one Textual internal used here (tests/ui/test_kept_forms.py checks it)."""
        if app.is_screen_installed(cls.kept_name()):
            return True
        screen = build()
        if screen.kept_specs() is None:
            return False
        app.install_screen(screen, cls.kept_name())
        app._register(app, screen)
        return True

    @classmethod
    def lay_out_ahead(cls, app: App[Any]) -> bool:
        """One more step of getting the kept form of this class drawn ahead, off screen; True
        once there is nothing left to do (or nothing to do it to).

        Composed ahead, a form still has its first layout and render to go, and Textual does
        both when it is first shown: a reflow at the screen's size (whose ``Resize`` of the
        screen itself lays it out a second time, and the screens behind it too), then every
        widget rendered from empty caches, twice the CPU of a later open. Here, while the app
        is idle, in two steps (its widgets handle the ``Resize`` and ``Show`` of the first
        before the second renders them): the screen's ``_refresh_layout`` at the app's size,
        which draws nothing for a screen that is not the current one, then its compositor's
        full render, whose result is dropped: nothing reaches the terminal, the focus and the
        keys stay where they are. The two Textual internals used here are checked by
        tests/ui/test_forms_ahead.py."""
        if not app.is_screen_installed(cls.kept_name()):
            return True
        screen = app.get_screen(cls.kept_name())
        if not isinstance(screen, FormScreen) or screen in app.screen_stack:
            return True
        if not screen.is_attached or not screen.inputs_shown:
            return False  # still being composed ahead
        if screen.drawn_ahead:
            return True
        if screen.outer_size != app.size or (screen._layout_required and screen.layouts_ahead < 4):
            # Laid out again while the last layout's Resize and Show left widgets asking for
            # one (the footer's keys, the select's label), as the screen's own update would.
            screen._refresh_layout(app.size)
            screen._layout_required = False
            screen.layouts_ahead += 1
            return False
        screen._compositor.render_update(full=True, screen_stack=[app.screen])
        screen.drawn_ahead = True
        screen.styled_for = screen.style_inputs()  # styled as its first open would
        return True

    @classmethod
    def kept(cls, app: App[Any], build: Callable[[], FormScreen]) -> FormScreen:
        """The form of this class the app keeps (``install_screen``), made ready to open
        again (:meth:`reusable`, then the caller refills it), else a new one from ``build``
        (kept from now on when nothing else is).

        Composing, styling and laying out a form of ten rows costs about as much as drawing
        it; a kept form is already composed: opening it only puts the new values in."""
        name = cls.kept_name()
        if app.is_screen_installed(name):
            kept = app.get_screen(name)
            if isinstance(kept, cls) and kept.reusable():
                return kept
            if (
                kept in app.screen_stack
                or not getattr(kept, "inputs_shown", True)
                or any(w.node is kept and not w.is_finished for w in app.workers)
            ):
                # Open (under a dialog), still being composed ahead, or following a change
                # of its fields: leave it be (removing it would cancel that work).
                return build()
            app.uninstall_screen(name)
            kept.remove()
        screen = build()
        app.install_screen(screen, name)
        return screen

    def reusable(self) -> bool:
        """Whether this kept form may open again: closed, composed with the fields the
        session keeps now (a changed flow builds a new form), nothing of its own running."""
        return (
            self.is_running
            and self.inputs_shown
            and self not in self.app.screen_stack
            and bool(self.specs)
            and self.specs == self.kept_specs()
            and not any(w.node is self and not w.is_finished for w in self.app.workers)
        )

    def reopen(self) -> None:
        """Put the kept form back as it is composed: the title, the values of
        :meth:`spec_values`, nothing typed, no problem shown, not saving, the note of
        :meth:`opening_note` under it, scrolled to the top, the focus in the first input,
        what it opened with as the baseline of "changed?"; and the fields read again in the
        background. Set what :meth:`spec_values`, ``TITLE_TEXT`` and :meth:`opening_note`
        depend on first."""
        title = self.query_one(".dialog-title", Label)
        if str(title.content) != self.TITLE_TEXT:
            title.update(literal(self.TITLE_TEXT))
        values = self.spec_values(self.specs)
        for editor in self.editors():
            editor.reset(values.get(editor.spec.key))
        self.saving = False
        self.message(self.opening_note())
        self.query_one("#form-fields", VerticalScroll).scroll_home(animate=False)
        self.initial_values = self.values()[0]
        self.revalidate()
        editors = self.editors()
        if editors:
            # Blurred first, so the input is focused again as when composed (Input selects
            # its text on focus: what is typed first replaces it).
            self.set_focus(None)
            self.set_focus(editors[0].input, scroll_visible=False)
        self.open_fields()

    def opening_note(self) -> str:
        """What the note under the form says when it opens (none by default)."""
        return ""

    # -- shown again without restyling every node ----------------------------------------------

    #: The app-wide inputs of the form's styles when it was last put away (None: never).
    styled_for: tuple[Any, ...] | None = None

    def style_inputs(self) -> tuple[Any, ...]:
        """What, outside the form, its styles depend on: the stylesheet's rules (a new list
        each time a screen's CSS is added or the CSS is parsed again, as a theme change does;
        the list itself is kept, so its id is not reused), the theme, and the app's classes
        (the theme's, dark or light mode) and pseudo-classes (:focus and :blur, :dark,
        :light, :ansi, :nocolor, :inline), which Textual restyles only the screens of the
        stack for."""
        app = self.app
        return (
            app.stylesheet.rules,
            app.theme,
            app.classes,
            app.pseudo_classes,
            app.ansi_color,
            app.no_color,
        )

    def on_screen_suspend(self) -> None:
        self.styled_for = self.style_inputs()

    def post_message(self, message: Message) -> bool:
        """Textual restyles every node of a screen pushed (``ScreenResume``), for what may
        have changed while it was away: only app-wide inputs can, since a change to a node
        of the form (a class, a pseudo-class, a node mounted or removed) restyles it at once,
        shown or not. A kept form shown again with the same :meth:`style_inputs` as when it
        was put away (or styled ahead) skips that restyle, a third of an open's CPU;
        tests/ui/test_forms_ahead.py compares what it then draws with a full restyle's."""
        if (
            isinstance(message, events.ScreenResume)
            and message.refresh_styles
            and self.styled_for is not None
            and self.styled_for == self.style_inputs()
        ):
            message = events.ScreenResume(refresh_styles=False)
        return super().post_message(message)

    def on_mount(self) -> None:
        # Textual calls every class's on_mount, so the forms below still follow changes.
        self.flow_app.follow_changes(self, self.store_changed)
        if self.specs and not self.inputs_shown:  # composed with its inputs
            self.initial_values = self.values()[0]
            self.revalidate()
            self.inputs_ready()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # Textual also calls the funnel's handler (which reports the error).
        failed = event.worker.group == "form.fields" and event.state == WorkerState.ERROR
        if failed and not self.inputs_shown:
            self.inputs_ready()  # the fields could not be read: the keys go where they may

    def store_changed(self, change: Change) -> None:
        """A field of ``FIELDS_FLOW`` (or the flow) changed: the form follows. A kept form
        that is closed does not: its next open compares its fields with the kept ones."""
        if (
            self in self.app.screen_stack
            and self.FIELDS_FLOW is not None
            and change.resource in ("field", "flow")
            and change.flow_slug in (self.FIELDS_FLOW, None)
        ):
            self.load_fields()

    def dirty(self) -> bool:
        """Whether anything differs from what the form opened with."""
        return self.specs != [] and self.values()[0] != self.initial_values

    def on_field_editor_changed(self, event: FieldEditor.Changed) -> None:
        self.revalidate()

    def message(self, text: str, error: bool = False) -> None:
        widget = self.query_one("#form-message", Static)
        widget.update(literal(text))
        widget.set_class(error, "error")

    def failed(self, exc: Exception) -> None:
        """A save failed: the form stays as typed; the store's messages go next to their
        fields, anything else under the form."""
        self.saving = False
        self.revalidate()
        if isinstance(exc, ApiError):
            self.show_server_errors(exc)
        else:
            self.message(f"Not saved ({type(exc).__name__}): {exc}. Your input is kept.", True)

    def show_server_errors(self, error: ApiError) -> None:
        """Put each message next to its field; the rest under the form."""
        if isinstance(error, AuthError):
            # The session ended: log in again over this form, which keeps what was typed.
            self.message("Not saved: the store refused the credentials. Log in, then Save.", True)
            self.flow_app.report_error(error)
            return
        placed = set()
        for editor in self.editors():
            messages = error.for_attribute(editor.spec.key)
            editor.set_server_error("; ".join(messages) if messages else None)
            if messages:
                placed.add(editor.spec.key)
        rest = [e for e in error.errors if e.attribute not in placed]
        if rest:
            lines = error_lines(type(error)(rest, status=error.status))
            self.message(f"{error.kind}: " + " ".join(lines), error=True)
        else:
            self.message(f"{error.kind}: see the fields above.", error=True)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            self.action_save()
        else:
            self.action_cancel()

    def action_save(self) -> None:
        values, ok = self.values()
        if not ok and not self.saving:
            self.point_at_problems()
        elif ok and not self.saving:
            self.saving = True
            self.revalidate()
            self.message("Saving…")
            self.submit(values)

    def point_at_problems(self) -> None:
        """Save was asked with something missing or wrong: show every problem next to its
        field, say under the form what is wrong, and move the focus to the first one."""
        wrong = []
        for editor in self.editors():
            _, problem = editor.value()
            if problem is not None:
                editor.show_problem(problem)
                wrong.append((editor, problem))
        if not wrong:
            return
        first, problem = wrong[0]
        more = f" (and {len(wrong) - 1} more above)" if len(wrong) > 1 else ""
        label = display(first.spec.label)
        sep = " " if problem.startswith(("is ", "must ", "may ", "has ")) else ": "
        self.message(f"Not saved: {label}{sep}{problem}{more}.", error=True)
        first.input.focus()
        first.scroll_visible()

    def action_cancel(self) -> None:
        close_form(self, self.dirty())

    def submit(self, values: dict[str, Any]) -> object:  # pragma: no cover - overridden
        """Send ``values``; forms override it with a worker (what it returns is not used)."""
        raise NotImplementedError


class NewCustomerScreen(FormScreen):
    TITLE_TEXT = "New customer"
    FIELDS_FLOW = "customers"

    def __init__(self) -> None:
        super().__init__()
        #: Emails (folded) of Saves whose answer was lost: they may have created the customer.
        self.maybe_created: set[str] = set()

    def on_mount(self) -> None:
        self.open_fields()

    @classmethod
    def opening(cls, app: App[Any]) -> NewCustomerScreen:
        """The form to push: the kept one, emptied, or a new one."""
        screen = cls.kept(app, cls)
        assert isinstance(screen, cls)
        if screen.is_running:
            screen.maybe_created.clear()
            screen.reopen()
        return screen

    def specs_for(self, fields: list[Field]) -> list[FormField]:
        return CUSTOMER_BASE + [FormField.from_field(f) for f in fields]

    def initial_specs(self) -> list[FormField] | None:
        return self.kept_specs()

    @work(exclusive=True, group="form.save", exit_on_error=False)
    async def submit(self, values: dict[str, Any]) -> None:
        base = {k: values.pop(k) for k in ("name", "email", "password", "external_ref")}
        custom = {k: v for k, v in values.items() if v is not None}
        service = self.flow_app.api
        email = base["email"]
        try:
            customer = await service.create_customer(
                name=base["name"],
                email=email,
                password=base["password"] or None,
                external_ref=base["external_ref"],
                custom=custom,
            )
        except ApiError as exc:
            if isinstance(exc, NetworkError) and exc.maybe_sent:
                self.maybe_created.add(email.lower())
            found = None
            if isinstance(exc, ConflictError) and email.lower() in self.maybe_created:
                found = await self.created_after_all(email, base["name"])
            if found is None:
                self.saving = False
                self.revalidate()
                self.show_server_errors(exc)
                return
            customer = found
        except Exception as exc:
            self.saving = False
            self.revalidate()
            self.message(f"Not saved ({type(exc).__name__}): {exc}. Your input is kept.", True)
            return
        self.notify(f"Created customer {customer.email}", markup=False)
        self.dismiss(customer)

    async def created_after_all(self, email: str, name: str) -> Customer | None:
        """The customer an earlier Save of this form created although its answer was lost
        (found by email, with the name typed), or None."""
        try:
            found = await self.flow_app.api.customer_by_email(email)
        except ApiError:
            return None
        return found if found is not None and found.name == name else None


def _flow_slug_problem(value: str) -> str | None:
    return F.flow_slug_problem(value)


class NewFlowScreen(FormScreen):
    TITLE_TEXT = "New flow"

    def on_mount(self) -> None:
        self.run_worker(self.set_specs(self.flow_specs()), exclusive=True, group="form.fields")

    @staticmethod
    def flow_specs() -> list[FormField]:
        return [
            FormField("name", "Name", required=True),
            FormField("slug", "Slug", required=True, extra=_flow_slug_problem),
            FormField("description", "Description"),
            FormField("enabled", "Enabled", field_type="boolean", default=True),
        ]

    def on_field_editor_changed(self, event: FieldEditor.Changed) -> None:
        super().on_field_editor_changed(event)
        if event.editor.spec.key == "slug":
            value, problem = event.editor.value()
            resource = F.core_resource(value) if isinstance(value, str) else None
            if not problem and resource:
                self.message(
                    f"{value!r} is a core flow: its fields extend the {resource} resource."
                )
            elif not problem:
                self.message("A custom flow: its records are entries.")

    @work(exclusive=True, group="form.save", exit_on_error=False)
    async def submit(self, values: dict[str, Any]) -> None:
        try:
            flow = await self.flow_app.api.create_flow(
                values["name"], values["slug"], values["description"] or "", bool(values["enabled"])
            )
        except ApiError as exc:
            self.saving = False
            self.revalidate()
            self.show_server_errors(exc)
            return
        self.notify(f"Created flow {flow.slug}", markup=False)
        self.dismiss(flow)
