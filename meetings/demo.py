"""Demo content for meetings and agendas, built through the services (so the audit log, the
notice deliveries and the public agenda are exactly what real use would produce).

For the lead's `seed_demo`: call `demo_agenda(body, secretary_user)` for each body that should
have an upcoming meeting. Never used by the application itself.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from meetings.models import Body, DecisionMethod, Meeting, MeetingMethod
from meetings.services import agenda, meeting, notice


def _pdf(text: str) -> bytes:
    import weasyprint

    return weasyprint.HTML(string=f"<p>{text}</p>").write_pdf()


def demo_agenda(
    body: Body, secretary: Any, *, starts_in_days: int = 10, send: bool = True,
    method: str = MeetingMethod.HYBRID, video_url: str = "https://meet.jit.si/kokous-demo",
) -> Meeting:
    """An upcoming meeting of `body` with a public, a partly confidential and a confidential
    item (with attachments), plus a § 100 item when the body's rules allow it; the notice is
    sent unless `send` is false. `secretary` must be a secretary of the body."""
    starts_at = (timezone.now() + dt.timedelta(days=starts_in_days)).replace(
        hour=15, minute=0, second=0, microsecond=0
    )
    if not body.allows(method):
        method, video_url = MeetingMethod.IN_PERSON, ""
    m = meeting.create_meeting(
        secretary, body.pk, starts_at=starts_at, place="Kunnantalo, kokoushuone 2",
        method=method, video_url=video_url, is_public=body.is_council,
        public_viewing="Kunnantalon aula ja kunnan verkkosivut" if body.is_council else "",
    )
    public = agenda.add_item(
        secretary, m.pk, title="Kevyen liikenteen väylän rakentaminen Koulutielle",
        diary_number="KUNTA/123/10.03.01/2026",
        description="<p>Väylän kustannusarvio on 240 000 euroa. Suunnitelma on ollut nähtävillä "
                    "ja siitä saatiin kaksi muistutusta.</p>",
        public_description="<p>Väylän kustannusarvio on 240 000 euroa.</p>",
        proposal_text="Lautakunta hyväksyy liitteen mukaisen suunnitelman.",
    )
    agenda.add_attachment(secretary, public.pk, title="Suunnitelmakartta",
                          filename="kartta.pdf", data=_pdf("Suunnitelmakartta"))
    partly = agenda.add_item(
        secretary, m.pk, title="Hankintapäätös: koulukuljetukset 2027–2029",
        publicity="partly_confidential", confidentiality_basis="JulkL 24.1 § 17 k",
        description="<p>Tarjousvertailu ja tarjoajien yksikköhinnat liitteessä.</p>",
        public_description="<p>Saatiin neljä tarjousta; vertailu on salassa pidettävä.</p>",
        proposal_text="Lautakunta valitsee kokonaistaloudellisesti edullisimman tarjouksen.",
    )
    agenda.add_attachment(
        secretary, partly.pk, title="Tarjousvertailu", filename="vertailu.pdf",
        data=_pdf("Tarjousvertailu"), publicity="confidential",
        confidentiality_basis="JulkL 24.1 § 17 k",
    )
    agenda.add_item(
        secretary, m.pk, title="Oppilaan erityisen tuen päätös", publicity="confidential",
        confidentiality_basis="JulkL 24.1 § 30 k", is_closed_handling=True,
        description="<p>Oppilaan tiedot ja asiantuntijalausunto.</p>",
        proposal_text="Lautakunta myöntää erityisen tuen esityksen mukaisesti.",
    )
    if body.allows(DecisionMethod.E_PROCEDURE) and not m.is_public:
        agenda.add_item(
            secretary, m.pk, title="Lausunto maakuntakaavaluonnoksesta",
            method="e_procedure", e_deadline=starts_at - dt.timedelta(days=2),
            description="<p>Lausunto annetaan sähköisessä päätöksentekomenettelyssä.</p>",
            public_description="<p>Lausunto maakuntakaavaluonnoksesta.</p>",
            proposal_text="Lautakunta antaa liitteen mukaisen lausunnon.",
        )
    if send:
        notice.send_notice(secretary, m.pk, late_reason="Demo-aineisto")
        m.refresh_from_db()
    return m


# --- helpers for the seeded demo meetings (seed_demo) ------------------------------------------
#
# Everything below runs the real services as the real people (chair, secretary, members), so the
# audit log, notices, transitions, roll calls and quorum findings are what real use produces.


def demo_user(email: str) -> Any:
    """The demo user with this e-mail (created by `demo_organisation.seed_organisation`)."""
    from django.contrib.auth import get_user_model

    return get_user_model().objects.select_related("person").get(username=email)


def participant_of(m: Meeting, email: str) -> Any:
    from meetings.models import Participant

    return Participant.objects.get(meeting=m, person__user__username=email)


def meeting_soon(
    body: Body, secretary: Any, items: list[dict[str, Any]], *, minutes_from_now: int = 5,
    method: str = MeetingMethod.HYBRID, place: str = "Kunnantalo, valtuustosali",
) -> Meeting:
    """A meeting about to start, with `items` (keyword arguments of `agenda.add_item`), its
    notice sent. The services refuse meetings in the past, so a "past" demo meeting is one
    that starts in a few minutes and is held at once.

    A late notice of a board or committee carries the reason (KL 95 §: the rule allows it with
    a reason); a council notice is never late (R24), so the council meeting is convened in
    time for a date two weeks ahead and then moved, as a recorded amendment (R25)."""
    soon = timezone.now() + dt.timedelta(minutes=minutes_from_now)
    starts_at = soon + dt.timedelta(days=14) if body.is_council else soon
    video_url = body.video_url or "https://meet.jit.si/kokous-demo"
    m = meeting.create_meeting(
        secretary, body.pk, starts_at=starts_at, place=place, method=method,
        video_url=video_url if method != MeetingMethod.IN_PERSON else "",
        is_public=body.is_council,
        public_viewing="Kunnantalon aula ja kunnan verkkosivut" if body.is_council else "",
    )
    for fields in items:
        agenda.add_item(secretary, m.pk, **fields)
    notice.send_notice(
        secretary, m.pk,
        late_reason="Kiireellinen asia: kokous kutsuttiin koolle lyhyellä varoitusajalla.",
    )
    if body.is_council:
        meeting.update_meeting(
            secretary, m.pk, starts_at=soon,
            amendment_reason="Kokous siirrettiin pidettäväksi heti (demoaineisto).",
        )
    m.refresh_from_db()
    return m


def gather(
    m: Meeting, secretary: Any, *, present: list[tuple[str, str]],
    absent: list[tuple[str, str, bool]] = (), others: list[str] = (),
) -> None:
    """Attendance before opening: absences (*esteilmoitus*, notified by the member) with the
    personal substitute invited when asked, then arrivals in the room or remote; the identity of
    every remote participant is confirmed (R5, R11, R13, R30).

    `present`: (email, "in_room" | "remote"); `absent`: (email, note, call_substitute);
    `others`: emails of non-members already on the participant list (presenters) who arrive."""
    from meetings.services import attendance

    for email, note, call_substitute in absent:
        member = participant_of(m, email)
        attendance.notify_absence(demo_user(email), m.pk, note=note)
        if call_substitute:
            sub = attendance.invite_substitute(secretary, m.pk, member.pk)
            attendance.check_in(secretary, m.pk, sub.pk, "remote")
            attendance.confirm_identity(secretary, m.pk, sub.pk)
    for email, mode in present:
        p = participant_of(m, email)
        attendance.check_in(secretary, m.pk, p.pk, mode)
        if mode == "remote":
            attendance.confirm_identity(secretary, m.pk, p.pk)
    for email in others:
        attendance.check_in(secretary, m.pk, participant_of(m, email).pk, "in_room")


def attest_private_place(m: Meeting, item_id: int, *, skip: tuple[str, ...] = ()) -> int:
    """R9, R75: each present remote participant attests a private place for the closed item the
    chair just took up, through the service, as each does in the room (emails in `skip` do
    not). Returns how many attested; nothing happens in an item that is not closed."""
    from meetings.models import AgendaItem, AttendanceMode, Participant
    from meetings.private_place import requires_private_place
    from meetings.services.private_place import confirm_private_place

    if not requires_private_place(AgendaItem.objects.select_related("meeting").get(pk=item_id)):
        return 0
    done = 0
    for p in Participant.objects.filter(
        meeting=m, mode=AttendanceMode.REMOTE, is_present=True, removed=False
    ).select_related("person__user").order_by("pk"):
        if p.person.user is None or p.person.user.email in skip:
            continue
        confirm_private_place(p.person.user, m.pk, item_id, True)
        done += 1
    return done


def open_now(m: Meeting, chair: Any, secretary: Any) -> Meeting:
    """The chair opens the meeting with the legality finding; the secretary takes a roll call."""
    from meetings.services import attendance

    opened = meeting.open_meeting(
        chair, m.pk,
        "Kokous todettiin laillisesti koolle kutsutuksi ja päätösvaltaiseksi. Etäyhteydellä "
        "osallistuneiden henkilöllisyys varmistettiin ja yhteys todettiin toimivaksi.",
    )
    attendance.roll_call(secretary, m.pk)
    return opened


def disqualify(
    item_id: int, m: Meeting, member_email: str, chair: Any, secretary: Any, *, ground: str,
    explanation: str,
) -> Any:
    """The member declares a disqualification (*esteellisyys*), the body accepts it and the
    member's personal substitute is called for this item (KL 97 §, HL 28 §, R30, R36–R38)."""
    from meetings.services import disqualification

    disq = disqualification.declare_disqualification(
        demo_user(member_email), item_id, ground, explanation
    )
    disqualification.decide_disqualification(chair, disq.pk, True)
    member = participant_of(m, member_email)
    disqualification.call_item_substitute(secretary, item_id, member.pk)
    return disq


def answer_e_item(item_id: int, answers: list[tuple[str, str]]) -> None:
    """Members' positions in the § 100 procedure: (email, "accept" | "demand" |
    "disqualified"). A demand transfers the matter to the next meeting at once (R18)."""
    from meetings.services import e_procedure

    for email, position in answers:
        comment = "Vaadin asian käsittelyä kokouksessa." if position == "demand" else ""
        e_procedure.answer_e_procedure(demo_user(email), item_id, position, comment)


def e_item_fields(title: str, deadline: dt.datetime, proposal: str) -> dict[str, Any]:
    return {
        "title": title, "method": "e_procedure", "e_deadline": deadline,
        "description": f"<p>{title}. Asia käsitellään sähköisessä päätöksentekomenettelyssä.</p>",
        "public_description": f"<p>{title}.</p>", "proposal_text": proposal,
    }


def demo_draft(body: Body, secretary: Any, *, starts_in_days: int = 24) -> Meeting:
    """A draft meeting whose agenda is still being prepared (no notice sent)."""
    starts_at = (timezone.now() + dt.timedelta(days=starts_in_days)).replace(
        hour=16, minute=0, second=0, microsecond=0
    )
    m = meeting.create_meeting(
        secretary, body.pk, starts_at=starts_at, place="Kunnantalo, kokoushuone 1",
        method=MeetingMethod.IN_PERSON, is_public=body.is_council,
    )
    agenda.add_item(
        secretary, m.pk, title="Talousarvion toteutuminen 1.1.–31.10.",
        description="<p>Toteumaraportti valmistellaan.</p>",
        proposal_text="Kunnanhallitus merkitsee toteumaraportin tiedoksi.",
    )
    agenda.add_item(
        secretary, m.pk, title="Kunnan strategian päivitys: valmistelun käynnistäminen",
        description="<p>Luonnos esittelytekstiksi.</p>",
    )
    return m
