"""State changes of the voting app, one check_/do_ pair per change (docs/contributing.md).

The public wrappers below run both halves in one transaction; other apps call these:

* live room: `cast_ballot`, `open_vote`, `close_vote`, `chair_choice`, `note_connection_change`,
  `cast_election_ballot`;
* chair console: `state_proposals`, `propose_order`, `approve_order`, `state_decision`,
  `close_dissent_window`, and the election steps.
"""

from typing import Any

from django.db import transaction

from voting.services import elections as _elections
from voting.services import votes as _votes
from voting.services.decisions import (
    attach_dissent_reasons,
    close_dissent_window,
    register_dissent,
    state_decision,
)
from voting.services.elections import (
    add_candidate_list,
    add_electoral_alliance,
    cast_election_ballot,
    close_election,
    create_election,
    demand,
    election_chair_choice,
    nominate_candidate,
    open_election,
)
from voting.services.order import approve_order, propose_order, state_proposals
from voting.services.proposals import (
    join_tabling_demand,
    make_proposal,
    second_proposal,
    withdraw_proposal,
)
from voting.services.votes import (
    ballot_receipt,
    cast_ballot,
    chair_choice,
    close_vote,
    open_vote,
)


def note_connection_change(participant: Any) -> list[Any]:
    """The live room's one call when a participant's connection state changed (R72): the same
    rule (`procedure.connection_change_effect`) marks the running votes and elections in
    which the participant votes; returns the votes, then the elections, that were marked."""
    with transaction.atomic():
        return [*_votes.note_connection_change(participant),
                *_elections.note_connection_change(participant)]


__all__ = [
    "add_candidate_list", "add_electoral_alliance", "approve_order", "attach_dissent_reasons",
    "ballot_receipt", "cast_ballot", "cast_election_ballot", "chair_choice",
    "close_dissent_window", "close_election", "close_vote", "create_election", "demand",
    "election_chair_choice", "join_tabling_demand", "make_proposal", "nominate_candidate",
    "note_connection_change", "open_election", "open_vote", "propose_order", "register_dissent",
    "second_proposal", "state_decision", "state_proposals", "withdraw_proposal",
]
