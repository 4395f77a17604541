"""Connection states of remote participants, driven by their sockets (R5, R13, R71–R73).

State machine (R72 [UNVERIFIED rule set], states [DERIVED])::

    ""/connected ──socket closes, none left for DROP_GRACE──▶ disconnected
    connected ──no ping for DEGRADED_AFTER──▶ degraded ──ping──▶ connected
    disconnected ──socket opens (was confirmed before)──▶ rejoined
    rejoined ──chair or secretary confirms identity──▶ connected (present again)

A drop of a present participant is the participant *leaving* at the moment the socket closed:
the presence interval ends then, the quorum is recomputed in the next snapshot, the chair and
secretary get an alert, and the voting app is told (`note_connection_change`: an open vote cannot
close by itself, and if the chair or the secretary dropped, open votes pause). The participant
cannot vote (meetings.presence excludes disconnected and rejoined) until re-confirmed.

Participants in the room (mode `in_room`) are not tracked: closing a tablet's page is not
leaving the room. Every change is one transaction with its audit entry; pushes go after commit.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

import audit
from meetings import realtime
from meetings.live import config, voting_bridge
from meetings.models import (
    AttendanceMode,
    ConnectionState,
    MeetingMethod,
    MeetingStatus,
    Participant,
    PresenceInterval,
)
from meetings.models.live import LiveConnection

logger = logging.getLogger("kokous.live")

TRACKED_MEETING_STATUSES = (
    MeetingStatus.CONVENED, MeetingStatus.IN_SESSION, MeetingStatus.SUSPENDED,
)


def iso(moment: dt.datetime | None) -> str:
    if moment is None:
        return ""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _lock(participant_id: int) -> Participant | None:
    return (
        Participant.objects.select_for_update(of=("self",))
        .select_related("meeting", "person")
        .filter(pk=participant_id)
        .first()
    )


def is_tracked(p: Participant) -> bool:
    return (
        p.mode == AttendanceMode.REMOTE
        and not p.removed
        and p.meeting.status in TRACKED_MEETING_STATUSES
    )


def _record(p: Participant, action: str, data: dict[str, Any], actor: Any = None) -> None:
    audit.record(
        actor, action, f"participant:{p.pk}",
        {"meeting": p.meeting_id, "person": p.person_id, **data},
    )


def _changed(p: Participant, kind: str) -> None:
    realtime.send_event_on_commit(realtime.meeting_group(p.meeting_id), {"type": kind})


def _alert(p: Participant, kind: str, at: dt.datetime) -> None:
    realtime.send_chair_alert_on_commit(
        p.meeting_id,
        {"type": "alert", "kind": kind, "participant": p.pk, "name": p.person.full_name,
         "at": at.isoformat()},
    )


# --- sockets -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Opened:
    participant_id: int
    state: str


def socket_opened(participant_id: int, channel_name: str, *, at: dt.datetime | None = None) -> str:
    """A socket of the participant opened; returns the participant's connection state."""
    at = at or timezone.now()
    with transaction.atomic():
        p = _lock(participant_id)
        if p is None:
            return ""
        LiveConnection.objects.update_or_create(
            channel_name=channel_name,
            defaults={"participant": p, "opened_at": at, "last_seen_at": at, "closed_at": None},
        )
        p.last_heartbeat_at = at
        fields = ["last_heartbeat_at"]
        if (
            p.meeting.method == MeetingMethod.ELECTRONIC
            and p.mode != AttendanceMode.REMOTE
            and not p.is_present
            and not p.removed
        ):
            p.mode = AttendanceMode.REMOTE  # an electronic meeting is attended remotely (R5)
            fields.append("mode")
        if not is_tracked(p):
            p.save(update_fields=fields)
            return p.connection_state
        old = p.connection_state
        if (
            old == ConnectionState.DISCONNECTED and p.identity_confirmed_at is not None
        ) or old == ConnectionState.REJOINED:
            new = ConnectionState.REJOINED
        else:
            new = ConnectionState.CONNECTED
        if new != old:
            p.connection_state = new
            fields.append("connection_state")
        p.save(update_fields=fields)
        if new == old:
            return new
        if new == ConnectionState.REJOINED:
            # R72/R13: a returning member counts again only after re-confirmation.
            _record(p, "attendance.rejoined", {"at": iso(at), "previous_state": old})
            _alert(p, "rejoined", at)
            voting_bridge.note_connection_change(p)
        elif old == ConnectionState.DEGRADED:
            _record(p, "attendance.recovered", {"at": iso(at)})
        else:
            _record(p, "attendance.connected", {"at": iso(at), "previous_state": old,
                                                 "mode": p.mode})
        _changed(p, "attendance.connection")
        return new


def socket_heartbeat(
    participant_id: int, channel_name: str, *, at: dt.datetime | None = None
) -> None:
    """Store that the socket is alive (the consumer throttles these writes)."""
    at = at or timezone.now()
    updated = LiveConnection.objects.filter(
        channel_name=channel_name, closed_at__isnull=True
    ).update(last_seen_at=at)
    if not updated:
        # The row was swept (e.g. after a database outage): the socket is alive, record it again.
        LiveConnection.objects.update_or_create(
            channel_name=channel_name,
            defaults={"participant_id": participant_id, "opened_at": at, "last_seen_at": at,
                      "closed_at": None},
        )
    Participant.objects.filter(pk=participant_id).update(last_heartbeat_at=at)
    if Participant.objects.filter(
        pk=participant_id, connection_state=ConnectionState.DEGRADED
    ).exists():
        recover(participant_id, at=at)


def recover(participant_id: int, *, at: dt.datetime | None = None) -> None:
    at = at or timezone.now()
    with transaction.atomic():
        p = _lock(participant_id)
        if p is None or not is_tracked(p) or p.connection_state != ConnectionState.DEGRADED:
            return
        p.connection_state = ConnectionState.CONNECTED
        p.save(update_fields=["connection_state"])
        _record(p, "attendance.recovered", {"at": iso(at)})
        _changed(p, "attendance.connection")


def mark_degraded(participant_id: int, *, at: dt.datetime | None = None) -> None:
    """No heartbeat for a while: still present (video loss alone keeps presence, R6, R72)."""
    at = at or timezone.now()
    with transaction.atomic():
        p = _lock(participant_id)
        if p is None or not is_tracked(p) or p.connection_state != ConnectionState.CONNECTED:
            return
        p.connection_state = ConnectionState.DEGRADED
        p.save(update_fields=["connection_state"])
        _record(p, "attendance.degraded", {"at": iso(at)})
        _changed(p, "attendance.connection")


def socket_closed(channel_name: str, *, at: dt.datetime | None = None) -> int | None:
    """Mark the socket closed; returns its participant id. Whether the participant's
    connection is lost is decided after the grace (`drop_if_gone`, or the sweep if this worker
    dies before that)."""
    at = at or timezone.now()
    row = LiveConnection.objects.filter(channel_name=channel_name).values_list(
        "participant_id", flat=True
    ).first()
    LiveConnection.objects.filter(channel_name=channel_name, closed_at__isnull=True).update(
        closed_at=at
    )
    return row


def open_sockets(participant_id: int) -> bool:
    return LiveConnection.objects.filter(
        participant_id=participant_id, closed_at__isnull=True
    ).exists()


def drop_if_gone(participant_id: int, *, at: dt.datetime, reason: str = "socket_closed") -> bool:
    """After the grace: if no socket of the participant is open, the connection is lost."""
    with transaction.atomic():
        p = _lock(participant_id)
        if p is None:
            return False
        LiveConnection.objects.filter(participant=p, closed_at__isnull=False).delete()
        if open_sockets(participant_id):
            return False
        return do_mark_disconnected(p, at=at, reason=reason)


def do_mark_disconnected(p: Participant, *, at: dt.datetime, reason: str) -> bool:
    """The participant (row-locked) lost the connection at `at` (R72). Returns True if changed."""
    if not is_tracked(p) or p.connection_state in ("", ConnectionState.DISCONNECTED):
        return False
    previous = p.connection_state
    was_present = p.is_present
    p.connection_state = ConnectionState.DISCONNECTED
    p.save(update_fields=["connection_state"])
    if was_present:
        # Leaving, recorded by the attendance service; the interval ends when the socket closed.
        from meetings.services.attendance import PresenceCheck, do_check_out

        interval = do_check_out(PresenceCheck(p.meeting, p, reason="disconnected"), actor=None)
        if interval is not None and interval.ended_at is not None and interval.ended_at > at:
            PresenceInterval.objects.filter(pk=interval.pk).update(ended_at=at)
    _record(
        p, "attendance.disconnected",
        {"at": iso(at), "previous_state": previous, "was_present": 1 if was_present else 0,
         "reason": reason},
    )
    # R75 with R72/R13: a private-place attestation does not survive a drop.
    from meetings.services.private_place import do_lapse_on_disconnect

    do_lapse_on_disconnect(p, at=at, reason=reason)
    if was_present or previous == ConnectionState.REJOINED:
        _alert(p, "disconnected", at)
        voting_bridge.note_connection_change(p)
    _changed(p, "attendance.connection")
    return True


def sweep(*, now: dt.datetime | None = None) -> list[int]:
    """Clean up after a dead worker (R72): its sockets' rows stop being refreshed (stale) or were
    closed without the grace timer finishing. Their participants are disconnected at the last
    sign of life unless another socket of theirs is open. Participants who never had a socket
    (e.g. on the video link only, checked in by the secretary) are never touched."""
    now = now or timezone.now()
    # Idempotency keys answer resends for a while, not forever (a meeting day is plenty).
    from meetings.models.live import ActionKey

    ActionKey.objects.filter(created_at__lt=now - dt.timedelta(days=2)).delete()
    stale = now - dt.timedelta(seconds=float(config.get("STALE_AFTER_SECONDS")))
    unfinished = now - dt.timedelta(seconds=float(config.get("DROP_GRACE_SECONDS")) + 5)
    rows = list(
        LiveConnection.objects.filter(
            Q(closed_at__isnull=True, last_seen_at__lt=stale) | Q(closed_at__lt=unfinished)
        ).values_list("pk", "participant_id", "closed_at", "last_seen_at")
    )
    last_sign: dict[int, dt.datetime] = {}
    for pk, participant_id, closed_at, last_seen_at in rows:
        LiveConnection.objects.filter(pk=pk, closed_at__isnull=True).update(closed_at=last_seen_at)
        moment = closed_at or last_seen_at
        last_sign[participant_id] = max(moment, last_sign.get(participant_id, moment))
    dropped = []
    for participant_id, at in last_sign.items():
        try:
            if drop_if_gone(participant_id, at=at, reason="heartbeat_lost"):
                dropped.append(participant_id)
        except Exception:  # noqa: BLE001 - one bad row must not stop the sweep
            logger.warning("live: sweeping participant %s failed", participant_id, exc_info=True)
    return dropped
