"""WSGI entry point (management tooling only; the site is served over ASGI)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kokous.settings")
application = get_wsgi_application()
