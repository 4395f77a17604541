"""Rotate the file-encryption key: add a new key and re-encrypt every stored blob with it.

    manage.py rotate_file_key                   add a key, re-encrypt all blobs under
                                                PROTECTED_FILES_ROOT
    manage.py rotate_file_key --no-new-key      only re-encrypt (resume an interrupted rotation,
                                                or after the new key was added to
                                                $KOKOUS_FILE_KEYS and the service restarted)
    manage.py rotate_file_key --dry-run         count what would be re-encrypted
    manage.py rotate_file_key --source pkg.mod.func
                                                take the blobs from `func()`, an iterable of
                                                `meetings.encryption.StoredBlob(path,
                                                associated_data)`, instead of walking the root

Old keys stay in the ring (backups made before the rotation still need them); remove a key by
hand only when no backup encrypted with it is kept (docs/key-rotation.md). Exits with status 1
if any file could not be re-encrypted, naming each.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.module_loading import import_string

from meetings import encryption


class Command(BaseCommand):
    help = "Add a new file-encryption key and re-encrypt every stored blob with it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-new-key", action="store_true", help="re-encrypt only")
        parser.add_argument("--dry-run", action="store_true", help="change nothing; only count")
        parser.add_argument(
            "--source", default="",
            help="dotted path of a callable returning StoredBlob items (default: walk the root)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from_env = bool(encryption.keyring_from_environment())
        if not options["no_new_key"] and not options["dry_run"]:
            if from_env:
                raise CommandError(
                    f"the key ring comes from ${encryption.ENV_KEYS}: add a key there "
                    "(`file_keygen --print` makes one), restart, then run "
                    "`rotate_file_key --no-new-key`"
                )
            try:
                _, key = encryption.add_key_to_file()
            except encryption.KeyRingError as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(f"added file key {key.id}")
        try:
            ring = encryption.load_keyring()
        except encryption.KeyRingError as exc:
            raise CommandError(str(exc)) from exc
        blobs = None
        if options["source"]:
            blobs = import_string(options["source"])()
        report = encryption.reencrypt_all(blobs, keyring=ring, dry_run=options["dry_run"])
        verb = "would re-encrypt" if options["dry_run"] else "re-encrypted"
        self.stdout.write(
            f"newest key {ring.newest.id}: scanned {report.scanned}, {verb} "
            f"{report.reencrypted}, already current {report.current}, failed {len(report.failed)}"
        )
        for path, error in report.failed:
            self.stderr.write(f"FAILED {path}: {error}")
        if report.failed:
            raise CommandError(f"{len(report.failed)} file(s) could not be re-encrypted")
