"""``manage.py minutes_demo_seal`` — a self-signed demo seal certificate for ``make run``.

Writes ``seal.key`` (mode 0600) and ``seal.pem`` where ``KOKOUS_SEAL_KEY_FILE`` /
``KOKOUS_SEAL_CERT_FILE`` point (default ``VAR_DIR/seal/``). Not a qualified electronic seal:
production uses the municipality's certificate from a trust service provider.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from minutes.signing import create_demo_seal, seal_settings


class Command(BaseCommand):
    help = "Create a self-signed demo seal certificate and key for signing minutes."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--organization", default="Esimerkkilän kunta")
        parser.add_argument("--force", action="store_true", help="replace an existing seal")
        parser.add_argument(
            "--if-missing", action="store_true", help="do nothing when a seal exists"
        )

    def handle(self, *args: object, **options: object) -> None:
        config = seal_settings()
        if config.key_file.parent != config.cert_file.parent or (
            config.key_file.name, config.cert_file.name
        ) != ("seal.key", "seal.pem"):
            raise CommandError(
                "KOKOUS_SEAL_KEY_FILE / KOKOUS_SEAL_CERT_FILE point at a real seal; "
                "the demo seal is only created in the default location"
            )
        exists = config.key_file.exists() or config.cert_file.exists()
        if exists and options["if_missing"]:
            self.stdout.write(f"seal exists in {config.key_file.parent}")
            return
        if exists and not options["force"]:
            raise CommandError(f"a seal exists in {config.key_file.parent} (use --force)")
        key, cert = create_demo_seal(
            config.key_file.parent, organization=str(options["organization"]),
            overwrite=bool(options["force"]),
        )
        self.stdout.write(f"demo seal: key {key} (0600), certificate {cert}")
