"""Names shared by the sign-off modules: aliases, tags, notebooks, the exceptions, the clock."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from ..tracking.provenance import USER_TAG

__all__ = [
    "DEFAULT_MODEL_NAME", "APPROVED_SUFFIX", "APPROVED_MODEL_NAME", "approved_model_name", "source_model_name",
    "CHAMPION_ALIAS", "CHALLENGER_ALIAS", "REVIEW_NOTEBOOK", "TRAINING_NOTEBOOK",
    "UPSTREAM_TRAINING_TAG", "TRAINER_TAG", "SIGNOFF_PREFIX", "NO_RUN", "UNKNOWN",
    "SignoffRefused", "SignoffNotVerified", "now", "version_str",
]

DEFAULT_MODEL_NAME = "key-account-pd"
#: Approved versions are copied into the registered model ``<name>-approved``, which only validators may edit
#: (MLflow's permissions are per registered model) and where consumers resolve ``champion``.
APPROVED_SUFFIX = "-approved"


def approved_model_name(name: str) -> str:
    """The validator-owned registered model that holds the approved copies of ``name``'s versions."""
    return name + APPROVED_SUFFIX


def source_model_name(name: str) -> str:
    """The model whose sign-off governs ``name``: itself, or for ``<model>-approved`` the ``<model>``."""
    return name[: -len(APPROVED_SUFFIX)] if name.endswith(APPROVED_SUFFIX) and len(name) > len(APPROVED_SUFFIX) else name


APPROVED_MODEL_NAME = approved_model_name(DEFAULT_MODEL_NAME)  # key-account-pd-approved
CHAMPION_ALIAS = "champion"
CHALLENGER_ALIAS = "challenger"
REVIEW_NOTEBOOK = "40_review_model"
TRAINING_NOTEBOOK = "20_train_pd_model"
#: Lineage tag of a run that read a training run (``RunHandle.upstream``).
UPSTREAM_TRAINING_TAG = f"workbench.upstream.{TRAINING_NOTEBOOK}"
#: Who ran a run: the OS user (``standard_tags``); on the training run, who trained the version.
TRAINER_TAG = USER_TAG

SIGNOFF_PREFIX = "signoff."
NO_RUN = "none"  # tag value when a decision has no validation run (tags cannot be deleted-by-omission)
UNKNOWN = "unknown"  # who trained a version whose training run did not record it


class SignoffRefused(Exception):
    """Approval (or a decision) was refused; ``problems`` lists every reason."""

    def __init__(self, problems: list[str], *, name: str = "", version: str = "", action: str = "approve") -> None:
        self.problems = list(problems)
        self.name = name
        self.version = version
        self.action = action
        what = f"{name} version {version}" if name else "this model version"
        lines = [f"cannot {action} {what}:"] + [f"  - {p}" for p in self.problems]
        super().__init__("\n".join(lines))


class SignoffNotVerified(Exception):
    """The sign-off records of a registered model do not verify (moved alias, deleted, forged or
    edited ``signoff.*`` tags, a broken chain, no usable key). ``version`` is the version a
    consumer would have used (the champion the alias names, else the one the records name);
    ``problems`` says what does not verify, each naming its version."""

    def __init__(self, name: str, version: str | None, problems: list[str], *, what: str = "") -> None:
        self.name = name
        self.version = version
        self.problems = list(problems)
        head = what or (f"{name}: champion version {version} cannot be used, its sign-off does not verify"
                        if version else f"{name}: the sign-off records do not verify; no version can be used")
        lines = [head + ":"] + [f"  - {p}" for p in self.problems]
        lines.append("  (decisions are signed with a key kept outside MLflow, so a change made with the MLflow UI or "
                     "client does not verify: find out who changed what, then restore the records and the alias "
                     "as the signed ledger has them; `workbench review status` lists what differs, and no new "
                     "decision is recorded until they verify)")
        super().__init__("\n".join(lines))


def now() -> str:
    """UTC now, ISO 8601 to the second."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def version_str(version: Any) -> str:
    return str(version).strip()
