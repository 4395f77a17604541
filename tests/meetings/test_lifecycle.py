"""meetings/lifecycle.py — pure state machines of meetings and items. No Django, no database.

R10 (suspend/resume/end), R24–R26 (convening), R35/R76 (opening after the chair's finding),
R16/R25 (no silent agenda edits after the notice), R17/R18 (§ 100 outcomes), R31–R33.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from meetings.lifecycle import (
    IN_SESSION_EVENTS,
    ITEM_TRANSITIONS,
    MEETING_TRANSITIONS,
    QUORUM_EVENTS,
    AgendaEdit,
    IllegalTransition,
    ItemEvent,
    ItemState,
    MeetingEvent,
    MeetingState,
    agenda_edit_mode,
    allowed_item_events,
    allowed_meeting_events,
    is_terminal_item_state,
    next_item_state,
    next_meeting_state,
)

meeting_events = st.lists(st.sampled_from(list(MeetingEvent)), max_size=40)
item_events = st.lists(st.sampled_from(list(ItemEvent)), max_size=40)


def run_meeting(events):
    state, path = MeetingState.DRAFT, [MeetingState.DRAFT]
    for ev in events:
        try:
            state = next_meeting_state(state, ev)
        except IllegalTransition:
            continue
        path.append(state)
    return state, path


def test_the_happy_path_r24_r35_r76():
    state = MeetingState.DRAFT
    for ev in ["convene", "open", "suspend", "resume", "close", "check_minutes", "publish"]:
        state = next_meeting_state(state, ev)
    assert state is MeetingState.PUBLISHED


@pytest.mark.parametrize(
    ("state", "event"),
    [
        ("draft", "open"),  # R24/R35: a meeting never convened cannot be opened
        ("draft", "close"),
        ("convened", "close"),  # not opened, so not ended either
        ("convened", "convene"),  # no second notice
        ("in_session", "publish"),
        ("closed", "open"),  # no reopening
        ("suspended", "suspend"),
        ("published", "close"),
    ],
)
def test_illegal_meeting_transitions_are_refused(state, event):
    with pytest.raises(IllegalTransition) as info:
        next_meeting_state(state, event)
    assert info.value.state == state and info.value.event == event


@given(meeting_events)
def test_any_event_sequence_follows_the_order_of_the_law(events):
    """Whatever is tried, a meeting is convened before it opens, opened before it closes, and
    closed before its minutes are checked and published (R24, R35, R76)."""
    _, path = run_meeting(events)
    order = [MeetingState.DRAFT, MeetingState.CONVENED, MeetingState.IN_SESSION,
             MeetingState.CLOSED, MeetingState.MINUTES_CHECKED, MeetingState.PUBLISHED]
    firsts = [path.index(s) for s in order if s in path]
    assert firsts == sorted(firsts)
    assert [s for s in order if s in path] == order[: len(firsts)]
    if MeetingState.SUSPENDED in path:
        assert path.index(MeetingState.IN_SESSION) < path.index(MeetingState.SUSPENDED)


@given(meeting_events)
def test_agenda_edit_mode_never_loosens_r16_r25(events):
    """Free → amendment-only → locked, never back: after the notice no silent edit."""
    _, path = run_meeting(events)
    rank = {AgendaEdit.FREE: 0, AgendaEdit.AMENDMENT: 1, AgendaEdit.LOCKED: 2}
    ranks = [rank[agenda_edit_mode(s)] for s in path]
    assert ranks == sorted(ranks)


def test_agenda_edit_modes():
    assert agenda_edit_mode("draft") is AgendaEdit.FREE
    for s in ("convened", "in_session", "suspended"):
        assert agenda_edit_mode(s) is AgendaEdit.AMENDMENT
    for s in ("closed", "minutes_checked", "published"):
        assert agenda_edit_mode(s) is AgendaEdit.LOCKED


@given(st.sampled_from(list(MeetingState)), st.sampled_from(list(MeetingEvent)))
def test_transition_table_and_allowed_events_agree(state, event):
    allowed = event in allowed_meeting_events(state)
    try:
        to = next_meeting_state(state, event)
    except IllegalTransition:
        assert not allowed
    else:
        assert allowed and MEETING_TRANSITIONS[(state, event)] is to


def test_unknown_names_are_errors():
    with pytest.raises(ValueError):
        next_meeting_state("draft", "explode")
    with pytest.raises(ValueError):
        next_item_state("nonsense", "open")


# --- items ---------------------------------------------------------------------------------------


def run_item(start, events):
    state, path = start, [start]
    for ev in events:
        try:
            state = next_item_state(state, ev)
        except IllegalTransition:
            continue
        path.append(state)
    return state, path


@given(item_events)
def test_an_item_is_decided_only_after_discussion_closes_r31(events):
    """In a meeting the base proposal is fixed when discussion closes; a decision always
    comes after that (R31, R32)."""
    _, path = run_item(ItemState.PENDING, events)
    if ItemState.DECIDED in path and ItemState.E_PROCEDURE_OPEN not in path:
        assert ItemState.DISCUSSION_CLOSED in path[: path.index(ItemState.DECIDED)]


@given(item_events)
def test_e_procedure_items_end_decided_transferred_or_withdrawn_r17_r18(events):
    state, path = run_item(ItemState.E_PROCEDURE_OPEN, events)
    assert set(path) <= {ItemState.E_PROCEDURE_OPEN, ItemState.DECIDED, ItemState.TRANSFERRED,
                         ItemState.WITHDRAWN}
    assert len(path) <= 2  # one outcome, then terminal


@given(st.sampled_from(list(ItemState)))
def test_terminal_states_have_no_way_out(state):
    assert is_terminal_item_state(state) == (not any(s is state for (s, _e) in ITEM_TRANSITIONS))


def test_quorum_and_session_events_r35():
    assert {ItemEvent.START_VOTE, ItemEvent.DECIDE} == QUORUM_EVENTS
    assert ItemEvent.E_DECIDE not in IN_SESSION_EVENTS  # § 100 runs before the meeting
    assert ItemEvent.WITHDRAW not in IN_SESSION_EVENTS
    assert set(allowed_item_events("voting")) == {ItemEvent.CANCEL_VOTE, ItemEvent.DECIDE}
