"""Print how to log in to the demo (demo only: the credentials exist only in the demo seed)."""

from __future__ import annotations

from typing import Any

from allauth.mfa.totp.internal.auth import (
    format_hotp_value,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.core.management.base import BaseCommand

from meetings.demo_organisation import DEMO_LOGINS, DEMO_PASSWORD, DEMO_TOTP_SECRET


class Command(BaseCommand):
    help = "Print the demo logins, the shared demo password and how to pass MFA."

    def handle(self, *args: Any, **options: Any) -> None:
        counter = next(iter(yield_hotp_counters_from_time()))
        code = format_hotp_value(hotp_value(DEMO_TOTP_SECRET, counter))
        line = "=" * 78
        self.stdout.write(line)
        self.stdout.write(
            "Kokous demo — http://127.0.0.1:8000   *** DEMO ONLY, NOT FOR PRODUCTION ***"
        )
        self.stdout.write(line)
        self.stdout.write(f"Password for every demo user: {DEMO_PASSWORD}")
        self.stdout.write(f"MFA: TOTP secret for every demo user: {DEMO_TOTP_SECRET}")
        self.stdout.write("     add it to any authenticator app, or print the current code with")
        self.stdout.write("     `.venv/bin/python manage.py demo_totp`  (right now: " + code + ")")
        self.stdout.write("Demo users:")
        for login in DEMO_LOGINS:
            self.stdout.write(f"  {login.email:34} {login.role}")
        self.stdout.write("Public pages need no login. " + line[:20])
