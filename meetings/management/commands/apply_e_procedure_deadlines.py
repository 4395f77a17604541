"""Apply due deadlines of the § 100 electronic decision-making procedure (KL 100.2 §, R17, R18).

Run by a scheduler (cron, systemd timer) every minute or so; pages apply due deadlines on
every read as well, so the outcome never depends on this having run.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from meetings.services.e_procedure import apply_due_e_procedure_deadlines


class Command(BaseCommand):
    help = "Decide or transfer every § 100 item whose deadline has passed."

    def handle(self, *args: Any, **options: Any) -> None:
        handled = apply_due_e_procedure_deadlines()
        if options.get("verbosity", 1) >= 1:
            self.stdout.write(f"{len(handled)} item(s) handled: {handled}")
