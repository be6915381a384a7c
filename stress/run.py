"""``make stress``: the demo under gunicorn (4 workers) on PostgreSQL and Redis, under load.

What it does, from nothing:

1. probes PostgreSQL and Redis (tests/services.py's checks): down and ``CI=true`` → fail;
   down locally → one ``SKIP:`` line, exit 0;
2. recreates its own database (``authgate_stress``) and empties its Redis database (6),
   migrates, and makes users and credentials of every kind (in this process, directly);
3. starts two TCP proxies (its fault injectors) and gunicorn with 4 workers behind them;
4. drives it from this process (threads, one connection per request, 127.0.0.1) for at most
   ``STRESS_SECONDS`` / ``STRESS_REQUESTS``, mixing valid API and scoped tokens, invalid and
   forged ones, revoked ones, tokens revoked *during* the run, one-time (``max_uses=1``)
   tokens and one-time magic links, each sent several times from different threads;
   every response is checked against the identity its credential must give; API tokens
   are answered from rows kept in each worker (``TOKEN_LOCAL_CACHE_SIZE``), so a
   revocation must reach the other processes; every worker must have subscribed;
5. one flush interval after the load (``TOKEN_USAGE_FLUSH_INTERVAL``, the workers still
   running), every valid API token's ``last_used`` must be its newest use — tokens served
   by every worker included — and, compared with the rows before the load, nothing else
   in any token row may have changed but revocations made mid-run and use counts;
6. sends each of 10 DPoP proofs 16 times at once with a DPoP-bound API token: each proof is
   accepted exactly once across the 4 workers, the copies refused — by other workers too
   (stress/dpop_replay.py);
7. cuts the database, then Redis, at the proxies: authenticated requests must be refused
   (503, or 401), never let through; restores them: the same gunicorn recovers, no restart;
8. writes ``test-artifacts/stress.json`` (throughput, p50/p90/p99, counts) and fails on any
   5xx, any wrong identity, any one-time credential accepted other than exactly once, any
   success after a revocation returned, or any token in gunicorn's log (its access log
   included, where authgate masks the ``?TOKEN=`` and ``?sesame=`` URLs by default).

Before the load, 50 concurrent wrong passwords for one account must check at most the login
limit, counted by the server's hasher (stress/guessing.py).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import random
import socket
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
sys.path[:0] = [str(ROOT), str(ROOT / "example")]

HOST = "127.0.0.1"
PORT = int(os.environ.get("STRESS_PORT", "8311"))
PG_PROXY_PORT = PORT + 1
REDIS_PROXY_PORT = PORT + 2
DB_NAME = os.environ.get("STRESS_DB", "authgate_stress")
REDIS_DB = os.environ.get("STRESS_REDIS_DB", "6")
SECONDS = float(os.environ.get("STRESS_SECONDS", "20"))
MAX_REQUESTS = int(os.environ.get("STRESS_REQUESTS", "12000"))
THREADS = int(os.environ.get("STRESS_THREADS", "12"))
WORKERS = 4
ONE_TIME_ATTEMPTS = 3
PATHS = ("/api/whoami/", "/api/drf/whoami/")


def log(message: str) -> None:
    print(f"stress: {message}", flush=True)


# --- services ----------------------------------------------------------------------------


def services_or_exit() -> None:
    os.environ.setdefault("AUTHGATE_TEST_REDIS_DB", REDIS_DB)
    from tests import services

    services.REDIS_URL = f"redis://{HOST}:6379/{REDIS_DB}"
    down = [
        (name, reason)
        for name, check in (
            ("PostgreSQL", services.check_postgres),
            ("Redis", services.check_redis),
        )
        if (reason := check())
    ]
    if not down:
        return
    text = "; ".join(f"{name} not reachable ({reason})" for name, reason in down)
    if os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}:
        print(f"ERROR: {text}: the stress test needs both", file=sys.stderr)
        sys.exit(1)
    print(f"SKIP: {text}; skipping the stress test")
    sys.exit(0)


def fresh_database() -> None:
    import psycopg
    import redis

    with psycopg.connect(host=HOST, user="postgres", dbname="postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    redis.Redis.from_url(f"redis://{HOST}:6379/{REDIS_DB}").flushdb()


# --- fault-injecting TCP proxies -----------------------------------------------------------


class Proxy:
    """Forwards ``listen_port`` to ``target``; :meth:`cut` drops every connection and
    refuses new ones (accept, then close: the client sees the server go away)."""

    def __init__(self, listen_port: int, target: tuple[str, int]) -> None:
        self.target = target
        self.up = True
        self.conns: set[socket.socket] = set()
        self.lock = threading.Lock()
        self.server = socket.socket()
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind((HOST, listen_port))
        self.server.listen(256)
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            if not self.up:
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.conns |= {client, upstream}
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                with self.lock:
                    self.conns.discard(s)
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()

    def cut(self) -> None:
        self.up = False
        with self.lock:
            conns, self.conns = list(self.conns), set()
        for s in conns:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    def restore(self) -> None:
        self.up = True


# --- credentials -------------------------------------------------------------------------


@dataclass
class Item:
    """One credential and what it must give: ``expect`` is (user, scheme, scopes) or None."""

    kind: str
    params: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    expect: Any = None
    one_time: bool = False
    revoke_mid_run: Any = None  # the token row, revoked halfway
    token_id: Any = None  # an API token whose last_used is checked afterwards


def setup_django() -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "stress.settings"
    os.environ["DATABASE_URL"] = f"postgres://postgres@{HOST}:5432/{DB_NAME}"
    os.environ["REDIS_URL"] = f"redis://{HOST}:6379/{REDIS_DB}"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def make_credentials(users: int = 24) -> dict[str, list[Item]]:
    from django.contrib.auth import get_user_model
    from django.test import override_settings

    from authgate.schemes.links import service as links
    from authgate.schemes.scoped import service as scoped
    from authgate.schemes.tokens import service as tokens

    model = get_user_model()
    people = []
    for i in range(users):
        user = model(username=f"load{i:02d}", email=f"load{i:02d}@example.com")
        user.set_unusable_password()  # no hashing needed: nobody logs in with a password
        people.append(user)
    model.objects.bulk_create(people)
    people = list(model.objects.filter(username__startswith="load").order_by("username"))

    def bearer(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    out: dict[str, list[Item]] = defaultdict(list)
    for i, user in enumerate(people):
        name = user.get_username()
        scopes = ["notes:read"] if i % 2 else None
        row, token = tokens.issue(user, scopes=scopes)
        out["valid"].append(
            Item(
                "api token",
                headers=bearer(token),
                expect=(name, "token", scopes),
                token_id=row.pk,
            )
        )
        st = scoped.issue(user, {"GET": ["/api/"]})
        out["valid"].append(
            Item(
                "scoped token",
                headers={"Authorization": f"TmpToken {st}"},
                expect=(name, "scoped", None),
            )
        )
        out["valid"].append(
            Item("scoped token", params={"TOKEN": st}, expect=(name, "scoped", None))
        )
        row, token = tokens.issue(user)
        tokens.revoke(row)
        out["revoked"].append(Item("revoked api token", headers=bearer(token)))
        row, token = tokens.issue(user)
        out["revoked mid-run"].append(
            Item(
                "api token revoked mid-run",
                headers=bearer(token),
                expect=(name, "token", None),
                revoke_mid_run=row,
            )
        )
        for _ in range(8):
            _row, token = tokens.issue(user, max_uses=1)
            out["one-time"].append(
                Item(
                    "max_uses=1 token",
                    headers=bearer(token),
                    expect=(name, "token", None),
                    one_time=True,
                )
            )
            out["one-time"].append(
                Item(
                    "one-time link",
                    params={"sesame": links.get_token(user)},
                    expect=(name, "link", None),
                    one_time=True,
                )
            )
        # Invalid: bit-flipped, truncated, another key's, garbage.
        flipped = token[:-3] + ("A" if token[-3] != "A" else "B") + token[-2:]
        out["invalid"].append(Item("bad checksum", headers=bearer(flipped)))
        out["invalid"].append(
            Item("truncated scoped", headers={"Authorization": f"TmpToken {st[:-4]}"})
        )
        with override_settings(SECRET_KEY="another-deployment-key-" + "x" * 40):
            out["invalid"].append(
                Item("foreign scoped", params={"TOKEN": scoped.issue(user, {"GET": ["/"]})})
            )
        out["invalid"].append(
            Item("garbage", headers={"Authorization": f"Token {os.urandom(12).hex()}"})
        )
        out["invalid"].append(
            Item("bad basic", headers={"Authorization": "Basic bm9ib2R5Om5vcGU="})
        )
    # Fresh, never-used credentials for the outage phase (nothing cached for them).
    for user in people[:6]:
        name = user.get_username()
        for _ in range(2):
            out["outage"].append(
                Item(
                    "api token", headers=bearer(tokens.issue(user)[1]), expect=(name, "token", None)
                )
            )
        out["outage"].append(
            Item(
                "scoped token",
                params={"TOKEN": scoped.issue(user, {"GET": ["/api/"]})},
                expect=(name, "scoped", None),
            )
        )
        out["outage"].append(
            Item(
                "one-time link",
                params={"sesame": links.get_token(user)},
                expect=(name, "link", None),
            )
        )
    return out


def secrets_of(credentials: dict[str, list[Item]]) -> set[str]:
    found = set()
    for items in credentials.values():
        for item in items:
            found |= {v.split(" ", 1)[-1] for v in item.headers.values()}
            found |= set(item.params.values())
    return {s for s in found if len(s) >= 16}


# --- the load ----------------------------------------------------------------------------


def request(item: Item, path: str) -> tuple[int, Any, float, str | None]:
    """``(status, identity, seconds, pid of the worker that answered)``."""
    url = path + ("?" + urlencode(item.params) if item.params else "")
    conn = http.client.HTTPConnection(HOST, PORT, timeout=30)
    started = time.perf_counter()
    try:
        conn.request("GET", url, headers=item.headers)
        response = conn.getresponse()
        body = response.read()
        status = response.status
        pid = response.getheader("X-Worker-Pid")
    finally:
        conn.close()
    elapsed = time.perf_counter() - started
    identity = None
    if status == 200:
        data = json.loads(body)
        identity = (data["user"], data["scheme"], data["scopes"])
    return status, identity, elapsed, pid


#: Per API token (``Item.token_id``): ``(sent, answered, worker pid)`` of each accepted
#: request, wall-clock seconds (the workers' clock: the same machine).
Uses = dict[Any, list[tuple[float, float, str | None]]]


def drive(credentials: dict[str, list[Item]], uses: Uses) -> dict[str, Any]:
    from authgate.schemes.tokens import service as tokens

    one_time: list[Item] = []
    reusable: list[Item] = []
    for kind, items in credentials.items():
        if kind != "outage":
            for item in items:
                if item.one_time:
                    one_time += [item] * ONE_TIME_ATTEMPTS
                else:
                    reusable.append(item)
    # The one-time credentials (3 tries each, from different threads) are mixed into the
    # first part of the run, so every one of them is tried in full within the time bound;
    # the reusable credentials fill the rest of the request budget.
    head = one_time + random.choices(reusable, k=len(one_time))
    random.shuffle(head)
    tail = random.choices(reusable, k=max(0, MAX_REQUESTS - len(head)))
    work = (head + tail)[:MAX_REQUESTS]
    queue = iter(work)
    lock = threading.Lock()
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    problems: list[str] = []
    one_time_ok: Counter[int] = Counter()
    one_time_tries: Counter[int] = Counter()
    revoke_started: list[float] = []
    revoked_at: list[float] = []
    mid_run = list(credentials["revoked mid-run"])
    deadline = time.monotonic() + SECONDS

    def revoker() -> None:
        time.sleep(SECONDS / 2)
        revoke_started.append(time.monotonic())
        for item in mid_run:
            tokens.revoke(item.revoke_mid_run, "stress: revoked mid-run")
        revoked_at.append(time.monotonic())
        from django.db import connection

        connection.close()

    def worker() -> None:
        while time.monotonic() < deadline:
            with lock:
                item = next(queue, None)
            if item is None:
                return
            path = random.choice(PATHS)
            sent = time.monotonic()
            sent_wall = time.time()
            try:
                status, identity, elapsed, pid = request(item, path)
            except Exception as exc:
                with lock:
                    problems.append(f"{item.kind}: transport error {exc!r}")
                continue
            answered_wall = time.time()
            with lock:
                if status == 200 and item.token_id is not None:
                    uses[item.token_id].append((sent_wall, answered_wall, pid))
                latencies.append(elapsed)
                statuses[status] += 1
                if status >= 500:
                    problems.append(f"{item.kind}: {status} on {path}")
                elif status == 200 and identity != item.expect:
                    problems.append(f"{item.kind}: WRONG IDENTITY {identity} != {item.expect}")
                elif status == 200 and item.revoke_mid_run is not None:
                    if revoked_at and sent > revoked_at[0]:
                        problems.append(f"{item.kind}: accepted after revoke() returned")
                elif (
                    status != 200
                    and item.expect is not None
                    and not item.one_time
                    and (item.revoke_mid_run is None or not revoke_started)
                ):
                    problems.append(f"{item.kind}: valid credential refused with {status}")
                if item.one_time:
                    one_time_tries[id(item)] += 1
                    one_time_ok[id(item)] += status == 200

    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    revoke_thread = threading.Thread(target=revoker)
    revoke_thread.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    revoke_thread.join()
    one_time_items = list(credentials["one-time"])
    complete = [i for i in one_time_items if one_time_tries[id(i)] == ONE_TIME_ATTEMPTS]
    for item in complete:
        if one_time_ok[id(item)] != 1:
            problems.append(f"{item.kind}: accepted {one_time_ok[id(item)]} times, not once")
    latencies.sort()

    def pct(p: float) -> float:
        return round(1000 * latencies[min(len(latencies) - 1, int(p * len(latencies)))], 1)

    return {
        "requests": len(latencies),
        "seconds": round(elapsed, 1),
        "throughput_rps": round(len(latencies) / elapsed, 1),
        "latency_ms": {"p50": pct(0.50), "p90": pct(0.90), "p99": pct(0.99), "max": pct(1.0)},
        "statuses": dict(sorted(statuses.items())),
        "one_time_credentials_checked": len(complete),
        "revoked_mid_run": len(mid_run),
        "problems": problems,
    }


def token_rows() -> dict[Any, dict[str, Any]]:
    """Every API token row, every column, by id."""
    from authgate.models import APIToken

    return {row["id"]: row for row in APIToken.objects.values()}


#: How long past one flush interval a write may take to land (seconds).
FLUSH_SLACK = 2.0


def check_last_used(
    credentials: dict[str, list[Item]], uses: Uses, before: dict[Any, dict[str, Any]]
) -> dict[str, Any]:
    """One flush interval after the load (the workers still running: no exit has written
    anything), every used token's ``last_used`` is its newest use, whichever of the
    workers served it, from 127.0.0.1; and the request path wrote nothing else in any
    token row: compared with the rows before the load, only ``last_used`` and
    ``last_used_ip`` changed, apart from the revocations made mid-run and the use counts
    of ``max_uses`` tokens."""
    from authgate.schemes.tokens.settings import token_settings

    interval = token_settings().usage_flush_interval.total_seconds()
    time.sleep(interval + FLUSH_SLACK)
    after = token_rows()
    problems: list[str] = []
    workers: set[str | None] = set()
    on_every_worker = 0
    for token_id, seen in uses.items():
        newest_sent = max(sent for sent, _answered, _pid in seen)
        newest_answered = max(answered for _sent, answered, _pid in seen)
        served_by = {pid for _sent, _answered, pid in seen}
        workers |= served_by
        on_every_worker += len(served_by) == WORKERS
        row = after[token_id]
        stored = row["last_used"].timestamp() if row["last_used"] else 0.0
        # The newest use happened between its request's sending and its answer.
        if not newest_sent - 0.001 <= stored <= newest_answered + 0.001:
            lag = newest_sent - stored
            problems.append(
                f"token {token_id}: last_used {lag:+.3f} s from its newest use, "
                f"{interval + FLUSH_SLACK:g} s after the load (served by {len(served_by)} workers)"
            )
        if row["last_used_ip"] != "127.0.0.1":
            problems.append(f"token {token_id}: last_used_ip {row['last_used_ip']!r}")
    if len(workers) < WORKERS or not on_every_worker:
        problems.append(f"the checked tokens were served by {len(workers)} workers, not all")
    revoked = {item.revoke_mid_run.pk for item in credentials["revoked mid-run"]}
    for token_id, row in after.items():
        old = before.get(token_id)
        if old is None:
            problems.append(f"token {token_id}: created during the load")
            continue
        allowed = {"last_used", "last_used_ip"}
        if token_id in revoked:
            allowed |= {"revoked_at", "revoked_reason"}
        if old["max_uses"] is not None:
            allowed.add("use_count")
        written = sorted(k for k in row if row[k] != old[k] and k not in allowed)
        if written:
            problems.append(f"token {token_id}: {', '.join(written)} written during the load")
    return {
        "flush_interval_s": interval,
        "checked_after_s": interval + FLUSH_SLACK,
        "tokens_checked": len(uses),
        "tokens_used_on_every_worker": on_every_worker,
        "workers_seen": len(workers),
        "rows_compared": len(after),
        "problems": problems,
    }


def local_cache_subscribers() -> int:
    """Workers subscribed to the token invalidation channel: the revocations checked above
    went through rows kept in each worker (stress/settings.py sets TOKEN_LOCAL_CACHE_SIZE)."""
    import redis

    from authgate._speed.local_rows import channel
    from authgate.conf import chain_settings

    name = channel(chain_settings().cache)
    with redis.Redis(host=HOST, port=6379) as client:
        return int(dict(client.pubsub_numsub(name)).get(name.encode(), 0))


def outage(credentials: dict[str, list[Item]], pg: Proxy, rd: Proxy, master: int) -> dict[str, Any]:
    """Cut the database, then Redis; nothing may get through; both recover, no restart."""
    items = credentials["outage"]
    problems: list[str] = []
    seen: Counter[str] = Counter()
    bad_basic = Item("bad basic", headers={"Authorization": "Basic bm9ib2R5Om5vcGU="})
    revoked = credentials["revoked"][0]

    def expect(item: Item, allowed: set[int], phase: str) -> None:
        status, _identity, _seconds, _pid = request(item, random.choice(PATHS))
        seen[f"{phase}: {status}"] += 1
        if status not in allowed:
            problems.append(f"{phase}: {item.kind} answered {status}, expected {sorted(allowed)}")

    pg.cut()
    time.sleep(0.2)
    for item in items:
        expect(item, {401, 503}, "database down")
    pg.restore()
    for item in items:
        if item.kind != "one-time link":  # a link is used once: it was refused, so it still works
            expect(item, {200}, "database back")
    for item in items:
        if item.kind == "one-time link":
            expect(item, {200}, "database back")
    rd.cut()
    time.sleep(0.2)
    expect(bad_basic, {503}, "redis down")  # the login rate limit cannot be checked: refuse
    expect(revoked, {401}, "redis down")  # the database still decides
    expect(items[0], {200}, "redis down")  # the token cache is an optimisation only
    rd.restore()
    time.sleep(0.2)
    expect(bad_basic, {401, 429}, "redis back")
    expect(items[0], {200}, "redis back")
    alive = subprocess.run(["kill", "-0", str(master)], check=False).returncode == 0
    if not alive:
        problems.append("gunicorn's master is gone: it did not survive the outage")
    return {"answers": dict(sorted(seen.items())), "problems": problems}


# --- main ----------------------------------------------------------------------------------


def wait_for_port(port: int, proc: subprocess.Popen[bytes], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(
                "gunicorn exited during start-up; see test-artifacts/stress-gunicorn.log"
            )
        try:
            with socket.create_connection((HOST, port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not start listening in time")


def main() -> int:
    from stress import dpop_replay, guessing  # the repository root is on sys.path from here

    services_or_exit()
    begun = time.monotonic()
    fresh_database()
    setup_django()
    credentials = make_credentials()
    guessing.make_target()
    log(f"database {DB_NAME} migrated, {sum(map(len, credentials.values()))} credentials made")
    pg = Proxy(PG_PROXY_PORT, (HOST, 5432))
    rd = Proxy(REDIS_PROXY_PORT, (HOST, 6379))
    ARTIFACTS.mkdir(exist_ok=True)
    server_log = ARTIFACTS / "stress-gunicorn.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "stress.settings",
        "DATABASE_URL": f"postgres://postgres@{HOST}:{PG_PROXY_PORT}/{DB_NAME}",
        "REDIS_URL": f"redis://{HOST}:{REDIS_PROXY_PORT}/{REDIS_DB}",
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "example")]),
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    with server_log.open("wb") as out:
        proc = subprocess.Popen(
            [
                str(gunicorn),
                "demo.wsgi:application",
                "--workers",
                str(WORKERS),
                "--bind",
                f"{HOST}:{PORT}",
                "--timeout",
                "30",
                "--graceful-timeout",
                "3",
                "--backlog",
                "512",
                "--access-logfile",
                "-",
            ],
            cwd=ROOT / "example",
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for_port(PORT, proc)
        guesses = guessing.run(HOST, PORT, f"redis://{HOST}:6379/{REDIS_DB}")
        log(
            f"password guessing: {guesses['attempts']} concurrent wrong passwords, "
            f"{guesses['passwords_checked']} checked (limit {guesses['limit']}); "
            f"statuses {guesses['statuses']}"
        )
        log(
            f"gunicorn ({WORKERS} workers) on {HOST}:{PORT}; driving for {SECONDS:.0f} s / "
            f"{MAX_REQUESTS} requests with {THREADS} threads"
        )
        before = token_rows()
        uses: Uses = defaultdict(list)
        load = drive(credentials, uses)
        log(
            f"{load['requests']} requests in {load['seconds']} s: {load['throughput_rps']} req/s, "
            f"p50 {load['latency_ms']['p50']} ms, p90 {load['latency_ms']['p90']} ms, "
            f"p99 {load['latency_ms']['p99']} ms; statuses {load['statuses']}"
        )
        load["local_cache_subscribers"] = local_cache_subscribers()
        log(f"in-process token cache: {load['local_cache_subscribers']} workers subscribed")
        if load["local_cache_subscribers"] < WORKERS:
            load["problems"].append("not every worker kept token rows (TOKEN_LOCAL_CACHE_SIZE)")
        usage = check_last_used(credentials, uses, before)
        log(
            f"last_used: {usage['tokens_checked']} tokens ({usage['tokens_used_on_every_worker']}"
            f" used on all {WORKERS} workers) checked {usage['checked_after_s']:g} s after the "
            f"load; {usage['rows_compared']} rows compared: "
            f"{len(usage['problems'])} problem(s)"
        )
        replay = dpop_replay.run(HOST, PORT)
        log(
            f"DPoP: {replay['proofs']} proofs sent {replay['copies_per_proof']} times at once: "
            f"statuses {replay['statuses']}, {replay['workers_answering']} workers answered, "
            f"{replay['proofs_refused_by_another_worker']} proofs refused by another worker "
            "than the one that accepted them"
        )
        faults = outage(credentials, pg, rd, proc.pid)
        log(f"outage: {faults['answers']}")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
    leaked = [
        s[:8] + "…"
        for s in secrets_of(credentials) | set(replay["secrets"])
        if s in server_log.read_text(errors="replace")
    ]
    problems = (
        guesses["problems"]
        + load["problems"]
        + usage["problems"]
        + replay["problems"]
        + faults["problems"]
        + [f"token in the server log: {s}" for s in leaked]
    )
    report = {
        "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "setup": {
            "server": f"gunicorn, {WORKERS} sync workers",
            "database": "PostgreSQL",
            "cache": "Redis (token cache on)",
            "client_threads": THREADS,
            "cpus": os.cpu_count(),
        },
        "password_guessing": {k: v for k, v in guesses.items() if k != "problems"},
        "load": {k: v for k, v in load.items() if k != "problems"},
        "last_used": {k: v for k, v in usage.items() if k != "problems"},
        "dpop_replay": {k: v for k, v in replay.items() if k not in ("problems", "secrets")},
        "outage": faults["answers"],
        "problems": problems[:50],
        "problem_count": len(problems),
        "total_seconds": round(time.monotonic() - begun, 1),
    }
    (ARTIFACTS / "stress.json").write_text(json.dumps(report, indent=2) + "\n")
    if problems:
        log(f"FAILED: {len(problems)} problem(s), e.g.:")
        for problem in problems[:10]:
            log(f"  {problem}")
        return 1
    log(
        f"OK: zero 5xx, zero wrong identities, {load['one_time_credentials_checked']} one-time "
        f"credentials accepted exactly once across {WORKERS} workers, {load['revoked_mid_run']} "
        f"tokens revoked mid-run and refused after; {replay['proofs']} DPoP proofs sent "
        f"{replay['copies_per_proof']} times at once each accepted exactly once; "
        f"{guesses['attempts']} concurrent password "
        f"guesses checked {guesses['passwords_checked']} (limit {guesses['limit']}); outage "
        f"refused and recovered "
        f"({report['total_seconds']} s; test-artifacts/stress.json)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
