"""The operations run against the same in-process sandbox services as the api tests."""

from tests.api.conftest import bare_service, seeded_app, service, store  # noqa: F401
