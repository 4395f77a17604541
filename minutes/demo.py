"""Demo minutes for `seed_demo` (demo only): the minutes of a closed demo meeting are built,
checked by two checkers, signed by the chair, attested and sealed (PAdES) by the secretary and
published — each step the real `minutes.services.workflow` service called as the real person.

The checkers approve with ``recent_mfa=True``: in the application the view passes whether the
checker has just stepped up with MFA (R50); the seed stands in for that step-up, as the demo
users all share the demo TOTP secret. Nothing else is bypassed.
"""

from __future__ import annotations

import io
from typing import Any

from django.core.management import CommandError, call_command

from meetings.demo import demo_user
from meetings.models import Meeting


def ensure_demo_seal(organization: str) -> bool:
    """Create the self-signed demo seal where the settings expect it, unless a seal exists;
    False when the settings point at a real seal that is missing (then nothing is signed)."""
    from minutes.signing import seal_settings

    config = seal_settings()
    if config.key_file.exists() and config.cert_file.exists():
        return True
    try:
        call_command("minutes_demo_seal", "--if-missing", organization=organization,
                     stdout=io.StringIO())
    except CommandError:
        return False
    return config.key_file.exists() and config.cert_file.exists()


def demo_minutes(
    m: Meeting, secretary: Any, chair: Any, checkers: list[str], *, stage: str = "published",
    sealed: bool = True,
) -> str:
    """The minutes of the closed meeting `m` up to `stage`: "ready" (built, the two checkers —
    e-mails of participating members — assigned and not yet approved), "checked" (both
    approved) or "published" (the chair signs, the secretary attests, which seals the PDF/A,
    and publishes; needs the seal). Returns a phrase for the seed's summary."""
    from minutes.services import workflow

    workflow.build_minutes(secretary, m.pk)
    for email in checkers:
        workflow.assign_checker(secretary, m.pk, demo_user(email).person.pk)
    if stage == "ready":
        return "pöytäkirja laadittu, odottaa tarkastajia"
    for email in checkers:
        workflow.approve_minutes(demo_user(email), m.pk, recent_mfa=True)
    if stage == "checked":
        return "pöytäkirja tarkastettu"
    if not sealed:
        return "pöytäkirja tarkastettu (sinettiä ei ole: ei allekirjoitettu eikä julkaistu)"
    workflow.sign_minutes(chair, m.pk)
    workflow.attest_minutes(secretary, m.pk)
    workflow.publish_minutes(secretary, m.pk)
    return "pöytäkirja tarkastettu, allekirjoitettu, sinetöity (PAdES) ja julkaistu"
