"""Building a live meeting for tests, browser scenarios, fault drills and benchmarks.

Plain ORM writes of the *starting* situation (a convened meeting with participants, an item and
its proposal); everything that happens in the meeting afterwards goes through the services.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.test import Client
from django.utils import timezone

from meetings.models import (
    AgendaItem,
    AttendanceMode,
    ConnectionState,
    Meeting,
    Participant,
    ParticipantRole,
    PresenceInterval,
    ProposalVersion,
)
from tests import factories


@dataclass
class LiveMeeting:
    meeting: Meeting
    item: AgendaItem
    chair: Participant
    secretary: Participant
    members: list[Participant]  # the chair first
    items: list[AgendaItem] = field(default_factory=list)

    @property
    def chair_user(self) -> Any:
        return self.chair.person.user

    @property
    def secretary_user(self) -> Any:
        return self.secretary.person.user

    def user(self, index: int) -> Any:
        return self.members[index].person.user


def make_live_meeting(
    members: int = 4, *, public: bool = True, method: str = "hybrid", status: str = "convened",
    items: int = 1, video_url: str = "https://meet.jit.si/kokous-testi", seats: int | None = None,
) -> LiveMeeting:
    """A body of `members` (the first is the chair), its secretary, a convened meeting."""
    body, memberships, _subs = factories.make_body_with_members(
        seats=seats or members, substitutes=False
    )
    memberships = memberships[:members]
    secretary_role = factories.StaffRoleFactory(
        municipality=body.municipality, body=body, role="secretary"
    )
    meeting = factories.MeetingFactory(
        body=body, status=status, method=method, is_public=public, video_url=video_url,
        chair=memberships[0].person, secretary=secretary_role.person,
        starts_at=timezone.now() + dt.timedelta(minutes=5),
        public_viewing="https://kunta.example.fi/suora",
        agenda_published_at=timezone.now(),
    )
    participants = [
        Participant.objects.create(meeting=meeting, person=m.person, role=ParticipantRole.MEMBER,
                                   membership=m)
        for m in memberships
    ]
    secretary = Participant.objects.create(
        meeting=meeting, person=secretary_role.person, role=ParticipantRole.SECRETARY
    )
    made = []
    for n in range(items):
        item = factories.AgendaItemFactory(
            meeting=meeting, section_number=100 + n, order=n,
            title=f"Kirjaston aukioloajat {n + 1}",
            description="<p>Selostus kirjaston aukioloajoista.</p>",
            public_description="<p>Julkinen selostus.</p>",
        )
        ProposalVersion.objects.create(
            item=item, version=1, text="Lautakunta hyväksyy aukioloajat.",
            created_at=timezone.now(),
        )
        made.append(item)
    return LiveMeeting(meeting, made[0], participants[0], secretary, participants, made)


def make_present(p: Participant, *, remote: bool = False) -> Participant:
    """Mark a participant present (in the room, or remote and already confirmed)."""
    now = timezone.now()
    p.is_present = True
    p.mode = AttendanceMode.REMOTE if remote else AttendanceMode.IN_ROOM
    p.connection_state = ConnectionState.CONNECTED if remote else ""
    if remote:
        p.identity_confirmed_at = now
        p.last_heartbeat_at = now
    p.save()
    PresenceInterval.objects.create(participant=p, started_at=now)
    return p


def session_cookie(user: Any) -> str:
    """A real Django session for `user` (who has MFA): what a browser carries after logging in
    with password and TOTP — including allauth's record of that MFA authentication, which the
    chair's step-up for closing a vote reads (`meetings.step_up`)."""
    from tests.voting.test_voting_support import mfa_login

    client = mfa_login(Client(), user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def ensure_live_tables() -> None:
    """Create the live room's tables if no migration has created them yet (development only:
    the project's migration for `meetings.models.live` makes this a no-op)."""
    from django.db import connection

    from meetings.models import live

    existing = set(connection.introspection.table_names())
    models = [live.FloorRequest, live.LiveConnection, live.LiveState, live.ActionKey,
              live.SecretaryNote]
    missing = [m for m in models if m._meta.db_table not in existing]
    if missing:
        with connection.schema_editor() as editor:
            for model in missing:
                editor.create_model(model)


def open_with_present(lm: LiveMeeting, *, remote: tuple[int, ...] = ()) -> LiveMeeting:
    """Everyone present (indexes in `remote` remotely, confirmed), the meeting opened."""
    from meetings.services import meeting as meeting_services

    for i, p in enumerate(lm.members):
        make_present(p, remote=i in remote)
    meeting_services.open_meeting(lm.chair_user, lm.meeting.pk, "Kokous on laillinen.")
    return lm


def run_to_open_vote(members: int = 5, *, remote: tuple[int, ...] = (),
                     public: bool = True) -> LiveMeeting:
    """Through the services: open, item, a counter-proposal seconded, discussion closed,
    proposals stated, order proposed and approved, the vote opened."""
    from meetings.live import console

    lm = open_with_present(make_live_meeting(members=members, public=public), remote=remote)
    mid, item = lm.meeting.pk, lm.item.pk
    console.perform(lm.chair_user, mid, "item.open", {"item": item})
    made = console.perform(lm.user(1), mid, "proposal.make",
                           {"item": item, "kind": "counter", "text": "Aukioloa pidennetään."})
    console.perform(lm.user(2), mid, "proposal.second", {"proposal": made["proposal"]})
    console.perform(lm.chair_user, mid, "item.close_discussion", {"item": item})
    console.perform(lm.chair_user, mid, "proposals.state", {"item": item})
    console.perform(lm.chair_user, mid, "order.propose", {"item": item})
    console.perform(lm.chair_user, mid, "order.approve", {"item": item})
    console.perform(lm.chair_user, mid, "vote.open", {"item": item})
    return lm
