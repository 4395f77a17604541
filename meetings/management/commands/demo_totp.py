"""Print the current TOTP code of the demo users (demo only)."""

from __future__ import annotations

from typing import Any

from allauth.mfa.totp.internal.auth import (
    format_hotp_value,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.core.management.base import BaseCommand

from meetings.demo_organisation import DEMO_TOTP_SECRET


class Command(BaseCommand):
    help = "Print the demo users' current TOTP code (demo only)."

    def handle(self, *args: Any, **options: Any) -> None:
        counter = next(iter(yield_hotp_counters_from_time()))
        self.stdout.write(format_hotp_value(hotp_value(DEMO_TOTP_SECRET, counter)))
