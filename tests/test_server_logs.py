"""Credentials in URLs are masked in the servers' access logs and ``django.request`` with
default settings (issue #19, reproduction 12).

The filter is installed on those loggers when Django starts (``AUTHGATE["REDACT_LOGGERS"]``),
not by a hand-written ``LOGGING``: the suite's ``LOGGING`` does not wire it, and neither do
the demo settings the real servers run here with. What the real handlers write is captured:

* runserver's access log (``django.server``, written by runserver's own request handler,
  serving the suite's project on a free port), in every pass;
* a ``django.request`` warning for a path that carries a token, through the test client;
* gunicorn's and uvicorn's access logs, each server running the demo in a subprocess
  (pass 1 only, like tests/test_asgi_server.py: the demo's settings on a throwaway SQLite).
"""

from __future__ import annotations

import http.client
import io
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.servers.basehttp import WSGIRequestHandler, WSGIServer
from django.test import Client

from authgate.core.redaction import MASK
from authgate.log import RedactSecretsFilter
from authgate.schemes.links import service as links
from authgate.schemes.scoped import service as scoped
from tests.demo_process import free_port, manage
from tests.reliability.conftest import authgate_settings

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def captured(handler: logging.StreamHandler[Any]) -> Iterator[io.StringIO]:
    """What ``handler`` (a real, configured handler) writes, while the block runs."""
    stream = io.StringIO()
    previous = handler.setStream(stream)
    try:
        yield stream
    finally:
        handler.setStream(previous)  # type: ignore[arg-type]


def stream_handler(logger: logging.Logger) -> logging.StreamHandler[Any]:
    (handler,) = [h for h in logger.handlers if type(h) in {logging.StreamHandler}]
    return handler


@contextmanager
def runserver() -> Iterator[int]:
    """The suite's project served by runserver's server and request handler; the port."""
    server = WSGIServer(("127.0.0.1", 0), WSGIRequestHandler)
    server.set_app(WSGIHandler())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def get(port: int, target: str, **headers: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", target, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
def test_runserver_access_log_masks_credentials(make_user):
    alice = make_user("alice", "pw", email="alice@example.com")
    link = links.get_token(alice)
    token = scoped.issue(alice, {"GET": ["/api/"]})
    handler = logging.getLogger("django.server").handlers[0]  # Django's DEFAULT_LOGGING one
    # The server logs a request after answering it: it stops (its last line written)
    # before the capture does.
    with captured(handler) as written, runserver() as port:  # type: ignore[arg-type]
        assert get(port, "/auth/links/login/?" + urlencode({"sesame": link})) == 302
        assert get(port, "/api/notes/?" + urlencode({"TOKEN": token})) == 200
        assert get(port, f"/api/notes/{token}/", Referer=f"/x/?sesame={link}") == 404
    text = written.getvalue()
    assert link not in text
    assert token not in text
    assert f'"GET /auth/links/login/?sesame={MASK} HTTP/1.1" 302' in text
    assert f'"GET /api/notes/?TOKEN={MASK} HTTP/1.1" 200' in text
    assert f'"GET /api/notes/{MASK}/ HTTP/1.1" 404' in text


@pytest.mark.django_db
def test_django_request_warnings_mask_credentials(make_user):
    alice = make_user("alice", "pw")
    token = scoped.issue(alice, {"GET": ["/api/"]})
    console = stream_handler(logging.getLogger())  # the suite's LOGGING: root, WARNING
    with captured(console) as written:
        assert Client().get(f"/api/notes/{token}/").status_code == 404
        assert Client().get("/api/whoami/", {"TOKEN": token + "x"}).status_code == 401
    text = written.getvalue()
    assert token not in text
    assert f"Not Found: /api/notes/{MASK}/" in text
    assert "Unauthorized: /api/whoami/" in text


def test_the_loggers_come_from_the_setting_and_can_be_opted_out():
    from authgate.log import install_redaction

    names = ("authgate-test.access", "authgate-test.other")
    with authgate_settings(REDACT_LOGGERS=[names[0]]):
        assert install_redaction() == [names[0]]
    with authgate_settings(REDACT_LOGGERS=[]):
        assert install_redaction() == []
    filtered = [
        any(isinstance(f, RedactSecretsFilter) for f in logging.getLogger(n).filters) for n in names
    ]
    assert filtered == [True, False]
    install_redaction([names[0]])  # installing twice adds nothing
    assert len(logging.getLogger(names[0]).filters) == 1


def test_the_default_loggers_have_the_filter():
    for name in ("django.server", "django.request", "gunicorn.access", "uvicorn.access"):
        logger = logging.getLogger(name)
        assert any(isinstance(f, RedactSecretsFilter) for f in logger.filters), name


# --- real servers: gunicorn and uvicorn (pass 1 only) -------------------------------------


pass_one = pytest.mark.skipif(
    os.environ.get("AUTHGATE_TEST_USER", "auth") != "auth"
    or os.environ.get("AUTHGATE_TEST_DB", "sqlite") != "sqlite",
    reason="the real servers' access logs are checked in pass 1 only (the demo's settings)",
)


#: Made in the demo's database by ``manage.py shell``: per server, a one-time link and a
#: scoped token for alice.
CREDENTIALS = """
from django.contrib.auth import get_user_model
from authgate.schemes.links import service as links
from authgate.schemes.scoped import service as scoped
alice = get_user_model().objects.get(username="alice")
for _server in ("gunicorn", "uvicorn"):
    print(links.get_token(alice), scoped.issue(alice, {"GET": ["/api/"]}))
"""


@pytest.fixture(scope="module")
def demo(tmp_path_factory: Any) -> dict[str, Any]:
    """The demo's settings on a throwaway SQLite, migrated and seeded, and credentials for
    each server: ``{"env": …, "gunicorn": (link, token), "uvicorn": (link, token)}``."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(
        DJANGO_SETTINGS_MODULE="tests.asgi_demo_settings",
        AUTHGATE_ASGI_DB=str(tmp_path_factory.mktemp("logs") / "demo.sqlite3"),
        PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "example")]),
        DJANGO_DEBUG="0",
    )
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "seed_demo")
    words = manage(env, "shell", "-c", CREDENTIALS).split()[-4:]
    return {"env": env, "gunicorn": tuple(words[:2]), "uvicorn": tuple(words[2:])}


def _serve(command: list[str], env: dict[str, str], port: int) -> subprocess.Popen[str]:
    process = subprocess.Popen(  # noqa: S603 — our own interpreter and servers
        command,
        cwd=ROOT / "example",
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            get(port, "/api/public/")
            return process
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                output = process.communicate()[0]
                pytest.fail(f"{command[0]} did not start:\n{output}")
            time.sleep(0.1)


def _stop(process: subprocess.Popen[str]) -> str:
    process.terminate()
    try:
        return process.communicate(timeout=10)[0]
    except subprocess.TimeoutExpired:
        process.kill()
        return process.communicate()[0]


def _exercise(port: int, link: str, token: str) -> None:
    assert get(port, "/api/whoami/?" + urlencode({"sesame": link})) == 200
    referer = f"/?TOKEN={token}"
    assert get(port, "/api/notes/?" + urlencode({"TOKEN": token}), Referer=referer) == 200


@pass_one
def test_gunicorn_access_log_masks_credentials(demo, tmp_path):
    pytest.importorskip("gunicorn")
    link, token = demo["gunicorn"]
    port, access_log = free_port(), tmp_path / "access.log"
    gunicorn = Path(sys.executable).with_name("gunicorn")
    command = [str(gunicorn), "demo.wsgi:application", "--workers", "1"]
    command += ["--bind", f"127.0.0.1:{port}", "--access-logfile", str(access_log)]
    process = _serve(command, demo["env"], port)
    try:
        _exercise(port, link, token)
    finally:
        output = _stop(process)
    text = access_log.read_text()
    assert link not in text + output
    assert token not in text + output
    assert f'"GET /api/whoami/?sesame={MASK} HTTP/1.1" 200' in text
    assert f'"GET /api/notes/?TOKEN={MASK} HTTP/1.1" 200' in text
    assert f'"/?TOKEN={MASK}"' in text  # the Referer header too


@pass_one
def test_uvicorn_access_log_masks_credentials(demo):
    pytest.importorskip("uvicorn")
    link, token = demo["uvicorn"]
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "demo.asgi:application"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "info"]
    process = _serve(command, demo["env"], port)
    try:
        _exercise(port, link, token)
    finally:
        output = _stop(process)
    assert link not in output
    assert token not in output
    # uvicorn's own formatter still reads the record's arguments: the line is whole.
    assert f'"GET /api/whoami/?sesame={MASK} HTTP/1.1" 200' in output
    assert f'"GET /api/notes/?TOKEN={MASK} HTTP/1.1" 200' in output
