"""A Footer that does not keep the keys it has replaced alive.

Textual's ``Footer`` recomposes whenever the bindings change (focus moves, a key is pressed
that refreshes them) and binds each new ``FooterKey`` to its ``compact`` reactive with
``data_bind``. That registers a watcher on the footer holding the key, and Textual prunes a
reactive's watchers only when the reactive changes, which ``compact`` never does: every
recompose leaked ~20 removed keys with their styles and render caches (Textual 8.2.8). On
the long-lived main screen that grew the heap by thousands of widgets, and the full garbage
collections re-scanning it took up to 250-400 ms, the tail of benchmarks/browse.py.
"""

from __future__ import annotations

from textual.widgets import Footer as TextualFooter


class Footer(TextualFooter):
    """``textual.widgets.Footer`` that drops the watchers of removed keys on recompose."""

    async def recompose(self) -> None:
        await super().recompose()
        # Same test as Textual's own pruning in Reactive._check_watchers.
        watchers = getattr(self, "__watchers", {})
        for bound in watchers.values():
            bound[:] = [(node, callback) for node, callback in bound if not node._closing]
