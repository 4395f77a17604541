"""Demo minutes (*pöytäkirja*) built from invented records, for the demo, tests and benchmark.

:func:`sample_minutes` is one meeting of a technical committee with what a pöytäkirja has to
show: arrivals and departures during sections, a substitute, a disqualification, a vote between
three proposals (two rounds), an election, dissents, a wholly and a partly confidential matter,
and personal data the public version must not show. ``extra_items`` adds ordinary sections, so
:func:`sample_minutes` also gives the 100-item meeting of ``bench/bench_minutes_pdf.py``. All
names and the henkilötunnus (the well-known example 131052-308T) are invented.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from meetings.deadlines import HELSINKI
from minutes.document import (
    AppealInstruction,
    AppealKind,
    AttendanceMode,
    AttendanceRole,
    AttendanceRow,
    CheckingNote,
    Disqualification,
    Dissent,
    DissentKind,
    Election,
    ElectionCandidate,
    ElectionMethod,
    MeetingInfo,
    MeetingMethod,
    MinutesDocument,
    PresenceChange,
    PresenceChangeKind,
    Proposal,
    PublicationNote,
    Publicity,
    Redaction,
    RedactionKind,
    RedactionScope,
    Section,
    SigningNote,
    Vote,
    VoteMethod,
)

__all__ = [
    "CONFIDENTIAL_MARKER",
    "OIKAISUVAATIMUSOHJE",
    "PRIVATE_HETU",
    "PRIVATE_NAME",
    "sample_minutes",
]

#: Text that appears only in the confidential section (never in a public version).
CONFIDENTIAL_MARKER = "Hakijan velkajärjestely 7731"
PRIVATE_NAME = "Erkki Esimerkki"
PRIVATE_HETU = "131052-308T"

OIKAISUVAATIMUSOHJE = (
    "Tähän päätökseen tyytymätön voi tehdä kirjallisen oikaisuvaatimuksen. Päätökseen ei saa "
    "hakea muutosta valittamalla tuomioistuimeen (KL 134 §).\n"
    "Oikaisuvaatimusviranomainen: Esimerkkilän kunnan tekninen lautakunta, PL 1, 00001 "
    "Esimerkkilä, kirjaamo@esimerkkila.example.\n"
    "Oikaisuvaatimusaika: 14 päivää päätöksen tiedoksisaannista. Kunnan jäsenen katsotaan "
    "saaneen päätöksestä tiedon seitsemän päivän kuluttua siitä, kun pöytäkirja on asetettu "
    "nähtäväksi yleiseen tietoverkkoon (KL 140 §)."
)
MUUTOKSENHAKUKIELTO = (
    "Tähän päätökseen ei saa hakea muutosta, koska päätös koskee vain asian valmistelua tai "
    "täytäntöönpanoa (KL 136 §)."
)

_T0 = datetime(2026, 3, 16, 18, 0, tzinfo=HELSINKI)


def _at(minutes: int) -> datetime:
    return _T0 + timedelta(minutes=minutes)


_OIKAISU = AppealInstruction(AppealKind.OIKAISUVAATIMUS, OIKAISUVAATIMUSOHJE)
_KIELTO = AppealInstruction(AppealKind.NONE, MUUTOKSENHAKUKIELTO)

_VOTERS = (
    "Anna Aaltonen", "Pekka Berg", "Liisa Laine", "Mikko Mäkinen", "Sari Salo",
    "Timo Toivonen", "Ulla Uusitalo", "Veikko Virta",
)


def _attendance() -> tuple[AttendanceRow, ...]:
    member, sub = AttendanceRole.MEMBER, AttendanceRole.SUBSTITUTE
    return (
        AttendanceRow("Anna Aaltonen", member, function="puheenjohtaja"),
        AttendanceRow("Pekka Berg", member, function="varapuheenjohtaja"),
        AttendanceRow("Liisa Laine", member),
        AttendanceRow(
            "Mikko Mäkinen", member,
            changes=(PresenceChange(PresenceChangeKind.ARRIVED, _at(20), during_section=47),),
        ),
        AttendanceRow(
            "Sari Salo", member,
            changes=(PresenceChange(PresenceChangeKind.LEFT, _at(100), during_section=50),),
        ),
        AttendanceRow("Timo Toivonen", member, mode=AttendanceMode.REMOTE),
        AttendanceRow(
            "Ulla Uusitalo", member,
            changes=(
                PresenceChange(PresenceChangeKind.LEFT, _at(55), during_section=48,
                               note="esteellisenä"),
                PresenceChange(PresenceChangeKind.ARRIVED, _at(70), during_section=49),
            ),
        ),
        AttendanceRow("Veikko Virta", sub, acting_for="Kaisa Koskinen"),
        AttendanceRow("Jari Järvinen", AttendanceRole.PRESENTER, function="tekninen johtaja"),
        AttendanceRow("Helena Hiltunen", AttendanceRole.SECRETARY, function="hallintosihteeri"),
        AttendanceRow("Kaisa Koskinen", member, absent=True, absence_note="ilmoittanut esteestä"),
        AttendanceRow("Olli Ojala", member, absent=True),
    )


def _street_lighting() -> Section:
    """§ 47: a base proposal and two counter-proposals → two votes (vastaehdotukset first)."""
    jaa_1 = ("Anna Aaltonen", "Liisa Laine", "Sari Salo", "Ulla Uusitalo", "Veikko Virta")
    ei_1 = ("Pekka Berg", "Timo Toivonen")
    return Section(
        number=47,
        heading="Katuvalaistuksen saneeraus vuonna 2026",
        diary_number="ESIM/123/10.03.02/2026",
        presenter="Jari Järvinen, tekninen johtaja",
        preparer="Katri Kallio, kunnaninsinööri",
        description_html=(
            "<p>Kunnan katuvalaistuksesta noin 40 % on elohopeahöyryvalaisimia, joiden "
            "varaosia ei enää saa. Saneeraus LED-valaisimiin vähentää energiankulutusta noin "
            "60 %.</p><ul><li>Hankkeen kustannusarvio on 450 000 euroa.</li>"
            "<li>Talousarviossa on varattu 450 000 euroa.</li></ul>"
        ),
        base_proposal=(
            "Tekninen lautakunta päättää toteuttaa katuvalaistuksen LED-saneerauksen "
            "koko kunnan alueella 450 000 euron kustannusarviolla."
        ),
        proposals=(
            Proposal("pohjaehdotus", "Esittelijän ehdotus.", is_base=True),
            Proposal(
                "B", "Saneeraus toteutetaan vuonna 2026 vain keskustan alueella 260 000 euron "
                "kustannusarviolla.", proposer="Sari Salo", seconders=("Liisa Laine",),
            ),
            Proposal(
                "C", "Saneeraukseen lisätään älyohjaus ja kustannusarvio on 600 000 euroa.",
                proposer="Timo Toivonen", seconders=("Pekka Berg",),
            ),
            Proposal(
                "D", "Asia jätetään pöydälle.", proposer="Mikko Mäkinen", fell=True,
            ),
        ),
        votes=(
            Vote(
                order=1, method=VoteMethod.ELECTRONIC,
                question="Vastaehdotus B vastaan vastaehdotus C",
                jaa_means="ehdotus B (Salo)", ei_means="ehdotus C (Toivonen)",
                jaa=5, ei=2, blank=1, absent=0,
                jaa_names=jaa_1, ei_names=ei_1, blank_names=("Mikko Mäkinen",),
                result="Ehdotus B voitti äänin 5–2 (1 tyhjä) ja asetettiin pohjaehdotusta vastaan.",
                winner="B",
            ),
            Vote(
                order=2, method=VoteMethod.ELECTRONIC,
                question="Pohjaehdotus vastaan vastaehdotus B",
                jaa_means="pohjaehdotus", ei_means="ehdotus B (Salo)",
                jaa=6, ei=2, blank=0, absent=0,
                jaa_names=("Anna Aaltonen", "Pekka Berg", "Mikko Mäkinen", "Timo Toivonen",
                           "Ulla Uusitalo", "Veikko Virta"),
                ei_names=("Liisa Laine", "Sari Salo"),
                result="Pohjaehdotus voitti äänin 6–2.",
                winner="pohjaehdotus",
            ),
        ),
        decision_text="Lautakunta hyväksyi esittelijän ehdotuksen äänin 6–2.",
        dissents=(
            Dissent("Sari Salo", DissentKind.REASONED,
                    "Hanke olisi tullut vaiheistaa talouden tasapainottamiseksi."),
            Dissent("Liisa Laine", DissentKind.UNREASONED),
        ),
        appeal=_OIKAISU,
        audit_leaf_indexes=(1812, 1813, 1820, 1829, 1841),
    )


def _land_use_agreement() -> Section:
    """§ 48: a disqualified member, a private person's name and henkilötunnus in the text."""
    description = (
        f"<p>Maanomistaja {PRIVATE_NAME} (hetu {PRIVATE_HETU}) on esittänyt "
        "maankäyttösopimusta tilalle Mäntylä 123-456-7-89. Sopimuksella maanomistaja "
        "luovuttaa kunnalle katualueet korvauksetta.</p>"
    )
    name_start = description.index(PRIVATE_NAME)
    hetu_start = description.index(PRIVATE_HETU)
    decision = f"Lautakunta hyväksyi maankäyttösopimuksen {PRIVATE_NAME}n kanssa."
    decision_name = decision.index(PRIVATE_NAME)
    return Section(
        number=48,
        heading="Maankäyttösopimus, Mäntylän tila",
        diary_number="ESIM/98/10.02.03/2026",
        presenter="Jari Järvinen, tekninen johtaja",
        description_html=description,
        base_proposal="Tekninen lautakunta hyväksyy liitteenä olevan maankäyttösopimuksen.",
        disqualifications=(
            Disqualification(
                "Ulla Uusitalo", "HL 28.1 § 2 k (sukulaisjäävi)",
                "Uusitalo poistui kokoushuoneesta asian käsittelyn ajaksi.",
            ),
        ),
        decision_text=decision,
        appeal=_OIKAISU,
        audit_leaf_indexes=(1850, 1851),
        redactions=(
            Redaction("description_html", hetu_start, hetu_start + len(PRIVATE_HETU),
                      RedactionKind.HETU, RedactionScope.PUBLIC),
            Redaction("description_html", name_start, name_start + len(PRIVATE_NAME),
                      RedactionKind.NAME, RedactionScope.AFTER_APPEAL),
            Redaction("decision_text", decision_name, decision_name + len(PRIVATE_NAME) + 1,
                      RedactionKind.NAME, RedactionScope.AFTER_APPEAL),
        ),
    )


def _election() -> Section:
    return Section(
        number=49,
        heading="Liikenneturvallisuustyöryhmän jäsenten valinta",
        diary_number="ESIM/40/00.00.01/2026",
        presenter="Jari Järvinen, tekninen johtaja",
        base_proposal="Tekninen lautakunta valitsee liikenneturvallisuustyöryhmään kaksi jäsentä.",
        elections=(
            Election(
                title="Liikenneturvallisuustyöryhmän jäsenet (2)",
                method=ElectionMethod.MAJORITY, seats=2, vote_method=VoteMethod.SECRET_BALLOT,
                candidates=(
                    ElectionCandidate("Liisa Laine", votes=6, elected=True),
                    ElectionCandidate("Mikko Mäkinen", votes=5, elected=True),
                    ElectionCandidate("Timo Toivonen", votes=5),
                ),
                result="Mäkisen ja Toivosen äänet menivät tasan; arpa määräsi valituksi "
                       "Mikko Mäkisen.",
            ),
        ),
        decision_text="Lautakunta valitsi työryhmään Liisa Laineen ja Mikko Mäkisen.",
        appeal=_OIKAISU,
        audit_leaf_indexes=(1860, 1861, 1862),
    )


def _confidential() -> Section:
    return Section(
        number=50,
        heading="Yksityistieavustus, hakijan taloudellinen tilanne",
        presenter="Jari Järvinen, tekninen johtaja",
        description_html=f"<p>{CONFIDENTIAL_MARKER}: hakija on esittänyt selvityksen.</p>",
        base_proposal="Avustus myönnetään hakijan taloudellisen tilanteen perusteella.",
        decision_text=f"Hyväksyttiin. {CONFIDENTIAL_MARKER}.",
        appeal=_OIKAISU,
        publicity=Publicity.CONFIDENTIAL,
        confidentiality_basis="JulkL 24.1 § 23 k",
        audit_leaf_indexes=(1870,),
    )


def _partly_confidential() -> Section:
    return Section(
        number=51,
        heading="Urakkatarjousten vertailu, Koulutien saneeraus",
        presenter="Jari Järvinen, tekninen johtaja",
        description_html=(
            "<p>Tarjouksia saatiin kolme. Tarjoajan Rakennus Oy yksikköhinnat: "
            "Liikesalaisuus-hinnasto 4482.</p>"
        ),
        public_description_html=(
            "<p>Tarjouksia saatiin kolme. Yksikköhinnat ovat liikesalaisuuksia "
            "(JulkL 24.1 § 20 k).</p>"
        ),
        base_proposal="Urakka annetaan kokonaistaloudellisesti edullisimman tarjouksen "
                      "tehneelle Rakennus Oy:lle.",
        decision_text="Hyväksyttiin.",
        appeal=_OIKAISU,
        publicity=Publicity.PARTLY_CONFIDENTIAL,
        confidentiality_basis="JulkL 24.1 § 20 k",
        audit_leaf_indexes=(1880, 1881),
    )


def _routine(number: int) -> Section:
    paragraphs = "".join(
        f"<p>Kappale {i}: asian valmistelussa on kuultu asianosaisia ja selvitetty "
        "vaihtoehdot. Esittelijän ehdotus perustuu talousarvioon ja kunnan strategiaan, "
        "jonka mukaan palvelut järjestetään kustannustehokkaasti ja kestävästi.</p>"
        for i in range(1, 4)
    )
    return Section(
        number=number,
        heading=f"Tavanomainen asia {number}: tiesuunnitelman hyväksyminen",
        diary_number=f"ESIM/{number}/10.03.00/2026",
        presenter="Jari Järvinen, tekninen johtaja",
        description_html=paragraphs,
        base_proposal="Tekninen lautakunta hyväksyy suunnitelman esityksen mukaisesti.",
        proposals=(
            Proposal("pohjaehdotus", "Esittelijän ehdotus.", is_base=True),
            Proposal("B", "Suunnitelma palautetaan valmisteluun.", proposer="Timo Toivonen",
                     seconders=("Pekka Berg",)),
        ),
        votes=(
            Vote(
                order=1, method=VoteMethod.ELECTRONIC,
                question="Pohjaehdotus vastaan ehdotus B",
                jaa_means="pohjaehdotus", ei_means="ehdotus B (Toivonen)",
                jaa=6, ei=2, jaa_names=_VOTERS[:2] + _VOTERS[3:7],
                ei_names=(_VOTERS[2], _VOTERS[7]),
                result="Pohjaehdotus voitti äänin 6–2.", winner="pohjaehdotus",
            ),
        ),
        decision_text="Lautakunta hyväksyi esittelijän ehdotuksen äänin 6–2.",
        appeal=_OIKAISU,
        audit_leaf_indexes=(2000 + number * 3, 2001 + number * 3),
    )


def sample_minutes(extra_items: int = 0) -> MinutesDocument:
    """The demo pöytäkirja 5/2026 of Esimerkkilän tekninen lautakunta (+ ``extra_items``)."""
    sections = [
        Section(
            number=45, heading="Kokouksen laillisuus ja päätösvaltaisuus",
            base_proposal="Puheenjohtaja toteaa kokouksen laillisuuden ja päätösvaltaisuuden.",
            decision_text="Kokous todettiin laillisesti koolle kutsutuksi ja päätösvaltaiseksi.",
            appeal=_KIELTO, audit_leaf_indexes=(1801,),
        ),
        Section(
            number=46, heading="Pöytäkirjantarkastajien valinta",
            decision_text="Pöytäkirjantarkastajiksi valittiin Liisa Laine ja Pekka Berg.",
            appeal=_KIELTO, audit_leaf_indexes=(1805,),
        ),
        _street_lighting(),
        _land_use_agreement(),
        _election(),
        _confidential(),
        _partly_confidential(),
    ]
    sections.extend(_routine(52 + i) for i in range(extra_items))
    ends = _at(135 + 3 * extra_items)
    return MinutesDocument(
        meeting=MeetingInfo(
            municipality="Esimerkkilän kunta",
            body="Tekninen lautakunta",
            number=5,
            year=2026,
            starts_at=_T0,
            ends_at=ends,
            place="Kunnantalo, valtuustosali, ja etäyhteys",
            method=MeetingMethod.HYBRID,
            legality="Kokouskutsu lähetettiin 10.3.2026 hallintosäännön mukaisesti.",
            quorum="Kokous todettiin laillisesti koolle kutsutuksi ja päätösvaltaiseksi "
                   "(KL 103 §): läsnä 7 jäsentä ja 1 varajäsen yhdeksästä.",
        ),
        created_at=datetime(2026, 3, 18, 12, 0, tzinfo=HELSINKI),
        attendance=_attendance(),
        sections=tuple(sections),
        checking=CheckingNote(
            checkers=("Liisa Laine", "Pekka Berg"), checked_on=date(2026, 3, 18),
            note="Pöytäkirja on tarkastettu sähköisesti.",
        ),
        signing=SigningNote(
            chair="Anna Aaltonen", secretary="Helena Hiltunen",
            signed_at=datetime(2026, 3, 18, 12, 0, tzinfo=HELSINKI),
        ),
        publication=PublicationNote(published_on=date(2026, 3, 19)),
        checkpoint_text=(
            "kokous.example.fi/audit\n2042\nq0mJ8wS3Yb6v0bX5b8n1c2d3e4f5a6b7c8d9e0f1a2b=\n\n"
            "— kokous.example.fi/audit Az3mPq8sT0uV1wX2yZ3a4B5c6D7e8F9g0H1i2J3k4L5m6N7o8P9q0R=\n"
        ),
    )
