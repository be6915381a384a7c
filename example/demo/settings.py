"""Settings for the authgate demo: a small notes API guarded by every scheme.

``DATABASE_URL`` (``postgres://user@host:port/name``) and ``REDIS_URL``
(``redis://host:port/db``) switch it from SQLite and the local-memory cache to PostgreSQL
and Redis.
"""

import os
from pathlib import Path
from urllib.parse import urlsplit

BASE_DIR = Path(__file__).resolve().parent.parent

# A demo key: set DJANGO_SECRET_KEY in any real deployment.
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "demo-only-insecure-key-change-me-1234567890")
DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]", "testserver"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "authgate",
    "notes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "authgate.middleware.AuthgateMiddleware",
]

ROOT_URLCONF = "demo.urls"
WSGI_APPLICATION = "demo.wsgi.application"
ASGI_APPLICATION = "demo.asgi.application"

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
            ]
        },
    }
]


def database_from_url(url: str) -> dict:
    """A DATABASES entry from a ``postgres://`` URL (the demo's only non-SQLite option)."""
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql"}:
        raise ValueError(f"DATABASE_URL must be a postgres:// URL, got {parts.scheme!r}")
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": parts.path.lstrip("/") or "postgres",
        "USER": parts.username or "postgres",
        "PASSWORD": parts.password or "",
        "HOST": parts.hostname or "127.0.0.1",
        "PORT": str(parts.port or 5432),
    }


if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": database_from_url(os.environ["DATABASE_URL"])}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": BASE_DIR / "demo.sqlite3",
            # Concurrent writers made sane (docs/tokens.md#sqlite): WAL, so readers and the
            # one writer do not wait for each other; a busy timeout instead of "database is
            # locked"; transactions that take the write lock when they begin.
            "OPTIONS": {
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
            },
        }
    }

if os.environ.get("REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "authgate.cache.RedisCache",  # Django's, reusing its clients
            "LOCATION": os.environ["REDIS_URL"],
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = []
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
LOGIN_URL = "/accounts/login/"  # a password, or a magic link by e-mail
LOGIN_REDIRECT_URL = "/"  # where a magic link lands without ?next=

# sesame's setup: Django's backend plus the one that also accepts magic links.
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "authgate.schemes.links.auth_backend.LinkAuthBackend",
]

AUTHGATE = {
    "BACKENDS": [
        "authgate.schemes.session.SessionBackend",
        "authgate.schemes.tokens.backend.TokenBackend",
        "authgate.schemes.scoped.backend.ScopedTokenBackend",
        "authgate.schemes.links.backend.LinkBackend",
        # RFC 9421 signed requests (keys registered on /auth/keys/; docs/httpsig.md).
        "authgate.schemes.httpsig.backend.HTTPSignatureBackend",
        "authgate.schemes.basic.BasicBackend",
    ],
    # Magic links: valid for 15 minutes, once (`manage.py authgate link alice`).
    "LINK_MAX_AGE": 15 * 60,
    "LINK_ONE_TIME": True,
    "SCOPES": {
        "notes:read": "Read your notes",
        "notes:write": "Create, change and delete your notes",
        # A token needs this to list, create, revoke or rotate tokens (/auth/api/tokens/).
        "tokens:manage": "Manage your API tokens",
    },
    # The curl line on the page that shows a new token (/auth/tokens/new/).
    "TOKEN_PAGES_EXAMPLE_URL": "/api/whoami/",
    # Where e-mailed login links point, never the port a request's Host names: the demo's
    # address (`make demo` passes its PORT), or DEMO_BASE_URL.
    "LINK_BASE_URL": os.environ.get("DEMO_BASE_URL")
    or f"http://127.0.0.1:{os.environ.get('PORT') or 8000}",
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["authgate.contrib.drf.AuthgateAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "EXCEPTION_HANDLER": "authgate.contrib.drf.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # TokenRateThrottle: views with throttle_scope = "tokens", counted per token.
    "DEFAULT_THROTTLE_RATES": {"tokens": "60/min"},
}

# drf-spectacular: /api/schema/ lists every scheme of the chain (authgate registers the
# extension); OpenAPI 3.1 lets security requirements name the scopes an operation needs.
SPECTACULAR_SETTINGS = {
    "TITLE": "authgate demo (DRF)",
    "VERSION": "1",
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
}

# Error reports and logs never show a credential.
DEFAULT_EXCEPTION_REPORTER = "authgate.reporting.SafeExceptionReporter"
DEFAULT_EXCEPTION_REPORTER_FILTER = "authgate.reporting.SafeExceptionReporterFilter"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "authgate.log.RedactSecretsFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["redact"]}},
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {"django.server": {"handlers": ["console"], "level": "INFO", "propagate": False}},
}
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
