"""Settings of the servers ``make bench-server`` runs: ``benchmarks.settings`` plus one
configuration of authgate, chosen by ``BENCH_SERVER_CONFIG``.

``steady``
    authgate as configured by default, with ``TOKEN_LAST_USED_INTERVAL`` at a day and every
    token's ``last_used`` set just before: no use is the first of its interval (the steady
    state ``benchmarks.run`` measures). This server also serves the peers' rows.
``local-cache``
    the same, with the token cache on Redis and rows kept in each worker
    (``TOKEN_CACHE_TIMEOUT`` + ``TOKEN_LOCAL_CACHE_SIZE``).
``every-use``
    ``TOKEN_LAST_USED_INTERVAL`` at zero: every request is its token's first use in its
    interval, as when many clients each call now and then.
"""

import os
from datetime import timedelta

from benchmarks.settings import *  # noqa: F403
from benchmarks.settings import AUTHGATE

CONFIG = os.environ.get("BENCH_SERVER_CONFIG", "steady")
if CONFIG not in {"steady", "local-cache", "every-use"}:
    raise ValueError(f"BENCH_SERVER_CONFIG={CONFIG!r}: steady, local-cache or every-use")

AUTHGATE = {
    **AUTHGATE,
    "TOKEN_LAST_USED_INTERVAL": timedelta(0) if CONFIG == "every-use" else timedelta(days=1),
}
if CONFIG == "local-cache":
    AUTHGATE |= {"CACHE": "redis", "TOKEN_CACHE_TIMEOUT": 300, "TOKEN_LOCAL_CACHE_SIZE": 10_000}
