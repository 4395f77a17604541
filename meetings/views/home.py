"""The public front page and the logged-in user's dashboard."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from meetings import selectors
from meetings.public import public_page


@public_page
def public_home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "meetings/public_home.html",
        {"municipalities": selectors.public_municipalities()},
    )


def dashboard(request: HttpRequest) -> HttpResponse:
    return render(request, "meetings/dashboard.html", selectors.dashboard_for(request.user))
