"""Seed the demo municipality (idempotent). Lives in the top layer so it may use every app.

After the organisation (`meetings.demo_organisation`) it builds, through the real services and
as the real people, meetings in every state the services can reach: a closed board meeting with
an absence and an acting substitute, a decision without a vote, a named vote on a seconded
counter-proposal with dissent, a disqualification with an item substitute, and its minutes
checked, signed, sealed and published; a board meeting in session with a vote open; convened
meetings with § 100 items (answered, one transferred to a meeting by a demand); a draft; a
convened public council meeting and a council meeting with a majority election decided by lot
and a proportional election, its minutes checked; an electronic committee meeting, closed, its
minutes waiting for the checkers.

Idempotent: when the demo municipality already has meetings, nothing is created again.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.test.utils import override_settings

from meetings import demo
from meetings.demo_organisation import DEMO_LOGINS, seed_organisation
from meetings.models import AgendaItem, Body, Meeting
from meetings.services import meeting as meeting_services
from minutes import demo as minutes_demo
from voting import demo as voting_demo

SECRETARY = "sihteeri@demo.kokous.fi"
PRESENTER = "kunnanjohtaja@demo.kokous.fi"
EDU_PRESENTER = "sivistysjohtaja@demo.kokous.fi"


def board(i: int) -> str:
    return f"hallitus{i}@demo.kokous.fi"


def council(i: int) -> str:
    return f"valtuutettu{i}@demo.kokous.fi"


def committee(i: int) -> str:
    return f"sivistys{i}@demo.kokous.fi"


def _items(m: Meeting) -> list[AgendaItem]:
    return list(m.items.order_by("order", "pk"))


class Demo:
    """Builds the demo meetings; `notes` collects the summary lines."""

    def __init__(self, bodies: dict[str, Any]) -> None:
        self.bodies: dict[str, Body] = bodies
        self.secretary = demo.demo_user(SECRETARY)
        self.presenter_id = demo.demo_user(PRESENTER).person.pk
        self.sealed = minutes_demo.ensure_demo_seal(bodies["hallitus"].municipality.name_fi)
        self.notes: list[str] = []

    def note(self, m: Meeting, text: str) -> None:
        m.refresh_from_db()
        self.notes.append(
            f"{m.body.name_fi} {m.number}/{m.year} [{m.status}] (/kokoukset/{m.pk}/): {text}"
        )

    def name(self, email: str) -> str:
        return demo.demo_user(email).person.full_name

    def chair_of(self, m: Meeting) -> Any:
        return m.chair.user

    # --- Kunnanhallitus -------------------------------------------------------------------------

    def board_closed(self) -> Meeting:
        body, sec = self.bodies["hallitus"], self.secretary
        p = self.presenter_id
        m = demo.meeting_soon(body, sec, [
            {"title": "Pöytäkirjan tarkastajien valinta", "presenter_id": p,
             "description": "<p>Valitaan kaksi pöytäkirjan tarkastajaa.</p>",
             "proposal_text": f"Pöytäkirjan tarkastajiksi valitaan {self.name(board(2))} ja "
                              f"{self.name(board(3))}."},
            {"title": "Pääkirjaston peruskorjauksen lisämääräraha", "presenter_id": p,
             "diary_number": "KUNTA/88/02.02.00/2026",
             "description": "<p>Urakkatarjoukset ylittivät kustannusarvion 350 000 eurolla.</p>",
             "proposal_text": "Kunnanhallitus esittää valtuustolle 350 000 euron "
                              "lisämäärärahaa pääkirjaston peruskorjaukseen."},
            {"title": "Maankäyttösopimus, Rantakylän asemakaava-alue", "presenter_id": p,
             "diary_number": "KUNTA/41/10.02.03/2026",
             # R9, R75: remote members attest a private place before this item.
             "publicity": "partly_confidential",
             "confidentiality_basis": "JulkL 24.1 § 20 k",
             "description": "<p>Sopimus Rantakylän Kiinteistöt Oy:n kanssa.</p>",
             "proposal_text": "Kunnanhallitus hyväksyy liitteen mukaisen maankäyttösopimuksen."},
        ], method="hybrid", place="Kunnantalo, hallituksen kokoushuone")
        chair = self.chair_of(m)
        demo.gather(
            m, sec,
            absent=[(board(4), "Työmatka", True)],
            present=[(board(i), "remote" if i in (9, 10, 11) else "in_room")
                     for i in range(1, 12) if i != 4],
            others=[PRESENTER],
        )
        demo.open_now(m, chair, sec)
        first, money, land = _items(m)
        voting_demo.decide_without_vote(m, first, chair)
        jaa = {board(i): "jaa" for i in (1, 2, 5, 7, 8, 10)}
        ballots = {**jaa, board(3): "ei", board(6): "ei", board(11): "ei", board(9): "tyhja",
                   "hallitus4-vara@demo.kokous.fi": "jaa"}
        voting_demo.decide_by_named_vote(
            m, money, chair, proposer=board(3), seconder=board(6),
            text="Kunnanhallitus esittää valtuustolle 200 000 euron lisämäärärahaa; muilta osin "
                 "korjaus toteutetaan vaiheittain.",
            ballots=ballots, dissenters=[board(3), board(6)],
        )
        from meetings.services import items as item_services

        voting_demo.open_item(chair, m, land)
        demo.disqualify(
            land.pk, m, board(5), chair, sec, ground="5",
            explanation="Sopimuskumppanin hallituksen jäsen.",
        )
        item_services.close_discussion(chair, land.pk)
        from voting import services as voting_services

        voting_services.state_proposals(chair, m.pk, land.pk)
        voting_services.state_decision(chair, m.pk, land.pk)
        meeting_services.close_meeting(chair, m.pk)
        m.refresh_from_db()
        minutes = minutes_demo.demo_minutes(
            m, sec, chair, [board(2), board(3)], sealed=self.sealed
        )
        self.note(m, "pidetty: esteilmoitus ja henkilökohtainen varajäsen, etäosallistujia, "
                     "päätös ilman äänestystä, nimenhuutoäänestys vastaehdotuksesta, eriävä "
                     f"mielipide, esteellisyys ja varajäsen asiaan; {minutes}")
        return m

    def board_in_session(self) -> Meeting:
        body, sec, p = self.bodies["hallitus"], self.secretary, self.presenter_id
        m = demo.meeting_soon(body, sec, [
            {"title": "Vastaus kuntalaisaloitteeseen uimahallin aukioloajoista",
             "presenter_id": p, "description": "<p>Aloitteen allekirjoitti 312 kuntalaista.</p>",
             "proposal_text": "Kunnanhallitus pidentää uimahallin aukioloa arki-iltaisin."},
            {"title": "Kunnan elinvoimaohjelma 2027–2030", "presenter_id": p,
             "description": "<p>Ohjelmaluonnos on valmisteltu yhdessä yrittäjien kanssa.</p>",
             "proposal_text": "Kunnanhallitus hyväksyy elinvoimaohjelman ja esittää sen "
                              "valtuuston hyväksyttäväksi."},
            {"title": "Henkilöstöraportti 2026", "presenter_id": p,
             "proposal_text": "Kunnanhallitus merkitsee henkilöstöraportin tiedoksi."},
        ], minutes_from_now=30, method="hybrid", place="Kunnantalo, hallituksen kokoushuone")
        chair = self.chair_of(m)
        demo.gather(
            m, sec,
            present=[(board(i), "remote" if i in (4, 8, 9, 10) else "in_room")
                     for i in range(1, 12)],
            others=[PRESENTER],
        )
        demo.open_now(m, chair, sec)
        first, programme, _report = _items(m)
        voting_demo.decide_without_vote(m, first, chair)
        # R75: hallitus10 (remote) has not attested a private place: not eligible in this item,
        # the chair's console shows 3 / 4 and warned when the vote was opened.
        voting_demo.open_item(chair, m, programme, skip=(board(10),))
        voting_demo.counter_proposal(
            m, programme, board(2), board(7),
            "Ohjelma palautetaan valmisteluun ilmastotavoitteiden lisäämiseksi.",
        )
        vote = voting_demo.start_vote(m, programme, chair)
        voting_demo.cast(m, vote, {board(1): "jaa", board(2): "ei", board(3): "jaa",
                                   board(5): "jaa", board(7): "ei", board(9): "tyhja"})
        self.note(m, "kokous käynnissä: § ratkaistu, äänestys auki (6/10 äänestänyt, "
                     "hallitus4 voi äänestää; hallitus10 ei ole vahvistanut yksityistä paikkaa "
                     "eikä siksi äänestä, R75), yksi asia odottaa")
        return m

    def board_convened(self) -> tuple[Meeting, AgendaItem]:
        body, sec = self.bodies["hallitus"], self.secretary
        m = demo.demo_agenda(body, sec, starts_in_days=10, send=False)
        first_e = m.items.get(method="e_procedure")
        from meetings.services import agenda, notice

        second_e = agenda.add_item(sec, m.pk, **demo.e_item_fields(
            "Edustajan nimeäminen Kokousrannan Vesi Oy:n yhtiökokoukseen",
            first_e.e_deadline, "Yhtiökokousedustajaksi nimetään kunnanjohtaja.",
        ))
        notice.send_notice(sec, m.pk, late_reason="Demo-aineisto")
        demo.answer_e_item(second_e.pk, [
            (board(1), "accept"), (board(2), "accept"), (board(3), "accept"),
            (board(5), "accept"), (board(6), "accept"), (board(9), "disqualified"),
        ])
        demo.answer_e_item(first_e.pk, [
            (board(1), "accept"), (board(2), "accept"), (board(3), "accept"),
            (board(5), "accept"), (board(7), "demand"),
        ])
        m.refresh_from_db()
        self.note(m, "kutsuttu koolle: julkinen, osin salainen ja salainen asia; § 100 -asia "
                     "avoinna (6/11 vastannut), toinen siirtyi kokoukseen jäsenen vaatimuksesta")
        return m, first_e

    def board_draft(self) -> Meeting:
        m = demo.demo_draft(self.bodies["hallitus"], self.secretary)
        self.note(m, "luonnos: esityslista valmisteilla")
        return m

    # --- Kunnanvaltuusto ------------------------------------------------------------------------

    def council_closed(self) -> Meeting:
        body, sec = self.bodies["valtuusto"], self.secretary
        m = demo.meeting_soon(body, sec, [
            {"title": "Tarkastuslautakunnan puheenjohtajan vaali",
             "description": "<p>Valitaan puheenjohtaja jäljellä olevaksi toimikaudeksi.</p>"},
            {"title": "Keskusvaalilautakunnan jäsenten ja varajäsenten vaali",
             "description": "<p>Valitaan kolme jäsentä ja heille henkilökohtaiset "
                            "varajäsenet.</p>"},
            {"title": "Rantakylän osayleiskaavan tavoitteet",
             "description": "<p>Asia on valtuustossa ensimmäistä kertaa.</p>",
             "proposal_text": "Valtuusto hyväksyy osayleiskaavan tavoitteet."},
        ], method="hybrid", place="Kunnantalo, valtuustosali")
        chair = self.chair_of(m)
        present = range(1, 32)
        demo.gather(m, sec, present=[(council(i), "remote" if i % 4 == 0 else "in_room")
                                     for i in present])
        demo.open_now(m, chair, sec)
        chair_vote, board_vote, plan_goals = _items(m)
        from meetings.services import items as item_services

        item_services.open_item(chair, chair_vote.pk)
        # 30 ballots for two candidates, 14 + 14 and 3 blank: the lot decides (KL 105.4 §).
        ballots: dict[str, int | None] = {}
        for n, i in enumerate(present):
            ballots[council(i)] = None if n >= 28 else n % 2
        election = voting_demo.majority_election_with_lot(
            m, chair_vote, chair, candidates=[council(12), council(17)],
            nominators=[council(5), council(6)], ballots=ballots,
            title="Tarkastuslautakunnan puheenjohtaja",
        )
        elected = election.candidates.get(pk=election.result["elected"][0])
        item_services.close_discussion(chair, chair_vote.pk)
        item_services.state_decision(
            chair, chair_vote.pk,
            f"Tarkastuslautakunnan puheenjohtajaksi valittiin {elected.name}; äänet menivät "
            "tasan ja valinta ratkaistiin arvalla.",
        )
        item_services.open_item(chair, board_vote.pk)
        lists = {
            "Sininen lista": [(council(20), council(21)), (council(22), council(23))],
            "Keltainen lista": [(council(28), council(29))],
            "Vihreä lista": [(council(24), council(25)), (council(26), council(27))],
        }
        votes: dict[str, tuple[str, int]] = {}
        for n, i in enumerate(present):
            if n < 10:
                votes[council(i)] = ("Sininen lista", 0 if n % 3 else 1)
            elif n < 17:
                votes[council(i)] = ("Keltainen lista", 0)
            else:
                votes[council(i)] = ("Vihreä lista", 0 if n % 2 else 1)
        demanders = [council(i) for i in range(2, 10)]  # ceil(31 / (3 + 1)) = 8 (KL 105.2 §)
        election = voting_demo.proportional_election(
            m, board_vote, chair, title="Keskusvaalilautakunta", seats=3,
            demanders=demanders, lists=lists, nominator=council(3), ballots=votes,
            alliances={"Vaaliliitto Sininen–Keltainen": ["Sininen lista", "Keltainen lista"]},
        )
        names = ", ".join(
            election.candidates.get(pk=pk).name for pk in election.result["elected"]
        )
        item_services.close_discussion(chair, board_vote.pk)
        item_services.state_decision(
            chair, board_vote.pk,
            f"Keskusvaalilautakunnan jäseniksi valittiin suhteellisella vaalilla {names}.",
        )
        # R33: 31 present → ceil(31 / 4) = 8 councillors demand tabling: the proposer and 7.
        voting_demo.table_on_demand(
            m, plan_goals, chair, proposer=council(7),
            joiners=[council(i) for i in range(8, 15)],
        )
        meeting_services.close_meeting(chair, m.pk)
        minutes = minutes_demo.demo_minutes(
            m, sec, chair, [council(5), council(6)], stage="checked"
        )
        self.note(m, "pidetty: enemmistövaali tasatuloksella ja arvonnalla, suhteellinen vaali "
                     "vaatimuksesta vaaliliiton kanssa, asia pöydälle neljänneksen vaatimuksesta; "
                     f"{minutes}")
        return m

    def council_convened(self) -> Meeting:
        m = demo.demo_agenda(self.bodies["valtuusto"], self.secretary, starts_in_days=14)
        self.note(m, f"kutsuttu koolle, julkinen esityslista: /julkinen/kokoukset/{m.pk}/")
        return m

    # --- Sivistyslautakunta ---------------------------------------------------------------------

    def committee_closed(self) -> Meeting:
        body, sec = self.bodies["sivistys"], self.secretary
        p = demo.demo_user(EDU_PRESENTER).person.pk
        m = demo.meeting_soon(body, sec, [
            {"title": "Varhaiskasvatuksen palveluverkko 2027", "presenter_id": p,
             "description": "<p>Päiväkotipaikkojen tarve kasvaa Rantakylässä.</p>",
             "proposal_text": "Lautakunta hyväksyy palveluverkkosuunnitelman."},
            {"title": "Kulttuuriavustukset 2027", "presenter_id": p,
             "description": "<p>Hakemuksia saapui 23.</p>",
             "proposal_text": "Lautakunta myöntää avustukset liitteen mukaisesti."},
        ], method="electronic", place="Sähköinen kokous")
        chair = self.chair_of(m)
        demo.gather(m, sec, present=[(committee(i), "remote") for i in range(1, 10)],
                    others=[EDU_PRESENTER])
        demo.open_now(m, chair, sec)
        for item in _items(m):
            voting_demo.decide_without_vote(m, item, chair)
        meeting_services.close_meeting(chair, m.pk)
        minutes = minutes_demo.demo_minutes(
            m, sec, chair, [committee(2), committee(3)], stage="ready"
        )
        self.note(m, f"sähköinen kokous pidetty; {minutes} (sivistys2, sivistys3)")
        return m

    def committee_convened(self) -> Meeting:
        body, sec = self.bodies["sivistys"], self.secretary
        m = demo.demo_agenda(body, sec, starts_in_days=12, send=False)
        all_accept = m.items.get(method="e_procedure")
        from meetings.services import agenda, notice

        demanded = agenda.add_item(sec, m.pk, **demo.e_item_fields(
            "Koulujen lukuvuoden 2027–2028 työ- ja loma-ajat", all_accept.e_deadline,
            "Lautakunta vahvistaa liitteen mukaiset työ- ja loma-ajat.",
        ))
        notice.send_notice(sec, m.pk, late_reason="Demo-aineisto")
        demo.answer_e_item(all_accept.pk, [(committee(i), "accept") for i in range(1, 10)])
        demo.answer_e_item(demanded.pk, [
            (committee(1), "accept"), (committee(2), "accept"), (committee(3), "accept"),
            (committee(4), "demand"),
        ])
        m.refresh_from_db()
        self.note(m, "kutsuttu koolle: § 100 -asia, jonka kaikki hyväksyivät (ratkeaa "
                     "määräajan päättyessä), ja § 100 -asia, joka siirtyi kokoukseen")
        return m


class Command(BaseCommand):
    help = "Create the demo municipality Kokousranta with bodies, people, meetings and records."

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        bodies = seed_organisation()
        municipality = bodies.pop("municipality")
        if Meeting.objects.filter(body__municipality=municipality).exists():
            if options["verbosity"] >= 1:
                self.stdout.write(self.style.SUCCESS(
                    "Demo municipality ready (demo meetings exist already: nothing added)."
                ))
            return
        # The notices are real (deliveries recorded, audited); with the default console backend
        # the hundreds of e-mails with PDF attachments would only flood the terminal.
        backend = settings.EMAIL_BACKEND
        if backend.endswith("console.EmailBackend"):
            backend = "django.core.mail.backends.dummy.EmailBackend"
        with override_settings(EMAIL_BACKEND=backend), transaction.atomic():
            built = Demo(bodies)
            built.board_closed()
            built.board_in_session()
            built.board_convened()
            built.board_draft()
            built.council_closed()
            built.council_convened()
            built.committee_closed()
            built.committee_convened()
        if options["verbosity"] < 1:
            return
        self.stdout.write(self.style.SUCCESS(
            f"Demo municipality ready: {len(built.notes)} meetings "
            f"({time.monotonic() - started:.1f} s)."
        ))
        for line in built.notes:
            self.stdout.write(f"  {line}")
        self.stdout.write("  Kirjautumiset: " + ", ".join(login.email for login in DEMO_LOGINS))
