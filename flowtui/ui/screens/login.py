"""Log in: pick a profile, or fill in a new one and test it. A profile is saved only once its
credentials worked; the store's own complaint is shown inline, never a traceback.

The same screen opens over the current view when a session's credentials stop working
(``mode="reauth"``), so nothing typed in an open form is lost.
"""

from __future__ import annotations

from typing import Literal, Protocol, runtime_checkable

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import (
    Button,
    Checkbox,
    Footer,
    Input,
    Label,
    OptionList,
    Select,
    Static,
)
from textual.widgets.option_list import Option

from flowtui.api.advice import explain
from flowtui.api.service import ApiService
from flowtui.config.profiles import (
    REGIONS,
    ConfigError,
    Profile,
    ProfileStore,
    normalise_base_url,
    validate_base_url,
    validate_name,
)
from flowtui.config.resolve import Resolved
from flowtui.config.secrets import secret_store
from flowtui.core.textsafe import printable
from flowtui.core.urls import without_api_version
from flowtui.ui.screens.base import BaseModal
from flowtui.ui.widgets.inputs import TextInput, TickBox

NEW = "__new__"
REGION_CHOICES = [("EU West", "eu-west"), ("US East", "us-east"), ("Custom URL", "custom")]

#: Why the screen is shown: the first start, switching or adding a profile, or a session
#: whose credentials stopped working (then it opens over the view, which stays).
LoginMode = Literal["first", "switch", "new", "reauth"]


@runtime_checkable
class SessionOpener(Protocol):
    """What the login screen needs of the app beyond :class:`SessionApp`: build a service
    for a profile, and make a verified one the session's (``FlowApp`` has both)."""

    def make_service(self, resolved: Resolved, fresh: bool = False) -> ApiService: ...

    async def open_session(
        self, resolved: Resolved, service: ApiService, replace: bool = True
    ) -> None: ...


class LoginScreen(BaseModal):
    """Profiles on the left, the new-profile form on the right."""

    BINDINGS = [
        Binding("escape", "back", "Back", id="login.back", tooltip="Close (when logged in)"),
        Binding("ctrl+t", "test", "Test", id="login.test", tooltip="Test the connection"),
    ]

    def __init__(
        self,
        profiles: ProfileStore,
        *,
        mode: LoginMode = "first",
        error: str | None = None,
        preselect: str | None = None,
    ) -> None:
        super().__init__()
        self.profiles = profiles
        self.mode: LoginMode = mode
        self.error = error
        self.preselect = preselect
        self.editing: Profile | None = None

    @property
    def opener(self) -> SessionOpener:
        """The app, as what opens sessions."""
        app = self.flow_app
        if not isinstance(app, SessionOpener):  # pragma: no cover - FlowApp always is
            raise TypeError(f"LoginScreen needs an app that opens sessions, not {type(app)}")
        return app

    def compose(self) -> ComposeResult:
        titles: dict[LoginMode, str] = {
            "first": "Welcome to flowtui: connect to a store",
            "switch": "Switch profile",
            "new": "New profile",
            "reauth": "Your session ended: log in again",
        }
        with Vertical(id="login"):
            yield Label(titles[self.mode], id="login-title")
            with Horizontal(id="login-body"):
                with Vertical(id="login-picker"):
                    yield Label("Profiles")
                    yield OptionList(id="profile-list")
                with VerticalScroll(id="login-form"):
                    with Horizontal(classes="login-row"):
                        yield Label("Name")
                        yield TextInput(placeholder="e.g. pawnee-prod", id="name", compact=True)
                    with Horizontal(classes="login-row"):
                        yield Label("Region")
                        yield Select(
                            REGION_CHOICES,
                            value="eu-west",
                            allow_blank=False,
                            id="region",
                            compact=True,
                        )
                    with Horizontal(classes="login-row"):
                        yield Label("Base URL")
                        yield TextInput(
                            placeholder="custom region only: https://…",
                            id="url",
                            disabled=True,
                            compact=True,
                        )
                    with Horizontal(classes="login-row"):
                        yield Label("Client id")
                        yield TextInput(id="client-id", compact=True)
                    with Horizontal(classes="login-row"):
                        yield Label("Client secret")
                        yield TextInput(
                            password=True, id="secret", placeholder="not shown", compact=True
                        )
                    yield TickBox("Read-only (implicit token, no secret)", id="read-only")
                    with Horizontal(id="login-buttons"):
                        yield Button("Test connection", id="test")
                        yield Button("Save & connect", variant="primary", id="save")
            yield Static("", id="login-message")
        yield Footer()

    def on_mount(self) -> None:
        self.fill_profiles()
        if self.error:
            self.message(self.error, error=True)
        if self.preselect:
            self.load_profile(self.preselect)
        if self.mode in ("new", "reauth") or not self.profiles_names():
            self.query_one("#name" if self.mode != "reauth" else "#secret", Input).focus()
        else:
            self.query_one("#profile-list", OptionList).focus()

    def profiles_names(self) -> list[str]:
        try:
            return self.profiles.names()
        except ConfigError as exc:
            self.message(str(exc), error=True)
            return []

    def fill_profiles(self) -> None:
        options = self.query_one("#profile-list", OptionList)
        options.clear_options()
        names = self.profiles_names()
        for name in names:
            options.add_option(Option(Text(name), id=name))
        options.add_option(Option(Text("+ New profile"), id=NEW))
        # Highlight the likely choice, so enter alone connects (keyboard first).
        try:
            likely = self.preselect or self.profiles.default_name()
        except ConfigError:
            likely = None
        options.highlighted = names.index(likely) if likely in names else 0

    def message(self, text: str, *, error: bool = False) -> None:
        widget = self.query_one("#login-message", Static)
        widget.update(Text(printable(text, keep_newlines=True)))
        widget.set_class(error, "error")
        widget.set_class(not error, "ok")

    def load_profile(self, name: str) -> None:
        try:
            profile = self.profiles.get(name)
        except ConfigError as exc:
            self.message(str(exc), error=True)
            return
        self.editing = profile
        self.query_one("#name", Input).value = profile.name
        region = next((k for k, v in REGIONS.items() if v == profile.base_url), "custom")
        self.query_one("#region", Select).value = region
        self.query_one("#url", Input).value = profile.base_url if region == "custom" else ""
        self.query_one("#client-id", Input).value = profile.client_id
        self.query_one("#read-only", Checkbox).value = profile.read_only
        self.query_one("#secret", Input).value = ""

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "region":
            self.query_one("#url", Input).disabled = event.value != "custom"

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        name = event.option.id
        if name is None:
            return
        if name == NEW:
            self.editing = None
            for widget_id in ("#name", "#url", "#client-id", "#secret"):
                self.query_one(widget_id, Input).value = ""
            self.query_one("#name", Input).focus()
            self.message("Fill in the new profile, then Test connection or Save & connect.")
            return
        self.load_profile(name)
        self.connect_saved(name)

    def form_profile(self) -> tuple[Profile, str | None] | None:
        """The profile and secret the form describes, or None after showing what is wrong."""
        name = self.query_one("#name", Input).value.strip()
        region = self.query_one("#region", Select).value
        if region == "custom" or not isinstance(region, str):
            url_input = self.query_one("#url", Input)
            # A URL pasted from the API docs ends in /v2, which flowtui adds itself.
            url = without_api_version(url_input.value)
            if url != url_input.value.strip():
                url_input.value = url
        else:
            url = REGIONS[region]
        client_id = self.query_one("#client-id", Input).value.strip()
        secret: str | None = self.query_one("#secret", Input).value
        read_only = self.query_one("#read-only", Checkbox).value
        problems: list[str] = []
        where: list[str] = []  # the input of each problem, to move the focus to the first
        if problem := validate_name(name):
            problems.append(f"Name: {problem}")
            where.append("#name")
        if problem := validate_base_url(url):
            problems.append(f"Base URL: {problem}")
            where.append("#url" if not self.query_one("#url", Input).disabled else "#region")
        if not client_id:
            problems.append("Client id: required")
            where.append("#client-id")
        if not read_only and not secret:
            stored = None
            if self.editing and self.editing.name == name:
                try:
                    stored = secret_store(self.editing).get_secret(name)
                except Exception:
                    stored = None
            if stored is None:
                problems.append("Client secret: required (or tick Read-only)")
                where.append("#secret")
            secret = stored
        if problems:
            self.message("\n".join(problems), error=True)
            first = self.query(where[0])
            if first and first.first().focusable:
                first.first().focus()
            return None
        base = self.editing
        profile = Profile(
            name=name,
            base_url=normalise_base_url(url),
            client_id=client_id,
            read_only=read_only,
            rate_limit=base.rate_limit if base else 20.0,
            accent=base.accent if base else None,
            secret_backend=base.secret_backend if base else "file",
            verify_tls=base.verify_tls if base else True,
            ca_bundle=base.ca_bundle if base else None,
        )
        return profile, (None if read_only else secret)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter in any field means Save & connect (e.g. after typing a new secret)."""
        event.stop()
        self.save()

    def on_tick_box_submitted(self, event: TickBox.Submitted) -> None:
        """Enter on *Read-only* saves and connects too (space ticks it)."""
        event.stop()
        self.save()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "test":
            self.action_test()
        elif event.button.id == "save":
            self.save()

    def action_test(self) -> None:
        form = self.form_profile()
        if form:
            self.try_profile(*form, save=False)

    def save(self) -> None:
        form = self.form_profile()
        if form:
            self.try_profile(*form, save=True)

    def connect_saved(self, name: str) -> None:
        try:
            profile = self.profiles.get(name)
            secret = None if profile.read_only else secret_store(profile).get_secret(name)
        except Exception as exc:
            self.message(str(exc), error=True)
            return
        if not profile.read_only and not secret:
            self.message(f"No secret stored for {name}: type it and press Save & connect.")
            self.query_one("#secret", Input).focus()
            return
        self.try_profile(profile, secret, save=False, open_it=True)

    @work(exclusive=True, group="login.try", exit_on_error=False)
    async def try_profile(
        self, profile: Profile, secret: str | None, *, save: bool, open_it: bool = False
    ) -> None:
        self.message(f"Connecting to {profile.base_url} …")
        resolved = Resolved(profile=profile, secret=secret, source="profile")
        service = self.opener.make_service(resolved, fresh=True)
        try:
            token = await service.verify()
        except Exception as exc:
            await service.aclose()
            self.message(explain(exc, profile.base_url, profile.client_id), error=True)
            return
        where = "a flowtui sandbox" if service.is_sandbox else "the store"
        if not (save or open_it):
            await service.aclose()
            self.message(f"Connected to {where}: {token.kind} token. Save & connect to keep it.")
            return
        if save:
            try:
                first = not self.profiles.names()
                self.profiles.save(profile)
                store = secret_store(profile)
                if secret is not None:
                    store.set_secret(profile.name, secret)
                store.set_token(profile.name, token)
                if first or self.mode == "first":
                    self.profiles.set_default(profile.name)
            except Exception as exc:
                await service.aclose()
                self.message(f"Connected, but the profile could not be saved: {exc}", error=True)
                return
        # Leave first: this worker belongs to this screen and ends with it.
        replace = self.mode != "reauth"
        opener = self.opener
        self.dismiss(True)
        self.app.call_later(opener.open_session, resolved, service, replace)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # On the first screen there is nothing to go back to: hide "esc Back".
        return not (action == "back" and self.mode == "first")

    def action_back(self) -> None:
        self.dismiss(False)
