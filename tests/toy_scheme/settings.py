"""The toy scheme's settings section: ``TOY_KEYS`` and ``TOY_REALM`` in ``AUTHGATE``.

Declared here, they are known keys (no "did you mean" warning), converted once, rebuilt on
``setting_changed``, and checked by authgate's system check with the toy's own ids as soon as
the backend naming this section is in the chain.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from authgate.conf import Section, accessor
from authgate.core.specs import Table, Text, setting

__all__ = ["ToySettings", "toy_settings"]


@dataclass(frozen=True, slots=True)
class ToySettings(Section):
    """Static keys, each naming the user it authenticates."""

    checks = "tests.toy_scheme.checks.check_toy_settings"

    #: {key: username}: ``Authorization: Toy <key>`` authenticates that user.
    keys: Mapping[str, str] = setting(
        "TOY_KEYS", {}, Table(description="a dict of keys to usernames"), check="toy.E001"
    )
    #: The realm of the toy's challenge.
    realm: str = setting(
        "TOY_REALM",
        "toys",
        Text(pattern=re.compile(r"[a-z]+"), description="lowercase letters"),
        check="toy.E002",
        hint="The default is 'toys'.",
    )


toy_settings = accessor(ToySettings)
