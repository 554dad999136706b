"""JSON Web Tokens (RFC 7519) signed with HS256, in the standard library only.

The sandbox issues a shopper's customer token as a JWT, as Elastic Path documents it, so a
client that decodes the token works against the sandbox. Only what the sandbox needs is here:
compact serialisation, the ``HS256`` algorithm, and the ``exp`` claim. A token is checked in
this order: its shape, its header (``alg`` must be ``HS256``: ``none`` and every other
algorithm are refused), its signature, then its expiry.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from typing import Any

#: The JOSE header of every token the sandbox signs.
HEADER = {"alg": "HS256", "typ": "JWT"}
#: One part of a compact JWT: base64url without padding.
_PART = re.compile(r"[A-Za-z0-9_-]+")


class TokenError(ValueError):
    """A token that is not a well-formed HS256 JWT signed with the key (forged, or garbled)."""


class TokenExpired(TokenError):
    """A well-formed, correctly signed token whose ``exp`` has passed."""


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    if not _PART.fullmatch(text):
        raise TokenError("a part of the token is not base64url without padding")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):  # e.g. a length of 4n + 1
        raise TokenError("a part of the token is not base64url") from None


def _json_part(text: str) -> dict[str, Any]:
    try:
        value = json.loads(_b64decode(text))
    except (UnicodeDecodeError, ValueError) as exc:
        if isinstance(exc, TokenError):
            raise
        raise TokenError("a part of the token is not JSON") from None
    if not isinstance(value, dict):
        raise TokenError("a part of the token is not a JSON object")
    return value


def _sign(signing_input: str, key: bytes) -> bytes:
    return hmac.new(key, signing_input.encode("ascii"), hashlib.sha256).digest()


def encode(claims: Mapping[str, Any], key: bytes) -> str:
    """The compact JWT of ``claims``, signed with ``key`` (HMAC-SHA256)."""
    header = _b64encode(json.dumps(HEADER, separators=(",", ":")).encode())
    payload = _b64encode(json.dumps(dict(claims), separators=(",", ":")).encode())
    signing_input = f"{header}.{payload}"
    return f"{signing_input}.{_b64encode(_sign(signing_input, key))}"


def decode(token: str, key: bytes, now: float) -> dict[str, Any]:
    """The claims of ``token`` when it is an HS256 JWT signed with ``key`` and, at ``now``
    (unix seconds), not expired. Raises :class:`TokenError` for a malformed or forged token,
    :class:`TokenExpired` for an expired one. A token without a numeric ``exp`` is a
    :class:`TokenError`: the sandbox never issues one that does not expire."""
    parts = token.split(".")
    if len(parts) != 3 or not all(_PART.fullmatch(part) for part in parts):
        raise TokenError("a token is three base64url parts separated by dots")
    header_part, payload_part, signature_part = parts
    if _json_part(header_part).get("alg") != HEADER["alg"]:
        raise TokenError("the token is not signed with HS256")
    signature = _b64decode(signature_part)
    if not hmac.compare_digest(signature, _sign(f"{header_part}.{payload_part}", key)):
        raise TokenError("the token's signature does not match")
    claims = _json_part(payload_part)
    exp = claims.get("exp")
    if isinstance(exp, bool) or not isinstance(exp, int | float):
        raise TokenError("the token has no expiry")
    if exp <= now:
        raise TokenExpired("the token has expired")
    return claims
