"""Response headers that Django and django-csp do not set (ASVS V3 web front-end security).

`SecurityHeadersMiddleware` adds:

- **Permissions-Policy** on every response: powerful browser features are off (`geolocation=()`,
  `payment=()`, `usb=()` …). Camera, microphone, screen sharing, autoplay and full screen are
  allowed only to the embedded video-meeting origins (Jitsi; `KOKOUS_VIDEO_EMBED_ORIGINS`,
  default: the CSP `frame-src` list), never to Kokous itself; WebAuthn stays allowed for Kokous
  (`publickey-credentials-*=(self)`, security keys for MFA). A view that sets its own
  Permissions-Policy keeps it.
- **Cache-Control: no-store** (with `private`) and **Pragma: no-cache** on every response to a
  logged-in user, replacing whatever the view set: member pages, confidential items and
  attachments must not stay in shared proxies or on a shared computer's disk (R9, TiHL 14 §).
  Such responses also get `Cross-Origin-Resource-Policy: same-origin`.
- Anonymous responses are left cacheable: an explicit Cache-Control is never touched. Only an
  anonymous response that sets a cookie (session, CSRF token) and says nothing about caching is
  marked `private, no-store`, so a shared cache never hands one visitor's cookie to another.
  Public pages render no CSRF token for visitors (the language switch is a GET form, F5).
- **Vary: Cookie** on an anonymous `Cache-Control: public` response: the page's language comes
  from the language cookie (LocaleMiddleware), so a shared cache must not hand a Swedish copy to
  a Finnish visitor. (Without the CSRF token nothing else adds it; caches may key on the
  `django_language` cookie alone instead, see security.md §8.)

Place it directly after `django.middleware.security.SecurityMiddleware` in MIDDLEWARE, so it
also sees early responses (redirects, CSRF failures); `request.user` is read lazily on the way
out and anything that has no user counts as anonymous.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers

# Features refused to everyone (including Kokous itself).
DISABLED_FEATURES = (
    "accelerometer",
    "ambient-light-sensor",
    "bluetooth",
    "browsing-topics",
    "geolocation",
    "gyroscope",
    "hid",
    "idle-detection",
    "magnetometer",
    "midi",
    "payment",
    "serial",
    "usb",
    "xr-spatial-tracking",
)
# Features only an embedded video meeting (the Jitsi iframe) may use; Kokous pages do not.
VIDEO_FEATURES = ("camera", "microphone", "display-capture", "autoplay")
# Features Kokous pages use themselves; the video frame may also go full screen.
SELF_FEATURES = ("publickey-credentials-create", "publickey-credentials-get")
ORIGIN = re.compile(r"^https://[A-Za-z0-9.-]+(:\d{1,5})?$")


def video_embed_origins() -> list[str]:
    """HTTPS origins allowed to use camera and microphone inside an iframe."""
    configured: Iterable[str] | None = getattr(settings, "KOKOUS_VIDEO_EMBED_ORIGINS", None)
    if configured is None:
        csp = getattr(settings, "CONTENT_SECURITY_POLICY", {}) or {}
        configured = (csp.get("DIRECTIVES", {}) or {}).get("frame-src", []) or []
    origins = []
    for value in configured:
        origin = str(value).strip().rstrip("/")
        if ORIGIN.match(origin) and origin not in origins:
            origins.append(origin)
    return origins


def permissions_policy(origins: Iterable[str] | None = None) -> str:
    """The Permissions-Policy header value (structured-field dictionary syntax)."""
    origins = list(video_embed_origins() if origins is None else origins)
    quoted = " ".join(f'"{o}"' for o in origins)
    parts = [f"{feature}=()" for feature in DISABLED_FEATURES]
    parts += [f"{feature}=({quoted})" for feature in VIDEO_FEATURES]
    parts.append(f"fullscreen=(self{' ' + quoted if quoted else ''})")
    parts += [f"{feature}=(self)" for feature in SELF_FEATURES]
    return ", ".join(parts)


def _is_authenticated(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated)


class SecurityHeadersMiddleware:
    """Permissions-Policy everywhere; no-store for logged-in users (see the module docstring)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.policy = permissions_policy()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Permissions-Policy" not in response:
            response["Permissions-Policy"] = self.policy
        if _is_authenticated(request):
            response["Cache-Control"] = "no-store, private"
            response["Pragma"] = "no-cache"
            if "Expires" in response:
                del response["Expires"]
            response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        elif response.cookies and "Cache-Control" not in response:
            response["Cache-Control"] = "private, no-store"
        elif "public" in response.get("Cache-Control", ""):
            patch_vary_headers(response, ("Cookie",))
        return response
