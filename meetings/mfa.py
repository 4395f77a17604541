"""Whether a user has a second factor enrolled (allauth MFA: TOTP or a security key)."""

from __future__ import annotations

import time
from typing import Any

from allauth.mfa.models import Authenticator
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

#: Session key: when this session last saw the user's enrolled second factor (epoch seconds).
SEEN_KEY = "kokous_mfa_seen"
#: How long a session trusts that sighting before it asks the database again. Removing or
#: resetting one's own authenticator forgets it at once (`forget`, from `meetings.signals`).
RECHECK_SECONDS = 60


def has_mfa(user: AbstractBaseUser | AnonymousUser) -> bool:
    if not user.is_authenticated:
        return False
    return Authenticator.objects.filter(
        user=user, type__in=[Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]
    ).exists()


def request_has_mfa(request: Any) -> bool:
    """`has_mfa(request.user)`, asked of the database at most once a minute per session.

    Every page and every room action needs the answer; 85 ballots in one second would otherwise
    pay 85 authenticator queries (docs/performance-live.md). The stamp is written only when it
    is renewed, so most requests do not save the session either.
    """
    user = request.user
    if not user.is_authenticated:
        return False
    session = getattr(request, "session", None)
    if session is None:
        return has_mfa(user)
    now = int(time.time())
    seen = session.get(SEEN_KEY)
    if isinstance(seen, int) and 0 <= now - seen < RECHECK_SECONDS:
        return True
    found = has_mfa(user)
    if found:
        session[SEEN_KEY] = now
    elif SEEN_KEY in session:
        del session[SEEN_KEY]
    return found


def forget(request: Any) -> None:
    """The user's authenticators changed: the next request asks the database again."""
    session = getattr(request, "session", None)
    if session is not None and SEEN_KEY in session:
        del session[SEEN_KEY]
