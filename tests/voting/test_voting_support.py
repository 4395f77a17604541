"""Shared builders for the voting service, API and page tests (no tests of its own).

A `Room` is a meeting in session with its members present and one agenda item in discussion,
built with the meetings models and services as the live room would leave them. R-numbers refer
to ../shared/spec/legal-requirements.md.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from audit.models import AuditEntry
from meetings.models import (
    AgendaItem,
    ConnectionState,
    Meeting,
    Participant,
    ParticipantRole,
    PresenceInterval,
    ProposalVersion,
)
from meetings.services import items as item_services
from tests import factories

BASE_TEXT = "Lautakunta hyväksyy liitteen mukaisen talousarvioesityksen."


@dataclass
class Room:
    meeting: Meeting
    item: AgendaItem
    members: list[Any]  # Membership, the first is the chair
    participants: list[Participant]
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def chair(self) -> Any:
        return self.members[0].person.user

    def user(self, i: int) -> Any:
        return self.members[i].person.user

    def person(self, i: int) -> Any:
        return self.members[i].person

    def participant(self, i: int) -> Participant:
        return Participant.objects.get(pk=self.participants[i].pk)

    def refresh(self) -> Room:
        self.item.refresh_from_db()
        self.meeting.refresh_from_db()
        return self


def make_room(
    *,
    seats: int = 5,
    method: str = "electronic",
    kind: str = "committee",
    absent: tuple[int, ...] = (),
    ballot_changeable: bool = True,
    base_text: str = BASE_TEXT,
    open_item: bool = True,
    with_presenter: bool = True,
) -> Room:
    """A body of `seats` members (member 0 chairs), all present except `absent`, one item."""
    body, members, _ = factories.make_body_with_members(
        kind=kind, seats=seats, substitutes=False, ballot_changeable=ballot_changeable
    )
    now = timezone.now()
    meeting = factories.MeetingFactory(
        body=body,
        status="in_session",
        method=method,
        chair=members[0].person,
        starts_at=now - dt.timedelta(minutes=30),
        opened_at=now - dt.timedelta(minutes=30),
        video_url="https://meet.jit.si/kokous-test" if method != "in_person" else "",
    )
    remote = method != "in_person"
    participants = []
    for i, m in enumerate(members):
        present = i not in absent
        p = Participant.objects.create(
            meeting=meeting, person=m.person, role=ParticipantRole.MEMBER, membership=m,
            mode="remote" if remote else "in_room", is_present=present,
            connection_state=ConnectionState.CONNECTED if remote and present else "",
            identity_confirmed_at=now if present else None,
        )
        if present:
            PresenceInterval.objects.create(
                participant=p, started_at=now - dt.timedelta(minutes=30)
            )
        participants.append(p)
    presenter = None
    if with_presenter:
        presenter = factories.PersonFactory(municipality=body.municipality, title="hallintojohtaja")
    item = factories.AgendaItemFactory(meeting=meeting, presenter=presenter, section_number=None)
    ProposalVersion.objects.create(item=item, version=1, text=base_text, created_at=now)
    room = Room(meeting, item, members, participants, {"presenter": presenter})
    if open_item:
        item_services.open_item(room.chair, item.pk)
        room.refresh()
        attest_private_place(room)
    return room


def attest_private_place(room: Room, item: AgendaItem | None = None) -> None:
    """R9, R75: the meeting is not public, so each present remote member attests a private
    place for the item being handled, through the service (as the live room does)."""
    from meetings.private_place import requires_private_place
    from meetings.services.private_place import confirm_private_place

    item = item or room.item
    item.refresh_from_db()
    if not requires_private_place(item):
        return
    for i, p in enumerate(room.participants):
        p.refresh_from_db()
        if p.mode == "remote" and p.is_present and not p.removed:
            confirm_private_place(room.user(i), room.meeting.pk, item.pk, True)


def close_discussion(room: Room) -> None:
    """The chair closes the discussion with the meetings service (fixes the base, R32)."""
    item_services.close_discussion(room.chair, room.item.pk)
    room.refresh()


def mfa_login(client: Any, user: Any, *, age: float = 0.0) -> Any:
    """Log `client` in as allauth does after password + TOTP: the session records an MFA
    authentication `age` seconds ago (allauth's authentication records), which the step-up
    check (`meetings.step_up`) reads. `age` beyond `KOKOUS_STEP_UP_SECONDS` is a stale one."""
    import time

    from allauth.account.internal.flows.login import (
        _AUTHENTICATION_METHODS_USER_SESSION_KEY,
        AUTHENTICATION_METHODS_SESSION_KEY,
    )
    from allauth.account.internal.userkit import user_id_to_str

    client.force_login(user)
    session = client.session
    session[_AUTHENTICATION_METHODS_USER_SESSION_KEY] = user_id_to_str(user)
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [
        {"method": "mfa", "type": "totp", "at": time.time() - age}
    ]
    session.save()
    return client


def audit_entries(action: str | None = None, obj: str | None = None) -> list[dict[str, Any]]:
    """The audit entries (parsed leaf bytes), optionally filtered by action and object."""
    qs = AuditEntry.objects.order_by("seq")
    if action:
        qs = qs.filter(action=action)
    if obj:
        qs = qs.filter(object=obj)
    return [json.loads(bytes(e.entry)) for e in qs]


def audit_count() -> int:
    return AuditEntry.objects.count()
