"""Demo content for the voting layer, built through the services (demo only, used by
`seed_demo`): decisions without a vote, seconded counter-proposals with named votes, dissent,
an open vote for the live room, elections (majority with a tie drawn by lot, proportional with
an electoral alliance) and a council item tabled on a quarter's demand (R33).

Every step is the real service called as the real person (the chair states, members propose,
second and vote), so the audit log and the voting records are exactly what a meeting produces.
"""

from __future__ import annotations

from typing import Any

from meetings.demo import attest_private_place, demo_user
from meetings.models import AgendaItem, Meeting, Person
from meetings.services import items as item_services
from voting import services
from voting.models import Election, Proposal, Vote


def open_item(chair: Any, m: Meeting, item: AgendaItem, *, skip: tuple[str, ...] = ()) -> None:
    """The chair takes the item up; in a closed item the remote participants attest a private
    place (R9, R75; those in `skip` do not, and so do not take part)."""
    item_services.open_item(chair, item.pk)
    attest_private_place(m, item.pk, skip=skip)


def decide_without_vote(m: Meeting, item: AgendaItem, chair: Any) -> Any:
    """The chair opens the item, closes the discussion, states that only the base proposal
    stands and states the decision (R40: no vote needed)."""
    open_item(chair, m, item)
    item_services.close_discussion(chair, item.pk)
    services.state_proposals(chair, m.pk, item.pk)
    return services.state_decision(chair, m.pk, item.pk)


def counter_proposal(
    m: Meeting, item: AgendaItem, proposer: str, seconder: str, text: str
) -> Proposal:
    """A member makes a counter-proposal and another seconds it (R40)."""
    proposal = services.make_proposal(demo_user(proposer), m.pk, item.pk, "counter", text)
    services.second_proposal(demo_user(seconder), m.pk, proposal.pk)
    return proposal


def start_vote(m: Meeting, item: AgendaItem, chair: Any) -> Vote:
    """Close the discussion, state the proposals, propose and approve the order, open the first
    vote (R40, R43)."""
    item_services.close_discussion(chair, item.pk)
    services.state_proposals(chair, m.pk, item.pk)
    services.propose_order(chair, m.pk, item.pk)
    services.approve_order(chair, m.pk, item.pk)
    return services.open_vote(chair, m.pk, item.pk)


def cast(m: Meeting, vote: Vote, ballots: dict[str, str]) -> None:
    """Named ballots jaa / ei / tyhja (R42, R44), each cast by the member."""
    for email, option in ballots.items():
        services.cast_ballot(demo_user(email), m.pk, vote.pk, option)


def decide_by_named_vote(
    m: Meeting, item: AgendaItem, chair: Any, *, proposer: str, seconder: str, text: str,
    ballots: dict[str, str], dissenters: list[str],
) -> Any:
    """A counter-proposal seconded, a named vote, the decision, dissent registered by those
    entitled (R40–R47), and the dissent window closed by the chair."""
    open_item(chair, m, item)
    counter_proposal(m, item, proposer, seconder, text)
    vote = start_vote(m, item, chair)
    cast(m, vote, ballots)
    services.close_vote(chair, m.pk, vote.pk)
    decision = services.state_decision(chair, m.pk, item.pk)
    for email in dissenters:
        services.register_dissent(demo_user(email), m.pk, item.pk)
    services.close_dissent_window(chair, m.pk, item.pk)
    if dissenters:
        services.attach_dissent_reasons(
            demo_user(dissenters[0]), m.pk, item.pk,
            "Lisämääräraha on tarpeeton: korjaus voidaan toteuttaa vaiheittain.",
        )
    return decision


def _person(email: str) -> Person:
    return demo_user(email).person


def majority_election_with_lot(
    m: Meeting, item: AgendaItem, chair: Any, *, candidates: list[str], nominators: list[str],
    ballots: dict[str, int | None], title: str,
) -> Election:
    """A majority election by closed ballot; `ballots` maps a voter to the index of a candidate
    (None = blank). Equal votes are drawn by lot with the seed committed at opening (R45)."""
    election = services.create_election(
        chair, m.pk, item.pk, title=title, seats=1, closed_ballot=True
    )
    nominated = [
        services.nominate_candidate(
            demo_user(nominator), m.pk, election.pk, person_id=_person(email).pk
        )
        for email, nominator in zip(candidates, nominators, strict=True)
    ]
    services.open_election(chair, m.pk, election.pk)
    for voter, index in ballots.items():
        choice = "blank" if index is None else nominated[index].pk
        services.cast_election_ballot(demo_user(voter), m.pk, election.pk, choice)
    return services.close_election(chair, m.pk, election.pk)


def proportional_election(
    m: Meeting, item: AgendaItem, chair: Any, *, title: str, seats: int, demanders: list[str],
    lists: dict[str, list[tuple[str, str]]], nominator: str, ballots: dict[str, tuple[str, int]],
    alliances: dict[str, list[str]] | None = None,
) -> Election:
    """A proportional election on demand (KL 105.2 §): enough members demand it, candidates on
    lists, electoral alliances of lists registered before opening, closed ballots, comparison
    numbers (R45). `lists` maps a list name to (candidate email, substitute email) pairs;
    `alliances` an alliance name to list names; `ballots` maps a voter to (list name, index)."""
    election = services.create_election(
        chair, m.pk, item.pk, title=title, seats=seats, personal_substitutes=True
    )
    for email in demanders:
        services.demand(demo_user(email), m.pk, election.pk, "proportional")
    nominated: dict[str, list[Any]] = {}
    for name, pairs in lists.items():
        candidate_list = services.add_candidate_list(chair, m.pk, election.pk, name)
        nominated[name] = [
            services.nominate_candidate(
                demo_user(nominator), m.pk, election.pk, person_id=_person(member).pk,
                substitute_person_id=_person(sub).pk, list_id=candidate_list.pk,
            )
            for member, sub in pairs
        ]
    by_name = {cl.name: cl.pk for cl in election.lists.all()}
    for alliance, members in (alliances or {}).items():
        services.add_electoral_alliance(
            chair, m.pk, election.pk, alliance, [by_name[n] for n in members]
        )
    services.open_election(chair, m.pk, election.pk)
    for voter, (name, index) in ballots.items():
        services.cast_election_ballot(
            demo_user(voter), m.pk, election.pk, nominated[name][index].pk
        )
    return services.close_election(chair, m.pk, election.pk)


def table_on_demand(
    m: Meeting, item: AgendaItem, chair: Any, *, proposer: str, joiners: list[str]
) -> Any:
    """Council, first-time item: a councillor moves to table it, others join the demand until a
    quarter of those present demand it; the chair states it tabled without a vote (R33)."""
    open_item(chair, m, item)
    motion = services.make_proposal(
        demo_user(proposer), m.pk, item.pk, "procedural", "", procedural_kind="table"
    )
    for email in joiners:
        services.join_tabling_demand(demo_user(email), m.pk, motion.pk)
    item_services.close_discussion(chair, item.pk)
    services.state_proposals(chair, m.pk, item.pk)
    return services.state_decision(chair, m.pk, item.pk)
