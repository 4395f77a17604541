"""The minutes from the records (R48, R49, R44, R45, R46, R73): a meeting run through the
meetings and voting services becomes a pöytäkirja whose PDF text shows every fact and whose
embedded JSON equals the records."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import Any

import pikepdf
import pytest
from django.utils import timezone

from meetings.models import ProposalVersion
from meetings.services import attendance as attendance_services
from meetings.services import disqualification as disq_services
from meetings.services import items as item_services
from meetings.services.meeting import close_meeting
from minutes.builder import build_document
from minutes.document import MinutesDocument
from minutes.render import render_minutes_pdf
from minutes.samples import PRIVATE_HETU, PRIVATE_NAME
from tests import factories
from tests.minutes.conftest import pdf_text
from tests.voting.test_voting_support import attest_private_place, close_discussion, make_room
from voting import services as voting
from voting.models import Proposal

pytestmark = pytest.mark.django_db(transaction=False)

CONFIDENTIAL_TEXT = "Oppilaan tukitoimet 4471"
DISSENT_REASONS = "Korotus on välttämätön koulukiinteistöjen kunnon vuoksi."
ELECTION_TITLE = "Liikenneturvallisuustyöryhmän jäsenen vaali"


@dataclass
class Scenario:
    room: Any
    item1: Any
    item2: Any
    secretary: Any  # User
    election: Any
    proposals: dict[str, Proposal]
    votes: list[Any]

    @property
    def meeting(self) -> Any:
        return self.room.meeting


def run_meeting(*, seats: int = 5, confidential: bool = False) -> Scenario:
    """A committee meeting through the services: member 4 arrives during § 1, § 1 has a base
    proposal and two seconded counter-proposals (a third falls) decided in two votes with
    dissents, § 2 has a disqualified member, an election, and member 3 leaves during it."""
    room = make_room(seats=seats, absent=(4,))
    meeting, chair = room.meeting, room.chair
    staff = factories.StaffRoleFactory(
        municipality=meeting.body.municipality, body=meeting.body, role="secretary"
    )
    meeting.secretary = staff.person
    meeting.place = "Kunnantalo, valtuustosali"
    meeting.legality_finding = "Kokous todettiin laillisesti koolle kutsutuksi."
    meeting.save(update_fields=["secretary", "place", "legality_finding"])
    secretary = staff.person.user
    item1 = room.item
    item1.section_number, item1.diary_number, item1.title = 31, "KOK/12/02.02/2026", (
        "Koulukiinteistöjen korjausmääräraha"
    )
    item1.description = (
        f"<p>Koulukiinteistöjen kunto edellyttää lisämäärärahaa. Asiasta on kuultu "
        f"urakoitsija {PRIVATE_NAME} (hetu {PRIVATE_HETU}).</p>"
    )
    item1.save(update_fields=["section_number", "diary_number", "title", "description"])

    m, i = meeting.pk, item1.pk
    attendance_services.check_in(chair, m, room.participants[4].pk)  # arrives during § 31
    attest_private_place(room)  # R75: a closed meeting; remote members attest
    a = voting.make_proposal(room.user(1), m, i, "counter", "Määrärahaa korotetaan 50 000 €.")
    voting.second_proposal(room.user(2), m, a.pk)
    b = voting.make_proposal(room.user(3), m, i, "counter", "Määrärahaa korotetaan 80 000 €.")
    voting.second_proposal(room.user(4), m, b.pk)
    c = voting.make_proposal(room.user(2), m, i, "counter", "Asia hylätään kokonaan.")
    close_discussion(room)
    voting.state_proposals(chair, m, i)
    voting.propose_order(chair, m, i)
    voting.approve_order(chair, m, i)
    v1 = voting.open_vote(chair, m, i)
    for k, option in {0: "ei", 1: "ei", 2: "ei", 3: "jaa", 4: "tyhja"}.items():
        voting.cast_ballot(room.user(k), m, v1.pk, option)
    v1 = voting.close_vote(chair, m, v1.pk)
    v2 = voting.open_vote(chair, m, i)
    for k, option in {0: "jaa", 1: "ei", 2: "ei", 3: "jaa", 4: "jaa"}.items():
        voting.cast_ballot(room.user(k), m, v2.pk, option)
    v2 = voting.close_vote(chair, m, v2.pk)
    voting.state_decision(chair, m, i)
    voting.register_dissent(room.user(1), m, i)
    voting.register_dissent(room.user(2), m, i)
    voting.attach_dissent_reasons(room.user(1), m, i, DISSENT_REASONS)
    voting.close_dissent_window(chair, m, i)

    now = timezone.now()
    item2 = factories.AgendaItemFactory(
        meeting=meeting, presenter=room.extra["presenter"], section_number=32,
        title="Liikenneturvallisuustyöryhmän jäsenen valinta", order=99,
    )
    ProposalVersion.objects.create(
        item=item2, version=1, text="Lautakunta valitsee työryhmään yhden jäsenen.",
        created_at=now,
    )
    item_services.open_item(chair, item2.pk)
    attest_private_place(room, item2)
    d = disq_services.declare_disqualification(room.user(2), item2.pk, "1", "Veljensä ehdokkaana")
    disq_services.decide_disqualification(chair, d.pk, True)
    election = voting.create_election(chair, m, item2.pk, title=ELECTION_TITLE, seats=1,
                                      closed_ballot=True)
    x, y = (voting.nominate_candidate(room.user(1), m, election.pk, name=n)
            for n in ("Aino Anttila", "Pekka Heinonen"))
    voting.open_election(chair, m, election.pk)
    for k, cand in {0: x, 1: x, 3: y, 4: x}.items():
        voting.cast_election_ballot(room.user(k), m, election.pk, cand.pk)
    election = voting.close_election(chair, m, election.pk)
    attendance_services.check_out(chair, m, room.participants[3].pk)  # leaves during § 32
    close_discussion_item(chair, item2)
    item_services.state_decision(chair, item2.pk, "Työryhmään valittiin Aino Anttila.")
    if confidential:  # § 33, wholly confidential (JulkL 24.1 § 30 k)
        item3 = factories.AgendaItemFactory(
            meeting=meeting, section_number=33, title=f"Oppilasasia {CONFIDENTIAL_TEXT}",
            description=f"<p>{CONFIDENTIAL_TEXT}: selvitys liitteenä.</p>", order=100,
            publicity="confidential", confidentiality_basis="JulkL 24.1 § 30 k",
            is_closed_handling=True,
        )
        ProposalVersion.objects.create(item=item3, version=1, text="Tukitoimet myönnetään.",
                                       created_at=timezone.now())
        item_services.open_item(chair, item3.pk)
        attest_private_place(room, item3)
        item_services.close_discussion(chair, item3.pk)
        item_services.state_decision(chair, item3.pk, f"Myönnettiin. {CONFIDENTIAL_TEXT}.")
    close_meeting(chair, m)
    room.refresh()
    item1.refresh_from_db()
    item2.refresh_from_db()
    return Scenario(room, item1, item2, secretary, election,
                    {"base": Proposal.objects.get(item=item1, kind="base"), "a": a, "b": b,
                     "c": c}, [v1, v2])


def close_discussion_item(chair: Any, item: Any) -> None:
    item_services.close_discussion(chair, item.pk)


def embedded_json(pdf: bytes) -> dict[str, Any]:
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        files = doc.attachments
        (name,) = [n for n in files if n.endswith(".json")]
        return json.loads(files[name].get_file().read_bytes())


def test_r49_minutes_built_from_records_show_every_fact_in_the_pdf():
    """R48, R49, R44, R45, R46, R73: attendance changes, disqualification, a three-proposal
    vote with names, an election and dissents are all in the PDF; the attached JSON equals the
    document built from the records."""
    s = run_meeting()
    room = s.room
    doc = build_document(s.meeting)
    assert [sec.number for sec in doc.sections] == [31, 32]
    s31, s32 = doc.sections

    # Attendance with the arrival in § 31 and departure in § 32 (R73).
    rows = {r.name: r for r in doc.attendance}
    arrived = rows[room.person(4).full_name].changes
    left = rows[room.person(3).full_name].changes
    assert [(c.kind.value, c.during_section) for c in arrived] == [("arrived", 31)]
    assert [(c.kind.value, c.during_section) for c in left] == [("left", 32)]
    assert rows[room.person(0).full_name].function == "puheenjohtaja"

    # Proposals, seconding, the fallen one, two votes with names (R40, R44).
    assert len(s31.proposals) == 4
    fallen = [p for p in s31.proposals if p.fell]
    assert [p.text for p in fallen] == ["Asia hylätään kokonaan."]
    seconded = {p.text: p.seconders for p in s31.proposals if p.seconders}
    assert seconded["Määrärahaa korotetaan 50 000 €."] == (room.person(2).full_name,)
    v1, v2 = s31.votes
    assert (v1.jaa, v1.ei, v1.blank, v1.absent) == (1, 3, 1, 0)
    assert set(v1.ei_names) == {room.person(k).full_name for k in (0, 1, 2)}
    assert (v2.jaa, v2.ei) == (3, 2) and v2.winner == "pohjaehdotus"
    assert {d.name for d in s31.dissents} == {room.person(1).full_name,
                                             room.person(2).full_name}
    assert s31.audit_leaf_indexes  # each decision's events are in the audit log

    # Disqualification and the election (R36–R38, R45).
    assert [d.name for d in s32.disqualifications] == [room.person(2).full_name]
    (election,) = s32.elections
    assert election.elected == ("Aino Anttila",)
    assert s32.decision_text == "Työryhmään valittiin Aino Anttila."

    pdf = render_minutes_pdf(doc)
    text = pdf_text(pdf)
    for fact in (
        "Koulukiinteistöjen korjausmääräraha", "KOK/12/02.02/2026",
        "Määrärahaa korotetaan 50 000 €.", "Määrärahaa korotetaan 80 000 €.",
        "Asia hylätään kokonaan.", DISSENT_REASONS, ELECTION_TITLE, "Aino Anttila",
        "Pekka Heinonen", "Työryhmään valittiin Aino Anttila.", room.person(2).full_name,
        room.person(4).full_name, "Kunnantalo, valtuustosali", "Oikaisuvaatimusohje"[:14],
    ):
        assert fact in text, fact
    assert "HL 28.1 § 1" in text  # the disqualification ground
    # The machine-readable decisions are the records (R44: votes with names).
    assert embedded_json(pdf) == json.loads(doc.to_json())
    assert MinutesDocument.from_json(doc.to_json()) == doc
