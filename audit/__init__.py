"""The signed, append-only audit log (*tarkastusloki*; TiHL 15 §, 17 §, R62, R64, R78).

`audit.record(...)` is the one way any app writes history. This package's `__init__` imports no
Django so that `python -m audit.verify` runs without Django or a database.
"""

from __future__ import annotations

from typing import Any


def record(actor: Any, action: str, obj: Any, data: dict[str, Any] | None = None) -> Any:
    """Append an entry in the caller's transaction; see `audit.log.record`."""
    from audit.log import record as _record

    return _record(actor, action, obj, data)
