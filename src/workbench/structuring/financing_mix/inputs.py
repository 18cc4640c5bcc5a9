"""Step 0 of the financing mix: the caller's inputs validated and normalised (``mix_inputs``).

Invalid inputs (a non-positive need, an unknown grade, a non-finite CFADS, duplicated or
misnamed channels) raise ``ValueError`` naming the input; an infeasible *policy* never does.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ...reference import DEFAULT_GRADE
from .params import ChannelSpec, MixConstraints, check_unique_names, default_channels

__all__ = ["MixInputs", "mix_inputs", "parse_mix_grade", "as_channels"]


@dataclass(frozen=True)
class MixInputs:
    """What the mix is optimised for: the need (EUR m), the grade (int >= 1 or ``"D"``), every
    channel given (eligible or not), the policy and the CFADS (None = no DSCR constraint)."""

    need: float
    grade: int | str
    channels: list[ChannelSpec]
    constraints: MixConstraints
    cfads: float | None = None

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.channels]


def parse_mix_grade(grade) -> int | str:
    """Master-scale grade as int >= 1, or ``"D"``. Anything else is an input error."""
    if isinstance(grade, str):
        g = grade.strip().upper()
        if g == DEFAULT_GRADE:
            return DEFAULT_GRADE
        if g.isdigit() and int(g) >= 1:
            return int(g)
    elif isinstance(grade, (int, np.integer)) and not isinstance(grade, bool) and grade >= 1:
        return int(grade)
    elif isinstance(grade, (float, np.floating)) and float(grade).is_integer() and grade >= 1:
        return int(grade)
    raise ValueError(f"grade must be a master-scale grade (1, 2, ... or 'D'); got {grade!r}")


def as_channels(channels) -> list[ChannelSpec]:
    """A list of :class:`ChannelSpec` from specs, dicts or a name -> spec mapping; None = the defaults."""
    if channels is None:
        out = default_channels()
    elif isinstance(channels, Mapping):
        out = []
        for name, spec in channels.items():
            c = spec if isinstance(spec, ChannelSpec) else ChannelSpec.model_validate({"name": name, **dict(spec)})
            if c.name != name:
                raise ValueError(f"channel key {name!r} differs from its name {c.name!r}")
            out.append(c)
    elif isinstance(channels, Sequence) and not isinstance(channels, str):
        out = [c if isinstance(c, ChannelSpec) else ChannelSpec.model_validate(c) for c in channels]
    else:
        raise ValueError(f"channels must be a list or dict of ChannelSpec; got {type(channels).__name__}")
    if not out:
        raise ValueError("channels is empty")
    check_unique_names([c.name for c in out])
    return out


def mix_inputs(need: float, channels=None, constraints: MixConstraints | Mapping | None = None, *,
               grade: int | str, cfads: float | None = None) -> MixInputs:
    """Validate and normalise the inputs of :func:`optimise_financing_mix` (same arguments)."""
    need = float(need)
    if not math.isfinite(need) or need <= 0:
        raise ValueError(f"need must be a positive amount (EUR m); got {need}")
    if cfads is not None:
        cfads = float(cfads)
        if not math.isfinite(cfads):
            raise ValueError(f"cfads must be a finite amount or None; got {cfads}")
    g = parse_mix_grade(grade)
    chans = as_channels(channels)
    k = MixConstraints() if constraints is None else (
        constraints if isinstance(constraints, MixConstraints) else MixConstraints.model_validate(dict(constraints)))
    return MixInputs(need=need, grade=g, channels=chans, constraints=k, cfads=cfads)
