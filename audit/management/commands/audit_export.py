"""`manage.py audit_export DIR`: write an audit bundle for offline verification (spec section 5).

Signs a checkpoint of everything committed, writes `entries.jsonl` (the stored bytes, streamed
in chunks), `checkpoint` and `key.vkey`, and records the export as `audit.exported`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit import export
from audit.checkpoints import LogInconsistent, latest_checkpoint
from audit.keys import SigningKeyError
from audit.store import LogCorrupted


class Command(BaseCommand):
    help = "Export the audit log (entries.jsonl, checkpoint, key.vkey) into DIR."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", type=Path, metavar="DIR")
        parser.add_argument(
            "--force", action="store_true", help="overwrite a bundle already in DIR"
        )
        parser.add_argument(
            "--no-sign",
            action="store_true",
            help="export up to the newest stored checkpoint without signing a new one (for "
            "examining a log that the service refuses to sign because it was tampered with)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        directory: Path = options["directory"]
        existing = [n for n in (export.ENTRIES, export.CHECKPOINT, export.KEY)
                    if (directory / n).exists()]
        if existing and not options["force"]:
            raise CommandError(
                f"{directory} already holds {', '.join(existing)}; keep old bundles (they serve as "
                "--old references) or pass --force"
            )
        try:
            if options["no_sign"]:
                checkpoint = latest_checkpoint()
            else:
                checkpoint = export.checkpoint_for_export(None, "command")
        except (LogInconsistent, LogCorrupted) as exc:
            raise CommandError(f"{exc}; the log can still be exported with --no-sign") from exc
        except SigningKeyError as exc:
            raise CommandError(str(exc)) from exc
        lines = export.write_directory(directory, checkpoint)
        if options["verbosity"]:
            self.stdout.write(
                f"exported {lines} entries (checkpoint size {checkpoint.size}) to {directory}"
            )
