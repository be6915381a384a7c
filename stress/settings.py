"""The demo's settings as ``make stress`` runs them: PostgreSQL, Redis, the token caches on
(Redis, and rows kept in each worker).

``DATABASE_URL`` and ``REDIS_URL`` come from stress/run.py (through its fault-injecting
proxies); everything else is the demo's own configuration.
"""

from demo.settings import *  # noqa: F403
from demo.settings import AUTHGATE, CACHES, DATABASES, MIDDLEWARE

DEBUG = False
# Says which worker answered (stress/run.py checks last_used of tokens used on every worker).
MIDDLEWARE = [*MIDDLEWARE, "stress.worker_pid.worker_pid"]
AUTHGATE = {**AUTHGATE, "TOKEN_CACHE_TIMEOUT": 30, "TOKEN_LOCAL_CACHE_SIZE": 10_000}
# Django's default hasher, counting every password it checks in Redis (stress/guessing.py).
PASSWORD_HASHERS = ["stress.hashers.CountingPBKDF2PasswordHasher"]
# Fail fast when a store is unreachable: the point of the outage phase is a quick 503.
DATABASES["default"]["OPTIONS"] = {"connect_timeout": 2}
# Persistent connections, as a production deployment has; a broken one is replaced at the
# next request (Django's health check), which is what the outage phase proves.
DATABASES["default"]["CONN_MAX_AGE"] = 60
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
CACHES["default"].setdefault("OPTIONS", {}).update(socket_connect_timeout=1, socket_timeout=2)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "authgate.log.RedactSecretsFilter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["redact"], "level": "ERROR"}
    },
    "root": {"handlers": ["console"], "level": "ERROR"},
}
