"""The chair's guided steps with blocking checks (R35, R40, R72, R76) and the room's actions.

`steps()` turns the snapshot into the chair's checklist: each step says whether it is done, the
current one, or blocked (and why), and which actions it offers. The checks shown here are the
same ones the services enforce (no vote or decision without quorum, no vote before the
discussion is closed and the order approved, no closing a vote that waits for the chair's
choice) — the console only explains them before the chair clicks.

`ACTIONS` maps each room action to the service that performs it; the view parses parameters and
the services decide. Every action is a POST with an optional idempotency key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from meetings.live import floor, rollcall, voting_bridge
from meetings.live.errors import live_error
from meetings.models import Meeting, MeetingStatus


def _action(name: str, label: str, *, blocked: str = "", fields: list[dict[str, Any]] | None = None,
            params: dict[str, Any] | None = None, style: str = "") -> dict[str, Any]:
    return {"action": name, "label": label, "blocked": blocked, "fields": fields or [],
            "params": params or {}, "style": style}


def _field(name: str, label: str, kind: str = "text", required: bool = False,
           default: str = "", choices: list[list[str]] | None = None) -> dict[str, Any]:
    return {"name": name, "label": label, "type": kind, "required": required,
            "default": default, "choices": choices or []}


def _private_place_step(place: dict[str, Any] | None) -> dict[str, Any] | None:
    """R9, R75: how many remote participants attested a private place for this closed item."""
    if not place or not place.get("required"):
        return None
    missing = place["remote"] - place["confirmed"]
    return {
        "key": "private_place",
        "label": _("Suljettu asia: etäosallistujien vakuutus yksityisestä paikasta "
                   "(KL 98.2 §, R75)"),
        "status": "current" if missing else "done",
        "note": _("Vahvistanut %(c)s / %(n)s etäosallistujaa.") % {
            "c": place["confirmed"], "n": place["remote"]},
        "warning": "",
        "actions": [],
    }


def _unconfirmed_warning(place: dict[str, Any] | None) -> str:
    """Opening a vote is not blocked, but the chair is told who will not be eligible (R75)."""
    if not place or not place.get("required") or not place.get("unconfirmed_connected"):
        return ""
    names = ", ".join(r["name"] for r in place["rows"] if not r["confirmed"] and r["connected"])
    return _("Huom: %(n)s yhteydessä olevaa etäosallistujaa ei ole vahvistanut yksityistä "
             "paikkaa, eivätkä he voi äänestää tässä asiassa: %(names)s.") % {
        "n": place["unconfirmed_connected"], "names": names}


def steps(
    meeting: Meeting, member: dict[str, Any], roster_rows: list[dict[str, Any]],
    place: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    status = meeting.status
    quorum = member.get("quorum") or {}
    quorate = bool(quorum.get("quorate"))
    no_quorum = "" if quorate else _(
        "Ei päätösvaltainen: läsnä %(p)s, vaaditaan %(r)s (KL 103 §)."
    ) % {"p": quorum.get("present", 0), "r": quorum.get("required", 0)}
    item = member.get("item")
    voting = member.get("voting") or {}
    floor_data = member.get("floor") or {}
    out: list[dict[str, Any]] = []

    waiting = [r for r in roster_rows if r["mode"] == "remote" and not r["removed"]
               and (r["state"] == "rejoined" or (r["state"] in ("connected", "degraded")
                                                  and not r["present"]))]
    out.append({
        "key": "roll_call",
        "label": _("Nimenhuuto ja etäosallistujien tunnistaminen (KL 99 § 1, R13, R73)"),
        "status": "current" if waiting else "done",
        "note": (_("%(n)s etäosallistujaa odottaa vahvistusta.") % {"n": len(waiting)})
        if waiting else "",
        "actions": [_action("rollcall.take", _("Totea läsnäolijat ja päätösvaltaisuus"))]
        if status in (MeetingStatus.IN_SESSION, MeetingStatus.SUSPENDED) else [],
    })

    if status == MeetingStatus.CONVENED:
        out.append({
            "key": "open", "label": _("Kokouksen avaus: laillisuus ja päätösvaltaisuus (R35)"),
            "status": "current", "note": no_quorum,
            "actions": [_action(
                "meeting.open", _("Avaa kokous"), blocked=no_quorum,
                fields=[_field("legality_finding",
                               _("Laillisuuden ja päätösvaltaisuuden toteaminen"),
                               "textarea", True,
                               _("Kokous todettiin laillisesti koolle kutsutuksi ja "
                                 "päätösvaltaiseksi."))],
            )],
        })
        return out
    if status == MeetingStatus.SUSPENDED:
        out.append({
            "key": "suspended", "label": _("Kokous on keskeytetty (KL 102.1 §)"),
            "status": "current", "note": member.get("meeting", {}).get("notice", ""),
            "actions": [
                _action("meeting.resume", _("Jatka kokousta")),
                _action("meeting.close", _("Päätä kokous"), style="danger",
                        fields=[_field("reason", _("Syy"), "text", False)]),
            ],
        })
        return out
    if status != MeetingStatus.IN_SESSION:
        return out

    meeting_actions = [
        _action("meeting.suspend", _("Keskeytä kokous"), style="secondary",
                fields=[_field("reason", _("Syy (kirjataan)"), "text", True)]),
        _action("meeting.close", _("Päätä kokous"), style="danger",
                fields=[_field("reason", _("Syy"), "text", False)],
                blocked=_("Asian käsittely on kesken.") if item else ""),
    ]

    if item is None:
        pending = [i for i in member.get("agenda", []) if i["status"] == "pending"]
        out.append({
            "key": "item", "label": _("Seuraava asia"), "status": "current",
            "note": "" if pending else _("Kaikki asiat on käsitelty."),
            "actions": [_action("item.open", _("Ota käsittelyyn: %(t)s") % {
                "t": (f"§ {i['section']} " if i["section"] else "") + i["title"]},
                params={"item": i["id"]}) for i in pending[:3]],
        })
        out.append({"key": "meeting", "label": _("Kokous"), "status": "todo", "note": "",
                    "actions": meeting_actions})
        return out

    place_step = _private_place_step(place)
    if place_step is not None:
        out.append(place_step)
    item_id = item["id"]
    item_status = item["status"]
    vote = voting.get("vote")
    order = voting.get("order")
    proposals = [p for p in voting.get("proposals", []) if not p["withdrawn"]]
    counter = [p for p in proposals if p["kind"] != "base"]
    seconded_counter = [p for p in counter if p["seconders"]]

    if item_status == "in_discussion":
        speaking = floor_data.get("speaker")
        queue = floor_data.get("queue") or []
        warn = ""
        if speaking or queue:
            warn = _("Puheenvuoroja on vielä jonossa tai kesken.")
        acts = [_action("floor.grant", _("Anna seuraava puheenvuoro"),
                        blocked="" if queue else _("Jono on tyhjä."),
                        fields=[_field("time_limit", _("Puheaika (s, valinnainen)"), "number")])]
        if speaking:
            acts.append(_action("floor.end", _("Päätä puheenvuoro"), style="secondary"))
        acts.append(_action("item.close_discussion", _("Julista keskustelu päättyneeksi"),
                            params={"item": item_id}))
        out.append({
            "key": "discussion", "label": _("Keskustelu ja ehdotukset (KL 102.2 §, 104.1 §)"),
            "status": "current", "note": warn, "actions": acts,
        })
    elif item_status in ("discussion_closed", "voting"):
        if not voting.get("base_stated"):
            out.append({
                "key": "proposals", "label": _("Ehdotusten toteaminen (R40)"), "status": "current",
                "note": _("Kannatetut vastaehdotukset: %(n)s.") % {"n": len(seconded_counter)},
                "actions": [
                    _action("proposals.state", _("Totea ehdotukset"), params={"item": item_id}),
                    _action("item.reopen_discussion", _("Avaa keskustelu uudelleen"),
                            style="secondary", params={"item": item_id}),
                ],
            })
        elif voting.get("decision"):
            pass
        elif seconded_counter and (order is None or not order["approved"]):
            acts = [_action(
                "order.propose", _("Ehdota äänestystapa ja -järjestys"), params={"item": item_id},
                fields=[_field("method", _("Äänestystapa"), "select", True, "electronic",
                               [["electronic", _("sähköinen äänestys")],
                                ["roll_call", _("nimenhuutoäänestys")]])],
            )]
            if order is not None:
                acts.append(_action("order.approve", _("Toimielin hyväksyi järjestyksen"),
                                    params={"item": item_id}))
            out.append({"key": "order", "label": _("Äänestystapa ja -järjestys (KL 104.1 §)"),
                        "status": "current", "note": "", "actions": acts})
        elif vote is not None:
            acts = []
            note = _("Ääniä annettu %(c)s / %(e)s.") % {"c": vote["cast"], "e": vote["eligible"]}
            if vote["needs_chair_decision"] or vote["status"] == "paused":
                note += " " + _("Äänioikeutetun yhteys muuttui tai äänet menivät tasan: valitse "
                                "jatka, keskeytä tai uusi äänestys (R72).")
                for choice, label in (("continue", _("Jatka äänestystä")),
                                      ("pause", _("Keskeytä äänestys")),
                                      ("restart", _("Uusi äänestys"))):
                    if choice == "pause" and vote["status"] == "paused":
                        continue
                    acts.append(_action("vote.choice", label, params={"vote": vote["id"],
                                                                      "choice": choice},
                                        style="secondary" if choice != "continue" else "",
                                        blocked=no_quorum if choice == "restart" else ""))
            acts.append(_action(
                "vote.close", _("Päätä äänestys"), params={"vote": vote["id"]},
                blocked=_("Odottaa puheenjohtajan valintaa.") if (
                    vote["needs_chair_decision"] or vote["status"] == "paused") else "",
            ))
            out.append({"key": "vote", "label": _("Äänestys %(s)s") % {"s": vote["step"]},
                        "status": "current", "note": note, "actions": acts})
        else:
            steps_total = (order or {}).get("steps", 0)
            done = len([r for r in voting.get("results", [])])
            if order is not None and order["approved"] and done < steps_total:
                out.append({
                    "key": "vote", "label": _("Äänestys %(s)s / %(t)s") % {"s": done + 1,
                                                                          "t": steps_total},
                    "status": "current", "note": no_quorum,
                    "warning": _unconfirmed_warning(place),
                    "actions": [_action("vote.open", _("Aloita äänestys"), params={"item": item_id},
                                        blocked=no_quorum)],
                })
            else:
                out.append({
                    "key": "decision", "label": _("Päätöksen toteaminen (KL 104.1 §)"),
                    "status": "current", "note": no_quorum,
                    "actions": [_action("decision.state", _("Totea päätös"),
                                        params={"item": item_id}, blocked=no_quorum)],
                })
    if voting.get("decision") and voting["decision"]["dissent_open"]:
        out.append({
            "key": "dissent", "label": _("Eriävät mielipiteet (KL 106 §)"), "status": "current",
            "note": "", "actions": [_action("dissent.close", _("Sulje eriävien mielipiteiden "
                                                               "ilmoittaminen"),
                                            params={"item": item_id})],
        })
    out.append({"key": "meeting", "label": _("Kokous"), "status": "todo", "note": "",
                "actions": meeting_actions})
    return out


# --- actions -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Action:
    fn: Callable[..., dict[str, Any]]
    params: tuple[str, ...]
    ints: tuple[str, ...] = ()


def _as_int(params: dict[str, Any], name: str, required: bool = True) -> int | None:
    value = params.get(name)
    if value in (None, ""):
        if required:
            raise live_error("live.bad_request", field=name)
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise live_error("live.bad_request", field=name) from None
    if number <= 0:
        raise live_error("live.bad_request", field=name)
    return number


def _meeting_services() -> Any:
    from meetings.services import items, meeting

    return meeting, items


def _open_meeting(user: Any, mid: int, p: dict[str, Any]) -> dict[str, Any]:
    meeting_services, _items = _meeting_services()
    meeting_services.open_meeting(user, mid, p.get("legality_finding", ""))
    return {}


def _suspend(user: Any, mid: int, p: dict[str, Any]) -> dict[str, Any]:
    meeting_services, _items = _meeting_services()
    # Voting freezes with the meeting (R10): the voting services refuse ballots while suspended.
    meeting_services.suspend_meeting(user, mid, p.get("reason", ""))
    return {}


def _resume(user: Any, mid: int, p: dict[str, Any]) -> dict[str, Any]:
    meeting_services, _items = _meeting_services()
    meeting_services.resume_meeting(user, mid)
    return {}


def _close(user: Any, mid: int, p: dict[str, Any]) -> dict[str, Any]:
    meeting_services, _items = _meeting_services()
    with transaction.atomic():
        m = Meeting.objects.select_for_update().get(pk=mid)
        item_id = m.current_item_id
        meeting_services.close_meeting(user, mid, p.get("reason", ""))
        floor.do_close_queue(m, item_id, actor=user, reason="meeting_closed")
    return {}


def _check_item(mid: int, item_id: int) -> None:
    from meetings.models import AgendaItem

    if not AgendaItem.objects.filter(pk=item_id, meeting_id=mid).exists():
        from meetings.errors import meeting_error

        raise meeting_error("agenda.item_not_found")


def _item_open(user: Any, mid: int, p: dict[str, Any]) -> dict[str, Any]:
    _m, items = _meeting_services()
    item_id = _as_int(p, "item")
    _check_item(mid, item_id)
    items.open_item(user, item_id)
    return {"item": item_id}


def _item_close_discussion(user: Any, mid: int, p: dict[str, Any]) -> dict[str, Any]:
    _m, items = _meeting_services()
    item_id = _as_int(p, "item")
    _check_item(mid, item_id)
    with transaction.atomic():
        items.close_discussion(user, item_id)
        m = Meeting.objects.select_for_update().get(pk=mid)
        floor.do_close_queue(m, item_id, actor=user, reason="discussion_end")
    return {"item": item_id}


def _item_reopen(user: Any, mid: int, p: dict[str, Any]) -> dict[str, Any]:
    _m, items = _meeting_services()
    item_id = _as_int(p, "item")
    _check_item(mid, item_id)
    items.reopen_discussion(user, item_id)
    return {"item": item_id}


def _floor_request(user: Any, mid: int, p: dict[str, Any]) -> dict[str, Any]:
    r, created = floor.request_floor(user, mid, p.get("kind") or "speech")
    return {"request": r.pk, "created": created}


def _floor_withdraw(user: Any, mid: int, p: dict[str, Any]) -> dict[str, Any]:
    return {"request": floor.withdraw_floor(user, mid, _as_int(p, "request")).pk}


def _floor_grant(user: Any, mid: int, p: dict[str, Any]) -> dict[str, Any]:
    r = floor.grant_floor(user, mid, _as_int(p, "request", required=False), p.get("time_limit"))
    return {"request": r.pk}


def _floor_end(user: Any, mid: int, p: dict[str, Any]) -> dict[str, Any]:
    r = floor.end_floor(user, mid)
    return {"request": r.pk if r else None}


def _floor_cancel(user: Any, mid: int, p: dict[str, Any]) -> dict[str, Any]:
    return {"request": floor.cancel_floor(user, mid, _as_int(p, "request")).pk}


def _confirm(user: Any, mid: int, p: dict[str, Any]) -> dict[str, Any]:
    return {"participant": rollcall.confirm_identity(user, mid, _as_int(p, "participant")).pk}


def _roll_call(user: Any, mid: int, p: dict[str, Any]) -> dict[str, Any]:
    roll = rollcall.take_roll_call(user, mid)
    return {"roll_call": roll.pk, "quorate": roll.quorate, "present": roll.present_count,
            "required": roll.required}


def _remove(user: Any, mid: int, p: dict[str, Any]) -> dict[str, Any]:
    return {"participant": rollcall.remove_participant(
        user, mid, _as_int(p, "participant"), p.get("reason", "")).pk}


def _join_remote(user: Any, mid: int, p: dict[str, Any]) -> dict[str, Any]:
    return {"participant": rollcall.join_remote(user, mid).pk}


def _private_place(user: Any, mid: int, p: dict[str, Any]) -> dict[str, Any]:
    """R75: the remote participant attests a private place for the closed item."""
    from meetings.services.private_place import confirm_private_place

    confirmation, created = confirm_private_place(
        user, mid, _as_int(p, "item"), p.get("attest", "")
    )
    return {"confirmation": confirmation.pk, "item": confirmation.item_id, "created": created}


def _note(user: Any, mid: int, p: dict[str, Any]) -> dict[str, Any]:
    return {"note": rollcall.add_note(user, mid, p.get("text", ""), p.get("item") or None).pk}


def _open_vote_warning(mid: int, item_id: int | None) -> str:
    from django.utils import timezone

    from meetings.live.snapshots import roster
    from meetings.models import AgendaItem
    from meetings.private_place import item_status, requires_private_place

    item = AgendaItem.objects.select_related("meeting").filter(pk=item_id, meeting_id=mid).first()
    if item is None or not requires_private_place(item):
        return ""
    return _unconfirmed_warning(item_status(item, roster(item.meeting, timezone.now())))


def _v(name: str) -> Callable[..., dict[str, Any]]:
    """Adapters to voting's services through the bridge."""

    def run(user: Any, mid: int, p: dict[str, Any]) -> dict[str, Any]:
        b = voting_bridge
        if name == "proposal.make":
            _check_item(mid, _as_int(p, "item"))
            return b.make_proposal(user, mid, _as_int(p, "item"), p.get("kind") or "counter",
                                   p.get("text", ""), p.get("procedural_kind", ""))
        if name == "proposal.second":
            return b.second_proposal(user, mid, _as_int(p, "proposal"))
        if name == "proposal.withdraw":
            return b.withdraw_proposal(user, mid, _as_int(p, "proposal"))
        if name == "ballot.cast":
            return b.cast_ballot(user, mid, _as_int(p, "vote"), p.get("option", ""))
        if name == "proposals.state":
            return b.state_proposals(user, mid, _as_int(p, "item"))
        if name == "order.propose":
            return b.propose_order(user, mid, _as_int(p, "item"), p.get("method") or "electronic",
                                   p.get("plan_text", ""))
        if name == "order.approve":
            return b.approve_order(user, mid, _as_int(p, "item"))
        if name == "vote.open":
            item_id = _as_int(p, "item")
            opened = b.open_vote(user, mid, item_id)
            warning = _open_vote_warning(mid, item_id)
            return {**opened, "warning": warning} if warning else opened
        if name == "vote.close":
            return b.close_vote(user, mid, _as_int(p, "vote"))
        if name == "vote.choice":
            return b.chair_choice(user, mid, _as_int(p, "vote"), p.get("choice", ""),
                                  p.get("note", ""))
        if name == "decision.state":
            return b.state_decision(user, mid, _as_int(p, "item"))
        if name == "dissent.register":
            return b.register_dissent(user, mid, _as_int(p, "item"))
        if name == "dissent.close":
            return b.close_dissent_window(user, mid, _as_int(p, "item"))
        raise live_error("live.unknown_action")

    return run


ACTIONS: dict[str, Callable[..., dict[str, Any]]] = {
    "meeting.open": _open_meeting,
    "meeting.suspend": _suspend,
    "meeting.resume": _resume,
    "meeting.close": _close,
    "item.open": _item_open,
    "item.close_discussion": _item_close_discussion,
    "item.reopen_discussion": _item_reopen,
    "floor.request": _floor_request,
    "floor.withdraw": _floor_withdraw,
    "floor.grant": _floor_grant,
    "floor.end": _floor_end,
    "floor.cancel": _floor_cancel,
    "identity.confirm": _confirm,
    "rollcall.take": _roll_call,
    "participant.remove": _remove,
    "attend.remote": _join_remote,
    "private_place.confirm": _private_place,
    "note.add": _note,
    **{name: _v(name) for name in (
        "proposal.make", "proposal.second", "proposal.withdraw", "ballot.cast",
        "proposals.state", "order.propose", "order.approve", "vote.open", "vote.close",
        "vote.choice", "decision.state", "dissent.register", "dissent.close",
    )},
}


def perform(user: Any, meeting_id: int, action: str, params: dict[str, Any]) -> dict[str, Any]:
    fn = ACTIONS.get(action)
    if fn is None:
        raise live_error("live.unknown_action")
    return fn(user, meeting_id, params)
