"""WebSocket routes of every app, gathered in one list for the ASGI router."""

from meetings.routing import websocket_urlpatterns as meeting_routes

websocket_urlpatterns = [*meeting_routes]
