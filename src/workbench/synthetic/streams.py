"""The random streams: one per table and calendar year, from ``SeedSequence([seed, stream, year])``.

So the data are deterministic per seed, and the first *Y* years are the same whether *Y* or
more years are generated (a test shows that later events cannot leak into earlier records).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "S_STATIC", "S_MACRO", "S_LATENT", "S_DEFAULT", "S_FIN", "S_BEH", "S_QUEST", "S_QUOTE", "S_INTER", "S_FAC",
    "S_PROJ", "S_DEFTYPE", "S_COV", "rng", "ar1_by_year",
]

# Stream ids for SeedSequence([seed, stream, year]).
(S_STATIC, S_MACRO, S_LATENT, S_DEFAULT, S_FIN, S_BEH, S_QUEST,
 S_QUOTE, S_INTER, S_FAC, S_PROJ, S_DEFTYPE, S_COV) = range(13)


def rng(seed: int, stream: int, year: int = 0) -> np.random.Generator:
    """The generator of one stream and year (year 0: draws made once, not per year)."""
    return np.random.default_rng(np.random.SeedSequence([seed, stream, year]))


def ar1_by_year(seed: int, stream: int, shape: tuple[int, ...], n_months: int, phi: float,
                start: np.ndarray) -> np.ndarray:
    """Stationary unit-variance AR(1) paths, months on the last axis, innovations drawn per year."""
    out = np.empty(shape + (n_months,))
    x = start
    scale = math.sqrt(1 - phi * phi)
    for year0 in range(0, n_months, 12):
        months = min(12, n_months - year0)
        eps = rng(seed, stream, year0 // 12 + 1).standard_normal(shape + (12,))[..., :months]
        for m in range(months):
            x = phi * x + scale * eps[..., m]
            out[..., year0 + m] = x
    return out
