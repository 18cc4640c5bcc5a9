"""Which model version consumers use: the verified champion, else an UNAPPROVED fallback.

``model_for_consumers(name)`` is the rule every consumer of the PD model follows (``workbench
price``, ``workbench structure``, the notebooks through ``jobs.inputs.consumer_training_run``,
and later monitoring, dossiers, portfolio):

* the ``champion`` when the model's sign-off records verify, resolved in the approved model
  ``<name>-approved`` (the validator-owned copy, ``approved``) once approvals have made it; a
  store whose approvals predate it resolves the verified ``champion`` of ``<name>``;
* no champion at all (nothing approved, records verify): the ``challenger``, else the newest
  version, flagged UNAPPROVED with the warning ``UNAPPROVED model version N ...``;
* records that do not verify (a moved alias, deleted, forged or edited sign-off tags, no
  usable key): ``SignoffNotVerified`` naming the version and what does not verify.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..tracking import alias_version, get_model_version, search_latest_run, version_numbers
from .common import (
    CHALLENGER_ALIAS,
    CHAMPION_ALIAS,
    DEFAULT_MODEL_NAME,
    UPSTREAM_TRAINING_TAG,
    SignoffNotVerified,
    source_model_name,
)
from .verify import Verification, verify

__all__ = ["ConsumerModel", "model_for_consumers", "verify_champion", "latest_run_built_on"]


@dataclass(frozen=True)
class ConsumerModel:
    """The model version a consumer must use, and how it may call it."""

    name: str
    version: str
    run_id: str  # the training run that registered it
    approved: bool
    alias: str  # "champion", "challenger" or "" (the newest version)
    signed_off_by: str = ""  # name (MLflow user under auth, else OS user) of the approval that stands
    signed_off_at: str = ""
    warning: str = ""  # "UNAPPROVED model version N ..." when not approved
    approved_model: str = ""  # where it was resolved: <name>-approved (empty: <name> itself)
    approved_version: str = ""  # the copy of `version` in approved_model

    @property
    def label(self) -> str:
        return f"{self.name}/{self.version}"

    @property
    def model_uri(self) -> str:
        """The registry URI a consumer loads: ``models:/<name>-approved@champion`` once it exists."""
        if self.approved_model:
            return f"models:/{self.approved_model}@{CHAMPION_ALIAS}"
        return f"models:/{self.name}/{self.version}"

    def describe(self) -> str:
        """One line: which version and why (the warning for an unapproved one)."""
        if self.approved:
            served = (f"; {self.approved_model}@{CHAMPION_ALIAS} = version {self.approved_version}"
                      if self.approved_model else "")
            return (f"{self.name} version {self.version} ({CHAMPION_ALIAS}, signed off by "
                    f"{self.signed_off_by} at {self.signed_off_at}; training_run_id={self.run_id}{served})")
        return self.warning


def verify_champion(name: str = DEFAULT_MODEL_NAME) -> Verification:
    """The verification of ``name``'s sign-off records; ``SignoffNotVerified`` (naming the
    champion version, or the version the records name, and every finding) unless all verify.
    ``.champion`` of the result is then the verified champion (None: there is none)."""
    verification = verify(name)
    if not verification.ok:
        raise SignoffNotVerified(name, verification.refused_version(), verification.problems())
    return verification


def model_for_consumers(name: str = DEFAULT_MODEL_NAME) -> ConsumerModel:
    """The version of ``name`` consumers must use (see the module docstring); ``name`` may also be
    the approved model ``<name>-approved``. ``LookupError`` when the model does not exist or has no
    versions; ``SignoffNotVerified`` when its sign-off records, or the approved model's
    ``champion``, do not verify."""
    name = source_model_name(name)
    versions = version_numbers(name)
    verification = verify_champion(name)  # LookupError for an unknown model
    if not versions:
        raise LookupError(f"registered model {name!r} has no versions: train one (`workbench run 20_train_pd_model`)")
    champion = verification.champion
    if champion is not None:
        approval = verification.latest_approval(champion)
        who = "?"
        if approval:
            who = f"{approval.by} (MLflow user {approval.user})" if approval.user else \
                f"{approval.by} (OS user {approval.os_user})"
        copy = verification.approved_copy
        if copy is not None:  # resolved where only validators may move the alias
            served = get_model_version(verification.approved_model, copy)
            return ConsumerModel(name, champion, served.run_id, True, CHAMPION_ALIAS, signed_off_by=who,
                                 signed_off_at=approval.at if approval else "",
                                 approved_model=verification.approved_model, approved_version=copy)
        return ConsumerModel(name, champion, get_model_version(name, champion).run_id, True, CHAMPION_ALIAS,
                             signed_off_by=who, signed_off_at=approval.at if approval else "")
    challenger = alias_version(name, CHALLENGER_ALIAS)
    version = challenger or versions[-1]
    records = verification.records_of(version)
    why = "no version is champion (none has been signed off)"
    if records and records[-1].decision == "rejected":
        why += f"; this version was rejected by {records[-1].by} at {records[-1].at}"
    which = f"the {CHALLENGER_ALIAS}" if challenger else "the newest version (no challenger)"
    warning = (f"UNAPPROVED model version {version} of {name}: {why}; using {which}. Its figures are not "
               f"validated: sign a version off with `workbench review approve {name} VERSION --by NAME "
               f"--comment TEXT`")
    return ConsumerModel(name, version, get_model_version(name, version).run_id, False,
                         CHALLENGER_ALIAS if challenger else "", warning=warning)


def latest_run_built_on(model: ConsumerModel, notebook: str) -> str | None:
    """The newest FINISHED run of ``notebook`` (any experiment) whose upstream training run (tag
    ``workbench.upstream.20_train_pd_model``) is ``model``'s training run; None if there is none."""
    stem = Path(notebook).stem
    run_id = model.run_id
    filter_string = "attributes.status = 'FINISHED'"
    if run_id and "'" not in run_id:
        filter_string += f" and tags.`{UPSTREAM_TRAINING_TAG}` = '{run_id}'"

    def built_on_it(run) -> bool:
        tags = run.data.tags
        return (bool(run_id) and tags.get(UPSTREAM_TRAINING_TAG) == run_id
                and Path(tags.get("workbench.notebook", "")).stem == stem)

    return search_latest_run(filter_string, built_on_it)
