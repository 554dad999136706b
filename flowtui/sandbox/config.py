"""How a sandbox behaves: credentials, token lifetime, limits and the faults it injects."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

#: The largest request body a sandbox accepts by default, bytes.
MAX_BODY_BYTES = 20 * 1024 * 1024


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
    #: scrypt cost parameter N for customer passwords (a power of two).
    password_cost: int = 2**14
    #: Seed for the fault injector's random choices (``None``: unpredictable).
    fault_seed: int | None = None
