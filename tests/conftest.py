"""Suite-wide fixtures. The database is the real one configured by DATABASE_URL."""

from __future__ import annotations

import os

import pytest


def database_vendor() -> str:
    url = os.environ.get("DATABASE_URL", "")
    return "postgresql" if url.startswith(("postgres://", "postgresql://")) else "sqlite"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked `postgres` need PostgreSQL; on SQLite they are deselected *and reported*.

    CI runs the suite on both databases, so nothing marked here goes untested.
    """
    if database_vendor() == "postgresql":
        return
    kept, deselected = [], []
    for item in items:
        (deselected if item.get_closest_marker("postgres") else kept).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(
                f"kokous: {len(deselected)} PostgreSQL-only tests deselected on SQLite "
                "(they run in the PostgreSQL leg of .ci/run)"
            )


@pytest.fixture
def committee(db):
    """A 9-member committee with personal substitutes; returns (body, members, substitutes)."""
    from tests import factories

    return factories.make_body_with_members()


@pytest.fixture
def secretary_for(db):
    from tests import factories

    def make(body):
        return factories.StaffRoleFactory(
            municipality=body.municipality, body=body, role="secretary"
        )

    return make


@pytest.fixture(autouse=True)
def _isolated_cache():
    """Each test starts with an empty cache: used TOTP codes, rate limits and snapshots are
    cached, and SQLite reuses row ids after a rollback, so stale keys would leak between tests."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _channel_layer_per_test():
    """A fresh channel layer instance per test. A server process has one event loop, but each
    async test runs in its own: channels-redis binds its receive lock to the loop that first
    used it, and a member hub's receive cancelled when a test's loop ends can leave that lock
    held ("bound to a different event loop" in the next test). The Redis server and its data
    are shared as in production; only the client object is renewed."""
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()
