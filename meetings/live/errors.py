"""Error codes of the live room, with their Finnish messages (same pattern as meetings.errors)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from kokous.errors import Conflict, DomainError, NotFound, PermissionDenied

CODES: dict[str, tuple[type[DomainError], Any]] = {
    "live.not_participant": (NotFound, _("Et ole tämän kokouksen osallistuja.")),
    "live.removed": (
        PermissionDenied, _("Puheenjohtaja on poistanut sinut kokouksesta (KL 102 §)."),
    ),
    "live.chair_only": (PermissionDenied, _("Vain kokouksen puheenjohtaja voi tehdä tämän (R76).")),
    "live.chair_or_secretary": (
        PermissionDenied,
        _("Vain puheenjohtaja tai pöytäkirjanpitäjä voi vahvistaa osallistujan (KL 99 § 1, R13)."),
    ),
    "live.secretary_only": (PermissionDenied, _("Vain pöytäkirjanpitäjä voi tehdä tämän (R77).")),
    "live.no_speech_right": (
        PermissionDenied, _("Sinulla ei ole puheoikeutta tässä kokouksessa (R29)."),
    ),
    "live.not_present": (
        PermissionDenied,
        _("Et ole läsnä: yhteytesi on katkennut tai odottaa puheenjohtajan vahvistusta (R72)."),
    ),
    "live.meeting_not_active": (Conflict, _("Kokous ei ole käynnissä.")),
    "live.no_current_item": (Conflict, _("Mikään asia ei ole käsittelyssä.")),
    "live.discussion_not_open": (Conflict, _("Puheenvuoroja voi pyytää vain keskustelun aikana.")),
    "live.floor_not_found": (NotFound, _("Puheenvuoropyyntöä ei löydy.")),
    "live.floor_queue_empty": (Conflict, _("Puheenvuorojonossa ei ole ketään.")),
    "live.floor_not_queued": (Conflict, _("Puheenvuoropyyntö ei ole enää jonossa.")),
    "live.no_speaker": (Conflict, _("Kenelläkään ei ole puheenvuoroa.")),
    "live.reply_needs_speaker": (
        Conflict, _("Vastauspuheenvuoroa voi pyytää vain, kun joku on äänessä."),
    ),
    "live.bad_time_limit": (DomainError, _("Puheaika on annettava sekunteina (0–3600).")),
    "live.not_remote": (Conflict, _("Osallistuja ei ole mukana etäyhteydellä.")),
    "live.not_connected": (
        Conflict, _("Osallistujalla ei ole yhteyttä kokoukseen; vahvistus vaatii yhteyden."),
    ),
    "live.already_confirmed": (Conflict, _("Osallistujan henkilöllisyys on jo vahvistettu.")),
    "live.already_present": (Conflict, _("Osallistuja on jo läsnä paikan päällä.")),
    "live.remote_not_allowed": (
        Conflict, _("Tähän kokoukseen ei voi osallistua etäyhteydellä (KL 99 §, R5)."),
    ),
    "live.reason_required": (DomainError, _("Syy on kirjattava.")),
    "live.note_required": (DomainError, _("Muistiinpano on tyhjä.")),
    "live.note_too_long": (DomainError, _("Muistiinpano on liian pitkä (enintään 5000 merkkiä).")),
    "live.unknown_action": (NotFound, _("Tuntematon toiminto.")),
    "live.bad_idempotency_key": (
        DomainError,
        _("Toistotunniste on virheellinen (1–64 merkkiä: kirjaimia, numeroita, - ja _)."),
    ),
    "live.key_reused": (
        Conflict, _("Sama toistotunniste on jo käytetty toiseen toimintoon."),
    ),
    "live.bad_request": (DomainError, _("Virheellinen pyyntö: %(field)s.")),
    "live.not_public": (NotFound, _("Kokousta ei löydy tai se ei ole julkinen.")),
}


def live_error(code: str, **params: Any) -> DomainError:
    cls, message = CODES[code]
    return cls(code, message, **params)
