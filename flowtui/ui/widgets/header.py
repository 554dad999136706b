"""The header: where you are. Profile, store host, sandbox or live, read-only, and an accent
colour that differs between real stores and the sandbox (or the profile's own colour)."""

from __future__ import annotations

from urllib.parse import urlsplit

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label

from flowtui.config.profiles import Profile
from flowtui.ui.widgets.safe import literal

SANDBOX_ACCENT = "#1f6f3f"
LIVE_ACCENT = "#8f2d1f"


def accent_for(profile: Profile, is_sandbox: bool) -> str:
    return profile.accent or (SANDBOX_ACCENT if is_sandbox else LIVE_ACCENT)


class StoreHeader(Horizontal):
    DEFAULT_CSS = """
    StoreHeader { height: 1; dock: top; color: white; }
    StoreHeader Label { padding: 0 1; }
    StoreHeader .brand { text-style: bold; }
    StoreHeader .badge { text-style: bold reverse; }
    StoreHeader .spacer { width: 1fr; }
    """

    def __init__(self, profile: Profile, is_sandbox: bool, view: str = "Customers") -> None:
        super().__init__(id="store-header")
        self.profile = profile
        self.is_sandbox = is_sandbox
        self.view = view

    def compose(self) -> ComposeResult:
        host = urlsplit(self.profile.base_url).netloc or self.profile.base_url
        yield Label("flowtui", classes="brand")
        yield Label(literal(f"profile {self.profile.name}"), id="header-profile")
        yield Label(literal(host), id="header-host")
        yield Label(
            "SANDBOX" if self.is_sandbox else "LIVE STORE", classes="badge", id="header-kind"
        )
        if self.profile.read_only:
            yield Label("READ-ONLY", classes="badge", id="header-readonly")
        if not self.profile.verify_tls:
            yield Label("TLS NOT VERIFIED", classes="badge", id="header-tls")
        yield Label("", classes="spacer")
        yield Label(self.view, id="header-view")

    def on_mount(self) -> None:
        self.styles.background = accent_for(self.profile, self.is_sandbox)

    def set_view(self, name: str) -> None:
        self.view = name
        self.query_one("#header-view", Label).update(name)
