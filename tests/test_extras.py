"""Each optional module, imported without its extra, raises an ImportError naming the extra.

The dev environment has every extra installed, so each case runs in a fresh interpreter
where the extra's packages are made unimportable (a ``None`` entry in ``sys.modules``, which
makes ``import`` raise as for a missing package) before Django starts and the module is
imported. tests/test_packaging.py checks the same for real, in a virtualenv that has only
Django. These do not depend on the database or the user model: they run in pass 1 only.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(
    os.environ.get("AUTHGATE_TEST_USER", "auth") != "auth"
    or os.environ.get("AUTHGATE_TEST_DB", "sqlite") != "sqlite",
    reason="independent of the database and the user model: runs in pass 1 only",
)

# Blocks the packages in argv[1] (JSON), sets Django up with authgate alone, then runs the
# import statement in argv[2]; prints what happened as JSON.
PROBE = """
import json, sys
for name in json.loads(sys.argv[1]):
    sys.modules[name] = None
import django
from django.conf import settings
settings.configure(
    INSTALLED_APPS=["django.contrib.auth", "django.contrib.contenttypes", "authgate"],
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
)
django.setup()
try:
    exec(sys.argv[2])
except ImportError as exc:
    print(json.dumps({"error": type(exc).__name__, "message": str(exc), "name": exc.name}))
else:
    print(json.dumps({"error": None}))
"""

CASES = [
    # (import statement, packages made unimportable, the extra the message must name)
    ("import authgate.contrib.drf", ["rest_framework"], "drf"),
    ("import authgate.contrib.ninja", ["ninja"], "ninja"),
    ("import authgate.contrib.spectacular", ["drf_spectacular"], "spectacular"),
    ("import authgate.schemes.oauth.backend", ["jwt"], "oauth"),
    ("import authgate.schemes.httpsig.backend", ["http_sf"], "httpsig"),
    ("import authgate.schemes.httpsig.backend", ["cryptography"], "httpsig"),
    ("import authgate.schemes.httpsig.client", ["http_sf", "cryptography"], "client"),
    ("from authgate.schemes.httpsig.client import RequestsSignatureAuth", ["requests"], "client"),
    ("import authgate.cache", ["redis"], "redis"),
]


def probe(statement: str, blocked: list[str]) -> dict:
    result = subprocess.run(  # noqa: S603 — our own interpreter and a fixed script
        [sys.executable, "-c", PROBE, json.dumps(blocked), statement],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(("statement", "blocked", "extra"), CASES)
def test_missing_extra_names_the_extra(statement: str, blocked: list[str], extra: str) -> None:
    outcome = probe(statement, blocked)
    assert outcome["error"] == "MissingExtra", outcome
    assert f'pip install "authgate[{extra}]"' in outcome["message"]
    # The package that is missing, for tools that read ImportError.name.
    assert outcome["name"].split(".")[0] in blocked


def test_with_the_extras_everything_imports() -> None:
    """The control: without blocking, every statement above imports (the dev toolchain)."""
    statements = "\n".join(sorted({statement for statement, _blocked, _extra in CASES}))
    assert probe(statements, []) == {"error": None}


def test_requests_missing_leaves_the_rest_of_the_client_usable() -> None:
    """httpx users and plain-header users do not need requests."""
    statement = (
        "from authgate.schemes.httpsig.client import HttpxSignatureAuth, Signer, signature_headers"
    )
    assert probe(statement, ["requests"]) == {"error": None}
