"""The demo sandbox's child process: ``python -m flowtui.sandbox.child`` (started by
:class:`flowtui.ops.demo.EmbeddedSandbox`, not by people).

It serves on a listening socket inherited from flowtui (``--fd``), so flowtui knows the
address before this process has even imported uvicorn, and its first requests simply wait in
the socket's backlog while this process boots on the other core. The client credentials come
in the environment (never on the command line, where ``ps`` would show them). It prints
``ready`` on stdout once it serves, and stops when its standard input reaches end of file:
when flowtui closes the pipe on exit, or when flowtui dies, however it dies.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import threading

from flowtui.sandbox import demo
from flowtui.sandbox.app import SandboxConfig, create_app
from flowtui.sandbox.server import make_server
from flowtui.sandbox.store import Store

ID_ENV, SECRET_ENV = "FLOWTUI_SANDBOX_CLIENT_ID", "FLOWTUI_SANDBOX_CLIENT_SECRET"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m flowtui.sandbox.child")
    parser.add_argument("--fd", type=int, required=True, help="inherited listening socket")
    parser.add_argument("--db", required=True, help="SQLite database of the demo store")
    parser.add_argument("--demo-data", type=int, default=0, help="customers a fresh store gets")
    args = parser.parse_args(argv)
    client_id, secret = os.environ.get(ID_ENV), os.environ.get(SECRET_ENV)
    if not client_id or not secret:
        print(f"{ID_ENV} and {SECRET_ENV} must be set", file=sys.stderr)
        return 2
    sock = socket.socket(fileno=args.fd)
    try:
        store = Store(args.db)
    except Exception as exc:
        print(f"cannot open the demo store {args.db}: {exc}", file=sys.stderr)
        return 1
    try:
        demo.seed(store, args.demo_data)
        server = make_server(create_app(SandboxConfig(client_id, secret), store))

        def watch_parent() -> None:
            while sys.stdin.buffer.read(4096):
                pass
            server.should_exit = True

        def announce() -> None:
            while not server.started and not server.should_exit:
                threading.Event().wait(0.005)
            if server.started:
                print("ready", flush=True)

        threading.Thread(target=watch_parent, name="parent-watch", daemon=True).start()
        threading.Thread(target=announce, name="announce", daemon=True).start()
        server.run(sockets=[sock])
    finally:
        store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
