"""The approved model: signed-off versions copied into ``<name>-approved``, where consumers resolve
``champion``.

MLflow's permissions are per registered model, and registering a version needs the same
permission (EDIT) as moving an alias. So on a shared tracking server the modellers, who must
register versions of ``key-account-pd``, could also move its ``champion``. An approval therefore
also copies the version (``MlflowClient.copy_model_version``: same training run, source
``models:/<name>/<version>``) into the registered model ``approved_model_name(name)``
(``key-account-pd-approved``), which only validators may edit, and points *its* ``champion`` at
the copy. Consumers resolve that alias (``consumers.model_for_consumers``).

The copy is made before the decision is written, so that an approver the server does not allow
to write to the approved model is refused with nothing recorded. ``check`` (called by ``verify``)
holds the approved model to the signed chain: its ``champion`` must be a copy of the version the
latest signed approval made champion, registered from the same training run. A store whose
approvals predate the approved model has none; its consumers use the verified ``champion`` of
``<name>`` until the next approval creates it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..tracking import alias_version, get_model_version, model_exists, set_alias, set_version_tags
from ..tracking.registry import copy_source, copy_version, find_copy
from .common import CHAMPION_ALIAS, SIGNOFF_PREFIX, approved_model_name

if TYPE_CHECKING:
    from .records import Record
    from .verify import Finding

__all__ = ["APPROVAL_TAG_PREFIX", "copy_for_approval", "crown_copy", "check"]

#: Tags of an approved copy: which signed approval put it there (``approval.by``, ``.at``, ``.seq``, ...).
APPROVAL_TAG_PREFIX = "approval."
#: Tags of the source version that make no sense on a copy: its sign-off mirror and champion history.
_NOT_COPIED = (SIGNOFF_PREFIX, "champion.")


def copy_for_approval(name: str, version: str) -> str:
    """The version of the approved model that is a copy of ``name`` version ``version``: the
    existing copy, else a new one. Raises what the registry raises (a server refusing the
    approver: PERMISSION_DENIED, or INTERNAL_ERROR wrapping it)."""
    dst = approved_model_name(name)
    existing = find_copy(dst, name, version)
    if existing is not None:
        return existing
    return copy_version(name, version, dst, drop_tag_prefixes=_NOT_COPIED)


def crown_copy(name: str, copy: str, record: Record) -> str | None:
    """Point the approved model's ``champion`` at ``copy`` and tag it with the approval ``record``;
    returns the copy that held the alias before (None: none did)."""
    dst = approved_model_name(name)
    previous = alias_version(dst, CHAMPION_ALIAS)
    tags = {f"{APPROVAL_TAG_PREFIX}source": f"{name}/{record.version}", f"{APPROVAL_TAG_PREFIX}by": record.by,
            f"{APPROVAL_TAG_PREFIX}at": record.at, f"{APPROVAL_TAG_PREFIX}seq": str(record.seq),
            f"{APPROVAL_TAG_PREFIX}signature": record.signature,
            f"{APPROVAL_TAG_PREFIX}user": record.user or record.os_user}
    set_version_tags(dst, copy, tags)
    if previous != copy:
        set_alias(dst, CHAMPION_ALIAS, copy)
    return previous


def check(name: str, signed_champion: str | None) -> tuple[str | None, list[Finding]]:
    """``(copy, findings)``: the version of the approved model its ``champion`` points at, and what
    does not match the signed chain (each finding naming the version of ``name`` it concerns)."""
    from .verify import Finding

    dst = approved_model_name(name)
    if not model_exists(dst):
        return None, []  # approvals from before the approved model existed: the next approval creates it
    copy = alias_version(dst, CHAMPION_ALIAS)
    restore = ("a validator points it back with the MLflow client (`set_registered_model_alias`), since no "
               "decision is recorded until the records verify")
    if copy is None:
        if signed_champion is None:
            return None, []
        target = find_copy(dst, name, signed_champion)
        where = f"version {target}" if target else f"a copy of version {signed_champion} (there is none)"
        return None, [Finding(signed_champion, f"alias {CHAMPION_ALIAS} of {dst}, the model consumers use, was removed, "
                                               f"but the signed approval makes version {signed_champion} champion: "
                                               f"{restore} at {where}")]
    mv = get_model_version(dst, copy)
    source = copy_source(mv.source)
    what = f"alias {CHAMPION_ALIAS} of {dst}, the model consumers use, points at version {copy}"
    if source is None or source[0] != name:
        return copy, [Finding(signed_champion, f"{what}, which is not a copy of a version of {name} (its source is "
                                               f"{mv.source}): it was set around the sign-off")]
    copied = source[1]
    if signed_champion is None:
        return copy, [Finding(copied, f"{what}, a copy of version {copied}, but no signed approval of {name} exists: "
                                      f"the alias was set around the sign-off")]
    if copied != signed_champion:
        target = find_copy(dst, name, signed_champion)
        where = f"version {target}" if target else f"a copy of version {signed_champion}"
        return copy, [Finding(copied, f"{what}, a copy of version {copied}, but the signed approval makes version "
                                      f"{signed_champion} champion: the alias was moved around the sign-off; "
                                      f"{restore} at {where}")]
    if mv.run_id != get_model_version(name, signed_champion).run_id:
        return copy, [Finding(copied, f"{what}, registered from run {mv.run_id}, but version {copied} of {name} was "
                                      f"registered from another run: it is not the version that was signed off")]
    return copy, []
