"""For the tests that run the demo project in real servers: a free port, and the demo's
``manage.py`` run in a subprocess with the test's environment."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def manage(env: dict[str, str], *args: str, timeout: float = 180) -> str:
    """``example/manage.py <args>`` under ``env``; its standard output (fails the test on a
    non-zero exit, with the command's standard error)."""
    result = subprocess.run(  # noqa: S603 — our own interpreter and manage.py
        [sys.executable, "example/manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def wait_until_serving(
    process: subprocess.Popen[bytes], base: str, name: str, seconds: float = 60
) -> None:
    """Until ``base`` answers ``/api/public/``; fails the test with the server's output if
    the server exits or ``seconds`` pass first."""
    import httpx
    import pytest

    deadline = time.monotonic() + seconds
    while True:
        try:
            httpx.get(base + "/api/public/", timeout=1)
            return
        except httpx.TransportError:
            if process.poll() is not None or time.monotonic() > deadline:
                output = process.stdout.read().decode() if process.stdout else ""
                pytest.fail(f"{name} did not start:\n{output}")
            time.sleep(0.1)
