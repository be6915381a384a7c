"""Run django-sesame's own test suite against authgate, through a names-only ``sesame``.

    python tests/compat/run_sesame_suite.py <django-sesame checkout> [--all]

The checkout is django-sesame's repository (its ``tests/`` package: PyPI's sdists do not
ship it). ``tests/compat/sesame_alias`` comes first on ``sys.path``, so ``import sesame``
there is authgate's alias package; the settings are django-sesame's ``tests/settings.py``
plus the authgate app (``sesame_suite_settings``).

The run is the public-API tests (:data:`MODULES`: everything but the token-format
internals of ``test_tokens*``), less the tests in :data:`DIFFERENCES` — each a deliberate
difference, printed with its reason before the run (docs/links.md lists them too). It ends
with ``sesame: N passed, N failed`` and exits 1 if any test failed. ``--all`` also runs the
excluded tests, to see that they still fail for the reason given.
"""

from __future__ import annotations

import os
import sys
import unittest
from collections.abc import Iterator
from pathlib import Path

ALIAS = Path(__file__).resolve().parent / "sesame_alias"

#: django-sesame's public-API test modules (``test_tokens*`` test its token formats).
MODULES = (
    "tests.test_backends",
    "tests.test_decorators",
    "tests.test_middleware",
    "tests.test_packers",
    "tests.test_settings",
    "tests.test_utils",
    "tests.test_views",
)

_ONE_TIME = (
    "one-time links cost one more query: authgate records a used link with an atomic "
    "insert, so it works exactly once across workers and survives a login elsewhere "
    "(django-sesame signs last_login instead)"
)
_EAGER = (
    "authgate reports configuration errors as system checks (authgate.E064, E065), not "
    "as exceptions raised when a setting changes"
)

#: Test id → why authgate deliberately differs.
DIFFERENCES = {
    **{
        f"tests.test_middleware.{case}.test_one_time_token_num_queries": _ONE_TIME
        for case in (
            "TestMiddleware",
            "TestWithoutAuthMiddleware",
            "TestBeforeAuthMiddleware",
            "TestWithoutSessionMiddleware",
        )
    },
    "tests.test_utils.TestUtils.test_get_user_expired_token": (
        "a negative max age setting (SESAME_MAX_AGE = -10) is refused by authgate.E061; "
        "a negative max_age= argument is accepted and refuses every link, as in sesame"
    ),
    "tests.test_packers.TestPackers.test_get_packer_with_unsupported_primary_key": _EAGER,
    "tests.test_packers.TestPackers.test_get_packer_with_non_unique_alternative_primary_key": (
        _EAGER
    ),
}


def _tests(suite: unittest.TestSuite) -> Iterator[unittest.TestCase]:
    for test in suite:
        if isinstance(test, unittest.TestSuite):
            yield from _tests(test)
        else:
            yield test


def main(argv: list[str]) -> int:
    if not argv or argv[0].startswith("-"):
        print(__doc__, file=sys.stderr)
        return 2
    checkout = Path(argv[0]).resolve()
    run_all = "--all" in argv[1:]
    if not (checkout / "tests" / "test_utils.py").is_file():
        print(f"{checkout} is not a django-sesame checkout (no tests/test_utils.py)")
        return 2
    sys.path[:0] = [str(ALIAS), str(checkout)]
    os.environ["DJANGO_SETTINGS_MODULE"] = "sesame_suite_settings"
    os.chdir(checkout)

    import django
    from django.test.runner import DiscoverRunner

    django.setup()
    import sesame

    assert Path(sesame.__file__).parent == ALIAS / "sesame", sesame.__file__

    runner = DiscoverRunner(verbosity=1, interactive=False)
    runner.setup_test_environment()
    suite = runner.build_suite(list(MODULES))
    kept = unittest.TestSuite()
    for test in _tests(suite):
        reason = DIFFERENCES.get(test.id())
        if reason and not run_all:
            print(f"excluded {test.id()}: {reason}")
        else:
            kept.addTest(test)
    old_config = runner.setup_databases()
    try:
        result = unittest.TextTestRunner(verbosity=1).run(kept)
    finally:
        runner.teardown_databases(old_config)
        runner.teardown_test_environment()
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    skipped = len(result.skipped)
    passed = result.testsRun - failed - skipped
    excluded = 0 if run_all else len(DIFFERENCES)
    print(f"sesame: {passed} passed, {failed} failed, {skipped} skipped, {excluded} excluded")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
