"""Translated Finnish labels of the minutes document's enumerations (gettext source = Finnish)."""

from __future__ import annotations

from enum import Enum

from django.utils.translation import gettext_lazy as _

from minutes.document import (
    AppealKind,
    AttendanceMode,
    AttendanceRole,
    DissentKind,
    DocumentVariant,
    ElectionMethod,
    MeetingMethod,
    PresenceChangeKind,
    Publicity,
    VoteMethod,
)

LABELS: dict[Enum, object] = {
    MeetingMethod.IN_PERSON: _("varsinainen kokous"),
    MeetingMethod.ELECTRONIC: _("sähköinen kokous"),
    MeetingMethod.HYBRID: _("hybridikokous"),
    AttendanceRole.MEMBER: _("jäsen"),
    AttendanceRole.SUBSTITUTE: _("varajäsen"),
    AttendanceRole.SECRETARY: _("pöytäkirjanpitäjä"),
    AttendanceRole.PRESENTER: _("esittelijä"),
    AttendanceRole.ATTENDEE: _("läsnäolo- ja puheoikeutettu"),
    AttendanceRole.EXPERT: _("asiantuntija"),
    AttendanceMode.IN_ROOM: _("paikan päällä"),
    AttendanceMode.REMOTE: _("etäyhteydellä"),
    PresenceChangeKind.ARRIVED: _("saapui"),
    PresenceChangeKind.LEFT: _("poistui"),
    Publicity.PUBLIC: _("julkinen"),
    Publicity.PARTLY_CONFIDENTIAL: _("osittain salassa pidettävä"),
    Publicity.CONFIDENTIAL: _("salassa pidettävä"),
    AppealKind.OIKAISUVAATIMUS: _("Oikaisuvaatimusohje"),
    AppealKind.KUNNALLISVALITUS: _("Valitusosoitus"),
    AppealKind.NONE: _("Muutoksenhakukielto"),
    VoteMethod.ELECTRONIC: _("sähköinen äänestys"),
    VoteMethod.ROLL_CALL: _("nimenhuutoäänestys"),
    VoteMethod.OPEN_BALLOT: _("avoin lippuäänestys"),
    VoteMethod.SECRET_BALLOT: _("suljettu lippuäänestys"),
    ElectionMethod.MAJORITY: _("enemmistövaali"),
    ElectionMethod.PROPORTIONAL: _("suhteellinen vaali"),
    DissentKind.REASONED: _("perusteltu eriävä mielipide"),
    DissentKind.UNREASONED: _("perustelematon eriävä mielipide"),
    DocumentVariant.ORIGINAL: _("Pöytäkirja"),
    DocumentVariant.PUBLIC: _("Pöytäkirjan yleisversio"),
    DocumentVariant.PERSONAL_DATA_REMOVED: _("Pöytäkirjan yleisversio, henkilötiedot poistettu"),
}


def label_for(value: object) -> str:
    """Label of an enumeration value; anything else is returned as its string."""
    if isinstance(value, Enum) and value in LABELS:
        return str(LABELS[value])
    return "" if value is None else str(value)
