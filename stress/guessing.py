"""``make stress``: concurrent password guessing against one account checks at most the limit.

``ATTEMPTS`` (50) wrong Basic passwords for one account, released together from as many
threads, each on its own connection, against gunicorn's 4 worker processes. The server
counts the passwords it checks in Redis (stress/hashers.py, the first hasher of
stress/settings.py): at most ``LOGIN_LIMIT_RATE``'s count may be checked, each check
answered 401 and every other attempt 429 (issue #19, reproduction 8). Runs before the load,
while the client IP's count is still empty.
"""

from __future__ import annotations

import base64
import http.client
import secrets
import threading
from collections import Counter
from typing import Any

ATTEMPTS = 50
USERNAME = "guess-target"


def _guess(host: str, port: int, password: str) -> int:
    credentials = base64.b64encode(f"{USERNAME}:{password}".encode()).decode()
    connection = http.client.HTTPConnection(host, port, timeout=60)
    try:
        connection.request("GET", "/api/whoami/", headers={"Authorization": f"Basic {credentials}"})
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def make_target() -> None:
    """The account guessed at, with a random password nobody knows (hashed by the counting
    hasher)."""
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_user(USERNAME, password=secrets.token_urlsafe(16))


def run(host: str, port: int, redis_url: str) -> dict[str, Any]:
    """Send the guesses at once; what the server checked and answered."""
    import redis

    from authgate.conf import chain_settings
    from authgate.core.durations import parse_rate
    from stress.hashers import COUNTER

    limit, period = parse_rate(chain_settings().login_limit_rate or "0/s")
    counter = redis.Redis.from_url(redis_url)
    counter.delete(COUNTER)
    barrier = threading.Barrier(ATTEMPTS)
    statuses: Counter[int] = Counter()
    errors: list[str] = []
    lock = threading.Lock()

    def attempt(i: int) -> None:
        barrier.wait()
        try:
            status = _guess(host, port, f"wrong-guess-{i}")
        except Exception as exc:
            with lock:
                errors.append(repr(exc))
            return
        with lock:
            statuses[status] += 1

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(ATTEMPTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    checked = int(counter.get(COUNTER) or 0)
    problems = [f"password guessing: transport error {e}" for e in errors[:5]]
    if checked > limit:
        problems.append(f"password guessing: {checked} passwords checked, limit {limit}")
    if set(statuses) - {401, 429}:
        problems.append(f"password guessing: answers {dict(statuses)}, expected only 401/429")
    if statuses[401] != checked:
        problems.append(f"password guessing: {statuses[401]} answered 401, {checked} checked")
    return {
        "attempts": ATTEMPTS,
        "passwords_checked": checked,
        "limit": f"{limit} per {period} s",
        "statuses": dict(sorted(statuses.items())),
        "problems": problems,
    }
