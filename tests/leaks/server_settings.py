"""The demo as ``make stress`` runs it (PostgreSQL, Redis, the token caches on: Redis and
rows kept in each worker), with the secret-scanning endpoint on, GitHub's keys from the
test's server on 127.0.0.1, and e-mails written to files (tests/leaks/test_servers.py)."""

import os

from stress.settings import *  # noqa: F403
from stress.settings import AUTHGATE

AUTHGATE = {
    **AUTHGATE,
    "LEAKS_SECRET_SCANNING": True,
    "LEAKS_GITHUB_KEYS_URL": os.environ["AUTHGATE_LEAKS_KEYS_URL"],
}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast; tests only
EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = os.environ["AUTHGATE_LEAKS_MAIL_DIR"]
