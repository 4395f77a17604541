"""Fixtures of the live-room tests (R5, R8, R10, R13, R71–R77)."""

from __future__ import annotations

from pathlib import Path

import pytest

import meetings.models.live  # noqa: F401  (registers the live tables before the test database)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    from tests.live.scenario import ensure_live_tables

    with django_db_blocker.unblock():
        ensure_live_tables()


def root_urls_include_live() -> bool:
    return "meetings.urls_live" in (ROOT / "kokous" / "urls.py").read_text()


@pytest.fixture(scope="session")
def audit_key_path(tmp_path_factory):
    from io import StringIO

    from django.core.management import call_command

    path = tmp_path_factory.mktemp("live-audit") / "audit_signing.key"
    call_command("audit_keygen", "--path", str(path), stdout=StringIO())
    return path


@pytest.fixture(autouse=True)
def live_settings(settings, audit_key_path):
    """Short drop grace so tests need not wait; the live URLs if the root does not have them."""
    settings.KOKOUS_LIVE = {"DROP_GRACE_SECONDS": 0.2, "SWEEP_SECONDS": 60}
    settings.AUDIT_SIGNING_KEY_FILE = audit_key_path
    if not root_urls_include_live():
        settings.ROOT_URLCONF = "tests.live.urls"
    return settings
