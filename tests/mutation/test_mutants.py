"""The mutation runner's own parts: regex mutations, mutant keys, applying a mutant.

The runner itself (forking, timeouts, the report) is exercised by ``make mutate``; these
tests keep the mutant catalogue honest, since a mutant that is never made can never survive.
"""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

from tests.mutation.mutants import apply, mutants_of
from tests.mutation.regex import regex_mutations
from tests.mutation.run import CORE, EQUIVALENTS, NOT_COVERED, TARGETS, TESTS

MODULES = sorted(p for p in CORE.glob("*.py") if p.stem != "__init__")


def texts(pattern: str) -> dict[str, str]:
    return {m.description: m.text for m in regex_mutations(pattern)}


def test_quantifier_bounds_move_one_step_each_way() -> None:
    found = texts("[a-z][a-z0-9]{1,9}")
    assert found["quantifier {1,9} -> {0,9}"] == "[a-z][a-z0-9]{0,9}"
    assert found["quantifier {1,9} -> {1,10}"] == "[a-z][a-z0-9]{1,10}"
    assert found["quantifier {1,9} -> {2,9}"] == "[a-z][a-z0-9]{2,9}"
    assert found["quantifier {1,9} -> {1,8}"] == "[a-z][a-z0-9]{1,8}"
    assert texts("x{6}") == {"quantifier {6} -> {5}": "x{5}", "quantifier {6} -> {7}": "x{7}"}


def test_class_items_are_dropped_one_at_a_time_and_classes_negated() -> None:
    found = texts(r"[\x00-\x1f\\]")
    assert found == {
        r"class [\x00-\x1f\\] without \x00-\x1f": r"[\\]",
        r"class [\x00-\x1f\\] without \\": r"[\x00-\x1f]",
        r"class [\x00-\x1f\\] negated": r"[^\x00-\x1f\\]",
    }


def test_anchors_and_alternatives() -> None:
    found = texts(r"^(a|bc)$")
    assert found["anchor ^ dropped"] == "(a|bc)$"
    assert found["anchor $ dropped"] == "^(a|bc)"
    assert found["alternative 'a' dropped"] == "^(bc)$"
    assert found["alternative 'bc' dropped"] == "^(a)$"
    assert texts(r"\bx")["anchor \\b dropped"] == "x"


def test_fragments_of_f_strings_are_mutated_without_the_whole_pattern() -> None:
    # rf"[{ALPHABET}]{{36}}" has the literal pieces "[" and "]{36}".
    assert texts("[") == {}
    assert texts("]{36}") == {
        "quantifier {36} -> {35}": "]{35}",
        "quantifier {36} -> {37}": "]{37}",
    }


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.stem)
def test_every_mutant_has_a_unique_key_and_compiles(path: Path) -> None:
    mutants = mutants_of(path)
    assert mutants
    keys = [m.key for m in mutants]
    assert len(keys) == len(set(keys))
    assert all(key.startswith(f"{path.stem} | ") for key in keys)
    # A sample compiles here (a mutant that does not would stop `make mutate` loudly).
    for mutant in mutants[::10]:
        compile(apply(path, mutant), str(path), "exec")


def test_a_mutant_changes_exactly_its_node() -> None:
    path = CORE / "opaque.py"
    (mutant,) = [
        m for m in mutants_of(path) if m.key.endswith("unary -CHECKSUM_LENGTH -> +CHECKSUM_LENGTH")
    ]
    source = ast.unparse(ast.parse(path.read_text("utf-8")))
    mutated = ast.unparse(apply(path, mutant))
    assert "token[:-CHECKSUM_LENGTH]" in source and "token[:+CHECKSUM_LENGTH]" not in source
    assert mutated == source.replace("token[:-CHECKSUM_LENGTH]", "token[:+CHECKSUM_LENGTH]")


def test_the_formats_constants_and_the_issue_25_gaps_are_mutated() -> None:
    keys = {m.key for p in MODULES for m in mutants_of(p)}
    for expected in (
        "keyring | _SUBKEY_PERSON | string b'authgate-subkey' -> XX..XX",
        "keyring | KeyRing.subkeys | number 16 -> 15",
        "encoding | CHECKSUM_LENGTH | number 6 -> 7",
        "opaque | _TOKEN_RE | regex quantifier {1,9} -> {0,9}",
        "opaque | _accepted_prefix | unary -CHECKSUM_LENGTH -> +CHECKSUM_LENGTH",
        "paths | path_matches | string '/' -> XX..XX",
        "links_v1 | NAMESPACE | string 'authgate.links.v1' -> XX..XX",
    ):
        assert expected in keys
    # Not behaviour: docstrings and log calls are left alone.
    assert not any("logger." in key or "Rejected" in key for key in keys)


def test_every_listed_equivalent_names_a_mutant_of_a_known_module() -> None:
    entries = tomllib.loads(EQUIVALENTS.read_text("utf-8"))["equivalent"]
    keys = {m.key for p in MODULES for m in mutants_of(p)}
    for entry in entries:
        assert entry["mutant"] in keys, entry["mutant"]
        assert len(entry["reason"]) > 20
    assert len({e["mutant"] for e in entries}) == len(entries)


def test_every_core_module_has_tests_and_the_targets_of_issue_25() -> None:
    assert set(TESTS) | set(NOT_COVERED) == {p.stem for p in MODULES}
    assert not set(TESTS) & set(NOT_COVERED)
    for files in TESTS.values():
        assert all((CORE.parents[1] / f).exists() for f in files)
    assert TARGETS == {
        "paths": 97,
        "headers": 90,
        "opaque": 90,
        "policy": 90,
        "djblets": 90,  # policy's djblets format, in its own module since issue #18
        "keyring": 90,
    }
