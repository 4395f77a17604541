"""A clear answer when the database is unavailable: 503 `service.database_unavailable`, and a
bound on concurrent requests per worker.

Nothing is half-written in that case — every service runs in one transaction, which the database
rolls back — so the client may simply retry (room actions carry idempotency keys).

* `DatabaseUnavailableMiddleware` turns a database connection error raised by a view into the
  503 answer (JSON for API clients, a short page otherwise). Placed first, it also admits at
  most `KOKOUS_MAX_CONCURRENT_REQUESTS` (default 24) requests at a time into Django per worker
  process: under ASGI every synchronous request runs in its own thread with its own database
  connection, so 300 members voting in the same second would open 300 connections (PostgreSQL
  refuses beyond `max_connections`) and thrash two CPU cores; the rest wait their turn in line
  instead (the work is CPU-bound, so throughput does not suffer);
* `server_error` is the same for errors raised before the view (e.g. while loading the session);
  set it as `handler500` in the root URLconf — for any other error it is Django's own 500 view.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from typing import Any

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults

CODE = "service.database_unavailable"
_SLOTS = threading.BoundedSemaphore(int(os.environ.get("KOKOUS_MAX_CONCURRENT_REQUESTS", "24")))


def is_database_unavailable(exc: BaseException | None) -> bool:
    return isinstance(exc, (OperationalError, InterfaceError))


def unavailable_response(request: HttpRequest) -> HttpResponse:
    message = _("Tietokantayhteys on hetkellisesti poikki. Mitään ei tallentunut puoliksi; "
                "yritä hetken kuluttua uudelleen.")
    wants_json = (
        request.path.endswith(".json")
        or "application/json" in request.headers.get("accept", "")
        or request.content_type == "application/json"
        or request.headers.get("x-requested-with") == "fetch"
    )
    if wants_json:
        response: HttpResponse = JsonResponse({"ok": False, "code": CODE, "message": message},
                                              status=503)
    else:
        response = HttpResponse(
            f"<!DOCTYPE html><html lang=\"fi\"><meta charset=\"utf-8\"><title>503</title>"
            f"<h1>{_('Palvelu ei ole hetkeen käytettävissä')}</h1><p>{message}</p></html>",
            status=503, content_type="text/html; charset=utf-8",
        )
    response["Retry-After"] = "5"
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with _SLOTS:
            return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if is_database_unavailable(exception):
            return unavailable_response(request)
        return None


def server_error(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """`handler500`: 503 JSON/page for a lost database, else Django's default 500."""
    if is_database_unavailable(sys.exc_info()[1]):
        return unavailable_response(request)
    return defaults.server_error(request)
