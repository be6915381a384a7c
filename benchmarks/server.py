"""``make bench-server``: whole requests through a real server, many tokens in rotation.

``benchmarks.run`` times authentication inside one process, in the steady state. This
measures what a deployment sees when a thousand API clients each call now and then:

* gunicorn with 2 sync workers serving ``benchmarks.urls`` (the same minimal DRF view
  behind every scheme), persistent database connections;
* wrk (Debian's package; ``make wrk`` installs it) with 16 connections on 2 threads, each
  request carrying the next of 1,000 credentials (``benchmarks/rotate.lua``);
* rows: no authentication (the ceiling), DRF ``TokenAuthentication``, knox,
  djangorestframework-api-key, and authgate three ways (``benchmarks/server_settings.py``):
  the steady state, the in-process token cache on Redis, and every request being its
  token's first use in its ``TOKEN_LAST_USED_INTERVAL``;
* 8 interleaved rounds (each round runs every row once, the order rotating), medians of
  the rounds' req/s, p50 and p99, on SQLite (a file) and PostgreSQL (when reachable).

Run as ``python -m benchmarks.server`` (both databases, then the table:
``benchmarks/results/server.json`` and ``server.txt``) or ``--db sqlite --out part.json``
(one database; used internally, since Django's database settings are fixed at start-up).
``BENCH_SERVER_SECONDS`` (5), ``BENCH_SERVER_ROUNDS`` (8), ``BENCH_SERVER_TOKENS`` (1000)
and ``BENCH_SERVER_PORT`` (8440; three consecutive ports) change the run; ``BENCH_PG_NAME``,
``BENCH_SQLITE_PATH`` and ``REDIS_URL`` where its data lives, as for ``benchmarks.run``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
SCRIPT = ROOT / "benchmarks" / "rotate.lua"
HOST = "127.0.0.1"
SECONDS = float(os.environ.get("BENCH_SERVER_SECONDS", "5"))
ROUNDS = int(os.environ.get("BENCH_SERVER_ROUNDS", "8"))
TOKENS = int(os.environ.get("BENCH_SERVER_TOKENS", "1000"))
PORT = int(os.environ.get("BENCH_SERVER_PORT", "8440"))
WORKERS = 2
CONNECTIONS = 16
THREADS = 2
WARM_SECONDS = 2.0
#: The gunicorn servers, one per authgate configuration (benchmarks/server_settings.py).
SERVERS = ("steady", "local-cache", "every-use")


@dataclass(frozen=True)
class Row:
    name: str
    server: str  # which of SERVERS answers it
    path: str
    credentials: str | None  # which list of Authorization values; None: no header


ROWS = (
    Row("no authentication (the ceiling)", "steady", "/open/", None),
    Row("DRF TokenAuthentication", "steady", "/drf-token/", "drf"),
    Row("knox", "steady", "/knox/", "knox"),
    Row("djangorestframework-api-key", "steady", "/api-key/", "api_key"),
    Row("authgate, steady state", "steady", "/authgate/", "authgate"),
    Row("authgate, in-process cache", "local-cache", "/authgate/", "authgate"),
    Row(
        "authgate, every use its token's first in the interval",
        "every-use",
        "/authgate/",
        "authgate",
    ),
)
STEADY, CACHED, EVERY_USE = (row.name for row in ROWS[4:])
DRF = ROWS[1].name


def log(message: str) -> None:
    print(f"bench-server: {message}", flush=True)


# --- the data -------------------------------------------------------------------------


def setup_django(db: str) -> None:
    os.environ["BENCH_DB"] = db
    os.environ["DJANGO_SETTINGS_MODULE"] = "benchmarks.server_settings"
    os.environ["BENCH_SQLITE_PATH"] = str(sqlite_path())
    sys.path[:0] = [str(ROOT)]
    from benchmarks.run import setup_django as setup_database

    setup_database(db)


def sqlite_path() -> Path:
    return Path(os.environ.get("BENCH_SQLITE_PATH", RESULTS / "server.sqlite3"))


def make_credentials() -> dict[str, list[str]]:
    """``TOKENS`` users, each with one credential of every kind; Authorization values."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone
    from knox.models import AuthToken
    from rest_framework.authtoken.models import Token
    from rest_framework_api_key.models import APIKey

    from authgate import tokens
    from authgate.models import APIToken

    model = get_user_model()
    people = []
    for i in range(TOKENS):
        user = model(username=f"client{i:04d}", email=f"client{i:04d}@example.com")
        user.set_unusable_password()
        people.append(user)
    model.objects.bulk_create(people, batch_size=1000)
    people = list(model.objects.order_by("pk"))
    drf = [Token(key=Token.generate_key(), user=user) for user in people]
    Token.objects.bulk_create(drf, batch_size=1000)
    credentials = {
        "drf": [f"Token {token.key}" for token in drf],
        "knox": [f"Token {AuthToken.objects.create(user)[1]}" for user in people],
        "api_key": [f"Api-Key {APIKey.objects.create_key(name=f'k{i}')[1]}" for i in range(TOKENS)],
        "authgate": [f"Bearer {tokens.issue(user, name='bench')[1]}" for user in people],
    }
    # The steady state: no use is the first of its interval (a day, on that server).
    APIToken.objects.update(last_used=timezone.now(), last_used_ip="127.0.0.1")
    return credentials


# --- servers and load -------------------------------------------------------------------


def start_servers(db: str, logs: Path) -> dict[str, subprocess.Popen[bytes]]:
    gunicorn = Path(sys.executable).with_name("gunicorn")
    servers = {}
    for offset, config in enumerate(SERVERS):
        env = {
            **os.environ,
            "BENCH_DB": db,
            "BENCH_SERVER_CONFIG": config,
            "BENCH_SQLITE_PATH": str(sqlite_path()),
            "DJANGO_SETTINGS_MODULE": "benchmarks.server_settings",
            "PYTHONPATH": str(ROOT),
        }
        with (logs / f"{config}.log").open("wb") as out:
            servers[config] = subprocess.Popen(
                [
                    str(gunicorn),
                    "benchmarks.wsgi:application",
                    "--workers",
                    str(WORKERS),
                    "--bind",
                    f"{HOST}:{PORT + offset}",
                    "--backlog",
                    "2048",
                    "--timeout",
                    "60",
                    "--graceful-timeout",
                    "10",
                ],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
    for offset, config in enumerate(SERVERS):
        wait_until_serving(PORT + offset, servers[config])
    return servers


def wait_until_serving(port: int, proc: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn on port {port} exited during start-up; see its log")
        try:
            if get(port, "/open/", None)[0] == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"gunicorn on port {port} did not answer in time")


def stop_servers(servers: dict[str, subprocess.Popen[bytes]]) -> None:
    """SIGTERM, as a deployment stops gunicorn: each worker finishes and exits cleanly."""
    for proc in servers.values():
        proc.send_signal(signal.SIGTERM)
    for proc in servers.values():
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def get(port: int, path: str, authorization: str | None) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        conn.request("GET", path, headers={"Authorization": authorization} if authorization else {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def check_rows(credentials: dict[str, list[str]]) -> None:
    """Every row answers 200 with its credential, and refuses a request without one: a
    broken row fails here instead of timing an error path."""
    for row in ROWS:
        port = PORT + SERVERS.index(row.server)
        value = credentials[row.credentials][-1] if row.credentials else None
        status, body = get(port, row.path, value)
        if status != 200:
            raise SystemExit(f"{row.name}: {status} {body[:200]!r}")
        if row.credentials and get(port, row.path, None)[0] not in {401, 403}:
            raise SystemExit(f"{row.name}: answers without credentials")


def wrk(port: int, path: str, token_file: Path | None, seconds: float) -> dict[str, Any]:
    """One wrk run; the numbers its script's ``done()`` prints."""
    env = {**os.environ, "BENCH_TOKENS": str(token_file or "")}
    command = [
        shutil.which("wrk") or "wrk",
        f"-t{THREADS}",
        f"-c{CONNECTIONS}",
        f"-d{seconds:g}s",
        "--timeout",
        "30s",
        "-s",
        str(SCRIPT),
        f"http://{HOST}:{port}{path}",
        "--",
        str(THREADS),
        str(random.randrange(TOKENS)),
    ]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    line = next(x for x in done.stdout.splitlines() if x.startswith('{"requests"'))
    raw = json.loads(line)
    seconds_run = raw["duration_us"] / 1e6
    return {
        "rps": raw["requests"] / seconds_run,
        "p50_ms": raw["p50_us"] / 1000,
        "p90_ms": raw["p90_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "max_ms": raw["max_us"] / 1000,
        "requests": raw["requests"],
        "errors": raw["errors"],
    }


def measure(db: str) -> dict[str, Any]:
    setup_django(db)
    if db == "sqlite":
        for suffix in ("-wal", "-shm", "-journal"):
            Path(f"{sqlite_path()}{suffix}").unlink(missing_ok=True)
    started = time.time()
    credentials = make_credentials()
    from benchmarks.run import settle_tables

    settle_tables()
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/9")
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    from django.db import connections

    connections.close_all()  # the servers own the database from here
    log(f"{db}: {TOKENS} users with a credential of each kind, in {time.time() - started:.0f} s")
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-server-") as tmp:
        files = {}
        for kind, values in credentials.items():
            files[kind] = Path(tmp) / f"{kind}.txt"
            files[kind].write_text("\n".join(values) + "\n")
        logs = RESULTS / "server-logs"
        logs.mkdir(parents=True, exist_ok=True)
        servers = start_servers(db, logs)
        try:
            check_rows(credentials)
            runs: dict[str, list[dict[str, Any]]] = {row.name: [] for row in ROWS}
            for row in ROWS:  # warm every worker and connection; not counted
                port = PORT + SERVERS.index(row.server)
                wrk(port, row.path, files.get(row.credentials or ""), WARM_SECONDS)
            timed_from = time.time()
            for round_ in range(ROUNDS):
                shift = round_ % len(ROWS)
                for row in ROWS[shift:] + ROWS[:shift]:
                    port = PORT + SERVERS.index(row.server)
                    run = wrk(port, row.path, files.get(row.credentials or ""), SECONDS)
                    runs[row.name].append(run)
                    log(
                        f"{db} round {round_ + 1}/{ROUNDS}: {row.name:55} "
                        f"{run['rps']:7.0f} req/s  p50 {run['p50_ms']:7.1f} ms  "
                        f"p99 {run['p99_ms']:7.1f} ms  non-2xx {run['errors']['status']}"
                    )
        finally:
            stop_servers(servers)
    load_after = os.getloadavg()
    rows = []
    for row in ROWS:
        done = runs[row.name]
        rows.append(
            {
                "name": row.name,
                "rps": statistics.median(r["rps"] for r in done),
                "p50_ms": statistics.median(r["p50_ms"] for r in done),
                "p99_ms": statistics.median(r["p99_ms"] for r in done),
                "rps_range": [min(r["rps"] for r in done), max(r["rps"] for r in done)],
                "requests": sum(r["requests"] for r in done),
                "non_2xx": sum(r["errors"]["status"] for r in done),
                "socket_errors": sum(
                    r["errors"][k] for r in done for k in ("connect", "read", "write", "timeout")
                ),
            }
        )
    return {
        "db": db,
        "rows": rows,
        "runs": runs,
        "last_used_written": last_used_written(timed_from),
        "load_before": load_before,
        "load_after": load_after,
    }


def last_used_written(since: float) -> int:
    """authgate tokens whose ``last_used`` was written during the timed rounds (all of
    them should be: every row rotates every token), read after the servers stopped."""
    from datetime import UTC, datetime

    from authgate.models import APIToken

    moment = datetime.fromtimestamp(since, UTC) - timedelta(seconds=1)
    return APIToken.objects.filter(last_used__gte=moment).count()


# --- the report ---------------------------------------------------------------------------


def ratios(part: dict[str, Any]) -> dict[str, float]:
    """The issue's targets (#24), within one run on one database."""
    rows = {row["name"]: row for row in part["rows"]}
    return {
        "every-use / steady state (req/s)": rows[EVERY_USE]["rps"] / rows[STEADY]["rps"],
        "every-use p99 / DRF p99": rows[EVERY_USE]["p99_ms"] / rows[DRF]["p99_ms"],
        "steady state / DRF (req/s)": rows[STEADY]["rps"] / rows[DRF]["rps"],
    }


TARGETS = {
    "every-use / steady state (req/s)": (False, 0.9),
    "every-use p99 / DRF p99": (True, 1.0),
}


def verdict(name: str, value: float) -> str:
    if name not in TARGETS:
        return ""
    at_most, bound = TARGETS[name]
    met = value <= bound if at_most else value >= bound
    return f"{'met' if met else 'MISSED'} ({'<=' if at_most else '>='} {bound:g})"


def table(parts: list[dict[str, Any]]) -> str:
    lines = [
        f"gunicorn ({WORKERS} sync workers) + wrk ({CONNECTIONS} connections, {THREADS} "
        f"threads), {TOKENS:,} credentials in rotation; medians of {ROUNDS} interleaved "
        f"rounds of {SECONDS:g} s",
    ]
    for part in parts:
        before, after = part["load_before"], part["load_after"]
        lines.append(
            f"\n{part['db']} (load average before {before[0]:.2f} {before[1]:.2f}, "
            f"after {after[0]:.2f} {after[1]:.2f})"
        )
        lines.append(
            f"  {'':56} {'req/s':>7} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8}  req/s range"
        )
        for row in part["rows"]:
            low, high = row["rps_range"]
            lines.append(
                f"  {row['name']:56} {row['rps']:7.0f} {row['p50_ms']:8.1f} {row['p99_ms']:8.1f}"
                f" {row['non_2xx']:8}  {low:.0f}-{high:.0f}"
            )
        lines.append(
            f"  tokens whose last_used was written during the rounds: {part['last_used_written']}"
        )
        lines.append("  ratios (and issue #24's targets):")
        for name, value in ratios(part).items():
            lines.append(f"    {name:40} {value:6.2f}  {verdict(name, value)}".rstrip())
    return "\n".join(lines)


def write(parts: list[dict[str, Any]]) -> None:
    import django

    summary = {
        "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "environment": {
            "python": platform.python_version(),
            "django": django.get_version(),
            "cpus": os.cpu_count(),
            "wrk": subprocess.run(
                ["wrk", "--version"], capture_output=True, text=True, check=False
            ).stdout.splitlines()[:1],
        },
        "setup": {
            "workers": WORKERS,
            "connections": CONNECTIONS,
            "wrk_threads": THREADS,
            "tokens": TOKENS,
            "rounds": ROUNDS,
            "seconds_per_run": SECONDS,
        },
        "results": parts,
        "ratios": {part["db"]: ratios(part) for part in parts},
        "targets": {
            part["db"]: {name: verdict(name, value) for name, value in ratios(part).items()}
            for part in parts
        },
    }
    (RESULTS / "server.json").write_text(json.dumps(summary, indent=2) + "\n")
    text = table(parts)
    (RESULTS / "server.txt").write_text(text + "\n")
    print(text)
    print(f"\nwrote {RESULTS / 'server.json'}, {RESULTS / 'server.txt'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", choices=["sqlite", "postgres"])
    parser.add_argument("--out")
    args = parser.parse_args()
    if args.db:
        Path(args.out).write_text(json.dumps(measure(args.db), indent=2, default=str))
        return
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: `make wrk` (Debian's package, as root)")
    from benchmarks.run import reachable_databases

    RESULTS.mkdir(parents=True, exist_ok=True)
    parts = []
    for db in [db for db in reachable_databases() if db in {"sqlite", "postgres"}]:
        out = RESULTS / f"server-{db}.part.json"
        subprocess.run(
            [sys.executable, "-m", "benchmarks.server", "--db", db, "--out", str(out)],
            check=True,
            cwd=ROOT,
        )
        parts.append(json.loads(out.read_text()))
        out.unlink()
    write(parts)


if __name__ == "__main__":
    main()
