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
"""

from __future__ import annotations

from textual.dom import DOMNode
from textual.widgets import Footer as TextualFooter

#: Where Textual keeps the watchers of an object's reactives (textual/reactive.py,
#: ``_watch``): a plain attribute set with ``setattr``, so not name-mangled.
WATCHERS = "__watchers"


class Footer(TextualFooter):
    """``textual.widgets.Footer`` that drops the watchers of removed keys on recompose
    (Textualize/textual#6666)."""

    async def recompose(self) -> None:
        await super().recompose()
        # Same test as Textual's own pruning in Reactive._check_watchers.
        watchers: dict[str, list[tuple[DOMNode, object]]] = getattr(self, WATCHERS, {})
        for bound in watchers.values():
            bound[:] = [(node, callback) for node, callback in bound if not node._closing]
