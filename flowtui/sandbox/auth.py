"""Who may call the sandbox: access tokens on requests, shoppers' customer tokens, and
customer password hashes.

Access tokens are issued by ``POST /oauth/access_token`` (:mod:`flowtui.sandbox.routes.tokens`)
and kept in the store with their kind and expiry. A ``client_credentials`` token may do
everything; an ``implicit`` token may only read flows and fields and log customers in, and,
with that customer's token in ``X-Moltin-Customer-Token``, read and update that one customer
and work on that customer's addresses.

A customer token (issued by ``POST /v2/customers/tokens``) is a JSON Web Token signed with
HS256 (:mod:`flowtui.sandbox.webtoken`) by a key of the store, kept in its settings, so tokens
survive a restart of a file-backed sandbox. Its ``jti`` is recorded in the store: a token
whose id the store does not know (its customer was deleted) is refused like a forged one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
import uuid
from typing import TypedDict

from starlette.requests import Request

from flowtui.sandbox import webtoken
from flowtui.sandbox.errors import UNAUTHORIZED, bad_customer_token, forbidden
from flowtui.sandbox.store import Row, Store

#: The header a shopper's customer token travels in.
CUSTOMER_TOKEN_HEADER = "X-Moltin-Customer-Token"
#: The store setting holding the key customer tokens are signed with (hex).
CUSTOMER_TOKEN_KEY = "customer_token_key"

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


#: What a shopper (implicit token + own customer token) may do to their customer record.
SHOPPER_RECORD_METHODS = frozenset({"GET", "HEAD", "PUT"})
#: ... and to their addresses: everything.
SHOPPER_ADDRESS_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE"})


def authorize(
    store: Store,
    request: Request,
    customer_id: str | None = None,
    shopper_methods: frozenset[str] = SHOPPER_RECORD_METHODS,
) -> None:
    """401 without a valid token; 403 when an implicit token attempts what it may not.

    ``customer_id`` is the customer a ``/v2/customers/{id}`` request (or one on its
    addresses) concerns: an implicit token may use ``shopper_methods`` on it with that
    customer's own token in ``X-Moltin-Customer-Token`` (401 when that token is expired,
    forged or unknown; 403 when it is another customer's). A client-credentials token ignores
    the header.
    """
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
    if customer_id is not None and method in shopper_methods:
        shopper = shopper_of(store, request)
        if shopper == customer_id:
            return
        if shopper is not None:
            raise forbidden("A customer token gives access to its own customer only")
    raise forbidden(
        "An implicit token is read-only and cannot use this endpoint; "
        "authenticate with client_credentials"
    )


# -- customer tokens ------------------------------------------------------------------------


class CustomerToken(TypedDict):
    """``data`` of ``POST /v2/customers/tokens``, less its ``type``."""

    id: str
    customer_id: str
    token: str
    expires: int


def _signing_key(store: Store) -> bytes:
    return bytes.fromhex(store.setting_or(CUSTOMER_TOKEN_KEY, lambda: secrets.token_hex(32)))


def issue_customer_token(store: Store, customer: Row, ttl: int) -> CustomerToken:
    """A new customer token for ``customer``, valid ``ttl`` seconds, recorded in the store."""
    now = int(time.time())
    jti = str(uuid.uuid4())
    claims = {
        "sub": customer["id"],
        "name": customer["name"],
        "iat": now,
        "exp": now + ttl,
        "jti": jti,
    }
    token = webtoken.encode(claims, _signing_key(store))
    store.add_customer_token(jti, customer["id"], now + ttl)
    return {"id": jti, "customer_id": customer["id"], "token": token, "expires": now + ttl}


def shopper_of(store: Store, request: Request) -> str | None:
    """The customer id of the request's ``X-Moltin-Customer-Token`` (None without one);
    401 when the token is expired, forged or unknown."""
    token = request.headers.get(CUSTOMER_TOKEN_HEADER, "").strip()
    if not token:
        return None
    try:
        claims = webtoken.decode(token, _signing_key(store), time.time())
    except webtoken.TokenExpired:
        raise bad_customer_token("The customer token has expired; log in again") from None
    except webtoken.TokenError as exc:
        raise bad_customer_token(f"The customer token is not valid: {exc}") from None
    jti, sub = claims.get("jti"), claims.get("sub")
    row = store.get_customer_token(jti) if isinstance(jti, str) else None
    if row is None or row["customer_id"] != sub:
        raise bad_customer_token("The customer token is not known to this store")
    return row["customer_id"]


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
