"""Master scale and the risk-based price per grade.

The master scale has geometric PD bands between a floor and a cap; each grade's
representative PD is the geometric mid-point of its band. The required price of a
grade follows the RAROC hurdle identity (DOMAIN.md), per unit of exposure:

    spread over funding = EL% + opex% + (hurdle - r_capital) * K / (1 - tax)
    rate                = cost of funds + spread

with EL% = PD x LGD and K the IRB capital (``capital.irb_capital``).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..config import CalibratePricingParams
from ..models.master_scale import DEFAULT_GRADE, MasterScale
from .capital import irb_capital

__all__ = ["master_scale", "assign_grades", "grade_table", "price_grid", "pricing_metrics", "plot_price_grid"]


def master_scale(n_grades: int, pd_floor: float, pd_cap: float) -> pd.DataFrame:
    """Performing grades 1 (best) .. n of the master scale (``models.MasterScale``): integer
    grade, PD band [pd_low, pd_high) and the grade's mid-point PD ``pd_mid``."""
    bands = MasterScale(n_grades, pd_floor, pd_cap).bands()
    bands = bands[bands["grade"] != DEFAULT_GRADE].rename(columns={"grade_pd": "pd_mid"})
    return bands.assign(grade=bands["grade"].astype(int)).reset_index(drop=True)


def assign_grades(pd_values: np.ndarray | pd.Series, scale: pd.DataFrame) -> np.ndarray:
    """Grade of each PD on ``scale``; PDs below the floor get grade 1, above the cap the last grade."""
    inner_edges = scale["pd_low"].to_numpy()[1:]
    return np.searchsorted(inner_edges, np.asarray(pd_values, dtype=float), side="right") + 1


def grade_table(pd_values: pd.Series, defaults: pd.Series, scale: pd.DataFrame) -> pd.DataFrame:
    """Per grade: count, share, defaults, observed default rate and mean predicted PD."""
    grades = assign_grades(pd_values, scale)
    df = pd.DataFrame({"grade": grades, "pd": np.asarray(pd_values, float), "default": np.asarray(defaults, int)})
    g = df.groupby("grade")
    table = scale.set_index("grade").join(pd.DataFrame({
        "n": g.size(), "defaults": g["default"].sum(), "mean_pd": g["pd"].mean(),
    }), how="left").fillna({"n": 0, "defaults": 0})
    table["n"] = table["n"].astype(int)
    table["defaults"] = table["defaults"].astype(int)
    table["share"] = table["n"] / max(int(table["n"].sum()), 1)
    table["default_rate"] = table["defaults"] / table["n"].where(table["n"] > 0)
    return table.reset_index()


def price_grid(scale: pd.DataFrame, params: CalibratePricingParams) -> pd.DataFrame:
    """Required spread and all-in rate per grade, in basis points, from the hurdle identity."""
    pd_mid = np.maximum(scale["pd_mid"].to_numpy(), params.pd_floor)
    k = irb_capital(pd_mid, params.lgd, params.maturity_years, pd_floor=params.pd_floor)
    el = pd_mid * params.lgd
    capital_charge = (params.hurdle_rate - params.capital_return_rate) * k / (1 - params.tax_rate)
    spread = el + params.opex_bps / 1e4 + capital_charge
    out = scale[["grade", "pd_mid"]].copy()
    out["capital_k"] = k
    out["risk_weight"] = 12.5 * k
    out["el_bps"] = el * 1e4
    out["opex_bps"] = params.opex_bps
    out["capital_charge_bps"] = capital_charge * 1e4
    out["spread_bps"] = spread * 1e4
    out["all_in_rate_bps"] = params.cost_of_funds_bps + out["spread_bps"]
    return out


def pricing_metrics(grades: pd.DataFrame, grid: pd.DataFrame, split: str = "oot") -> dict[str, float]:
    """Headline figures of a calibration: count-weighted required spread, grades in use, worst-grade share."""
    merged = grades.merge(grid[["grade", "spread_bps"]], on="grade")
    n = merged["n"].sum()
    return {
        f"{split}/avg_required_spread_bps": float((merged["n"] * merged["spread_bps"]).sum() / max(n, 1)),
        f"{split}/grades_used": float((merged["n"] > 0).sum()),
        f"{split}/share_worst_grade": float(merged["n"].iloc[-1] / max(n, 1)),
        f"{split}/rows": float(n),
    }


def plot_price_grid(grid: pd.DataFrame, grades: pd.DataFrame | None = None) -> Figure:
    """Required spread per grade, stacked by component; observed default rate on the right axis."""
    fig, ax = plt.subplots(figsize=(7.5, 4))
    x = grid["grade"].astype(str)
    bottom = np.zeros(len(grid))
    for col, label in (("el_bps", "expected loss"), ("opex_bps", "operating cost"),
                       ("capital_charge_bps", "capital charge")):
        ax.bar(x, grid[col], bottom=bottom, label=label)
        bottom = bottom + grid[col].to_numpy()
    ax.set_xlabel("master-scale grade (1 = best)")
    ax.set_ylabel("required spread over funding (bps)")
    ax.set_title("Risk-based price per grade")
    if grades is not None:
        ax2 = ax.twinx()
        observed = 100 * grades["default_rate"].where(grades["default_rate"] > 0)  # log axis: 0 % not drawn
        ax2.plot(x, observed, color="black", marker="o", label="observed default rate (0 % not drawn)")
        ax2.plot(x, 100 * grades["pd_mid"], color="grey", linestyle="--", label="grade PD (mid)")
        ax2.set_ylabel("default rate (%)")
        ax2.set_yscale("log")
        ax2.legend(loc="upper center")
    ax.legend(loc="upper left")
    fig.tight_layout()
    plt.close(fig)
    return fig
