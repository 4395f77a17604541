"""Attesting a private place before a closed item (R9, R75; KL 98.2 §) and re-attesting after a
dropped connection (R72, R13), in the live room: prompt, audit, effect on taking part, the
chair's console and the public view.

A hybrid, public meeting: the chair (0) and member 1 are in the room, members 2–4 take part
remotely. The item is confidential, with one confidential and one public attachment.
"""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from kokous.errors import DomainError
from meetings.live import connections, console, rollcall
from meetings.models import Attachment, PrivatePlaceConfirmation, Publicity
from tests.live.scenario import make_live_meeting, open_with_present
from voting.models import Vote
from voting.services._common import deciding_person_ids

pytestmark = pytest.mark.django_db

SECRET_DOC = "Terveydentilaselvitys (salassa pidettävä)"
PUBLIC_DOC = "Kartta-aineisto"
SECRET_TEXT = "Salainen selostus henkilön terveydentilasta."
REMOTE = (2, 3, 4)


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run


def client_for(user, *, csrf: bool = False) -> Client:
    c = Client(enforce_csrf_checks=csrf)
    c.force_login(user)
    return c


def act(c: Client, meeting_id: int, action: str, key: str | None = None, **params):
    headers = {"HTTP_ACCEPT": "application/json"}
    if key:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    return c.post(reverse("live:action", args=[meeting_id, action]), params, **headers)


def _attachment(item, title: str, publicity: str) -> Attachment:
    return Attachment.objects.create(
        item=item, title=title, filename=f"{publicity}.pdf", content_type="application/pdf",
        size=10, sha256="0" * 64, publicity=publicity, storage_name=f"pp-{item.pk}-{publicity}",
        uploaded_at=timezone.now(),
    )


def closed_item_meeting(commit, *, confidential: bool = True):
    """The meeting open, the confidential item taken up by the chair."""
    def build():
        lm = make_live_meeting(members=5)
        item = lm.item
        if confidential:
            item.publicity = Publicity.CONFIDENTIAL
            item.confidentiality_basis = "JulkL 24.1 § 25 k"
            item.description = f"<p>{SECRET_TEXT}</p>"
            item.save()
            _attachment(item, SECRET_DOC, Publicity.CONFIDENTIAL)
        _attachment(item, PUBLIC_DOC, Publicity.PUBLIC)
        return open_with_present(lm, remote=REMOTE)

    lm = commit(build)
    commit(console.perform, lm.chair_user, lm.meeting.pk, "item.open", {"item": lm.item.pk})
    return lm


def state_of(user, meeting_id: int) -> dict:
    return client_for(user).get(reverse("live:state", args=[meeting_id])).json()


def confirm(commit, lm, index: int, key: str | None = None):
    return commit(act, client_for(lm.user(index)), lm.meeting.pk, "private_place.confirm", key,
                  item=lm.item.pk, attest="1")


def refused(fn, *args) -> str:
    with pytest.raises(DomainError) as err:
        fn(*args)
    return err.value.code


def test_r75_prompt_appears_for_remote_participants_only(commit):
    """R75: at a closed item each remote participant is asked; those in the room are not."""
    lm = closed_item_meeting(commit)
    mid = lm.meeting.pk
    remote = state_of(lm.user(2), mid)["me"]["private_place"]
    assert remote == {"required": True, "confirmed": False, "item": lm.item.pk}
    assert state_of(lm.user(1), mid)["me"]["private_place"]["required"] is False
    html = client_for(lm.user(2)).get(reverse("live:room", args=[mid])).content.decode()
    assert 'name="attest"' in html and "käytän kuulokkeita" in html
    in_room = client_for(lm.user(1)).get(reverse("live:room", args=[mid])).content.decode()
    assert 'name="attest"' not in in_room
    # A public item of a public meeting is not closed: nobody is asked.
    open_lm = closed_item_meeting(commit, confidential=False)
    assert state_of(open_lm.user(2), open_lm.meeting.pk)["me"]["private_place"]["required"] is False
    assert commit(act, client_for(open_lm.user(2)), open_lm.meeting.pk, "private_place.confirm",
                  item=open_lm.item.pk, attest="1").json()["code"] == (
        "attendance.private_place_not_required")
    # In-room members are not asked (and cannot attest).
    assert commit(act, client_for(lm.user(1)), mid, "private_place.confirm",
                  item=lm.item.pk, attest="1").json()["code"] == (
        "attendance.private_place_not_remote")


def test_r75_confirmation_is_audited_once_and_resends_are_idempotent(commit):
    """R75: the attestation is an audited HTTP POST (CSRF-protected); a resend with the same
    key replays the answer, a new key finds the same confirmation: one row, one audit entry,
    identifiers only (no free text)."""
    lm = closed_item_meeting(commit)
    mid = lm.meeting.pk
    no_csrf = client_for(lm.user(2), csrf=True).post(
        reverse("live:action", args=[mid, "private_place.confirm"]),
        {"item": lm.item.pk, "attest": "1"}, HTTP_ACCEPT="application/json")
    assert no_csrf.status_code == 403
    unticked = commit(act, client_for(lm.user(2)), mid, "private_place.confirm",
                      item=lm.item.pk)
    assert unticked.status_code == 400
    assert unticked.json()["code"] == "attendance.private_place_attest_required"
    first = confirm(commit, lm, 2, key="pp-key-1")
    assert first.status_code == 200 and first.json()["created"] is True
    again = confirm(commit, lm, 2, key="pp-key-1")
    assert again.json()["replayed"] is True
    other_key = confirm(commit, lm, 2, key="pp-key-2")
    assert other_key.json()["ok"] and other_key.json()["created"] is False
    assert PrivatePlaceConfirmation.objects.filter(item=lm.item).count() == 1
    entries = AuditEntry.objects.filter(action="attendance.private_place_confirmed")
    assert entries.count() == 1
    data = json.loads(bytes(entries.get().entry))["data"]
    assert data == {"meeting": mid, "item": lm.item.pk, "participant": lm.members[2].pk,
                    "person": lm.members[2].person_id}
    assert state_of(lm.user(2), mid)["me"]["private_place"]["confirmed"] is True


def test_r9_r75_unconfirmed_remote_member_does_not_take_part(commit):
    """R9, R75: until attesting, a remote member cannot propose, second, ask for the floor or
    vote in the closed item (not eligible: the one eligibility rule of meetings.presence) and
    sees none of its non-public documents or text in the room."""
    lm = closed_item_meeting(commit)
    mid, item = lm.meeting.pk, lm.item.pk
    unconfirmed = lm.user(2)
    state = state_of(unconfirmed, mid)
    titles = [a["title"] for a in state["snapshot"]["item"]["attachments"]]
    # Every document of a confidential item is non-public: none in the shared snapshot.
    assert titles == [] and state["me"]["attachments"] == []
    assert SECRET_TEXT not in json.dumps(state, ensure_ascii=False)
    page = client_for(unconfirmed).get(reverse("live:room", args=[mid])).content.decode()
    assert SECRET_DOC not in page and SECRET_TEXT not in page
    # In-room member 1 sees the confidential document (per user, not in the shared snapshot).
    in_room = state_of(lm.user(1), mid)
    assert [a["title"] for a in in_room["me"]["attachments"]] == [SECRET_DOC, PUBLIC_DOC]
    assert SECRET_TEXT in in_room["me"]["item_description"]

    code = "attendance.private_place_unconfirmed"
    assert refused(console.perform, unconfirmed, mid, "proposal.make",
                   {"item": item, "kind": "counter", "text": "Vastaehdotus."}) == code
    assert refused(console.perform, unconfirmed, mid, "floor.request", {"kind": "speech"}) == code
    made = commit(console.perform, lm.user(1), mid, "proposal.make",
                  {"item": item, "kind": "counter", "text": "Asia palautetaan."})
    assert refused(console.perform, unconfirmed, mid, "proposal.second",
                   {"proposal": made["proposal"]}) == code
    for k in (3, 4):
        confirm(commit, lm, k)
    commit(console.perform, lm.user(3), mid, "proposal.second", {"proposal": made["proposal"]})
    assert lm.members[2].person_id not in deciding_person_ids(lm.item)
    for step in ("item.close_discussion", "proposals.state", "order.propose", "order.approve",
                 "vote.open"):
        commit(console.perform, lm.chair_user, mid, step, {"item": item})
    vote = Vote.objects.get(item=lm.item)
    assert lm.members[2].person_id not in vote.eligible
    assert {lm.members[k].person_id for k in (0, 1, 3, 4)} == set(vote.eligible)
    assert refused(console.perform, unconfirmed, mid, "ballot.cast",
                   {"vote": vote.pk, "option": "jaa"}) == code
    # After attesting the member sees the documents; the open vote's electorate stays fixed.
    assert confirm(commit, lm, 2).json()["created"] is True
    after = state_of(unconfirmed, mid)
    assert [a["title"] for a in after["me"]["attachments"]] == [SECRET_DOC, PUBLIC_DOC]
    assert SECRET_TEXT in after["me"]["item_description"]
    assert refused(console.perform, unconfirmed, mid, "ballot.cast",
                   {"vote": vote.pk, "option": "jaa"}) == "vote.not_eligible"


def test_r72_r13_reconnect_requires_attesting_again(commit):
    """R72/R13 with R75: a dropped connection ends the attestation (audited); after the
    identity is re-confirmed the member attests again before taking part."""
    lm = closed_item_meeting(commit)
    mid, item = lm.meeting.pk, lm.item.pk
    member = lm.members[3]
    connections.socket_opened(member.pk, "pp-chan-1")
    confirm(commit, lm, 3)
    commit(console.perform, lm.user(3), mid, "floor.request", {"kind": "speech"})
    connections.socket_closed("pp-chan-1")
    assert commit(connections.drop_if_gone, member.pk, at=timezone.now())
    lapsed = AuditEntry.objects.filter(action="attendance.private_place_lapsed")
    assert lapsed.count() == 1
    assert json.loads(bytes(lapsed.get().entry))["data"]["items"] == [item]
    assert not PrivatePlaceConfirmation.objects.filter(
        participant=member, revoked_at__isnull=True).exists()
    # Attesting while disconnected is refused; reconnect, identity re-confirmed, still asked.
    assert confirm(commit, lm, 3).json()["code"] == "attendance.private_place_not_connected"
    connections.socket_opened(member.pk, "pp-chan-2")
    commit(rollcall.confirm_identity, lm.secretary_user, mid, member.pk)
    me = state_of(lm.user(3), mid)["me"]
    assert me["present"] and me["private_place"] == {
        "required": True, "confirmed": False, "item": item}
    assert refused(console.perform, lm.user(3), mid, "proposal.make",
                   {"item": item, "kind": "counter", "text": "Uusi ehdotus."}) == (
        "attendance.private_place_unconfirmed")
    assert confirm(commit, lm, 3).json()["created"] is True
    commit(console.perform, lm.user(3), mid, "proposal.make",
           {"item": item, "kind": "counter", "text": "Uusi ehdotus."})
    assert AuditEntry.objects.filter(action="attendance.private_place_confirmed").count() == 2


def test_r75_chair_console_counts_and_warns_before_a_vote(commit):
    """R75, R76: the chair sees per remote participant whether he or she attested, with a
    count; opening a vote with unconfirmed connected remote participants warns (no block)."""
    lm = closed_item_meeting(commit)
    mid, item = lm.meeting.pk, lm.item.pk
    confirm(commit, lm, 3)
    chair = state_of(lm.chair_user, mid)["chair"]
    place = chair["private_place"]
    assert (place["required"], place["remote"], place["confirmed"]) == (True, 3, 1)
    assert {r["participant"]: r["confirmed"] for r in place["rows"]} == {
        lm.members[2].pk: False, lm.members[3].pk: True, lm.members[4].pk: False}
    step = next(s for s in chair["steps"] if s["key"] == "private_place")
    assert step["status"] == "current" and "1 / 3" in step["note"]
    assert "private_place" not in json.dumps(state_of(lm.user(1), mid).get("chair"))
    page = client_for(lm.chair_user).get(reverse("live:room", args=[mid])).content.decode()
    assert 'id="live-pp-chair"' in page and "1 / 3" in page
    made = commit(console.perform, lm.user(1), mid, "proposal.make",
                  {"item": item, "kind": "counter", "text": "Asia palautetaan."})
    commit(console.perform, lm.user(3), mid, "proposal.second", {"proposal": made["proposal"]})
    for step_name in ("item.close_discussion", "proposals.state", "order.propose",
                      "order.approve"):
        commit(console.perform, lm.chair_user, mid, step_name, {"item": item})
    steps = state_of(lm.chair_user, mid)["chair"]["steps"]
    vote_step = next(s for s in steps if s["key"] == "vote")
    name2, name4 = (lm.members[k].person.full_name for k in (2, 4))
    assert name2 in vote_step["warning"] and name4 in vote_step["warning"]
    assert not vote_step["actions"][0]["blocked"]  # a warning, not a block
    opened = commit(act, client_for(lm.chair_user), mid, "vote.open", item=item).json()
    assert opened["ok"] and name2 in opened["warning"]


def test_r8_r9_public_view_says_only_that_a_closed_item_is_handled(commit):
    """R8, R9: the public snapshot during the confidential item holds no title, documents,
    speaker or attestation data — only that a closed matter is being handled."""
    lm = closed_item_meeting(commit)
    confirm(commit, lm, 2)
    commit(console.perform, lm.user(2), lm.meeting.pk, "floor.request", {"kind": "speech"})
    commit(console.perform, lm.chair_user, lm.meeting.pk, "floor.grant", {})
    response = Client().get(reverse("live:public_snapshot", args=[lm.meeting.pk]))
    data = response.json()
    assert data["item"] == {"closed": True, "section": lm.item.section_number}
    assert data["speaker"] is None and data["results"] == [] and data["decision"] == ""
    text = response.content.decode()
    for secret in (lm.item.title, SECRET_DOC, PUBLIC_DOC, lm.members[2].person.last_name,
                   "private_place"):
        assert secret not in text
    page = Client().get(reverse("live:public", args=[lm.meeting.pk])).content.decode()
    assert "Kokouksessa käsitellään suljettua asiaa." in page and lm.item.title not in page


def test_r9_r75_r73_item_attendance_leaves_out_who_never_attested(commit):
    """R73 attendance per item (for the minutes): in a closed item a connected remote member who
    never attested did not take part in it; one who attested did; in-room members are not
    affected."""
    from meetings.presence import item_attendance

    lm = closed_item_meeting(commit)
    confirm(commit, lm, 2)
    lm.item.refresh_from_db()  # opened by the chair through the console
    rows = {row.participant_id: row for row in item_attendance(lm.item)}
    attested, never, in_room = (rows[lm.members[i].pk] for i in (2, 3, 1))
    assert attested.present and not attested.private_place_unconfirmed
    assert not never.present and not never.whole_item and never.private_place_unconfirmed
    assert in_room.present and not in_room.private_place_unconfirmed
