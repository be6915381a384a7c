"""The package as a user gets it: built, checked, installed into a new virtualenv, and run.

Runs once per ``make test`` (pass 1, SQLite + Django's User), like the ASGI server test: it
builds from the working tree and runs its own project, so the passes' settings add nothing.

1. ``python -m build`` makes the sdist, then the wheel from the unpacked sdist (so the sdist
   is shown to be enough to build from). Without build isolation: the dev group's setuptools
   (>= 77, as ``[build-system]`` asks) builds, so no download is needed. The output must hold
   no warning.
2. ``twine check --strict`` on both, as the package index would check them; the metadata
   (licence, URLs, extras, classifiers, the description) and the contents of both archives.
3. A new virtualenv *without* pip and without access to the repository or the dev venv: our
   pip installs the wheel into it (``pip --python``), which brings Django from the package
   index (pip's cache makes that quick after the first run). Then the path of a new user,
   with the snippets of README.pypi.md as they are: ``django-admin startproject``, the
   settings, views and URLs appended, ``migrate``, ``authgate issue``, and requests to
   ``runserver`` over HTTP. The optional adapters, whose extras are not installed there,
   must name the extra to install.
"""

from __future__ import annotations

import email.parser
import json
import os
import re
import subprocess
import sys
import tarfile
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import pytest

import authgate
from tests.demo_process import free_port

ROOT = Path(__file__).resolve().parent.parent
VERSION = authgate.__version__
pytestmark = pytest.mark.skipif(
    os.environ.get("AUTHGATE_TEST_USER", "auth") != "auth"
    or os.environ.get("AUTHGATE_TEST_DB", "sqlite") != "sqlite",
    reason="builds and installs the package: runs in pass 1 only",
)
PYPI_PAGE = (ROOT / "README.pypi.md").read_text(encoding="utf-8")
EXTRAS = {"drf", "ninja", "spectacular", "redis", "postgres", "oauth", "httpsig", "client"}

# What README.pypi.md shows the first token's requests answer (checked against the page too).
TOKEN_ANSWER = '{"user": "alice", "scheme": "token"}'
CHALLENGE = 'Bearer realm="api", Basic realm="api", charset="UTF-8"'
NO_CREDENTIALS = (
    '{"error": "not_authenticated", "detail": "Authentication credentials were not provided."}'
)


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without anything that points Python at this repository or its venv.

    PYTHONDONTWRITEBYTECODE goes too: under it setuptools itself warns that byte-compiling is
    disabled, which says nothing about the package.
    """
    drop = {"PYTHONPATH", "PYTHONHOME", "DJANGO_SETTINGS_MODULE", "VIRTUAL_ENV"}
    drop |= {"PYTHONDONTWRITEBYTECODE"}
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(extra)
    return env


def run(*args: str | Path, cwd: Path, env: dict[str, str], timeout: int = 300) -> str:
    result = subprocess.run(  # noqa: S603 — our interpreters, fixed arguments
        [str(a) for a in args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, f"{args}\n{result.stdout}\n{result.stderr}"
    return result.stdout + result.stderr


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path | str]:
    out = tmp_path_factory.mktemp("dist")
    log = run(
        sys.executable, "-m", "build", "--no-isolation", "--outdir", out, ROOT,
        cwd=ROOT, env=clean_env(),
    )  # fmt: skip
    return {
        "sdist": out / f"authgate-{VERSION}.tar.gz",
        "wheel": out / f"authgate-{VERSION}-py3-none-any.whl",
        "log": log,
    }


def test_build_prints_no_warning(dists: dict) -> None:
    assert "Successfully built" in dists["log"]
    warnings = [line for line in dists["log"].splitlines() if "warn" in line.lower()]
    assert warnings == []


def test_twine_check_strict(dists: dict) -> None:
    output = run(
        sys.executable, "-m", "twine", "check", "--strict", dists["sdist"], dists["wheel"],
        cwd=ROOT, env=clean_env(),
    )  # fmt: skip
    assert output.count("PASSED") == 2, output


def wheel_metadata(wheel: Path) -> email.message.Message:
    with zipfile.ZipFile(wheel) as archive:
        text = archive.read(f"authgate-{VERSION}.dist-info/METADATA").decode()
    return email.parser.Parser().parsestr(text)


def test_wheel_metadata(dists: dict) -> None:
    meta = wheel_metadata(dists["wheel"])
    assert meta["Metadata-Version"] == "2.4"  # PEP 639: License-Expression
    assert meta["License-Expression"] == "BSD-3-Clause"
    assert meta.get_all("License-File") == ["LICENSE"]
    assert not [c for c in meta.get_all("Classifier") if c.startswith("License ::")]
    urls = dict(u.split(", ", 1) for u in meta.get_all("Project-URL"))
    assert urls == {
        "Documentation": "https://authgate.readthedocs.io",
        "Source": "https://github.com/authgate/authgate",
        "Changelog": "https://github.com/authgate/authgate/blob/main/CHANGELOG.md",
        "Issues": "https://github.com/authgate/authgate/issues",
    }
    assert meta["Author"] and meta["Keywords"]
    # Public extras are what users install; the dev tools are dependency groups, not here.
    assert set(meta.get_all("Provides-Extra")) == EXTRAS
    assert any(
        r.startswith("requests") and 'extra == "client"' in r for r in meta.get_all("Requires-Dist")
    )


def test_classifiers_claim_what_this_run_tests(dists: dict) -> None:
    """This run's Python and Django are claimed; only 3.11 and 5.2 are (the suite's)."""
    import django

    classifiers = wheel_metadata(dists["wheel"]).get_all("Classifier")
    pythons = {
        c.rsplit(" :: ", 1)[1]
        for c in classifiers
        if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)
    }
    djangos = {
        c.rsplit(" :: ", 1)[1]
        for c in classifiers
        if re.fullmatch(r"Framework :: Django :: \d+\.\d+", c)
    }
    assert "{}.{}".format(*sys.version_info[:2]) in pythons
    assert "{}.{}".format(*django.VERSION[:2]) in djangos
    assert (pythons, djangos) == ({"3.11"}, {"5.2"})  # widen only with a run on the new one
    # And Django is capped at the tested series (6.x breaks the token lookup: CHANGELOG).
    requirements = wheel_metadata(dists["wheel"]).get_all("Requires-Dist")
    assert "Django<6,>=5.2" in requirements


def test_description_stands_alone(dists: dict) -> None:
    meta = wheel_metadata(dists["wheel"])
    assert meta["Description-Content-Type"] == "text/markdown"
    description = meta.get_payload()
    assert description.strip() == PYPI_PAGE.strip()
    links = re.findall(r"\]\(([^)]*)\)|<(https?://[^>]*)>|href=\"([^\"]*)\"", description)
    targets = [t for group in links for t in group if t]
    assert targets, "the page links to the documentation"
    assert all(t.startswith("https://") for t in targets), targets
    assert "![" not in description and "<img" not in description
    assert "https://authgate.readthedocs.io" in description


def test_wheel_contents(dists: dict) -> None:
    with zipfile.ZipFile(dists["wheel"]) as archive:
        names = set(archive.namelist())
        licence = archive.read(f"authgate-{VERSION}.dist-info/licenses/LICENSE")
    assert licence == (ROOT / "LICENSE").read_bytes()
    for name in [
        "authgate/py.typed",
        "authgate/migrations/0001_user_state.py",
        "authgate/templates/authgate/pages/base.html",
        "authgate/templates/authgate/pages/link_refused.html",
        "authgate/templates/authgate/links_email.txt",
        "authgate/static/authgate/pages.css",
    ]:
        assert name in names
    assert not [n for n in names if n.startswith(("tests/", "example/", "benchmarks/"))]
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]


def test_sdist_contents(dists: dict) -> None:
    prefix = f"authgate-{VERSION}/"
    with tarfile.open(dists["sdist"]) as archive:
        names = {n.removeprefix(prefix) for n in archive.getnames()}
        pkg_info = archive.extractfile(prefix + "PKG-INFO").read().decode()  # type: ignore[union-attr]
    for name in [
        "LICENSE",
        "SECURITY.md",
        "CONTRIBUTING.md",
        "CHANGELOG.md",
        "README.md",
        "README.pypi.md",
        "pyproject.toml",
        "docs/index.md",
        "mkdocs.yml",
        "authgate/templates/authgate/pages/link_refused.html",
    ]:
        assert name in names
    # No tests at all (see MANIFEST.in): not the partial set setuptools adds by default.
    assert not [n for n in names if n.startswith("tests/")]
    assert "License-Expression: BSD-3-Clause" in pkg_info


def test_pypi_page_shows_what_the_wheel_answers() -> None:
    """The outputs test_wheel_runs_a_project checks are the ones README.pypi.md shows."""
    for shown in (f"# {TOKEN_ANSWER}", f"# WWW-Authenticate: {CHALLENGE}", f"# {NO_CREDENTIALS}"):
        assert shown in PYPI_PAGE
    assert "# HTTP/1.1 401 Unauthorized" in PYPI_PAGE


def page_block(first_line: str) -> str:
    """The ```python block of README.pypi.md whose first line is ``first_line``."""
    for block in re.findall(r"```python\n(.*?)```", PYPI_PAGE, flags=re.DOTALL):
        if block.startswith(first_line + "\n"):
            return block
    raise AssertionError(f"README.pypi.md has no python block starting with {first_line!r}")


def http_get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict, str]:
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 — 127.0.0.1
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read().decode()


# Imported in the new virtualenv, which has Django and nothing else: each must say its extra.
PROBE_EXTRAS = """
import json, importlib, django
from django.conf import settings
settings.configure(
    INSTALLED_APPS=["django.contrib.auth", "django.contrib.contenttypes", "authgate"]
)
django.setup()
found = {}
for module in ["authgate.contrib.drf", "authgate.contrib.ninja", "authgate.contrib.spectacular",
               "authgate.schemes.oauth.backend", "authgate.schemes.httpsig.backend",
               "authgate.schemes.httpsig.client",
               "authgate.cache"]:
    try:
        importlib.import_module(module)
        found[module] = None
    except ImportError as exc:
        found[module] = str(exc)
print(json.dumps({"file": __import__("authgate").__file__, "found": found}))
"""


def test_wheel_runs_a_project_in_a_new_virtualenv(dists: dict, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp_path, env=clean_env())
    python = venv / "bin" / "python"
    # Our pip, installing into the new environment: the wheel and what its metadata requires.
    run(
        sys.executable, "-m", "pip", "--python", python, "install", "--quiet", dists["wheel"],
        cwd=tmp_path, env=clean_env(), timeout=600,
    )  # fmt: skip
    env = clean_env()

    # Only the wheel's code is imported, and the adapters name their extras.
    probe = json.loads(run(python, "-c", PROBE_EXTRAS, cwd=tmp_path, env=env).splitlines()[-1])
    assert probe["file"].startswith(str(venv / "lib")), probe["file"]
    expected_extra = {
        "authgate.contrib.drf": "drf",
        "authgate.contrib.ninja": "ninja",
        "authgate.contrib.spectacular": "spectacular",
        "authgate.schemes.oauth.backend": "oauth",
        "authgate.schemes.httpsig.backend": "httpsig",
        "authgate.schemes.httpsig.client": "client",
        "authgate.cache": "redis",
    }
    for module, extra in expected_extra.items():
        assert f'pip install "authgate[{extra}]"' in (probe["found"][module] or ""), module

    # A new project, set up as README.pypi.md says.
    run(venv / "bin" / "django-admin", "startproject", "mysite", cwd=tmp_path, env=env)
    project = tmp_path / "mysite"
    with (project / "mysite" / "settings.py").open("a") as settings_file:
        settings_file.write("\n" + page_block("# settings.py"))
    (project / "mysite" / "views.py").write_text(page_block("# views.py"))
    with (project / "mysite" / "urls.py").open("a") as urls_file:
        urls_file.write("\n" + page_block("# urls.py"))

    manage = (python, project / "manage.py")
    run(*manage, "migrate", "--noinput", cwd=project, env=env)
    run(
        *manage, "createsuperuser", "--noinput", "--username", "alice", "--email", "a@example.com",
        cwd=project, env={**env, "DJANGO_SUPERUSER_PASSWORD": "alice-password"},
    )  # fmt: skip
    issued = run(
        *manage, "authgate", "issue", "alice", "--name", "first token", "--scope", "notes:read",
        cwd=project, env=env,
    )  # fmt: skip
    token = issued.strip().splitlines()[-1]
    assert re.fullmatch(r"agt_[0-9A-Za-z]{42}", token), issued

    port = free_port()
    log = (tmp_path / "runserver.log").open("w")
    server = subprocess.Popen(  # noqa: S603 — the new venv's interpreter, the project's manage.py
        [str(python), str(project / "manage.py"), "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=project,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                http_get(base + "/notes/")
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(
                        "runserver did not start:\n" + (tmp_path / "runserver.log").read_text()
                    )
                time.sleep(0.2)

        status, _headers, body = http_get(base + "/notes/", {"Authorization": f"Bearer {token}"})
        assert (status, body) == (200, TOKEN_ANSWER)
        status, headers, body = http_get(base + "/notes/")
        assert (status, headers["WWW-Authenticate"], body) == (401, CHALLENGE, NO_CREDENTIALS)
        # The wheel's templates and static files: a refused link's page, with its stylesheet.
        status, _headers, body = http_get(base + "/auth/links/login/?sesame=agl1_forged")
        assert status == 403 and "This login link cannot be used" in body
        status, _headers, css = http_get(base + "/static/authgate/pages.css")
        assert status == 200 and "--ag-accent" in css
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
