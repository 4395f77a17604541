"""Django's `flush`, made to respect the append-only audit log (see `audit.guards`).

It overrides `django.core`'s command of the same name (an installed app's command wins), so
`TransactionTestCase` and pytest-django's `transactional_db`, which call `flush` by name after
each test, go through here. Only with `settings.AUDIT_ALLOW_FLUSH` (test settings) may the audit
tables be emptied; otherwise the database triggers refuse and nothing is flushed.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import CommandError
from django.core.management.commands.flush import Command as DjangoFlushCommand
from django.db import connections

from audit.guards import flush_allowed
from audit.models import AuditHead


class Command(DjangoFlushCommand):
    help = DjangoFlushCommand.help + (
        " The audit log (tarkastusloki) is emptied only when settings.AUDIT_ALLOW_FLUSH is set "
        "(test databases); otherwise the flush is refused."
    )

    def handle(self, **options: Any) -> None:
        if getattr(settings, "AUDIT_ALLOW_FLUSH", False):
            connection = connections[options["database"]]
            with flush_allowed(connection):
                super().handle(**options)
            # An empty log, ready to be locked, as migration 0003 leaves it.
            with connection.cursor() as cursor:
                cursor.execute(
                    f"INSERT INTO {AuditHead._meta.db_table} (id, size) VALUES (1, 0) "  # noqa: S608
                    "ON CONFLICT DO NOTHING"
                )
            return None
        try:
            return super().handle(**options)
        except CommandError as exc:
            if "append-only" in str(exc.__cause__ or ""):
                raise CommandError(
                    "The audit log (tarkastusloki) is append-only: the database refused to empty "
                    "it, so nothing was flushed. AUDIT_ALLOW_FLUSH is for test databases only."
                ) from exc
            raise
