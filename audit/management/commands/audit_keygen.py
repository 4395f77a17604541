"""`manage.py audit_keygen`: create the Ed25519 key that signs audit checkpoints.

The key stays outside the database (spec section 3), mode 0600. Replacing a key is a visible
event for auditors (old checkpoints stay verifiable only with the old verifier key), so it needs
`--force`; `--if-missing` makes the command idempotent for `make run` and deployment scripts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit import keys, merkle


class Command(BaseCommand):
    help = "Create the audit checkpoint signing key (Ed25519, PKCS#8 PEM, mode 0600)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--path", type=Path, help="key file (default: settings.AUDIT_SIGNING_KEY_FILE)"
        )
        parser.add_argument(
            "--if-missing", action="store_true", help="do nothing if the key file exists"
        )
        parser.add_argument(
            "--force", action="store_true", help="replace an existing key (auditors must be told)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"] or keys.key_path()
        exists = path.exists()
        if exists and options["if_missing"] and not options["force"]:
            if options["verbosity"] > 1:
                self.stdout.write(f"audit signing key exists: {path}")
            return
        if exists and not options["force"]:
            raise CommandError(
                f"{path} exists; refusing to overwrite the audit signing key (use --force to "
                "replace it, and publish the new verifier key)"
            )
        try:
            key = keys.write_new_key(path, force=options["force"])
        except FileExistsError:
            raise CommandError(f"{path} was created meanwhile; not overwritten") from None
        self.stdout.write(f"wrote {path} (mode 0600)")
        self.stdout.write(merkle.verifier_key_line(keys.origin(), key.public_key()))
