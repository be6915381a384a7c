"""The WSGI application gunicorn serves in ``make bench-server`` (settings from the driver)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.server_settings")

application = get_wsgi_application()
