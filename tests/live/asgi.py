"""The project's ASGI application with static files served (DEBUG is off in the live servers of
the browser tests, drills and benchmarks; production serves /static/ from the web server)."""

from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

from kokous.asgi import application as project_application
from kokous.asgi import django_asgi_app
from meetings.live.public_asgi import public_live

websocket = project_application.application_mapping["websocket"]


async def application(scope, receive, send):
    if scope["type"] == "http":
        return await _http(scope, receive, send)
    if scope["type"] == "lifespan":
        return await _lifespan(scope, receive, send)
    return await project_application(scope, receive, send)


# The public live endpoints in front of Django, as docs/live-notes.md asks kokous/asgi.py to do.
_http = public_live(ASGIStaticFilesHandler(django_asgi_app))


async def _lifespan(scope, receive, send):
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return

import faulthandler  # noqa: E402
import signal  # noqa: E402

faulthandler.register(signal.SIGUSR1, all_threads=True)  # stack dumps for debugging a drill
