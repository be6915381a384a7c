"""Run the mutants of ``authgate/core`` against each module's own tests, from cold caches.

``make mutate`` (or ``python -m tests.mutation [MODULE ...]``) takes the core modules one by
one. For each, it first runs the module's tests unmutated (the baseline, which must pass and
sets the per-mutant timeout), then every mutant of :mod:`tests.mutation.mutants`, one at a
time, in a fresh process:

- **Cold caches.** This process imports pytest and Hypothesis, but never authgate, the
  tests or Django (checked before every fork). Each mutant runs in a child
  forked from it, which installs an import hook serving the mutated module and then runs
  pytest: authgate, its ``lru_cache`` s (``policy._compile_canonical``), and the key
  ring's caches are all created inside the child, by the mutated code, and die
  with it. Nothing an unmutated run computed can answer for a mutant.
- **Targeted tests.** :data:`TESTS` maps each module to its test files; pytest stops at the
  first failure (``-x``). Hypothesis runs with the ``ci`` profile (derandomised, no example
  database), so a verdict is reproducible. ``authgate.core`` imports no Django and neither
  do its tests, so they run without the Django plugin and ``tests/conftest.py``.
- **Timeouts.** A mutant gets ``2 x baseline + 5`` seconds of CPU time (CPU, not wall
  time, so that a busy shared machine does not turn slow mutants into "timeouts"); one
  that takes longer (an endless loop, say) is killed and counts as detected.

A mutant is *killed* when the tests fail (or error, or time out), and *survives* when they
pass. Survivors listed in ``tests/core/mutation_equivalents.toml`` (by their stable key, with
the reason they cannot be told apart) are *equivalent*; any other survivor is *new*. The
score of a module is killed / (mutants - equivalent). The run fails when a module of
:data:`TARGETS` misses its score or has a new survivor; the other modules are reported.

Results go to ``test-artifacts/mutation/``: one JSON file per module, plus ``report.md`` and
``report.json`` rebuilt from every module result whose source and tests are unchanged.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import hashlib
import importlib.abc
import importlib.util
import json
import os
import re
import signal
import sys
import time
import tomllib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from tests.mutation.mutants import Mutant, apply, mutants_of

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "authgate" / "core"
OUT = ROOT / "test-artifacts" / "mutation"
EQUIVALENTS = ROOT / "tests" / "core" / "mutation_equivalents.toml"

_KAT = "tests/core/test_known_answers.py"
#: Each core module and the tests that answer for it.
TESTS: dict[str, tuple[str, ...]] = {
    "paths": ("tests/core/test_paths.py",),
    "headers": ("tests/core/test_headers.py",),
    "opaque": ("tests/core/test_opaque.py", _KAT),
    "policy": ("tests/core/test_policy.py",),
    "djblets": ("tests/core/test_policy.py",),
    "policy_terms": ("tests/core/test_policy.py",),
    "keyring": ("tests/core/test_keyring.py", _KAT),
    "encoding": ("tests/core/test_encoding.py", _KAT),
    "packers": ("tests/core/test_packers.py", _KAT),
    "signed": ("tests/core/test_scoped_v1.py", "tests/core/test_links_v1.py", _KAT),
    "scoped_v1": ("tests/core/test_scoped_v1.py", _KAT),
    "scoped_lineage": ("tests/core/test_scoped_v1.py",),
    "links_v1": ("tests/core/test_links_v1.py", _KAT),
    "redaction": ("tests/core/test_redaction.py",),
    "slots": ("tests/core/test_slots.py", "tests/core/test_links_v1.py"),
    "durations": ("tests/core/test_durations.py",),
    "json_limits": ("tests/core/test_json_limits.py",),
    "timestamps": ("tests/core/test_timestamps.py",),
    "uri": ("tests/core/test_uri.py",),
    "sesame_v2": ("tests/core/test_sesame_v2.py",),
    "sesame_packers": ("tests/core/test_sesame_v2.py",),
    "keycache": ("tests/core/test_keycache.py",),
}
#: Core modules without Django-free tests of their own, so not mutation-tested yet.
NOT_COVERED: dict[str, str] = {
    "specs": "tested through tests/test_settings_sections.py, which needs Django",
}
#: The score each module must reach (percent of non-equivalent mutants killed).
TARGETS: dict[str, float] = {
    "paths": 97.0,
    "headers": 90.0,
    "opaque": 90.0,
    "policy": 90.0,
    "djblets": 90.0,  # split out of policy (issue #18): the same bar
    "keyring": 90.0,
}

# Imported once here and inherited by every child: third-party code only. Nothing of
# authgate, the tests or the Django settings may be imported before a fork.
_WARM = (
    "pytest",
    "_pytest.assertion.rewrite",
    "_pytest.python",
    "_pytest.fixtures",
    "_pytest.logging",
    "hypothesis",
    "hypothesis.strategies",
)
#: authgate/core imports no Django, and neither do its tests: they run without the Django
#: plugin and without tests/conftest.py (Django setup, the leak check, the Hypothesis
#: profiles), in half the time. No cache of pytest's either: each run starts from nothing.
_PYTEST_OPTIONS = ("-p", "no:cacheprovider", "-p", "no:django", "--noconftest")
_PROJECT_PREFIXES = ("authgate", "example", "tests.conftest", "tests.settings", "tests.core")

_EXIT_NOT_LOADED = 97
_EXIT_CRASH = 98


@dataclasses.dataclass
class Result:
    key: str
    line: int
    status: str  # killed | timeout | error | survived
    seconds: float
    detail: str = ""


class _MutantFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Serves one module's mutated code object in place of its file."""

    def __init__(self, name: str, path: Path, code: Any) -> None:
        self.name, self.path, self.code = name, path, code
        self.loaded = False

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname != self.name:
            return None
        return importlib.util.spec_from_file_location(fullname, self.path, loader=self)

    def create_module(self, spec: Any) -> None:
        return None

    def exec_module(self, module: Any) -> None:
        self.loaded = True
        exec(self.code, module.__dict__)  # noqa: S102 - the mutant under test


def _digest(paths: Sequence[Path]) -> str:
    h = hashlib.sha256()
    for path in paths:
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def _assert_cold() -> None:
    loaded = [m for m in sys.modules if m.startswith(_PROJECT_PREFIXES)]
    if loaded:
        raise SystemExit(f"mutation runner: project modules imported before a fork: {loaded}")
    if "django.conf" in sys.modules:
        raise SystemExit("mutation runner: Django imported before a fork")


def _child(module: str, tests: Sequence[str], mutant: Mutant | None, log: Path) -> None:
    """In the forked child: install the mutant, run the tests, exit with pytest's code."""
    try:
        fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        sys.stdout = os.fdopen(1, "w", buffering=1, closefd=False)
        sys.stderr = sys.stdout
        path = CORE / f"{module}.py"
        name = f"authgate.core.{module}"
        finder = None
        if mutant is not None:
            tree = apply(path, mutant)
            finder = _MutantFinder(name, path, compile(tree, str(path), "exec"))
            sys.meta_path.insert(0, finder)
        import pytest
        from hypothesis import HealthCheck
        from hypothesis import settings as hypothesis_settings

        # tests/conftest.py's "ci" profile: the same examples on every run, no database.
        hypothesis_settings.register_profile(
            "ci", derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
        )
        hypothesis_settings.load_profile("ci")
        code = pytest.main([*tests, "-x", "-q", "--no-header", *_PYTEST_OPTIONS])
        if finder is not None and not finder.loaded:
            print(f"mutation runner: {name} was never imported by the tests", flush=True)
            os._exit(_EXIT_NOT_LOADED)
        sys.stdout.flush()
        os._exit(int(code))
    except BaseException as exc:  # a child must never return into the runner
        print(f"mutation runner: child crashed: {exc!r}", flush=True)
        os._exit(_EXIT_CRASH)


_TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float:
    """CPU time (user + system) used so far by the process ``pid``, from /proc."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime


@dataclasses.dataclass
class _Running:
    mutant: Mutant | None
    log: Path
    start: float


def _start(module: str, tests: Sequence[str], mutant: Mutant | None, log: Path) -> int:
    _assert_cold()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        _child(module, tests, mutant, log)
    return pid


def _verdict(module: str, code: int, log: Path) -> str:
    if code == 0:
        return "survived"
    if code == 1:
        return "killed"
    if code in (2, 3) or code < 0:
        return "error"  # collection/import failure, internal error or a signal
    if code == _EXIT_NOT_LOADED:
        raise SystemExit(f"mutation runner: the tests of {module} never import it ({log})")
    raise SystemExit(f"mutation runner: unexpected exit code {code} for {module} ({log})")


def _run_all(
    module: str,
    tests: Sequence[str],
    mutants: Sequence[Mutant | None],
    *,
    timeout: float,
    jobs: int,
    logs: Path,
) -> Iterator[tuple[Mutant | None, str, float, Path]]:
    """Run each mutant in its own child, ``jobs`` at a time; yield (mutant, verdict, CPU s).

    The timeout counts CPU seconds, not wall time, so a verdict does not depend on how busy
    the (shared) machine is; wall time is capped too, at ten times the budget.
    """
    pending = list(mutants)
    running: dict[int, _Running] = {}
    slot = 0
    while pending or running:
        while pending and len(running) < jobs:
            mutant = pending.pop(0)
            slot += 1
            log = logs / f"{os.getpid()}-{slot % (2 * jobs)}.log"
            running[_start(module, tests, mutant, log)] = _Running(mutant, log, time.monotonic())
        for pid, job in list(running.items()):
            done, status, usage = os.wait4(pid, os.WNOHANG)
            if done:
                del running[pid]
                code = os.waitstatus_to_exitcode(status)
                cpu = usage.ru_utime + usage.ru_stime
                yield job.mutant, _verdict(module, code, job.log), cpu, job.log
                continue
            cpu = _cpu_seconds(pid)
            if cpu > timeout or time.monotonic() - job.start > 10 * timeout:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                del running[pid]
                yield job.mutant, "timeout", cpu, job.log
        time.sleep(0.02)


_FAILED_RE = re.compile(r"^(?:FAILED|ERROR) (\S+)", re.MULTILINE)


def _killed_by(log: Path) -> str:
    """The first test that failed, from a child's log (``""`` if none is named)."""
    try:
        match = _FAILED_RE.search(log.read_text("utf-8", "replace"))
    except OSError:
        return ""
    return match[1] if match else ""


def load_equivalents() -> dict[str, str]:
    """Known equivalent mutants: key → reason."""
    if not EQUIVALENTS.exists():
        return {}
    data = tomllib.loads(EQUIVALENTS.read_text("utf-8"))
    return {entry["mutant"]: entry["reason"] for entry in data.get("equivalent", [])}


def run_module(
    module: str,
    *,
    factor: float,
    extra: float,
    jobs: int,
    limit: int | None = None,
    only: str | None = None,
    match: str | None = None,
    tests: Sequence[str] | None = None,
) -> dict[str, Any]:
    path = CORE / f"{module}.py"
    mutants = mutants_of(path)
    if only is not None:
        mutants = [m for m in mutants if only in m.key]
    if match is not None:
        mutants = [m for m in mutants if re.search(match, m.key)]
    if limit is not None:
        mutants = mutants[:limit]
    tests = list(tests or TESTS[module])
    # Taken before the run, so that an edit during it makes the result stale, not current.
    source_digest = _digest([path])
    tests_digest = _digest([ROOT / t for t in tests])
    logs = OUT / "logs" / module
    logs.mkdir(parents=True, exist_ok=True)
    ((_, status, baseline, log),) = _run_all(
        module, tests, [None], timeout=300.0, jobs=1, logs=logs
    )
    if status != "survived":
        raise SystemExit(f"mutation runner: the unmutated tests of {module} fail: see {log}")
    timeout = factor * baseline + extra
    print(
        f"==> {module}: {len(mutants)} mutants, tests {' '.join(tests)} "
        f"(baseline {baseline:.1f} CPU s, timeout {timeout:.1f} CPU s)",
        flush=True,
    )
    results: list[Result] = []
    marks = {"killed": ".", "timeout": "T", "error": "E", "survived": "S"}
    outcomes = _run_all(module, tests, mutants, timeout=timeout, jobs=jobs, logs=logs)
    for index, (mutant, status, seconds, log) in enumerate(outcomes, start=1):
        assert mutant is not None
        detail = _killed_by(log) if status in ("killed", "error") else ""
        results.append(Result(mutant.key, mutant.line, status, round(seconds, 2), detail))
        if status == "survived":
            print(f"\n  survived: line {mutant.line}: {mutant.key}", flush=True)
        else:
            print(marks[status], end="" if index % 80 else "\n", flush=True)
    print(flush=True)
    results.sort(key=lambda r: [m.key for m in mutants].index(r.key))
    data = {
        "module": module,
        "source": f"authgate/core/{module}.py",
        "source_digest": source_digest,
        "tests": tests,
        "tests_digest": tests_digest,
        "baseline_seconds": round(baseline, 2),
        "timeout_seconds": round(timeout, 2),
        "finished": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "complete": (limit, only, match) == (None, None, None) and tests == list(TESTS[module]),
        "results": [dataclasses.asdict(r) for r in results],
    }
    name = f"{module}.json" if data["complete"] else f"{module}.partial.json"
    (OUT / name).write_text(json.dumps(data, indent=1) + "\n", "utf-8")
    return data


def _current(data: dict[str, Any]) -> bool:
    module = data["module"]
    return (
        module in TESTS
        and data["source_digest"] == _digest([CORE / f"{module}.py"])
        and data["tests_digest"] == _digest([ROOT / t for t in TESTS[module]])
        and data.get("complete", False)
    )


def summarize(data: dict[str, Any], equivalents: dict[str, str]) -> dict[str, Any]:
    results = data["results"]
    keys = {r["key"] for r in results}
    survivors = [r for r in results if r["status"] == "survived"]
    equivalent = [r for r in survivors if r["key"] in equivalents]
    new = [r for r in survivors if r["key"] not in equivalents]
    prefix = f"{data['module']} | "
    listed = {k for k in equivalents if k.startswith(prefix)}
    killed_but_listed = {
        r["key"] for r in results if r["key"] in listed and r["status"] != "survived"
    }
    stale = sorted((listed - keys) | killed_but_listed)
    killed = len(results) - len(survivors)
    scored = len(results) - len(equivalent)
    score = 100.0 * killed / scored if scored else 100.0
    target = TARGETS.get(data["module"])
    return {
        "module": data["module"],
        "mutants": len(results),
        "killed": sum(r["status"] == "killed" for r in results),
        "timeout": sum(r["status"] == "timeout" for r in results),
        "error": sum(r["status"] == "error" for r in results),
        "survived": len(survivors),
        "equivalent": len(equivalent),
        "new_survivors": new,
        "stale_equivalents": stale,
        "score": round(score, 1),
        "target": target,
        "meets_target": target is None or score >= target,
        "baseline_seconds": data["baseline_seconds"],
        "finished": data["finished"],
    }


def write_report() -> list[dict[str, Any]]:
    equivalents = load_equivalents()
    summaries: list[dict[str, Any]] = []
    skipped: list[str] = []
    for module in TESTS:
        file = OUT / f"{module}.json"
        if not file.exists():
            continue
        data = json.loads(file.read_text("utf-8"))
        if not _current(data):
            skipped.append(module)
            continue
        summaries.append(summarize(data, equivalents))
    lines = [
        "# Mutation testing of authgate/core",
        "",
        "`make mutate` (tests/mutation/): one mutant at a time, each in a process forked before",
        "anything of authgate was imported (cold caches), against the module's own tests.",
        "Score = killed / (mutants - known equivalent).",
        "",
        "| module | mutants | killed | of which timeout / error | survived | equivalent | new "
        "| score | target |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in summaries:
        killed = s["killed"] + s["timeout"] + s["error"]
        target = f"{s['target']:.0f}%" if s["target"] is not None else "-"
        verdict = "" if s["meets_target"] else " MISSED"
        lines.append(
            f"| {s['module']} | {s['mutants']} | {killed} | {s['timeout']} / {s['error']} | "
            f"{s['survived']} | {s['equivalent']} | {len(s['new_survivors'])} | "
            f"{s['score']:.1f}% | {target}{verdict} |"
        )
    if skipped:
        lines += ["", f"Not current (source or tests changed since the run): {', '.join(skipped)}."]
    new_total = sum(len(s["new_survivors"]) for s in summaries)
    lines += ["", f"## {new_total} new survivors", ""]
    for s in summaries:
        for r in s["new_survivors"]:
            lines.append(f"- `authgate/core/{s['module']}.py:{r['line']}` — `{r['key']}`")
    lines += ["", "## Known equivalent survivors", ""]
    for s in summaries:
        data = json.loads((OUT / f"{s['module']}.json").read_text("utf-8"))
        for r in data["results"]:
            if r["status"] == "survived" and r["key"] in equivalents:
                lines.append(f"- `{r['key']}` (line {r['line']}): {equivalents[r['key']]}")
    stale = [k for s in summaries for k in s["stale_equivalents"]]
    if stale:
        lines += ["", "## Listed as equivalent but killed or gone (remove from the list)", ""]
        lines += [f"- `{k}`" for k in stale]
    (OUT / "report.md").write_text("\n".join(lines) + "\n", "utf-8")
    (OUT / "report.json").write_text(json.dumps(summaries, indent=1) + "\n", "utf-8")
    return summaries


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.mutation", description=(__doc__ or "").split("\n")[0]
    )
    parser.add_argument("modules", nargs="*", help=f"core modules (default all): {' '.join(TESTS)}")
    parser.add_argument("--timeout-factor", type=float, default=2.0)
    parser.add_argument("--timeout-extra", type=float, default=5.0)
    parser.add_argument("--limit", type=int, help="only the first N mutants (a trial run)")
    parser.add_argument("--only", help="only the mutants whose key contains this text")
    parser.add_argument("--match", help="only the mutants whose key matches this regex")
    parser.add_argument("--jobs", type=int, default=1, help="mutants run at once (default 1)")
    parser.add_argument("--tests", nargs="+", help="run these test files instead of the module's")
    parser.add_argument("--list", action="store_true", help="print the mutants and exit")
    parser.add_argument("--report", action="store_true", help="only rebuild the report")
    args = parser.parse_args(argv)
    modules = args.modules or list(TESTS)
    for module in modules:
        if module in NOT_COVERED:
            parser.error(f"{module} is not mutation-tested: {NOT_COVERED[module]}")
    unknown = sorted(set(modules) - set(TESTS))
    if unknown:
        parser.error(f"unknown module(s): {', '.join(unknown)}")
    if args.list:
        for module in modules:
            for mutant in mutants_of(CORE / f"{module}.py"):
                print(f"{mutant.line:4d}  {mutant.key}")
        return 0
    if not args.report:
        os.chdir(ROOT)
        # Same settings in every child, whatever the caller's environment says.
        os.environ["AUTHGATE_TEST_DB"] = "sqlite"
        os.environ["AUTHGATE_TEST_USER"] = "auth"
        os.environ["HYPOTHESIS_PROFILE"] = "ci"
        os.environ.pop("DJANGO_SETTINGS_MODULE", None)
        # Cache bytecode of the unchanged modules (never of a mutant: it is compiled from
        # its tree) outside the source tree, so each child starts quickly.
        sys.dont_write_bytecode = False
        sys.pycache_prefix = str(OUT / "pycache")
        for name in _WARM:
            __import__(name)
        _assert_cold()
        OUT.mkdir(parents=True, exist_ok=True)
        for module in modules:
            run_module(
                module,
                factor=args.timeout_factor,
                extra=args.timeout_extra,
                jobs=args.jobs,
                limit=args.limit,
                only=args.only,
                match=args.match,
                tests=args.tests,
            )
    summaries = write_report()
    failed = False
    for s in summaries:
        new = len(s["new_survivors"])
        target = f" (target {s['target']:.0f}%)" if s["target"] is not None else ""
        verdict = "" if s["meets_target"] else " MISSED"
        print(f"{s['module']:10} {s['score']:5.1f}%{target}{verdict}, {new} new survivors")
        # Modules with a target are the gate; the others are reported until triaged.
        failed |= s["target"] is not None and (new > 0 or not s["meets_target"])
    gated = sum(len(s["new_survivors"]) for s in summaries if s["target"] is not None)
    others = sum(len(s["new_survivors"]) for s in summaries if s["target"] is None)
    print(
        f"{gated} new survivors in the modules with a target, {others} in the others "
        f"(reported, not gating); report: {OUT.relative_to(ROOT) / 'report.md'}"
    )
    return 1 if failed else 0
