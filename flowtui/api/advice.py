"""One sentence saying what to do about the failures a newcomer hits first (no Textual).

Credentials refused at login (a bad secret, or a client id from a store in the other region),
a store that cannot be reached (offline, a wrong host name, nothing listening on a sandbox's
port) or does not answer in time. The command line and the login screen both show these,
so the advice reads the same everywhere. Anything else returns ``None``: the caller shows
the store's own message.
"""

from __future__ import annotations

from flowtui.api.errors import ApiError, AuthError, NetworkError
from flowtui.config.profiles import EU_WEST, LEGACY_EU_WEST, US_EAST, Profile
from flowtui.core.urls import ends_in_api_version, without_api_version

_REGIONS = {
    EU_WEST: ("EU West", "US East", "us-east", US_EAST),
    LEGACY_EU_WEST: ("EU West", "US East", "us-east", US_EAST),
    US_EAST: ("US East", "EU West", "eu-west", EU_WEST),
}
KEYS = "Commerce Manager → Application Keys"


def _loopback(base_url: str) -> bool:
    return Profile(name="x", base_url=base_url, client_id="x").is_sandbox()


def login_refused(error: BaseException) -> bool:
    """Whether ``error`` is the token endpoint refusing the client credentials."""
    return isinstance(error, AuthError) and (error.path or "").endswith("/oauth/access_token")


def advice(error: BaseException, base_url: str, client_id: str | None = None) -> str | None:
    """What to do about ``error`` met while talking to ``base_url``, as one sentence."""
    url = base_url.rstrip("/")
    if ends_in_api_version(url) and isinstance(error, ApiError):
        return (
            f"The base URL {url} ends in /v2, which flowtui adds itself: use "
            f"{without_api_version(url)} instead."
        )
    if login_refused(error):
        who = f"client id {client_id!r}" if client_id else "the client id"
        region = _REGIONS.get(url)
        if region is not None:
            here, other, key, other_url = region
            return (
                f"The {here} store at {url} refused {who} and its secret: check both in "
                f"{KEYS}, and if the store is in {other}, pick that region instead "
                f"(--region {key}, {other_url})."
            )
        if _loopback(url):
            return (
                f"The sandbox at {url} refused {who} and its secret: use the pair it printed "
                f"when it started (or give it yours with --client-id and --client-secret)."
            )
        return f"The store at {url} refused {who} and its secret: check both in {KEYS}."
    if isinstance(error, NetworkError):
        title = error.errors[0].title if error.errors else ""
        if title == "The store did not answer in time":
            return f"{url} did not answer in time: check your network or the profile's base URL."
        if title == "Cannot reach the store":
            if _loopback(url):
                return (
                    f"Cannot reach {url}: nothing is listening there, so start the sandbox "
                    f"(flowtui sandbox) or fix the profile's base URL."
                )
            return f"Cannot reach {url}: check your network or the profile's base URL."
    return None


def explain(error: BaseException, base_url: str, client_id: str | None = None) -> str:
    """:func:`advice`, else the error's own words (``kind: messages`` for API errors). A
    refused login gets both: what to do, then the store's exact complaint."""
    text = advice(error, base_url, client_id)
    if text is not None:
        if login_refused(error) and isinstance(error, ApiError) and error.summary:
            text = f"{text} The store said: {error.summary}"
        return text
    if isinstance(error, ApiError):
        return f"{error.kind}: {error.summary}"
    return f"{type(error).__name__}: {error}"
