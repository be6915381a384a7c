"""The demo's settings on a throwaway SQLite file, for tests/test_asgi_server.py."""

import os

from demo.settings import *  # noqa: F403

DATABASES = {
    "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ["AUTHGATE_ASGI_DB"]}
}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast; tests only
LOGGING = {"version": 1, "disable_existing_loggers": False}
