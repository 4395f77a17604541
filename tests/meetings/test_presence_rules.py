"""`presence.participant_decides` agrees with `presence.deciding_participants` (R11, R29, R30,
R37, R72, R75).

The ballot path asks the per-row form (docs/performance-live.md), the snapshots, quorum and
eligibility lists ask the query form. Both must give the same answer for every combination of
the rule's inputs: role and acting seat, item-scoped substitution, presence, removal, connection
state, attendance mode, disqualification and its decision, and private-place attestation in an
open and in a closed item of a public hybrid meeting and of a closed electronic meeting.
"""

from __future__ import annotations

import itertools

import pytest
from django.utils import timezone

from meetings import presence
from meetings.models import (
    AgendaItem,
    Disqualification,
    ItemSubstitution,
    Meeting,
    Participant,
    Person,
    PrivatePlaceConfirmation,
)
from tests import factories

pytestmark = pytest.mark.django_db

ROLES = ("member", "substitute_whole", "substitute_here", "substitute_elsewhere",
         "substitute_idle", "presenter")
PRESENCE = (("absent", False, False, ""), ("removed", True, True, "connected"),
            ("here", True, False, ""), ("connected", True, False, "connected"),
            ("degraded", True, False, "degraded"), ("disconnected", True, False, "disconnected"),
            ("rejoined", True, False, "rejoined"))
MODES = ("in_room", "remote")
DISQUALIFIED = ("no", "declared", "accepted", "rejected")
ATTESTED = ("no", "valid", "revoked")


def _build(meeting: Meeting, member_seat, person_pool) -> tuple[AgendaItem, AgendaItem, list]:
    open_item = factories.AgendaItemFactory(meeting=meeting, is_closed_handling=False)
    closed_item = factories.AgendaItemFactory(meeting=meeting, is_closed_handling=True)
    rows = []
    combos = itertools.product(ROLES, PRESENCE, MODES, DISQUALIFIED, ATTESTED)
    for role, (_, present, removed, state), mode, disq, attested in combos:
        if role == "substitute_idle" and present:
            continue  # the model forbids a present substitute who acts for nobody
        kind = "member" if role == "member" else "presenter" if role == "presenter" else (
            "substitute")
        acting = member_seat if role.startswith("substitute_") and role != (
            "substitute_idle") else None
        rows.append(Participant(
            meeting=meeting, person=next(person_pool), role=kind, acting_for=acting,
            item_scoped=role in ("substitute_here", "substitute_elsewhere"), mode=mode,
            is_present=present, removed=removed, connection_state=state,
        ))
        rows[-1]._combo = (role, disq, attested)
    Participant.objects.bulk_create(rows)
    now = timezone.now()
    for p in rows:
        role, disq, attested = p._combo
        for item in (open_item, closed_item):
            if role == "substitute_here":
                ItemSubstitution.objects.create(item=item, substitute=p, member=p, created_at=now)
            if disq != "no":
                Disqualification.objects.create(
                    item=item, participant=p, ground="1", declared_at=now,
                    body_decision="" if disq == "declared" else disq,
                )
            if attested != "no":
                PrivatePlaceConfirmation.objects.create(
                    participant=p, item=item, confirmed_at=now,
                    revoked_at=now if attested == "revoked" else None,
                )
    return open_item, closed_item, rows


@pytest.mark.parametrize("method,public", [("hybrid", True), ("electronic", False)])
def test_per_row_rule_equals_the_query_rule_for_every_combination(method, public):
    body, members, _ = factories.make_body_with_members(seats=3)
    meeting = factories.MeetingFactory(body=body, method=method, is_public=public)
    people = iter(Person.objects.bulk_create(
        Person(municipality=body.municipality, first_name="Testi", last_name=f"H{i}")
        for i in range(1500)
    ))
    open_item, closed_item, rows = _build(meeting, members[0], people)
    # A participant of another meeting never decides here.
    other = factories.MeetingFactory(body=body, method=method, is_public=public)
    stranger = Participant.objects.create(meeting=other, person=next(people), role="member",
                                          is_present=True)
    for item in (open_item, closed_item):
        item = AgendaItem.objects.select_related("meeting").get(pk=item.pk)
        expected = set(presence.deciding_participants(item).values_list("pk", flat=True))
        assert expected, "the combinations include people who decide"
        got = {p.pk for p in Participant.objects.filter(meeting=meeting)
               if presence.participant_decides(item, p)}
        assert got == expected, (item.is_closed_handling, sorted(got ^ expected)[:5])
        assert not presence.participant_decides(item, stranger)
