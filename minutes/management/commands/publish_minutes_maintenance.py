"""Keep the published minutes lawful over time (KL 140.1 §, R52, R67): when an appeal period
has ended, re-render the public copy without the personal data and audit the removal.

Run it daily (e.g. a systemd timer or cron at 00:05 Europe/Helsinki); it is idempotent, and
each public read performs the same check.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from minutes.services.workflow import due_for_maintenance, refresh_public_copy


class Command(BaseCommand):
    help = "Poistaa henkilötiedot julkaistuista pöytäkirjoista muutoksenhakuajan päätyttyä."

    def handle(self, *args, **options) -> None:
        changed = 0
        for minutes_id in due_for_maintenance():
            if refresh_public_copy(minutes_id):
                changed += 1
        self.stdout.write(f"publish_minutes_maintenance: {changed} updated")
