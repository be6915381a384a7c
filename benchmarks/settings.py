"""Django settings for the benchmarks: authgate and the peers side by side, one database.

``BENCH_DB=sqlite`` (default; a file, as in peers.md), ``postgres`` (127.0.0.1:5432,
database ``authgate_bench``, Django's defaults: client-side parameter binding, no prepared
statements) or ``postgres-prepared`` (the same with ``OPTIONS`` ``server_side_binding`` and
``prepare_threshold``: psycopg prepares a query on the server after its fifth run, for
every library alike). Real password hashers: Basic's hashing cost is inherent and shown,
not hidden.
"""

import os
from pathlib import Path

SECRET_KEY = "benchmarks-only-not-a-secret-0123456789abcdefghijklmnopqrstuvwxyz"
DEBUG = False
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
ROOT_URLCONF = "benchmarks.urls"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "rest_framework",
    "rest_framework.authtoken",
    "knox",
    "rest_framework_api_key",
    "authgate",
]
MIDDLEWARE: list[str] = []  # measure authentication, not the middleware stack

BENCH_DB = os.environ.get("BENCH_DB", "sqlite")
if BENCH_DB.startswith("postgres"):
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "HOST": "127.0.0.1",
            "PORT": "5432",
            "USER": "postgres",
            "NAME": os.environ.get("BENCH_PG_NAME", "authgate_bench"),
            "OPTIONS": (
                {"server_side_binding": True, "prepare_threshold": 5}
                if BENCH_DB == "postgres-prepared"
                else {}
            ),
        }
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get(
                "BENCH_SQLITE_PATH", str(Path(__file__).parent / "results" / "bench.sqlite3")
            ),
        }
    }

CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "redis": {
        "BACKEND": "authgate.cache.RedisCache",
        "LOCATION": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/9"),
    },
}

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "sesame.backends.ModelBackend",
]
SESAME_MAX_AGE = 3600

AUTHGATE = {
    "BACKENDS": [
        "authgate.schemes.tokens.backend.TokenBackend",
        "authgate.schemes.scoped.backend.ScopedTokenBackend",
        "authgate.schemes.links.backend.LinkBackend",
        "authgate.schemes.basic.BasicBackend",
    ],
    "LOGIN_LIMIT_RATE": None,
    "LINK_MAX_AGE": 3600,
    "ALLOW_NON_EXPIRING_TOKENS": True,
    # Imported credentials of the packages authgate replaces (issue #20): each a bench row.
    "TOKEN_ACCEPT_DRF_KEYS": True,
    "TOKEN_ACCEPT_KNOX_TOKENS": True,
    "TOKEN_ACCEPT_API_KEYS": True,
    "LINK_ACCEPT_SESAME_TOKENS": True,
}
if os.environ.get("BENCH_FAST_PATHS") == "0":  # authgate on its plain ORM paths
    AUTHGATE["FAST_PATHS"] = False

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
}
# Persistent connections, as in production: with the default CONN_MAX_AGE=0 every full
# request would also pay for opening a database connection.
for _database in DATABASES.values():
    _database["CONN_MAX_AGE"] = None

LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "ERROR"}}
