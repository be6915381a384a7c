"""The demo's settings on a throwaway SQLite file, for the real-server tests of RFC 9421
paths (tests/httpsig/test_servers.py): every path not routed by the demo is ``whoami``."""

import os

from demo.settings import *  # noqa: F403

DATABASES = {
    "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ["AUTHGATE_SERVER_DB"]}
}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast; tests only
LOGGING = {"version": 1, "disable_existing_loggers": False}
ROOT_URLCONF = "tests.schemes.httpsig.server_urls"
ALLOWED_HOSTS = ["127.0.0.1"]
DEBUG = False
