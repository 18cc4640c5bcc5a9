"""Recording decisions: ``approve`` (moves ``champion``) and ``reject`` (never moves aliases).

Every decision is appended, signed, to the model's chain (``records``); nothing is ever
deleted. Approval also needs the approver not to be who trained the version (the training
run's user, tag ``workbench.user``, against the approver's account and the ``--by`` name),
unless ``override_reason`` says why; the reason and the self-approval are recorded.

Who the approver is: the OS user, and on a tracking server with MLflow's basic-auth app the
MLflow user the server authenticated (``tracking.current_identity``), which is then recorded in
the signed record (``user``) and is the account the self-approval check compares. An approval
also copies the version into the approved model ``<name>-approved`` and moves *its* ``champion``
(``approved``); a server that does not let the approver write there refuses the approval before
anything is recorded.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Iterator

from ..locking import file_lock
from ..paths import state_dir
from ..tracking import MlflowException, alias_version, get_run_tags, set_alias, set_version_tags, tracking_uri
from ..tracking.identity import Identity, current_identity
from ..tracking.provenance import USER_SOURCE_TAG
from ..tracking.registry import delete_alias, set_registered_model_tags
from .approved import copy_for_approval, crown_copy
from .common import (
    CHALLENGER_ALIAS,
    CHAMPION_ALIAS,
    NO_RUN,
    TRAINER_TAG,
    UNKNOWN,
    SignoffNotVerified,
    SignoffRefused,
    approved_model_name,
    now,
    version_str,
)
from .gate import Problem, check, find_validation_run, get_version, validation_problems
from .keys import signing_key
from .records import HEAD_TAG, Head, Record, ledger_key, mirror_tags, update_witness
from .verify import verify

__all__ = ["Decision", "approve", "reject", "who_trained", "trainer_of", "CHAMPION_SINCE_TAG", "SUPERSEDED_AT_TAG",
           "SUPERSEDED_BY_TAG", "MAX_TEXT_CHARS"]

CHAMPION_SINCE_TAG = "champion.since"
SUPERSEDED_AT_TAG = "champion.superseded_at"
SUPERSEDED_BY_TAG = "champion.superseded_by"
MAX_TEXT_CHARS = 1000  # --comment, --override-reason: a signed record must fit one registered-model tag
MAX_NAME_CHARS = 100
_MAX_RECORD_CHARS = 4800  # registered-model tag values hold 5000 characters in SQL stores


@dataclass
class Decision:
    """One recorded sign-off decision (what ``approve``/``reject`` wrote to the registry)."""

    name: str
    version: str
    decision: str  # "approved" | "rejected"
    by: str
    at: str  # UTC, ISO 8601
    comment: str
    validation_run_id: str | None
    override_reason: str | None = None
    previous_champion: str | None = None  # version holding `champion` before this decision
    problems: list[str] = field(default_factory=list)  # gate problems at decision time (overridden, for approvals)
    number: int = 0  # NNN of the signoff.<NNN>.* entry
    champion: str | None = None  # version holding `champion` after this decision
    notes: list[str] = field(default_factory=list)
    os_user: str = ""  # the approver's OS user
    trained_by: str = UNKNOWN  # the training run's user (OS user, or MLflow user under auth)
    self_approval: bool = False
    seq: int = 0  # position in the model's signed chain
    signature: str = ""
    challenger_removed: bool = False
    user: str = ""  # the MLflow user a tracking server with auth authenticated ("" without one)
    approved_model: str = ""  # approvals: the registered model consumers resolve champion in
    approved_version: str | None = None  # approvals: the copy there that is champion now

    @property
    def champion_moved(self) -> bool:
        return self.champion is not None and self.champion != self.previous_champion

    def summary(self) -> str:
        """One line for the command line."""
        head = f"{self.name} version {self.version} {self.decision} by {self.by} at {self.at} (signoff.{self.number:03d})"
        if self.decision == "approved":
            if self.champion_moved:
                was = self.previous_champion if self.previous_champion is not None else "none"
                head += f"; champion -> version {self.champion} (was {was})"
            else:
                head += f"; champion -> version {self.champion} (unchanged: it already was champion)"
            if self.approved_version:
                head += f"; consumers: {self.approved_model}@{CHAMPION_ALIAS} = version {self.approved_version}"
            if self.challenger_removed:
                head += f"; alias {CHALLENGER_ALIAS} removed from it"
            if self.override_reason and self.problems:
                head += f"; overridden: {'; '.join(self.problems)}"
        return head + f"; signed (decision #{self.seq} of the chain)"


@dataclass(frozen=True)
class _Trainer:
    user: str  # user of the training run (OS user, or MLflow user under auth), or UNKNOWN
    run_id: str
    source: str = ""  # how the training run established its user (tag workbench.user_source; "" = OS user)


def who_trained(name: str, version: str) -> tuple[str, str]:
    """``(OS user, training run id)`` of a version: the ``workbench.user`` tag of the run that
    registered it (``"unknown"`` when the run or the tag is missing)."""
    mv, problem = get_version(name, version_str(version))
    if mv is None:
        raise LookupError(problem)
    return trainer_of(mv)


def trainer_of(mv) -> tuple[str, str]:
    """``who_trained`` for a version already read (``tracking.get_model_version``)."""
    t = _trainer(mv)
    return t.user, t.run_id


def _trainer(mv) -> _Trainer:
    run_id = mv.run_id or ""
    if not run_id:
        return _Trainer(UNKNOWN, "")
    try:
        tags = get_run_tags(run_id)
    except LookupError:
        tags = {}
    user = tags.get(TRAINER_TAG, "").strip()
    return _Trainer(user or UNKNOWN, run_id, tags.get(USER_SOURCE_TAG, "").strip())


def _same(a: str, b: str) -> bool:
    return a.strip().casefold() == b.strip().casefold()


def _self_approval(version: str, trainer: _Trainer, by: str, approver: Identity) -> tuple[Problem | None, bool]:
    """The problem a self-approval (or one that cannot be ruled out) raises, and whether it is one.
    The trainer is compared with the approver's accounts (the authenticated MLflow user under auth,
    and the OS user) and with the ``--by`` name."""
    run = f"training run {trainer.run_id}" if trainer.run_id else "no training run"
    if trainer.user == UNKNOWN:
        return Problem(f"who trained version {version} is not recorded ({run} has no {TRAINER_TAG} tag): a "
                       f"self-approval cannot be ruled out", overridable=True), False
    if approver.user == UNKNOWN:
        return Problem("the approver's OS user cannot be determined: a self-approval cannot be ruled out",
                       overridable=True), False
    who = []
    if _same(trainer.user, approver.user):
        who.append(f"who is approving it now ({approver.describe()})")
    elif approver.authenticated and approver.os_user != UNKNOWN and _same(trainer.user, approver.os_user):
        who.append(f"who is approving it now (OS user {approver.os_user!r})")
    if by.strip() and _same(trainer.user, by):
        who.append(f"the name given with --by ({by.strip()!r})")
    if not who:
        return None, False
    kind = "MLflow user" if trainer.source else "OS user"
    return Problem(f"self-approval: version {version} was trained by {kind} {trainer.user!r} ({run}), "
                   f"{' and '.join(who)}", overridable=True), True


def _text_problems(by: str | None, comment: str | None, override_reason: str | None) -> list[str]:
    out = []
    for value, option, limit in ((by, "--by", MAX_NAME_CHARS), (comment, "--comment", MAX_TEXT_CHARS)):
        if value is None or not str(value).strip():
            out.append(f"{option} is empty: every decision records who made it and why")
        elif len(value.strip()) > limit:
            out.append(f"{option} has {len(value.strip())} characters; at most {limit} are recorded")
    if override_reason is not None:
        if not override_reason.strip():
            out.append("--override-reason is empty: say why the gate is overridden")
        elif len(override_reason.strip()) > MAX_TEXT_CHARS:
            out.append(f"--override-reason has {len(override_reason.strip())} characters; at most "
                       f"{MAX_TEXT_CHARS} are recorded")
    return out


def _refusals(problems: list[Problem], text: list[str], override_reason: str | None, self_problem) -> list[str]:
    """Every reason to refuse an approval (empty: go ahead)."""
    blocking = [p for p in problems if not p.overridable]
    overridable = [p for p in problems if p.overridable]
    if blocking or text:
        lines = text + [p.text for p in blocking]
        lines += [p.text + (" (would be overridden by --override-reason)" if override_reason else
                            " (an explicit --override-reason can approve despite this)") for p in overridable]
        if override_reason and blocking:
            lines.append("--override-reason cannot override a missing validation run or missing metrics")
        return lines
    if overridable and not override_reason:
        hint = "to approve anyway, give --override-reason saying why (it is recorded)"
        if self_problem is not None:
            hint = ("a self-approval (or one that cannot be ruled out) needs --override-reason saying why (it is "
                    "recorded and shown by `workbench review status`)")
        return [p.text for p in overridable] + [hint]
    return []


def _append(name: str, version: str, action: str, before_write=None, **fields) -> Record:
    """Sign the next decision onto the chain and write it: ledger record, mirror tags, head.
    ``before_write()`` runs once the chain verifies, before anything of the decision is written."""
    key = signing_key(create=True)
    chain = verify(name)
    if not chain.ok:
        raise SignoffNotVerified(name, chain.refused_version(), chain.problems(),
                                 what=f"{name}: no {action} of version {version} recorded, the sign-off records "
                                      f"do not verify")
    last = chain.records[-1] if chain.records else None
    earlier = chain.records_of(version)
    record = Record(seq=last.seq + 1 if last else 1, model=name, version=version, number=len(earlier) + 1,
                    prev=last.signature if last else "", **fields).signed(key)
    if len(record.to_json()) > _MAX_RECORD_CHARS:
        raise SignoffRefused([f"the decision is too long to record ({len(record.to_json())} characters signed; "
                              f"at most {_MAX_RECORD_CHARS}): shorten --comment or --override-reason"],
                             name=name, version=version, action=action)
    if before_write is not None:
        before_write()
    set_registered_model_tags(name, {ledger_key(record.seq): record.to_json()})
    before, after = mirror_tags(earlier), mirror_tags([*earlier, record])
    set_version_tags(name, version, {k: v for k, v in after.items() if before.get(k) != v})
    set_registered_model_tags(name, {HEAD_TAG: Head(name, record.seq, version, record.signature).sealed(key).to_json()})
    update_witness(tracking_uri(), name, chain.created, record)
    return record


def _decision(record: Record, **extra) -> Decision:
    return Decision(name=record.model, version=record.version, decision=record.decision, by=record.by, at=record.at,
                    comment=record.comment, number=record.number, os_user=record.os_user,
                    trained_by=record.trained_by, self_approval=record.self_approval, seq=record.seq,
                    signature=record.signature, override_reason=record.override_reason or None,
                    validation_run_id=None if record.validation_run_id == NO_RUN else record.validation_run_id,
                    user=record.user, **extra)


def _approve(name: str, version: str | int, by: str, comment: str, override_reason: str | None = None) -> Decision:
    """Approve ``name`` version ``version``, make it ``champion`` and take ``challenger`` off it.

    Raises ``SignoffRefused`` listing every problem unless the gate passes, or the only problems
    are a failed reproducibility check, red grades or a self-approval and ``override_reason``
    says why to go ahead; ``SignoffNotVerified`` when the model's sign-off records do not verify
    (nothing is added to a tampered chain); ``SigningKeyError`` without a usable key.
    """
    version = version_str(version)
    problems, mv, run_id = check(name, version)
    text = _text_problems(by, comment, override_reason)
    if override_reason is not None and not override_reason.strip():
        override_reason = None
    if mv is None:
        raise SignoffRefused(text + [p.text for p in problems], name=name, version=version)
    approver, trainer = current_identity(), _trainer(mv)
    self_problem, is_self = _self_approval(version, trainer, by or "", approver)
    if self_problem is not None:
        problems = [*problems, self_problem]
    refusals = _refusals(problems, text, override_reason, self_problem)
    if refusals:
        raise SignoffRefused(refusals, name=name, version=version)

    previous = alias_version(name, CHAMPION_ALIAS)
    copy: list[str] = []  # the approved copy, made once the chain verifies and before the decision is written

    def copy_first() -> None:
        copy.append(_copy_or_refuse(name, version, approver))

    record = _append(name, version, "approval", before_write=copy_first, decision="approved", by=by.strip(),
                     os_user=approver.os_user, user=approver.user if approver.authenticated else "", at=now(),
                     comment=comment.strip(), validation_run_id=run_id or NO_RUN,
                     override_reason=override_reason.strip() if override_reason else "", self_approval=is_self,
                     trained_by=trainer.user, training_run_id=trainer.run_id)
    decision = _decision(record, previous_champion=previous, problems=[p.text for p in problems],
                         approved_model=approved_model_name(name))
    if previous == version:
        decision.notes.append(f"version {version} already is {CHAMPION_ALIAS}; the approval is recorded, "
                              f"the alias is unchanged")
    else:
        if previous is not None:
            set_version_tags(name, previous, {SUPERSEDED_AT_TAG: record.at, SUPERSEDED_BY_TAG: version})
        else:
            decision.notes.append(f"no version of {name} was {CHAMPION_ALIAS}: version {version} becomes "
                                  f"{CHAMPION_ALIAS} without a comparison")
        set_alias(name, CHAMPION_ALIAS, version)
        set_version_tags(name, version, {CHAMPION_SINCE_TAG: record.at})
    crown_copy(name, copy[0], record)
    decision.approved_version = copy[0]
    if alias_version(name, CHALLENGER_ALIAS) == version:
        try:
            decision.challenger_removed = delete_alias(name, CHALLENGER_ALIAS)
        except MlflowException as exc:
            if not _refused_by_server(exc):
                raise
            # The decision is recorded and champion moved: a challenger left in place is no reason to fail it.
            decision.notes.append(f"alias {CHALLENGER_ALIAS} stays on version {version}: the tracking server does not "
                                  f"let {approver.describe()} delete aliases of {name}, which needs MANAGE on it "
                                  f"({_first_line(exc)}); the next training moves it")
    decision.champion = version
    return decision


def _copy_or_refuse(name: str, version: str, approver: Identity) -> str:
    """The approved copy of the version (``approved.copy_for_approval``); a registry that refuses it
    is a ``SignoffRefused`` saying who needs which permission, with nothing of the decision written."""
    dst = approved_model_name(name)
    try:
        return copy_for_approval(name, version)
    except MlflowException as exc:
        if not _refused_by_server(exc):
            raise
        raise SignoffRefused([
            f"the tracking server does not let {approver.describe()} copy version {version} into {dst}, the "
            f"registered model consumers use ({_first_line(exc)}): only validators may write to it; the "
            f"server's admin grants them EDIT or MANAGE on {dst} (docs/team-setup.md). Nothing was recorded"],
            name=name, version=version) from None


def _reject(name: str, version: str | int, by: str, comment: str) -> Decision:
    """Record a rejection of ``name`` version ``version``; aliases never move.

    Rejecting the current champion leaves ``champion`` where it is (demoting a champion means
    approving another version); the returned decision's ``notes`` say so.
    """
    version = version_str(version)
    refusals = _text_problems(by, comment, None)
    mv, problem = get_version(name, version)
    if mv is None:
        refusals.append(problem)
    if refusals:
        raise SignoffRefused(refusals, name=name, version=version, action="reject")
    run_id = find_validation_run(name, version)
    problems = [p.text for p in validation_problems(name, version, run_id)]
    champion = alias_version(name, CHAMPION_ALIAS)
    trainer, approver = _trainer(mv), current_identity()
    record = _append(name, version, "rejection", decision="rejected", by=by.strip(), os_user=approver.os_user,
                     user=approver.user if approver.authenticated else "", at=now(),
                     comment=comment.strip(), validation_run_id=run_id or NO_RUN, override_reason="",
                     self_approval=False, trained_by=trainer.user, training_run_id=trainer.run_id)
    decision = _decision(record, previous_champion=champion, problems=problems, champion=champion)
    if champion == version:
        decision.notes.append(
            f"version {version} is still {CHAMPION_ALIAS}: a rejection never moves aliases. Demoting a "
            f"champion is a separate decision: approve the version that should replace it "
            f"(`workbench review approve {name} VERSION ...`)")
    return decision


def _decision_lock():
    # Two decisions at once would both extend the chain from the same head: one after the other.
    return file_lock(state_dir() / ".workbench-signoff.lock")


def _refused_by_server(exc: MlflowException) -> bool:
    # A refused copy reaches the client as INTERNAL_ERROR wrapping the server's 403 in some paths.
    text = str(exc)
    return exc.error_code in ("PERMISSION_DENIED", "UNAUTHENTICATED") or " 403 " in text or "Permission denied" in text


def _first_line(exc: MlflowException) -> str:
    lines = [line.strip() for line in str(exc.message).splitlines() if line.strip()]
    return lines[-1][:300] if lines else exc.error_code


@contextlib.contextmanager
def _server_refusals(name: str, version: str | int, action: str) -> Iterator[None]:
    """A registry write the server refuses (the approver lacks EDIT on ``name``) as ``SignoffRefused``."""
    try:
        yield
    except MlflowException as exc:
        if not _refused_by_server(exc):
            raise
        raise SignoffRefused([
            f"the tracking server refused {current_identity().describe()} a write to the registry "
            f"({_first_line(exc)}): recording a decision needs EDIT on {name} (its sign-off records and "
            f"aliases) and on {approved_model_name(name)}; the server's admin grants them to validators "
            f"(docs/team-setup.md)"], name=name, version=str(version), action=action) from None


def approve(name: str, version: str | int, by: str, comment: str, override_reason: str | None = None) -> Decision:
    """Approve ``name`` version ``version``, make it ``champion`` and take ``challenger`` off it
    (decisions on one machine are made one at a time). See ``_approve``."""
    with _decision_lock(), _server_refusals(name, version, "approve"):
        return _approve(name, version, by, comment, override_reason)


def reject(name: str, version: str | int, by: str, comment: str) -> Decision:
    """Record a rejection of ``name`` version ``version``; aliases never move. See ``_reject``."""
    with _decision_lock(), _server_refusals(name, version, "reject"):
        return _reject(name, version, by, comment)
