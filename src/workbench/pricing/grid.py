"""The calibrated pricing grid: hurdle floor per grade x tenor x collateral, then a market layer.

Two layers, as the desk prices:

1. **Floor** (``hurdle_grid``): per master-scale grade x tenor bucket x collateral type the
   minimum spread over funding that earns the RAROC hurdle on the IRB capital it consumes
   (``economics.required_rate``: cost of funds by tenor, EL = PD x LGD, opex, tax, return on
   capital), with the F-IRB LGD of the collateral at the params' coverage.
2. **Market** (``calibrate_pricing_grid``): for each cell and client tier, the spread that
   maximises expected economic profit, P(accept | spread) x (spread - floor) x exposure, under
   the price-response model fitted on the ``quotes`` table (``response``), never below the
   floor; the tier's relationship discount comes off but never below the floor either.

The grid is monotone: within a tenor x collateral x tier, a better grade never pays more
(enforced by a running maximum over grades, and checked by ``PricingGrid.is_monotone``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .. import format as fmt
from ..format import bps, display_frame, pd_percent, yes_no
from ..reference import DEFAULT_GRADE, NO_COLLATERAL, MasterScale, metrics
from .capital import irb_capital
from .display import tenor as tenor_label
from .economics import cost_of_funds, raroc, required_rate
from .lgd import foundation_lgd
from .params import CapitalParams, GridParams, PricingParams
from .response import optimal_spread

__all__ = [
    "grade_pd_table",
    "hurdle_grid",
    "calibrate_pricing_grid",
    "PricingGrid",
    "portfolio_raroc",
    "raroc_summary",
    "plot_capital_curve",
    "plot_required_spread",
    "TIERS",
    "latest_grades",
    "pricing_metrics",
    "grid_from_table",
    "save_pricing_outputs",
]

TIERS = ("A", "B", "C")
_CELL = ["grade", "tenor_years", "collateral_type"]


def grade_pd_table(master_scale: MasterScale | Mapping[str, float]) -> pd.DataFrame:
    """Performing grades (integer, 1 = best) and the PD each grade is priced at (its
    master-scale PD). ``D`` (defaulted) is not priced: it is a workout case."""
    mapping = master_scale.grade_pd() if isinstance(master_scale, MasterScale) else dict(master_scale)
    rows = [(int(g), float(p)) for g, p in mapping.items() if str(g) != DEFAULT_GRADE]
    if not rows:
        raise ValueError("the master scale has no performing grade to price")
    return pd.DataFrame(rows, columns=["grade", "pd"]).sort_values("grade").reset_index(drop=True)


def _cells(grade_pd: pd.DataFrame, grid: GridParams) -> pd.DataFrame:
    """Every grade x tenor bucket x collateral type of the grid, with the grade's PD."""
    cells = pd.MultiIndex.from_product(
        [grade_pd["grade"], [float(t) for t in grid.tenor_buckets], list(grid.collateral_types)],
        names=_CELL).to_frame(index=False)
    return cells.merge(grade_pd, on="grade", how="left")


def hurdle_grid(grade_pd: pd.DataFrame, params: PricingParams, sales: float | None = None) -> pd.DataFrame:
    """Minimum spread that meets the hurdle, per grade x tenor bucket x collateral type.

    Columns: grade, tenor_years, collateral_type, pd, lgd, risk_weight, capital_k, el_bps,
    cost_of_funds_bps, opex_bps, capital_charge_bps, floor_spread_bps (required rate less
    funding) and required_rate_bps. ``floor_spread_bps`` is made non-decreasing in grade
    (``monotone_lift_bps`` shows any lift; zero when capital already rises with PD).
    """
    cells = _cells(grade_pd, params.grid)
    n = len(cells)
    econ, floor_pd = params.economics, params.capital.pd_floor
    secured = cells["collateral_type"] != NO_COLLATERAL
    cells["lgd"] = foundation_lgd(np.ones(n), cells["collateral_type"].to_numpy(dtype=object),
                                  np.where(secured, params.grid.collateral_coverage, 0.0),
                                  np.full(n, "senior", dtype=object), params=params.lgd)
    pd_ = np.maximum(cells["pd"].to_numpy(), floor_pd)
    tenor = cells["tenor_years"].to_numpy()
    k = irb_capital(pd_, cells["lgd"].to_numpy(), tenor, sales, pd_floor=floor_pd)
    cof = cost_of_funds(tenor, econ.funding_curve_bps) / 1e4
    opex = econ.opex_bps / 1e4
    rate = required_rate(pd_, cells["lgd"].to_numpy(), tenor, hurdle=econ.hurdle_rate, cost_of_funds=cof, opex=opex,
                         tax=econ.tax_rate, capital_return=econ.capital_return_rate, sales=sales, pd_floor=floor_pd)
    cells["capital_k"] = k
    cells["risk_weight"] = 12.5 * k
    cells["el_bps"] = pd_ * cells["lgd"].to_numpy() * 1e4
    cells["cost_of_funds_bps"] = cof * 1e4
    cells["opex_bps"] = econ.opex_bps
    cells["capital_charge_bps"] = (econ.hurdle_rate - econ.capital_return_rate) * k / (1 - econ.tax_rate) * 1e4
    raw = (rate - cof) * 1e4
    lifted = pd.Series(raw).groupby([cells["tenor_years"], cells["collateral_type"]]).cummax().to_numpy()
    cells["floor_spread_bps"] = lifted
    cells["monotone_lift_bps"] = lifted - raw
    cells["required_rate_bps"] = cells["cost_of_funds_bps"] + cells["floor_spread_bps"]
    return cells


@dataclass
class PricingGrid:
    """A calibrated grid: one row per grade x tenor bucket x collateral type x tier.

    ``table()`` is the grid; ``lookup`` prices facilities from it; ``plot_heatmap`` shows one
    tier x collateral slice; ``is_monotone`` and ``floor_respected`` are the acceptance checks.
    """

    frame: pd.DataFrame
    tenor_buckets: tuple[float, ...]
    has_market_layer: bool

    def table(self) -> pd.DataFrame:
        return self.frame.copy()

    def display_table(self, tier: str = "B", collateral_type: str = NO_COLLATERAL,
                      tenor_years: float | None = None) -> pd.DataFrame:
        """One tier x collateral slice of the grid as a reader needs it (display only; the full
        grid, every column, is ``table()`` and the run's ``price_grid`` output): per grade and
        tenor the PD, LGD and risk weight, the hurdle floor, the market spread, the tier's
        discount and the recommended spread (bps over funding), the acceptance probability at
        the recommended spread, the expected profit (EUR thousand a year on the grid's exposure) and
        whether the floor binds. ``tenor_years``: one tenor bucket only."""
        part = self.frame[(self.frame["tier"] == tier) & (self.frame["collateral_type"] == collateral_type)]
        if tenor_years is not None:
            part = part[np.isclose(part["tenor_years"], float(tenor_years))]
        if part.empty:
            raise ValueError(f"no grid cells for tier {tier!r}, collateral {collateral_type!r}"
                             + (f" and tenor {tenor_years:g}y" if tenor_years is not None else "")
                             + f" (tiers: {', '.join(sorted(set(self.frame['tier'])))}; collateral: "
                             f"{', '.join(sorted(set(self.frame['collateral_type'])))})")
        part = part.sort_values(["grade", "tenor_years"]).set_index(["grade", "tenor_years"])
        out = display_frame(part, {
            "pd": ("PD", pd_percent), "lgd": ("LGD", fmt.percent), "risk_weight": ("risk weight", fmt.percent),
            "floor_spread_bps": ("floor (bps)", bps), "market_spread_bps": ("market (bps)", bps),
            "discount_bps": ("tier discount (bps)", bps), "recommended_spread_bps": ("recommended (bps)", bps),
            "acceptance_probability": ("P(accept)", fmt.percent),
            "expected_profit": ("expected profit (EUR k a year)", lambda v: "n/a" if pd.isna(v) else f"{1000 * v:,.1f}"),
            "floor_binds": ("floor binds", yes_no),
        })
        out.index = out.index.set_levels([out.index.levels[0], [tenor_label(t) for t in out.index.levels[1]]])
        out.index.names = ["grade", "tenor"]
        return out

    def checks_table(self) -> pd.DataFrame:
        """The two acceptance checks of a calibrated grid, each PASS or FAIL with what it checks."""
        rows = [("monotone in grade", self.is_monotone(),
                 "within every tenor x collateral x tier a better grade never pays more"),
                ("floor respected", self.floor_respected(),
                 "every recommended spread is at or above its hurdle floor")]
        return pd.DataFrame([(name, "PASS" if ok else "FAIL", what) for name, ok, what in rows],
                            columns=["check", "result", "what it checks"]).set_index("check")

    def is_monotone(self, column: str = "recommended_spread_bps") -> bool:
        """True when, within each tenor x collateral x tier, the spread never falls as the grade worsens."""
        g = self.frame.sort_values("grade").groupby(["tenor_years", "collateral_type", "tier"])[column]
        return bool(g.apply(lambda s: bool(np.all(np.diff(s.to_numpy()) >= -1e-9))).all())

    def floor_respected(self) -> bool:
        """True when every cell's recommended spread is at least its hurdle spread."""
        return bool((self.frame["recommended_spread_bps"] >= self.frame["floor_spread_bps"] - 1e-9).all())

    def tenor_bucket(self, tenor_years) -> np.ndarray:
        """The grid tenor a facility is priced at: the first bucket at or above its tenor (the last
        bucket beyond), so a tenor between buckets is priced at the longer, dearer one."""
        buckets = np.asarray(self.tenor_buckets, dtype=float)
        idx = np.searchsorted(buckets, np.asarray(tenor_years, dtype=float) - 1e-9, side="left")
        return buckets[np.clip(idx, 0, len(buckets) - 1)]

    def lookup(self, grade, tenor_years, collateral_type, tier) -> pd.DataFrame:
        """Grid row for each facility (vectorised): ``floor_spread_bps``, ``recommended_spread_bps``
        and the cell's components. Unknown grades, collateral types or tiers raise a ValueError
        naming them."""
        keys = pd.DataFrame({"grade": np.asarray(grade, dtype=int), "tenor_years": self.tenor_bucket(tenor_years),
                             "collateral_type": np.asarray(collateral_type, dtype=object),
                             "tier": np.asarray(tier, dtype=object)})
        for col in ("grade", "collateral_type", "tier"):
            unknown = sorted(set(keys[col]) - set(self.frame[col]), key=str)
            if unknown:
                raise ValueError(f"pricing grid has no {col} {unknown[:5]} "
                                 f"(known: {sorted(set(self.frame[col]), key=str)})")
        out = keys.merge(self.frame, on=["grade", "tenor_years", "collateral_type", "tier"], how="left")
        return out

    def plot_heatmap(self, tier: str = "B", collateral_type: str = NO_COLLATERAL,
                     column: str = "recommended_spread_bps") -> Figure:
        """Heat map of ``column`` (bps) by grade (rows) and tenor (columns) for one tier and collateral."""
        part = self.frame[(self.frame["tier"] == tier) & (self.frame["collateral_type"] == collateral_type)]
        if part.empty:
            raise ValueError(f"no grid cells for tier {tier!r} and collateral {collateral_type!r}")
        mat = part.pivot(index="grade", columns="tenor_years", values=column).sort_index()
        fig, ax = plt.subplots(figsize=(7.5, 5.5))
        im = ax.imshow(mat.to_numpy(), aspect="auto", cmap="YlOrRd", norm=plt.matplotlib.colors.LogNorm())
        ax.set_xticks(range(mat.shape[1]), [f"{t:g}y" for t in mat.columns])
        ax.set_yticks(range(mat.shape[0]), [str(g) for g in mat.index])
        ax.set_xlabel("tenor bucket")
        ax.set_ylabel("grade (1 = best)")
        for (r, c), v in np.ndenumerate(mat.to_numpy()):
            ax.text(c, r, f"{v:,.0f}", ha="center", va="center", fontsize=7)
        fig.colorbar(im, ax=ax, label=f"{column} (bps over funding)")
        ax.set_title(f"Pricing grid: tier {tier}, collateral {collateral_type}")
        fig.tight_layout()
        plt.close(fig)
        return fig


def calibrate_pricing_grid(grade_pd: pd.DataFrame, params: PricingParams, response_model=None,
                           relationship_years: float = 5.0, sales: float | None = None) -> PricingGrid:
    """The hurdle floor per cell, then (with a fitted ``response.PriceResponseModel``) the spread
    that maximises expected economic profit per cell and tier, the tier's relationship
    discount, and the monotone and floor constraints.

    Columns added to ``hurdle_grid``: tier, market_spread_bps (profit-maximising spread, or the
    floor without a response model), acceptance_probability, expected_profit (EUR m per year at
    ``params.grid.exposure_eur_m``), discount_bps, recommended_spread_bps, floor_binds.
    """
    layout = params.grid
    floor = hurdle_grid(grade_pd, params, sales)
    tiers = sorted(set(params.tier_by_size_band.values()) | set(layout.tier_discount_bps)) or list(TIERS)
    cells = floor.merge(pd.DataFrame({"tier": tiers}), how="cross")
    cells["relationship_years"] = float(relationship_years)
    if response_model is not None:
        best = optimal_spread(response_model, cells, cells["floor_spread_bps"].to_numpy(), layout.exposure_eur_m,
                              search=tuple(params.response.spread_search_bps))
        cells["market_spread_bps"] = best["spread_bps"].to_numpy()
        cells["acceptance_probability"] = best["acceptance_probability"].to_numpy()
    else:
        cells["market_spread_bps"] = cells["floor_spread_bps"]
        cells["acceptance_probability"] = np.nan
    cells["discount_bps"] = cells["tier"].map(layout.tier_discount_bps).fillna(0.0).astype(float)
    discounted = np.maximum(cells["market_spread_bps"] - cells["discount_bps"], cells["floor_spread_bps"])
    cells["recommended_spread_bps"] = (pd.Series(discounted.to_numpy())
                                       .groupby([cells["tenor_years"], cells["collateral_type"], cells["tier"]])
                                       .cummax().to_numpy())
    cells["floor_binds"] = np.isclose(cells["recommended_spread_bps"], cells["floor_spread_bps"], atol=0.05)
    if response_model is not None:
        # Expected profit at the spread actually recommended (after discount and the monotone lift).
        p = response_model.predict_acceptance(cells.assign(spread_bps=cells["recommended_spread_bps"]))
        cells["acceptance_probability"] = p
        cells["expected_profit"] = p * (cells["recommended_spread_bps"] - cells["floor_spread_bps"]) / 1e4 \
            * layout.exposure_eur_m
    else:
        cells["expected_profit"] = np.nan
    cells["recommended_rate_bps"] = cells["cost_of_funds_bps"] + cells["recommended_spread_bps"]
    cells = cells.sort_values(["tier", "collateral_type", "tenor_years", "grade"]).reset_index(drop=True)
    return PricingGrid(cells, tuple(float(t) for t in layout.tenor_buckets), response_model is not None)


def live_facilities(facilities: pd.DataFrame, as_of) -> pd.DataFrame:
    """The facilities live at ``as_of``: originated on or before it and maturing after it (a facility
    maturing on ``as_of`` is repaid that day). The one definition of "live" for pricing and the
    account views (``workbench.accounts.exposure`` imports it)."""
    missing = [c for c in ("origination_date", "maturity_date") if c not in facilities.columns]
    if missing:
        raise KeyError(f"facilities lack column(s) {', '.join(missing)}")
    as_of = pd.Timestamp(as_of)
    return facilities[(facilities["origination_date"] <= as_of) & (facilities["maturity_date"] > as_of)]


def facility_ead(drawn, limit) -> np.ndarray:
    """Exposure at default of each facility: the drawn amount, or the limit for an undrawn line (the
    whole commitment can be drawn before default). The one definition for pricing and the account
    views (``workbench.accounts.exposure`` imports it)."""
    drawn, limit = np.asarray(drawn, dtype=float), np.asarray(limit, dtype=float)
    return np.where(drawn > 0, drawn, limit)


def portfolio_raroc(facilities: pd.DataFrame, obligors: pd.DataFrame, obligor_grades: pd.DataFrame,
                    grid: PricingGrid | None, params: PricingParams, as_of, *,
                    tiers: pd.DataFrame | None = None) -> pd.DataFrame:
    """RAROC of every live facility at today's spread and at the grid's recommended spread.

    ``obligor_grades`` has obligor_id, grade (performing master-scale grade) and pd. Live means
    originated on or before ``as_of`` and maturing after it (``live_facilities``); tenor is the
    remaining life (at least a month); EAD is the drawn amount, or the limit for an undrawn line
    (``facility_ead``); LGD is F-IRB from the facility's collateral and seniority. Facilities of
    obligors without a performing grade are left out (they are not priced, they are worked out).

    ``grid=None``: only the booked-spread figures (``spread_grid_bps`` and ``raroc_grid`` are NaN);
    tiering uses this, so the assigned tier never depends on the calibrated grid. ``tiers``
    (obligor_id, tier; e.g. ``workbench.accounts.assign_tiers``): where an obligor has a tier it
    replaces the size-band proxy (``params.tier_by_size_band``, unknown bands ``C``); column
    ``tier_source`` says which ("assigned" / "size band").
    """
    as_of = pd.Timestamp(as_of)
    live = live_facilities(facilities, as_of)
    g = obligor_grades[["obligor_id", "grade", "pd"]].copy()
    g = g[g["grade"].astype(str) != DEFAULT_GRADE]
    g["grade"] = g["grade"].astype(int)
    df = (live.merge(g, on="obligor_id", how="inner")
          .merge(obligors[["obligor_id", "industry", "size_band"]], on="obligor_id", how="left"))
    proxy = df["size_band"].map(params.tier_by_size_band).fillna("C")
    if tiers is None:
        assigned = pd.Series(np.nan, index=df.index, dtype=object)
    else:
        missing = [c for c in ("obligor_id", "tier") if c not in tiers.columns]
        if missing:
            raise KeyError(f"tiers lack column(s) {', '.join(missing)}")
        dup = tiers.loc[tiers["obligor_id"].duplicated(), "obligor_id"]
        if len(dup):
            raise ValueError(f"tiers hold more than one tier for obligor(s) {sorted(set(dup))[:5]}")
        assigned = df["obligor_id"].map(tiers.set_index("obligor_id")["tier"])
    has_tier = assigned.notna()
    df["tier"] = assigned.where(has_tier, proxy).astype(str)
    df["tier_source"] = np.where(has_tier, "assigned", "size band")
    df["tenor_years"] = np.maximum((df["maturity_date"] - as_of).dt.days / 365.25, 1 / 12)
    df["ead"] = facility_ead(df["drawn"], df["limit"])
    df["lgd"] = foundation_lgd(df["ead"].to_numpy(), df["collateral_type"].to_numpy(dtype=object),
                               df["collateral_value"].to_numpy(), df["seniority"].to_numpy(dtype=object),
                               params=params.lgd)
    floor_pd = params.capital.pd_floor
    pd_ = np.maximum(df["pd"].to_numpy(), floor_pd)
    tenor = df["tenor_years"].to_numpy()
    cof = cost_of_funds(tenor, params.economics.funding_curve_bps) / 1e4
    econ = params.economics
    terms = dict(cost_of_funds=cof, opex=econ.opex_bps / 1e4, tax=econ.tax_rate,
                 capital_return=econ.capital_return_rate, pd_floor=floor_pd)
    lgd = df["lgd"].to_numpy()
    df["spread_today_bps"] = df["spread_bps"]
    df["raroc_today"] = raroc(cof + df["spread_today_bps"].to_numpy() / 1e4, pd_, lgd, tenor, **terms)
    if grid is None:
        df["spread_grid_bps"] = np.nan
        df["raroc_grid"] = np.nan
    else:
        collateral = np.where(df["collateral_type"].isin(params.grid.collateral_types), df["collateral_type"],
                              NO_COLLATERAL)
        priced = grid.lookup(df["grade"], df["tenor_years"], collateral, df["tier"])
        df["spread_grid_bps"] = priced["recommended_spread_bps"].to_numpy()
        df["raroc_grid"] = raroc(cof + df["spread_grid_bps"].to_numpy() / 1e4, pd_, lgd, tenor, **terms)
    df["capital"] = irb_capital(pd_, lgd, tenor, pd_floor=floor_pd) * df["ead"]
    return df[["facility_id", "obligor_id", "industry", "tier", "tier_source", "grade", "pd", "tenor_years",
               "collateral_type", "ead", "lgd", "capital", "spread_today_bps", "spread_grid_bps", "raroc_today",
               "raroc_grid"]]


def raroc_summary(per_facility: pd.DataFrame, by: str | list[str], hurdle: float | None = None) -> pd.DataFrame:
    """Capital-weighted RAROC today and under the grid per group (RAROC is a return on capital,
    so the portfolio's is the capital-weighted mean), with EAD, the share of facilities below the
    hurdle today, and the mean spread change."""
    by = [by] if isinstance(by, str) else list(by)
    d = per_facility.assign(w_today=per_facility["raroc_today"] * per_facility["capital"],
                            w_grid=per_facility["raroc_grid"] * per_facility["capital"],
                            spread_change=per_facility["spread_grid_bps"] - per_facility["spread_today_bps"])
    g = d.groupby(by, observed=True)
    out = pd.DataFrame({
        "facilities": g.size(),
        "ead": g["ead"].sum(),
        "capital": g["capital"].sum(),
        "raroc_today": g["w_today"].sum() / g["capital"].sum(),
        "raroc_grid": g["w_grid"].sum() / g["capital"].sum(),
        "mean_spread_change_bps": g["spread_change"].mean(),
    })
    if hurdle is not None:
        out["share_below_hurdle_today"] = g["raroc_today"].apply(lambda s: float((s < hurdle).mean()))
    return out


# Basel II Annex 5 illustrative risk weights, corporate, LGD 45 %, M 2.5 (BCBS June 2006), in %.
_ANNEX5_CORPORATE = {0.0003: 14.44, 0.0005: 19.65, 0.001: 29.65, 0.0025: 49.47, 0.004: 62.72, 0.005: 69.61,
                     0.0075: 82.78, 0.01: 92.32, 0.013: 100.95, 0.015: 105.59, 0.02: 114.86, 0.025: 122.16,
                     0.03: 128.44, 0.05: 149.86, 0.1: 193.09, 0.2: 238.23}


def plot_capital_curve(capital: CapitalParams, lgd: float = 0.45, maturity: float = 2.5) -> Figure:
    """IRB risk weight against PD from ``capital.pd_floor`` to 30 % (LGD 45 %, M 2.5; with the SME
    curve at sales of EUR 5m), with the published Basel II Annex 5 values marked: the computed curve
    must pass through them."""
    pd_axis = np.geomspace(capital.pd_floor, 0.3, 200)
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    ax.plot(100 * pd_axis, 100 * 12.5 * irb_capital(pd_axis, lgd, maturity, pd_floor=capital.pd_floor),
            label="corporate (computed)")
    ax.plot(100 * pd_axis, 100 * 12.5 * irb_capital(pd_axis, lgd, maturity, 5.0, pd_floor=capital.pd_floor),
            label="SME, sales EUR 5m (computed)", linestyle="--")
    pts = np.array(sorted(_ANNEX5_CORPORATE.items()))
    ax.scatter(100 * pts[:, 0], pts[:, 1], color="black", zorder=3, s=18, label="Basel II Annex 5 (published)")
    ax.set_xscale("log")
    ax.set_xlabel("PD (%)")
    ax.set_ylabel("risk weight (%)")
    ax.set_title(f"IRB risk weight (LGD {lgd:.0%}, M {maturity:g} years)")
    ax.legend()
    fig.tight_layout()
    plt.close(fig)
    return fig


def plot_required_spread(floor: pd.DataFrame, collateral_type: str = NO_COLLATERAL) -> Figure:
    """Hurdle spread by grade, one line per tenor bucket, for one collateral type (log scale)."""
    part = floor[floor["collateral_type"] == collateral_type]
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    for tenor, rows in part.groupby("tenor_years"):
        ax.plot(rows["grade"].astype(str), rows["floor_spread_bps"], marker="o", label=f"{tenor:g}y")
    ax.set_yscale("log")
    ax.set_xlabel("grade (1 = best)")
    ax.set_ylabel("required spread over funding (bps)")
    ax.set_title(f"Hurdle spread by grade and tenor (collateral: {collateral_type})")
    ax.legend(title="tenor", ncol=3)
    fig.tight_layout()
    plt.close(fig)
    return fig


def latest_grades(predictions: pd.DataFrame) -> pd.DataFrame:
    """Each obligor's latest scored row (by ``obs_date``): obligor_id, obs_date, grade, pd."""
    missing = [c for c in ("obligor_id", "obs_date", "grade", "pd") if c not in predictions.columns]
    if missing:
        raise KeyError(f"predictions lack column(s) {', '.join(missing)}")
    latest = predictions.sort_values(["obligor_id", "obs_date"]).groupby("obligor_id", sort=False).tail(1)
    return latest[["obligor_id", "obs_date", "grade", "pd"]].reset_index(drop=True)


def pricing_metrics(grid: PricingGrid, per_facility: pd.DataFrame | None = None) -> dict[str, float]:
    """Headline figures of a calibration for MLflow: the acceptance checks (monotone grid, floor
    respected), the mean floor and recommended spreads, and the portfolio's capital-weighted
    RAROC today and under the grid. Names are the ``workbench.reference.metrics`` constants."""
    t = grid.frame
    out = {metrics.GRID_MONOTONE_IN_GRADE: float(grid.is_monotone()),
           metrics.GRID_FLOOR_RESPECTED: float(grid.floor_respected()),
           metrics.GRID_CELLS: float(len(t)),
           metrics.GRID_MEAN_FLOOR_SPREAD_BPS: float(t["floor_spread_bps"].mean()),
           metrics.GRID_MEAN_RECOMMENDED_SPREAD_BPS: float(t["recommended_spread_bps"].mean()),
           metrics.GRID_SHARE_FLOOR_BINDS: float(t["floor_binds"].mean())}
    if per_facility is not None and len(per_facility):
        cap = per_facility["capital"].sum()
        out[metrics.PORTFOLIO_FACILITIES] = float(len(per_facility))
        out[metrics.PORTFOLIO_RAROC_TODAY] = float((per_facility["raroc_today"] * per_facility["capital"]).sum() / cap)
        out[metrics.PORTFOLIO_RAROC_GRID] = float((per_facility["raroc_grid"] * per_facility["capital"]).sum() / cap)
    return out


def grid_from_table(table: pd.DataFrame) -> PricingGrid:
    """A ``PricingGrid`` back from its saved table (``price_grid.parquet`` of a pricing run)."""
    needed = ["grade", "tenor_years", "collateral_type", "tier", "floor_spread_bps", "recommended_spread_bps"]
    missing = [c for c in needed if c not in table.columns]
    if missing:
        raise KeyError(f"price grid table lacks column(s) {', '.join(missing)}")
    buckets = tuple(sorted(float(t) for t in table["tenor_years"].unique()))
    return PricingGrid(table.copy(), buckets, bool(table["acceptance_probability"].notna().any())
                       if "acceptance_probability" in table.columns else False)


def save_pricing_outputs(grid: PricingGrid, response_model, directory: str | Path) -> dict[str, Path]:
    """Write the grid (Parquet for machines, CSV for people) and the pickled price-response model
    atomically into ``directory``; returns ``{output name: path}`` for ``RunHandle.record_outputs``."""
    from ..data.io import write_csv_atomic, write_parquet_atomic, write_pickle_atomic  # pandera: only when writing

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    out = {"price_grid": write_parquet_atomic(grid.table(), directory / "price_grid.parquet"),
           "price_grid_csv": write_csv_atomic(grid.table(), directory / "price_grid.csv")}
    if response_model is not None:
        out["price_response"] = write_pickle_atomic(response_model, directory / "price_response.pkl")
    return out
