"""``manage.py minutes_run_jobs`` — render queued pöytäkirja jobs outside the web process."""

from __future__ import annotations

import time
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandParser

from minutes.jobs import requeue_stale, run_queued


class Command(BaseCommand):
    help = "Render queued minutes PDF jobs (once, or polling with --loop)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loop", action="store_true", help="keep polling for new jobs")
        parser.add_argument("--interval", type=float, default=2.0, help="poll interval (s)")
        parser.add_argument("--limit", type=int, default=None, help="stop after N jobs")
        parser.add_argument(
            "--requeue-stale-minutes", type=int, default=30,
            help="first put back jobs left running this long by a crashed worker (0: never)",
        )

    def handle(self, *args: object, **options: object) -> None:
        stale = int(options["requeue_stale_minutes"])
        if stale > 0:
            requeued = requeue_stale(timedelta(minutes=stale))
            if requeued:
                self.stdout.write(f"requeued {requeued} stale job(s)")
        limit = options["limit"]
        total = 0
        while True:
            total += run_queued(limit=None if limit is None else int(limit) - total)
            if not options["loop"] or (limit is not None and total >= int(limit)):
                break
            time.sleep(float(options["interval"]))
        self.stdout.write(f"rendered {total} job(s)")
