"""The rating master scale: PD bands, one grade each, plus D for default.

Bands are geometric between a floor and a cap (DOMAIN.md), so each grade covers
the same ratio of PDs; a grade's PD is the geometric mid-point of its band. The
S&P long-run one-year default rates (A 0.05 %, BBB 0.14 %, BB 0.56 %, B 2.93 %,
CCC/C 26 %) fall inside a 0.03 %-30 % scale of 10 grades, which is the desk's scale
(``MASTER_SCALE``): the PD model, pricing, structuring, the data contract's quote grades
and the synthetic generator all read it from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["MasterScale", "DEFAULT_GRADE", "MASTER_SCALE"]

DEFAULT_GRADE = "D"


@dataclass(frozen=True)
class MasterScale:
    n_grades: int = 10
    pd_floor: float = 0.0003
    pd_cap: float = 0.30

    def __post_init__(self) -> None:
        if not 0 < self.pd_floor < self.pd_cap < 1:
            raise ValueError(f"need 0 < pd_floor ({self.pd_floor}) < pd_cap ({self.pd_cap}) < 1")
        if self.n_grades < 2:
            raise ValueError("a master scale needs at least 2 grades")

    @property
    def edges(self) -> np.ndarray:
        return np.geomspace(self.pd_floor, self.pd_cap, self.n_grades + 1)

    @property
    def labels(self) -> list[str]:
        return [str(g) for g in range(1, self.n_grades + 1)] + [DEFAULT_GRADE]

    def bands(self) -> pd.DataFrame:
        """Grade, lower and upper PD bound and the grade PD (geometric mid-point); D has PD 1."""
        import pandas as pd  # here, not at import: the reference data loads without pandas

        e = self.edges
        table = pd.DataFrame({"grade": [str(g) for g in range(1, self.n_grades + 1)],
                              "pd_low": e[:-1], "pd_high": e[1:], "grade_pd": np.sqrt(e[:-1] * e[1:])})
        return pd.concat([table, pd.DataFrame({"grade": [DEFAULT_GRADE], "pd_low": [1.0], "pd_high": [1.0],
                                               "grade_pd": [1.0]})], ignore_index=True)

    def grade_number(self, pd_values) -> np.ndarray:
        """1 (best) .. n_grades; PDs below the floor get 1, above the cap the last performing grade."""
        inner = self.edges[1:-1]
        return np.searchsorted(inner, np.asarray(pd_values, dtype=float), side="right") + 1

    def grade(self, pd_values, defaulted=None) -> np.ndarray:
        """Grade labels ("1".."n"), or "D" where ``defaulted`` is true."""
        labels = np.array(self.labels[:-1], dtype=object)[self.grade_number(pd_values) - 1]
        if defaulted is not None:
            labels = np.where(np.asarray(defaulted, dtype=bool), DEFAULT_GRADE, labels)
        return labels

    def grade_pd(self) -> dict[str, float]:
        return dict(zip(self.bands()["grade"], self.bands()["grade_pd"]))

    def table(self, pd_values, defaults) -> pd.DataFrame:
        """Per grade: PD band, grade PD, count, share, defaults, observed default rate, mean predicted PD."""
        import pandas as pd

        grades = self.grade(pd_values)
        df = pd.DataFrame({"grade": grades, "pd": np.asarray(pd_values, float), "default": np.asarray(defaults, int)})
        g = df.groupby("grade")
        stats = pd.DataFrame({"n": g.size(), "defaults": g["default"].sum(), "mean_pd": g["pd"].mean()})
        table = self.bands().set_index("grade").join(stats, how="left")
        table = table.drop(index=DEFAULT_GRADE)
        table[["n", "defaults"]] = table[["n", "defaults"]].fillna(0).astype(int)
        table["share"] = table["n"] / max(int(table["n"].sum()), 1)
        table["default_rate"] = table["defaults"] / table["n"].where(table["n"] > 0)
        return table.reset_index()


#: The desk's master scale: 10 grades between the Basel II corporate PD floor (0.03 %) and 30 %.
MASTER_SCALE = MasterScale()
