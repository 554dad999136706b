"""The index syncs from the same in-process sandbox services as the api tests; the
concurrency tests run ``flowtui index sync`` processes against the CLI tests' ``shop``."""

from tests.api.conftest import bare_service, seeded_app, service, store  # noqa: F401
from tests.cli.conftest import shop  # noqa: F401
