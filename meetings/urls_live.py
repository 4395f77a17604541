"""URLs of the live meeting room and the public live view (included at the root: "")."""

from django.urls import path

from meetings.views import live

app_name = "live"
urlpatterns = [
    path("kokoukset/<int:meeting_id>/live/", live.room, name="room"),
    path("kokoukset/<int:meeting_id>/live/state.json", live.state, name="state"),
    path("kokoukset/<int:meeting_id>/live/do/<str:action>/", live.action, name="action"),
    path("julkinen/kokous/<int:meeting_id>/", live.public_room, name="public"),
    path("julkinen/kokous/<int:meeting_id>/snapshot.json", live.public_snapshot,
         name="public_snapshot"),
    path("julkinen/kokous/<int:meeting_id>/events", live.public_events, name="public_events"),
]
