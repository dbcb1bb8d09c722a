"""`srtbuild compare OLD NEW`: what changed between two report.json files.

Files added and removed, files that newly fail or were fixed, quality changes per file,
and the totals side by side. A CI job keeps the last report (OUTPUT/.srtbuild/history/
holds earlier ones) and fails on `--fail-on-regression` when a file newly fails or the
mean quality after correction drops.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from srtbuild.errors import UsageError

REPORT_SCHEMA_PREFIX = "srtbuild.report/"
COMPARED = ("files", "succeeded", "failed", "segments", "cues_dropped", "corrections", "warnings", "quality_before",
            "quality_after")


def load_report(path: str) -> dict:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{path}: no such report") from None
    except (OSError, ValueError) as exc:
        raise UsageError(f"{path}: not a readable report.json ({exc})") from None
    if not isinstance(data, dict) or not str(data.get("schema", "")).startswith(REPORT_SCHEMA_PREFIX):
        raise UsageError(f"{path}: not an srtbuild report (no schema {REPORT_SCHEMA_PREFIX}N)")
    return data


def compare(old: dict, new: dict) -> dict[str, Any]:
    before = {f["path"]: f for f in old.get("files", [])}
    after = {f["path"]: f for f in new.get("files", [])}
    totals = {}
    for key in COMPARED:
        a, b = old["totals"].get(key), new["totals"].get(key)
        delta = round(b - a, 2) if isinstance(a, (int, float)) and isinstance(b, (int, float)) else None
        totals[key] = {"old": a, "new": b, "change": delta}
    changed = []
    for path in sorted(before.keys() & after.keys()):
        a, b = before[path], after[path]
        qa, qb = a.get("quality_after"), b.get("quality_after")
        if a.get("status") != b.get("status") or (qa is not None and qb is not None and qa != qb):
            changed.append({
                "path": path, "old_status": a.get("status"), "new_status": b.get("status"),
                "old_quality": qa, "new_quality": qb,
                "change": round(qb - qa, 2) if qa is not None and qb is not None else None,
                "error": (b.get("error") or {}).get("message") if b.get("status") == "failed" else None,
            })
    return {
        "old": old.get("run", {}).get("started"),
        "new": new.get("run", {}).get("started"),
        "totals": totals,
        "added": sorted(after.keys() - before.keys()),
        "removed": sorted(before.keys() - after.keys()),
        "newly_failed": [c["path"] for c in changed if c["new_status"] == "failed" and c["old_status"] != "failed"]
        + [p for p in sorted(after.keys() - before.keys()) if after[p].get("status") == "failed"],
        "fixed": [c["path"] for c in changed if c["old_status"] == "failed" and c["new_status"] == "ok"],
        "changed": changed,
    }


def regressed(diff: dict) -> bool:
    """A file newly fails, or the mean quality after correction went down."""
    drop = diff["totals"]["quality_after"]["change"]
    return bool(diff["newly_failed"]) or (drop is not None and drop < 0)


def text(diff: dict, limit: int = 20) -> str:
    from tabulate import tabulate

    rows = [(k, v["old"], v["new"], "" if v["change"] is None else f"{v['change']:+g}") for k, v in diff["totals"].items()]
    parts = [f"{diff['old']} -> {diff['new']}", tabulate(rows, headers=["total", "old", "new", "change"])]
    for key, title in (("added", "added"), ("removed", "removed"), ("newly_failed", "newly failed"), ("fixed", "fixed")):
        if diff[key]:
            shown = diff[key][:limit]
            more = f"\n  ... and {len(diff[key]) - limit} more" if len(diff[key]) > limit else ""
            parts.append(f"{title} ({len(diff[key])}):\n" + "\n".join(f"  {p}" for p in shown) + more)
    moved = sorted((c for c in diff["changed"] if c["change"]), key=lambda c: (c["change"], c["path"]))
    if moved:
        worst = moved[:limit]
        parts.append(tabulate([(c["path"], c["old_quality"], c["new_quality"], f"{c['change']:+g}") for c in worst],
                              headers=["quality changed (most dropped first)", "old", "new", "change"]))
    return "\n\n".join(parts) + "\n"
