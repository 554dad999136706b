"""A Footer that does not keep the keys it has replaced alive.

Upstream bug: Textualize/textual#6666, "Memory leak — watchers from ``self.watch(other, ...)``
/ ``data_bind`` are not removed when the owner is removed from the DOM" (open for Textual
8.2.8). A watcher is stored on the *observed* object (its ``__watchers`` dict) as
``(watching node, callback)`` and pruned only in ``Reactive._check_watchers``, which runs when
the observed reactive changes. Textual's ``Footer`` recomposes whenever the bindings change
(focus moves, a key that refreshes them) and binds each new ``FooterKey`` to its own
``compact`` reactive with ``data_bind``, so the entry for every removed key stays on the
long-lived footer, because ``compact`` never changes. Each recompose leaked ~20 removed keys
with their styles and render caches; on the main screen that grew the heap by thousands of
widgets, and the full garbage collections re-scanning it took up to 250-400 ms, the tail of
benchmarks/browse.py.

The shim prunes the footer's watchers after each recompose with the same test Textual uses
(drop entries whose node is closing). Remove it once #6666 is fixed upstream.

It also skips a recompose that would show the keys already shown. Textual's footer rebuilds
every key whenever the screen's bindings are updated (each focus move, each screen shown
again), ~20 % of reopening a kept form, though a focus move between the inputs of one form
or a pop back to a screen with the same keys changes nothing it draws. :meth:`Footer.keys`
lists what ``compose`` would yield, from the same public inputs (``screen.active_bindings``,
``app.get_key_display``, ``compact``, ``show_command_palette``); when that list equals the one
last composed, the recompose is not run.
"""

from __future__ import annotations

from typing import Any

from textual.dom import DOMNode
from textual.widgets import Footer as TextualFooter

#: Where Textual keeps the watchers of an object's reactives (textual/reactive.py,
#: ``_watch``): a plain attribute set with ``setattr``, so not name-mangled.
WATCHERS = "__watchers"


class Footer(TextualFooter):
    """``textual.widgets.Footer`` that drops the watchers of removed keys on recompose
    (Textualize/textual#6666) and skips a recompose that would show the same keys."""

    #: What the last compose showed (:meth:`keys`); None until the keys are first composed.
    shown: tuple[Any, ...] | None = None
    #: How many recomposes ran (a recompose skipped for unchanged keys does not count).
    recomposes = 0

    def keys(self) -> tuple[Any, ...]:
        """Everything ``compose`` reads to draw the keys, in order: each shown binding's
        key, its display, description, action, group, enabled state and tooltip, the
        command palette's key, and the footer's own switches."""
        if not self._bindings_ready:
            return ()
        app = self.app
        shown = tuple(
            (
                binding.key,
                app.get_key_display(binding),
                binding.description,
                binding.action,
                binding.group and (binding.group.description, binding.group.compact),
                enabled,
                tooltip,
            )
            for (_, binding, enabled, tooltip) in self.screen.active_bindings.values()
            if binding.show
        )
        palette: tuple[Any, ...] = ()
        if self.show_command_palette and app.ENABLE_COMMAND_PALETTE:
            found = self.screen.active_bindings.get(app.COMMAND_PALETTE_BINDING)
            if found is not None:
                _, binding, enabled, _tooltip = found
                palette = (
                    binding.key,
                    app.get_key_display(binding),
                    binding.description,
                    binding.action,
                    enabled,
                    binding.tooltip,
                )
        return (self.compact, shown, palette)

    async def recompose(self) -> None:
        if not self.is_attached:
            return
        keys = self.keys()
        if keys == self.shown:
            return
        self.shown = keys
        self.recomposes += 1
        await super().recompose()
        # Same test as Textual's own pruning in Reactive._check_watchers.
        watchers: dict[str, list[tuple[DOMNode, object]]] = getattr(self, WATCHERS, {})
        for bound in watchers.values():
            bound[:] = [(node, callback) for node, callback in bound if not node._closing]
