"""Peer benchmarking of a key account: its key ratios against its industry's median and leaders.

The peer group of a client at a month end is every obligor of the **snapshot** of that month end in
the same industry, each with its latest statement usable then (the snapshot's rule). This is the
relationship manager's view "how does the client compare with its industry today", and differs on
purpose from the model feature ``features.peers``, which compares statements of the same fiscal
year usable by the date (a modelling rule against look-ahead). An industry with fewer than
``min_peer_group`` obligors with a statement falls back to its sector (``workbench.reference.SECTOR_OF``,
the same fallback and the same default size as the features); when the sector is still too small
there is no benchmark (NaN, reading "not available"), and ``peer_level`` says which applied.

Per ratio (default ``features.peers.PEER_RATIOS``) and client:

* ``median``: the peer group's median (numpy's linear quantile), the client included;
* ``leaders``: the best decile in the ratio's good direction (``LEADER_QUANTILE``): the 10th
  percentile of a ratio that is riskier when higher (leverage, debt/EBITDA; ``RatioSpec.direction``
  +1), the 90th of one that is safer when higher (margins, cover, liquidity; -1). A ratio without a
  direction (0) has no leaders;
* ``percentile``: the client's mid-rank percentile in the group (share of peers below it plus half
  the ties; 0 lowest .. 1 highest), the features' definition;
* ``good_percentile``: the same read in the good direction (``1 - percentile`` for a ratio that is
  riskier when higher): 0.9 means the client does better than 90 % of its peers;
* ``reading``: "strength" from ``strength_from`` (top quartile by default), "weakness" up to
  ``weakness_to`` (bottom quartile), "in line" between, "not available" without a value or peers.
  Low leverage is therefore a strength and high leverage a weakness.

``peer_positions(snapshot)`` computes all of this for every obligor and month end of a snapshot at
once (group ranks and quantiles, no loop over obligors); ``peer_benchmark(snapshot, obligor_id)`` is
one client's result object with a display table, strengths and weaknesses in words, and
``plot_radar`` draws the client, the median and the leaders on the percentile scale.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from pydantic import Field, model_validator

from .. import format as fmt
from ..features.peers import LEADER_QUANTILE, PEER_RATIOS
from ..features.ratios import RATIOS
from ..params import StrictModel
from ..reference import SECTOR_OF, UNKNOWN_SECTOR

__all__ = ["BenchmarkParams", "PeerBenchmark", "peer_positions", "peer_benchmark", "plot_radar", "RATIO_LABELS",
           "POSITION_COLUMNS"]

_SPEC = {r.name: r for r in RATIOS}

#: How a ratio is named in the benchmark table and sentences (falls back to the ratio's name).
RATIO_LABELS: dict[str, str] = {
    "leverage": "Leverage (debt / assets)",
    "debt_to_ebitda": "Debt / EBITDA",
    "net_debt_to_ebitda": "Net debt / EBITDA",
    "interest_cover": "Interest cover (EBIT / interest)",
    "dscr_proxy": "Debt service cover (proxy)",
    "equity_ratio": "Equity ratio",
    "ebitda_margin": "EBITDA margin",
    "ebit_margin": "Operating margin",
    "net_margin": "Net margin",
    "roa": "Return on assets",
    "roe": "Return on equity",
    "current_ratio": "Current ratio",
    "quick_ratio": "Quick ratio",
    "cash_ratio": "Cash ratio",
    "dso": "Days sales outstanding",
    "dio": "Days inventory outstanding",
    "dpo": "Days payables outstanding",
    "capex_to_revenue": "Capex / revenue",
}

#: Columns of ``peer_positions`` (one row per obligor, month end and ratio).
POSITION_COLUMNS = ("obligor_id", "obs_date", "industry", "peer_level", "peer_group", "peer_group_size", "ratio",
                    "direction", "client", "median", "leaders", "peers_with_value", "percentile", "good_percentile",
                    "reading")


class BenchmarkParams(StrictModel):
    """Who the peers are and when a position reads as a strength or a weakness."""

    min_peer_group: int = Field(
        10, ge=2, le=1000,
        description="Fewest obligors with a statement for an industry benchmark; a smaller industry is compared "
                    "with its sector. Same default as PanelParams.min_peer_group, so the benchmark and the model's "
                    "peer features fall back alike")
    strength_from: float = Field(
        0.75, gt=0.5, le=1.0,
        description="Good-direction percentile from which a ratio reads as a strength: the top quartile of the "
                    "peers, the usual cut of a quartile benchmark")
    weakness_to: float = Field(
        0.25, ge=0.0, lt=0.5,
        description="Good-direction percentile up to which a ratio reads as a weakness: the bottom quartile")

    @model_validator(mode="after")
    def _ordered(self) -> BenchmarkParams:
        if self.weakness_to >= self.strength_from:
            raise ValueError("weakness_to must be below strength_from")
        return self


def _direction(ratio: str) -> int:
    spec = _SPEC.get(ratio)
    return 0 if spec is None else spec.direction


def _label(ratio: str) -> str:
    return RATIO_LABELS.get(ratio, ratio.replace("_", " "))


def _value_text(ratio: str, value) -> str:
    unit = _SPEC[ratio].unit if ratio in _SPEC else ""
    if fmt.finite(value) is None:
        return "n/a"
    if unit == "ratio":
        return fmt.percent(value, 1)
    if unit == "x":
        return fmt.multiple(value)
    if unit == "days":
        return f"{fmt.number(value, 3)} days"
    return fmt.number(value)


def _check(snapshot: pd.DataFrame, ratios: Sequence[str]) -> None:
    missing = [c for c in ("obligor_id", "obs_date", "industry", *ratios) if c not in snapshot.columns]
    if missing:
        raise KeyError(f"peer benchmark: the snapshot lacks column(s) {', '.join(missing)}")
    if len(ratios) == 0:
        raise ValueError("peer benchmark: no ratios given")
    unknown = [r for r in ratios if r not in _SPEC]
    if unknown:
        raise KeyError(f"peer benchmark: unknown ratio(s) {', '.join(unknown)} (not in features.ratios.RATIOS, "
                       "whose direction says which end is good)")


def _reading(good: np.ndarray, params: BenchmarkParams) -> np.ndarray:
    return np.select([np.isnan(good), good >= params.strength_from, good <= params.weakness_to],
                     ["not available", "strength", "weakness"], "in line").astype(object)


def peer_positions(snapshot: pd.DataFrame, ratios: Sequence[str] = PEER_RATIOS,
                   params: BenchmarkParams | None = None) -> pd.DataFrame:
    """Every obligor's position in its peer group for each ratio, at each month end of ``snapshot``.

    One row per (obligor, month end, ratio) with the columns of ``POSITION_COLUMNS``; see the module
    docstring for the definitions. ``peer_group_size`` counts the obligors of the group with a
    statement (a ``period_end``, or any of the ratios when the column is absent); ``peers_with_value``
    those with a value of this ratio (the percentile's denominator).
    """
    p = params or BenchmarkParams()
    ratios = list(ratios)
    _check(snapshot, ratios)
    base = pd.DataFrame({
        "obligor_id": snapshot["obligor_id"].astype(str).to_numpy(),
        "obs_date": pd.to_datetime(snapshot["obs_date"]).to_numpy(),
        "industry": snapshot["industry"].astype(str).to_numpy(),
    })
    base["sector"] = base["industry"].map(SECTOR_OF).fillna(UNKNOWN_SECTOR).to_numpy()
    values = snapshot[ratios].to_numpy(dtype=np.float64)
    if "period_end" in snapshot.columns:
        has_statement = snapshot["period_end"].notna().to_numpy()
    else:
        has_statement = ~np.isnan(values).all(axis=1)
    vals = pd.DataFrame(values, columns=ratios)
    stats: dict[str, dict[str, np.ndarray]] = {}
    for level in ("industry", "sector"):
        keys = [base["obs_date"], base[level]]
        size = pd.Series(has_statement.astype(np.int64)).groupby(keys).transform("sum").to_numpy()
        g = vals.groupby(keys)
        rank = g.rank(method="average").to_numpy()
        count = g.transform("count").to_numpy(dtype=np.float64)
        median = g.transform("median").to_numpy()
        leaders = np.full_like(values, np.nan)
        for j, r in enumerate(ratios):
            d = _direction(r)
            if d == 0:
                continue
            q = LEADER_QUANTILE if d > 0 else 1 - LEADER_QUANTILE
            leaders[:, j] = g[r].transform("quantile", q).to_numpy()
        stats[level] = {"size": size, "pct": (rank - 0.5) / np.where(count > 0, count, np.nan), "count": count,
                        "median": median, "leaders": leaders}
    use_industry = stats["industry"]["size"] >= p.min_peer_group
    use_sector = ~use_industry & (stats["sector"]["size"] >= p.min_peer_group)
    level = np.select([use_industry, use_sector], ["industry", "sector"], "none").astype(object)
    group = np.where(use_industry, base["industry"], np.where(use_sector, base["sector"], None))
    size = np.where(use_industry, stats["industry"]["size"], stats["sector"]["size"])

    def pick(stat: str) -> np.ndarray:
        out = np.where(use_industry[:, None], stats["industry"][stat], stats["sector"][stat])
        return np.where((use_industry | use_sector)[:, None], out, np.nan)

    pct, count, median, leaders = pick("pct"), pick("count"), pick("median"), pick("leaders")
    direction = np.array([_direction(r) for r in ratios])
    good = np.where(direction > 0, 1 - pct, np.where(direction < 0, pct, np.nan))
    n, k = values.shape
    frame = pd.DataFrame({
        "obligor_id": np.repeat(base["obligor_id"].to_numpy(), k),
        "obs_date": np.repeat(base["obs_date"].to_numpy(), k),
        "industry": np.repeat(base["industry"].to_numpy(), k),
        "peer_level": np.repeat(level, k),
        "peer_group": np.repeat(group, k),
        "peer_group_size": np.repeat(size, k).astype(np.int64),
        "ratio": np.tile(np.array(ratios, dtype=object), n),
        "direction": np.tile(direction, n),
        "client": values.ravel(),
        "median": median.ravel(),
        "leaders": leaders.ravel(),
        "peers_with_value": np.nan_to_num(count.ravel()).astype(np.int64),
        "percentile": pct.ravel(),
        "good_percentile": good.ravel(),
    })
    frame["reading"] = _reading(frame["good_percentile"].to_numpy(), p)
    return frame


def _mid_rank(sorted_values: np.ndarray, x: float) -> float:
    if not np.isfinite(x) or len(sorted_values) == 0:
        return float("nan")
    less = np.searchsorted(sorted_values, x, side="left")
    leq = np.searchsorted(sorted_values, x, side="right")
    return float((less + 0.5 * (leq - less)) / len(sorted_values))


@dataclass
class PeerBenchmark:
    """One client's key ratios against its peers at one month end (see the module docstring).

    ``positions`` holds one row per ratio (the ``peer_positions`` columns); ``peer_values`` the
    sorted values of each ratio in the peer group (for the radar's median and leader profiles).
    """

    obligor_id: str
    obs_date: pd.Timestamp
    industry: str
    sector: str
    peer_level: str
    peer_group: str | None
    peer_group_size: int
    industry_size: int
    params: BenchmarkParams
    positions: pd.DataFrame
    peer_values: dict[str, np.ndarray] = field(default_factory=dict)
    undefined: dict[str, str] = field(default_factory=dict)

    @property
    def peers_text(self) -> str:
        """Who the client is compared with, in words, saying when the sector stood in for the industry."""
        when = fmt.date(self.obs_date)
        m = self.params.min_peer_group
        if self.peer_level == "industry":
            return f"Peers: the {self.peer_group_size} obligors of industry {self.industry} at {when}."
        if self.peer_level == "sector":
            return (f"Industry {self.industry} has {self.industry_size} obligors with a statement at {when} (fewer "
                    f"than {m}): peers are the {self.peer_group_size} obligors of sector {self.sector}.")
        return (f"No benchmark: industry {self.industry} and sector {self.sector} have fewer than {m} obligors "
                f"with a statement at {when}.")

    def _reading_text(self, row) -> str:
        if row["reading"] == "not available":
            if row["ratio"] in self.undefined:
                return f"not available (undefined: {self.undefined[row['ratio']]})"
            return "not available" if self.peer_level != "none" else "not available (too few peers)"
        if np.isnan(row["good_percentile"]):
            return "no good direction"
        return f"{row['reading']}: better than {fmt.percent(row['good_percentile'], 0)} of peers"

    def table(self) -> pd.DataFrame:
        """Ratio, client, peer median, leaders (best decile), the client's percentile and the reading in words."""
        t = self.positions.copy()
        t["label"] = [_label(r) for r in t["ratio"]]
        t["client_text"] = [_value_text(r, v) for r, v in zip(t["ratio"], t["client"])]
        t["median_text"] = [_value_text(r, v) for r, v in zip(t["ratio"], t["median"])]
        t["leaders_text"] = [_value_text(r, v) for r, v in zip(t["ratio"], t["leaders"])]
        t["reading_text"] = [self._reading_text(row) for _, row in t.iterrows()]
        t = t.set_index("label")
        return fmt.display_frame(t, {
            "client_text": ("client", fmt.text), "median_text": ("peer median", fmt.text),
            "leaders_text": ("leaders (best decile)", fmt.text),
            "percentile": ("percentile", lambda v: fmt.percent(v, 0)), "reading_text": ("reading", fmt.text),
        }, index=("ratio", fmt.text))

    def _sentences(self, reading: str) -> list[str]:
        rows = self.positions[self.positions["reading"] == reading]
        rows = rows.sort_values("good_percentile", ascending=reading == "weakness", kind="stable")
        out = []
        for _, r in rows.iterrows():
            d, name = int(r["direction"]), _label(r["ratio"])
            value, median, leaders = (_value_text(r["ratio"], r[c]) for c in ("client", "median", "leaders"))
            if reading == "strength":
                side = "lower" if d > 0 else "higher"
                out.append(f"{name} of {value} is {side} than the peer median of {median} and better than "
                           f"{fmt.percent(r['good_percentile'], 0)} of peers (leaders {leaders}).")
            else:
                side = "higher" if d > 0 else "lower"
                out.append(f"{_SPEC[r['ratio']].label}: {name} of {value} is {side} than the peer median of "
                           f"{median}; only {fmt.percent(r['good_percentile'], 0)} of peers do worse "
                           f"(leaders {leaders}).")
        return out

    @property
    def strengths(self) -> list[str]:
        """The ratios in the peers' top quartile (good direction), best first, as sentences."""
        return self._sentences("strength")

    @property
    def weaknesses(self) -> list[str]:
        """The ratios in the peers' bottom quartile (good direction), worst first, as sentences."""
        return self._sentences("weakness")

    def profiles(self) -> pd.DataFrame:
        """The radar's three profiles per ratio on the good-direction percentile scale (0 worst .. 1 best):
        the client's position, and the positions of the peer median and of the leaders' level within the
        same peer group (about 0.5 and 0.9 by construction; ties and interpolation move them a little).
        A ratio without a good direction is shown on its plain percentile."""
        rows = []
        for _, r in self.positions.iterrows():
            vals = self.peer_values.get(r["ratio"], np.array([]))
            d = int(r["direction"])
            pcts = {col: _mid_rank(vals, r[col]) for col in ("client", "median", "leaders")}
            rows.append({"ratio": r["ratio"], **{col: 1 - v if d > 0 else v for col, v in pcts.items()}})
        return pd.DataFrame(rows).set_index("ratio")


def peer_benchmark(snapshot: pd.DataFrame, obligor_id: str, ratios: Sequence[str] = PEER_RATIOS,
                   params: BenchmarkParams | None = None, as_of=None) -> PeerBenchmark:
    """``obligor_id``'s key ratios against its industry's median and leaders (see the module docstring).

    ``as_of``: the month end to benchmark at; None = the client's latest month end in ``snapshot``.
    Only that month end's rows of the snapshot are read (the peers as they stood then).
    """
    p = params or BenchmarkParams()
    ratios = list(ratios)
    _check(snapshot, ratios)
    ids = snapshot["obligor_id"].astype(str)
    mine = snapshot[(ids == str(obligor_id)).to_numpy()]
    if mine.empty:
        raise KeyError(f"peer benchmark: obligor {obligor_id!r} is not in the snapshot")
    dates = pd.to_datetime(snapshot["obs_date"])
    if as_of is None:
        when = pd.Timestamp(pd.to_datetime(mine["obs_date"]).max())
    else:
        when = pd.Timestamp(as_of) + pd.offsets.MonthEnd(0)
        if not (pd.to_datetime(mine["obs_date"]) == when).any():
            raise KeyError(f"peer benchmark: obligor {obligor_id!r} has no snapshot row at {fmt.date(when)}")
    month = snapshot[(dates == when).to_numpy()]
    positions = peer_positions(month, ratios, p)
    own = positions[positions["obligor_id"] == str(obligor_id)].reset_index(drop=True)
    first = own.iloc[0]
    industry = str(first["industry"])
    sector = SECTOR_OF.get(industry, UNKNOWN_SECTOR)
    level = str(first["peer_level"])
    month_ids = month["obligor_id"].astype(str).to_numpy()
    in_group = (positions["obligor_id"].isin(month_ids)) & (positions["peer_group"] == first["peer_group"]) & (
        positions["peer_level"] == level)
    peer_values: dict[str, np.ndarray] = {}
    if level != "none":
        grp = positions[in_group]
        for r in ratios:
            v = grp.loc[grp["ratio"] == r, "client"].to_numpy(dtype=np.float64)
            peer_values[r] = np.sort(v[np.isfinite(v)])
    has_statement = (month["period_end"].notna() if "period_end" in month.columns
                     else month[ratios].notna().any(axis=1)).to_numpy()
    industry_size = int((has_statement & (month["industry"].astype(str) == industry).to_numpy()).sum())
    row = mine[(pd.to_datetime(mine["obs_date"]) == when).to_numpy()].iloc[0]
    undefined = {r: _SPEC[r].undefined_means for r in ratios
                 if _SPEC[r].flag and f"{r}__undefined" in row.index and row[f"{r}__undefined"] == 1
                 and not np.isfinite(float(row[r]))}
    return PeerBenchmark(obligor_id=str(obligor_id), obs_date=when, industry=industry, sector=sector,
                         peer_level=level, peer_group=None if level == "none" else str(first["peer_group"]),
                         peer_group_size=int(first["peer_group_size"]), industry_size=industry_size, params=p,
                         positions=own, peer_values=peer_values, undefined=undefined)


def plot_radar(benchmark: PeerBenchmark) -> Figure:
    """Radar of the client, the peer median and the leaders on the good-direction percentile scale.

    Ratios have different units (shares, multiples, days), so every axis is the position within the
    peer group: 0 at the centre is the worst peer, 1 at the rim the best, in the ratio's good
    direction (low leverage plots outward). The median profile sits near 0.5 and the leaders near 0.9
    by construction; the client's polygon outside the median ring is better than the typical peer.
    A ratio the client lacks breaks its polygon at that axis.
    """
    prof = benchmark.profiles()
    labels = [_label(r).split(" (")[0] for r in prof.index]
    k = len(labels)
    angles = np.linspace(0, 2 * np.pi, k, endpoint=False)
    closed = np.append(angles, angles[0])
    fig = plt.figure(figsize=(7.0, 6.6))
    ax = fig.add_subplot(111, projection="polar")
    styles = (("leaders", "leaders (best decile)", "tab:green", "--"), ("median", "peer median", "tab:gray", ":"),
              ("client", f"client {benchmark.obligor_id}", "tab:blue", "-"))
    for col, name, colour, ls in styles:
        v = prof[col].to_numpy(dtype=float)
        ax.plot(closed, np.append(v, v[0]), color=colour, linestyle=ls, linewidth=2 if col == "client" else 1.3,
                label=name, marker="o" if col == "client" else None)
        if col == "client":
            ax.fill(closed, np.nan_to_num(np.append(v, v[0])), color=colour, alpha=0.15)
    ax.set_xticks(angles)
    ax.set_xticklabels(labels, fontsize=8)
    ax.set_ylim(0, 1)
    ax.set_yticks([0.25, 0.5, 0.75, 1.0])
    ax.set_yticklabels(["25 %", "50 %", "75 %", "100 %"], fontsize=7, color="dimgray")
    group = benchmark.peer_group or "no peer group"
    ax.set_title(f"{benchmark.obligor_id} against {benchmark.peer_level} {group} ({benchmark.peer_group_size} "
                 f"obligors), {fmt.date(benchmark.obs_date)}\npercentile among peers, outward = better", fontsize=9)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=3, fontsize=8, frameon=False)
    fig.tight_layout()
    plt.close(fig)
    return fig
