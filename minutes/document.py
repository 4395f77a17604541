"""The minutes document (*pöytäkirja*) as plain data — a pure module, no Django import.

A :class:`MinutesDocument` is what the records of a meeting become when the minutes are drawn
up (R48, R49): organisational data (body, time, place, method, attendance with arrivals and
departures, laillisuus ja päätösvaltaisuus), one :class:`Section` per pykälä with its handling
data (description, proposals and seconding, disqualifications, votes, elections, decision,
dissents) and its legality data (oikaisuvaatimusohje / valitusosoitus, publicity), and the notes
on tarkastus, signing and nähtävänäpito. Votes are never text the secretary edits: they come
from the voting records as counts and names (R49).

The document is frozen data. :meth:`MinutesDocument.to_json` is its canonical, lossless JSON
(sorted keys, no floats, UTF-8): it is attached to the PDF/A as the machine-readable decisions
(votes with names), and :meth:`MinutesDocument.from_json` reads it back, so a rendering job can
snapshot exactly what it renders.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import re
import types
import typing
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from functools import cache
from typing import Any

__all__ = [
    "SCHEMA",
    "AppealInstruction",
    "AppealKind",
    "AttendanceRow",
    "AttendanceRole",
    "AttendanceMode",
    "CheckingNote",
    "Disqualification",
    "Dissent",
    "DissentKind",
    "DocumentVariant",
    "Election",
    "ElectionCandidate",
    "ElectionMethod",
    "MeetingInfo",
    "MeetingMethod",
    "MinutesDocument",
    "PresenceChange",
    "PresenceChangeKind",
    "Proposal",
    "Publicity",
    "PublicationNote",
    "Redaction",
    "RedactionKind",
    "RedactionScope",
    "Section",
    "SigningNote",
    "Vote",
    "VoteMethod",
]

#: Identifies the JSON layout of :meth:`MinutesDocument.to_json`; bump on incompatible change.
SCHEMA = "kokous.minutes/1"


class MeetingMethod(StrEnum):
    """Kokousmuoto (KL 98–99 §, R1, R5–R7)."""

    IN_PERSON = "in_person"  # varsinainen kokous
    ELECTRONIC = "electronic"  # sähköinen kokous
    HYBRID = "hybrid"  # hybridikokous


class AttendanceRole(StrEnum):
    """Rooli kokouksessa (R29): only members and acting substitutes decide."""

    MEMBER = "member"  # jäsen
    SUBSTITUTE = "substitute"  # varajäsen
    SECRETARY = "secretary"  # pöytäkirjanpitäjä
    PRESENTER = "presenter"  # esittelijä
    ATTENDEE = "attendee"  # läsnäolo- ja puheoikeutettu
    EXPERT = "expert"  # asiantuntija


class AttendanceMode(StrEnum):
    IN_ROOM = "in_room"  # paikan päällä
    REMOTE = "remote"  # etäyhteydellä


class PresenceChangeKind(StrEnum):
    ARRIVED = "arrived"  # saapui
    LEFT = "left"  # poistui


class Publicity(StrEnum):
    """Julkisuus of a section (JulkL 24 §, KL 140.1 §, R27, R52)."""

    PUBLIC = "public"  # julkinen
    PARTLY_CONFIDENTIAL = "partly_confidential"  # osittain salassa pidettävä
    CONFIDENTIAL = "confidential"  # salassa pidettävä


class AppealKind(StrEnum):
    """Muutoksenhaku (KL 134–136 §, R54, R55); values equal ``meetings.deadlines.AppealKind``."""

    OIKAISUVAATIMUS = "oikaisuvaatimus"
    KUNNALLISVALITUS = "kunnallisvalitus"
    NONE = "none"  # muutoksenhakukielto


class VoteMethod(StrEnum):
    """Äänestystapa."""

    ELECTRONIC = "electronic"  # sähköinen äänestys
    ROLL_CALL = "roll_call"  # nimenhuutoäänestys
    OPEN_BALLOT = "open_ballot"  # avoin lippuäänestys
    SECRET_BALLOT = "secret_ballot"  # noqa: S105 — suljettu lippuäänestys, not a password


class ElectionMethod(StrEnum):
    MAJORITY = "majority"  # enemmistövaali
    PROPORTIONAL = "proportional"  # suhteellinen vaali


class DissentKind(StrEnum):
    """Eriävä mielipide (KL 107.2 §)."""

    REASONED = "reasoned"  # perusteltu
    UNREASONED = "unreasoned"  # perustelematon


class DocumentVariant(StrEnum):
    """Which rendering of the minutes a document is."""

    ORIGINAL = "original"  # allekirjoitettava alkuperäinen pöytäkirja
    PUBLIC = "public"  # yleisversio tietoverkkoon (KL 140 §, R52)
    PERSONAL_DATA_REMOVED = "personal_data_removed"  # henkilötiedot poistettu (R52, R67)


class RedactionKind(StrEnum):
    HETU = "hetu"  # henkilötunnus
    NAME = "name"  # yksityishenkilön nimi
    MANUAL = "manual"  # pöytäkirjanpitäjän merkitsemä


class RedactionScope(StrEnum):
    """When a redaction applies (KL 140.1 §, R52, R67).

    ``public``: never published (e.g. a henkilötunnus, personal data not needed for
    tiedonsaanti). ``after_appeal``: necessary for tiedonsaanti, so published, but removed when
    the oikaisuvaatimus- or valitusaika ends.
    """

    PUBLIC = "public"
    AFTER_APPEAL = "after_appeal"


# ---------------------------------------------------------------------------------------------
# Organisational data


@dataclass(frozen=True, slots=True)
class MeetingInfo:
    """Järjestäytymistiedot: who met, when, where, how, and whether lawfully (R49)."""

    municipality: str
    body: str
    number: int
    year: int
    starts_at: datetime
    ends_at: datetime | None
    place: str
    method: MeetingMethod = MeetingMethod.IN_PERSON
    legality: str = ""  # laillisuus (kokouskutsu lähetetty ajoissa, KL 94 §)
    quorum: str = ""  # päätösvaltaisuus (KL 103 §)

    def __post_init__(self) -> None:
        _require_aware("starts_at", self.starts_at)
        if self.ends_at is not None:
            _require_aware("ends_at", self.ends_at)
            if self.ends_at < self.starts_at:
                raise ValueError("ends_at is before starts_at")


@dataclass(frozen=True, slots=True)
class PresenceChange:
    """Saapui / poistui, with the section during whose handling it happened (R11)."""

    kind: PresenceChangeKind
    at: datetime
    during_section: int | None = None
    note: str = ""

    def __post_init__(self) -> None:
        _require_aware("at", self.at)


@dataclass(frozen=True, slots=True)
class AttendanceRow:
    """One line of the läsnäolijat / poissa list."""

    name: str
    role: AttendanceRole
    function: str = ""  # "puheenjohtaja", "varapuheenjohtaja", "kaupunginhallituksen edustaja"
    acting_for: str = ""  # varajäsen: the member in whose place (R29)
    mode: AttendanceMode = AttendanceMode.IN_ROOM
    absent: bool = False
    absence_note: str = ""
    changes: tuple[PresenceChange, ...] = ()


# ---------------------------------------------------------------------------------------------
# Handling data of one section


@dataclass(frozen=True, slots=True)
class Disqualification:
    """Esteellisyys (HL 27–28 §, KL 97 §, R36): who, on what ground, what they did."""

    name: str
    ground: str  # e.g. "HL 28.1 § 1 k (asianosaisjäävi)"
    note: str = ""  # e.g. "ei osallistunut asian käsittelyyn ja poistui kokoushuoneesta"


@dataclass(frozen=True, slots=True)
class Proposal:
    """Pohjaehdotus or ehdotus with its proposer and seconders (R31–R33)."""

    key: str  # "pohjaehdotus", "A", "B", ...
    text: str
    proposer: str = ""  # empty for the pohjaehdotus
    seconders: tuple[str, ...] = ()
    is_base: bool = False
    fell: bool = False  # raukesi kannattamattomana
    withdrawn: bool = False


@dataclass(frozen=True, slots=True)
class Vote:
    """Äänestys: order, proposition (what jaa and ei mean), counts and names per option."""

    order: int
    method: VoteMethod
    question: str  # "Ehdotus B vastaan ehdotus C"
    jaa_means: str  # "ehdotus B (Virtanen)"
    ei_means: str
    jaa: int
    ei: int
    blank: int = 0  # tyhjää
    absent: int = 0  # poissa
    jaa_names: tuple[str, ...] = ()
    ei_names: tuple[str, ...] = ()
    blank_names: tuple[str, ...] = ()
    absent_names: tuple[str, ...] = ()
    result: str = ""  # "Ehdotus B voitti äänin 5–3."
    winner: str = ""  # key of the winning proposal

    def __post_init__(self) -> None:
        counts = (self.jaa, self.ei, self.blank, self.absent)
        if any(isinstance(c, bool) or not isinstance(c, int) or c < 0 for c in counts):
            raise ValueError("vote counts must be non-negative integers")
        names = (self.jaa_names, self.ei_names, self.blank_names, self.absent_names)
        if self.method is VoteMethod.SECRET_BALLOT:
            if any(names):
                raise ValueError("a secret ballot records no names")
        elif any(names):
            for label, count, listed in zip(
                ("jaa", "ei", "blank", "absent"), counts, names, strict=True
            ):
                if len(listed) != count:
                    raise ValueError(f"{label}: {count} votes but {len(listed)} names")

    @property
    def named(self) -> bool:
        return any((self.jaa_names, self.ei_names, self.blank_names, self.absent_names))


@dataclass(frozen=True, slots=True)
class ElectionCandidate:
    name: str
    votes: int | None = None
    comparison: str = ""  # vertausluku in a proportional election, as printed ("4,5")
    elected: bool = False
    list_name: str = ""  # vaalilista / ryhmä


@dataclass(frozen=True, slots=True)
class Election:
    """Vaali (KL 105–106 §): candidates, votes and who was elected."""

    title: str
    method: ElectionMethod
    seats: int
    vote_method: VoteMethod = VoteMethod.SECRET_BALLOT
    candidates: tuple[ElectionCandidate, ...] = ()
    result: str = ""

    @property
    def elected(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.candidates if c.elected)


@dataclass(frozen=True, slots=True)
class Dissent:
    """Eriävä mielipide (KL 107.2 §)."""

    name: str
    kind: DissentKind = DissentKind.UNREASONED
    text: str = ""  # perustelut, for a reasoned dissent


@dataclass(frozen=True, slots=True)
class AppealInstruction:
    """Oikaisuvaatimusohje, valitusosoitus or muutoksenhakukielto (KL 141 §, R55)."""

    kind: AppealKind
    text: str  # the instruction; for kind "none" the ban with its provision (KL 136 §)


@dataclass(frozen=True, slots=True, order=True)
class Redaction:
    """A span the secretary marked to be left out of the public version (R52, R67, R68).

    ``field`` names a text field of the section (see :data:`Section.REDACTABLE`, or
    ``proposals.<i>.text`` / ``dissents.<i>.text``); ``start``/``end`` are character offsets in
    that field's stored text (for HTML fields, in the HTML source, inside one text node).
    """

    field: str
    start: int
    end: int
    kind: RedactionKind = RedactionKind.MANUAL
    scope: RedactionScope = RedactionScope.PUBLIC

    def __post_init__(self) -> None:
        if not _FIELD_RE.fullmatch(self.field):
            raise ValueError(f"not a redactable field: {self.field!r}")
        if not 0 <= self.start < self.end:
            raise ValueError(f"empty or negative span {self.start}..{self.end}")


_FIELD_RE = re.compile(
    r"heading|description_html|public_description_html|base_proposal|decision_text"
    r"|proposals\.\d+\.text|dissents\.\d+\.text"
)


@dataclass(frozen=True, slots=True)
class Section:
    """Pykälä: one handled matter with everything the minutes say about it (R49).

    ``withheld`` is set only in a public version for a wholly confidential matter: then the
    section carries just its number and ``confidentiality_basis`` (KL 140.1 §: *"ainoastaan
    maininta salassa pidettävän asian käsittelystä"*); ``personal_data_removed`` marks a public
    version from which the personal data were removed after the appeal period (R52).
    """

    REDACTABLE: typing.ClassVar[tuple[str, ...]] = (
        "heading", "description_html", "public_description_html", "base_proposal",
        "decision_text",
    )

    number: int
    heading: str
    diary_number: str = ""
    presenter: str = ""
    preparer: str = ""
    description_html: str = ""  # selostus, already sanitised HTML
    base_proposal: str = ""  # pohjaehdotus (esittelijän ehdotus)
    disqualifications: tuple[Disqualification, ...] = ()
    proposals: tuple[Proposal, ...] = ()
    votes: tuple[Vote, ...] = ()
    elections: tuple[Election, ...] = ()
    decision_text: str = ""  # päätös
    dissents: tuple[Dissent, ...] = ()
    appeal: AppealInstruction | None = None
    publicity: Publicity = Publicity.PUBLIC
    confidentiality_basis: str = ""  # salassapitoperuste, e.g. "JulkL 24.1 § 25 k"
    public_description_html: str = ""  # yleisversion selostus of a partly confidential matter
    audit_leaf_indexes: tuple[int, ...] = ()  # audit-lokin lehtien indeksit (päätöksen tapahtumat)
    redactions: tuple[Redaction, ...] = ()
    withheld: bool = False
    personal_data_removed: bool = False

    def __post_init__(self) -> None:
        if self.publicity is not Publicity.PUBLIC and not self.confidentiality_basis:
            raise ValueError(f"§ {self.number}: a confidential matter needs its basis")
        if any(isinstance(i, bool) or not isinstance(i, int) or i < 0
               for i in self.audit_leaf_indexes):
            raise ValueError("audit leaf indexes are non-negative integers")

    @property
    def appeal_kind(self) -> AppealKind:
        return self.appeal.kind if self.appeal is not None else AppealKind.NONE


# ---------------------------------------------------------------------------------------------
# Legality data and the whole document


@dataclass(frozen=True, slots=True)
class CheckingNote:
    """Pöytäkirjan tarkastus (R50): checkers and when/how they approved."""

    checkers: tuple[str, ...] = ()
    checked_on: date | None = None
    note: str = ""  # "Pöytäkirja on tarkastettu sähköisesti."


@dataclass(frozen=True, slots=True)
class SigningNote:
    """Allekirjoitus ja varmennus: chair's signature and the secretary's attestation (R50)."""

    chair: str = ""
    secretary: str = ""
    signed_at: datetime | None = None
    note: str = ""

    def __post_init__(self) -> None:
        if self.signed_at is not None:
            _require_aware("signed_at", self.signed_at)


@dataclass(frozen=True, slots=True)
class PublicationNote:
    """Nähtävänäpito yleisessä tietoverkossa (KL 140 §, R52, R53)."""

    published_on: date | None = None
    text: str = ""


@dataclass(frozen=True, slots=True)
class MinutesDocument:
    """Pöytäkirja: organisational data, attendance, sections and the legality notes.

    ``created_at`` is the fixed time stamped into the PDF (creation and modification date), taken
    from the records — never the clock — so the same records give the same bytes.
    ``checkpoint_text`` is the audit log checkpoint (signed tree head) current when the minutes
    were signed: with ``Section.audit_leaf_indexes`` it lets anyone prove each decision's
    events are in the log.
    """

    meeting: MeetingInfo
    created_at: datetime
    attendance: tuple[AttendanceRow, ...] = ()
    sections: tuple[Section, ...] = ()
    checking: CheckingNote = field(default_factory=CheckingNote)
    signing: SigningNote = field(default_factory=SigningNote)
    publication: PublicationNote = field(default_factory=PublicationNote)
    checkpoint_text: str = ""
    variant: DocumentVariant = DocumentVariant.ORIGINAL
    language: str = "fi"

    def __post_init__(self) -> None:
        _require_aware("created_at", self.created_at)
        numbers = [s.number for s in self.sections]
        if len(numbers) != len(set(numbers)):
            raise ValueError("duplicate section numbers")

    @property
    def title(self) -> str:
        """"<Toimielin> — pöytäkirja <n>/<vuosi>" (the PDF title; Finnish, like the records)."""
        return f"{self.meeting.body} – pöytäkirja {self.meeting.number}/{self.meeting.year}"

    @property
    def present(self) -> tuple[AttendanceRow, ...]:
        """Läsnä: rows of those who attended (at least part of) the meeting."""
        return tuple(row for row in self.attendance if not row.absent)

    @property
    def absent(self) -> tuple[AttendanceRow, ...]:
        """Poissa."""
        return tuple(row for row in self.attendance if row.absent)

    def section(self, number: int) -> Section:
        for candidate in self.sections:
            if candidate.number == number:
                return candidate
        raise KeyError(f"no § {number} in these minutes")

    def replace(self, **changes: Any) -> MinutesDocument:
        return dataclasses.replace(self, **changes)

    # --- serialisation ------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict (enums as values, datetimes as ISO 8601 with offset)."""
        return {"schema": SCHEMA, "minutes": _dump(self)}

    def to_json(self) -> str:
        """Canonical JSON: sorted keys, no insignificant whitespace, non-ASCII kept as is."""
        return json.dumps(
            self.to_dict(), sort_keys=True, ensure_ascii=False, separators=(",", ":"),
            allow_nan=False,
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MinutesDocument:
        if data.get("schema") != SCHEMA:
            raise ValueError(f"unsupported minutes schema {data.get('schema')!r}")
        return _load(cls, data["minutes"])

    @classmethod
    def from_json(cls, text: str | bytes) -> MinutesDocument:
        return cls.from_dict(json.loads(text))


# ---------------------------------------------------------------------------------------------
# Generic (de)serialisation of the frozen dataclasses above


def _dump(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _dump(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_dump(v) for v in value]
    if isinstance(value, float):
        raise TypeError("floats are not allowed in minutes data (use strings for vertausluvut)")
    return value


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _load(tp: Any, value: Any) -> Any:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if value is None:
            return None
        return _load(args[0], value)
    if origin is tuple:
        (item_type, _ellipsis) = typing.get_args(tp)
        return tuple(_load(item_type, v) for v in value)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        hints = _hints(tp)
        kwargs = {
            f.name: _load(hints[f.name], value[f.name])
            for f in dataclasses.fields(tp)
            if f.name in value
        }
        unknown = set(value) - {f.name for f in dataclasses.fields(tp)}
        if unknown:
            raise ValueError(f"unknown fields for {tp.__name__}: {sorted(unknown)}")
        return tp(**kwargs)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return tp(value)
    if tp is datetime:
        return datetime.fromisoformat(value)
    if tp is date:
        return date.fromisoformat(value)
    return value


def _require_aware(name: str, value: datetime) -> None:
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
