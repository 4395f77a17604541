"""WebSocket routes of the meetings app."""

from django.urls import path

from meetings import consumers

websocket_urlpatterns = [
    path("ws/meetings/<int:meeting_id>/", consumers.MeetingConsumer.as_asgi()),
]
