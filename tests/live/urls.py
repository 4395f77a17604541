"""The root URLconf with the live room included — used by the live tests until (and unless)
kokous/urls.py includes `meetings.urls_live` itself (see docs/live-notes.md, "Wiring")."""

from django.urls import include, path

from kokous.urls import urlpatterns as root_patterns

handler500 = "meetings.live.middleware.server_error"

urlpatterns = [
    path("", include("meetings.urls_live")),
    *root_patterns,
]
