"""``make bench`` says which of issue #6's targets each ratio meets (not timed: arithmetic)."""

import pytest

from benchmarks.report import verdict


@pytest.mark.parametrize(
    ("db", "name", "value", "expected"),
    [
        ("sqlite", "token / floor", 1.18, "met (<= 1.25)"),
        ("postgres", "token / floor", 1.26, "MISSED (<= 1.25)"),
        ("sqlite", "DRF token / authgate token", 3.9, "MISSED (>= 4)"),
        ("postgres", "DRF token / authgate token", 2.01, "met (>= 2)"),
        ("postgres-prepared", "DRF token / authgate token", 1.93, "MISSED (>= 2)"),
        ("sqlite", "magic link - floor (µs)", 15.0, "met (<= 15)"),
        ("postgres", "scoped token - floor (µs)", -60.0, "met (<= 15)"),
        ("sqlite", "in-process cache hit: the lookup alone (µs)", 10.5, "MISSED (<= 10)"),
        ("sqlite", "token with 1,000,000 rows / with 10,000", 1.1, "met (<= 1.2)"),
        ("sqlite", "Redis cache hit (µs)", 170.0, ""),  # measured, no target
    ],
)
def test_each_ratio_against_its_target(db, name, value, expected):
    assert verdict(db, name, value) == expected
