"""Who may call the sandbox: access tokens on requests, and customer password hashes.

Access tokens are issued by ``POST /oauth/access_token`` (:mod:`flowtui.sandbox.routes.tokens`)
and kept in the store with their kind and expiry. A ``client_credentials`` token may do
everything; an ``implicit`` token may only read flows and fields and log customers in.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time

from starlette.requests import Request

from flowtui.sandbox.errors import UNAUTHORIZED, forbidden
from flowtui.sandbox.store import Store

# -- access tokens --------------------------------------------------------------------------


def token_kind(store: Store, request: Request) -> str | None:
    """The kind of a valid access token on the request (Bearer, Bearer: or bare)."""
    header = request.headers.get("authorization", "").strip()
    for prefix in ("bearer:", "bearer "):
        if header[: len(prefix)].lower() == prefix:
            header = header[len(prefix) :].strip()
            break
    if not header:
        return None
    row = store.get_token(header)
    if row is None or row["expires"] <= time.time():
        return None
    return row["kind"]


def authorize(store: Store, request: Request) -> None:
    """401 without a valid token; 403 when an implicit token attempts what it may not."""
    kind = token_kind(store, request)
    if kind is None:
        raise UNAUTHORIZED
    if kind == "client_credentials":
        return
    path, method = request.url.path, request.method
    if method in ("GET", "HEAD") and path.startswith(("/v2/flows", "/v2/fields")):
        return
    if method == "POST" and path == "/v2/customers/tokens":
        return
    raise forbidden(
        "An implicit token is read-only and cannot use this endpoint; "
        "authenticate with client_credentials"
    )


# -- customer passwords ---------------------------------------------------------------------


def hash_password(password: str, cost: int) -> str:
    """An scrypt hash with a random salt, as ``scrypt$N$salt$hash`` (base64)."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=cost, r=8, p=1, dklen=32)
    b64 = base64.b64encode
    return f"scrypt${cost}${b64(salt).decode()}${b64(digest).decode()}"


def check_password(password: str, stored: str) -> bool:
    """Whether ``password`` is the one ``stored`` (a :func:`hash_password` result) hashes."""
    try:
        _, cost, salt, digest = stored.split("$")
        got = hashlib.scrypt(
            password.encode(), salt=base64.b64decode(salt), n=int(cost), r=8, p=1, dklen=32
        )
    except ValueError:
        return False
    return hmac.compare_digest(got, base64.b64decode(digest))
