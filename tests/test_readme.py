"""The README's walkthrough, run command by command against the demo under a real server.

README.md marks each code block it means to be run with an HTML comment on the line above
its fence, ``<!-- tested: tests/test_readme.py … -->``. This test

1. parses those blocks into commands (a line, joined with the next ones while a quote is
   open or the line ends with a backslash) and, after each, its ``# → `` lines: what the
   command must answer (plain ``#`` lines are prose);
2. starts the demo as ``make demo`` does — its settings and URLconf, ``migrate``,
   ``seed_demo``, ``runserver`` — on a free port, with only the SQLite file moved to a
   temporary folder (``tests/readme_demo_settings.py``);
3. runs every command, in README order, in one bash (variables carry over, as in a
   terminal), from a temporary folder laid out like the repository's root (``.venv`` and
   ``example`` are links to the real ones), with ``PORT`` set to the server's port;
4. checks each command's output against its ``# →`` lines.

The grammar of a ``# → `` line. For a command whose output is an HTTP response (``curl -i``;
with ``-L``, the last response): ``NNN`` is the status, optionally followed by the body;
``Name: value`` is a header's whole value; anything else is the body — all of it when it
starts with ``{`` (JSON), else a part of it. For any other output, the ``# →`` lines
together are the whole output, runs of white space counting as one space. In all of them
``…`` stands for any text and ``$B`` for the demo's address.

Runs once per ``make test`` (pass 1, SQLite + Django's User), like the ASGI server test: it
uses the demo's own settings, so the passes' database and user model add nothing.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest

from tests.demo_process import free_port

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
pytestmark = pytest.mark.skipif(
    os.environ.get("AUTHGATE_TEST_USER", "auth") != "auth"
    or os.environ.get("AUTHGATE_TEST_DB", "sqlite") != "sqlite",
    reason="the README walkthrough runs in pass 1 only (it uses the demo's own settings)",
)

MARKER = "<!-- tested: tests/test_readme.py"
EXPECT = "# → "
# The failed-login limit counts in clock-minute windows (LOGIN_LIMIT_RATE "5/m"). A reader
# never notices; a test that began that loop in a minute's last seconds would see its
# failures split over two windows. So before the first failed login, if less than 30 s of
# the minute are left, the script waits for the next minute.
WINDOW_GUARD = 'left=$((60 - $(date +%s) % 60)); if [ "$left" -lt 30 ]; then sleep "$left"; fi'


@dataclass
class Step:
    """One command of the walkthrough and the ``# →`` lines that follow it."""

    command: str
    line: int  # in README.md, 1-based
    expected: list[str] = field(default_factory=list)


def _complete(command: str) -> bool:
    if command.endswith("\\"):
        return False
    try:
        shlex.split(command, comments=True)
    except ValueError:  # "No closing quotation": the command goes on on the next line
        return False
    return True


def walkthrough(text: str) -> list[Step]:
    """The commands of README.md's tested blocks, in order, with their expectations."""
    lines = text.splitlines()
    steps: list[Step] = []
    index = 0
    while index < len(lines):
        if not lines[index].startswith(MARKER):
            index += 1
            continue
        assert lines[index + 1].startswith("```sh"), f"README.md:{index + 2}: not a sh block"
        index += 2
        while not lines[index].startswith("```"):
            line = lines[index]
            if line.startswith(EXPECT):
                assert steps, f"README.md:{index + 1}: an expectation before any command"
                steps[-1].expected.append(line.removeprefix(EXPECT))
            elif line.strip() and not line.startswith("#"):
                step = Step(line, index + 1)
                while not _complete(step.command):
                    index += 1
                    step.command += "\n" + lines[index]
                steps.append(step)
            index += 1
    return steps


def pattern(expected: str, base: str) -> re.Pattern[str]:
    """``expected`` as a regular expression: ``…`` matches anything, ``$B`` the base URL."""
    text = expected.replace("$B", base)
    return re.compile(".*?".join(re.escape(part) for part in text.split("…")), re.DOTALL)


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: str


def last_response(output: str) -> Response | None:
    """The last HTTP response in ``curl -i`` output, or ``None`` if it is not one."""
    if not output.startswith("HTTP/"):
        return None
    last = re.split(r"(?m)^(?=HTTP/\d)", output)[-1]
    head, _, body = last.partition("\r\n\r\n")
    status_line, *header_lines = head.split("\r\n")
    headers = {}
    for header in header_lines:
        name, _, value = header.partition(":")
        headers[name.strip().lower()] = value.strip()
    return Response(int(status_line.split()[1]), headers, body)


def mismatches(step: Step, output: str, base: str) -> list[str]:
    """What in ``output`` differs from ``step.expected`` (empty: all as documented)."""
    response = last_response(output)
    if response is None:
        actual = " ".join(output.split())
        expected = " ".join(" ".join(step.expected).split())
        if pattern(expected, base).fullmatch(actual):
            return []
        return [f"output {actual!r}, documented {expected!r}"]
    found = []

    def check_body(expected: str) -> None:
        body = response.body.strip()
        compiled = pattern(expected, base)
        ok = compiled.fullmatch(body) if expected.startswith("{") else compiled.search(body)
        if not ok:
            found.append(f"body {body[:500]!r}, documented {expected!r}")

    for expected in step.expected:
        if match := re.fullmatch(r"(\d{3})(?: (.*))?", expected):
            if response.status != int(match[1]):
                found.append(f"status {response.status}, documented {match[1]}")
            if match[2]:
                check_body(match[2])
        elif match := re.fullmatch(r"([A-Za-z][A-Za-z0-9-]*): (.*)", expected):
            value = response.headers.get(match[1].lower())
            if value is None or not pattern(match[2], base).fullmatch(value):
                found.append(f"{match[1]}: {value!r}, documented {match[2]!r}")
        else:
            check_body(expected)
    return found


def script(steps: list[Step], out: Path) -> str:
    """One bash script: each command's output to out/N.out, its exit status to out/N.rc."""
    parts = []
    guarded = False
    for number, step in enumerate(steps):
        if not guarded and "alice:wrong" in step.command:
            parts.append(WINDOW_GUARD)
            guarded = True
        parts.append(f"{{\n{step.command}\n}} >{out}/{number}.out 2>{out}/{number}.err")
        parts.append(f"echo $? >{out}/{number}.rc")
    return "\n".join(parts) + "\n"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory):
    """The demo under runserver on a free port: (base URL, the environment it runs with)."""
    folder = tmp_path_factory.mktemp("readme-demo")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "PYTHONPATH", "DJANGO_SETTINGS_MODULE"}
    }
    port = free_port()
    env.update(
        DJANGO_SETTINGS_MODULE="tests.readme_demo_settings",
        AUTHGATE_README_DB=str(folder / "demo.sqlite3"),
        PYTHONPATH=str(ROOT),
        PORT=str(port),
    )
    manage = [sys.executable, str(ROOT / "example" / "manage.py")]
    for args in (["migrate", "--noinput", "-v", "0"], ["seed_demo"]):
        result = subprocess.run(  # noqa: S603 — our interpreter and the demo's manage.py
            manage + args, cwd=ROOT / "example", env=env, capture_output=True, text=True,
            timeout=300, check=False,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
    log_path = folder / "runserver.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(  # noqa: S603 — as `make demo` runs it
            [*manage, "runserver", "--noreload", f"127.0.0.1:{port}"],
            cwd=ROOT / "example",
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/api/public/", timeout=2).close()  # noqa: S310
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("the demo did not start:\n" + log_path.read_text())
                time.sleep(0.2)
        yield base, env
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


def _workdir(parent: Path) -> Path:
    """A folder laid out like the repository's root, as far as the walkthrough reads it."""
    work = parent / "repo"
    work.mkdir()
    (work / "example").symlink_to(ROOT / "example", target_is_directory=True)
    if sys.prefix != sys.base_prefix:  # a virtualenv: the one running this test
        (work / ".venv").symlink_to(sys.prefix, target_is_directory=True)
    else:
        (work / ".venv" / "bin").mkdir(parents=True)
        (work / ".venv" / "bin" / "python").symlink_to(sys.executable)
    return work


def test_walkthrough_parses() -> None:
    """Every curl command is tested, and has something to check."""
    text = README.read_text(encoding="utf-8")
    steps = walkthrough(text)
    assert len(steps) >= 30
    for step in steps:
        if "curl " in step.command or "requests.get" in step.command:
            assert step.expected, f"README.md:{step.line}: no '# →' line after {step.command!r}"
    # No block with curl lines or the demo's manage.py escapes the test.
    blocks = re.findall(r"(?m)^([^\n]*)\n```sh\n(.*?)^```", text, flags=re.DOTALL)
    for above, body in blocks:
        if "curl " in body or "$M " in body:
            assert above.startswith(MARKER), f"an untested walkthrough block:\n{body[:200]}"


def test_walkthrough_answers_as_documented(demo, tmp_path: Path) -> None:
    base, env = demo
    if shutil.which("curl") is None:
        pytest.fail("the README walkthrough needs curl (apt-get install curl)")
    steps = walkthrough(README.read_text(encoding="utf-8"))
    work = _workdir(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    (tmp_path / "walkthrough.sh").write_text(script(steps, out))
    subprocess.run(  # noqa: S603 — bash running README.md's own commands
        ["bash", str(tmp_path / "walkthrough.sh")],  # noqa: S607
        cwd=work, env=env, timeout=600, check=False, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    problems = []
    for number, step in enumerate(steps):
        rc_file = out / f"{number}.rc"
        where = f"README.md:{step.line}: {step.command.splitlines()[0]}"
        if not rc_file.exists():
            problems.append(f"{where}\n    did not run")
            continue
        output = (out / f"{number}.out").read_bytes().decode()  # keep curl's CRLFs
        if rc_file.read_text().strip() != "0":
            errors = (out / f"{number}.err").read_text()
            problems.append(f"{where}\n    exit status {rc_file.read_text().strip()}: {errors}")
            continue
        problems += [f"{where}\n    {problem}" for problem in mismatches(step, output, base)]
    assert not problems, "the README walkthrough drifted:\n" + "\n".join(problems)
    # The signing key went where the README says, not into the repository's root.
    assert (work / ".authgate-demo" / "client.pem").exists()
    assert not (work / "client.pem").exists()


def test_defaults_the_walkthrough_states() -> None:
    """The defaults the walkthrough's prose relies on are the ones in force in the demo."""
    import demo.settings as demo_settings

    from authgate.conf import DEFAULTS

    text = README.read_text(encoding="utf-8")
    assert "expires after 90 days\n(`TOKEN_DEFAULT_LIFETIME`)" in text
    assert DEFAULTS["TOKEN_DEFAULT_LIFETIME"] == timedelta(days=90)
    assert "after 6 minutes\n(`SCOPED_DEFAULT_MAX_AGE`, at most an hour)" in text
    assert DEFAULTS["SCOPED_DEFAULT_MAX_AGE"] == timedelta(minutes=6)
    assert DEFAULTS["SCOPED_MAX_AGE"] == timedelta(hours=1)
    assert 'LOGIN_LIMIT_RATE "5/m"' in text and DEFAULTS["LOGIN_LIMIT_RATE"] == "5/m"
    assert "work once, for 15 minutes" in text
    demo_authgate = demo_settings.AUTHGATE
    assert demo_authgate["LINK_ONE_TIME"] is True and demo_authgate["LINK_MAX_AGE"] == 15 * 60
    for name in ("TOKEN_DEFAULT_LIFETIME", "SCOPED_DEFAULT_MAX_AGE", "LOGIN_LIMIT_RATE"):
        assert name not in demo_authgate  # the demo keeps authgate's default
