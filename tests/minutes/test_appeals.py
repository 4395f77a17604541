"""Appeal instructions per § (KL 134–136 §, 141 §, R54, R55): the municipality's editable
templates, chosen by body kind and item type; minutes without one are refused."""

from __future__ import annotations

import pytest

from audit.models import AuditEntry
from kokous.errors import DomainError
from meetings.services import items as item_services
from meetings.services.meeting import close_meeting
from minutes import appeals
from minutes.document import AppealKind
from minutes.models import AppealTemplate, Minutes
from minutes.services import workflow
from tests import factories
from tests.voting.test_voting_support import close_discussion, make_room

pytestmark = pytest.mark.django_db(transaction=False)


def item_of(kind: str, appeal_kind: str = "") -> object:
    body = factories.BodyFactory(kind=kind, seats=9)
    meeting = factories.MeetingFactory(body=body)
    return factories.AgendaItemFactory(meeting=meeting, appeal_kind=appeal_kind)


def test_r54_r55_default_instruction_by_body_and_item_type():
    """Council → valitusosoitus (30 days), committee and board → oikaisuvaatimusohje
    (14 days), preparation only → the appeal ban citing KL 136 §; all name KL 140.3 § or
    the provision (seeded by the data migration)."""
    council = appeals.instruction_for(item_of("council"))
    assert council.kind == AppealKind.KUNNALLISVALITUS
    assert "30 päivää" in council.text and "KL 140.3 §" in council.text
    for kind in ("committee", "board"):
        instruction = appeals.instruction_for(item_of(kind))
        assert instruction.kind == AppealKind.OIKAISUVAATIMUS
        assert "14 päivää" in instruction.text and "KL 140.3 §" in instruction.text
    ban = appeals.instruction_for(item_of("council", appeal_kind="none"))
    assert ban.kind == AppealKind.NONE and "KL 136 §" in ban.text


def test_r55_municipality_template_overrides_the_default():
    item = item_of("committee")
    AppealTemplate.objects.create(
        municipality=item.body.municipality, kind="oikaisuvaatimus", item_type="decision",
        title="Oikaisuvaatimusohje", text="Oikaisuvaatimus Esimerkkilän kirjaamoon 14 päivässä.",
        provision="KL 134 §",
    )
    assert appeals.instruction_for(item).text.startswith("Oikaisuvaatimus Esimerkkilän")
    other = item_of("committee")  # another municipality keeps the default
    assert "KL 140.3 §" in appeals.instruction_for(other).text


def test_r55_minutes_without_an_appeal_instruction_are_refused():
    """A § with no instruction → ``minutes.appeal_missing``, nothing written."""
    room = make_room(seats=3)
    staff = factories.StaffRoleFactory(municipality=room.meeting.body.municipality,
                                       body=room.meeting.body, role="secretary")
    room.item.section_number = 7
    room.item.save(update_fields=["section_number"])
    close_discussion(room)
    item_services.state_decision(room.chair, room.item.pk, "Hyväksyttiin.")
    close_meeting(room.chair, room.meeting.pk)
    AppealTemplate.objects.filter(kind="oikaisuvaatimus").delete()
    before = AuditEntry.objects.count()
    with pytest.raises(DomainError) as exc:
        workflow.build_minutes(staff.person.user, room.meeting.pk)
    assert exc.value.code == "minutes.appeal_missing"
    assert exc.value.params == {"number": 7}
    assert AuditEntry.objects.count() == before
    assert not Minutes.objects.exclude(document_json="").exists()
