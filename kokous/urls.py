"""URL configuration: each app owns its URLs; nothing here holds logic."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("allauth.urls")),
    path("audit/", include("audit.urls")),
    path("voting/", include("voting.urls")),
    path("minutes/", include("minutes.urls")),
    path("", include("meetings.urls_live")),
    path("", include("meetings.urls")),
]
handler500 = "meetings.live.middleware.server_error"
if settings.DEBUG:
    urlpatterns.append(path("admin/", admin.site.urls))
