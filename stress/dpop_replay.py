"""``make stress``: a replayed DPoP proof is accepted once across gunicorn's 4 workers.

A DPoP-bound API token (issue #22) and ``ROUNDS`` proofs made by joserfc (not by the PyJWT
authgate verifies with). Each proof is sent ``SENDS`` times at once — released together from
as many threads, each on its own connection — so the copies land on different worker
processes. Every worker checks the signature; only the replay cache in Redis (an atomic
``add`` per key and ``jti``) can tell the copies apart. Each proof must be accepted exactly
once, every other copy refused with ``401 invalid_dpop_proof``, and some copies must have been
refused by a worker other than the one that accepted (else nothing was shown across
processes). Around it: a fresh proof per request is accepted, and the token sent as
``Bearer`` is refused (the downgrade).
"""

from __future__ import annotations

import http.client
import json
import threading
from collections import Counter
from typing import Any

ROUNDS = 10
SENDS = 16
PATH = "/api/whoami/"


def _get(host: str, port: int, headers: dict[str, str]) -> tuple[int, dict[str, Any], str]:
    """``(status, JSON body, worker pid)`` of one GET on a connection of its own."""
    connection = http.client.HTTPConnection(host, port, timeout=60)
    try:
        connection.request("GET", PATH, headers=headers)
        response = connection.getresponse()
        body = response.read()
        return response.status, json.loads(body or b"{}"), response.getheader("X-Worker-Pid", "")
    finally:
        connection.close()


def _proof(key: Any, url: str, token: str) -> str:
    from tests.schemes.oauth.oidc_provider import dpop_proof

    return dpop_proof(key, "GET", url, access_token=token)


def _at_once(
    host: str, port: int, headers: dict[str, str]
) -> list[tuple[int, dict[str, Any], str]]:
    """``SENDS`` copies of one request, released together."""
    barrier = threading.Barrier(SENDS)
    answers: list[tuple[int, dict[str, Any], str]] = []
    lock = threading.Lock()

    def send() -> None:
        barrier.wait()
        try:
            answer = _get(host, port, headers)
        except Exception as exc:  # a transport error is a finding, not a crash of the run
            answer = (0, {"error": repr(exc)}, "")
        with lock:
            answers.append(answer)

    threads = [threading.Thread(target=send) for _ in range(SENDS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def run(host: str, port: int) -> dict[str, Any]:
    """Make the bound token, send the proofs; what was accepted, by whom, and problems."""
    from django.contrib.auth import get_user_model
    from joserfc.jwk import ECKey

    from authgate.schemes.tokens import service as tokens

    user = get_user_model().objects.get(username="load00")  # made by run.make_credentials
    key = ECKey.generate_key("P-256")
    _row, token = tokens.issue(user, name="stress dpop", dpop_jkt=key.thumbprint())
    url = f"http://{host}:{port}{PATH}"
    problems: list[str] = []
    statuses: Counter[int] = Counter()
    workers: set[str] = set()
    crossed = 0  # rounds where another worker than the acceptor refused a copy
    for round_ in range(ROUNDS):
        answers = _at_once(
            host, port, {"Authorization": f"DPoP {token}", "DPoP": _proof(key, url, token)}
        )
        statuses.update(status for status, _body, _pid in answers)
        accepted = [pid for status, _body, pid in answers if status == 200]
        refused = [(status, body, pid) for status, body, pid in answers if status != 200]
        workers |= {pid for _status, _body, pid in answers if pid}
        if len(accepted) != 1:
            problems.append(f"dpop: proof {round_} accepted {len(accepted)} times, not once")
        for status, body, _pid in refused:
            if status != 401 or body.get("error") != "invalid_dpop_proof":
                problems.append(f"dpop: a replayed proof answered {status} {body.get('error')}")
        if accepted and any(pid != accepted[0] for _status, _body, pid in refused):
            crossed += 1
    if not crossed:
        problems.append("dpop: every replay was refused by the worker that accepted it")
    fresh = _get(host, port, {"Authorization": f"DPoP {token}", "DPoP": _proof(key, url, token)})
    if fresh[0] != 200 or fresh[1].get("scheme") != "token":
        problems.append(f"dpop: a fresh proof answered {fresh[0]}")
    downgrade = _get(host, port, {"Authorization": f"Bearer {token}"})
    if downgrade[0] != 401 or downgrade[1].get("error") != "invalid_token":
        problems.append(f"dpop: the bound token as Bearer answered {downgrade[0]}")
    return {
        "proofs": ROUNDS,
        "copies_per_proof": SENDS,
        "statuses": dict(sorted(statuses.items())),
        "workers_answering": len(workers),
        "proofs_refused_by_another_worker": crossed,
        "secrets": [token],
        "problems": problems,
    }
