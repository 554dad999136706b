"""FlowApp: the Textual application. It owns the session (the resolved profile and its
:class:`ApiService`), the global keys, the command palette, and the road from "credentials
refused" back to the login screen. Screens live in ``flowtui/ui/screens/``.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.command import CommandPalette, DiscoveryHit, Hit, Hits, Provider
from textual.screen import Screen
from textual.widgets import Label

from flowtui.api.advice import explain
from flowtui.api.errors import ApiError
from flowtui.api.service import ApiService, Change
from flowtui.api.transport import RetryNotice
from flowtui.config.profiles import ConfigError, ProfileStore
from flowtui.config.resolve import Resolved
from flowtui.core.textsafe import neutral
from flowtui.ops.connect import service_for
from flowtui.ui.logic.early import Early, resolve_at_start, start_early
from flowtui.ui.screens.base import KEPT_FORMS, BaseScreen
from flowtui.ui.screens.main import MainScreen
from flowtui.ui.screens.palette import Palette
from flowtui.ui.session import SessionApp
from flowtui.ui.widgets.safe import install_terminal_guard

ServiceFactory = Callable[..., ApiService]

#: Seconds the exit waits for a form still being composed ahead to finish mounting.
SHUTDOWN_WAIT = 5.0

__all__ = ["FlowApp", "SplashScreen", "freeze_heap", "resolve_at_start"]


def freeze_heap() -> None:
    """Move everything alive now (the app, its screens, styles, caches) out of the garbage
    collector's sight. Full collections otherwise re-scan that long-lived heap every time and
    stall the UI: page-turn p95 went from 150 ms to 80 ms on 30,000 customers (see
    benchmarks/README.md). Objects made later are still collected as usual."""
    gc.collect()
    gc.freeze()


class SplashScreen(BaseScreen):
    """Shown while connecting; the bottom of the screen stack."""

    def compose(self) -> ComposeResult:
        yield Label("flowtui", id="splash-title")
        yield Label("", id="splash-status")

    def status(self, text: str) -> None:
        self.query_one("#splash-status", Label).update(Text(text))

    def accepts_keys(self) -> bool:
        """Keys typed while connecting wait for the screen that follows (ui/typeahead.py)."""
        return False


class FlowtuiCommands(Provider):
    """Namespaced palette commands: ``profile: switch``, ``customer: new``, ``theme: …``."""

    def commands(self) -> list[tuple[str, Callable[[], Any], str]]:
        app: FlowApp = self.app  # type: ignore[assignment]
        items: list[tuple[str, Callable[[], Any], str]] = [
            ("profile: switch", app.action_switch_profile, "Log in with another saved profile"),
            ("profile: new", app.action_new_profile, "Add a store profile and test it"),
        ]
        if app.service is not None:
            items += [
                ("customer: new", app.action_new_customer, "Create a customer, custom fields too"),
                ("bulk: resume", app.action_bulk_resume, "Resume an unfinished bulk edit"),
                ("flow: new", app.action_new_flow, "Create a core or custom flow"),
                (
                    "designer: compare with…",
                    app.action_compare_with,
                    "Another profile's or a schema file's flows and fields, applied here",
                ),
                ("view: customers", partial(app.action_view, "customers"), "Browse customers"),
                ("view: flows", partial(app.action_view, "flows"), "Flows and their fields"),
                ("journal: show", app.action_journal, "The changes made with this profile"),
                ("journal: undo last", app.action_undo_last, "Undo the last change (asks)"),
            ]
        items.append(("keys: show", app.action_toggle_help, "The keys that work where you are"))
        items.append(("theme: choose", app.action_change_theme, "Pick the colours from a list"))
        for theme in sorted(app.available_themes):
            items.append((f"theme: {theme}", partial(app.use_theme, theme), "Change the colours"))
        return items

    async def discover(self) -> Hits:
        for name, callback, help_text in self.commands():
            if not name.startswith("theme: "):
                yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, callback, help_text in self.commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)


class FlowApp(SessionApp):
    CSS_PATH = "app.tcss"
    TITLE = "flowtui"
    COMMANDS = SessionApp.COMMANDS | {FlowtuiCommands}
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", id="app.quit", priority=True, tooltip="Leave flowtui"),
        # f1 is a priority binding so it also works over modal screens (forms, login), which
        # hide the app's ordinary bindings; "?" is not, so it still types into a field.
        Binding(
            "f1",
            "toggle_help",
            "Keys",
            id="app.help",
            priority=True,
            tooltip="Show or hide the keys that work where the focus is",
        ),
        Binding(
            "question_mark",
            "toggle_help",
            "Keys",
            id="app.help_alt",
            show=False,
            tooltip="Show or hide the keys that work where the focus is",
        ),
        # Only while the keys panel is open (check_action): it cannot take the focus.
        Binding(
            "ctrl+down,shift+pagedown",
            "scroll_help(1)",
            "Scroll keys",
            id="app.help_down",
            priority=True,
            show=False,
            tooltip="Scroll this keys panel down",
        ),
        Binding(
            "ctrl+up,shift+pageup",
            "scroll_help(-1)",
            "Scroll keys up",
            id="app.help_up",
            priority=True,
            show=False,
            tooltip="Scroll this keys panel up",
        ),
    ]

    def __init__(
        self,
        profiles: ProfileStore,
        *,
        resolved: Resolved | None = None,
        startup_error: str | None = None,
        service_factory: ServiceFactory = service_for,
        cursor_blink: bool = True,
        on_exit: Callable[[], None] | None = None,
        early: Early | None = None,
    ) -> None:
        super().__init__(profiles)
        install_terminal_guard()
        self.initial = resolved
        self.startup_error = startup_error
        self.service_factory = service_factory
        self.cursor_blink = cursor_blink
        self.on_exit_callback = on_exit
        self._unsubscribe: Callable[[], None] | None = None
        #: The session ``flowtui`` started before the UI was imported (ui/logic/early.py).
        self.early = early

    # -- start-up -------------------------------------------------------------------------

    def get_default_screen(self) -> SplashScreen:
        return SplashScreen(id="splash")

    def on_mount(self) -> None:
        self.apply_keymap()
        if self.initial is not None:
            self.connect(self.initial)
        else:
            from flowtui.ui.screens.login import LoginScreen

            self.push_screen(LoginScreen(self.profiles, mode="first", error=self.startup_error))

    def apply_keymap(self) -> None:
        """Remap keys by binding id from ``[settings.keymap]`` in the config file."""
        try:
            keymap = self.profiles.settings().get("keymap", {})
        except ConfigError as exc:
            self.report(str(exc), title="Configuration")
            return
        if isinstance(keymap, dict):
            good = {k: v for k, v in keymap.items() if isinstance(k, str) and isinstance(v, str)}
            if good:
                self.set_keymap(good)

    def copy_to_clipboard(self, text: str) -> None:
        """Copy without control characters (a pasted ESC sequence could drive a terminal or
        end a bracketed paste) and with lone surrogates, which cannot be sent, replaced."""
        super().copy_to_clipboard(neutral(text))

    def make_service(self, resolved: Resolved, fresh: bool = False) -> ApiService:
        return self.service_factory(resolved, on_retry=self.on_retry)

    def on_retry(self, notice: RetryNotice) -> None:
        if notice.delay >= 1:
            self.report(
                f"{notice.reason}: retrying {notice.method} {notice.path} in {notice.delay:.0f} s",
                title="",
                severity="warning",
                timeout=min(notice.delay, 5),
            )

    @work(exclusive=True, group="app.connect", exit_on_error=False)
    async def connect(self, resolved: Resolved) -> None:
        splash = self.screen if isinstance(self.screen, SplashScreen) else None
        if splash:
            splash.status(f"Connecting to {resolved.profile.base_url} as {resolved.profile.name} …")
        early, self.early = self.early, None
        if early is not None and early.resolved is resolved:
            # Sent before the UI was imported: the log-in check, the fields, the first page.
            service, cancel_early = early.service, early.cancel
            service.transport.on_retry = self.on_retry
            for notice in early.notices:
                self.on_retry(notice)
            verify: Any = early.verified
        else:
            service = self.make_service(resolved)
            # The fields and the first page go out with the log-in, not after it (issue 14).
            cancel_early = start_early(service)
            verify = service.verify()
        try:
            await verify
        except Exception as exc:
            from flowtui.ui.screens.login import LoginScreen

            cancel_early()
            await service.aclose()
            profile = resolved.profile
            text = explain(exc, profile.base_url, profile.client_id)
            stored = resolved.source == "profile"
            await self.push_screen(
                LoginScreen(
                    self.profiles,
                    mode="first",
                    error=f"Could not log in with profile {profile.name}. {text}",
                    preselect=resolved.profile.name if stored else None,
                )
            )
            return
        await self.open_session(resolved, service)

    async def open_session(
        self, resolved: Resolved, service: ApiService, replace: bool = True
    ) -> None:
        """Make ``service`` the session's; show a fresh main screen (or keep it on re-login)."""
        old = self.service
        if self._unsubscribe:
            self._unsubscribe()
        if self.resolved is None or self.resolved.profile.name != resolved.profile.name:
            self.close_index()  # another profile: another index
        self.service = service
        self.resolved = resolved
        # The index hears of a change before the views do (they may search it at once).
        self.follow_index()
        if self.index is None:
            # A profile with an index opens it with the session; when that fails, the
            # browser tries again and says why in its status line.
            with contextlib.suppress(Exception):
                self.open_index(create=False)
        self._unsubscribe = service.subscribe(self.publish_change)
        service.on_journal_error = self.on_journal_error
        service.on_listener_error = self.report_error  # a listener that raises is shown
        if old is not None and old is not service:
            self.run_worker(old.aclose(), group="app.close")
        main = self.main_screen()
        if replace or main is None:
            while not isinstance(self.screen, SplashScreen):
                await self.pop_screen()
            await self.push_screen(MainScreen(resolved.profile, bool(service.is_sandbox)))
            self.set_timer(1.0, lambda: self.collections.when_quiet(freeze_heap))
        else:
            self.publish_change(Change("session", "renewed", ""))

    def on_main_screen_forms_prepared(self, message: MainScreen.FormsPrepared) -> None:
        """The forms made ahead are long-lived too: out of the collector's sight with the
        rest (a second freeze; the first, a second after the main screen opens, comes
        before them); not while a key is being answered (ui/collecting.py)."""
        self.collections.when_quiet(freeze_heap)

    def main_screen(self) -> MainScreen | None:
        for screen in self.screen_stack:
            if isinstance(screen, MainScreen):
                return screen
        return None

    # -- events ---------------------------------------------------------------------------

    def on_journal_error(self, text: str) -> None:
        self.report(text, title="Journal", severity="warning")

    def session_expired(self, error: ApiError) -> None:
        """The credentials no longer work: log in again over the current view."""
        from flowtui.ui.screens.login import LoginScreen

        if any(isinstance(s, LoginScreen) and s.mode == "reauth" for s in self.screen_stack):
            return
        name = self.resolved.profile.name if self.resolved else None
        stored = self.resolved is not None and self.resolved.source == "profile"
        self.push_screen(
            LoginScreen(
                self.profiles,
                mode="reauth",
                error=f"The store refused the credentials: {error.summary}",
                preselect=name if stored else None,
            )
        )

    def show_messages(self, title: str, lines: list[str]) -> None:
        from flowtui.ui.screens.dialogs import MessageDialog

        self.push_screen(MessageDialog(title, lines))

    def _fatal_error(self) -> None:
        """Textual's crash report, without local variables: a frame of the login code holds
        the client secret, and a crash must never print it to the terminal."""
        import rich
        from rich.segment import Segments
        from rich.traceback import Traceback

        self.bell()
        report = Traceback(show_locals=False, width=None, suppress=[rich])
        self._exit_renderables.append(Segments(self.console.render(report, self.console.options)))
        self._close_messages_no_wait()

    async def action_quit(self) -> None:
        self.exit()

    async def _shutdown(self) -> None:
        await self._close_forms_ahead()
        await super()._shutdown()

    async def _close_forms_ahead(self) -> None:
        """Close the forms composed ahead (``FormScreen.compose_ahead``) that are not open,
        once they have finished mounting, before Textual shuts the app down.

        Textual prunes the screens on the stack at exit and then closes every other node
        as it comes. A form composed ahead is on no stack: quitting while it was still being
        composed (1.5 s after start) closed it half-mounted, and the ``on_mount`` of its
        widgets (Textual's own Select among them) failed on children that never came, or
        its first input took the focus after the stack was gone: a traceback and exit status
        1 (tests/ui/test_quit.py). A form registered but not started yet counts too, and so
        does one composed ahead while this waits (the main screen's timer may fire)."""
        while ahead := [
            (name, screen)
            for name, screen in self._installed_screens.items()
            if name.startswith(KEPT_FORMS)
            and isinstance(screen, Screen)
            and screen._task is not None  # registered (a form only installed never ran)
            and screen not in self.screen_stack  # open: Textual prunes it with the stack
        ]:
            for name, screen in ahead:
                self.uninstall_screen(name)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(screen._mounted_event.wait(), SHUTDOWN_WAIT)
                await screen.remove()

    def on_unmount(self) -> None:
        self.close_index()
        if self.on_exit_callback:
            self.on_exit_callback()

    # -- actions --------------------------------------------------------------------------

    def action_toggle_help(self) -> None:
        if self.screen.query("HelpPanel"):
            self.action_hide_help_panel()
        else:
            self.action_show_help_panel()

    def action_show_help_panel(self) -> None:
        """Open flowtui's keys panel (its own keys first), whichever way it was asked for."""
        if not self.screen.query("HelpPanel"):
            # Imported when first asked for: the help panel brings Textual's Markdown widget
            # and markdown-it with it (35 ms of start-up otherwise).
            from flowtui.ui.widgets.keys import KeysHelp

            self.screen.mount(KeysHelp())

    def action_scroll_help(self, pages: int) -> None:
        for panel in self.screen.query("KeysPanel"):
            panel.scroll_to(y=panel.scroll_y + pages * max(1, panel.size.height - 2))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "scroll_help":
            return bool(self.screen.query("KeysPanel"))
        return super().check_action(action, parameters)

    def action_switch_profile(self) -> None:
        from flowtui.ui.screens.login import LoginScreen

        self.push_screen(LoginScreen(self.profiles, mode="switch"))

    def action_new_profile(self) -> None:
        from flowtui.ui.screens.login import LoginScreen

        self.push_screen(LoginScreen(self.profiles, mode="new"))

    async def action_view(self, name: str) -> None:
        main = self.main_screen()
        if main is not None and self.screen is main:
            await main.action_show_view(name)

    def action_command_palette(self) -> None:
        """The command palette, as Textual's, taking keys typed ahead (screens/palette.py)."""
        if self.use_command_palette and not isinstance(self.screen, CommandPalette):
            self.push_screen(Palette(id="--command-palette"))

    def action_new_customer(self) -> None:
        from flowtui.ui.screens.forms import NewCustomerScreen

        if self.writable("create customers"):
            self.push_screen(NewCustomerScreen.opening(self))

    def action_new_flow(self) -> None:
        if self.writable("create flows"):
            from flowtui.ui.screens.flow_form import FlowFormScreen  # on first use

            self.push_screen(FlowFormScreen())

    def action_compare_with(self) -> None:
        """The designer's "compare with…" (flows view ``C``, or the palette)."""
        from flowtui.ui.screens.compare import CompareScreen  # on first use

        if self.service is not None and not isinstance(self.screen, CompareScreen):
            self.push_screen(CompareScreen(self.make_service))

    def action_journal(self) -> None:
        main = self.main_screen()
        if main is not None:
            main.action_journal()

    def action_undo_last(self) -> None:
        main = self.main_screen()
        if main is not None:
            main.action_undo_last()

    def action_bulk_resume(self) -> None:
        from flowtui.ui.screens.bulk import resume_bulk  # on first use: not needed to start

        resume_bulk(self)

    def use_theme(self, name: str) -> None:
        self.theme = name

    def get_system_commands(self, screen) -> Iterable:
        # "keys: show" and "theme: …" are ours (issue 16: the palette listed both twice).
        for command in super().get_system_commands(screen):
            if command.title not in ("Keys", "Theme"):
                yield command
