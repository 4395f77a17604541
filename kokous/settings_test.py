"""Test settings: production settings with only what a plain-HTTP test client needs relaxed.

The production hasher (Argon2) stays configured but a fast hasher is listed first so hundreds of
demo users can be created quickly; `tests/test_foundation.py` asserts the production order.
"""

import os

os.environ.setdefault("KOKOUS_HTTPS", "0")

from kokous.settings import *  # noqa: E402,F403
from kokous.settings import PASSWORD_HASHERS as PRODUCTION_PASSWORD_HASHERS  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PRODUCTION_PASSWORD_HASHERS]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
ACCOUNT_RATE_LIMITS = False
# Test databases are emptied between transactional tests; the audit triggers allow exactly that
# flush, and only when this is set (audit/guards.py). Production never sets it.
AUDIT_ALLOW_FLUSH = True
# A fresh checkout has no key ring yet: tests create one under var/ on first use.
KOKOUS_FILE_KEYS_AUTOCREATE = True
# A file database (WAL + busy timeout, as in production) rather than shared-cache in-memory
# SQLite, whose table-level locks fail concurrent socket/snapshot threads with "table is locked".
# One file per process, so parallel test runs never share a database.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3" and not os.environ.get(  # noqa: F405
    "KOKOUS_TEST_DB"
):
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}  # noqa: F405
