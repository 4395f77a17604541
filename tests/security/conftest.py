"""Fixtures of the bad-input suite: service keys, the two-municipality world, logged-in clients.

The world is built once per test module inside an outer transaction that is rolled back when the
module ends; each test runs in a savepoint inside it (pytest-django's `db`), so a test sees the
world fresh and never leaves anything behind. Tests that need real commits (WebSockets) use
their own data, never `world`.
"""

from __future__ import annotations

import pytest
from django.db import connections, transaction
from django.test import Client, override_settings

from tests.security.world import World, build_world


@pytest.fixture(scope="module")
def module_keys(tmp_path_factory):
    """The keys a running service has: an audit signing key and a file-encryption key ring.

    Both in a temporary directory (never the developer's var/), so every endpoint can answer.
    """
    from audit.keys import write_new_key
    from meetings import encryption

    keys = tmp_path_factory.mktemp("keys")
    write_new_key(keys / "audit_signing.key")
    encryption.ensure_keyring(keys / "file_keys.json")
    with override_settings(
        AUDIT_SIGNING_KEY_FILE=keys / "audit_signing.key",
        KOKOUS_FILE_KEYS="",
        KOKOUS_FILE_KEYS_FILE=keys / "file_keys.json",
        PROTECTED_FILES_ROOT=keys / "files",
    ):
        yield keys


@pytest.fixture(autouse=True)
def service_keys(module_keys):
    return module_keys


@pytest.fixture(scope="module")
def shared_world(django_db_setup, django_db_blocker, module_keys):
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield build_world()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            for connection in connections.all():
                connection.close_if_unusable_or_obsolete()


@pytest.fixture
def world(shared_world, db) -> World:
    return shared_world


def logged_in(user, **client_kwargs) -> Client:
    """A client with a session for `user` (who has TOTP enrolled, so the MFA gate lets it in)."""
    client = Client(**client_kwargs)
    client.force_login(user)
    return client


@pytest.fixture
def insider_client(world) -> Client:
    return logged_in(world.insider)


@pytest.fixture
def outsider_client(world) -> Client:
    return logged_in(world.outsider)
