"""``manage.py minutes_sample_pdf OUT.pdf`` — render the demo pöytäkirja (see minutes.samples)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandParser

from minutes.jobs import render_document_pdf
from minutes.models import RenderJob
from minutes.samples import sample_minutes


class Command(BaseCommand):
    help = "Render the demo minutes (or its public version / an excerpt) to a PDF/A file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("output", type=Path)
        parser.add_argument("--kind", choices=RenderJob.Kind.values, default="minutes")
        parser.add_argument("--section", type=int, default=47, help="§ of an excerpt")
        parser.add_argument("--items", type=int, default=0, help="extra routine sections")
        parser.add_argument("--sign", action="store_true", help="seal with the configured seal")
        parser.add_argument("--lang", default="fi")

    def handle(self, *args: object, **options: object) -> None:
        document = sample_minutes(extra_items=int(options["items"]))
        pdf = render_document_pdf(
            document, str(options["kind"]), lang=str(options["lang"]),
            section_number=int(options["section"]),
        )
        if options["sign"]:
            from minutes.signing import load_seal_signer, seal_settings, sign_pdf

            config = seal_settings()
            pdf = sign_pdf(
                pdf, load_seal_signer(config), reason="Pöytäkirjan varmennus",
                location=document.meeting.municipality, timestamp_url=config.timestamp_url,
            )
        output = Path(options["output"])
        output.write_bytes(pdf)
        self.stdout.write(f"wrote {output} ({len(pdf)} bytes)")
