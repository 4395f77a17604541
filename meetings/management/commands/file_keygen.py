"""Create or extend the file-encryption key ring (`meetings.encryption`; docs/key-rotation.md).

    manage.py file_keygen                 add a new key (create the ring, mode 0600, if missing)
    manage.py file_keygen --if-missing    create the ring with one key only if it has none
    manage.py file_keygen --print         print a fresh one-key ring to stdout, write nothing
                                          (for a secret manager feeding KOKOUS_FILE_KEYS)

Adding a key makes it the newest: new files are encrypted with it, old files stay readable.
To re-encrypt old files as well, use `manage.py rotate_file_key`.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from meetings import encryption


class Command(BaseCommand):
    help = "Create or extend the file-encryption key ring (AES-256-GCM keys, mode 0600)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-missing", action="store_true", help="do nothing if the ring already has a key"
        )
        parser.add_argument(
            "--print", action="store_true", dest="print_only",
            help="print a new one-key ring as JSON instead of writing the ring file",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["print_only"]:
            ring = encryption.KeyRing((encryption.new_key(),), "stdout")
            self.stdout.write(ring.to_json(), ending="")
            return
        if encryption.keyring_from_environment():
            raise CommandError(
                f"the key ring comes from ${encryption.ENV_KEYS}; a file would be ignored. "
                "Add the new key to that secret instead (see `file_keygen --print`)."
            )
        path = encryption.keyring_path()
        try:
            if options["if_missing"]:
                ring, key = encryption.ensure_keyring(path)
            else:
                ring, key = encryption.add_key_to_file(path)
        except encryption.KeyRingError as exc:
            raise CommandError(str(exc)) from exc
        if key is None:
            self.stdout.write(f"file key ring {path} exists ({len(ring.keys)} key(s)); unchanged")
        else:
            self.stdout.write(
                f"added file key {key.id} to {path} ({len(ring.keys)} key(s)); it is now the newest"
            )
