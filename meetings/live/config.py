"""Tunables of the live room, from `settings.KOKOUS_LIVE` (a dict) or the environment.

Defaults are the common practice; a municipality may change them (R2 [UNVERIFIED] local rules):

* ``HEARTBEAT_SECONDS`` (5) — how often a page pings over its socket;
* ``HEARTBEAT_WRITE_SECONDS`` (15) — at most one heartbeat write per socket in this time;
* ``DEGRADED_AFTER_SECONDS`` (12) — no ping for this long: the connection is *degraded*;
* ``DEAD_AFTER_SECONDS`` (30) — no ping for this long: the server closes the socket;
* ``STALE_AFTER_SECONDS`` (45) — a socket row not seen for this long belonged to a dead worker;
* ``DROP_GRACE_SECONDS`` (3) — a closed socket becomes a *dropped connection* only if no other
  socket of the participant is open this long after (a page reload is not a drop); the drop is
  recorded at the moment the socket closed (R72);
* ``SPEECH_LIMIT_SECONDS`` (0 = none) and ``REPLY_LIMIT_SECONDS`` (60) — default speech times
  (hallintosääntö, KL 90.1 § 3 f [UNVERIFIED local practice]);
* ``ACCESS_RECHECK_SECONDS`` (60) — an open socket re-checks its user's right to the meeting
  this often, so a term that ends by the calendar (no row changes, R63) closes it too;
* ``SOCKET_MAX_BYTES`` (4096), ``SOCKET_RATE`` (20 messages / ``SOCKET_RATE_WINDOW`` 10 s).
"""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings

DEFAULTS: dict[str, float] = {
    "HEARTBEAT_SECONDS": 5,
    "HEARTBEAT_WRITE_SECONDS": 15,
    "DEGRADED_AFTER_SECONDS": 12,
    "DEAD_AFTER_SECONDS": 30,
    "STALE_AFTER_SECONDS": 45,
    "SWEEP_SECONDS": 10,
    "DROP_GRACE_SECONDS": 3,
    "SPEECH_LIMIT_SECONDS": 0,
    "REPLY_LIMIT_SECONDS": 60,
    "ACCESS_RECHECK_SECONDS": 60,
    "SOCKET_MAX_BYTES": 4096,
    "SOCKET_RATE": 20,
    "SOCKET_RATE_WINDOW": 10,
    "PUBLIC_RESYNC_SECONDS": 2,
}


def get(name: str) -> Any:
    """`settings.KOKOUS_LIVE[name]`, else env `KOKOUS_LIVE_<name>`, else the default."""
    configured = getattr(settings, "KOKOUS_LIVE", None) or {}
    if name in configured:
        return configured[name]
    env = os.environ.get(f"KOKOUS_LIVE_{name}")
    if env not in (None, ""):
        return float(env)
    return DEFAULTS[name]
