"""Login with MFA, lockout, and sessions ending everywhere (R5, R13, R63; ASVS 6–7)."""

from __future__ import annotations

import time

import pytest
import time_machine
from allauth.mfa.totp.internal.auth import (
    format_hotp_value,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from audit.models import AuditEntry
from tests import factories

PASSWORD = "correct horse battery staple"


def current_totp() -> str:
    counter = next(iter(yield_hotp_counters_from_time()))
    return format_hotp_value(hotp_value(factories.TEST_TOTP_SECRET, counter))


def login_with_mfa(client: Client, email: str, seconds_later: int = 0) -> None:
    """Log in with password + TOTP. A TOTP code is accepted once (replay protection), so a
    second device logs in `seconds_later` (>= 30 s: the next code)."""
    if seconds_later:
        with time_machine.travel(time.time() + seconds_later, tick=True):
            return login_with_mfa(client, email)
    response = client.post(reverse("account_login"), {"login": email, "password": PASSWORD})
    assert response.status_code == 302, response.content
    assert response.url == reverse("mfa_authenticate")
    response = client.post(reverse("mfa_authenticate"), {"code": current_totp()})
    assert response.status_code == 302, response.content


def test_production_password_hasher_is_argon2():
    """The test settings put a fast hasher first; production must hash with Argon2."""
    from kokous import settings as production

    assert production.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


def test_r13_login_requires_the_second_factor(db, client):
    """R13: a member who has MFA must pass TOTP before reaching member pages."""
    membership = factories.MembershipFactory()
    email = membership.person.user.email
    response = client.post(reverse("account_login"), {"login": email, "password": PASSWORD})
    assert response.url == reverse("mfa_authenticate")
    # Password alone is not a login: member pages still send us to log in.
    assert client.get(reverse("meetings:dashboard")).status_code == 302
    response = client.post(reverse("mfa_authenticate"), {"code": current_totp()})
    assert response.status_code == 302
    assert client.get(reverse("meetings:dashboard")).status_code == 200
    assert AuditEntry.objects.filter(action="auth.login").count() == 1


def test_r13_member_without_mfa_cannot_open_member_pages(db, client):
    """R13: a logged-in member with no second factor is sent to set one up first."""
    membership = factories.MembershipFactory(person__user__mfa=False)
    client.force_login(membership.person.user)
    response = client.get(reverse("meetings:dashboard"))
    assert response.status_code == 302
    assert response.url == reverse("mfa_activate_totp")


def test_anonymous_user_is_sent_to_login(db, client):
    response = client.get(reverse("meetings:dashboard"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_account_locks_after_repeated_failures(db, client):
    """After AXES_FAILURE_LIMIT wrong passwords even the right password is refused."""
    user = factories.UserFactory()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("account_login"), {"login": user.email, "password": "wrong password!"})
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code in (403, 429)
    assert "auth.locked_out" in response.content.decode()
    assert client.get(reverse("meetings:dashboard")).status_code == 302
    assert AuditEntry.objects.filter(action="auth.locked_out").exists()


def test_logout_ends_every_session_of_the_user(db):
    """Logging out on one device ends the user's sessions on all devices (ASVS 7.4.1)."""
    membership = factories.MembershipFactory()
    phone, laptop = Client(), Client()
    login_with_mfa(phone, membership.person.user.email)
    login_with_mfa(laptop, membership.person.user.email, seconds_later=31)
    assert laptop.get(reverse("meetings:dashboard")).status_code == 200

    phone.post(reverse("account_logout"))

    assert laptop.get(reverse("meetings:dashboard")).status_code == 302
    assert not Session.objects.exists()


def test_password_change_ends_every_session(db):
    membership = factories.MembershipFactory()
    user = membership.person.user
    phone, laptop = Client(), Client()
    login_with_mfa(phone, user.email)
    login_with_mfa(laptop, user.email, seconds_later=31)
    new_password = "a completely new passphrase 42"
    response = phone.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": new_password, "password2": new_password},
    )
    assert response.status_code == 302
    assert laptop.get(reverse("meetings:dashboard")).status_code == 302
    assert phone.get(reverse("meetings:dashboard")).status_code == 302
    user.refresh_from_db()
    assert user.check_password(new_password)
    assert AuditEntry.objects.filter(action="auth.password_changed").exists()


@pytest.mark.parametrize("path", ["/", "/accounts/login/"])
def test_public_pages_open_without_login(db, client, path):
    assert client.get(path).status_code == 200


def test_r13_a_totp_code_is_accepted_only_once(db):
    """A code seen by an onlooker (or replayed from a log) cannot be used a second time."""
    membership = factories.MembershipFactory()
    email = membership.person.user.email
    first, second = Client(), Client()
    login_with_mfa(first, email)
    code_used = current_totp()
    second.post(reverse("account_login"), {"login": email, "password": PASSWORD})
    response = second.post(reverse("mfa_authenticate"), {"code": code_used})
    assert response.status_code == 200  # form re-shown with an error
    assert second.get(reverse("meetings:dashboard")).status_code == 302


def test_idle_session_is_logged_out(db, client, settings):
    """A member session unused for longer than SESSION_IDLE_TIMEOUT ends (ASVS 7.3.1)."""
    membership = factories.MembershipFactory()
    login_with_mfa(client, membership.person.user.email)
    assert client.get(reverse("meetings:dashboard")).status_code == 200
    with time_machine.travel(time.time() + settings.SESSION_IDLE_TIMEOUT + 120, tick=True):
        assert client.get(reverse("meetings:dashboard")).status_code == 302


def test_r13_a_session_rechecks_the_second_factor_and_forgets_a_removed_one(db):
    """The enrolled factor is looked up at most once a minute per session (the ballot path,
    docs/performance-live.md); removing it takes effect at once on the device that removed it
    and within a minute on the others."""
    from allauth.mfa.models import Authenticator
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    user = factories.MembershipFactory().person.user
    phone, laptop = Client(), Client()
    login_with_mfa(phone, user.email)
    login_with_mfa(laptop, user.email, seconds_later=31)
    dashboard = reverse("meetings:dashboard")
    with time_machine.travel(time.time() + 40, tick=True):
        assert laptop.get(dashboard).status_code == 200  # sighting renewed
        with CaptureQueriesContext(connection) as queries:
            assert laptop.get(dashboard).status_code == 200
        assert not [q for q in queries.captured_queries if "mfa_authenticator" in q["sql"]]

        # allauth asks for the password again before a factor is removed.
        assert phone.post(reverse("mfa_deactivate_totp")).url.startswith(
            reverse("account_reauthenticate"))
        again = phone.post(reverse("account_reauthenticate"), {"password": PASSWORD})
        assert again.status_code == 302
        assert phone.post(reverse("mfa_deactivate_totp")).url == reverse("mfa_index")
        assert not Authenticator.objects.filter(user=user, type="totp").exists()
        assert phone.get(dashboard).url == reverse("mfa_activate_totp")
    with time_machine.travel(time.time() + 40 + 61, tick=True):
        assert laptop.get(dashboard).url == reverse("mfa_activate_totp")
