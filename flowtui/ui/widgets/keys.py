"""The ``f1`` keys panel: the keys that work where the focus is, flowtui's own first.

Textual's panel lists the bindings in the order of the focus chain, so at 80x24 the focused
table's thirteen generic cursor keys filled the screen and the view's own keys (``v``, ``o``,
``f``, ``A``, ``b``, ``j``, ``u``) were below the fold (issue 16). Here the keys that flowtui
declares come first, one group per part (the focused widget's part first, "Everywhere" for
the app's), and the generic keys Textual's widgets bring (cursor moves, scrolling, editing)
come last, in one group. Below 120 columns each key takes one line (its footer word); wider,
its tooltip. ``ctrl+down``/``ctrl+up`` (or ``shift+pgdn``/``shift+pgup``) scroll
the panel (the app's ``app.help_down``/``app.help_up`` bindings), so no mouse is needed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from rich.table import Table
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import ActiveBinding, Binding
from textual.dom import DOMNode
from textual.widgets import HelpPanel, KeyPanel, Markdown, Static

#: From this terminal width on, each key is described by its tooltip, not its one word.
WIDE = 120

#: The title of the generic keys' group (Textual's own widgets' bindings).
GENERIC = "Moving around"


@dataclass
class KeyGroup:
    """A titled group of bindings: (binding, enabled) per action, in the order found."""

    title: str
    rows: dict[str, list[tuple[Binding, bool]]] = field(default_factory=dict)

    def add(self, binding: Binding, enabled: bool) -> None:
        self.rows.setdefault(binding.action, []).append((binding, enabled))


def own_actions(node: DOMNode) -> set[str]:
    """The actions of the bindings declared by flowtui's classes in ``node``'s hierarchy
    (those inherited from Textual's widgets, such as a table's cursor keys, are not)."""
    actions: set[str] = set()
    for cls in type(node).__mro__:
        if not cls.__module__.startswith("flowtui."):
            continue
        for binding in cls.__dict__.get("BINDINGS", []):
            if isinstance(binding, Binding):
                actions.add(binding.action)
            elif isinstance(binding, tuple) and len(binding) >= 2:
                actions.add(str(binding[1]))
    return actions


def group_title(node: DOMNode) -> str:
    """``"Customers view"`` for a ``CustomersView``; the app's keys are ``"Everywhere"``."""
    if isinstance(node, App):
        return "Everywhere"
    words = re.findall(r"[A-Z][a-z0-9]*|[a-z0-9]+", type(node).__name__)
    return " ".join([words[0], *(w.lower() for w in words[1:])]) if words else "Keys"


def key_groups(active: Iterable[ActiveBinding]) -> list[KeyGroup]:
    """Group the active bindings (in focus-chain order, as ``Screen.active_bindings`` gives
    them): flowtui's own keys by the node declaring them, in that order, then every generic
    key in one last group. System bindings are left out, as Textual's panel does."""
    own: dict[int, KeyGroup] = {}
    generic = KeyGroup(GENERIC)
    actions: dict[int, set[str]] = {}
    for node, binding, enabled, _tooltip in active:
        if binding.system:
            continue
        mine = actions.setdefault(id(node), own_actions(node))
        if binding.action in mine:
            own.setdefault(id(node), KeyGroup(group_title(node))).add(binding, enabled)
        else:
            generic.add(binding, enabled)
    groups = [g for g in own.values() if g.rows]
    return groups + ([generic] if generic.rows else [])


class KeysTable(Static):
    """The bindings table of :class:`KeysPanel`: :func:`key_groups` order, a title per group."""

    COMPONENT_CLASSES = {
        "bindings-table--key",
        "bindings-table--description",
        "bindings-table--header",
    }
    DEFAULT_CSS = """
    KeysTable { width: auto; height: auto; }
    KeysTable > .bindings-table--key { color: $text-accent; text-style: bold; padding: 0 1; }
    KeysTable > .bindings-table--description { color: $foreground; }
    KeysTable > .bindings-table--header { color: $text-primary; text-style: bold underline; }
    """

    def render(self) -> Table:
        key_style = self.get_component_rich_style("bindings-table--key")
        header_style = self.get_component_rich_style("bindings-table--header")
        description_style = self.get_component_rich_style("bindings-table--description")
        table = Table(padding=(0, 1, 0, 0), show_header=False, box=None)
        table.add_column("", justify="right", no_wrap=True)
        table.add_column("", overflow="fold")
        display = self.app.get_key_display
        wide = self.app.size.width >= WIDE
        for number, group in enumerate(key_groups(self.screen.active_bindings.values())):
            if number:
                table.add_row("", "")
            table.add_row("", Text(group.title, style=header_style, end=""))
            for bindings in group.rows.values():
                binding, enabled = bindings[0]
                keys = " ".join(dict.fromkeys(display(b) for b, _ in bindings))
                # A wide terminal has room for the tooltip, which says more than the footer's
                # word; a narrow one shows the word, one line per key, to see more at once.
                said = (binding.tooltip if wide else binding.description) or binding.description
                text = Text(said, style=description_style, end="")
                if not enabled:
                    text.stylize("dim")
                table.add_row(Text(keys, style=key_style), text)
        return table


class KeysPanel(KeyPanel):
    """Textual's key panel showing :class:`KeysTable`."""

    def compose(self) -> ComposeResult:
        yield KeysTable(shrink=True, expand=False)


class KeysHelp(HelpPanel):
    """The help panel ``f1`` opens: the focused widget's help, then :class:`KeysPanel`. It is
    a :class:`~textual.widgets.HelpPanel`, so ``App.action_hide_help_panel`` removes it."""

    DEFAULT_CSS = """
    KeysHelp { min-width: 40; }
    """

    def compose(self) -> ComposeResult:
        yield Markdown(id="widget-help")
        yield KeysPanel(id="keys-help")
