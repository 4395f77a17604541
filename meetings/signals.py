"""Authentication events: session bookkeeping and audit entries (TiHL 17 §, R64)."""

from __future__ import annotations

from typing import Any

from allauth.account.signals import password_changed, password_reset
from allauth.mfa.signals import authenticator_added, authenticator_removed, authenticator_reset
from axes.signals import user_locked_out
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.contrib.sessions.models import Session
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

import audit
from meetings import mfa
from meetings.models import Membership, StaffRole, UserSession
from meetings.realtime import disconnect_user


def end_all_sessions(user: Any) -> None:
    """Delete every server-side session of `user`: logging out anywhere logs out everywhere."""
    keys = list(UserSession.objects.filter(user=user).values_list("session_key", flat=True))
    Session.objects.filter(session_key__in=keys).delete()
    UserSession.objects.filter(user=user).delete()
    disconnect_user(user.pk)


@receiver(user_logged_in)
def on_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    with transaction.atomic():
        if request is not None and getattr(request, "session", None) is not None:
            if request.session.session_key is None:
                request.session.save()
            UserSession.objects.get_or_create(user=user, session_key=request.session.session_key)
        audit.record(user, "auth.login", f"user:{user.pk}", {})


@receiver(user_logged_out)
def on_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is None:
        return
    with transaction.atomic():
        end_all_sessions(user)
        audit.record(user, "auth.logout", f"user:{user.pk}", {})


@receiver(user_login_failed)
def on_login_failed(
    sender: Any, credentials: dict[str, Any], request: Any = None, **kw: Any
) -> None:
    # No password and no unknown usernames in the log: only that an attempt failed for a known user.
    login = credentials.get("email") or credentials.get("username") or credentials.get("login")
    user = get_user_model().objects.filter(email__iexact=login).first() if login else None
    if user is not None:
        with transaction.atomic():
            audit.record(None, "auth.login_failed", f"user:{user.pk}", {})


@receiver(user_locked_out)
def on_locked_out(sender: Any, request: Any, username: str | None = None, **kw: Any) -> None:
    user = get_user_model().objects.filter(email__iexact=username).first() if username else None
    if user is not None:
        with transaction.atomic():
            audit.record(None, "auth.locked_out", f"user:{user.pk}", {})


@receiver(password_changed)
@receiver(password_reset)
def on_password_changed(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    with transaction.atomic():
        end_all_sessions(user)
        audit.record(user, "auth.password_changed", f"user:{user.pk}", {})


@receiver(authenticator_added)
@receiver(authenticator_removed)
@receiver(authenticator_reset)
def on_mfa_changed(sender: Any, request: Any, user: Any, authenticator: Any, **kw: Any) -> None:
    action = {
        authenticator_added: "auth.mfa_added",
        authenticator_removed: "auth.mfa_removed",
        authenticator_reset: "auth.mfa_reset",
    }[kw["signal"]]
    if request is not None:
        mfa.forget(request)
    with transaction.atomic():
        audit.record(user, action, f"user:{user.pk}", {"type": authenticator.type})


@receiver(post_save, sender=Membership)
@receiver(post_delete, sender=Membership)
@receiver(post_save, sender=StaffRole)
@receiver(post_delete, sender=StaffRole)
def on_role_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    """A changed or ended membership or staff role closes the person's sockets at once (R63).

    The browser reconnects, and the consumer admits it again only if access remains.
    """
    user_id = getattr(instance.person, "user_id", None)
    if user_id is not None:
        disconnect_user(user_id)
