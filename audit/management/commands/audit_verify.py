"""`manage.py audit_verify DIR [--old CHECKPOINT]`: `python -m audit.verify` from manage.py.

Same checks, messages and exit status (0 verified, 1 not), because it calls `audit.verify`,
which needs no database: the verdict never depends on trusting this server.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from audit.verify import verify_bundle


class Command(BaseCommand):
    help = "Verify an audit export bundle offline (signature, entries, root, older checkpoints)."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", metavar="DIR")
        parser.add_argument(
            "--old",
            action="append",
            default=[],
            metavar="CHECKPOINT",
            help="an older checkpoint (or earlier export directory); may be repeated",
        )
        parser.add_argument("--strict", action="store_true", help="parse every entry (slower)")
        parser.add_argument("--key", metavar="KEY.vkey", help="pinned verifier key")

    def handle(self, *args: Any, **options: Any) -> None:
        result = verify_bundle(
            options["directory"], options["old"], strict=options["strict"], key_path=options["key"]
        )
        if result.ok:
            self.stdout.write(result.message)
            return
        self.stderr.write(f"FAILED: {result.message}")
        for problem in result.problems[1:]:
            self.stderr.write(f"  also: {problem}")
        raise SystemExit(1)
