"""Building an :class:`ApiService` for a resolved profile (no Textual).

The token cache is the profile's secret store, so a restart within the token's life does not
log in again. When environment variables override a stored profile's credentials, the token
is kept in memory only: a cached token may belong to other credentials.
"""

from __future__ import annotations

from typing import Any

from flowtui.api.auth import MemoryTokenCache, Token, TokenCache
from flowtui.api.service import ApiService
from flowtui.config.resolve import Resolved
from flowtui.config.secrets import SecretStore, secret_store
from flowtui.ops.journal import Journal


class StoredTokenCache:
    """A :class:`TokenCache` backed by a profile's secret store (file or keyring)."""

    def __init__(self, secrets: SecretStore, profile: str) -> None:
        self.secrets = secrets
        self.profile = profile

    def load(self) -> Token | None:
        return self.secrets.get_token(self.profile)

    def save(self, token: Token | None) -> None:
        self.secrets.set_token(self.profile, token)


def token_cache_for(resolved: Resolved) -> TokenCache:
    if resolved.source != "profile":
        return MemoryTokenCache()
    return StoredTokenCache(secret_store(resolved.profile), resolved.profile.name)


def service_for(resolved: Resolved, **overrides: Any) -> ApiService:
    """The service for a profile; ``overrides`` go to :class:`ApiService` (e.g. transport).
    Its writes are journaled in ``data_dir()/journal.jsonl`` under the profile's name."""
    profile = resolved.profile
    verify: bool | str = profile.ca_bundle or profile.verify_tls
    settings: dict[str, Any] = {
        "read_only": profile.read_only,
        "rate_limit": profile.rate_limit,
        "token_cache": token_cache_for(resolved),
        "verify": verify,
        "journal": Journal(),
        "profile_name": profile.name,
    }
    settings.update(overrides)
    return ApiService(profile.base_url, profile.client_id, resolved.secret, **settings)
