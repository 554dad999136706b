"""The sandbox inside the flowtui process, for ``flowtui --demo`` (no Textual).

It runs on its own thread with its own event loop (uvicorn), so the UI never stalls on it,
listens on a free loopback port, keeps its data in the data directory between runs, and
stops when the app exits. A ``demo`` profile pointing at it is written on every start (the
port changes), its secret kept in the credentials store like any other.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from flowtui.config.paths import data_dir
from flowtui.config.profiles import Profile, ProfileStore
from flowtui.config.resolve import Resolved
from flowtui.config.secrets import secret_store
from flowtui.sandbox import demo
from flowtui.sandbox.app import SandboxConfig, create_app
from flowtui.sandbox.server import BackgroundServer
from flowtui.sandbox.store import Store

DEMO_PROFILE = "demo"
DEMO_CUSTOMERS = 10_000


def demo_db() -> Path:
    return data_dir() / "demo.db"


class EmbeddedSandbox:
    """A demo sandbox on a background thread; ``start()`` returns the demo profile."""

    def __init__(self, *, reset: bool = False, customers: int = DEMO_CUSTOMERS) -> None:
        self.reset = reset
        self.customers = customers
        self.server: BackgroundServer | None = None
        self.store: Store | None = None

    def start(self, profiles: ProfileStore | None = None) -> Resolved:
        path = demo_db()
        if self.reset:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        self.store = Store(path)
        cid = self.store.get_setting("client_id") or f"demo-{secrets.token_hex(4)}"
        secret = self.store.get_setting("client_secret") or secrets.token_urlsafe(24)
        self.store.set_setting("client_id", cid)
        self.store.set_setting("client_secret", secret)
        demo.seed(self.store, self.customers)
        app = create_app(SandboxConfig(client_id=cid, client_secret=secret), self.store)
        self.server = BackgroundServer(app).start()
        profiles = profiles or ProfileStore()
        try:
            old = profiles.get(DEMO_PROFILE)
        except Exception:
            old = None
        profile = Profile(
            name=DEMO_PROFILE,
            base_url=self.server.url,
            client_id=cid,
            rate_limit=100.0,
            accent=old.accent if old else None,
        )
        profiles.save(profile)
        store = secret_store(profile)
        store.set_secret(DEMO_PROFILE, secret)
        if old is None or old.base_url != profile.base_url or self.reset:
            store.set_token(DEMO_PROFILE, None)
        return Resolved(profile=profile, secret=secret, source="profile")

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None
        if self.store is not None:
            self.store.close()
            self.store = None
