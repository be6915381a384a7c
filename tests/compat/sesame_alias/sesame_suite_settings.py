"""django-sesame's own test settings, run against authgate (``make test-sesame``).

Its ``tests/settings.py`` unchanged (the ``SESAME_*`` settings its tests set are read by
authgate as aliases of ``AUTHGATE["LINK_*"]``), plus the authgate app for its tables.
"""

from tests.settings import *  # noqa: F403  (django-sesame's tests package)
from tests.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "authgate"]
