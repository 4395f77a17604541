"""Error codes of the voting app, with their Finnish messages (Saleor-style code list).

Raise with `raise voting_error("vote.closed")`. Codes are stable: tests, JSON clients and the
audit trail rely on them; messages are translated. The class decides the HTTP status: 400 bad
input, 403 not allowed, 404 not found, 409 wrong state. Codes of `voting.procedure`
(`ProcedureError.code`) are mapped here too, so a view never shows a developer message.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from kokous.errors import Conflict, DomainError, NotFound, PermissionDenied

_BAD = DomainError
_FORBIDDEN = PermissionDenied
_MISSING = NotFound
_STATE = Conflict

CODES: dict[str, tuple[type[DomainError], Any]] = {
    # --- requests ------------------------------------------------------------------------------
    "request.malformed_json": (_BAD, _("Pyynnön sisältö ei ole kelvollista JSONia.")),
    "request.unknown_action": (_MISSING, _("Tuntematon toiminto.")),
    "request.bad_parameter": (_BAD, _("Virheellinen tai puuttuva kenttä: %(field)s.")),
    # --- who may act (R29, R37, R72) -----------------------------------------------------------
    "member.not_acting": (
        _FORBIDDEN,
        _("Vain toimielimen jäsen tai jäsenen sijasta toimiva varajäsen voi tehdä tämän (R29)."),
    ),
    "member.disqualified": (
        _FORBIDDEN, _("Olet esteellinen tässä asiassa etkä voi osallistua sen käsittelyyn (R37)."),
    ),
    "member.not_present": (
        _FORBIDDEN,
        _("Et ole läsnä (tai yhteytesi on katkennut tai odottaa vahvistusta) tässä asiassa (R72)."),
    ),
    "handling.chair_only": (_FORBIDDEN, _("Vain kokouksen puheenjohtaja voi tehdä tämän (R76).")),
    "handling.item_not_found": (_MISSING, _("Asiaa ei löydy.")),
    "handling.not_in_session": (_STATE, _("Kokous ei ole käynnissä.")),
    "handling.discussion_not_open": (
        _STATE, _("Ehdotuksia voi tehdä ja kannattaa vain asian keskustelun aikana."),
    ),
    "handling.discussion_not_closed": (_STATE, _("Keskustelu ei ole vielä päättynyt (R40).")),
    "handling.no_base_proposal": (
        _STATE, _("Asialla ei ole pohjaehdotusta; se vahvistetaan keskustelun päättyessä (R32)."),
    ),
    "handling.proposals_not_stated": (
        _STATE,
        _("Puheenjohtaja ei ole vielä todennut äänestettävät ja raukeavat ehdotukset (R40)."),
    ),
    # --- proposals and seconding (R31–R33, R40) -------------------------------------------------
    "proposal.not_found": (_MISSING, _("Ehdotusta ei löydy.")),
    "proposal.text_required": (_BAD, _("Ehdotuksen teksti puuttuu.")),
    "proposal.bad_kind": (_BAD, _("Tuntematon ehdotuksen laji.")),
    "proposal.bad_procedural_kind": (
        _BAD, _("Menettelyehdotus on joko pöydällepano- tai palautusehdotus (R33)."),
    ),
    "proposal.is_base": (
        _BAD, _("Pohjaehdotusta ei tarvitse kannattaa eikä sitä voi perua tässä (R31)."),
    ),
    "proposal.own": (
        _BAD, _("Omaa ehdotusta ei voi kannattaa; kannattajan on oltava toinen jäsen."),
    ),
    "proposal.withdrawn": (_STATE, _("Ehdotus on peruttu.")),
    "proposal.not_proposer": (_FORBIDDEN, _("Vain ehdotuksen tekijä voi perua ehdotuksen.")),
    # --- voting order (R40, R43) ----------------------------------------------------------------
    "order.not_proposed": (_STATE, _("Äänestysjärjestystä ei ole vielä ehdotettu.")),
    "order.already_approved": (_STATE, _("Äänestysjärjestys on jo hyväksytty.")),
    "order.not_approved": (
        _STATE, _("Toimielin ei ole vielä hyväksynyt äänestysjärjestystä (R40)."),
    ),
    "order.invalid": (_BAD, _("Äänestysjärjestys ei kelpaa: %(codes)s.")),
    "order.malformed": (_BAD, _("Äänestysjärjestyksen muoto on virheellinen.")),
    "order.bad_method": (_BAD, _("Tuntematon äänestystapa.")),
    "order.not_needed": (
        _STATE, _("Äänestystä ei tarvita: mikään kannatettu ehdotus ei poikkea pohjaehdotuksesta."),
    ),
    # --- votes (R41–R44, R72) -------------------------------------------------------------------
    "vote.not_found": (_MISSING, _("Äänestystä ei löydy.")),
    "vote.unknown_option": (_BAD, _("Tuntematon vaihtoehto: valitse jaa, ei tai tyhjä.")),
    "vote.closed": (_STATE, _("Äänestys on päättynyt.")),
    "vote.paused": (_STATE, _("Puheenjohtaja on keskeyttänyt äänestyksen.")),
    "vote.not_eligible": (
        _FORBIDDEN, _("Et ollut äänioikeutettu, kun tämä äänestys alkoi (R29, R72)."),
    ),
    "vote.ballot_final": (
        _STATE, _("Annettua ääntä ei voi muuttaa tämän toimielimen säännöillä."),
    ),
    "vote.already_open": (_STATE, _("Asiassa on jo käynnissä oleva äänestys.")),
    "vote.bad_step": (_BAD, _("Äänestysjärjestyksessä ei ole äänestystä %(step)s.")),
    "vote.step_not_ready": (
        _STATE, _("Äänestykset toimitetaan hyväksytyssä järjestyksessä; edellinen on kesken."),
    ),
    "vote.step_done": (_STATE, _("Tämä äänestys on jo toimitettu.")),
    "vote.handling_ended": (
        _STATE,
        _("Menettelyehdotus hyväksyttiin: asian käsittely päättyi, äänestyksiä ei jatketa."),
    ),
    "vote.needs_chair_decision": (
        _STATE,
        _("Äänioikeutetun yhteys muuttui äänestyksen aikana: puheenjohtajan on valittava, "
          "jatketaanko, keskeytetäänkö vai uusitaanko äänestys (R72)."),
    ),
    "vote.tie_needs_chair": (
        _STATE,
        _("Äänet menivät tasan eikä puheenjohtaja äänestänyt jaa tai ei: äänestystä ei voi sulkea "
          "ilman puheenjohtajan ratkaisua (KL 104.2 §, R41)."),
    ),
    "vote.bad_choice": (_BAD, _("Valitse jatka, keskeytä tai uusi.")),
    "vote.choice_not_needed": (_STATE, _("Äänestys ei odota puheenjohtajan ratkaisua.")),
    # --- decision and dissent (R40, R46, R47) ---------------------------------------------------
    "decision.votes_pending": (_STATE, _("Kaikkia äänestyksiä ei ole toimitettu.")),
    "decision.already_stated": (_STATE, _("Päätös on jo todettu.")),
    "decision.not_stated": (_STATE, _("Päätöstä ei ole vielä todettu.")),
    "decision.vote_needed": (
        _STATE, _("Kannatettuja vastaehdotuksia on: päätös syntyy äänestyksellä (R40)."),
    ),
    "dissent.not_entitled": (
        _FORBIDDEN,
        _("Eriävän mielipiteen voi ilmoittaa vastaehdotuksen tehnyt, päätöstä vastaan äänestänyt "
          "tai esittelijä, jos päätös poikkeaa hänen ehdotuksestaan (KL 106 §)."),
    ),
    "dissent.window_closed": (
        _STATE, _("Eriävä mielipide on ilmoitettava heti päätöksen jälkeen; aika on päättynyt."),
    ),
    "dissent.not_found": (_MISSING, _("Eriävää mielipidettä ei löydy.")),
    "dissent.reasons_closed": (
        _STATE, _("Pöytäkirja on tarkastettu: perusteluja ei voi enää liittää (KL 106.1 §)."),
    ),
    "dissent.reasons_required": (_BAD, _("Kirjoita perustelut.")),
    # --- elections (R45, R12) -------------------------------------------------------------------
    "election.not_found": (_MISSING, _("Vaalia ei löydy.")),
    "election.title_required": (_BAD, _("Vaalin nimi puuttuu.")),
    "election.bad_kind": (_BAD, _("Tuntematon vaalitapa.")),
    "election.bad_seats": (_BAD, _("Valittavien määrän on oltava vähintään yksi.")),
    "election.closed_ballot_unavailable": (
        _BAD,
        _("Suljettu lippuäänestys järjestelmässä on mahdollinen vain sähköisessä ja "
          "hybridikokouksessa, joissa vaalisalaisuus on turvattu (KL 105.5 §, R12)."),
    ),
    "election.proportional_needs_closed_ballot": (
        _BAD, _("Suhteellinen vaali toimitetaan aina suljetuin lipuin (KL 105.4 §)."),
    ),
    "election.not_nominating": (_STATE, _("Ehdokasasettelu on päättynyt.")),
    "election.not_open": (_STATE, _("Vaali ei ole käynnissä.")),
    "election.not_eligible": (
        _FORBIDDEN, _("Et ollut äänioikeutettu, kun tämä vaali alkoi (R29, R72)."),
    ),
    "election.already_voted": (_STATE, _("Olet jo äänestänyt tässä vaalissa.")),
    "election.unknown_candidate": (_BAD, _("Tuntematon ehdokas.")),
    "election.candidate_required": (_BAD, _("Ehdokkaan nimi puuttuu.")),
    "election.substitute_required": (
        _BAD,
        _("Henkilökohtainen varajäsen asetetaan ehdolle parina jäsenen kanssa (KL 105.3 §)."),
    ),
    "election.list_not_found": (_MISSING, _("Ehdokaslistaa ei löydy.")),
    "election.list_required": (_BAD, _("Suhteellisessa vaalissa ehdokas kuuluu listalle.")),
    "election.no_candidates": (_STATE, _("Vaalissa ei ole ehdokkaita.")),
    "election.demand_not_applicable": (_STATE, _("Vaatimusta ei voi enää esittää tässä vaalissa.")),
    "election.bad_demand": (_BAD, _("Tuntematon vaatimus.")),
    "election.bad_seed": (_STATE, _("Arvonnan siemen puuttuu.")),
    "election.bad_votes": (_STATE, _("Vaalin äänimäärät ovat virheelliset.")),
    "election.duplicate_candidate": (_BAD, _("Sama ehdokas on asetettu kahdesti.")),
    "election.bad_alliance": (_BAD, _("Virheellinen vaaliliitto.")),
    "election.unknown_pair": (_BAD, _("Ehdokkaalta puuttuu varajäsenpari.")),
    "election.bad_present": (_STATE, _("Läsnä olevia ei ole.")),
    "election.paused": (_STATE, _("Vaali on keskeytetty; puheenjohtaja päättää jatkosta.")),
    "election.needs_chair_decision": (
        _STATE,
        _("Äänioikeutetun yhteys muuttui vaalin aikana: puheenjohtajan on valittava jatka, "
          "keskeytä tai uusi vaali ennen vaalin päättämistä (R72)."),
    ),
    "election.choice_not_needed": (_STATE, _("Vaali ei odota puheenjohtajan ratkaisua.")),
    "election.staff_only": (
        _FORBIDDEN, _("Vain puheenjohtaja tai sihteeri voi kirjata ehdokaslistat ja vaaliliitot."),
    ),
    "election.duplicate_list": (_BAD, _("Vaalissa on jo samanniminen ehdokaslista.")),
    "election.duplicate_alliance": (_BAD, _("Vaalissa on jo samanniminen vaaliliitto.")),
    "election.alliance_needs_lists": (
        _BAD, _("Vaaliliittoon kuuluu vähintään kaksi tämän vaalin ehdokaslistaa (R45)."),
    ),
    "election.list_in_alliance": (
        _STATE, _("Ehdokaslista kuuluu jo vaaliliittoon; lista voi kuulua vain yhteen liittoon."),
    ),
    "tabling.not_table_motion": (_BAD, _("Ehdotus ei ole pöydällepanoehdotus.")),
    "tabling.not_applicable": (
        _STATE,
        _("Pöydällepanovaatimus ilman äänestystä koskee vain valtuustossa ensimmäistä kertaa "
          "käsiteltävää asiaa (R33)."),
    ),
    "tabling.bad_present": (_STATE, _("Läsnä olevia valtuutettuja ei ole.")),
    "tabling.bad_fraction": (_STATE, _("Pöydällepanovaatimuksen osuus on virheellinen.")),
}

# Codes of voting.procedure that reach users are shown with one of these messages.
_PROCEDURE_FALLBACK: tuple[type[DomainError], Any] = (
    _BAD, _("Äänestysmenettelyn sääntö estää toimenpiteen (%(code)s)."),
)


def voting_error(code: str, **params: Any) -> DomainError:
    """The `DomainError` subclass instance for `code` (unknown codes are a programming error)."""
    cls, message = CODES[code]
    return cls(code, message, **params)


def from_procedure(exc: Any) -> DomainError:
    """Turn a `voting.procedure.ProcedureError` into a translated `DomainError` (same code)."""
    if exc.code in CODES:
        cls, message = CODES[exc.code]
        try:
            return cls(exc.code, message, **{k: str(v) for k, v in exc.params.items()})
        except (KeyError, TypeError, ValueError):
            return cls(exc.code, message)
    cls, message = _PROCEDURE_FALLBACK
    return cls(exc.code, message, code=exc.code)
