"""Settings for the live servers the browser tests, fault drills and benchmarks start.

The production settings (kokous.settings, DEBUG off) over plain HTTP on 127.0.0.1, with the live
room's wiring applied if the project has not applied it yet: the URLs, the database-unavailable
middleware and `handler500` (docs/live-notes.md, "Wiring"). Fast password hashing: the scenarios
create hundreds of users.
"""

import os

os.environ.setdefault("KOKOUS_HTTPS", "0")

from kokous.settings import *  # noqa: E402,F403
from kokous.settings import MIDDLEWARE as _MIDDLEWARE  # noqa: E402
from kokous.settings import PASSWORD_HASHERS as _HASHERS  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *_HASHERS]
_DB_MW = "meetings.live.middleware.DatabaseUnavailableMiddleware"
MIDDLEWARE = [_DB_MW, *[m for m in _MIDDLEWARE if m != _DB_MW]]


def _root_has_live() -> bool:
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "kokous" / "urls.py").read_text()
    return "meetings.urls_live" in text


if not _root_has_live():
    ROOT_URLCONF = "tests.live.urls"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
# The scenarios' sessions carry the MFA login of their creation (tests/live/scenario.py); a
# browser test on a loaded CI machine can take longer than the 5-minute step-up window before
# the chair closes the vote. The step-up itself is tested in tests/voting/test_step_up.py.
KOKOUS_STEP_UP_SECONDS = 3600
