"""ASGI entry point for the demo: ``uvicorn demo.asgi:application`` (from ``example/``).

authgate's middleware is async capable and its async views authenticate off the event loop.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "demo.settings")
application = get_asgi_application()
