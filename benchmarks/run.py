"""``make bench``: authgate's hot paths against the peers, in one process, one database.

Run as ``python -m benchmarks.run`` (SQLite, and PostgreSQL when reachable: once with
Django's defaults, once with server-side binding and prepared statements; then the
report) or
``python -m benchmarks.run --db sqlite --out part.json`` (one database; used internally,
since Django's database settings are fixed at start-up). ``BENCH_FAST_PATHS=0`` runs
authgate on its plain ORM paths (``AUTHGATE["FAST_PATHS"] = False``); each part says which
paths its token lookups took (``"authgate paths"``).

What it prints and writes (``benchmarks/results/``): median µs per authentication for each
scheme and each peer, the raw indexed join as the floor, queries per authentication, peak
memory, full-request latency through a minimal DRF view, and authgate's token lookup with a
large table. Benchmarks are not tests: the test suite asserts query counts, never times.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
USERS = int(os.environ.get("BENCH_USERS", "10000"))
LARGE = int(os.environ.get("BENCH_LARGE", "1000000"))
SAMPLE = 200  # users who get one credential of every kind
ROUNDS = 3
#: Rounds the authentication cases and the full requests are interleaved in.
INTERLEAVED_ROUNDS = 10
#: PostgreSQL again, with server-side binding and prepared statements (for every library).
PREPARED = "postgres-prepared"


def setup_django(db: str) -> None:
    os.environ["BENCH_DB"] = db
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.settings")
    sys.path[:0] = [str(ROOT)]
    if db.startswith("postgres"):
        import psycopg

        name = os.environ.get("BENCH_PG_NAME", "authgate_bench")
        with psycopg.connect(
            "host=127.0.0.1 user=postgres dbname=postgres", autocommit=True
        ) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
    else:
        Path(os.environ.get("BENCH_SQLITE_PATH", RESULTS / "bench.sqlite3")).unlink(missing_ok=True)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def timed_ns(case: Any, calls: int) -> list[int]:
    """ns per call for ``calls`` calls, after the case's untimed warm-up calls."""
    warm_calls = max(calls // 10, case.warm)
    inputs = [case.prepare(i) for i in range(warm_calls + calls)]
    warm, timed = inputs[:warm_calls], inputs[warm_calls:]
    for item in warm:
        case.call(item)
    gc.collect()
    clock = time.perf_counter_ns
    samples = []
    for item in timed:
        start = clock()
        case.call(item)
        samples.append(clock() - start)
    return samples


def median_us(case: Any, calls: int | None = None) -> float:
    return statistics.median(timed_ns(case, calls or case.calls)) / 1000


def queries_and_memory(case: Any) -> tuple[int, float]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    item = case.prepare(0)
    result = case.call(item)
    if not case.expect(result):
        raise SystemExit(f"{case.name}: did not authenticate ({result!r})")
    item = case.prepare(1)  # outside the count: preparing may write (a stale token)
    with CaptureQueriesContext(connection) as ctx:
        case.call(item)
    inputs = [case.prepare(i) for i in range(200)]
    tracemalloc.start()
    for item in inputs:
        case.call(item)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return len(ctx.captured_queries), peak / 1024


def make_data() -> dict[str, Any]:
    """10k users; credentials of every kind for a sample; the same password for all."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from knox.models import AuthToken
    from rest_framework.authtoken.models import Token
    from rest_framework_api_key.models import APIKey
    from rest_framework_simplejwt.tokens import AccessToken
    from sesame.utils import get_token

    from authgate.core import opaque
    from authgate.schemes.links import service as links
    from authgate.schemes.scoped import service as scoped
    from authgate.schemes.tokens import service as tokens

    User = get_user_model()
    password = make_password("bench-password")
    User.objects.bulk_create(
        [
            User(username=f"user{i}", email=f"user{i}@example.com", password=password)
            for i in range(USERS)
        ],
        batch_size=2000,
    )
    users = list(User.objects.order_by("pk")[:SAMPLE])
    drf_keys = [Token.objects.create(user=u).key for u in users]
    Token.objects.bulk_create(
        [
            Token(key=opaque.generate("drf")[:40], user_id=pk)
            for pk in User.objects.order_by("pk").values_list("pk", flat=True)[SAMPLE:]
        ],
        batch_size=2000,
    )
    data: dict[str, Any] = {
        "users": users,
        "drf": drf_keys,
        "knox": [AuthToken.objects.create(u)[1] for u in users[:50]],
        "jwt": [str(AccessToken.for_user(u)) for u in users],
        "api_key": [APIKey.objects.create_key(name=f"k{i}")[1] for i in range(20)],
        "sesame": [get_token(u) for u in users],
        "authgate": [tokens.issue(u, name="bench")[1] for u in users],
        "scoped": [scoped.issue(u, endpoints={"GET": ["/"]}, max_age=3600) for u in users],
        "link": [links.get_token(u) for u in users],
    }
    data.update(import_legacy(data))
    add_token_rows(USERS - SAMPLE)
    return data


def import_legacy(data: dict[str, Any]) -> dict[str, Any]:
    """The DRF keys, knox tokens and API keys imported as authgate rows (issue #20), and
    links as django-sesame made them (its v2 format, LINK_ACCEPT_SESAME_TOKENS)."""
    from authgate.core import sesame_v2
    from authgate.schemes.links import sesame
    from authgate.schemes.links.settings import link_settings
    from authgate.schemes.tokens.legacy_import import (
        import_api_keys,
        import_drf_tokens,
        import_knox_tokens,
    )

    import_drf_tokens()
    import_knox_tokens()
    import_api_keys(username=data["users"][0].username, create_users=None)
    # An API key's first use checks its hash and stores its digest: done here, untimed.
    from authgate.chain import authenticate, load_backends
    from benchmarks.cases import header_request

    backends = load_backends(["authgate.schemes.tokens.backend.TokenBackend"])
    for api_key in data["api_key"]:
        authenticate(header_request(f"Api-Key {api_key}"), backends)
    cfg = link_settings()
    key = sesame.verification_keys(cfg)[0]
    packer = sesame.sesame_packer(cfg)
    sesame_links = [
        sesame_v2.create(
            u.pk,
            packer=packer,
            key=key,
            revocation=sesame.revocation(u, cfg),
            timestamped=cfg.timestamped,
        )
        for u in data["users"]
    ]
    return {"sesame_v2": sesame_links}


def add_token_rows(count: int) -> None:
    """Fill the token table with rows for random users (digests of random tokens)."""
    from django.contrib.auth import get_user_model

    from authgate.core import opaque
    from authgate.models import APIToken

    user_ids = list(get_user_model().objects.values_list("pk", flat=True))
    batch: list[Any] = []
    for i in range(count):
        plaintext = opaque.generate("agt")
        batch.append(
            APIToken(
                user_id=user_ids[i % len(user_ids)],
                name="filler",
                digest=opaque.digest(plaintext),
                digest_version=opaque.DIGEST_VERSION,
                display_prefix=opaque.display_prefix(plaintext),
            )
        )
        if len(batch) == 5000:
            APIToken.objects.bulk_create(batch)
            batch = []
    if batch:
        APIToken.objects.bulk_create(batch)


def settle_tables() -> None:
    """On PostgreSQL, ``VACUUM ANALYZE`` after the bulk inserts, as a table in service has
    been: otherwise autovacuum may run during a timing, and the planner has no statistics."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")


def measure(db: str, only: str | None = None) -> dict[str, Any]:
    """Every case on ``db`` (or only those whose name contains ``only``, and nothing else)."""
    from authgate.core import opaque
    from benchmarks import cases

    setup_django(db)
    data = make_data()
    settle_tables()
    users = data["users"]

    def header(keyword: str, values: list[str]) -> Any:
        return lambda i: cases.header_request(f"{keyword} {values[i % len(values)]}")

    def link_requests(i: int) -> Any:
        return cases.rf.get("/", {"sesame": data["link"][i % len(data["link"])]})

    def stale_token_requests(i: int) -> Any:
        """The i-th token with ``last_used`` cleared (untimed here): its next use is its first
        in the interval, which wrote ``last_used`` on the request path before issue #24 and
        is now noted in the usage buffer like any other use."""
        from authgate.models import APIToken

        token = data["authgate"][i % len(data["authgate"])]
        APIToken.objects.filter(digest=opaque.digest(token)).update(last_used=None)
        return cases.header_request(f"Bearer {token}")

    basic = cases.basic_header(users[0].username, "bench-password")
    digests = [opaque.digest(t) for t in data["authgate"]]
    all_cases = [
        cases.floor_case(digests),
        cases.authgate_case(
            "authgate API token",
            "authgate.schemes.tokens.backend.TokenBackend",
            header("Bearer", data["authgate"]),
            # Every sampled token once before timing: ``last_used`` is then fresh, and a
            # token's first use in its interval is measured on its own below.
            warm=SAMPLE,
        ),
        cases.authgate_case(
            "authgate API token, first use in its interval",
            "authgate.schemes.tokens.backend.TokenBackend",
            stale_token_requests,
            calls=SAMPLE * ROUNDS * 2 // 3,  # each timed call on a different token
        ),
        cases.authgate_case(
            "authgate scoped token",
            "authgate.schemes.scoped.backend.ScopedTokenBackend",
            header("TmpToken", data["scoped"]),
        ),
        cases.authgate_case(
            "authgate magic link", "authgate.schemes.links.backend.LinkBackend", link_requests
        ),
        cases.authgate_case(
            "authgate Basic (PBKDF2)",
            "authgate.schemes.basic.BasicBackend",
            lambda i: cases.header_request(basic),
            calls=30,
        ),
        # The credentials of the packages authgate replaces, imported: one indexed query each,
        # like an agt_ token (an API key's first use checks its hash: warmed up, untimed).
        cases.authgate_case(
            "authgate imported DRF key",
            "authgate.schemes.tokens.backend.TokenBackend",
            header("Token", data["drf"]),
            warm=SAMPLE,
        ),
        cases.authgate_case(
            "authgate imported knox token",
            "authgate.schemes.tokens.backend.TokenBackend",
            header("Token", data["knox"]),
            warm=SAMPLE,
        ),
        cases.authgate_case(
            "authgate imported API key",
            "authgate.schemes.tokens.backend.TokenBackend",
            header("Api-Key", data["api_key"]),
            warm=SAMPLE,
        ),
        cases.authgate_case(
            "authgate magic link django-sesame made",
            "authgate.schemes.links.backend.LinkBackend",
            lambda i: cases.rf.get("/", {"sesame": data["sesame_v2"][i % SAMPLE]}),
        ),
        cases.drf_token_case(data["drf"]),
        cases.knox_case(data["knox"]),
        cases.simplejwt_case(data["jwt"]),
        cases.api_key_case(data["api_key"]),
        cases.sesame_case(data["sesame"]),
        *cases.api_token_dpop_cases(users),
        *cases.oauth_cases([user.username for user in users]),
    ]
    if only:
        wanted = [part.strip().lower() for part in only.split(",") if part.strip()]
        all_cases = [c for c in all_cases if any(w in c.name.lower() for w in wanted)]
    rows = []
    # Interleaved rounds of a few hundred calls, each case's median taken over all of them:
    # the load on a shared machine drifts within seconds, and then weighs on every case
    # alike instead of on whichever ran during a slow stretch. (Rounds of a few dozen calls
    # were tried: each case then starts cold so often that Python-heavy cases lose against
    # the floor's tight loop, on PostgreSQL by up to 1.5x.)
    samples: dict[str, list[int]] = {case.name: [] for case in all_cases}
    for round_ in range(INTERLEAVED_ROUNDS):
        for case in all_cases:
            # case.calls in all, spread over the rounds.
            calls = case.calls // INTERLEAVED_ROUNDS + (round_ < case.calls % INTERLEAVED_ROUNDS)
            if calls:
                samples[case.name] += timed_ns(case, calls)
    best = {name: statistics.median(values) / 1000 for name, values in samples.items()}
    for case in all_cases:
        queries, memory = queries_and_memory(case)
        rows.append(
            {
                "name": case.name,
                "group": case.group,
                "median_us": best[case.name],
                "queries": queries,
                "peak_kib": memory,
            }
        )
        print(f"  {db:8} {case.name:40} {rows[-1]['median_us']:9.1f} µs  {queries} q", flush=True)
    from authgate.schemes.tokens.store import token_store

    # Which path authgate's token lookups took (AUTHGATE["FAST_PATHS"], the guard).
    paths = "fast" if token_store().rows.fast else "plain"
    if only:
        return {"db": db, "users": USERS, "only": only, "authgate paths": paths, "auth": rows}
    result = {
        "db": db,
        "users": USERS,
        "authgate paths": paths,
        "auth": rows,
        "requests": measure_requests(data),
        "cache hit": measure_cache_hit(
            header("Bearer", data["authgate"]),
            digests,
            "authgate API token (Redis cache hit)",
            REDIS_CACHE,
        ),
        "local cache hit": measure_cache_hit(
            header("Bearer", data["authgate"]),
            digests,
            "authgate API token (in-process cache hit)",
            LOCAL_CACHE,
        ),
    }
    if LARGE > USERS and db != PREPARED:  # the table size is measured once per engine
        add_token_rows(LARGE - USERS)
        settle_tables()
        large = [cases.floor_case(digests), all_cases[1]]
        result["large"] = {
            "tokens": LARGE,
            "auth": [
                {"name": c.name, "median_us": min(median_us(c, c.calls // 3) for _ in range(3))}
                for c in large
            ],
        }
    return result


#: The token cache on Redis, and with rows kept in each process too.
REDIS_CACHE = {"CACHE": "redis", "TOKEN_CACHE_TIMEOUT": 300}
LOCAL_CACHE = {**REDIS_CACHE, "TOKEN_LOCAL_CACHE_SIZE": 10_000}


def cache_settings(overrides: dict[str, Any]) -> Any:
    from django.conf import settings as django_settings
    from django.test import override_settings

    return override_settings(AUTHGATE={**django_settings.AUTHGATE, **overrides})


def measure_cache_hit(
    requests: Any, digests: list[str], name: str, overrides: dict[str, Any]
) -> dict[str, Any]:
    """The token path with a warm cache (a hit makes no query), and the lookup alone."""
    from django.core.cache import caches

    from authgate.schemes.tokens.store import token_store
    from benchmarks import cases

    with cache_settings(overrides):
        caches["redis"].clear()
        case = cases.authgate_case(
            name, "authgate.schemes.tokens.backend.TokenBackend", requests, warm=2 * SAMPLE
        )
        for i in range(2 * SAMPLE):  # every sampled token, twice: the first use writes
            case.call(case.prepare(i))  # last_used, which drops an in-process copy
        queries, memory = queries_and_memory(case)
        median = min(median_us(case, 1000) for _ in range(ROUNDS))
        lookup = token_store().lookup  # this settings generation's store
        alone = cases.Case(f"{name}: the lookup alone", "authgate", cases.pick(digests), lookup)
        lookup_us = min(median_us(alone, 1000) for _ in range(ROUNDS))
    print(f"  {name} {median:9.1f} µs (the lookup alone {lookup_us:.1f})  {queries} q", flush=True)
    return {
        "name": case.name,
        "median_us": median,
        "lookup_us": lookup_us,
        "queries": queries,
        "peak_kib": memory,
    }


def measure_requests(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Median µs per full request through a minimal DRF view (test client, no middleware)."""
    from django.test import Client

    client = Client()
    token = f"Bearer {data['authgate'][0]}"
    plans = [
        ("unauthenticated", "/open/", None, {}),
        ("authgate API token", "/authgate/", token, {}),
        ("authgate API token, in-process cache", "/authgate/", token, LOCAL_CACHE),
        ("DRF TokenAuthentication", "/drf-token/", f"Token {data['drf'][0]}", {}),
        ("knox", "/knox/", f"Token {data['knox'][0]}", {}),
    ]
    # Interleaved rounds, each plan's median over all of them (as for the cases above).
    samples: dict[str, list[int]] = {name: [] for name, *_ in plans}
    for round_ in range(INTERLEAVED_ROUNDS):
        for name, path, header, overrides in plans:
            extra = {"HTTP_AUTHORIZATION": header} if header else {}
            with cache_settings(overrides):
                assert client.get(path, **extra).status_code == 200, name
                for _ in range(100 if round_ == 0 else 20):
                    client.get(path, **extra)
                for _ in range(2100 // INTERLEAVED_ROUNDS):
                    start = time.perf_counter_ns()
                    client.get(path, **extra)
                    samples[name].append(time.perf_counter_ns() - start)
    return [
        {"name": name, "median_us": statistics.median(samples[name]) / 1000} for name, *_ in plans
    ]


def reachable_databases() -> list[str]:
    dbs = ["sqlite"]
    try:
        import psycopg

        psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", connect_timeout=3).close()
        dbs += ["postgres", PREPARED]
    except Exception as exc:
        print(f"PostgreSQL not reachable ({exc}); benchmarking SQLite only")
    return dbs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", choices=["sqlite", "postgres", PREPARED])
    parser.add_argument("--out")
    parser.add_argument(
        "--only",
        help="time only the cases whose name contains one of these comma-separated words "
        "(case-insensitive), on --db (default sqlite); print them, write --out if given, "
        "and leave results/ alone (e.g. --only 'OAuth,simplejwt,floor')",
    )
    args = parser.parse_args()
    if args.only:
        result = measure(args.db or "sqlite", only=args.only)
        if args.out:
            Path(args.out).write_text(json.dumps(result, indent=2, default=str))
        return
    if args.db:
        Path(args.out).write_text(json.dumps(measure(args.db), indent=2, default=str))
        return
    RESULTS.mkdir(parents=True, exist_ok=True)
    parts = []
    for db in reachable_databases():
        out = RESULTS / f"{db}.part.json"
        subprocess.run(
            [sys.executable, "-m", "benchmarks.run", "--db", db, "--out", str(out)],
            check=True,
            cwd=ROOT,
        )
        parts.append(json.loads(out.read_text()))
        out.unlink()
    from benchmarks import report

    report.write(parts, RESULTS)


if __name__ == "__main__":
    main()
