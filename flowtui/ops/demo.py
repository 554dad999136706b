"""The sandbox behind ``flowtui --demo`` (no Textual): a child process serving the demo store.

flowtui binds a free loopback port itself and hands the listening socket to the child
(``flowtui.sandbox.child``), so the address is known at once and the child boots on the other
core while flowtui imports Textual; the app's first requests wait in the socket's backlog
until the child serves. The UI never stalls on the sandbox, which has its own process. The
demo data stays in the data directory between runs; the child stops when flowtui closes its
standard input on exit, or when flowtui dies. A ``demo`` profile pointing at it is written on
every start (the port changes), its secret kept in the credentials store like any other.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import subprocess
import sys
from pathlib import Path

from flowtui.config.paths import data_dir
from flowtui.config.profiles import Profile, ProfileStore
from flowtui.config.resolve import Resolved
from flowtui.config.secrets import secret_store
from flowtui.sandbox.listen import base_url, bind

DEMO_PROFILE = "demo"
DEMO_CUSTOMERS = 10_000
ID_ENV, SECRET_ENV = "FLOWTUI_SANDBOX_CLIENT_ID", "FLOWTUI_SANDBOX_CLIENT_SECRET"


def demo_db() -> Path:
    return data_dir() / "demo.db"


def demo_log() -> Path:
    """Where the child's own complaints go (the terminal belongs to the app)."""
    return data_dir() / "demo-sandbox.log"


class SandboxError(RuntimeError):
    """The demo sandbox could not start; the message says why in one sentence."""


class EmbeddedSandbox:
    """The demo sandbox in a child process; ``start()`` returns the demo profile."""

    def __init__(
        self, *, reset: bool = False, customers: int = DEMO_CUSTOMERS, ready_timeout: float = 600
    ) -> None:
        self.reset = reset
        self.customers = customers
        self.ready_timeout = ready_timeout
        self.proc: subprocess.Popen | None = None
        self.url: str | None = None

    def start(self, profiles: ProfileStore | None = None) -> Resolved:
        path = demo_db()
        path.parent.mkdir(parents=True, exist_ok=True)
        if self.reset:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        fresh = not path.exists()
        profiles = profiles or ProfileStore()
        try:
            old = profiles.get(DEMO_PROFILE)
        except Exception:
            old = None
        kept: str | None = None
        if old is not None and not fresh:  # a kept store: keep its credentials
            with contextlib.suppress(Exception):
                kept = secret_store(old).get_secret(DEMO_PROFILE)
        new_credentials = old is None or kept is None
        if old is not None and kept is not None:
            cid, secret = old.client_id, kept
        else:
            cid, secret = f"demo-{secrets.token_hex(4)}", secrets.token_urlsafe(24)
        sock = bind("127.0.0.1", 0)
        self.url = base_url(sock)
        env = {**os.environ, ID_ENV: cid, SECRET_ENV: secret}
        with open(demo_log(), "wb") as log:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "flowtui.sandbox.child",
                    "--fd",
                    str(sock.fileno()),
                    "--db",
                    str(path),
                    "--demo-data",
                    str(self.customers),
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                pass_fds=[sock.fileno()],
                env=env,
                start_new_session=True,  # no Ctrl-C or hang-up from the terminal: flowtui decides
            )
        # The child holds the socket now: if it dies, connecting fails at once instead of
        # waiting in a backlog nobody reads.
        sock.close()
        if fresh:
            # Seeding a new store takes a moment; wait for it so the app's first request
            # cannot time out. Warm starts don't wait: requests queue in the backlog.
            self.wait_ready()
        profile = Profile(
            name=DEMO_PROFILE,
            base_url=self.url,
            client_id=cid,
            rate_limit=100.0,
            accent=old.accent if old else None,
        )
        profiles.save(profile)
        store = secret_store(profile)
        store.set_secret(DEMO_PROFILE, secret)
        if new_credentials:
            # A kept store keeps its tokens (they live in demo.db), so a cached token stays
            # good on the new port; a new store or new credentials make it worthless.
            store.set_token(DEMO_PROFILE, None)
        return Resolved(profile=profile, secret=secret, source="profile")

    def wait_ready(self) -> None:
        """Block until the child serves; raise SandboxError (with its complaint) if it can't."""
        assert self.proc is not None and self.proc.stdout is not None
        import selectors

        with selectors.DefaultSelector() as sel:
            sel.register(self.proc.stdout, selectors.EVENT_READ)
            if not sel.select(self.ready_timeout):
                self.stop()
                raise SandboxError(f"the demo sandbox did not start in {self.ready_timeout:g} s")
        if self.proc.stdout.readline().strip() != b"ready":
            self.stop()
            raise SandboxError(f"the demo sandbox stopped: {self.complaint()}")

    def complaint(self) -> str:
        """The last line the child wrote to its log, or a generic sentence."""
        with contextlib.suppress(OSError):
            lines = demo_log().read_text("utf-8", "replace").strip().splitlines()
            if lines:
                return f"{lines[-1].strip()} (more in {demo_log()})"
        return f"it exited with status {self.proc.returncode if self.proc else '?'}"

    def stop(self, timeout: float = 5.0) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        with contextlib.suppress(OSError):
            if proc.stdin is not None:
                proc.stdin.close()  # end of file: the child shuts down gracefully
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout)
        if proc.stdout is not None:
            proc.stdout.close()
