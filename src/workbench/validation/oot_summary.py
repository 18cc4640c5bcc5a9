"""The out-of-time back-test summary of a scored PD model: the figures the sign-off gate reads.

One function, used by the training run (which logs the figures) and by the independent
review (which recomputes them and compares): Hosmer-Lemeshow p on the OOT rows with G
degrees of freedom (the PDs were not fitted there), the number of grades red and yellow in
the Jeffreys test, the PSI of the PD between train and OOT, and the mean PD over the
observed default rate. Keys are the metric names of ``workbench.reference.metrics``.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas

from ..reference import metrics
from .backtest import grade_backtest, hosmer_lemeshow
from .stability import psi

__all__ = ["oot_backtest_summary"]


def oot_backtest_summary(scored: pandas.DataFrame, target: str, grade_pd: Mapping | None = None) -> dict[str, float]:
    """The OOT back-test figures of ``scored`` (``split``, ``target``, ``pd``, ``grade`` per row).

    Empty when there are no OOT rows; the PSI is NaN without training rows.
    """
    missing = [c for c in ("split", target, "pd", "grade") if c not in scored.columns]
    if missing:
        raise KeyError(f"scored rows lack column(s) {', '.join(missing)}")
    oot, train = scored[scored["split"] == "oot"], scored[scored["split"] == "train"]
    if oot.empty:
        return {}
    grades = grade_backtest(oot["grade"], oot["pd"], oot[target], grade_pd=grade_pd).drop(index="all",
                                                                                           errors="ignore")
    _, hl_p = hosmer_lemeshow(oot[target], oot["pd"], ddof=0)
    return {
        metrics.OOT_HOSMER_LEMESHOW_P: float(hl_p),
        metrics.OOT_RED_GRADES: float((grades["jeffreys_light"] == "red").sum()),
        metrics.OOT_YELLOW_GRADES: float((grades["jeffreys_light"] == "yellow").sum()),
        metrics.OOT_PSI_PD_VS_TRAIN: float(psi(train["pd"], oot["pd"])) if len(train) else float("nan"),
        metrics.OOT_MEAN_PD_OVER_DEFAULT_RATE: float(oot["pd"].mean() / max(oot[target].mean(), 1e-12)),
    }
