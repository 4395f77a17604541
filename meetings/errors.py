"""Error codes of the meetings app, with their Finnish messages (Saleor-style code list).

Raise with `raise meeting_error("meeting.no_quorum", required=5, present=3)`. The code is stable
(tests, JSON clients and the audit trail rely on it); the message is translated. The class
decides the HTTP status a view answers with: 400 bad input, 403 not allowed, 404 not found,
409 wrong state.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from kokous.errors import Conflict, DomainError, NotFound, PermissionDenied

_BAD = DomainError
_FORBIDDEN = PermissionDenied
_MISSING = NotFound
_STATE = Conflict

CODES: dict[str, tuple[type[DomainError], Any]] = {
    # --- access -------------------------------------------------------------------------------
    "meeting.not_found": (_MISSING, _("Kokousta ei löydy.")),
    "meeting.forbidden": (_FORBIDDEN, _("Sinulla ei ole oikeutta tähän toimintoon.")),
    "meeting.chair_only": (
        _FORBIDDEN, _("Vain kokouksen puheenjohtaja voi tehdä tämän (R35, R76)."),
    ),
    "body.not_found": (_MISSING, _("Toimielintä ei löydy.")),
    # --- meeting and its lifecycle ---------------------------------------------------------------
    "meeting.illegal_transition": (
        _STATE, _("Kokouksen tilasiirtymä %(state)s → %(event)s ei ole sallittu."),
    ),
    "meeting.method_not_allowed": (
        _BAD, _("Hallintosääntö ei salli tätä kokousmuotoa tälle toimielimelle (KL 90 §, R2)."),
    ),
    "meeting.video_url_required": (
        _BAD, _("Sähköiseen ja hybridikokoukseen tarvitaan videoyhteyden osoite (R14)."),
    ),
    "meeting.starts_in_past": (_BAD, _("Kokouksen alkamisaika on menneisyydessä.")),
    "meeting.council_is_public": (
        _BAD, _("Valtuuston kokoukset ovat julkisia (KL 101.1 §); suljetaan asia kerrallaan."),
    ),
    "meeting.legality_finding_required": (
        _BAD, _("Puheenjohtajan on todettava kokouksen laillisuus ja päätösvaltaisuus (R35, R76)."),
    ),
    "meeting.no_quorum": (
        _STATE,
        _("Toimielin ei ole päätösvaltainen: läsnä %(present)s, vaaditaan %(required)s "
          "(KL 103 §)."),
    ),
    "meeting.not_in_session": (_STATE, _("Kokous ei ole käynnissä.")),
    "meeting.reason_required": (_BAD, _("Syy on kirjattava.")),
    # --- notice (kokouskutsu) --------------------------------------------------------------------
    "notice.late_council": (
        _STATE,
        _("Valtuuston kokouskutsu on lähetettävä viimeistään %(deadline)s (KL 94.3 §, R24)."),
    ),
    "notice.late_reason_required": (
        _BAD,
        _("Kutsu lähtee myöhässä (määräaika %(deadline)s): kirjaa myöhästymisen syy (R26)."),
    ),
    "notice.empty_agenda": (_BAD, _("Esityslistalla ei ole yhtään asiaa.")),
    # --- agenda ----------------------------------------------------------------------------------
    "agenda.item_not_found": (_MISSING, _("Asiaa ei löydy.")),
    "agenda.locked": (_STATE, _("Kokous on päättynyt: esityslistaa ei voi enää muuttaa.")),
    "agenda.amendment_required": (
        _BAD,
        _("Kokouskutsu on jo lähetetty: muutoksen syy on kirjattava, ja muutoksesta ilmoitetaan."),
    ),
    "agenda.duplicate_section_number": (
        _BAD, _("Pykälänumero § %(number)s on jo käytössä tällä toimielimellä vuonna %(year)s."),
    ),
    "agenda.foreign_person": (
        _BAD, _("Esittelijän ja valmistelijan on oltava saman kunnan henkilöitä."),
    ),
    "agenda.title_required": (_BAD, _("Asian otsikko puuttuu.")),
    "agenda.confidentiality_basis_required": (
        _BAD,
        _("Salassa pidettävälle asialle tai liitteelle on kirjattava salassapitoperuste (R28)."),
    ),
    "agenda.item_illegal_transition": (
        _STATE, _("Asian tilasiirtymä %(state)s → %(event)s ei ole sallittu."),
    ),
    "agenda.proposal_required": (_BAD, _("Ehdotuksen teksti puuttuu.")),
    "agenda.other_item_open": (
        _STATE, _("Toisen asian käsittely on kesken; päätä se ensin."),
    ),
    "agenda.decision_text_required": (_BAD, _("Päätöksen teksti puuttuu.")),
    "agenda.item_not_editable": (
        _STATE, _("Asian käsittely on jo alkanut tai päättynyt: sitä ei voi enää muuttaa."),
    ),
    # --- attachments -----------------------------------------------------------------------------
    "attachment.not_found": (_MISSING, _("Liitettä ei löydy.")),
    "attachment.no_inline_view": (
        _MISSING, _("Liitettä ei voi näyttää selaimessa vesileimattuna; lataa se."),
    ),
    # --- § 100 electronic decision-making procedure ---------------------------------------------
    "eproc.council": (
        _BAD, _("Valtuusto ei voi päättää sähköisessä päätöksentekomenettelyssä (KL 100.1 §)."),
    ),
    "eproc.not_allowed": (
        _BAD, _("Hallintosääntö ei salli tälle toimielimelle sähköistä päätöksentekomenettelyä."),
    ),
    "eproc.public_item": (
        _BAD,
        _("Julkisesti käsiteltävää asiaa ei voi päättää sähköisessä menettelyssä (KL 100.1 §)."),
    ),
    "eproc.deadline_required": (_BAD, _("Sähköisen käsittelyn määräaika puuttuu (KL 100.2 §).")),
    "eproc.deadline_past": (_BAD, _("Sähköisen käsittelyn määräaika on jo mennyt.")),
    "eproc.deadline_after_meeting": (
        _BAD, _("Sähköisen käsittelyn määräajan on päätyttävä ennen kokousta."),
    ),
    "eproc.closed": (_STATE, _("Asian sähköinen käsittely on päättynyt.")),
    "eproc.not_member": (
        _FORBIDDEN, _("Vain toimielimen jäsenet ilmaisevat kantansa (KL 100.2 §)."),
    ),
    "eproc.substitute_not_allowed": (
        _FORBIDDEN, _("Hallintosääntö ei salli varajäsenen vastata jäsenen puolesta (R20)."),
    ),
    "eproc.member_answered": (
        _STATE, _("Varsinainen jäsen on jo ilmaissut kantansa tähän asiaan."),
    ),
    "eproc.bad_position": (_BAD, _("Tuntematon kanta.")),
    # --- attendance ------------------------------------------------------------------------------
    "attendance.not_participant": (_MISSING, _("Henkilö ei ole tämän kokouksen osallistuja.")),
    "attendance.substitute_member_present": (
        _STATE,
        _("Varajäsen ei voi toimia jäsenen sijasta, kun jäsen on läsnä eikä ole esteellinen "
          "(R30)."),
    ),
    "attendance.not_personal_substitute": (
        _BAD, _("Henkilö ei ole jäsenen henkilökohtainen varajäsen (KL 31.3 §)."),
    ),
    "attendance.not_a_member": (_BAD, _("Henkilö ei ole toimielimen varsinainen jäsen.")),
    "attendance.already_present": (_STATE, _("Henkilö on jo kirjattu läsnä olevaksi.")),
    "attendance.not_present": (_STATE, _("Henkilö ei ole läsnä.")),
    "attendance.meeting_not_active": (
        _STATE, _("Läsnäoloa ei voi kirjata tässä kokouksen tilassa."),
    ),
    "attendance.not_acting_substitute": (
        _BAD, _("Varajäsen ei toimi kenenkään jäsenen sijasta tässä kokouksessa."),
    ),
    "attendance.person_not_found": (_MISSING, _("Henkilöä ei löydy.")),
    "attendance.seat_taken": (
        _STATE, _("Jäsenen paikalla toimii jo varajäsen; vapauta varajäsen ensin."),
    ),
    # private place before a closed item (R9, R75; KL 98.2 §) — meetings.services.private_place
    "attendance.private_place_unconfirmed": (
        _FORBIDDEN,
        _("Vahvista ensin, että olet paikassa, jossa ulkopuoliset eivät näe eivätkä kuule "
          "kokousta. Ilman vahvistusta et osallistu suljetun asian käsittelyyn (KL 98.2 §, R75)."),
    ),
    "attendance.private_place_attest_required": (
        _BAD, _("Rastita vakuutus yksityisestä paikasta ennen lähettämistä."),
    ),
    "attendance.private_place_not_required": (
        _STATE, _("Käsiteltävänä olevaa asiaa ei käsitellä suljettuna; vakuutusta ei tarvita."),
    ),
    "attendance.private_place_not_current": (
        _STATE, _("Asia ei ole enää käsiteltävänä. Päivitä sivu."),
    ),
    "attendance.private_place_not_remote": (
        _STATE, _("Vakuutus koskee vain etäyhteydellä osallistuvia."),
    ),
    "attendance.private_place_not_connected": (
        _STATE, _("Yhteytesi kokoukseen on katkennut. Yhdistä uudelleen ja vahvista sitten."),
    ),
    # --- disqualification (esteellisyys) ---------------------------------------------------------
    "disqualification.already_declared": (_STATE, _("Esteellisyys on jo ilmoitettu tähän asiaan.")),
    "disqualification.bad_ground": (_BAD, _("Valitse esteellisyysperuste (HL 28 §).")),
    "disqualification.not_found": (_MISSING, _("Esteellisyysilmoitusta ei löydy.")),
    "disqualification.already_decided": (_STATE, _("Toimielin on jo päättänyt esteellisyydestä.")),
}


def meeting_error(code: str, **params: Any) -> DomainError:
    """The `DomainError` subclass instance for `code` (unknown codes are a programming error)."""
    cls, message = CODES[code]
    return cls(code, message, **params)
