"""A password hasher that counts its checks, for tests that bound password guessing.

``CountingMD5PasswordHasher`` is Django's MD5 hasher (the suite's fast one, same algorithm
name, so existing hashes verify) that also counts every :meth:`verify` call, from any
thread. Tests put it in ``PASSWORD_HASHERS`` with ``override_settings`` and read
:data:`checks`: how many passwords were actually checked, whatever the responses say.

A check also takes :data:`WORK` seconds, as a real hasher's does (Django's PBKDF2 takes a
few hundred milliseconds): concurrent guesses then overlap as they do in production, where
a limiter that counts only after the check lets every one of them through. Nothing is
measured: the tests count checks, never time.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from django.contrib.auth.hashers import MD5PasswordHasher

_lock = threading.Lock()
checks = 0
#: Seconds each check takes (a stand-in for a real hasher's work).
WORK = 0.05


def reset() -> None:
    global checks
    with _lock:
        checks = 0


class CountingMD5PasswordHasher(MD5PasswordHasher):
    def verify(self, password: str, encoded: str) -> Any:
        global checks
        with _lock:
            checks += 1
        time.sleep(WORK)
        return super().verify(password, encoded)
