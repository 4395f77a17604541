"""Every URL pattern of the project, generated from the URL conf (never a hand-kept list).

`endpoints()` walks `django.urls.get_resolver()` recursively (included apps, namespaces, regex
and `path()` patterns) so an endpoint added by anyone is exercised by tests/security as soon as
it is routed. The lists below are the *explicit, reviewed* exceptions; each entry says why.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern, RoutePattern

from meetings.middleware import SELF_AUTHENTICATING_MODULE_PREFIXES
from meetings.public import is_public_view

# --- reviewed allow-lists ---------------------------------------------------------------------

#: Views marked `@public_page` (or audit's equivalent attribute). A new public view fails
#: `test_public_views_are_the_reviewed_ones` until it is reviewed for what it reveals and added.
PUBLIC_VIEWS: dict[str, str] = {
    "meetings:public_home": "front page: municipalities (KL 29 §)",
    "meetings:public_meetings": "meetings whose agenda is published (KL 29.2 §, R27)",
    "meetings:public_agenda": "public version of a published agenda (documents.PUBLIC, R27)",
    "meetings:public_agenda_pdf": "the same as PDF",
    "meetings:public_attachment": "public attachments of public items only (rules)",
    "meetings:choose_language": "visitors' language switch (GET, F5): sets the language "
    "cookie, redirects same-site only, shows nothing",
    "minutes:public_list": "published minutes of a body (KL 140 §, R52)",
    "minutes:public_minutes": "public version of published minutes, redacted (R52, R67)",
    "minutes:public_pdf": "the same as PDF/A",
    "live:public": "public live view of a public meeting; closed items cut (KL 101.4 §, R8)",
    "live:public_snapshot": "the public snapshot JSON behind it (R8)",
    "live:public_events": "server-sent events of the same snapshot (R8)",
    "audit:key": "verifier key (audit spec 5: anyone)",
    "audit:checkpoint": "newest signed checkpoint (audit spec 5: anyone)",
    "audit:consistency_proof": "hashes only (audit spec 5: anyone)",
}

#: Not marked public, but open to anonymous users by design: the authentication flow itself
#: (allauth handles its own login state) and Django's language switch. They must still never show
#: non-public data.
PUBLIC_BY_DESIGN: dict[str, str] = {
    "set_language": "language switch: sets a cookie, shows nothing",
    "account_login": "log-in form",
    "account_signup": "closed by meetings.auth_adapters (no self sign-up)",
    "account_reset_password": "password reset request form",
    "account_reset_password_done": "static 'email sent' page",
    "account_reset_password_from_key": "reset link target; refuses a bad key",
    "account_reset_password_from_key_done": "static 'password changed' page",
    "account_confirm_login_code": "login-by-code stage; without a pending login it redirects",
    "account_email_verification_sent": "static 'verification sent' page",
    "account_confirm_email": "email confirmation link; refuses a bad key",
    "account_inactive": "static 'account inactive' page",
    "account_logout": "log-out (POST); an anonymous user only gets redirected",
    "mfa_authenticate": "second-factor stage of the log-in; needs a pending login",
}

#: Views a logged-in user of *another* municipality may open (200) because they show only the
#: requesting user's own data. The outsider test asserts the target municipality's marker is not
#: in their body.
PER_USER_VIEWS: dict[str, str] = {
    "meetings:dashboard": "the user's own bodies and meetings (selectors.dashboard_for)",
    "meetings:meeting_create": "form listing only bodies the user manages; a foreign body id "
    "in the POST is refused (test_form_ids.py)",
    "set_language": "language switch",
}
#: Every allauth view is per-user: it shows or changes only request.user's own account.
PER_USER_MODULE_PREFIXES = ("allauth.",)

#: Query strings a view needs to get past input parsing (so the walker reaches its access
#: check, not a 400 for a missing parameter). Keyed by URL name; `{…}` is filled per world.
QUERY_STRINGS: dict[str, str] = {
    "audit:entries": "?start=0&end=1",
    "audit:inclusion_proof": "?index=0&size=1",
    "audit:consistency_proof": "?from=0&to=1",
    "audit:index": "?object=meeting:{meeting_id}",
}

#: Views that may legitimately skip CSRF protection (none today). Each needs a reason.
CSRF_EXEMPT_OK: dict[str, str] = {}


def _dispatch_choices() -> dict[tuple[str, ...], list[tuple[str, ...]]]:
    """Values of "action"-style URL parameters, read from the dispatch tables themselves.

    One URL pattern that dispatches on a slug is many endpoints; each action is walked, so an
    action added to a table is covered without editing this file.
    """
    choices: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
    try:
        from meetings.views.items import _CHAIR_EVENTS
    except ImportError:  # pragma: no cover - the module moved: the walker then uses one value
        pass
    else:
        choices[("meetings:item_transition", "event")] = [
            (e,) for e in sorted({*_CHAIR_EVENTS, "decide"})
        ]
    try:
        from meetings.live.console import ACTIONS as LIVE_ACTIONS
    except ImportError:  # pragma: no cover
        pass
    else:
        choices[("live:action", "action")] = [(a,) for a in sorted(LIVE_ACTIONS)]
    try:
        from voting.views.actions import RESOURCES
    except ImportError:  # pragma: no cover
        return choices
    for url, resource in (("voting:item_action", "items"), ("voting:proposal_action", "proposals"),
                          ("voting:vote_action", "votes"),
                          ("voting:election_action", "elections")):
        choices[(url, "action")] = [(a,) for a in sorted(RESOURCES.get(resource, {}))]
    choices[("voting:api_action", "resource", "action")] = [
        (r, a) for r in sorted(RESOURCES) for a in sorted(RESOURCES[r])
    ]
    return choices


@dataclass(frozen=True)
class Param:
    name: str
    kind: str  # "int", "str", "slug", "uuid", "path", "regex" or a custom converter's class name


@dataclass(frozen=True)
class Endpoint:
    route: str
    name: str | None
    callback: Callable[..., Any]
    params: tuple[Param, ...]
    unnamed_parts: tuple[Any, ...]

    @property
    def key(self) -> str:
        return self.name or self.route

    @property
    def module(self) -> str:
        target = getattr(self.callback, "view_class", None) or self.callback
        return getattr(target, "__module__", "") or getattr(self.callback, "__module__", "")

    @property
    def is_public(self) -> bool:
        return is_public_view(self.callback)

    @property
    def is_public_by_design(self) -> bool:
        return self.key in PUBLIC_BY_DESIGN

    @property
    def is_self_authenticating(self) -> bool:
        module = getattr(self.callback, "__module__", "") or ""
        return module.startswith(SELF_AUTHENTICATING_MODULE_PREFIXES)

    @property
    def is_per_user(self) -> bool:
        return self.key in PER_USER_VIEWS or self.module.startswith(PER_USER_MODULE_PREFIXES)

    @property
    def csrf_exempt(self) -> bool:
        return bool(getattr(self.callback, "csrf_exempt", False))

    def __str__(self) -> str:
        return self.key


def _converter_kind(converter: Any) -> str:
    name = type(converter).__name__
    return {
        "IntConverter": "int",
        "StringConverter": "str",
        "SlugConverter": "slug",
        "UUIDConverter": "uuid",
        "PathConverter": "path",
    }.get(name, name)


def _params_of(pattern: Any) -> list[Param]:
    if isinstance(pattern, RoutePattern):
        return [Param(n, _converter_kind(c)) for n, c in pattern.converters.items()]
    if isinstance(pattern, RegexPattern):
        return [Param(n, "regex") for n in pattern.regex.groupindex]
    return []


def _walk(
    patterns: list[Any], prefix: str, namespace: str | None, params: list[Param], parts: list[Any]
) -> Iterator[Endpoint]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = namespace
            if entry.namespace:
                ns = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from _walk(
                entry.url_patterns, prefix + str(entry.pattern), ns,
                params + _params_of(entry.pattern), [*parts, entry.pattern],
            )
        elif isinstance(entry, URLPattern):
            name = None
            if entry.name:
                name = f"{namespace}:{entry.name}" if namespace else entry.name
            yield Endpoint(
                route=prefix + str(entry.pattern),
                name=name,
                callback=entry.callback,
                params=tuple(params + _params_of(entry.pattern)),
                unnamed_parts=(*parts, entry.pattern),
            )


@dataclass(frozen=True)
class Case:
    """One endpoint with its dispatch parameters fixed (e.g. a voting action)."""

    endpoint: Endpoint
    fixed: tuple[tuple[str, Any], ...] = ()

    @property
    def id(self) -> str:
        extra = ",".join(f"{k}={v}" for k, v in self.fixed)
        return f"{self.endpoint.key}[{extra}]" if extra else self.endpoint.key

    def __getattr__(self, name: str) -> Any:
        return getattr(self.endpoint, name)


def cases() -> list[Case]:
    """`endpoints()` with every dispatch value expanded (see `_dispatch_choices`)."""
    choices = _dispatch_choices()
    result = []
    for endpoint in endpoints():
        expanded = False
        for key, values in choices.items():
            if key[0] == endpoint.key:
                names = key[1:]
                result += [Case(endpoint, tuple(zip(names, v, strict=True))) for v in values]
                expanded = bool(values)
        if not expanded:
            result.append(Case(endpoint))
    return result


def endpoints() -> list[Endpoint]:
    """All routed HTTP endpoints, in URL-conf order, unique by key (first wins, as in resolve)."""
    seen: dict[str, Endpoint] = {}
    for endpoint in _walk(get_resolver().url_patterns, "", None, [], []):
        seen.setdefault(endpoint.key, endpoint)
    return list(seen.values())


def build_path(endpoint: Endpoint, values: dict[str, Any]) -> str:
    """The concrete path for `endpoint` with `values` for its parameters."""
    from django.urls import reverse

    if endpoint.name:
        return reverse(endpoint.name, kwargs={p.name: values[p.name] for p in endpoint.params})
    path = "/"
    for part in endpoint.unnamed_parts:
        if not isinstance(part, RoutePattern):
            raise AssertionError(f"unnamed regex URL {endpoint.route}: give it a name")
        text = str(part)
        for name, converter in part.converters.items():
            text = re.sub(
                rf"<(?:\w+:)?{name}>", lambda _m, c=converter, n=name: c.to_url(values[n]), text
            )
        path += text
    return path
