"""State changes of the voting app, one check_/do_ pair per change (docs/contributing.md).

The public wrappers below run both halves in one transaction; other apps call these:

* live room: `cast_ballot`, `open_vote`, `close_vote`, `chair_choice`, `note_connection_change`,
  `cast_election_ballot`;
* chair console: `state_proposals`, `propose_order`, `approve_order`, `state_decision`,
  `close_dissent_window`, and the election steps.
"""

from voting.services.decisions import (
    attach_dissent_reasons,
    close_dissent_window,
    register_dissent,
    state_decision,
)
from voting.services.elections import (
    add_candidate_list,
    cast_election_ballot,
    close_election,
    create_election,
    demand,
    nominate_candidate,
    open_election,
)
from voting.services.order import approve_order, propose_order, state_proposals
from voting.services.proposals import make_proposal, second_proposal, withdraw_proposal
from voting.services.votes import (
    ballot_receipt,
    cast_ballot,
    chair_choice,
    close_vote,
    note_connection_change,
    open_vote,
)

__all__ = [
    "add_candidate_list", "approve_order", "attach_dissent_reasons", "ballot_receipt",
    "cast_ballot", "cast_election_ballot", "chair_choice", "close_dissent_window",
    "close_election", "close_vote", "create_election", "demand", "make_proposal",
    "nominate_candidate", "note_connection_change", "open_election", "open_vote",
    "propose_order", "register_dissent", "second_proposal", "state_decision",
    "state_proposals", "withdraw_proposal",
]
