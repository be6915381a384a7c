"""Write tests/core/sesame_v2_vectors.json: links minted by the real django-sesame.

    .venv/bin/python tests/compat/make_sesame_vectors.py

Each case is a set of django-sesame settings, a user (key, password hash, e-mail, last
login), a scope, the time, and the token django-sesame 3.x made from them
(``sesame.tokens_v2.create_token``); tests/core/test_sesame_v2.py checks that
:mod:`authgate.core.sesame_v2` reads each one (and writes the same bytes). Needs
django-sesame installed (the dev dependency group has it); no database.
"""

from __future__ import annotations

import datetime
import json
import time
import uuid
from pathlib import Path
from typing import Any

import django
from django.conf import settings

OUT = Path(__file__).resolve().parent.parent / "core" / "sesame_v2_vectors.json"
NOW = 1_790_000_000  # 2026-09-21

PASSWORDS = {
    "pbkdf2": "pbkdf2_sha256$870000$c2FsdHNhbHRzYWx0$qC0ZJ2Z6b4d1n5yS0lT7m2p8U3fQ1wE9rB6kV4xH5aI=",
    "md5": "md5$salt$" + "0123456789abcdef0123456789abcdef",
    "argon2": "argon2$argon2id$v=19$m=102400,t=2,p=8$c2FsdHNhbHQ$X2V4YW1wbGVfaGFzaF92YWx1ZQ",
    "unusable": "!" + "x" * 40,
    "custom": "mysterious-custom-hash",
}

CASES: list[dict[str, Any]] = [
    {"name": "defaults, int pk"},
    {"name": "max age", "MAX_AGE": 300},
    {"name": "max age, token from an hour ago", "MAX_AGE": 300, "minted_ago": 3600},
    {"name": "scope", "scope": "invoice:42"},
    {"name": "scope with max age", "scope": "report:é", "MAX_AGE": 600},
    {"name": "one time, logged in before", "ONE_TIME": True, "last_login": NOW - 86400},
    {"name": "one time, never logged in", "ONE_TIME": True},
    {"name": "e-mail bound", "INVALIDATE_ON_EMAIL_CHANGE": True},
    {"name": "no password binding", "INVALIDATE_ON_PASSWORD_CHANGE": False, "MAX_AGE": 60},
    {"name": "key", "KEY": "rotated-once"},
    {"name": "signature size 16", "SIGNATURE_SIZE": 16},
    {"name": "md5 password", "password": "md5"},
    {"name": "argon2 password", "password": "argon2"},
    {"name": "unusable password", "password": "unusable"},
    {"name": "custom hash", "password": "custom"},
    {"name": "big int pk", "pk_kind": "bigint", "pk": 2**40 + 7},
    {"name": "uuid pk", "pk_kind": "uuid", "pk": "5f0c9a3e-3c55-4d6f-9a51-0b6f6c4b2d10"},
    {"name": "str pk", "pk_kind": "str", "pk": "marie-noëlle"},
    {"name": "signed by a fallback key", "signed_with": "old-secret-key-for-vectors-0123456789"},
]


def main() -> None:
    settings.configure(
        SECRET_KEY="current-secret-key-for-vectors-0123456789",
        SECRET_KEY_FALLBACKS=["old-secret-key-for-vectors-0123456789"],
        INSTALLED_APPS=["django.contrib.auth", "django.contrib.contenttypes"],
        DATABASES={},
        USE_TZ=True,
    )
    django.setup()
    from django.contrib.auth.models import User
    from sesame import packers, tokens_v2
    from sesame import settings as sesame_settings

    kinds = {
        "int": packers.LongPacker(),
        "bigint": packers.LongLongPacker(),
        "uuid": packers.UUIDPacker(),
        "str": packers.StrPacker(),
    }
    vectors = []
    for case in CASES:
        names = ("MAX_AGE", "ONE_TIME", "INVALIDATE_ON_PASSWORD_CHANGE")
        names += ("INVALIDATE_ON_EMAIL_CHANGE", "KEY", "SIGNATURE_SIZE")
        sesame_values = {name: case[name] for name in names if name in case}
        for name, value in sesame_values.items():
            setattr(settings, "SESAME_" + name, value)
        secret = case.get("signed_with", settings.SECRET_KEY)
        settings.SECRET_KEY, saved = secret, settings.SECRET_KEY
        sesame_settings.load()
        kind = case.get("pk_kind", "int")
        packers.packer = kinds[kind]
        pk = case.get("pk", 42)
        user = User(
            username="alice",
            email="alice@example.com",
            password=PASSWORDS[case.get("password", "pbkdf2")],
        )
        user.pk = uuid.UUID(pk) if kind == "uuid" else pk
        if "last_login" in case:
            user.last_login = datetime.datetime.fromtimestamp(case["last_login"], datetime.UTC)
        minted = NOW - case.get("minted_ago", 0)
        real_time = time.time
        time.time = lambda minted=minted: float(minted)  # type: ignore[misc]
        try:
            token = tokens_v2.create_token(user, case.get("scope", ""))
        finally:
            time.time = real_time  # type: ignore[misc]
            settings.SECRET_KEY = saved
            for name in sesame_values:
                delattr(settings, "SESAME_" + name)
        vectors.append(
            {
                "name": case["name"],
                "settings": sesame_values,
                "pk_kind": kind,
                "pk": str(user.pk) if kind == "uuid" else pk,
                "password": user.password,
                "email": user.email,
                "last_login": user.last_login.isoformat() if user.last_login else None,
                "scope": case.get("scope", ""),
                "minted": minted,
                "now": NOW,
                "token": token,
            }
        )
    document = {
        "generator": "tests/compat/make_sesame_vectors.py",
        "django_sesame": _version(),
        "secret_key": saved,
        "secret_key_fallbacks": settings.SECRET_KEY_FALLBACKS,
        "vectors": vectors,
    }
    OUT.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {len(vectors)} vectors to {OUT}")


def _version() -> str:
    from importlib.metadata import version

    return version("django-sesame")


if __name__ == "__main__":
    main()
