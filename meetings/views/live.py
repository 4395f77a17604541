"""The live meeting room, its state and actions, and the public live view (R5, R8, R10, R72–R77).

* `room` — the member's page, server-rendered from the same state `state.json` returns; the
  chair's and the secretary's consoles are parts of it (R76, R77). `static/js/room.js` keeps it
  current over the socket and turns the forms into idempotent fetches.
* `state` — ``GET …/state.json``: the shared snapshot, the chair part if entitled, and `me`.
* `action` — ``POST …/do/<action>/``: one room action (CSRF-protected, `Idempotency-Key`).
* `public_room`, `public_snapshot`, `public_events` — the public live view: no login, cacheable
  snapshot (`Cache-Control: public, max-age=1`, ETag → 304) and server-sent events from one
  subscriber per worker (KL 101.4 §, R8). Only public meetings; nothing member-only.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.contrib import messages
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from meetings import realtime, rules, step_up
from meetings.live import config, console, idempotency, public_hub, snapshots
from meetings.models import Meeting
from meetings.public import public_page


def _meeting_for(user: Any, meeting_id: int) -> Meeting:
    meeting = Meeting.objects.select_related("body", "chair", "secretary").filter(
        pk=meeting_id
    ).first()
    if meeting is None or not rules.can_view_meeting(user, meeting) or meeting.status == "draft":
        raise Http404
    return meeting


def _new_key() -> str:
    return uuid.uuid4().hex


def i18n() -> dict[str, str]:
    """UI strings for room.js and public_live.js, in the request's language."""
    return {
        "connected": _("Yhteys kokoukseen toimii"),
        "reconnecting": _("Yhteys katkesi – yhdistetään uudelleen…"),
        "offline": _("Ei yhteyttä. Sivu päivittyy, kun yhteys palaa."),
        "stale": _("Tiedot päivitetään…"),
        "saving": _("Lähetetään…"),
        "saved": _("Tallennettu."),
        "retrying": _("Yhteys katkesi, lähetetään uudelleen…"),
        "failed": _("Lähetys epäonnistui."),
        "speaker": _("Puheenvuorossa"),
        "no_speaker": _("Kenelläkään ei ole puheenvuoroa."),
        "queue": _("Puheenvuorojono"),
        "queue_empty": _("Jono on tyhjä."),
        "reply": _("vastauspuheenvuoro"),
        "request_floor": _("Pyydä puheenvuoroa"),
        "request_reply": _("Pyydä vastauspuheenvuoroa"),
        "withdraw": _("Peru pyyntö"),
        "grant": _("Anna puheenvuoro"),
        "cancel": _("Poista jonosta"),
        "elapsed": _("Puheaikaa kulunut"),
        "limit": _("enintään"),
        "over": _("Puheaika ylittyi"),
        "proposals": _("Ehdotukset"),
        "no_proposals": _("Ei ehdotuksia."),
        "seconded_by": _("Kannattajat"),
        "not_seconded": _("Ei vielä kannatettu"),
        "second": _("Kannata"),
        "withdrawn": _("peruttu"),
        "withdraw_proposal": _("Peru ehdotus"),
        "proposer": _("Ehdottaja"),
        "vote_open": _("Äänestys on käynnissä"),
        "vote_paused": _("Äänestys on keskeytetty"),
        "cast": _("Ääniä annettu"),
        "you_voted": _("Olet äänestänyt"),
        "receipt": _("Kuitti"),
        "not_eligible": _("Et ole äänioikeutettu tässä äänestyksessä."),
        "jaa": _("Jaa"),
        "ei": _("Ei"),
        "tyhja": _("Tyhjä"),
        "absent": _("Poissa"),
        "results": _("Äänestystulokset"),
        "winner": _("Voittaja"),
        "decision": _("Päätös"),
        "quorum": _("Päätösvaltaisuus"),
        "quorate": _("päätösvaltainen"),
        "not_quorate": _("ei päätösvaltainen"),
        "present": _("läsnä"),
        "required": _("vaaditaan"),
        "documents": _("Asiakirjat"),
        "no_item": _("Mikään asia ei ole käsittelyssä."),
        "closed_item": _("Suljettu käsittely"),
        "confirm": _("Vahvista henkilöllisyys"),
        "remove": _("Poista kokouksesta"),
        "reason": _("Syy"),
        "alerts": _("Huomiot"),
        "alert_disconnected": _("Yhteys katkesi"),
        "alert_rejoined": _("Palasi – vahvista henkilöllisyys"),
        "alert_degraded": _("Yhteys heikentynyt"),
        "alert_unconfirmed": _("Odottaa vahvistusta"),
        "roster": _("Osallistujat"),
        "blocked": _("Estetty"),
        "you": _("sinä"),
        "dissent": _("Ilmoita eriävä mielipide"),
        "dissent_done": _("Eriävä mielipide on kirjattu."),
        "join_remote": _("Osallistun etäyhteydellä"),
        "waiting_confirmation": _("Odotat puheenjohtajan tai sihteerin vahvistusta."),
        "rejoined": _("Yhteytesi palasi. Odotat uudelleenvahvistusta ennen kuin voit äänestää."),
        "item_heading": _("Käsiteltävä asia"),
        "base_proposal": _("Esittelijän ehdotus"),
        "floor_heading": _("Puheenvuorot"),
        "end_floor": _("Päätä puheenvuoro"),
        "make_proposal": _("Tee ehdotus"),
        "proposal_kind": _("Ehdotuksen laji"),
        "counter": _("vastaehdotus"),
        "rejection": _("hylkäysehdotus"),
        "proposal_text": _("Ehdotus"),
        "vote_heading": _("Äänestys"),
        "no_vote": _("Äänestystä ei ole käynnissä."),
        "no_results": _("Tässä asiassa ei ole vielä äänestetty."),
        "names": _("Äänestyksen nimet"),
        "me_heading": _("Oma osallistuminen"),
        "viewer": _("Seuraat kokousta; et ole sen osallistuja."),
        "removed": _("Puheenjohtaja on poistanut sinut kokouksesta (KL 102 §)."),
        "present_remote": _("Läsnä etäyhteydellä"),
        "present_room": _("Läsnä kokouspaikalla"),
        "not_present": _("Et ole vielä läsnä."),
        "agenda": _("Esityslista"),
        "no_alerts": _("Ei huomioita."),
        "steps": _("Kokouksen kulku"),
        "yes": _("kyllä"),
        "no": _("ei"),
        "remote": _("etänä"),
        "name": _("Nimi"),
        "role": _("Rooli"),
        "present_col": _("Läsnä"),
        "connection": _("Yhteys"),
        "actions": _("Toiminnot"),
        "public_closed": _("Kokouksessa käsitellään suljettua asiaa."),
        "public_none": _("Kokouksessa ei ole käsittelyssä asiaa juuri nyt."),
        "pp_heading": _("Suljettu asia: vahvista yksityinen paikka"),
        "pp_explain": _("Asia käsitellään suljettuna. Voit osallistua sen käsittelyyn vain "
                        "paikassa, jossa ulkopuoliset eivät näe eivätkä kuule kokousta "
                        "(KL 98.2 §)."),
        "pp_attest": _("Vakuutan, että olen paikassa, jossa ulkopuoliset eivät näe eivätkä "
                       "kuule kokousta (käytän kuulokkeita)."),
        "pp_confirm": _("Vahvista"),
        "pp_confirmed": _("Olet vahvistanut olevasi yksityisessä paikassa tämän asian "
                          "käsittelyn ajan. Jos yhteys katkeaa, vahvista uudelleen."),
        "pp_hidden": _("Asian salassa pidettävät asiakirjat näytetään, kun olet vahvistanut "
                       "yksityisen paikan."),
        "pp_chair": _("Yksityinen paikka"),
        "pp_count": _("vahvistanut"),
        "pp_yes": _("vahvistanut"),
        "pp_no": _("ei vahvistanut"),
        "pp_offline": _("ei yhteyttä"),
    }


def _room_context(request: HttpRequest, meeting: Meeting) -> dict[str, Any]:
    state = snapshots.user_state(request.user, meeting)
    client = {
        "meeting": meeting.pk,
        "socket": f"/ws/meetings/{meeting.pk}/",
        "state_url": reverse("live:state", args=[meeting.pk]),
        "action_url": reverse("live:action", args=[meeting.pk, "ACTION"]),
        "heartbeat": float(config.get("HEARTBEAT_SECONDS")),
        "i18n": i18n(),
    }
    context = {
        "meeting": meeting,
        "state": state,
        "snap": state["snapshot"],
        "me": state["me"],
        "chair": state.get("chair"),
        "voting": (state["snapshot"] or {}).get("voting") or {},
        "client": client,
        "initial_state": json.loads(json.dumps(state)),
        "new_key": _new_key,
    }
    _decorate(context)
    return context


def _decorate(ctx: dict[str, Any]) -> None:
    """What the server-rendered page needs beyond the state: which forms each user gets.

    The same decisions are made in room.js from the same state; the services decide anyway.
    """
    snap, me, voting = ctx["snap"] or {}, ctx["me"], ctx["voting"]
    item = snap.get("item")
    discussing = bool(item and item["status"] == "in_discussion"
                      and snap.get("meeting", {}).get("status") == "in_session")
    place = me.get("private_place") or {}
    active = (me["present"] and me["state"] not in ("disconnected", "rejoined")
              and not me["removed"]
              and not (place.get("required") and not place.get("confirmed")))  # R75
    floor = snap.get("floor") or {"queue": [], "speaker": None}
    for r in floor.get("queue", []):
        r["grant_params"] = {"request": r["id"]}
        r["cancel_params"] = {"request": r["id"]}
    actions = []
    if discussing and active and me["speech_right"]:
        mine = {r["kind"]: r for r in me["floor"]}
        speech = mine.get("speech")
        if speech is None:
            actions.append({"action": "floor.request", "label": _("Pyydä puheenvuoroa"),
                            "params": {"kind": "speech"}, "fid": "req", "style": ""})
        elif speech["status"] == "queued":
            actions.append({"action": "floor.withdraw", "label": _("Peru pyyntö"),
                            "params": {"request": speech["id"]}, "fid": "wd", "style": "secondary"})
        speaker = floor.get("speaker")
        if speaker and speaker["participant"] != me["participant"] and "reply" not in mine:
            actions.append({"action": "floor.request", "label": _("Pyydä vastauspuheenvuoroa"),
                            "params": {"kind": "reply"}, "fid": "reply", "style": "secondary"})
    ctx["floor_actions"] = actions
    for p in voting.get("proposals", []):
        p["second_params"] = {"proposal": p["id"]}
        p["can_second"] = bool(
            discussing and active and me["decides"] and p["kind"] != "base" and not p["withdrawn"]
            and p["proposer"] != me["participant"] and me["participant"] not in p["seconders"]
        )
        p["can_withdraw"] = bool(discussing and p["proposer"] == me["participant"]
                                 and p["proposer"] is not None and not p["withdrawn"])
    ctx["can_propose"] = bool(discussing and active and me["decides"])
    ctx["dissent_params"] = {"item": item["id"]} if item else {}
    chair = ctx.get("chair")
    if chair:
        for r in chair.get("roster", []):
            r["params"] = {"participant": r["id"]}
            r["can_remove"] = bool(me["is_chair"] and not r["removed"]
                                   and r["id"] != me["participant"])
            r["remove_fid"] = f"rm{r['id']}"
            r["remove_fields"] = [{"name": "reason", "label": _("Syy (kirjataan)"), "type": "text",
                                   "required": True, "default": "", "choices": []}]
            r["can_confirm"] = bool(
                r["mode"] == "remote" and not r["removed"]
                and (r["state"] == "rejoined"
                     or (r["state"] in ("connected", "degraded") and not r["present"]))
            )
        for s in chair.get("steps", []):
            for a in s.get("actions", []):
                values = "-".join(str(v) for v in a["params"].values())
                a["fid"] = f"{s['key']}-{a['action']}-{values}"


@never_cache
def room(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = _meeting_for(request.user, meeting_id)
    context = _room_context(request, meeting)
    if context["me"]["removed"]:
        return render(request, "live/removed.html", {"meeting": meeting}, status=403)
    return render(request, "live/room.html", context)


def state(request: HttpRequest, meeting_id: int) -> JsonResponse:
    meeting = _meeting_for(request.user, meeting_id)
    response = JsonResponse(snapshots.user_state(request.user, meeting))
    response["Cache-Control"] = "no-store"
    return response


def _wants_json(request: HttpRequest) -> bool:
    return (
        "application/json" in request.headers.get("accept", "")
        or request.content_type == "application/json"
    )


def _params(request: HttpRequest) -> dict[str, Any]:
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except (ValueError, RecursionError):
            # RecursionError: a deeply nested body must be a 400, never a 500.
            data = None
        if not isinstance(data, dict):
            return {"__malformed__": True}
        return {k: v for k, v in data.items() if isinstance(k, str)}
    return {k: v for k, v in request.POST.items() if k != "csrfmiddlewaretoken"}


#: Actions whose service answers a resend with the same result by itself (one ballot per member
#: and vote with its receipt; one open floor request per kind; one seconding): no key row is
#: written for them, which keeps the ballot's row-locked transaction short.
NATURALLY_IDEMPOTENT = frozenset({"ballot.cast", "floor.request", "proposal.second"})

#: Actions whose service looks the meeting up and checks that the user may see it before
#: anything else (R63; `vote.not_found` otherwise): the view does not do it again. For ballots
#: this saves a meeting and a membership query on the hottest path (docs/performance-live.md).
SERVICE_FINDS_MEETING = frozenset({"ballot.cast"})

#: Signature-like acts of the chair that need a recent MFA step-up (`meetings.step_up`).
STEP_UP_ACTIONS = frozenset({"vote.close"})


def action(request: HttpRequest, meeting_id: int, action: str) -> HttpResponse:
    """One room action as an idempotent POST (the key: `Idempotency-Key` or `idempotency_key`)."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        if action not in SERVICE_FINDS_MEETING:
            _meeting_for(request.user, meeting_id)
    except Http404:
        if not _wants_json(request):
            raise
        # A JSON client gets a JSON error with a code; it never learns whether the meeting exists.
        return JsonResponse(
            {"ok": False, "code": "live.not_found", "message": _("Kokousta ei löydy.")},
            status=404,
        )
    params = _params(request)
    if params.pop("__malformed__", False):
        payload = {"ok": False, "code": "request.malformed_json",
                   "message": _("Pyynnön sisältö ei ole kelvollista JSONia.")}
        return JsonResponse(payload, status=400)
    if action in STEP_UP_ACTIONS and not step_up.recent_mfa(request):
        # ASVS L3: closing a vote needs a fresh MFA authentication; allauth brings the chair
        # back to the room. Checked before the idempotency key: nothing is stored or written.
        err = step_up.StepUpRequired(
            step_up.reauthenticate_url(request, reverse("live:room", args=[meeting_id]))
        )
        if _wants_json(request):
            return JsonResponse({"ok": False, **err.as_dict()}, status=err.status)
        return redirect(err.reauthenticate_url)
    key = request.headers.get("idempotency-key") or params.pop("idempotency_key", None) or None
    params.pop("idempotency_key", None)
    if action in NATURALLY_IDEMPOTENT:
        key = None  # the service itself answers a resend with the same result
    status, payload = idempotency.run(
        request.user, key, f"{meeting_id}:{action}"[:40],
        lambda: console.perform(request.user, meeting_id, action, params),
    )
    if payload.get("ok") and not payload.get("replayed") and action != "ballot.cast":
        # The user's other pages and devices refresh their own part (ballot, requests).
        realtime.send_event_on_commit(
            realtime.user_group(request.user.pk),
            {"type": "me.changed", "client": request.headers.get("x-kokous-client", "")},
        )
    if _wants_json(request):
        response = JsonResponse(payload, status=status)
        response["Cache-Control"] = "no-store"
        return response
    if payload.get("ok"):
        messages.success(request, _("Tallennettu."))
    else:
        messages.error(request, payload.get("message") or _("Toiminto epäonnistui."))
    return redirect(reverse("live:room", args=[meeting_id]))


# --- public live view (KL 101.4 §, R8) ------------------------------------------------------------


def _public_meeting(meeting_id: int) -> Meeting:
    meeting = Meeting.objects.select_related("body").filter(
        pk=meeting_id, is_public=True, status__in=snapshots.PUBLIC_STATUSES
    ).first()
    if meeting is None:
        raise Http404
    return meeting


@public_page
def public_room(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = _public_meeting(meeting_id)
    got = snapshots.public_snapshot(meeting.pk)
    data = json.loads(got[1]) if got else {}
    client = {
        "meeting": meeting.pk,
        "snapshot_url": reverse("live:public_snapshot", args=[meeting.pk]),
        "events_url": reverse("live:public_events", args=[meeting.pk]),
        "i18n": i18n(),
    }
    response = render(request, "live/public.html",
                      {"meeting": meeting, "pub": data, "client": client})
    response["Cache-Control"] = "public, max-age=5"
    return response


@public_page
def public_snapshot(request: HttpRequest, meeting_id: int) -> HttpResponse:
    """The public snapshot JSON; clients poll `?v=N` each second; 304 while unchanged."""
    got = snapshots.public_snapshot(meeting_id)
    if got is None:
        raise Http404
    version, text = got
    etag = f'"{meeting_id}-{version}"'
    if etag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(text, content_type="application/json")
    response["ETag"] = etag
    response["Cache-Control"] = "public, max-age=1"
    response["X-Kokous-Version"] = str(version)
    return response


@public_page
async def public_events(request: HttpRequest, meeting_id: int) -> HttpResponse:
    """Server-sent events of the public snapshot, fanned out by this worker's one feed (R8)."""
    from meetings.live.db import live_sync

    # The stream lasts long: no database connection may stay with this request (one shared
    # connection per worker answers, usually from the cache).
    if await live_sync(snapshots.public_snapshot)(meeting_id) is None:
        raise Http404
    response = StreamingHttpResponse(
        public_hub.event_stream(meeting_id), content_type="text/event-stream"
    )
    response["Cache-Control"] = "no-store"
    response["X-Accel-Buffering"] = "no"
    return response
