"""Error codes of the minutes workflow with their Finnish messages (see ``kokous.errors``)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from kokous.errors import Conflict, DomainError, NotFound, PermissionDenied

CODES: dict[str, tuple[type[DomainError], Any]] = {
    "minutes.not_found": (NotFound, _("Pöytäkirjaa ei löydy.")),
    "minutes.forbidden": (PermissionDenied, _("Sinulla ei ole oikeutta tähän toimenpiteeseen.")),
    "minutes.meeting_not_closed": (
        Conflict, _("Pöytäkirja laaditaan vasta, kun kokous on päättynyt.")),
    "minutes.not_built": (Conflict, _("Pöytäkirjaa ei ole vielä muodostettu.")),
    "minutes.records_not_editable": (
        DomainError,
        _("Äänestyksiä, läsnäoloa ja päätöksiä ei voi muokata pöytäkirjassa: ne tulevat "
          "kokouksen tallenteista (R49). Muokattavissa on vain kuvaava teksti."),
    ),
    "minutes.appeal_missing": (
        Conflict, _("Pykälältä § %(number)s puuttuu muutoksenhakuohje (KL 141 §, R55).")),
    "minutes.locked": (Conflict, _("Tarkastettua pöytäkirjaa ei voi enää muuttaa.")),
    "minutes.not_a_checker": (
        PermissionDenied, _("Et ole tämän pöytäkirjan tarkastaja (R50).")),
    "minutes.checker_not_participant": (
        DomainError, _("Tarkastajan on oltava kokouksen jäsen tai varajäsen.")),
    "minutes.too_many_checkers": (DomainError, _("Tarkastajia on jo kaksi.")),
    "minutes.mfa_required": (
        PermissionDenied, _("Vahvista henkilöllisyytesi uudelleen (MFA) ennen tarkastusta.")),
    "minutes.already_approved": (Conflict, _("Olet jo hyväksynyt pöytäkirjan.")),
    "minutes.not_ready": (Conflict, _("Pöytäkirja ei ole tarkastettavana.")),
    "minutes.not_checked": (Conflict, _("Pöytäkirjaa ei ole tarkastettu (R50, R51).")),
    "minutes.already_signed": (Conflict, _("Pöytäkirja on jo allekirjoitettu.")),
    "minutes.not_signed": (Conflict, _("Puheenjohtaja ei ole vielä allekirjoittanut.")),
    "minutes.already_attested": (Conflict, _("Pöytäkirja on jo varmennettu.")),
    "minutes.not_attested": (Conflict, _("Pöytäkirjanpitäjä ei ole vielä varmentanut.")),
    "minutes.already_published": (Conflict, _("Pöytäkirja on jo julkaistu.")),
    "minutes.bad_redaction": (DomainError, _("Virheellinen peitettävä kohta.")),
}


def minutes_error(code: str, **params: Any) -> DomainError:
    cls, message = CODES[code]
    return cls(code, message, **params)
