"""A crash report must never show a secret held in a local variable."""

from __future__ import annotations

from rich.console import Console

from flowtui.config.profiles import ProfileStore
from flowtui.ui.app import FlowApp

MARKER = "MARKER-crash-s3cret-91c2"


def test_crash_report_has_no_locals(tmp_path) -> None:
    app = FlowApp(ProfileStore(tmp_path / "config.toml"))

    def login(secret: str) -> None:
        raise RuntimeError("the store went away")

    try:
        login(MARKER)
    except RuntimeError:
        app._fatal_error()
    console = Console(record=True, width=120, file=open("/dev/null", "w"))  # noqa: SIM115
    for renderable in app._exit_renderables:
        console.print(renderable)
    text = console.export_text()
    assert "the store went away" in text  # the report itself is there
    assert "RuntimeError" in text
    assert MARKER not in text
