"""The demo's own settings on a throwaway SQLite file, for tests/test_readme.py.

Only the database moves (to ``AUTHGATE_README_DB``): the URLconf, the chain, the password
hasher, the link and rate-limit settings are the ones ``make demo`` serves with.
"""

import os

from demo.settings import *  # noqa: F403

DATABASES = {
    "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ["AUTHGATE_README_DB"]}
}
