"""Verifying a model's sign-off records: the chain, its head, the mirror tags and the alias.

``verify(name)`` reads everything the registry holds for ``name`` and returns a
``Verification``; it never raises for what it finds (tampering is a finding, each naming its
version where there is one), only ``LookupError`` for a model that does not exist.

How each kind of tampering shows:

* a ``champion`` alias moved, set or removed with the MLflow client: the signed chain says which
  version its last approval made champion, and the alias must point there;
* a ``signoff.*`` tag deleted: a mirror tag the signed records call for is missing, or a ledger
  record is missing (a gap in ``seq``, the next record's ``prev`` no longer links), or the
  latest record is gone (the signed head names a decision the ledger no longer holds;
  without the head, the witness outside MLflow still does);
* a forged tag or a whole forged decision: a mirror tag no signed record calls for, a ledger
  record whose signature does not match, a head whose MAC does not match, a
  ``signoff.*`` registered-model tag that is neither ledger nor head;
* an edited field (e.g. ``by``): in the mirror it differs from the signed record; in the ledger
  the record's signature no longer matches its content;
* the ``champion`` of the approved model (``<name>-approved``, where consumers resolve it) moved,
  removed or set: it is not a copy of the version the signed chain makes champion (``approved``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..tracking import get_model_version, tracking_uri, version_numbers
from ..tracking.registry import get_registered_model_info
from . import approved
from .common import CHAMPION_ALIAS, SIGNOFF_PREFIX, approved_model_name
from .keys import SigningKeyError, signing_key
from .records import HEAD_TAG, LEDGER_PREFIX, Head, Record, mirror_tags, read_witness, update_witness

__all__ = ["Finding", "Verification", "verify"]


@dataclass(frozen=True)
class Finding:
    """One thing that does not verify; ``version`` is the model version it concerns (None: the chain)."""

    version: str | None
    text: str

    def __str__(self) -> str:
        return f"version {self.version}: {self.text}" if self.version else self.text


@dataclass
class Verification:
    """What ``verify`` found for one registered model."""

    name: str
    created: int = 0  # the registered model's creation time (keys the witness)
    records: list[Record] = field(default_factory=list)  # the ledger as read, in seq order
    findings: list[Finding] = field(default_factory=list)
    champion_alias: str | None = None  # where the alias points
    signed_champion: str | None = None  # where the signed chain says it must point
    approved_champion: str | None = None  # the version of <name>-approved its champion points at (the copy)
    versions: list[str] = field(default_factory=list)
    bad_entries: set[tuple[str, int]] = field(default_factory=set)  # (version, NNN) that do not verify

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def champion(self) -> str | None:
        """The champion version, when everything verifies (else None)."""
        return self.champion_alias if self.ok else None

    @property
    def approved_model(self) -> str:
        """The registered model consumers resolve ``champion`` in (``<name>-approved``)."""
        return approved_model_name(self.name)

    @property
    def approved_copy(self) -> str | None:
        """The copy of the champion in the approved model, when everything verifies (None: none,
        or approvals from before the approved model existed)."""
        return self.approved_champion if self.ok else None

    def records_of(self, version: str) -> list[Record]:
        return [r for r in self.records if r.version == version]

    def latest_approval(self, version: str) -> Record | None:
        approvals = [r for r in self.records_of(version) if r.decision == "approved"]
        return approvals[-1] if approvals else None

    def problems(self) -> list[str]:
        return [str(f) for f in self.findings]

    def problems_of(self, version: str) -> list[str]:
        return [f.text for f in self.findings if f.version == version]

    def chain_problems(self) -> list[str]:
        return [f.text for f in self.findings if f.version is None]

    def version_status(self, version: str) -> str:
        """One cell of ``review status``: verified / no decisions / NOT VERIFIED: what."""
        own = self.problems_of(version)
        if own:
            return "NOT VERIFIED: " + "; ".join(own)
        if self.chain_problems():
            return "NOT VERIFIED: the chain of decisions does not verify (see below)"
        return "verified" if self.records_of(version) else "no decisions"

    def refused_version(self) -> str | None:
        """The version a consumer would have used: the alias's, else the signed champion."""
        return self.champion_alias or self.signed_champion


def verify(name: str) -> Verification:
    """Check every sign-off record of registered model ``name``; ``LookupError`` if there is none."""
    info = get_registered_model_info(name)
    out = Verification(name=name, created=info.created, champion_alias=info.aliases.get(CHAMPION_ALIAS), versions=version_numbers(name))
    ledger: dict[int, str] = {}
    head_text = None
    for key, value in info.tags.items():
        if key == HEAD_TAG:
            head_text = value
        elif key.startswith(LEDGER_PREFIX) and key[len(LEDGER_PREFIX):].isdigit():
            ledger[int(key[len(LEDGER_PREFIX):])] = value
        elif key.startswith(SIGNOFF_PREFIX):
            out.findings.append(Finding(None, f"registered-model tag {key}={value!r} is neither a ledger record nor "
                                              f"the head: it was not written by the sign-off (forged)"))
    key = None
    if ledger or head_text is not None:
        try:
            key = signing_key()
        except SigningKeyError as exc:
            out.findings.append(Finding(None, f"cannot verify the signatures: {exc}"))
    _check_ledger(out, name, ledger, key)
    _check_head(out, name, head_text, key)
    _check_witness(out, name, info.created)
    _check_champion(out)
    out.approved_champion, found = approved.check(name, out.signed_champion)
    out.findings.extend(found)
    _check_mirrors(out, name)
    if out.ok and out.records:
        update_witness(tracking_uri(), name, info.created, out.records[-1])
    return out


def _check_ledger(out: Verification, name: str, ledger: dict[int, str], key: bytes | None) -> None:
    previous: Record | None = None
    counts: dict[str, int] = {}
    for seq in range(1, max(ledger, default=0) + 1):
        if seq not in ledger:
            out.findings.append(Finding(None, f"ledger record {LEDGER_PREFIX}{seq:06d} (decision #{seq}) was "
                                              f"deleted: the chain has a gap"))
            previous = None
            continue
        try:
            record = Record.from_json(ledger[seq])
        except ValueError as exc:
            out.findings.append(Finding(None, f"ledger record {LEDGER_PREFIX}{seq:06d} is not a signed decision "
                                              f"({exc}): forged or edited"))
            previous = None
            continue
        out.records.append(record)
        counts[record.version] = counts.get(record.version, 0) + 1
        bad = []
        if record.seq != seq or record.model != name:
            bad.append(f"it is filed as decision #{seq} of {name} but says #{record.seq} of {record.model}")
        if key is not None and not record.verifies(key):
            bad.append("its signature does not match its content (edited, forged without the key, or signed "
                       "with another key)")
        if previous is not None and record.prev != previous.signature:
            bad.append(f"it does not follow decision #{previous.seq} (its prev signature differs)")
        if seq == 1 and record.prev:
            bad.append("it is the first decision but names a previous one")
        if record.number != counts[record.version]:
            bad.append(f"it is numbered signoff.{record.number:03d} but is decision {counts[record.version]} of "
                       f"that version")
        if bad:
            out.bad_entries.add((record.version, record.number))
            out.findings.append(Finding(record.version, f"{record.describe()} does not verify: {'; '.join(bad)}"))
        previous = record
    approvals = [r for r in out.records if r.decision == "approved"]
    out.signed_champion = approvals[-1].version if approvals else None


def _check_head(out: Verification, name: str, head_text: str | None, key: bytes | None) -> None:
    last = out.records[-1] if out.records else None
    if head_text is None:
        if last is not None:
            out.findings.append(Finding(None, f"the signed head of the chain ({HEAD_TAG}) was deleted"))
        return
    try:
        head = Head.from_json(head_text)
    except ValueError as exc:
        out.findings.append(Finding(None, f"{exc}: forged or edited"))
        return
    if key is not None and not head.verifies(key):
        out.findings.append(Finding(None, f"{HEAD_TAG} does not verify (forged or edited without the key)"))
        return
    if head.model != name:
        out.findings.append(Finding(None, f"{HEAD_TAG} is the head of model {head.model!r}, not {name!r}"))
    held = {r.seq: r for r in out.records}
    top = last.seq if last else 0
    if head.seq > top:
        out.findings.append(Finding(head.version, f"the chain was truncated: its signed head names decision "
                                                  f"#{head.seq} on version {head.version}, the ledger ends at "
                                                  f"#{top}: the latest decision was removed"))
    elif head.seq < top:
        for r in out.records:
            if r.seq > head.seq:
                out.findings.append(Finding(r.version, f"{r.describe()} comes after the signed head "
                                                       f"(#{head.seq}): it was appended around the workbench"))
    elif head.seq in held and head.signature != held[head.seq].signature:
        out.findings.append(Finding(None, f"{HEAD_TAG} names another decision #{head.seq} than the ledger holds"))


def _check_witness(out: Verification, name: str, created: int) -> None:
    seen = read_witness(tracking_uri(), name, created)
    if seen is None:
        return
    held = {r.seq: r for r in out.records}
    top = max(held, default=0)
    if seen["seq"] > top:
        out.findings.append(Finding(str(seen.get("version") or "") or None,
                                    f"this machine has seen decision #{seen['seq']} of {name} (on version "
                                    f"{seen.get('version')}), but the ledger ends at #{top}: decisions were removed"))
    elif seen["seq"] in held and held[seen["seq"]].signature != seen.get("signature"):
        out.findings.append(Finding(None, f"decision #{seen['seq']} differs from the one this machine saw"))


def _check_champion(out: Verification) -> None:
    alias, signed = out.champion_alias, out.signed_champion
    if alias == signed:
        return
    if signed is None:
        out.findings.append(Finding(alias, f"alias {CHAMPION_ALIAS} points at version {alias}, but no signed "
                                           f"approval of {out.name} exists: the alias was set around the sign-off"))
        return
    approval = next(r for r in reversed(out.records) if r.decision == "approved")
    why = f"signed {approval.describe()}"
    if alias is None:
        out.findings.append(Finding(signed, f"alias {CHAMPION_ALIAS} was removed, but the {why} makes version "
                                            f"{signed} champion"))
    else:
        out.findings.append(Finding(alias, f"alias {CHAMPION_ALIAS} points at version {alias}, but the {why} makes "
                                           f"version {signed} champion: the alias was moved around the sign-off"))


def _check_mirrors(out: Verification, name: str) -> None:
    for version in sorted({*out.versions, *(r.version for r in out.records)}):
        records = out.records_of(version)
        if version not in out.versions:
            out.findings.append(Finding(version, f"has {len(records)} signed decision(s) but no longer exists "
                                                 f"in the registry"))
            continue
        have = {k: v for k, v in get_model_version(name, version).tags.items() if k.startswith(SIGNOFF_PREFIX)}
        want = mirror_tags(records)
        missing = [k for k in want if k not in have]
        if missing:
            out.findings.append(Finding(version, f"tag{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
                                                 f"{'were' if len(missing) > 1 else 'was'} deleted"))
        for k in want:
            if k in have and have[k] != want[k]:
                out.findings.append(Finding(version, f"tag {k} is {have[k]!r}, the signed decision says "
                                                     f"{want[k]!r}"))
        extra = [k for k in have if k not in want]
        if extra:
            shown = ", ".join(f"{k}={have[k]!r}" for k in extra)
            out.findings.append(Finding(version, f"tag{'s' if len(extra) > 1 else ''} {shown} "
                                                 f"{'are' if len(extra) > 1 else 'is'} in no signed decision "
                                                 f"(forged, or recorded before decisions were signed)"))
        for k in [*missing, *extra, *(k for k in want if k in have and have[k] != want[k])]:
            parts = k[len(SIGNOFF_PREFIX):].split(".")
            if len(parts) == 2 and parts[0].isdigit():
                out.bad_entries.add((version, int(parts[0])))
            elif records:
                out.bad_entries.add((version, records[-1].number))
