"""Where flowtui keeps its files: platformdirs locations, overridable by environment.

``FLOWTUI_CONFIG_DIR``, ``FLOWTUI_DATA_DIR`` and ``FLOWTUI_CACHE_DIR`` replace the platform
defaults (tests point them at a temporary folder). Nothing here imports Textual.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "flowtui"


def _dir(env: str, default: str) -> Path:
    override = os.environ.get(env)
    return Path(override).expanduser() if override else Path(default)


def config_dir() -> Path:
    """Profiles and settings (TOML)."""
    return _dir("FLOWTUI_CONFIG_DIR", platformdirs.user_config_dir(APP_NAME))


def data_dir() -> Path:
    """Credentials, the sandbox's database, journals."""
    return _dir("FLOWTUI_DATA_DIR", platformdirs.user_data_dir(APP_NAME))


def cache_dir() -> Path:
    """Things that can be rebuilt, such as search indexes."""
    return _dir("FLOWTUI_CACHE_DIR", platformdirs.user_cache_dir(APP_NAME))


def index_file(profile: str) -> Path:
    """Where the local search index of ``profile`` lives (flowtui.index builds it)."""
    return cache_dir() / "index" / f"{profile}.sqlite"


def sandbox_db() -> Path:
    """The sandbox's default SQLite database."""
    return data_dir() / "sandbox.db"
