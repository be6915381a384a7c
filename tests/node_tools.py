"""The suite's Node tools (``tests/node/``): a real OAuth server and an RFC 9421 signer.

``make test`` installs them from the committed lock file with ``npm ci`` (the ``node-tools``
target). Without Node or without ``tests/node/node_modules`` the tests that need them are
skipped with a one-line reason — unless ``CI=true``, where that is a failure (the policy of
the PostgreSQL, Redis and browser gates).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

NODE_DIR = Path(__file__).resolve().parent / "node"
INSTALL_HINT = "make node-tools (npm ci in tests/node)"


def unavailable(reason: str) -> None:
    """Skip with ``reason``, or fail under ``CI=true``."""
    if os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}:
        pytest.fail(f"{reason} (CI=true: these tests must run)", pytrace=False)
    pytest.skip(reason)


def node() -> str:
    """The ``node`` executable, with the packages installed; skip (or fail in CI) without."""
    found = shutil.which("node")
    if found is None:
        unavailable("needs Node.js (node) for the tests/node tools")
    if (
        not (NODE_DIR / "node_modules" / "oidc-provider").is_dir()
        or not (NODE_DIR / "node_modules" / "http-message-signatures").is_dir()
    ):
        unavailable(f"needs tests/node/node_modules: {INSTALL_HINT}")
    return str(found)


def run_script(script: str, payload: Any, *, timeout: float = 60) -> Any:
    """Run ``node tests/node/<script>`` with ``payload`` as JSON on stdin; its JSON answer."""
    result = subprocess.run(  # noqa: S603 - our own script, under our own node
        [node(), str(NODE_DIR / script)],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, f"{script} failed: {result.stderr[-2000:]}"
    return json.loads(result.stdout)
