"""factory_boy factories shared by the whole suite. Area-specific ones live beside their tests."""

from __future__ import annotations

import datetime as dt

import factory
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth import get_user_model
from django.utils import timezone

from meetings.models import (
    AgendaItem,
    Body,
    BodyKind,
    Meeting,
    Membership,
    MembershipRole,
    MethodAuthorisation,
    Municipality,
    Person,
    StaffRole,
)

# Demo/test TOTP secret (base32). Never used outside tests and the demo seed.
TEST_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
TERM_START = dt.date(2025, 6, 1)
TERM_END = dt.date(2029, 5, 31)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}@example.test")
    email = factory.SelfAttribute("username")
    password = factory.django.Password("correct horse battery staple")

    @factory.post_generation
    def mfa(self, create: bool, extracted: bool | None, **kwargs: object) -> None:
        if create and extracted is not False:
            TOTP.activate(self, TEST_TOTP_SECRET)


class MunicipalityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Municipality

    name_fi = factory.Sequence(lambda n: f"Testikunta {n}")
    name_sv = factory.Sequence(lambda n: f"Testkommun {n}")
    slug = factory.Sequence(lambda n: f"testikunta-{n}")
    business_id = factory.Sequence(lambda n: f"{1000000 + n:07d}-{n % 10}")
    audit_origin = factory.LazyAttribute(lambda o: f"{o.slug}.example.fi/audit")


class BodyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Body
        skip_postgeneration_save = True

    municipality = factory.SubFactory(MunicipalityFactory)
    name_fi = factory.Sequence(lambda n: f"Lautakunta {n}")
    slug = factory.Sequence(lambda n: f"body-{n}")
    kind = BodyKind.COMMITTEE
    seats = 9

    @factory.post_generation
    def methods(self, create: bool, extracted: list[str] | None, **kwargs: object) -> None:
        if not create:
            return
        for method in extracted if extracted is not None else ["in_person", "electronic", "hybrid"]:
            MethodAuthorisation.objects.create(body=self, method=method, valid_from=TERM_START)


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    municipality = factory.SubFactory(MunicipalityFactory)
    user = factory.SubFactory(UserFactory)
    first_name = factory.Faker("first_name", locale="fi_FI")
    last_name = factory.Faker("last_name", locale="fi_FI")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    body = factory.SubFactory(BodyFactory)
    person = factory.SubFactory(
        PersonFactory, municipality=factory.SelfAttribute("..body.municipality")
    )
    role = MembershipRole.MEMBER
    term_start = TERM_START
    term_end = TERM_END


class StaffRoleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StaffRole

    municipality = factory.SubFactory(MunicipalityFactory)
    person = factory.SubFactory(PersonFactory, municipality=factory.SelfAttribute("..municipality"))
    role = "secretary"
    starts = TERM_START


class MeetingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Meeting

    body = factory.SubFactory(BodyFactory)
    year = factory.LazyAttribute(lambda o: o.starts_at.year)
    number = factory.Sequence(lambda n: n + 1)
    starts_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=7))
    place = "Kunnantalo, valtuustosali"


class AgendaItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AgendaItem

    meeting = factory.SubFactory(MeetingFactory)
    body = factory.SelfAttribute("meeting.body")
    year = factory.SelfAttribute("meeting.year")
    order = factory.Sequence(lambda n: n)
    title = factory.Sequence(lambda n: f"Asia {n}")


def make_body_with_members(
    kind: str = BodyKind.COMMITTEE, seats: int = 9, substitutes: bool = True, **body_kwargs: object
) -> tuple[Body, list[Membership], list[Membership]]:
    """A body with `seats` members (the first is chair) and optionally personal substitutes."""
    body = BodyFactory(kind=kind, seats=seats, **body_kwargs)
    members, subs = [], []
    for i in range(seats):
        member = MembershipFactory(body=body, position="chair" if i == 0 else "")
        members.append(member)
        if substitutes:
            subs.append(MembershipFactory(body=body, role="substitute", substitute_for=member))
    return body, members, subs
