"""Response headers: CSP without inline script, framing, referrer, permissions, caching, HSTS and
cookie flags in production settings (ASVS V3 web front-end; R9, R61; TiHL 14 §)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.http import HttpResponse
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse

from meetings import headers
from tests.security.conftest import logged_in

ROOT = Path(__file__).resolve().parents[2]
MIDDLEWARE_PATH = "meetings.headers.SecurityHeadersMiddleware"


def with_headers_middleware() -> list[str]:
    """settings.MIDDLEWARE with ours right after SecurityMiddleware (where it belongs)."""
    middleware = [m for m in settings.MIDDLEWARE if m != MIDDLEWARE_PATH]
    index = middleware.index("django.middleware.security.SecurityMiddleware") + 1
    return [*middleware[:index], MIDDLEWARE_PATH, *middleware[index:]]


def directives(header: str) -> dict[str, list[str]]:
    result = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            result[words[0]] = words[1:]
    return result


# --- registration (passes once the lead registers the middleware) ------------------------------


def test_security_headers_middleware_is_registered():
    """Wiring: kokous/settings.py MIDDLEWARE lists it directly after SecurityMiddleware."""
    assert with_headers_middleware() == settings.MIDDLEWARE, (
        f"add {MIDDLEWARE_PATH!r} to MIDDLEWARE right after "
        "'django.middleware.security.SecurityMiddleware'"
    )


def test_real_responses_carry_permissions_policy(db):
    response = Client().get(reverse("meetings:public_home"))
    assert "geolocation=()" in response.get("Permissions-Policy", ""), (
        "no Permissions-Policy: register meetings.headers.SecurityHeadersMiddleware"
    )


# --- CSP and the headers Django sets -----------------------------------------------------------


@pytest.mark.parametrize("name", ["meetings:public_home", "account_login"])
def test_csp_has_no_inline_script_and_forbids_framing(db, name):
    response = Client().get(reverse(name))
    csp = directives(response["Content-Security-Policy"])
    scripts = csp.get("script-src", csp.get("default-src"))
    assert scripts == ["'self'"], scripts
    for directive in ("script-src", "style-src", "default-src"):
        values = csp.get(directive, [])
        assert "'unsafe-inline'" not in values and "'unsafe-eval'" not in values, directive
        assert "*" not in values and "https:" not in values and "data:" not in values, directive
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["form-action"] == ["'self'"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_csp_is_also_on_member_pages(world):
    response = logged_in(world.insider).get(reverse("meetings:dashboard"))
    assert response.status_code == 200
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"


def test_cacheable_public_pages_set_no_cookies(world):
    """F5 (R61): a page a shared cache may store (`Cache-Control: public`) sets no cookie, so a
    cache never hands one visitor's CSRF token to everyone; it varies by the language cookie."""
    from tests.security import urlwalk

    offenders, cacheable = [], []
    for case in urlwalk.cases():
        if not case.is_public:
            continue
        response = Client().get(world.url_for(case))
        cache = response.get("Cache-Control", "")
        if "public" in cache:
            cacheable.append(case.id)
            if response.cookies:
                offenders.append(f"{case.id}: {cache} + Set-Cookie {sorted(response.cookies)}")
            vary = {v.strip().lower() for v in response.get("Vary", "").split(",")}
            if "cookie" not in vary:
                offenders.append(f"{case.id}: {cache} without Vary: Cookie")
    assert cacheable, "no cacheable public page was exercised"
    assert offenders == []


def test_visitor_language_switch_is_a_get_form_without_csrf_token(world):
    """F5: the visitor's language switch works by GET and renders no CSRF token; the switch
    sets only the language cookie and never redirects off-site."""
    client = Client()
    page = client.get(reverse("meetings:public_home"))
    html = page.content.decode()
    assert "csrfmiddlewaretoken" not in html and not page.cookies
    assert f'action="{reverse("meetings:choose_language")}" method="get"' in html
    response = client.get(reverse("meetings:choose_language"),
                          {"language": "sv", "next": reverse("meetings:public_meetings")})
    assert response.status_code == 302 and response["Location"] == reverse(
        "meetings:public_meetings")
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "sv"
    assert "no-store" in response["Cache-Control"]
    assert client.get(reverse("meetings:public_home"))["Content-Language"] == "sv"
    off_site = client.get(reverse("meetings:choose_language"),
                          {"language": "en", "next": "https://evil.example/"})
    assert off_site["Location"] == reverse("meetings:public_home")
    unknown = Client().get(reverse("meetings:choose_language"), {"language": "xx"})
    assert settings.LANGUAGE_COOKIE_NAME not in unknown.cookies


def test_logged_in_language_switch_keeps_the_csrf_protected_post(world):
    """Members switch through Django's POST `set_language`, which the CSRF check guards."""
    client = logged_in(world.insider, enforce_csrf_checks=True)
    html = client.get(reverse("meetings:dashboard")).content.decode()
    assert f'action="{reverse("set_language")}" method="post"' in html
    assert "csrfmiddlewaretoken" in html
    refused = client.post(reverse("set_language"), {"language": "sv", "next": "/"})
    assert refused.status_code == 403
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    switched = client.post(reverse("set_language"),
                           {"language": "sv", "next": "/", "csrfmiddlewaretoken": token})
    assert switched.status_code == 302
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "sv"


# --- the middleware itself (independent of registration) ---------------------------------------


def run_middleware(response: HttpResponse, *, authenticated: bool) -> HttpResponse:
    request = RequestFactory().get("/")

    class User:
        is_authenticated = authenticated

    request.user = User()
    return headers.SecurityHeadersMiddleware(lambda r: response)(request)


def test_permissions_policy_allows_media_only_to_the_video_origin():
    policy = headers.permissions_policy(["https://meet.jit.si"])
    parts = dict(p.split("=", 1) for p in policy.split(", "))
    for feature in ("geolocation", "payment", "usb", "bluetooth", "serial", "hid", "midi",
                    "browsing-topics"):
        assert parts[feature] == "()", feature
    for feature in ("camera", "microphone", "display-capture"):
        assert parts[feature] == '("https://meet.jit.si")', feature  # not Kokous itself
    assert parts["publickey-credentials-get"] == "(self)"  # WebAuthn second factor
    assert parts["fullscreen"] == '(self "https://meet.jit.si")'
    no_video = dict(p.split("=", 1) for p in headers.permissions_policy([]).split(", "))
    assert no_video["camera"] == "()" and no_video["microphone"] == "()"


@override_settings(KOKOUS_VIDEO_EMBED_ORIGINS=None)
def test_video_origins_default_to_the_csp_frame_sources(settings):
    settings.CONTENT_SECURITY_POLICY = {
        "DIRECTIVES": {"frame-src": ["https://meet.jit.si", "'self'", "http://insecure.example",
                                     "https://video.kunta.fi/"]}
    }
    assert headers.video_embed_origins() == ["https://meet.jit.si", "https://video.kunta.fi"]


def test_logged_in_responses_are_never_stored():
    explicit = HttpResponse("x")
    explicit["Cache-Control"] = "public, max-age=60"
    explicit["Expires"] = "Thu, 01 Jan 2099 00:00:00 GMT"
    response = run_middleware(explicit, authenticated=True)
    assert response["Cache-Control"] == "no-store, private"
    assert response["Pragma"] == "no-cache"
    assert "Expires" not in response
    assert response["Cross-Origin-Resource-Policy"] == "same-origin"
    assert "geolocation=()" in response["Permissions-Policy"]


def test_anonymous_public_responses_stay_cacheable():
    public = HttpResponse("x")
    public["Cache-Control"] = "public, max-age=60"
    response = run_middleware(public, authenticated=False)
    assert response["Cache-Control"] == "public, max-age=60"
    assert "Pragma" not in response
    plain = run_middleware(HttpResponse("x"), authenticated=False)
    assert "Cache-Control" not in plain


def test_anonymous_response_setting_a_cookie_is_private():
    response = HttpResponse("x")
    response.set_cookie("csrftoken", "abc")
    assert run_middleware(response, authenticated=False)["Cache-Control"] == "private, no-store"


def test_a_views_own_permissions_policy_is_kept():
    response = HttpResponse("x")
    response["Permissions-Policy"] = "camera=()"
    assert run_middleware(response, authenticated=True)["Permissions-Policy"] == "camera=()"


def test_through_the_stack(world):
    """Integration: member pages and confidential attachments no-store; public pages cacheable."""
    with override_settings(MIDDLEWARE=with_headers_middleware()):
        member = logged_in(world.insider)
        dashboard = member.get(reverse("meetings:dashboard"))
        assert dashboard["Cache-Control"] == "no-store, private"
        assert dashboard["Pragma"] == "no-cache"
        secret = world.objects["meetings.attachment"][-1]
        download = member.get(reverse("meetings:attachment_download", args=[secret.pk]))
        assert download.status_code == 200
        assert download["Cache-Control"] == "no-store, private"
        agenda = reverse("meetings:public_agenda", args=[world.meeting.pk])
        assert member.get(agenda)["Cache-Control"] == "no-store, private"
        anonymous = Client().get(agenda)
        assert anonymous.status_code == 200
        assert "no-store" not in anonymous.get("Cache-Control", "")
        assert "geolocation=()" in anonymous["Permissions-Policy"]


# --- production settings (a fresh process with the production environment) ---------------------

PRODUCTION_PROBE = r"""
import json, os
import django
django.setup()
from django.conf import settings as s
from django.test import Client
client = Client()
secure = client.get("/accounts/login/", secure=True, HTTP_HOST="kokous.example.fi")
plain = client.get("/accounts/login/", HTTP_HOST="kokous.example.fi")
cookie = secure.cookies.get("csrftoken")
print(json.dumps({
    "hsts": secure.get("Strict-Transport-Security", ""),
    "redirect": [plain.status_code, plain.get("Location", "")],
    "csrf_cookie": {k: cookie[k] for k in ("secure", "httponly", "samesite")} if cookie else None,
    "permissions": secure.get("Permissions-Policy", ""),
    "settings": {k: getattr(s, k) for k in (
        "DEBUG", "SESSION_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "SESSION_COOKIE_SAMESITE",
        "CSRF_COOKIE_SECURE", "CSRF_COOKIE_HTTPONLY", "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD",
        "SECURE_CONTENT_TYPE_NOSNIFF", "X_FRAME_OPTIONS", "SECURE_REFERRER_POLICY")},
}))
"""


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    var = tmp_path_factory.mktemp("prodvar")
    env = {k: v for k, v in os.environ.items()
           if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_DEBUG", "KOKOUS_HTTPS"}}
    env.update(DJANGO_SETTINGS_MODULE="kokous.settings", KOKOUS_VAR_DIR=str(var),
               ALLOWED_HOSTS="kokous.example.fi", PYTHONPATH=str(ROOT))
    migrate = subprocess.run([sys.executable, "manage.py", "migrate", "--noinput"], cwd=ROOT,
                             env=env, capture_output=True, text=True, timeout=300)
    assert migrate.returncode == 0, migrate.stderr
    result = subprocess.run([sys.executable, "-c", PRODUCTION_PROBE], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_enforces_https_with_hsts(production):
    assert production["settings"]["DEBUG"] is False
    assert production["redirect"][0] == 301
    assert production["redirect"][1].startswith("https://kokous.example.fi/")
    parts = [p.strip() for p in production["hsts"].split(";")]
    assert parts[0].startswith("max-age=") and int(parts[0].split("=")[1]) >= 31536000, parts
    assert "includeSubDomains" in parts and "preload" in parts


def test_production_cookies_are_secure(production):
    s = production["settings"]
    assert s["SESSION_COOKIE_SECURE"] and s["CSRF_COOKIE_SECURE"]
    assert s["SESSION_COOKIE_HTTPONLY"] and s["CSRF_COOKIE_HTTPONLY"]
    assert s["SESSION_COOKIE_SAMESITE"] in ("Lax", "Strict")
    cookie = production["csrf_cookie"]
    assert cookie and cookie["secure"] and cookie["httponly"] and cookie["samesite"] in (
        "Lax", "Strict"
    )
    assert s["SECURE_CONTENT_TYPE_NOSNIFF"] and s["X_FRAME_OPTIONS"] == "DENY"


def test_production_sends_permissions_policy(production):
    """Passes once meetings.headers.SecurityHeadersMiddleware is registered."""
    assert "geolocation=()" in production["permissions"], "register the headers middleware"
