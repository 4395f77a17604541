"""Settings for Kokous, read from the environment in this one module.

Production is the default: DEBUG is off, cookies are secure and HTTPS is enforced unless the
environment says otherwise. `make run` turns on DEBUG for the local demo; the test suite uses
`kokous.settings_test`, which only relaxes what a test client over plain HTTP needs.

Environment variables (all optional):
  DATABASE_URL      database (default: SQLite file var/kokous.sqlite3)
  REDIS_URL         Redis for the channel layer and cache (default: in-memory, one process)
  SECRET_KEY        Django secret (default: generated once into var/secret_key, mode 0600)
  SECRET_KEY_FILE   read the secret from this file instead
  ALLOWED_HOSTS     comma-separated (default: 127.0.0.1,localhost)
  CSRF_TRUSTED_ORIGINS comma-separated origins behind a reverse proxy
  DJANGO_DEBUG      1 to enable debug (never in production)
  KOKOUS_HTTPS      0 to serve over plain HTTP (local demo only)
  EMAIL_URL-style:  EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, EMAIL_USE_TLS
  AUDIT_SIGNING_KEY_FILE  Ed25519 private key for audit checkpoints (default var/audit_signing.key)
  KOKOUS_VAR_DIR    where runtime files live (default: ./var)
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("KOKOUS_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [part.strip() for part in os.environ.get(name, default).split(",") if part.strip()]


def _load_secret_key() -> str:
    """SECRET_KEY from the environment, a named file, or one generated once into var/."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = Path(os.environ.get("SECRET_KEY_FILE", VAR_DIR / "secret_key"))
    if not path.exists():
        # O_EXCL: two workers starting at once must not write two different keys.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(64))
    return path.read_text().strip()


SECRET_KEY = _load_secret_key()
# Old secrets stay valid for signatures during a rotation (docs/key-rotation.md).
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS", "")
DEBUG = env_bool("DJANGO_DEBUG", False)
HTTPS = env_bool("KOKOUS_HTTPS", not DEBUG)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "axes",
    "csp",
    "audit",
    "meetings",
    "voting",
    "minutes",
]

MIDDLEWARE = [
    # First: a lost database connection becomes a clear 503 (service.database_unavailable).
    "meetings.live.middleware.DatabaseUnavailableMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "meetings.headers.SecurityHeadersMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "meetings.middleware.MfaRequiredMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "kokous.urls"
WSGI_APPLICATION = "kokous.wsgi.application"
ASGI_APPLICATION = "kokous.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "meetings.context_processors.navigation",
            ],
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'kokous.sqlite3'}"),
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "0")),
    )
}
if (DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
        and int(os.environ.get("KOKOUS_DB_POOL_SIZE", "0")) > 0):
    # Under ASGI each request runs in a fresh thread, so persistent connections do not apply and
    # every request would open a PostgreSQL connection; a pool per worker process (psycopg_pool)
    # halved the live vote's server CPU per ballot (docs/performance-live.md). Size it to
    # KOKOUS_MAX_CONCURRENT_REQUESTS plus a few for the live room's background work.
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # Django refuses persistent connections with a pool
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 4,
        "max_size": int(os.environ["KOKOUS_DB_POOL_SIZE"]),
        "timeout": 10,
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + a busy timeout: the embedded default must survive a live meeting's concurrent writes.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    # Tests use a private in-memory database unless told otherwise, so parallel runs never clash.
    if os.environ.get("KOKOUS_TEST_DB"):
        DATABASES["default"].setdefault("TEST", {})["NAME"] = os.environ["KOKOUS_TEST_DB"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": os.environ.get("REDIS_PREFIX", "kokous")},
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("REDIS_PREFIX", "kokous"),
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]

AUTHENTICATION_BACKENDS = [
    # Axes first: it refuses locked-out credentials before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]

# --- allauth: no self-signup; accounts are created by the municipality's administrators.
ACCOUNT_ADAPTER = "meetings.auth_adapters.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = True
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/5m/key"}
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "meetings:dashboard"
ACCOUNT_LOGOUT_REDIRECT_URL = "meetings:public_home"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_PASSKEY_LOGIN_ENABLED = False
MFA_TOTP_ISSUER = "Kokous"
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG
# Step-up: signature-like acts (checking the minutes, closing a vote or an election) need an MFA
# authentication at most this many seconds old (meetings.step_up; ASVS L3 for voting).
KOKOUS_STEP_UP_SECONDS = int(os.environ.get("KOKOUS_STEP_UP_SECONDS", "300"))

# --- django-axes: lock an account after repeated failed logins (ASVS 6.3, TiHL 13 §).
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = ["username"]
# A council room shares one NAT address: locking by IP would lock out the whole council. Per-IP
# throttling is allauth's rate limit (ACCOUNT_RATE_LIMITS) instead.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_USERNAME_FORM_FIELD = "login"
AXES_USERNAME_CALLABLE = "meetings.auth_adapters.axes_username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "account/locked_out.html"

# --- sessions: short for members; the database holds them so logout can end them everywhere.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(10 * 3600)))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_IDLE_TIMEOUT = int(os.environ.get("SESSION_IDLE_TIMEOUT", str(60 * 60)))
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS and env_bool("KOKOUS_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# --- CSP without inline script (django-csp 4 format).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'", "ws:", "wss:"] if DEBUG else ["'self'", "wss:"],
        "frame-src": env_list("KOKOUS_VIDEO_FRAME_SRC", "https://meet.jit.si"),
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

LANGUAGE_CODE = "fi"
LANGUAGES = [("fi", _("suomi")), ("sv", _("svenska")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Helsinki"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
MEDIA_ROOT = VAR_DIR / "media"
PROTECTED_FILES_ROOT = Path(os.environ.get("KOKOUS_FILES_DIR", VAR_DIR / "files"))
# AES-256-GCM key ring for documents at rest (meetings/encryption.py; TiHL 14 §, R61): the JSON
# ring itself in KOKOUS_FILE_KEYS, or a 0600 file made by `manage.py file_keygen`.
KOKOUS_FILE_KEYS = os.environ.get("KOKOUS_FILE_KEYS", "")
KOKOUS_FILE_KEYS_FILE = Path(os.environ.get("KOKOUS_FILE_KEYS_FILE", VAR_DIR / "file_keys.json"))

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "kokous@localhost")

AUDIT_SIGNING_KEY_FILE = Path(
    os.environ.get("AUDIT_SIGNING_KEY_FILE", VAR_DIR / "audit_signing.key")
)
AUDIT_LOG_ORIGIN = os.environ.get("AUDIT_LOG_ORIGIN", "kokous.example.fi/audit")
# audit/ must not import meetings/ (layering), so the auditor check is named here.
AUDIT_IS_AUDITOR = "meetings.rules.is_log_auditor"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
