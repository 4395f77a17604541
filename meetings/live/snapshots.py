"""Snapshots of a meeting for the live room: member (shared), chair, public; and per-user state.

One rebuild renders all three under the next version number, holding the meeting's `LiveState`
row lock, so versions are consecutive across workers and a newer version never shows older data.
The rendered JSON is stored in `LiveState` and the public one also in the Django cache (Redis
when configured), keyed by meeting, so thousands of public viewers are served from one string
(R8) and a cache miss (a Redis restart) is one row read, not a rebuild.

What each audience sees:

* members — current item, its documents (titles and links; the links are authorised again when
  opened), floor queue and speech timer (R10), proposals and seconders (R40), quorum (R35), the
  open vote's progress, closed results with names (R41, R44), the decision;
* chair and secretary — the roster with connection states, identity confirmations and alerts
  (R5, R13, R72, R73, R77), and the guided steps of the chair console (R76);
* public — for public meetings only: the current item with its public documents, the speaker and
  closed results; during a closed or confidential item only that one is being handled (R8, R9).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation

from meetings import presence as meeting_presence
from meetings import private_place
from meetings.html import sanitize_html
from meetings.live import config, voting_bridge
from meetings.models import (
    AgendaItem,
    Attachment,
    AttendanceMode,
    ConnectionState,
    Meeting,
    MeetingStatus,
    Participant,
    ParticipantRole,
    Publicity,
)
from meetings.models.live import FloorRequest, FloorStatus, LiveState

logger = logging.getLogger("kokous.live")

ACTIVE_STATUSES = (MeetingStatus.CONVENED, MeetingStatus.IN_SESSION, MeetingStatus.SUSPENDED)
PUBLIC_STATUSES = (*ACTIVE_STATUSES, MeetingStatus.CLOSED, MeetingStatus.MINUTES_CHECKED,
                   MeetingStatus.PUBLISHED)
PUBLIC_CACHE_SECONDS = 10


def public_cache_key(meeting_id: int) -> str:
    return f"live:public:{meeting_id}"


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str)


@dataclass
class Rebuilt:
    meeting_id: int
    version: int
    member_text: str
    chair_text: str
    public_text: str  # "" when unchanged or not public: nothing to publish
    public_version: int = 0
    progress: dict[str, Any] | None = None  # a ballot-count-only change (see rebuild)

    def member_message(self, kinds: list[str]) -> str:
        if self.progress is not None:
            return _dumps({"type": "progress", "v": self.version, **self.progress})
        return (f'{{"type":"state","v":{self.version},"events":{_dumps(kinds)},'
                f'"snapshot":{self.member_text}}}')

    def chair_message(self) -> str | None:
        if self.progress is not None:
            return None
        return f'{{"type":"chair","v":{self.version},"chair":{self.chair_text}}}'


#: Events that only change the open vote's ballot count: a cheap partial rebuild suffices.
PROGRESS_KINDS = frozenset({"vote.progress"})


# --- rebuilding --------------------------------------------------------------------------------


def rebuild(meeting_id: int, kinds: set[str] | frozenset[str] | None = None) -> Rebuilt | None:
    """Render the snapshots under the next version; None if the meeting does not exist.

    When the only changes are ballots (`PROGRESS_KINDS`), only the open vote's count is
    refreshed and a small ``progress`` message is pushed (85 ballots must not cost 85 full
    renders, nor 85 full snapshots per socket); anything else renders everything.
    """
    if kinds and set(kinds) <= PROGRESS_KINDS:
        quick = _rebuild_progress(meeting_id)
        if quick is not None:
            return quick
    if not Meeting.objects.filter(pk=meeting_id).exists():
        return None
    LiveState.objects.get_or_create(meeting_id=meeting_id)
    with transaction.atomic(), translation.override(settings.LANGUAGE_CODE):
        state = LiveState.objects.select_for_update().get(pk=meeting_id)
        meeting = Meeting.objects.select_related("body", "chair", "secretary").get(pk=meeting_id)
        version = state.version + 1
        now = timezone.now()
        item = (
            AgendaItem.objects.filter(pk=meeting.current_item_id).first()
            if meeting.current_item_id else None
        )
        rows = roster(meeting, now)
        member = build_member(meeting, version, now, item=item, roster_rows=rows)
        chair = build_chair(meeting, version, now, member, roster_rows=rows)
        public_text = ""
        if meeting.is_public:
            public = build_public(meeting, state.public_version + 1, now, item=item,
                                  member=member)
            if _public_changed(state.public_snapshot, public):
                state.public_version += 1
                public_text = _dumps(public)
                state.public_snapshot = public_text
        elif state.public_snapshot:
            state.public_snapshot = ""
        state.version = version
        state.updated_at = now
        state.member_snapshot = _dumps(member)
        state.chair_snapshot = _dumps(chair)
        state.save()
        # Inside the lock: the cache never goes back to an older version.
        if public_text:
            _cache_public(meeting_id, state.public_version, public_text)
    return Rebuilt(meeting_id, version, state.member_snapshot, state.chair_snapshot,
                   public_text, state.public_version)


def _public_changed(old_text: str, new: dict[str, Any]) -> bool:
    if not old_text:
        return True
    old = json.loads(old_text)
    fresh = json.loads(_dumps(new))  # the same JSON types as the stored one
    for data in (old, fresh):
        data.pop("v", None)
        data.pop("server_time", None)
    return old != fresh


def _rebuild_progress(meeting_id: int) -> Rebuilt | None:
    """Only the open vote's count changed: patch the stored member snapshot (R41 progress)."""
    with transaction.atomic():
        state = LiveState.objects.select_for_update().filter(pk=meeting_id).first()
        if state is None or not state.member_snapshot:
            return None
        member = json.loads(state.member_snapshot)
        vote = (member.get("voting") or {}).get("vote")
        if not vote:
            return None
        now_state = voting_bridge.vote_progress(vote["id"])
        if now_state is None or now_state["status"] != vote["status"]:
            return None  # opened, closed or paused meanwhile: render everything
        vote.update(now_state)
        version = state.version + 1
        member["v"] = version
        member["server_time"] = timezone.now().isoformat()
        state.version = version
        state.member_snapshot = _dumps(member)
        state.save(update_fields=["version", "member_snapshot"])
        progress = {"vote": vote["id"], "full_v": member.get("full_v", 0), **now_state}
    return Rebuilt(meeting_id, version, state.member_snapshot, state.chair_snapshot, "",
                   state.public_version, progress=progress)


def _cache_public(meeting_id: int, version: int, text: str) -> None:
    try:
        cache.set(public_cache_key(meeting_id), (version, text), PUBLIC_CACHE_SECONDS)
    except Exception:  # noqa: BLE001 - Redis down: the database copy serves
        logger.warning("live: caching the public snapshot failed", exc_info=True)


def current(meeting_id: int) -> LiveState | None:
    """The stored state, rebuilt first if the meeting has none yet."""
    state = LiveState.objects.filter(pk=meeting_id).first()
    if state is None or state.version == 0 or not state.member_snapshot:
        rebuild(meeting_id)
        state = LiveState.objects.filter(pk=meeting_id).first()
    return state


def public_snapshot(meeting_id: int) -> tuple[int, str] | None:
    """(version, JSON text) of the public snapshot: cache, else database, else rebuild (R8)."""
    try:
        hit = cache.get(public_cache_key(meeting_id))
    except Exception:  # noqa: BLE001
        hit = None
    if hit is not None:
        return hit
    row = (
        LiveState.objects.filter(pk=meeting_id)
        .values_list("public_version", "public_snapshot")
        .first()
    )
    if row is None or not row[1]:
        meeting = Meeting.objects.filter(pk=meeting_id).values_list("is_public", "status").first()
        if meeting is None or not meeting[0] or meeting[1] not in PUBLIC_STATUSES:
            return None
        rebuilt = rebuild(meeting_id)
        if rebuilt is None or not rebuilt.public_text:
            return None
        return rebuilt.public_version, rebuilt.public_text
    _cache_public(meeting_id, row[0], row[1])
    return row[0], row[1]


def latest_version(meeting_id: int) -> int:
    return (
        LiveState.objects.filter(pk=meeting_id).values_list("version", flat=True).first() or 0
    )


# --- building ----------------------------------------------------------------------------------


def _iso(moment: Any) -> str | None:
    return moment.isoformat() if moment is not None else None


def video_of(meeting: Meeting) -> dict[str, str]:
    """Jitsi (meet.jit.si) is embedded; any other service is a link (DESIGN: video is not ours)."""
    url = meeting.video_link
    if not url:
        return {"kind": "", "url": ""}
    if url.startswith("https://meet.jit.si/"):
        return {"kind": "jitsi", "url": url}
    return {"kind": "link", "url": url}


def _attachment_url(attachment: Attachment, public: bool = False) -> str:
    name = "meetings:public_attachment" if public else "meetings:attachment_download"
    try:
        return reverse(name, args=[attachment.pk])
    except NoReverseMatch:
        return ""


def _item_header(item: AgendaItem) -> dict[str, Any]:
    return {
        "id": item.pk,
        "section": item.section_number,
        "title": item.title,
        "status": item.status,
        "status_label": str(item.get_status_display()),
        "publicity": item.publicity,
        "closed_handling": item.is_closed_handling,
        "confidential": item.publicity == Publicity.CONFIDENTIAL,
        "opened_at": _iso(item.opened_at),
    }


def _is_public_document(item: AgendaItem, attachment: Attachment) -> bool:
    return item.publicity == Publicity.PUBLIC and attachment.publicity == Publicity.PUBLIC


def _floor(meeting: Meeting, item: AgendaItem | None) -> dict[str, Any]:
    if item is None:
        return {"speaker": None, "queue": []}
    rows = list(
        FloorRequest.objects.filter(meeting=meeting, item=item, status__in=["queued", "speaking"])
        .select_related("participant__person")
        .order_by("requested_at", "pk")
    )
    speaker = None
    queue = []
    for r in rows:
        entry = {
            "id": r.pk,
            "participant": r.participant_id,
            "name": r.participant.person.full_name,
            "kind": r.kind,
            "kind_label": str(r.get_kind_display()),
            "requested_at": _iso(r.requested_at),
        }
        if r.status == FloorStatus.SPEAKING:
            entry.update({"granted_at": _iso(r.granted_at), "limit": r.time_limit_seconds})
            speaker = entry
        else:
            queue.append(entry)
    # Replies (vastauspuheenvuoro) are heard before the next ordinary speech.
    queue.sort(key=lambda e: (0 if e["kind"] == "reply" else 1, e["requested_at"] or ""))
    return {"speaker": speaker, "queue": queue}


def _quorum(meeting: Meeting, item: AgendaItem | None) -> dict[str, Any]:
    try:
        finding = (
            meeting_presence.item_quorum(item) if item is not None
            else meeting_presence.meeting_quorum(meeting)
        )
    except Exception:  # noqa: BLE001 - never fail a snapshot on a roster oddity
        logger.warning("live: quorum of meeting %s failed", meeting.pk, exc_info=True)
        return {"present": 0, "required": meeting.body.quorum_required, "quorate": False}
    return {"present": finding.present_count, "required": finding.required,
            "quorate": bool(finding.quorate)}


def _presence(roster_rows: list[dict[str, Any]]) -> dict[str, list[int]]:
    """Participant ids by presence, so a page can tell its own state without asking (R72)."""
    out: dict[str, list[int]] = {"present": [], "remote": [], "rejoined": [], "disconnected": []}
    lost = (ConnectionState.DISCONNECTED, ConnectionState.REJOINED)
    for r in roster_rows:
        if r["removed"]:
            continue
        if r["present"] and r["state"] not in lost:
            out["present"].append(r["id"])
        if r["mode"] == AttendanceMode.REMOTE:
            out["remote"].append(r["id"])
        if r["state"] == ConnectionState.REJOINED:
            out["rejoined"].append(r["id"])
        elif r["state"] == ConnectionState.DISCONNECTED:
            out["disconnected"].append(r["id"])
    return out


def _agenda(meeting: Meeting) -> list[dict[str, Any]]:
    return [
        {"id": i.pk, "section": i.section_number, "title": i.title, "status": i.status,
         "status_label": str(i.get_status_display()), "closed_handling": i.is_closed_handling,
         "publicity": i.publicity}
        for i in meeting.items.exclude(method="e_procedure").order_by("order", "pk")
    ]


def _notice(meeting: Meeting) -> str:
    if meeting.status == MeetingStatus.SUSPENDED:
        last = meeting.transitions.filter(to_status=MeetingStatus.SUSPENDED).order_by("-at").first()
        return last.reason if last is not None else ""
    return ""


def build_member(meeting: Meeting, version: int, now: Any, *, item: AgendaItem | None = None,
                 roster_rows: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    if roster_rows is None:
        roster_rows = roster(meeting, now)
    if item is None and meeting.current_item_id:
        item = AgendaItem.objects.filter(pk=meeting.current_item_id).first()
    data: dict[str, Any] = {
        "v": version,
        "full_v": version,
        "server_time": now.isoformat(),
        "meeting": {
            "id": meeting.pk,
            "title": str(meeting),
            "status": meeting.status,
            "status_label": str(meeting.get_status_display()),
            "method": meeting.method,
            "is_public": meeting.is_public,
            "video": video_of(meeting),
            "notice": _notice(meeting),
            "chair": meeting.chair.full_name if meeting.chair_id else "",
        },
        "agenda": _agenda(meeting),
        "item": None,
        "floor": _floor(meeting, item),
        "quorum": _quorum(meeting, item),
        "presence": _presence(roster_rows),
        "voting": None,
    }
    if item is not None:
        header = _item_header(item)
        # R9, R75: in a closed item the shared snapshot lists only public documents; the others
        # come per user in `me` (only after a remote participant attested a private place).
        closed = private_place.requires_private_place(item, meeting)
        header["private_place"] = closed
        header["attachments"] = [
            {"id": a.pk, "title": a.title, "publicity": a.publicity, "url": _attachment_url(a)}
            for a in item.attachments.all().order_by("pk")
            if not closed or _is_public_document(item, a)
        ]
        proposal = item.current_proposal
        active = proposal is not None and not proposal.withdrawn
        header["proposal"] = proposal.text if active else ""
        header["decision_text"] = item.decision_text
        data["item"] = header
        data["voting"] = voting_bridge.item_voting(item)
    return data


def roster(meeting: Meeting, now: Any) -> list[dict[str, Any]]:
    """Everyone of the meeting with presence and connection (one query; labels looked up once:
    a 300-member council must not cost 600 translations per snapshot)."""
    roles = {value: str(label) for value, label in ParticipantRole.choices}
    states = {value: str(label) for value, label in ConnectionState.choices}
    rows = []
    for (pk, person_id, first, last, role, mode, present, removed, state, confirmed,
         heartbeat, absence, acting_for) in (
        Participant.objects.filter(meeting=meeting)
        .order_by("role", "person__last_name", "person__first_name", "pk")
        .values_list("pk", "person_id", "person__first_name", "person__last_name", "role",
                     "mode", "is_present", "removed", "connection_state",
                     "identity_confirmed_at", "last_heartbeat_at", "absence", "acting_for_id")
    ):
        rows.append({
            "id": pk,
            "person": person_id,
            "name": f"{first} {last}",
            "role": role,
            "role_label": roles.get(role, role),
            "mode": mode,
            "present": present,
            "removed": removed,
            "state": state,
            "state_label": states.get(state, "") if state else "",
            "confirmed_at": _iso(confirmed),
            "heartbeat_at": _iso(heartbeat),
            "decides": role == ParticipantRole.MEMBER or (
                role == ParticipantRole.SUBSTITUTE and acting_for is not None
            ),
            "absence": absence,
        })
    return rows


def alerts(roster_rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What needs the chair's or secretary's attention now (R13, R72, R73)."""
    out = []
    for r in roster_rows:
        if r["removed"] or r["mode"] != AttendanceMode.REMOTE:
            continue
        if r["state"] == ConnectionState.DISCONNECTED and r["confirmed_at"]:
            out.append({"kind": "disconnected", "participant": r["id"], "name": r["name"]})
        elif r["state"] == ConnectionState.REJOINED:
            out.append({"kind": "rejoined", "participant": r["id"], "name": r["name"]})
        elif r["state"] == ConnectionState.DEGRADED:
            out.append({"kind": "degraded", "participant": r["id"], "name": r["name"]})
        elif r["state"] == ConnectionState.CONNECTED and not r["present"]:
            out.append({"kind": "unconfirmed", "participant": r["id"], "name": r["name"]})
    return out


def build_chair(meeting: Meeting, version: int, now: Any, member: dict[str, Any], *,
                roster_rows: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    from meetings.live import console

    rows = roster_rows if roster_rows is not None else roster(meeting, now)
    place = None
    item_data = member.get("item")
    if item_data and item_data.get("private_place"):
        item = AgendaItem.objects.select_related("meeting").filter(pk=item_data["id"]).first()
        if item is not None:
            place = private_place.item_status(item, rows)  # R75: who attested, with counts
    return {
        "v": version,
        "roster": rows,
        "alerts": alerts(rows),
        "private_place": place,
        "steps": console.steps(meeting, member, rows, place),
        "heartbeat_seconds": config.get("HEARTBEAT_SECONDS"),
    }


def build_public(meeting: Meeting, version: int, now: Any, *, item: AgendaItem | None = None,
                 member: dict[str, Any] | None = None) -> dict[str, Any]:
    """Only what anyone may see (KL 101 §, R8, R9, R27): never member-only content.

    `member` (the member snapshot just built) saves re-reading the floor and the votes; only
    public fields are copied from it.
    """
    if item is None and meeting.current_item_id:
        item = AgendaItem.objects.filter(pk=meeting.current_item_id).first()
    viewing = meeting.public_viewing or ""
    data: dict[str, Any] = {
        "v": version,
        "server_time": now.isoformat(),
        "meeting": {
            "id": meeting.pk,
            "title": str(meeting),
            "status": meeting.status,
            "status_label": str(meeting.get_status_display()),
            "viewing_url": viewing if viewing.startswith(("https://", "http://")) else "",
            "viewing_place": "" if viewing.startswith(("https://", "http://")) else viewing,
        },
        "item": None,
        "speaker": None,
        "results": [],
        "decision": "",
    }
    if item is None:
        return data
    if item.is_closed_handling or item.publicity == Publicity.CONFIDENTIAL:
        # Only that a closed matter is being handled: no title, no speaker, no results (R8, R9).
        data["item"] = {"closed": True, "section": item.section_number}
        return data
    from meetings import rules

    header = _item_header(item)
    header["closed"] = False
    header["attachments"] = [
        {"id": a.pk, "title": a.title, "url": _attachment_url(a, public=True)}
        for a in item.attachments.filter(publicity=Publicity.PUBLIC).select_related(
            "item__meeting").order_by("pk")
        if rules.is_public_attachment(a)
    ]
    data["item"] = header
    if member is not None and member.get("item") and member["item"]["id"] == item.pk:
        floor, voting = member["floor"], member.get("voting") or {}
    else:
        floor = _floor(meeting, item)
        voting = voting_bridge.item_voting(item, with_names=False)
    if floor["speaker"] is not None:
        s = floor["speaker"]
        data["speaker"] = {"name": s["name"], "kind": s["kind"], "kind_label": s["kind_label"],
                           "granted_at": s["granted_at"]}
    data["results"] = [
        {"step": r["step"], "jaa": r["jaa"], "ei": r["ei"], "counts": r["counts"],
         "winner": r["winner"], "winner_label": r["winner_label"]}
        for r in voting.get("results", [])
    ]
    if item.publicity == Publicity.PUBLIC and item.decision_text:
        data["decision"] = item.decision_text
    return data


# --- the requesting user's own part ------------------------------------------------------------


def participant_role_flags(user: Any, meeting: Meeting) -> dict[str, bool]:
    from meetings import rules

    person = rules.person_of(user)
    is_chair = rules.is_chair(user, meeting)
    is_secretary = bool(person is not None and meeting.secretary_id == person.pk) or (
        rules.can_manage_meeting(user, meeting)
    )
    return {"is_chair": is_chair, "is_secretary": is_secretary}


def me(user: Any, meeting: Meeting, member: dict[str, Any]) -> dict[str, Any]:
    """The user's own state: participation, floor requests, ballot and receipt, documents."""
    from meetings import rules

    person = rules.person_of(user)
    flags = participant_role_flags(user, meeting)
    p = (
        Participant.objects.filter(meeting=meeting, person=person).first()
        if person is not None else None
    )
    out: dict[str, Any] = {
        "name": person.full_name if person is not None else user.get_username(),
        "person": person.pk if person is not None else None,
        "participant": p.pk if p is not None else None,
        "role": p.role if p is not None else "",
        "decides": bool(p is not None and p.decides),
        "present": bool(p is not None and p.is_present),
        "removed": bool(p is not None and p.removed),
        "mode": p.mode if p is not None else "",
        "state": p.connection_state if p is not None else "",
        "speech_right": bool(
            p is not None and p.role != ParticipantRole.SECRETARY and not p.removed
        ),
        "remote_possible": meeting.is_remote_capable,
        **flags,
        "floor": [],
        "ballot": None,
        "item_description": "",
        "disqualified": False,
        "dissent": False,
        "private_place": {"required": False, "confirmed": False, "item": None},
        "attachments": [],
    }
    item_data = member.get("item")
    if item_data and p is not None:
        out["floor"] = [
            {"id": r.pk, "kind": r.kind, "status": r.status}
            for r in FloorRequest.objects.filter(
                item_id=item_data["id"], participant=p, status__in=["queued", "speaking"]
            )
        ]
    if item_data:
        item = AgendaItem.objects.select_related("meeting__body").get(pk=item_data["id"])
        out["disqualified"] = rules.is_disqualified_for(user, item)
        # R9, R75: a remote participant who has not attested a private place for a closed
        # item does not take part in it: no non-public text or document of it in the room.
        required = bool(
            p is not None and p.mode == AttendanceMode.REMOTE and not p.removed
            and private_place.requires_private_place(item, meeting)
        )
        unconfirmed = required and not private_place.is_confirmed(p, item)
        out["private_place"] = {"required": required, "confirmed": required and not unconfirmed,
                                "item": item.pk}
        # Sanitised again on output, as on the agenda pages: stored HTML is never trusted.
        if rules.can_view_item(user, item) and not unconfirmed:
            out["item_description"] = sanitize_html(item.description)
        elif item.publicity == Publicity.PUBLIC:
            out["item_description"] = sanitize_html(item.public_description)
        if item_data.get("private_place") and not unconfirmed:
            out["attachments"] = [
                {"id": a.pk, "title": a.title, "publicity": a.publicity,
                 "url": _attachment_url(a)}
                for a in item.attachments.select_related("item__meeting__body").order_by("pk")
                if not _is_public_document(item, a) and rules.can_view_attachment(user, a)
            ]
        voting = member.get("voting") or {}
        vote = voting.get("vote")
        if vote and person is not None:
            out["ballot"] = voting_bridge.my_ballot(vote["id"], person.pk)
            out["eligible"] = person.pk in vote.get("eligible_persons", [])
        if person is not None and voting.get("decision"):
            out["dissent"] = voting_bridge.my_dissent(item.pk, person.pk)
    return out


def user_state(user: Any, meeting: Meeting) -> dict[str, Any]:
    """What `GET …/state.json` answers: the shared snapshot, chair part if entitled, and `me`."""
    state = current(meeting.pk)
    member = json.loads(state.member_snapshot) if state is not None else {}
    data: dict[str, Any] = {"v": state.version if state else 0, "snapshot": member}
    my = me(user, meeting, member)
    if my["is_chair"] or my["is_secretary"]:
        data["chair"] = json.loads(state.chair_snapshot) if state and state.chair_snapshot else None
    data["me"] = my
    return data
