"""Forms of the meetings pages: parsing and rendering only; the rules live in the services."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from meetings.models import (
    DisqualificationGround,
    EPosition,
    ItemMethod,
    MeetingMethod,
    Person,
    Publicity,
)


class PageForm(forms.Form):
    """A form shown beside others on one page: its own id prefix, so ids stay unique (WCAG)."""

    id_prefix = "f"

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: object) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class MeetingForm(forms.Form):
    body = forms.ChoiceField(label=_("Toimielin"))
    starts_at = forms.DateTimeField(label=_("Alkamisaika"), widget=LocalDateTimeInput())
    place = forms.CharField(label=_("Paikka"), max_length=200, required=False)
    method = forms.ChoiceField(label=_("Kokousmuoto"), choices=MeetingMethod.choices)
    video_url = forms.URLField(
        label=_("Videoyhteyden osoite"), required=False, assume_scheme="https",
        help_text=_("Pakollinen sähköisessä ja hybridikokouksessa (R14)."),
    )
    is_public = forms.BooleanField(
        label=_("Julkinen kokous (KL 101 §)"), required=False,
        help_text=_("Valtuuston kokoukset ovat aina julkisia."),
    )
    public_viewing = forms.CharField(
        label=_("Yleisön seurantapaikka tai -linkki"), max_length=300, required=False
    )
    amendment_reason = forms.CharField(
        label=_("Muutoksen syy (kutsun lähettämisen jälkeen)"), required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: object, bodies: list | None = None, editing: bool = False,
                 **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["body"]
        else:
            self.fields["body"].choices = [
                (b.pk, f"{b.name_fi} ({b.municipality})") for b in bodies or []
            ]
            del self.fields["amendment_reason"]


class ItemForm(forms.Form):
    title = forms.CharField(label=_("Otsikko"), max_length=300)
    section_number = forms.IntegerField(
        label=_("Pykälä"), required=False, min_value=1,
        help_text=_("Jätä tyhjäksi: seuraava vapaa numero annetaan automaattisesti."),
    )
    diary_number = forms.CharField(label=_("Diaarinumero"), max_length=60, required=False)
    presenter_id = forms.ChoiceField(label=_("Esittelijä"), required=False)
    preparer_id = forms.ChoiceField(label=_("Valmistelija"), required=False)
    description = forms.CharField(
        label=_("Selostus (jäsenversio)"), required=False, widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Sallittu HTML: kappaleet, lihavointi, luettelot, taulukot, linkit."),
    )
    public_description = forms.CharField(
        label=_("Julkinen selostus"), required=False, widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Verkossa julkaistava versio ilman salassa pidettäviä tietoja ja tarpeettomia "
                    "henkilötietoja (KL 29.2 §)."),
    )
    proposal_text = forms.CharField(
        label=_("Esittelijän ehdotus"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    method = forms.ChoiceField(label=_("Päätöksentekotapa"), choices=ItemMethod.choices)
    e_deadline = forms.DateTimeField(
        label=_("Sähköisen käsittelyn määräaika"), required=False, widget=LocalDateTimeInput(),
        help_text=_("Suomen aikaa; vain sähköisessä päätöksentekomenettelyssä (KL 100.2 §)."),
    )
    publicity = forms.ChoiceField(label=_("Julkisuus"), choices=Publicity.choices)
    confidentiality_basis = forms.CharField(
        label=_("Salassapitoperuste"), max_length=200, required=False,
        help_text=_("Esim. JulkL 24.1 § 25 k"),
    )
    is_closed_handling = forms.BooleanField(label=_("Käsitellään suljettuna"), required=False)
    amendment_reason = forms.CharField(
        label=_("Muutoksen syy (kutsun lähettämisen jälkeen)"), required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: object, municipality_id: int | None = None, editing: bool = False,
                 **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        people = Person.objects.filter(municipality_id=municipality_id).order_by(
            "last_name", "first_name"
        )
        choices = [("", "—")] + [(p.pk, p.full_name) for p in people]
        self.fields["presenter_id"].choices = choices
        self.fields["preparer_id"].choices = choices
        if editing:
            del self.fields["proposal_text"]


class ProposalForm(PageForm):
    id_prefix = "proposal"
    text = forms.CharField(
        label=_("Ehdotuksen uusi versio"), widget=forms.Textarea(attrs={"rows": 4})
    )
    amendment_reason = forms.CharField(label=_("Muutoksen syy"), required=False)


class AttachmentForm(PageForm):
    id_prefix = "attachment"
    title = forms.CharField(label=_("Liitteen nimi"), max_length=200, required=False)
    file = forms.FileField(label=_("Tiedosto"))
    publicity = forms.ChoiceField(label=_("Julkisuus"), choices=Publicity.choices)
    confidentiality_basis = forms.CharField(
        label=_("Salassapitoperuste"), max_length=200, required=False
    )
    amendment_reason = forms.CharField(label=_("Muutoksen syy"), required=False)


class NoticeForm(PageForm):
    id_prefix = "notice"
    late_reason = forms.CharField(
        label=_("Myöhästymisen syy (jos kutsu lähtee määräajan jälkeen)"), required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class LegalityForm(PageForm):
    id_prefix = "legality"
    legality_finding = forms.CharField(
        label=_("Laillisuuden ja päätösvaltaisuuden toteaminen"),
        widget=forms.Textarea(attrs={"rows": 3}),
        initial=_("Kokous todettiin laillisesti koolle kutsutuksi ja päätösvaltaiseksi."),
    )


class ReasonForm(PageForm):
    id_prefix = "reason"
    reason = forms.CharField(label=_("Syy"), required=False, max_length=500)


class DecisionForm(PageForm):
    id_prefix = "decision"
    decision_text = forms.CharField(
        label=_("Päätös"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Tyhjä = pohjaehdotus hyväksyttiin yksimielisesti."),
    )


class EAnswerForm(PageForm):
    id_prefix = "answer"
    position = forms.ChoiceField(
        label=_("Kantani"), choices=EPosition.choices, widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label=_("Kommentti (vapaaehtoinen)"), required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class DisqualificationForm(PageForm):
    id_prefix = "disq"
    ground = forms.ChoiceField(label=_("Esteellisyysperuste (HL 28 §)"),
                               choices=DisqualificationGround.choices)
    explanation = forms.CharField(label=_("Selvitys"), required=False, max_length=500)
    participant_id = forms.IntegerField(required=False, widget=forms.HiddenInput)


class AbsenceForm(PageForm):
    id_prefix = "absence"
    note = forms.CharField(label=_("Esteen syy (vapaaehtoinen)"), required=False, max_length=300)
