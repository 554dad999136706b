"""One road for errors: outside ui/session.py (the funnel itself), no module of flowtui.ui
calls ``notify`` with a warning or an error; those go through ``SessionApp.report_error`` /
``SessionApp.report``. Plain information toasts ("Saved …") may still call ``notify``."""

from __future__ import annotations

import ast
from pathlib import Path

import flowtui.ui

UI = Path(flowtui.ui.__file__).resolve().parent

#: The funnel: the one place that turns a report into a toast.
FUNNEL = {"session.py"}


def direct_error_toasts(source: str) -> list[tuple[int, str]]:
    """(line, severity) of each ``….notify(…, severity="warning"|"error")`` call; a
    severity that is not a literal counts too (it could be either)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and (node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id)
            == "notify"
        ):
            continue
        for keyword in node.keywords:
            if keyword.arg != "severity":
                continue
            value = keyword.value
            if isinstance(value, ast.Constant) and value.value == "information":
                continue
            shown = value.value if isinstance(value, ast.Constant) else ast.unparse(value)
            found.append((node.lineno, str(shown)))
    return found


def test_no_direct_warning_or_error_toasts_in_the_ui() -> None:
    offenders = []
    for path in sorted(UI.rglob("*.py")):
        relative = path.relative_to(UI).as_posix()
        if relative in FUNNEL:
            continue
        for line, severity in direct_error_toasts(path.read_text(encoding="utf-8")):
            offenders.append(f"flowtui/ui/{relative}:{line} notify(severity={severity})")
    assert offenders == [], "use flow_app.report / report_error:\n" + "\n".join(offenders)


def test_the_scan_sees_a_direct_error_toast() -> None:
    source = (
        "def f(self, exc):\n"
        "    self.notify('Saved', markup=False)\n"
        "    self.app.notify(str(exc), severity='error')\n"
        "    notify('careful', severity=level)\n"
        "    self.notify('fine', severity='information')\n"
    )
    assert direct_error_toasts(source) == [(3, "error"), (4, "level")]
