"""Django settings for the test suite, chosen by environment variables.

``AUTHGATE_TEST_DB``
    ``sqlite`` (default): an in-memory SQLite database and a local-memory cache.
    ``postgres``: PostgreSQL at 127.0.0.1:5432 (user ``postgres``) and Django's Redis cache.
``AUTHGATE_TEST_PG_NAME``
    The PostgreSQL database name (default ``authgate``; pytest-django creates ``test_<name>``).
``REDIS_URL`` / ``AUTHGATE_TEST_REDIS_DB``
    Where the Redis cache lives (default ``redis://127.0.0.1:6379/<AUTHGATE_TEST_REDIS_DB>``,
    database 15). The suite clears this cache before every test: give it a database of its own.
``AUTHGATE_TEST_USER``
    ``auth`` (default): ``django.contrib.auth``'s User. ``uuid``: a custom user with a UUID
    primary key. ``str``: a custom user with a string primary key.

``make test`` runs the suite as sqlite+auth, sqlite+str and postgres+uuid.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def _choice(name: str, default: str, allowed: tuple[str, ...]) -> str:
    value = os.environ.get(name, "").strip().lower() or default
    if value not in allowed:
        raise ValueError(f"{name}={value!r}: expected one of {', '.join(allowed)}")
    return value


TEST_DB = _choice("AUTHGATE_TEST_DB", "sqlite", ("sqlite", "postgres"))
TEST_USER = _choice("AUTHGATE_TEST_USER", "auth", ("auth", "uuid", "str"))

SECRET_KEY = "authgate-tests-not-a-secret-0123456789abcdefghijklmnopqrstuvwxyz"
DEBUG = False
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]

# --- databases and caches ------------------------------------------------------------

if TEST_DB == "postgres":
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "HOST": "127.0.0.1",
            "PORT": "5432",
            "USER": "postgres",
            "NAME": os.environ.get("AUTHGATE_TEST_PG_NAME", "authgate"),
            "OPTIONS": {"connect_timeout": 5},
        }
    }
    REDIS_DB = os.environ.get("AUTHGATE_TEST_REDIS_DB", "15")
    CACHES = {
        "default": {
            "BACKEND": "authgate.cache.RedisCache",  # Django's, reusing its clients
            "LOCATION": os.environ.get("REDIS_URL", f"redis://127.0.0.1:6379/{REDIS_DB}"),
        }
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            # The test database is created in memory; nothing is written to disk.
            "NAME": ":memory:",
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "authgate-tests",
        }
    }

# --- applications --------------------------------------------------------------------

_USER_APPS = {
    "auth": (None, "auth.User"),
    "uuid": ("tests.users_uuid", "authgate_tests_users_uuid.User"),
    "str": ("tests.users_str", "authgate_tests_users_str.User"),
}
_user_app, AUTH_USER_MODEL = _USER_APPS[TEST_USER]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",  # for `authgate import-drf-tokens`
    # The packages a project switches from (tests/compat): their tables and real code.
    "knox",
    "rest_framework_api_key",
    "drf_spectacular",  # the demo serves its OpenAPI schema (tests/contrib/test_spectacular.py)
    "authgate",
    "notes",  # the demo's app (example/ is on the path): its API is tested black-box
    *([_user_app] if _user_app else []),
]

AUTHGATE = {
    "BACKENDS": [
        "authgate.schemes.session.SessionBackend",
        "authgate.schemes.tokens.backend.TokenBackend",
        "authgate.schemes.scoped.backend.ScopedTokenBackend",
        "authgate.schemes.links.backend.LinkBackend",
        "authgate.schemes.basic.BasicBackend",
    ],
    "SCOPES": {
        "notes:read": "Read your notes",
        "notes:write": "Create, change and delete your notes",
    },
    # Where e-mailed login links point (the test client's host; authgate.W062 without it).
    "LINK_BASE_URL": "http://testserver",
    # Uses are buffered, as by default, but the suite writes them itself
    # (authgate.schemes.tokens.usage.flush()): a background write must not land in the middle of
    # another test. tests/schemes/tokens/test_usage.py runs the thread on its own.
    "TOKEN_USAGE_FLUSH_INTERVAL": timedelta(hours=1),
}

# Error reports never show a credential (tests/test_leaks.py checks it).
DEFAULT_EXCEPTION_REPORTER = "authgate.reporting.SafeExceptionReporter"
DEFAULT_EXCEPTION_REPORTER_FILTER = "authgate.reporting.SafeExceptionReporterFilter"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["authgate.contrib.drf.AuthgateAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "EXCEPTION_HANDLER": "authgate.contrib.drf.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_RATES": {"tokens": "60/min"},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "authgate tests",
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
}

# Dotted paths only: nothing here imports authgate, so settings load while it is in flux.
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "authgate.middleware.AuthgateMiddleware",
]

ROOT_URLCONF = "tests.urls"

# sesame's setup: Django's backend plus the one that also accepts magic links.
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "authgate.schemes.links.auth_backend.LinkAuthBackend",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    }
]

# Fast hashing: the suite creates many users. Never use MD5 outside tests.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en-us"
USE_I18N = True
STATIC_URL = "/static/"

# Quiet console; authgate logs at DEBUG so tests can assert on reasons with caplog.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler", "level": "WARNING"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {"authgate": {"level": "DEBUG"}},
}
