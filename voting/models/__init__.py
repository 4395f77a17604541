"""Models of the voting app (KL 104–106 §, R31–R33, R40–R47, R12, R72), one module per subject."""

from voting.models.dissent import Dissent, DissentGround
from voting.models.elections import (
    Candidate,
    CandidateList,
    Election,
    ElectionBallot,
    ElectionDemand,
    ElectionDemandKind,
    ElectionKind,
    ElectionParticipation,
    ElectionStatus,
    ElectoralAlliance,
)
from voting.models.handling import Decision, VotingMethod, VotingOrder
from voting.models.proposals import (
    ProceduralKind,
    Proposal,
    ProposalKind,
    Seconding,
    TablingDemand,
)
from voting.models.votes import (
    Ballot,
    BallotOption,
    BallotRevision,
    ChairChoice,
    ChairChoiceKind,
    Vote,
    VoteAttentionReason,
    VoteStatus,
)

__all__ = [
    "Ballot", "BallotOption", "BallotRevision", "Candidate", "CandidateList", "ChairChoice",
    "ChairChoiceKind", "Decision", "Dissent", "DissentGround", "Election", "ElectionBallot",
    "ElectionDemand", "ElectionDemandKind", "ElectionKind", "ElectionParticipation",
    "ElectionStatus", "ElectoralAlliance", "ProceduralKind", "Proposal", "ProposalKind",
    "Seconding", "TablingDemand", "Vote",
    "VoteAttentionReason", "VoteStatus", "VotingMethod", "VotingOrder",
]
