"""Appeal instructions of the minutes (*muutoksenhakuohjeet*, KL 134–141 §, R54, R55).

Every § carries exactly one instruction: a council decision a *valitusosoitus* (kunnallisvalitus,
KL 135 §), a board's or committee's decision an *oikaisuvaatimusohje* (KL 134 §), and a matter of
mere preparation or enforcement a notice of the appeal ban citing KL 136 §. The texts are
:class:`minutes.models.AppealTemplate` rows the municipality may edit; the defaults below are
seeded by a data migration.
"""

from __future__ import annotations

from typing import Any

from minutes.document import AppealInstruction, AppealKind
from minutes.models import AppealKindChoice, AppealTemplate, ItemType

COUNCIL = "council"

DEFAULT_TEMPLATES: tuple[dict[str, str], ...] = (
    {
        "kind": AppealKindChoice.OIKAISUVAATIMUS,
        "body_kind": "",
        "item_type": ItemType.DECISION,
        "title": "Oikaisuvaatimusohje",
        "provision": "KL 134 §",
        "text": (
            "Tähän päätökseen tyytymätön voi tehdä kirjallisen oikaisuvaatimuksen. Päätökseen "
            "ei saa hakea muutosta valittamalla tuomioistuimeen (KL 134 §).\n"
            "Oikaisuvaatimusoikeus: asianosainen sekä kunnan jäsen (KL 137 §).\n"
            "Oikaisuvaatimusviranomainen: päätöksen tehnyt toimielin; oikaisuvaatimus "
            "toimitetaan kunnan kirjaamoon.\n"
            "Oikaisuvaatimusaika: 14 päivää päätöksen tiedoksisaannista. Kunnan jäsenen "
            "katsotaan saaneen päätöksestä tiedon seitsemän päivän kuluttua siitä, kun "
            "pöytäkirja on asetettu nähtäväksi yleiseen tietoverkkoon (KL 140.3 §). "
            "Asianosaisen katsotaan saaneen tiedon seitsemäntenä päivänä kirjeen lähettämisestä "
            "tai sähköisen viestin lähettämistä seuraavana kolmantena päivänä.\n"
            "Oikaisuvaatimuksessa on ilmoitettava päätös, johon vaaditaan oikaisua, miten "
            "päätöstä halutaan oikaistavaksi ja millä perusteella, sekä tekijän nimi ja "
            "yhteystiedot."
        ),
    },
    {
        "kind": AppealKindChoice.KUNNALLISVALITUS,
        "body_kind": COUNCIL,
        "item_type": ItemType.DECISION,
        "title": "Valitusosoitus",
        "provision": "KL 135 §",
        "text": (
            "Tähän päätökseen tyytymätön voi hakea siihen muutosta kunnallisvalituksella "
            "hallinto-oikeudelta (KL 135 §).\n"
            "Valitusoikeus: asianosainen sekä kunnan jäsen (KL 137 §).\n"
            "Valitusperusteet: päätös on syntynyt virheellisessä järjestyksessä, päätöksen "
            "tehnyt viranomainen on ylittänyt toimivaltansa tai päätös on muuten lainvastainen.\n"
            "Valitusviranomainen: hallinto-oikeus, jonka tuomiopiiriin kunta kuuluu.\n"
            "Valitusaika: 30 päivää päätöksen tiedoksisaannista. Kunnan jäsenen katsotaan "
            "saaneen päätöksestä tiedon seitsemän päivän kuluttua siitä, kun pöytäkirja on "
            "asetettu nähtäväksi yleiseen tietoverkkoon (KL 140.3 §).\n"
            "Valitus tehdään kirjallisesti; siitä peritään tuomioistuinmaksu "
            "tuomioistuinmaksulain mukaisesti."
        ),
    },
    {
        "kind": AppealKindChoice.NONE,
        "body_kind": "",
        "item_type": ItemType.PREPARATION,
        "title": "Muutoksenhakukielto",
        "provision": "KL 136 §",
        "text": (
            "Tähän päätökseen ei saa hakea muutosta oikaisuvaatimuksella eikä "
            "kunnallisvalituksella, koska päätös koskee vain asian valmistelua tai "
            "täytäntöönpanoa (KL 136 §)."
        ),
    },
)


def item_type(item: Any) -> str:
    """An item whose ``appeal_kind`` is ``"none"`` is preparation or enforcement only."""
    return ItemType.PREPARATION if item.appeal_kind == AppealKindChoice.NONE else ItemType.DECISION


def appeal_kind_for(item: Any) -> str:
    """Oikaisuvaatimus for boards and committees, kunnallisvalitus for the council, the ban for
    preparation; an explicit ``item.appeal_kind`` wins (R54)."""
    if item.appeal_kind in AppealKindChoice.values:
        return item.appeal_kind
    if item.body.kind == COUNCIL:
        return AppealKindChoice.KUNNALLISVALITUS
    return AppealKindChoice.OIKAISUVAATIMUS


def template_for(item: Any) -> AppealTemplate | None:
    """The most specific template of the item's kind: own municipality before the default,
    exact body kind and item type before "any"; ``None`` when nothing fits."""
    kind = appeal_kind_for(item)
    municipality_id = item.body.municipality_id
    candidates = [
        t for t in AppealTemplate.objects.filter(kind=kind)
        if t.municipality_id in (None, municipality_id)
        and t.body_kind in ("", item.body.kind)
        and t.item_type in ("", item_type(item))
    ]
    if not candidates:
        return None
    return max(
        candidates,
        key=lambda t: (t.municipality_id is not None, bool(t.body_kind), bool(t.item_type), -t.pk),
    )


def instruction_for(item: Any) -> AppealInstruction | None:
    template = template_for(item)
    if template is None:
        return None
    return AppealInstruction(AppealKind(template.kind), template.text)
