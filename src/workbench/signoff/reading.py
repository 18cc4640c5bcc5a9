"""Reading the sign-off: a version's decision history and the status of every version."""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from ..tracking import get_model_version, model_aliases, version_key, version_numbers
from .common import DEFAULT_MODEL_NAME, NO_RUN, SIGNOFF_PREFIX, version_str
from .decisions import CHAMPION_SINCE_TAG, SUPERSEDED_AT_TAG, SUPERSEDED_BY_TAG, trainer_of
from .gate import find_validation_run, get_version
from .verify import Verification, verify

__all__ = ["SUMMARY_FIELDS", "ENTRY_FIELDS", "STATUS_COLUMNS", "HISTORY_COLUMNS", "decision_history", "status"]

SUMMARY_FIELDS = ("decision", "by", "at", "comment", "validation_run_id")
ENTRY_FIELDS = SUMMARY_FIELDS + ("override_reason", "os_user", "user", "trained_by", "self_approval", "seq",
                                 "signature")
HISTORY_COLUMNS = ["number", *ENTRY_FIELDS, "verified"]
STATUS_COLUMNS = ["version", "aliases", "decision", "by", "at", "validation_run_id", "decisions",
                  "champion_since", "superseded_at", "superseded_by",
                  "os_user", "user", "trained_by", "override_reason", "signature"]

_ENTRY_KEY_RE = re.compile(r"^signoff\.(\d+)\.([a-z_]+)$")


def entry_numbers(tags: dict[str, str]) -> list[int]:
    numbers = set()
    for key in tags:
        m = _ENTRY_KEY_RE.match(key)
        if m:
            numbers.add(int(m.group(1)))
    return sorted(numbers)


def decision_history(name: str, version: str | int, verification: Verification | None = None) -> pd.DataFrame:
    """Every recorded decision of a version, oldest first (one row per ``signoff.<NNN>``), with
    whether it verifies against the signed chain (``verified``)."""
    version = version_str(version)
    mv, problem = get_version(name, version)
    if mv is None:
        raise LookupError(problem)
    verification = verification or verify(name)
    signed = {r.number for r in verification.records_of(version)}
    chain_ok = not verification.chain_problems()
    tags = mv.tags
    rows = []
    for number in entry_numbers(tags):
        row: dict[str, Any] = {"number": number}
        for key in ENTRY_FIELDS:
            row[key] = tags.get(f"{SIGNOFF_PREFIX}{number:03d}.{key}")
        row["verified"] = chain_ok and number in signed and (version, number) not in verification.bad_entries
        rows.append(row)
    return pd.DataFrame(rows, columns=HISTORY_COLUMNS)


def status(name: str = DEFAULT_MODEL_NAME, verification: Verification | None = None) -> pd.DataFrame:
    """One row per version of ``name`` (newest first): aliases, latest decision, by (name, OS
    user and, under a tracking server with auth, the authenticated MLflow user), at, validation run (the linked or found one), number of decisions, champion since /
    superseded, who trained it, the override reason of the latest decision, and ``signature``:
    ``verified``, ``no decisions`` or ``NOT VERIFIED: ...`` saying what does not verify."""
    aliases_of: dict[str, list[str]] = {}
    for alias, v in model_aliases(name).items():
        aliases_of.setdefault(v, []).append(alias)
    verification = verification or verify(name)
    rows = []
    for v in version_numbers(name):
        mv = get_model_version(name, v)
        tags = mv.tags
        run_id = tags.get(f"{SIGNOFF_PREFIX}validation_run_id")
        if not run_id or run_id == NO_RUN:
            run_id = find_validation_run(name, v)
        numbers = entry_numbers(tags)
        latest = f"{SIGNOFF_PREFIX}{numbers[-1]:03d}." if numbers else None
        rows.append({
            "version": v,
            "aliases": ",".join(sorted(aliases_of.get(v, []))),
            "decision": tags.get(f"{SIGNOFF_PREFIX}decision", ""),
            "by": tags.get(f"{SIGNOFF_PREFIX}by", ""),
            "at": tags.get(f"{SIGNOFF_PREFIX}at", ""),
            "validation_run_id": run_id or "",
            "decisions": len(numbers),
            "champion_since": tags.get(CHAMPION_SINCE_TAG, ""),
            "superseded_at": tags.get(SUPERSEDED_AT_TAG, ""),
            "superseded_by": tags.get(SUPERSEDED_BY_TAG, ""),
            "os_user": tags.get(f"{SIGNOFF_PREFIX}os_user", ""),
            "user": tags.get(f"{SIGNOFF_PREFIX}user", ""),
            "trained_by": tags.get(latest + "trained_by", "") if latest else trainer_of(mv)[0],
            "override_reason": tags.get(latest + "override_reason", "") if latest else "",
            "signature": verification.version_status(v),
        })
    rows.sort(key=lambda r: version_key(r["version"]), reverse=True)
    return pd.DataFrame(rows, columns=STATUS_COLUMNS)
