"""How a sandbox behaves: credentials, token lifetime, limits and the faults it injects."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

#: The largest request body a sandbox accepts by default, bytes (1 MiB).
MAX_BODY_BYTES = 1024 * 1024
#: The longest string a request body may hold (an attribute, a custom value), characters.
MAX_STRING_CHARS = 16 * 1024
#: The most a resource's custom values may take together, bytes of JSON (UTF-8): a page of
#: 100 resources stays a few megabytes whatever clients store.
MAX_VALUES_BYTES = 64 * 1024


@dataclass
class SandboxConfig:
    """How a sandbox behaves. Fault settings exist for testing clients."""

    client_id: str = "sandbox-client"
    client_secret: str = field(default_factory=lambda: secrets.token_urlsafe(24), repr=False)
    #: Lifetime of access tokens, seconds.
    token_ttl: int = 3600
    #: Lifetime of shoppers' customer tokens (``POST /v2/customers/tokens``), seconds.
    customer_token_ttl: int = 24 * 3600
    #: Requests per second above which the sandbox answers 429 (``None``: no limit).
    rate_limit: float | None = None
    #: Share (0..1) of API requests answered 500 or 503 before they are processed.
    fault_rate: float = 0.0
    #: Share (0..1) of API requests whose connection is dropped after they were processed.
    drop_rate: float = 0.0
    #: Latency added to every API request, milliseconds.
    latency_ms: int = 0
    #: Whether ``POST /_sandbox/reset`` may empty the store.
    allow_reset: bool = False
    #: Largest request body accepted, bytes.
    max_body_bytes: int = MAX_BODY_BYTES
    #: Longest string accepted anywhere in a request body, characters (422 beyond).
    max_string_chars: int = MAX_STRING_CHARS
    #: Most bytes (JSON, UTF-8) a resource's custom values may take together (422 beyond).
    max_values_bytes: int = MAX_VALUES_BYTES
    #: Host names accepted in the Host header besides the address a request arrived at
    #: (``--allow-host``), on any port.
    allowed_hosts: tuple[str, ...] = ()
    #: Seconds a client has to send a request's head (from connecting, or from its first
    #: byte on a kept-alive connection); the connection is closed after that.
    head_timeout: float = 10.0
    #: Seconds a client has to send a request's body once its head arrived (408 after that).
    body_timeout: float = 30.0
    #: Seconds an idle kept-alive connection stays open.
    keep_alive_timeout: int = 5
    #: scrypt cost parameter N for customer passwords (a power of two).
    password_cost: int = 2**14
    #: Seed for the fault injector's random choices (``None``: unpredictable).
    fault_seed: int | None = None


def epcc_sizes(config: SandboxConfig) -> SandboxConfig:
    """``config`` with Elastic Path's own size limits instead of the sandbox's small ones:
    strings up to 16 MB (the field rules still refuse more), 20 MB bodies
    (``flowtui sandbox --epcc-sizes``). Memory then grows with what clients store."""
    config.max_body_bytes = 20 * 1024 * 1024
    config.max_string_chars = config.max_values_bytes = 20 * 1024 * 1024
    return config
