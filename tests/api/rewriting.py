"""An ASGI shim in front of the real sandbox that rewrites its JSON answers: a misbehaving
store (or a proxy) serving wrong shapes. Only the answers the test names are touched; the
sandbox behind it does all the real work."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

#: Takes the decoded answer and returns what the client should receive instead: any JSON
#: value, or ``bytes`` sent as they are.
Rewrite = Callable[[Any], Any]


class Rewriting:
    """``Rewriting(sandbox)``; ``shim.serve(method, path_regex, rewrite)`` from then on."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.state = app.state  # the sandbox's config and store, as the fixtures expect
        self.rules: list[tuple[str, re.Pattern[str], Rewrite]] = []

    def serve(self, method: str, path: str, rewrite: Rewrite) -> None:
        self.rules.insert(0, (method, re.compile(path), rewrite))

    def clear(self) -> None:
        self.rules.clear()

    def _rule(self, scope: dict[str, Any]) -> Rewrite | None:
        for method, pattern, rewrite in self.rules:
            if scope["method"] == method and pattern.fullmatch(scope["path"]):
                return rewrite
        return None

    async def __call__(self, scope, receive, send) -> None:
        rewrite = self._rule(scope) if scope["type"] == "http" else None
        if rewrite is None:
            await self.app(scope, receive, send)
            return
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def buffered(message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, buffered)
        body = b"".join(chunks)
        if 200 <= start["status"] < 300 and body:
            new = rewrite(json.loads(body))
            body = new if isinstance(new, bytes) else json.dumps(new).encode()
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": start["status"], "headers": headers})
        await send({"type": "http.response.body", "body": body})


def at(keys: tuple[Any, ...], value: Any) -> Rewrite:
    """A rewrite setting ``body[k1][k2]...`` to ``value`` (a missing key is created)."""

    def rewrite(body: Any) -> Any:
        node = body
        for key in keys[:-1]:
            node = node[key]
        node[keys[-1]] = value
        return body

    return rewrite


def dropping(*keys: str) -> Rewrite:
    """A rewrite removing top-level ``keys`` from the answer."""

    def rewrite(body: Any) -> Any:
        for key in keys:
            body.pop(key, None)
        return body

    return rewrite
