"""The sandbox's standard-library JWT (HS256) against PyJWT, the reference both ways, and
against garbage: whatever a client sends, decoding raises TokenError or answers claims."""

from __future__ import annotations

import time

import jwt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flowtui.sandbox import webtoken

KEY = bytes(range(32))
CLAIMS = {"sub": "c-1", "name": "Ann Perkins", "iat": 1_700_000_000, "exp": 4_000_000_000}


def test_pyjwt_decodes_what_the_sandbox_signs():
    token = webtoken.encode({**CLAIMS, "jti": "t-1"}, KEY)
    assert jwt.get_unverified_header(token) == {"alg": "HS256", "typ": "JWT"}
    assert jwt.decode(token, KEY, algorithms=["HS256"]) == {**CLAIMS, "jti": "t-1"}
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, KEY[::-1], algorithms=["HS256"])


def test_the_sandbox_decodes_what_pyjwt_signs():
    token = jwt.encode(CLAIMS, KEY, algorithm="HS256")
    assert webtoken.decode(token, KEY, now=time.time()) == CLAIMS


@given(
    st.dictionaries(
        st.text(max_size=8),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(),
            lambda inner: (
                st.lists(inner, max_size=3)
                | st.dictionaries(st.text(max_size=4), inner, max_size=3)
            ),
            max_leaves=8,
        ),
        max_size=5,
    )
)
@settings(max_examples=60, deadline=None)
def test_any_claims_round_trip(extra):
    claims = {**extra, "exp": 4_000_000_000}
    token = webtoken.encode(claims, KEY)
    assert webtoken.decode(token, KEY, now=0) == claims
    # PyJWT checks the types of registered claims it meets (a "jti" must be a string, an "aud"
    # must match an audience asked for, ...): those checks are about a claim's meaning, not the
    # signature and payload this test compares, so they are off; the signature and "exp" stay.
    loose = {f"verify_{name}": False for name in ("aud", "iss", "sub", "jti", "iat", "nbf")}
    assert jwt.decode(token, KEY, algorithms=["HS256"], options=loose) == claims


def test_expiry_is_checked_after_the_signature():
    token = webtoken.encode(CLAIMS, KEY)
    with pytest.raises(webtoken.TokenExpired):
        webtoken.decode(token, KEY, now=CLAIMS["exp"])
    assert webtoken.decode(token, KEY, now=CLAIMS["exp"] - 1) == CLAIMS
    # A forged token is refused as forged even when it has expired too.
    with pytest.raises(webtoken.TokenError) as info:
        webtoken.decode(token, KEY[::-1], now=CLAIMS["exp"])
    assert not isinstance(info.value, webtoken.TokenExpired)


@pytest.mark.parametrize(
    "make",
    [
        lambda: jwt.encode(CLAIMS, None, algorithm="none"),
        lambda: jwt.encode(CLAIMS, KEY * 2, algorithm="HS512"),
        lambda: jwt.encode(CLAIMS, b"another key of thirty-two bytes!", algorithm="HS256"),
        lambda: jwt.encode({"sub": "c-1"}, KEY, algorithm="HS256"),  # no exp
        lambda: jwt.encode({**CLAIMS, "exp": "4000000000"}, KEY, algorithm="HS256"),
        lambda: jwt.encode({**CLAIMS, "exp": True}, KEY, algorithm="HS256"),
        lambda: jwt.encode(CLAIMS, KEY, algorithm="HS256") + "=",
        lambda: jwt.encode(CLAIMS, KEY, algorithm="HS256") + ".x",
        lambda: "",
        lambda: "..",
        lambda: "a.b.c",
    ],
)
def test_forged_or_malformed_tokens_are_refused(make):
    with pytest.raises(webtoken.TokenError):
        webtoken.decode(make(), KEY, now=0)


@given(st.text(alphabet=st.characters(codec="latin-1"), max_size=200))
@settings(max_examples=300, deadline=None)
def test_garbage_raises_only_token_error(text):
    with pytest.raises(webtoken.TokenError):
        webtoken.decode(text, KEY, now=0)


@given(st.lists(st.text(alphabet="ABCabc012-_=+/.é", max_size=12), min_size=3, max_size=3))
@settings(max_examples=300, deadline=None)
def test_three_garbled_parts_raise_only_token_error(parts):
    with pytest.raises(webtoken.TokenError):
        webtoken.decode(".".join(parts), KEY, now=0)
