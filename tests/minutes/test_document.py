"""The minutes document model and its JSON (R49: minutes from structured records)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime

import pytest

from minutes.document import (
    SCHEMA,
    AttendanceRole,
    AttendanceRow,
    ElectionCandidate,
    MinutesDocument,
    Publicity,
    Redaction,
    Section,
    Vote,
    VoteMethod,
)


def test_json_round_trip_is_lossless(sample):
    """R49: the snapshot a render job carries is exactly the document."""
    again = MinutesDocument.from_json(sample.to_json())
    assert again == sample
    assert again.to_json() == sample.to_json()


def test_json_is_canonical_and_carries_votes_with_names(sample):
    text = sample.to_json()
    data = json.loads(text)
    assert data["schema"] == SCHEMA
    assert text == json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    vote = data["minutes"]["sections"][2]["votes"][0]
    assert vote["jaa_names"] == [
        "Anna Aaltonen", "Liisa Laine", "Sari Salo", "Ulla Uusitalo", "Veikko Virta",
    ]
    assert vote["jaa"] == 5 and vote["ei"] == 2 and vote["blank"] == 1
    assert data["minutes"]["meeting"]["starts_at"] == "2026-03-16T18:00:00+02:00"


def test_from_dict_refuses_other_schema_and_unknown_fields(sample):
    data = sample.to_dict()
    with pytest.raises(ValueError, match="schema"):
        MinutesDocument.from_dict({**data, "schema": "other/9"})
    data["minutes"]["sections"][0]["surprise"] = 1
    with pytest.raises(ValueError, match="unknown fields"):
        MinutesDocument.from_dict(data)


def test_vote_names_must_match_counts():
    with pytest.raises(ValueError, match="jaa: 2 votes but 1 names"):
        Vote(1, VoteMethod.ELECTRONIC, "A vs B", "A", "B", jaa=2, ei=0, jaa_names=("X",))


def test_secret_ballot_records_no_names():
    with pytest.raises(ValueError, match="secret"):
        Vote(1, VoteMethod.SECRET_BALLOT, "A vs B", "A", "B", jaa=1, ei=0, jaa_names=("X",))
    assert not Vote(1, VoteMethod.SECRET_BALLOT, "A vs B", "A", "B", jaa=3, ei=2).named


def test_confidential_section_needs_basis():
    """R52: a confidential matter is published only as a mention with its basis."""
    with pytest.raises(ValueError, match="basis"):
        Section(number=1, heading="x", publicity=Publicity.CONFIDENTIAL)


def test_naive_datetimes_and_floats_are_refused(sample):
    with pytest.raises(ValueError, match="aware"):
        replace(sample, created_at=datetime(2026, 1, 1))
    odd = replace(
        sample.sections[4],
        elections=(replace(sample.sections[4].elections[0],
                           candidates=(ElectionCandidate("X", votes=1.5),)),),
    )
    with pytest.raises(TypeError, match="floats"):
        sample.replace(sections=(odd,)).to_json()


def test_redaction_field_and_span_are_checked():
    with pytest.raises(ValueError, match="redactable"):
        Redaction("presenter", 0, 3)
    with pytest.raises(ValueError, match="span"):
        Redaction("decision_text", 5, 5)
    assert Redaction("proposals.2.text", 0, 1).field == "proposals.2.text"


def test_present_and_absent(sample):
    assert [r.name for r in sample.absent] == ["Kaisa Koskinen", "Olli Ojala"]
    assert all(not r.absent for r in sample.present)
    substitute = next(r for r in sample.present if r.role is AttendanceRole.SUBSTITUTE)
    assert substitute == AttendanceRow("Veikko Virta", AttendanceRole.SUBSTITUTE,
                                       acting_for="Kaisa Koskinen")


def test_duplicate_section_numbers_are_refused(sample):
    with pytest.raises(ValueError, match="duplicate"):
        sample.replace(sections=(sample.sections[0], sample.sections[0]))
