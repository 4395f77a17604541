"""Checking, signing and attestation of the minutes (R50, R51, R49, R55) and refused input."""

from __future__ import annotations

import time

import pytest
from allauth.account.internal.flows.login import (
    _AUTHENTICATION_METHODS_USER_SESSION_KEY,
    AUTHENTICATION_METHODS_SESSION_KEY,
)
from allauth.account.internal.userkit import user_id_to_str
from django.urls import reverse

from audit.models import AuditEntry
from kokous.errors import DomainError
from meetings import encryption
from meetings.models import MeetingStatus
from minutes import selectors
from minutes.models import Minutes, MinutesChecker, MinutesNarrative
from minutes.services import workflow
from minutes.signing import load_certificates, validate_signature
from tests.audit.support import use_test_key
from tests.minutes.test_builder import run_meeting
from voting.models import Ballot, Vote

pytestmark = pytest.mark.django_db(transaction=False)


@pytest.fixture
def env(settings, tmp_path, demo_seal):
    settings.PROTECTED_FILES_ROOT = tmp_path / "files"
    settings.KOKOUS_FILE_KEYS = encryption.KeyRing((encryption.new_key(),)).to_json()
    key, cert = demo_seal
    settings.KOKOUS_SEAL_KEY_FILE, settings.KOKOUS_SEAL_CERT_FILE = str(key), str(cert)
    settings.KOKOUS_TIMESTAMP_URL = None
    use_test_key(settings, tmp_path)
    return demo_seal


def mfa_session(client, user, age: float = 0.0) -> None:
    """Log in and record an MFA authentication ``age`` seconds ago (allauth's records)."""
    client.force_login(user)
    session = client.session
    session[_AUTHENTICATION_METHODS_USER_SESSION_KEY] = user_id_to_str(user)
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [
        {"method": "mfa", "type": "totp", "at": time.time() - age}
    ]
    session.save()


def counts() -> tuple[int, ...]:
    return (AuditEntry.objects.count(), Minutes.objects.count(), MinutesChecker.objects.count(),
            MinutesNarrative.objects.count(), Ballot.objects.count())


def built_with_checkers(s):
    workflow.build_minutes(s.secretary, s.meeting.pk)
    for k in (1, 3):
        workflow.assign_checker(s.secretary, s.meeting.pk, s.room.person(k).pk)


def test_r50_r51_checking_signing_attestation(client, env):
    """R50: two checkers approve electronically (MFA step-up); until then the decisions are
    not final. R51: the chair signs and the secretary attests; the PDF carries the seal."""
    s = run_meeting()
    m = s.meeting.pk
    mfa_session(client, s.secretary)
    assert client.post(reverse("minutes:build", args=[m])).status_code == 302
    for k in (1, 3):
        response = client.post(reverse("minutes:assign_checker", args=[m]),
                               {"person_id": s.room.person(k).pk})
        assert response.status_code == 302
    assert client.get(reverse("minutes:page", args=[m])).status_code == 200
    assert selectors.decision_status(s.item1) == "not_final"

    for k in (1, 3):
        mfa_session(client, s.room.user(k))
        page = client.get(reverse("minutes:page", args=[m]))
        assert reverse("minutes:approve", args=[m]) in page.content.decode()
        assert client.post(reverse("minutes:approve", args=[m])).status_code == 302
        if k == 1:
            assert selectors.decision_status(s.item1) == "not_final"
    minutes = Minutes.objects.get(meeting=s.meeting)
    s.meeting.refresh_from_db()
    assert minutes.status == Minutes.Status.CHECKED and minutes.checked_on
    assert s.meeting.status == MeetingStatus.MINUTES_CHECKED
    assert selectors.decision_status(s.item1) == "final"

    workflow.sign_minutes(s.room.chair, m)
    before = counts()
    with pytest.raises(DomainError) as exc:
        workflow.sign_minutes(s.room.chair, m)
    assert exc.value.code == "minutes.already_signed"
    assert counts() == before

    workflow.attest_minutes(s.secretary, m)
    minutes.refresh_from_db()
    assert minutes.status == Minutes.Status.SIGNED
    pdf = workflow.load_pdf(minutes.pdf_storage_name)
    status = validate_signature(pdf, load_certificates(env[1]))
    assert status.ok
    document = workflow.document_of(minutes)
    assert document.checking.checkers == tuple(s.room.person(k).full_name for k in (1, 3))
    assert document.signing.chair == s.room.person(0).full_name
    assert document.checkpoint_text  # the audit checkpoint at signing time
    mfa_session(client, s.room.user(2))  # a member may download the signed original
    assert client.get(reverse("minutes:signed_pdf", args=[m])).content == pdf
    actions = set(AuditEntry.objects.filter(object=f"minutes:{minutes.pk}")
                  .values_list("action", flat=True))
    assert {"minutes.built", "minutes.checker_assigned", "minutes.approved", "minutes.signed",
            "minutes.attested"} <= actions


def test_r50_checking_needs_a_recent_mfa_step_up(client, env):
    """R50 (checking is a signature-like act): a stale authentication is sent to allauth's
    MFA reauthentication and nothing is recorded; the service refuses without a step-up."""
    s = run_meeting()
    built_with_checkers(s)
    m = s.meeting.pk
    mfa_session(client, s.room.user(1), age=3600)
    before = counts()  # after the login, which is audited
    response = client.post(reverse("minutes:approve", args=[m]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_reauthenticate"))
    assert counts() == before
    assert not MinutesChecker.objects.filter(approved_at__isnull=False).exists()
    with pytest.raises(DomainError) as exc:
        workflow.approve_minutes(s.room.user(1), m, recent_mfa=False)
    assert exc.value.code == "minutes.mfa_required"
    mfa_session(client, s.room.user(1))
    assert client.post(reverse("minutes:approve", args=[m])).status_code == 302
    assert MinutesChecker.objects.filter(approved_at__isnull=False).count() == 1


def test_r50_r51_bad_input_is_refused_with_a_code_and_changes_nothing(client, env):
    """R51: unchecked minutes are not published; R50: only an assigned checker approves;
    R49: a vote cannot be edited through the minutes."""
    s = run_meeting()
    built_with_checkers(s)
    m = s.meeting.pk
    before = counts()

    with pytest.raises(DomainError) as exc:
        workflow.publish_minutes(s.secretary, m)
    assert exc.value.code == "minutes.not_checked"
    with pytest.raises(DomainError) as exc:
        workflow.approve_minutes(s.room.user(2), m, recent_mfa=True)
    assert exc.value.code == "minutes.not_a_checker"
    with pytest.raises(DomainError) as exc:
        workflow.sign_minutes(s.room.chair, m)
    assert exc.value.code == "minutes.not_checked"
    assert counts() == before

    vote = s.votes[0]
    snapshot = list(Vote.objects.filter(pk=vote.pk).values())
    ballots = sorted(Ballot.objects.filter(vote=vote).values_list("person_id", "option"))
    mfa_session(client, s.secretary)
    before = counts()  # (logging in is audited too)
    response = client.post(reverse("minutes:narrative", args=[m]), {
        "narrative": "Kokouksen kulku.", f"item-{s.item1.pk}": "Keskustelu.",
        f"vote-{vote.pk}-jaa": "5", "decision_text": "Hylättiin.",
    })
    assert response.status_code == 400
    assert "minutes.records_not_editable" in response.content.decode()
    assert list(Vote.objects.filter(pk=vote.pk).values()) == snapshot
    assert sorted(Ballot.objects.filter(vote=vote).values_list("person_id", "option")) == ballots
    assert counts() == before
    minutes = Minutes.objects.get(meeting=s.meeting)
    assert minutes.narrative == "" and minutes.status == Minutes.Status.READY

    # A narrative-only post is accepted; the minutes must then be rebuilt before checking.
    response = client.post(reverse("minutes:narrative", args=[m]),
                           {f"item-{s.item1.pk}": "Keskustelun kuluessa kuultiin rehtoria."})
    assert response.status_code == 302
    workflow.build_minutes(s.secretary, m)
    document = workflow.document_of(Minutes.objects.get(meeting=s.meeting))
    assert "kuultiin rehtoria" in document.section(31).description_html
