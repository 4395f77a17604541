"""The demo municipality's organisation: bodies, people, memberships, staff (demo only).

Idempotent: running it again changes nothing. Every demo user shares one password and one TOTP
secret, printed by `make run` and marked demo-only; a real installation has neither.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction

from meetings.models import (
    Body,
    BodyKind,
    Membership,
    MethodAuthorisation,
    Municipality,
    Person,
    StaffRole,
)

DEMO_PASSWORD = "kokous-demo-2026"  # noqa: S105 - demo-only, printed at start
DEMO_TOTP_SECRET = "KOKOUSDEMOKOKOUSDEMOKOKOUSDEMO22"  # noqa: S105 - base32, demo-only
TERM_START = dt.date(2025, 6, 1)
TERM_END = dt.date(2029, 5, 31)

FIRST_NAMES = [
    "Aino",
    "Eero",
    "Helmi",
    "Ilmari",
    "Kaisa",
    "Lauri",
    "Maija",
    "Niilo",
    "Oona",
    "Pekka",
    "Riikka",
    "Sami",
    "Tuula",
    "Urho",
    "Venla",
    "Ville",
    "Anni",
    "Juho",
    "Elina",
    "Mikko",
]
LAST_NAMES = [
    "Virtanen",
    "Korhonen",
    "Mäkinen",
    "Nieminen",
    "Mäkelä",
    "Hämäläinen",
    "Laine",
    "Heikkinen",
    "Koskinen",
    "Järvinen",
    "Lehtonen",
    "Lehtinen",
    "Saarinen",
    "Salminen",
    "Heinonen",
    "Niemi",
    "Heikkilä",
    "Kinnunen",
    "Salonen",
    "Turunen",
    "Salo",
    "Laitinen",
]
GROUPS = ["Kokoomus", "SDP", "Keskusta", "Perussuomalaiset", "Vihreät", "Vasemmistoliitto", "RKP"]


@dataclass(frozen=True)
class DemoLogin:
    email: str
    role: str


@functools.cache
def _demo_password_hash() -> str:
    """The shared demo password hashed once: Argon2 takes ~0.4 s a hash, ~100 users (demo only;
    every demo user has the same password anyway)."""
    return make_password(DEMO_PASSWORD)


def _user(email: str) -> object:
    User = get_user_model()
    user, created = User.objects.get_or_create(username=email, defaults={"email": email})
    if created:
        user.password = _demo_password_hash()
        user.save(update_fields=["password"])
    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, DEMO_TOTP_SECRET)
        RecoveryCodes.activate(user)
    return user


def _person(municipality: Municipality, email: str, first: str, last: str, **extra: str) -> Person:
    person, _ = Person.objects.get_or_create(
        user=_user(email),
        defaults={"municipality": municipality, "first_name": first, "last_name": last, **extra},
    )
    return person


def _name(i: int) -> tuple[str, str]:
    return FIRST_NAMES[i % len(FIRST_NAMES)], LAST_NAMES[(i * 7 + i // 20) % len(LAST_NAMES)]


def _seat_body(
    municipality: Municipality,
    body: Body,
    prefix: str,
    seats: int,
    substitutes: int,
    personal: bool,
    offset: int,
) -> None:
    for i in range(seats):
        first, last = _name(offset + i)
        person = _person(
            municipality, f"{prefix}{i + 1}@demo.kokous.fi", first, last, group=GROUPS[i % 7]
        )
        member, _ = Membership.objects.get_or_create(
            person=person,
            body=body,
            role="member",
            defaults={
                "position": "chair" if i == 0 else ("vice_chair" if i == 1 else ""),
                "term_start": TERM_START,
                "term_end": TERM_END,
            },
        )
        if personal and i < substitutes:
            sfirst, slast = _name(offset + 200 + i)
            sub = _person(municipality, f"{prefix}{i + 1}-vara@demo.kokous.fi", sfirst, slast)
            Membership.objects.get_or_create(
                person=sub,
                body=body,
                role="substitute",
                substitute_for=member,
                defaults={"term_start": TERM_START, "term_end": TERM_END},
            )
    if not personal:
        for j in range(substitutes):
            sfirst, slast = _name(offset + 300 + j)
            sub = _person(municipality, f"{prefix}vara{j + 1}@demo.kokous.fi", sfirst, slast)
            Membership.objects.get_or_create(
                person=sub,
                body=body,
                role="substitute",
                defaults={
                    "substitute_order": j + 1,
                    "term_start": TERM_START,
                    "term_end": TERM_END,
                },
            )


@transaction.atomic
def seed_organisation() -> dict[str, object]:
    """Create (once) the demo municipality Kokousranta with its bodies and people."""
    municipality, _ = Municipality.objects.get_or_create(
        slug="kokousranta",
        defaults={
            "name_fi": "Kokousrannan kunta",
            "name_sv": "Kokousranta kommun",
            "business_id": "0000001-9",
            "audit_origin": settings.AUDIT_LOG_ORIGIN,
        },
    )
    bodies = {}
    for slug, name, kind, seats, methods in [
        (
            "valtuusto",
            "Kunnanvaltuusto",
            BodyKind.COUNCIL,
            43,
            ["in_person", "electronic", "hybrid"],
        ),
        (
            "hallitus",
            "Kunnanhallitus",
            BodyKind.BOARD,
            11,
            ["in_person", "electronic", "hybrid", "e_procedure"],
        ),
        (
            "sivistys",
            "Sivistyslautakunta",
            BodyKind.COMMITTEE,
            9,
            ["in_person", "electronic", "hybrid", "e_procedure"],
        ),
    ]:
        body, created = Body.objects.get_or_create(
            municipality=municipality,
            slug=slug,
            defaults={
                "name_fi": name,
                "kind": kind,
                "seats": seats,
                "video_url": f"https://meet.jit.si/kokousranta-{slug}",
            },
        )
        if created:
            for method in methods:
                MethodAuthorisation.objects.create(
                    body=body,
                    method=method,
                    valid_from=TERM_START,
                    rule_reference="Hallintosääntö 120 §",
                )
        bodies[slug] = body
    _seat_body(municipality, bodies["valtuusto"], "valtuutettu", 43, 10, personal=False, offset=0)
    _seat_body(municipality, bodies["hallitus"], "hallitus", 11, 11, personal=True, offset=50)
    _seat_body(municipality, bodies["sivistys"], "sivistys", 9, 9, personal=True, offset=80)

    staff = [
        ("sihteeri@demo.kokous.fi", "Sanna", "Sihteeri", "hallintosihteeri", "secretary", None),
        ("kunnanjohtaja@demo.kokous.fi", "Kalle", "Johtaja", "kunnanjohtaja", "presenter", None),
        (
            "sivistysjohtaja@demo.kokous.fi",
            "Sirpa",
            "Sivistys",
            "sivistysjohtaja",
            "presenter",
            bodies["sivistys"],
        ),
        ("tarkastaja@demo.kokous.fi", "Tapio", "Tarkastaja", "tarkastaja", "auditor", None),
        (
            "paakayttaja@demo.kokous.fi",
            "Paula",
            "Pääkäyttäjä",
            "tietohallintopäällikkö",
            "administrator",
            None,
        ),
    ]
    for email, first, last, title, role, body in staff:
        person = _person(municipality, email, first, last, title=title)
        StaffRole.objects.get_or_create(
            person=person,
            municipality=municipality,
            body=body,
            role=role,
            defaults={"starts": TERM_START},
        )
    return {"municipality": municipality, **bodies}


DEMO_LOGINS = [
    DemoLogin("sihteeri@demo.kokous.fi", "pöytäkirjanpitäjä (secretary)"),
    DemoLogin("valtuutettu1@demo.kokous.fi", "valtuuston puheenjohtaja (council chair)"),
    DemoLogin("valtuutettu3@demo.kokous.fi", "valtuutettu (council member)"),
    DemoLogin("hallitus1@demo.kokous.fi", "hallituksen puheenjohtaja (board chair)"),
    DemoLogin("hallitus4@demo.kokous.fi", "hallituksen jäsen (board member)"),
    DemoLogin("hallitus4-vara@demo.kokous.fi", "henkilökohtainen varajäsen (substitute)"),
    DemoLogin("sivistys1@demo.kokous.fi", "lautakunnan puheenjohtaja (committee chair)"),
    DemoLogin("kunnanjohtaja@demo.kokous.fi", "esittelijä (presenter)"),
    DemoLogin("tarkastaja@demo.kokous.fi", "tarkastaja (auditor)"),
    DemoLogin("paakayttaja@demo.kokous.fi", "pääkäyttäjä (administrator)"),
]
