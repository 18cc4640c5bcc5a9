"""Signed sign-off records: what is signed, how, and where it is kept.

Every decision (approve or reject) is one ``Record``. Its signature is HMAC-SHA256, with the key
of ``keys.signing_key``, over a canonical serialisation (JSON, sorted keys, no spaces, UTF-8,
prefixed by a domain label) of every field: model, version, the version's decision number,
the decision's position in the model's chain (``seq``), decision, approver name and OS user,
UTC time, comment, validation run, override reason, whether it is a self-approval, who trained
the version and its training run, the signature of the previous decision of the model
(``prev``), and on a tracking server with auth the MLflow user the server authenticated
(``user``; absent from the record, not empty, when there was none, so that records made without
a server verify as they always did). So the records of one registered model form one chain over
all its versions.

Where they are kept (all in MLflow; only the key is outside it):

* the **ledger**: registered-model tags ``signoff.ledger.<seq:06d>`` holding each record as JSON
  with its signature (the source of truth);
* the **head**: registered-model tag ``signoff.head`` naming the latest record (seq, version,
  signature) with its own HMAC, so that removing the latest record (truncation) shows;
* the **mirror** on each model version, for people, the review notebook and the tests:
  ``signoff.<NNN>.*`` per decision and ``signoff.*`` for the latest one (``mirror_tags``);
* a **witness** outside MLflow, ``<state dir>/.workbench-signoff-witness.json``: the furthest
  decision this machine has written or verified for each model, so that wiping the ledger and
  its head together still shows here.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from ..paths import state_dir
from .common import NO_RUN, SIGNOFF_PREFIX

__all__ = [
    "FORMAT", "LEDGER_PREFIX", "HEAD_TAG", "Record", "Head", "ledger_key", "mirror_tags", "entry_prefix",
    "canonical", "mac", "read_witness", "update_witness", "witness_file",
]

FORMAT = 1
LEDGER_PREFIX = f"{SIGNOFF_PREFIX}ledger."
HEAD_TAG = f"{SIGNOFF_PREFIX}head"
_RECORD_LABEL = b"workbench.signoff.record.v1\n"
_HEAD_LABEL = b"workbench.signoff.head.v1\n"
WITNESS_FILE_NAME = ".workbench-signoff-witness.json"


def canonical(payload: dict[str, Any]) -> bytes:
    """The bytes that are signed: JSON with sorted keys and no whitespace, UTF-8."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def mac(key: bytes, label: bytes, payload: dict[str, Any]) -> str:
    return hmac.new(key, label + canonical(payload), hashlib.sha256).hexdigest()


def ledger_key(seq: int) -> str:
    return f"{LEDGER_PREFIX}{seq:06d}"


def entry_prefix(number: int) -> str:
    return f"{SIGNOFF_PREFIX}{number:03d}."


@dataclass(frozen=True)
class Record:
    """One signed decision."""

    seq: int  # position in the model's chain, 1, 2, ...
    model: str
    version: str
    number: int  # NNN of the version's signoff.<NNN>.* entry
    decision: str  # "approved" | "rejected"
    by: str
    os_user: str
    at: str  # UTC, ISO 8601
    comment: str
    validation_run_id: str  # NO_RUN when there is none
    override_reason: str  # "" when none was given
    self_approval: bool
    trained_by: str  # OS user of the training run, or UNKNOWN
    training_run_id: str
    prev: str  # signature of decision seq - 1 ("" for the first)
    signature: str = ""
    user: str = ""  # the MLflow user a tracking server with auth authenticated ("" without one)

    def payload(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("signature")
        if not out["user"]:
            out.pop("user")  # optional: a record without it is signed (and verifies) as before the field existed
        out["format"] = FORMAT
        return out

    def expected_signature(self, key: bytes) -> str:
        return mac(key, _RECORD_LABEL, self.payload())

    def signed(self, key: bytes) -> Record:
        return replace(self, signature=self.expected_signature(key))

    def verifies(self, key: bytes) -> bool:
        return hmac.compare_digest(self.expected_signature(key), self.signature)

    def to_json(self) -> str:
        return json.dumps({**self.payload(), "signature": self.signature}, sort_keys=True, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Record:
        """A record back from its ledger tag; ValueError if it is not one."""
        try:
            data = json.loads(text)
        except (TypeError, ValueError):
            raise ValueError("not JSON") from None
        if not isinstance(data, dict) or data.pop("format", None) != FORMAT:
            raise ValueError(f"not a format-{FORMAT} sign-off record")
        fields = set(cls.__dataclass_fields__)
        if "user" not in data:
            data["user"] = ""
        elif not data["user"]:
            raise ValueError("an empty user is never recorded")  # the signed payload leaves it out
        if set(data) != fields:
            missing, extra = sorted(fields - set(data)), sorted(set(data) - fields)
            raise ValueError("fields differ" + (f"; missing {', '.join(missing)}" if missing else "")
                             + (f"; unexpected {', '.join(extra)}" if extra else ""))
        ints = ("seq", "number")
        if not all(isinstance(data[k], int) and not isinstance(data[k], bool) for k in ints) \
                or not isinstance(data["self_approval"], bool) \
                or not all(isinstance(data[k], str) for k in fields - set(ints) - {"self_approval"}):
            raise ValueError("a field has the wrong type")
        return cls(**data)

    def describe(self) -> str:
        return (f"decision #{self.seq} on version {self.version} (signoff.{self.number:03d}: {self.decision} by "
                f"{self.by} at {self.at})")


def mirror_tags(records: list[Record]) -> dict[str, str]:
    """The ``signoff.*`` tags a model version carries for its signed ``records`` (oldest first):
    one ``signoff.<NNN>.*`` entry per decision and the ``signoff.*`` summary of the latest."""
    tags: dict[str, str] = {}
    for r in records:
        p = entry_prefix(r.number)
        tags.update({
            p + "decision": r.decision, p + "by": r.by, p + "os_user": r.os_user, p + "at": r.at,
            p + "comment": r.comment, p + "validation_run_id": r.validation_run_id or NO_RUN,
            p + "self_approval": "true" if r.self_approval else "false", p + "trained_by": r.trained_by,
            p + "training_run_id": r.training_run_id, p + "seq": str(r.seq), p + "signature": r.signature,
        })
        if r.override_reason:
            tags[p + "override_reason"] = r.override_reason
        if r.user:
            tags[p + "user"] = r.user
    if records:
        r = records[-1]
        tags.update({
            f"{SIGNOFF_PREFIX}decision": r.decision, f"{SIGNOFF_PREFIX}by": r.by,
            f"{SIGNOFF_PREFIX}os_user": r.os_user, f"{SIGNOFF_PREFIX}at": r.at,
            f"{SIGNOFF_PREFIX}comment": r.comment, f"{SIGNOFF_PREFIX}validation_run_id": r.validation_run_id or NO_RUN,
            f"{SIGNOFF_PREFIX}number": str(r.number), f"{SIGNOFF_PREFIX}seq": str(r.seq),
            f"{SIGNOFF_PREFIX}signature": r.signature,
        })
        if any(earlier.user for earlier in records):
            # Tags are never deleted: once written, the summary says "none" for a later decision made without auth.
            tags[f"{SIGNOFF_PREFIX}user"] = r.user or NO_RUN
    return tags


@dataclass(frozen=True)
class Head:
    """The latest decision of a model's chain, with its own MAC."""

    model: str
    seq: int
    version: str
    signature: str  # of record ``seq``
    mac: str = ""

    def _payload(self) -> dict[str, Any]:
        return {"format": FORMAT, "model": self.model, "seq": self.seq, "version": self.version,
                "signature": self.signature}

    def sealed(self, key: bytes) -> Head:
        return replace(self, mac=mac(key, _HEAD_LABEL, self._payload()))

    def verifies(self, key: bytes) -> bool:
        return hmac.compare_digest(mac(key, _HEAD_LABEL, self._payload()), self.mac)

    def to_json(self) -> str:
        return json.dumps({**self._payload(), "mac": self.mac}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Head:
        try:
            data = json.loads(text)
            if data.pop("format") != FORMAT or set(data) != {"model", "seq", "version", "signature", "mac"}:
                raise ValueError
            if not isinstance(data["seq"], int) or not all(isinstance(data[k], str) for k in
                                                            ("model", "version", "signature", "mac")):
                raise ValueError
        except (TypeError, ValueError, KeyError, AttributeError):
            raise ValueError(f"{HEAD_TAG} is not a signed head") from None
        return cls(**data)


# --------------------------------------------------------------------------- the witness (outside MLflow)


def witness_file() -> Path:
    return state_dir() / WITNESS_FILE_NAME


def _witness_key(store: str, name: str, created: int) -> str:
    # The model's creation time tells a registry rebuilt from scratch (make clean-state) from a wiped one.
    return f"{store}|{name}|{created}"


def _load_witnesses() -> dict[str, Any]:
    try:
        data = json.loads(witness_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def read_witness(store: str, name: str, created: int) -> dict[str, Any] | None:
    """``{"seq", "version", "signature"}`` of the furthest decision seen here, or None."""
    entry = _load_witnesses().get(_witness_key(store, name, created))
    if isinstance(entry, dict) and isinstance(entry.get("seq"), int):
        return entry
    return None


def update_witness(store: str, name: str, created: int, record: Record) -> None:
    """Remember ``record`` as the furthest decision seen, if it is further than the one remembered.
    Best effort: a witness that cannot be written only weakens one of the checks."""
    key = _witness_key(store, name, created)
    data = _load_witnesses()
    known = data.get(key)
    if isinstance(known, dict) and isinstance(known.get("seq"), int) and known["seq"] >= record.seq:
        return
    data[key] = {"seq": record.seq, "version": record.version, "signature": record.signature}
    path = witness_file()
    tmp = path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        tmp.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)
