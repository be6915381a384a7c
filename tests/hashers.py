"""A password hasher that counts its checks, for tests that bound password guessing.

``CountingMD5PasswordHasher`` is Django's MD5 hasher (the suite's fast one, same algorithm
name, so existing hashes verify) that also counts every :meth:`verify` call, from any
thread. Tests put it in ``PASSWORD_HASHERS`` with ``override_settings`` and read
:data:`checks`: how many passwords were actually checked, whatever the responses say.
"""

from __future__ import annotations

import threading
from typing import Any

from django.contrib.auth.hashers import MD5PasswordHasher

_lock = threading.Lock()
checks = 0


def reset() -> None:
    global checks
    with _lock:
        checks = 0


class CountingMD5PasswordHasher(MD5PasswordHasher):
    def verify(self, password: str, encoded: str) -> Any:
        global checks
        with _lock:
            checks += 1
        return super().verify(password, encoded)
