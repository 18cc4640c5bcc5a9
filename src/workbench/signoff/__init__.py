"""The sign-off gate: only a validated, signed-off model version becomes ``champion``, and
consumers use the champion.

A validator approves or rejects a registered model version (``workbench review approve|reject``).
Approval moves the registry alias ``champion`` only when the version has a validation run (made
by the review notebook ``40_review_model``) that

* is FINISHED and recorded every metric of ``REQUIRED_VALIDATION_METRICS``,
* passed the reproducibility check (``reproducibility/passed`` = 1), and
* found no red out-of-time grade (``oot/red_grades`` = 0),

and when the approver did not train the version (the training run's user, tag
``workbench.user``, is neither the approver's account nor the ``--by`` name). On a tracking
server with MLflow's basic-auth app, who ran a run and who made a decision is the MLflow user the
server authenticated (``tracking.current_identity``), not the OS account. A failed
reproducibility check, red grades or a self-approval can be overridden with an explicit
reason, which is recorded; a missing validation run or missing metrics never can. Approval
takes ``challenger`` off the version (the next training registers the next challenger), and
copies the version into the approved model ``<name>-approved`` (``key-account-pd-approved``),
whose ``champion`` it moves too: on a shared server only validators may edit that model, and
consumers resolve ``champion`` there (``approved``).

Every decision is signed (HMAC-SHA256 with a key kept outside MLflow, ``keys``) and chained to
the model's previous decision (``records``): a ledger and a signed head in registered-model
tags, mirrored on the version as the numbered tags ``signoff.<NNN>.*`` and the summary
``signoff.*`` (decision, by, os_user, at, comment, validation_run_id, ...). Nothing is ever
deleted. When ``champion`` moves, the version that held it is tagged ``champion.superseded_at``
and ``champion.superseded_by``, and the new one ``champion.since``.

``verify(name)`` checks all of it (alias, ledger, head, mirror tags; ``verify``), ``status`` and
``decision_history`` show the result, and ``model_for_consumers`` is the version consumers must
use (``consumers``).

Modules: ``common`` (names, exceptions), ``gate`` (the validation run), ``keys``, ``records``
(what is signed and where it is kept), ``verify``, ``approved`` (the validator-owned copy),
``decisions`` (approve, reject), ``reading`` (history, status), ``consumers``.
"""

from .common import (
    APPROVED_MODEL_NAME,
    APPROVED_SUFFIX,
    CHALLENGER_ALIAS,
    CHAMPION_ALIAS,
    DEFAULT_MODEL_NAME,
    NO_RUN,
    REVIEW_NOTEBOOK,
    SIGNOFF_PREFIX,
    TRAINER_TAG,
    TRAINING_NOTEBOOK,
    UPSTREAM_TRAINING_TAG,
    SignoffNotVerified,
    SignoffRefused,
    approved_model_name,
    source_model_name,
)
from .consumers import ConsumerModel, latest_run_built_on, model_for_consumers, verify_champion
from .decisions import (
    CHAMPION_SINCE_TAG,
    SUPERSEDED_AT_TAG,
    SUPERSEDED_BY_TAG,
    Decision,
    approve,
    reject,
    who_trained,
)
from .gate import (
    RED_GRADES_METRIC,
    REPRODUCIBILITY_METRIC,
    REQUIRED_VALIDATION_METRICS,
    REVIEW_MODEL_NAME_TAG,
    REVIEW_MODEL_VERSION_TAG,
    VALIDATION_RUN_TAG,
    check_version,
    find_validation_run,
    link_validation_run,
)
from .keys import KEY_ENV, SigningKeyError, key_file, signing_key
from .reading import ENTRY_FIELDS, HISTORY_COLUMNS, STATUS_COLUMNS, SUMMARY_FIELDS, decision_history, status
from .records import HEAD_TAG, LEDGER_PREFIX, Record, witness_file
from .verify import Finding, Verification, verify

__all__ = [
    "DEFAULT_MODEL_NAME", "APPROVED_MODEL_NAME", "APPROVED_SUFFIX", "approved_model_name", "source_model_name",
    "CHAMPION_ALIAS", "CHALLENGER_ALIAS", "REVIEW_NOTEBOOK", "TRAINER_TAG", "TRAINING_NOTEBOOK",
    "UPSTREAM_TRAINING_TAG", "SIGNOFF_PREFIX", "NO_RUN",
    "REQUIRED_VALIDATION_METRICS", "REVIEW_MODEL_NAME_TAG", "REVIEW_MODEL_VERSION_TAG", "VALIDATION_RUN_TAG",
    "REPRODUCIBILITY_METRIC", "RED_GRADES_METRIC",
    "CHAMPION_SINCE_TAG", "SUPERSEDED_AT_TAG", "SUPERSEDED_BY_TAG",
    "SUMMARY_FIELDS", "ENTRY_FIELDS", "STATUS_COLUMNS", "HISTORY_COLUMNS",
    "KEY_ENV", "HEAD_TAG", "LEDGER_PREFIX",
    "Decision", "SignoffRefused", "SignoffNotVerified", "SigningKeyError", "Record", "Finding", "Verification",
    "ConsumerModel",
    "find_validation_run", "link_validation_run", "check_version", "approve", "reject", "who_trained",
    "decision_history", "status", "verify", "verify_champion", "model_for_consumers", "latest_run_built_on",
    "signing_key", "key_file", "witness_file",
]
