"""Two municipalities for the bad-input suite: a *target* full of data and an *outsider*.

The target municipality ("A") gets one object of every model of `meetings`, `voting` and
`minutes`: the core ones built here by hand (so they are well-formed), every other model by a
generic maker that fills required fields (`make_generic`) — so a model and an endpoint added by
another engineer are covered without editing this file. Text fields of A's objects carry
`MARKER`; confidential content also carries `SECRET`.

The outsider municipality ("B") has its own body, and its user holds every role there (member,
chair, secretary, administrator, auditor) — the strongest user who must still see nothing of A.

URL parameters are filled from A's objects by name (`meeting_id` → a Meeting, `item_id` → an
AgendaItem, `pk` only through `PARAM_OVERRIDES`). An unknown parameter fails loudly with what to
add here; it never falls back to a guess that would make a test pass vacuously.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import DatabaseError, connection, models, transaction
from django.utils import timezone

from meetings import files
from meetings.models import (
    Attachment,
    BodyKind,
    Participant,
    ProposalVersion,
    Publicity,
    StaffRole,
)
from tests import factories

MARKER = "Kx7MARKER"  # in A's text: must never reach B's users
SECRET = "Qz9SECRET"  # in A's confidential text: must never reach a public page
PROJECT_APPS = ("meetings", "voting", "minutes")
# Whether meetings/files.py encrypts what store_attachment_bytes writes (see docs/security.md).
ATTACHMENTS_ENCRYPTED = "encryption" in getattr(files, "__dict__", {})
# Rows that GET handlers may legitimately write (derived state, not a change of record):
# signing a fresh checkpoint over the unchanged log; caching the rendered live snapshots.
DERIVED_STATE_MODELS = {
    "audit.auditcheckpoint", "audit.audithead", "audit.auditnode", "meetings.livestate",
}
# Bookkeeping of sessions and log-in attempts: not data of the municipality.
IGNORED_APPS = {"sessions", "axes", "admin", "contenttypes"}
IGNORED_MODELS = {"meetings.usersession", *DERIVED_STATE_MODELS}

#: (URL name, parameter) → attribute of `World` giving the value; for ambiguous names.
PARAM_OVERRIDES: dict[tuple[str, str], str] = {
    ("mfa_remove_webauthn", "pk"): "insider_authenticator_pk",
    ("mfa_edit_webauthn", "pk"): "insider_authenticator_pk",
    # The stamped inline view exists for confidential PDFs only (R9, R61).
    ("meetings:attachment_view", "attachment_id"): "secret_attachment_pk",
}
#: Parameter stems that name a model differently.
PARAM_ALIASES: dict[str, str] = {
    "item": "meetings.agendaitem",
    "agendaitem": "meetings.agendaitem",
    "agenda_item": "meetings.agendaitem",
    "proposalversion": "meetings.proposalversion",
    "answer": "meetings.eprocedureanswer",
    "minutes": "minutes.minutes",
    "section": "meetings.agendaitem",
}
MISSING_ID = 2_000_000_000
#: `voting:api_action`: which model `obj_id` is, by the `resource` parameter.
RESOURCE_MODELS: dict[str, str] = {
    "items": "meetings.agendaitem",
    "proposals": "voting.proposal",
    "votes": "voting.vote",
    "elections": "voting.election",
}
#: Non-model parameters (allauth's reset keys and the like).
PARAM_LITERALS: dict[str, Any] = {
    "key": "invalid-key-1234",
    "uidb36": "1",
    "token": "invalid-token",
    "event": "open",  # meetings:item_transition
}


@dataclass
class World:
    municipality: Any
    body: Any
    meeting: Any
    insider: Any  # user in A with every role
    outsider: Any  # user in B with every role there
    outsider_body: Any
    objects: dict[str, list[Any]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    insider_authenticator_pk: int = 0
    secret_attachment_pk: int = 0

    def add(self, obj: Any) -> Any:
        self.objects.setdefault(obj._meta.label_lower, []).append(obj)
        return obj

    def first(self, label: str) -> Any | None:
        found = self.objects.get(label)
        return found[0] if found else None

    # --- URL parameters ---------------------------------------------------------------------

    def value_for(self, url_key: str, param: str, kind: str,
                  fixed: dict[str, Any] | None = None, missing: bool = False) -> Any:
        """The value of a URL parameter; with `missing`, an id that matches no object."""
        fixed = fixed or {}
        if param in fixed:
            return fixed[param]
        if param == "obj_id" and fixed.get("resource") in RESOURCE_MODELS:
            return MISSING_ID if missing else self.first(RESOURCE_MODELS[fixed["resource"]]).pk
        override = PARAM_OVERRIDES.get((url_key, param))
        if override:
            return getattr(self, override)
        if param in PARAM_LITERALS:
            return PARAM_LITERALS[param]
        stem = param
        for suffix in ("_id", "_pk", "_slug", "_uuid"):
            if stem.endswith(suffix):
                stem = stem[: -len(suffix)]
                break
        label = self._label_for(stem)
        if label is None:
            raise LookupError(
                f"URL {url_key}: no value for parameter <{kind}:{param}>. Add it to "
                "PARAM_OVERRIDES / PARAM_ALIASES / PARAM_LITERALS in tests/security/world.py."
            )
        if missing:
            return "ei-ole-olemassa" if kind in ("slug", "str") else MISSING_ID
        obj = self.first(label)
        if obj is None:
            raise LookupError(
                f"URL {url_key}: parameter {param} needs a {label} in the target municipality, "
                f"but none could be made ({self.errors.get(label, 'not attempted')}). Add a "
                "builder for it in tests/security/world.py (CURATED)."
            )
        if kind == "slug" or param.endswith("_slug") or param == "slug":
            return obj.slug
        return obj.pk

    def _label_for(self, stem: str) -> str | None:
        if stem in PARAM_ALIASES:
            return PARAM_ALIASES[stem]
        flat = stem.replace("_", "").lower()
        for app in PROJECT_APPS:
            for model in apps.get_app_config(app).get_models():
                if model._meta.model_name == flat:
                    return model._meta.label_lower
        if flat in ("municipality", "body", "meeting", "person"):
            return f"meetings.{flat}"
        return None

    def path_values(self, case: Any, missing: bool = False) -> dict[str, Any]:
        fixed = dict(getattr(case, "fixed", ()))
        return {
            p.name: self.value_for(case.key, p.name, p.kind, fixed, missing) for p in case.params
        }

    def query_for(self, endpoint: Any) -> str:
        from tests.security.urlwalk import QUERY_STRINGS

        return QUERY_STRINGS.get(endpoint.key, "").format(meeting_id=self.meeting.pk)

    def url_for(self, case: Any, missing: bool = False) -> str:
        """The URL of an endpoint (or a `urlwalk.Case`) for the target municipality's objects.

        With `missing`, every object id is one that does not exist (the "oracle" request).
        """
        from tests.security.urlwalk import build_path

        endpoint = getattr(case, "endpoint", case)
        return build_path(endpoint, self.path_values(case, missing)) + self.query_for(endpoint)


# --- building ----------------------------------------------------------------------------------


def _staff_everything(person: Any, municipality: Any, body: Any) -> None:
    for role in ("secretary", "administrator", "auditor", "presenter"):
        StaffRole.objects.create(
            person=person, municipality=municipality, body=None, role=role,
            starts=factories.TERM_START,
        )
    StaffRole.objects.create(
        person=person, municipality=municipality, body=body, role="secretary",
        starts=factories.TERM_START,
    )


def _authenticator_of(user: Any) -> int:
    """The insider's own authenticator (TOTP): B's user must not be able to remove or edit it.

    (A WebAuthn key would need a real attestation; allauth finds authenticators by user first.)
    """
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP).pk


def _marked_pdf(text: str) -> bytes:
    """A real one-page PDF (so the stamped inline view can open it) whose bytes also carry
    `text` in clear after the end marker, so a leaked download is still caught by the marker
    checks (WeasyPrint compresses the page text)."""
    from weasyprint import HTML

    return HTML(string=f"<p>{text}</p>").write_pdf() + f"% {text}\n".encode()


def build_world() -> World:
    """Both municipalities with their users and A's objects (see the module docstring)."""
    now = timezone.now()
    # A keeps this installation's audit log: its auditor may read it, B's auditor may not.
    a = factories.MunicipalityFactory(name_fi="Kohdekunta", audit_origin=settings.AUDIT_LOG_ORIGIN)
    body, members, subs = factories.make_body_with_members(
        kind=BodyKind.BOARD, seats=5, municipality=a, name_fi=f"Kunnanhallitus {MARKER}",
    )
    chair = members[0]
    insider_person = chair.person
    insider_person.last_name = f"Sisäpiiri {MARKER}"
    insider_person.save()
    _staff_everything(insider_person, a, body)

    meeting = factories.MeetingFactory(
        body=body, status="in_session", chair=insider_person, secretary=insider_person,
        place=f"Valtuustosali {MARKER}", starts_at=now - dt.timedelta(hours=1), opened_at=now,
        video_url="https://meet.jit.si/kokous-" + MARKER.lower(),
        legality_finding=f"Laillinen {MARKER}", agenda_published_at=now,
        is_public=True,  # so the public live view (R8) shows it — without the closed item
        method="hybrid",  # so pages render the video link
    )
    draft = factories.MeetingFactory(body=body, status="draft", place=f"Luonnos {SECRET} {MARKER}")
    public_item = factories.AgendaItemFactory(
        meeting=meeting, title=f"Julkinen asia {MARKER}", section_number=1,
        description=f"<p>Selostus {MARKER}</p>", public_description=f"<p>Yleisö {MARKER}</p>",
        presenter=insider_person, status="in_discussion",
    )
    secret_item = factories.AgendaItemFactory(
        meeting=meeting, title=f"Salainen asia {SECRET} {MARKER}", section_number=2,
        description=f"<p>Salainen selostus {SECRET} {MARKER}</p>",
        publicity=Publicity.CONFIDENTIAL, confidentiality_basis="JulkL 24.1 § 25 k",
        is_closed_handling=True,
    )
    draft_item = factories.AgendaItemFactory(meeting=draft, title=f"Luonnosasia {SECRET} {MARKER}")
    meeting.current_item = public_item
    meeting.save()

    insider_user = insider_person.user
    world = World(
        municipality=a, body=body, meeting=meeting, insider=insider_user,
        outsider=None, outsider_body=None,
    )
    for obj in (a, body, meeting, public_item, secret_item, draft, draft_item, insider_person,
                chair):
        world.add(obj)
    for item, secret in ((public_item, ""), (secret_item, SECRET)):
        world.add(ProposalVersion.objects.create(
            item=item, version=1, text=f"Ehdotus {secret} {MARKER}", created_by=insider_user,
            created_at=now,
        ))
        content = _marked_pdf(f"liite {secret} {MARKER}")
        attachment = world.add(Attachment.objects.create(
            item=item, title=f"Liite {secret} {MARKER}", filename=f"liite-{MARKER}.pdf",
            content_type="application/pdf", size=len(content),
            sha256=hashlib.sha256(content).hexdigest(), publicity=item.publicity,
            storage_name=files.store_attachment_bytes(content),
            encrypted=ATTACHMENTS_ENCRYPTED, uploaded_by=insider_user, uploaded_at=now,
        ))
        if secret:
            world.secret_attachment_pk = attachment.pk
    for membership in members:
        world.add(Participant.objects.create(
            meeting=meeting, person=membership.person, role="member", membership=membership,
            is_present=True, identity_confirmed_at=now,
        ))
    world.insider_authenticator_pk = _authenticator_of(insider_user)

    # The outsider: every role in another municipality.
    b = factories.MunicipalityFactory(name_fi="Naapurikunta")
    b_body, b_members, _ = factories.make_body_with_members(
        kind=BodyKind.BOARD, seats=3, substitutes=False, municipality=b,
    )
    outsider_person = b_members[0].person
    _staff_everything(outsider_person, b, b_body)
    factories.MeetingFactory(body=b_body, status="in_session", chair=outsider_person)
    world.outsider = outsider_person.user
    world.outsider_body = b_body

    # Every other model of the project apps, generically.
    for app in PROJECT_APPS:
        for model in apps.get_app_config(app).get_models():
            if model._meta.label_lower not in world.objects and not model._meta.abstract:
                make_generic(model, world)
    return world


_counter = itertools.count(1)


def _text_for(f: models.Field) -> str:
    text = f"{MARKER} teksti"
    limit = getattr(f, "max_length", None)
    return text[:limit] if limit else text


def _value_for_field(f: models.Field, world: World, used: dict[str, int], depth: int) -> Any:
    user_model = get_user_model()
    if isinstance(f, models.ForeignKey | models.OneToOneField):
        target = f.related_model
        if target is user_model:
            return world.insider
        if target is f.model:
            raise LookupError(f"required self reference {f.name}")
        label = target._meta.label_lower
        index = used.get(label, 0)
        used[label] = index + 1
        existing = world.objects.get(label, [])
        if isinstance(f, models.OneToOneField) or index >= len(existing):
            made = make_generic(target, world, fresh=True, depth=depth + 1)
            if made is None:
                raise LookupError(f"cannot make {label} for {f.name}")
            return made
        return existing[index]
    if f.choices:
        return f.choices[0][0]
    if isinstance(f, models.EmailField):
        return f"target{next(_counter)}@example.test"
    if isinstance(f, models.URLField):
        return "https://example.test/"
    if isinstance(f, models.SlugField):
        return f"slug-{next(_counter)}"
    if isinstance(f, models.UUIDField):
        return uuid.uuid4()
    if isinstance(f, models.CharField | models.TextField):
        return _text_for(f)
    if isinstance(f, models.BooleanField):
        return False
    if isinstance(f, models.DateTimeField):
        return timezone.now()
    if isinstance(f, models.DateField):
        return timezone.localdate()
    if isinstance(f, models.TimeField):
        return timezone.localtime().time()
    if isinstance(f, models.DurationField):
        return dt.timedelta(minutes=1)
    if isinstance(f, models.DecimalField | models.FloatField):
        return 1
    if isinstance(f, models.IntegerField):
        return next(_counter) % 30000 + 1
    if isinstance(f, models.JSONField):
        return {}
    if isinstance(f, models.BinaryField):
        return b"\x00"
    if isinstance(f, models.GenericIPAddressField):
        return "127.0.0.1"
    raise LookupError(f"no generic value for {type(f).__name__} {f.name}")


def make_generic(model: type[models.Model], world: World, *, fresh: bool = False,
                 depth: int = 0) -> Any | None:
    """One row of `model` in the target world, its required fields filled generically.

    Required foreign keys point at the world's existing rows (the n-th key to the same model at
    the n-th row); if that breaks a uniqueness rule, a second attempt makes fresh parents.
    """
    label = model._meta.label_lower
    if not fresh and world.first(label) is not None:
        return world.first(label)
    if depth > 6:
        world.errors[label] = "too deep"
        return None
    error: Exception | None = None
    for fresh_parents in (False, True):
        try:
            kwargs = _generic_kwargs(model, world, depth, fresh_parents)
            with transaction.atomic():
                obj = model.objects.create(**kwargs)
        except (LookupError, DatabaseError, ValueError, TypeError) as exc:
            error = exc  # IntegrityError is a DatabaseError; so is a model without a migration
            continue
        world.errors.pop(label, None)
        return world.add(obj)
    world.errors[label] = f"{type(error).__name__}: {error}"
    return None


def _generic_kwargs(model: type[models.Model], world: World, depth: int,
                    fresh_parents: bool) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    used: dict[str, int] = {}
    for f in model._meta.concrete_fields:
        if f.primary_key and (f.auto_created or isinstance(f, models.AutoField)):
            continue
        text = isinstance(f, models.CharField | models.TextField)
        if f.has_default() or (f.null and not text) or (f.null and f.blank):
            continue
        if fresh_parents and isinstance(f, models.ForeignKey) and f.related_model is not model:
            # Pretend the existing rows are taken, so a new parent is made.
            label = f.related_model._meta.label_lower
            used.setdefault(label, len(world.objects.get(label, [])))
        kwargs[f.name] = _value_for_field(f, world, used, depth)
    return kwargs


# --- reading responses ---------------------------------------------------------------------------

STREAM_CHUNKS = 3
STREAM_TIMEOUT = 3.0


def body_text(response: Any) -> str:
    """The body as text; of an endless stream (server-sent events) only the first chunks."""
    if not getattr(response, "streaming", False):
        return response.content.decode("utf-8", "replace")
    if not getattr(response, "is_async", False):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    import asyncio

    from asgiref.sync import async_to_sync

    async def first_chunks() -> bytes:
        iterator = aiter(response.streaming_content)
        chunks = []
        try:
            for _ in range(STREAM_CHUNKS):
                chunk = await asyncio.wait_for(anext(iterator), timeout=STREAM_TIMEOUT)
                chunks.append(chunk if isinstance(chunk, bytes) else str(chunk).encode())
        except (StopAsyncIteration, TimeoutError):
            pass
        finally:
            close = getattr(iterator, "aclose", None)
            if close is not None:
                await close()
        return b"".join(chunks)

    return async_to_sync(first_chunks)().decode("utf-8", "replace")


# --- nothing changed ---------------------------------------------------------------------------


def _fingerprinted_tables() -> list[tuple[str, str, str]]:
    # A model whose migration is not written yet has no table: nothing can change in it (and
    # the project's migration check reports it), so it is left out rather than erroring here.
    existing = set(connection.introspection.table_names())
    tables = []
    for model in apps.get_models():
        if model._meta.db_table not in existing:
            continue
        label = model._meta.label_lower
        if model._meta.app_label in IGNORED_APPS or label in IGNORED_MODELS:
            continue
        if not model._meta.managed or model._meta.proxy:
            continue
        tables.append((label, model._meta.db_table, model._meta.pk.column))
    return tables


def fingerprint() -> dict[str, str]:
    """A digest of every row of every model that holds the municipalities' data and the audit log.

    Sessions, log-in attempts and derived audit state are left out (see IGNORED_*). Comparing two
    fingerprints detects inserted, deleted *and* updated rows.
    """
    digests = {}
    with connection.cursor() as cursor:
        for label, table, pk in _fingerprinted_tables():
            qn = connection.ops.quote_name
            cursor.execute(f"SELECT * FROM {qn(table)} ORDER BY {qn(pk)}")  # noqa: S608
            digests[label] = hashlib.sha256(repr(cursor.fetchall()).encode()).hexdigest()
    return digests


def changed_between(before: dict[str, str], after: dict[str, str]) -> list[str]:
    labels = before.keys() | after.keys()
    return sorted(label for label in labels if before.get(label) != after.get(label))


def audit_count() -> int:
    from audit.models import AuditEntry

    return AuditEntry.objects.count()
