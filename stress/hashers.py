"""A password hasher for ``make stress`` that counts, in Redis, every password it checks.

Django's PBKDF2 hasher (the default, same algorithm name) whose :meth:`verify` also
increments :data:`COUNTER` in the Redis database of ``REDIS_URL``, so the load test can
read how many passwords the server's workers — four separate processes — actually
checked, whatever the HTTP answers said (stress/guessing.py).
"""

from __future__ import annotations

import os
from typing import Any

from django.contrib.auth.hashers import PBKDF2PasswordHasher

COUNTER = "stress:password-checks"

_client: Any = None


def _redis() -> Any:
    global _client
    if _client is None:
        import redis

        _client = redis.Redis.from_url(os.environ["REDIS_URL"], socket_timeout=5)
    return _client


class CountingPBKDF2PasswordHasher(PBKDF2PasswordHasher):
    def verify(self, password: str, encoded: str) -> bool:
        _redis().incr(COUNTER)
        return super().verify(password, encoded)
