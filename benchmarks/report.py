"""Turn benchmark results into a table, ``latest.json`` and ``chart.png``."""

from __future__ import annotations

import json
import platform
from pathlib import Path
from typing import Any

import django


def by_name(rows: list[dict[str, Any]]) -> dict[str, float]:
    return {row["name"]: row["median_us"] for row in rows}


def ratios(part: dict[str, Any]) -> dict[str, float]:
    """The issue's targets, as ratios measured within one run on one database."""
    auth = by_name(part["auth"])
    requests = by_name(part["requests"])
    floor = auth["raw indexed join (floor)"]
    token = auth["authgate API token"]
    result = {
        "token / floor": token / floor,
        "DRF token / authgate token": auth["DRF TokenAuthentication"] / token,
        "scoped token - floor (µs)": auth["authgate scoped token"] - floor,
        "magic link - floor (µs)": auth["authgate magic link"] - floor,
        "API token first use in its interval - API token (µs)": auth[
            "authgate API token, first use in its interval"
        ]
        - token,
        "full request: authgate / unauthenticated": requests["authgate API token"]
        / requests["unauthenticated"],
        "full request: DRF token / unauthenticated": requests["DRF TokenAuthentication"]
        / requests["unauthenticated"],
    }
    if "cache hit" in part:
        result["Redis cache hit (µs)"] = part["cache hit"]["median_us"]
        result["Redis cache hit: the lookup alone (µs)"] = part["cache hit"]["lookup_us"]
    if "local cache hit" in part:
        result["in-process cache hit (µs)"] = part["local cache hit"]["median_us"]
        result["in-process cache hit: the lookup alone (µs)"] = part["local cache hit"]["lookup_us"]
        result["full request: authgate, in-process cache / unauthenticated"] = (
            requests["authgate API token, in-process cache"] / requests["unauthenticated"]
        )
    if "large" in part:
        large = by_name(part["large"]["auth"])
        result[f"token with {part['large']['tokens']:,} rows / with {part['users']:,}"] = (
            large["authgate API token"] / token
        )
    return result


#: Issue #6's targets, by ratio name: (at most?, bound); DRF's depends on the database.
TARGETS: dict[str, tuple[bool, float]] = {
    "token / floor": (True, 1.25),
    "scoped token - floor (µs)": (True, 15),
    "magic link - floor (µs)": (True, 15),
    "in-process cache hit: the lookup alone (µs)": (True, 10),
    "full request: authgate, in-process cache / unauthenticated": (True, 1.35),
}
LARGE_TARGET = (True, 1.2)  # the 1M-token lookup against the 10k one


def target(db: str, name: str) -> tuple[bool, float] | None:
    """The target for ratio ``name`` on ``db``, as ``(at_most, bound)``, or ``None``."""
    if name == "DRF token / authgate token":
        return (False, 4.0 if db == "sqlite" else 2.0)
    if name.startswith("token with "):
        return LARGE_TARGET
    return TARGETS.get(name)


def verdict(db: str, name: str, value: float) -> str:
    """``"met (<= 1.25)"``, ``"MISSED (>= 2)"``, or ``""`` for a ratio without a target."""
    found = target(db, name)
    if found is None:
        return ""
    at_most, bound = found
    met = value <= bound if at_most else value >= bound
    return f"{'met' if met else 'MISSED'} ({'<=' if at_most else '>='} {bound:g})"


def table(parts: list[dict[str, Any]]) -> str:
    lines = []
    for part in parts:
        lines.append(f"\n{part['db']} — {part['users']:,} users, median µs per authentication")
        lines.append(f"  {'scheme':42} {'µs':>9} {'queries':>8} {'peak KiB':>9}")
        for row in part["auth"]:
            name, median = row["name"], row["median_us"]
            lines.append(f"  {name:42} {median:9.1f} {row['queries']:8} {row['peak_kib']:9.1f}")
        lines.append("  full request through a minimal DRF view (µs):")
        for row in part["requests"]:
            lines.append(f"    {row['name']:40} {row['median_us']:9.1f}")
        lines.append("  ratios (and issue #6's targets):")
        for name, value in ratios(part).items():
            lines.append(f"    {name:56} {value:8.2f}  {verdict(part['db'], name, value)}".rstrip())
    return "\n".join(lines)


def chart(parts: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(parts), figsize=(7 * len(parts), 4.8), squeeze=False)
    colours = {"authgate": "#2a7d4f", "peer": "#8a8f98", "floor": "#2b5797"}
    for axis, part in zip(axes[0], parts, strict=True):
        rows = [r for r in part["auth"] if "Basic" not in r["name"]]
        rows.sort(key=lambda r: r["median_us"])
        axis.barh(
            [r["name"] for r in rows],
            [r["median_us"] for r in rows],
            color=[colours[r["group"]] for r in rows],
        )
        for index, row in enumerate(rows):
            axis.text(row["median_us"], index, f" {row['median_us']:.0f}", va="center", fontsize=8)
        axis.set_title(f"{part['db']}, {part['users']:,} users:\nmedian µs per authentication")
        axis.invert_yaxis()
        axis.set_xlabel("µs (lower is better)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write(parts: list[dict[str, Any]], directory: Path) -> None:
    environment = {
        "python": platform.python_version(),
        "django": django.get_version(),
        "machine": platform.machine(),
    }
    summary = {
        "environment": environment,
        "results": parts,
        "ratios": {p["db"]: ratios(p) for p in parts},
        "targets": {
            p["db"]: {
                name: verdict(p["db"], name, value)
                for name, value in ratios(p).items()
                if target(p["db"], name) is not None
            }
            for p in parts
        },
    }
    (directory / "latest.json").write_text(json.dumps(summary, indent=2, default=str))
    chart(parts, directory / "chart.png")
    text = table(parts)
    (directory / "latest.txt").write_text(text + "\n")
    print(text)
    written = ", ".join(
        str(directory / name) for name in ("latest.json", "latest.txt", "chart.png")
    )
    print(f"\nwrote {written}")
