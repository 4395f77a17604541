"""Who must attest a private place before taking part in an item, and who has (R9, R75).

KL 98.2 § and the model hallintosääntö: *"Suljettuun sähköiseen kokoukseen voi osallistua vain
sellaisessa paikassa, jossa salassa pidettävät tiedot ja kokouksessa käytävät keskustelut eivät
ole ulkopuolisen kuultavissa tai nähtävissä."*

An item is handled in a closed session when the meeting is not public, or the item is handled
closed (KL 101 §) or is confidential or partly confidential (JulkL 24 §). In such an item every
**remote** participant (mode `remote`; those in the room are not asked) confirms, for that item,
"I am in a place where outsiders cannot see or hear the meeting (headphones in use)". Until
then he or she does not take part in the item: `meetings.presence` leaves him or her out of
those deciding (no proposing, seconding or voting, not counted for the item's quorum) and the
room shows no non-public document of the item. A dropped connection ends the confirmation
(R72, R13): the returning participant confirms again.

Reads only (no Django views, no writes): the writes are `meetings.services.private_place`.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from meetings.models import (
    AgendaItem,
    AttendanceMode,
    Meeting,
    Participant,
    PrivatePlaceConfirmation,
    Publicity,
)


def requires_private_place(item: AgendaItem, meeting: Meeting | None = None) -> bool:
    """Whether remote participants must attest a private place to take part in `item`."""
    meeting = meeting if meeting is not None else item.meeting
    if not meeting.is_remote_capable:
        return False
    return (
        not meeting.is_public
        or item.is_closed_handling
        or item.publicity != Publicity.PUBLIC
    )


def valid_confirmations(item: AgendaItem) -> QuerySet[PrivatePlaceConfirmation]:
    return PrivatePlaceConfirmation.objects.filter(item=item, revoked_at__isnull=True)


def unconfirmed_ids(item: AgendaItem) -> QuerySet[Any]:
    """Participant ids (a subquery) of remote participants who have not confirmed for `item`;
    empty when the item does not need the attestation."""
    if not requires_private_place(item):
        return Participant.objects.none().values("pk")
    return (
        Participant.objects.filter(meeting_id=item.meeting_id, mode=AttendanceMode.REMOTE)
        .exclude(pk__in=valid_confirmations(item).values("participant_id"))
        .values("pk")
    )


def is_confirmed(participant: Participant, item: AgendaItem) -> bool:
    return valid_confirmations(item).filter(participant=participant).exists()


def needs_confirmation(participant: Participant, item: AgendaItem) -> bool:
    """True when `participant` is remote, the item is closed and no valid confirmation exists."""
    return (
        participant.mode == AttendanceMode.REMOTE
        and not participant.removed
        and requires_private_place(item)
        and not is_confirmed(participant, item)
    )


def item_status(item: AgendaItem, roster_rows: list[dict[str, Any]]) -> dict[str, Any]:
    """For the chair's console: every remote participant confirmed or not, with counts (R75).

    `roster_rows` are `meetings.live.snapshots.roster` rows (so no extra participant query).
    """
    required = requires_private_place(item)
    out: dict[str, Any] = {"item": item.pk, "required": required, "rows": [],
                           "confirmed": 0, "remote": 0, "unconfirmed_connected": 0}
    if not required:
        return out
    confirmed = set(valid_confirmations(item).values_list("participant_id", flat=True))
    for r in roster_rows:
        if r["mode"] != AttendanceMode.REMOTE or r["removed"]:
            continue
        ok = r["id"] in confirmed
        connected = r["state"] in ("connected", "degraded", "rejoined") or (
            r["state"] == "" and r["present"]
        )
        out["rows"].append({"participant": r["id"], "name": r["name"], "confirmed": ok,
                            "connected": connected, "decides": r["decides"]})
        out["remote"] += 1
        out["confirmed"] += 1 if ok else 0
        if not ok and connected:
            out["unconfirmed_connected"] += 1
    return out
