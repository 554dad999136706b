"""Base URLs as people paste them (no Textual, no I/O)."""

from __future__ import annotations

import re

#: A trailing API version path, as the API docs' example URLs end (``…/v2``, ``…/v2/``).
_VERSION_RE = re.compile(r"/v2/*$", re.IGNORECASE)


def without_api_version(url: str) -> str:
    """``url`` (stripped) without a trailing ``/v2``: flowtui adds ``/v2`` to every path
    itself, so a base URL pasted from the API docs (``https://useast.api.elasticpath.com/v2``)
    asked for ``/v2/oauth/…`` under ``/v2`` and the store refused the credentials (issue 16).
    Anything else is returned as it was given, stripped."""
    cleaned = url.strip()
    return _VERSION_RE.sub("", cleaned) if _VERSION_RE.search(cleaned) else cleaned


def ends_in_api_version(url: str) -> bool:
    """Whether ``url`` ends in ``/v2`` (see :func:`without_api_version`)."""
    return bool(_VERSION_RE.search(url.strip()))
