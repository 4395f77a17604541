"""Live-server settings of the benchmark: the live tests' server settings, plus optionally
Django's PostgreSQL connection pool (`bench/live/run.py --pool`, env `KOKOUS_BENCH_POOL=1`)
and a CPU profile of the workers (`--cpu-profile DIR`, `bench/live/cpu_profile.py`).

Under ASGI every request runs in a fresh thread, so Django's persistent connections do not
apply and each request opens its own PostgreSQL connection (a backend process started and its
catalog caches warmed per ballot). Django 5.1+ can keep a pool per worker process instead
(`psycopg_pool`, installed with ``psycopg[pool]``). This measures what that would change.
"""

import os

from tests.live.server_settings import *  # noqa: F403
from tests.live.server_settings import DATABASES

if (os.environ.get("KOKOUS_BENCH_POOL") == "1"
        and DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"):
    # The production switch (kokous/settings.py, KOKOUS_DB_POOL_SIZE), applied here because
    # these settings are imported after the environment was read.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 4,
        "max_size": int(os.environ.get("KOKOUS_DB_POOL_SIZE", "28")),
        "timeout": 10,
    }

if os.environ.get("KOKOUS_BENCH_CPU_PROFILE"):
    from bench.live.cpu_profile import install

    install(os.environ["KOKOUS_BENCH_CPU_PROFILE"])
