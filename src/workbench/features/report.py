"""Reviewer-facing summaries of the feature panel, used by ``notebooks/10_build_features``.

Pure functions: DataFrames in, a DataFrame, a string or a matplotlib ``Figure`` out. Nothing
here reads or writes files or talks to MLflow; the notebook decides what to log.

Figures are made with ``plt.subplots`` and closed before they are returned, so a notebook
shows each one exactly once (as the cell's value) and a long run does not pile up open
figures.

The panel contract these functions rely on (see :func:`workbench.features.build_panel`):
``obligor_id`` (str), ``obs_date`` (datetime), ``industry`` (str), ``split``
(``train`` / ``valid`` / ``oot``), ``default_12m`` (0/1) and numeric feature columns that may
hold NaN. No function depends on particular feature names.
"""

from __future__ import annotations

import hashlib
import json
import math
from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from scipy.cluster import hierarchy
from scipy.spatial.distance import squareform

from ..reference import SPLITS
from .quantiles import sorted_quantile

__all__ = [
    "validation_summary",
    "data_profile",
    "missing_report",
    "default_rate_by_year",
    "plot_ratio_distributions_by_industry",
    "plot_correlation_heatmap",
    "panel_fingerprint",
    "high_correlation_pairs",
]

_CORR_METHODS = ("pearson", "spearman", "kendall")


# --------------------------------------------------------------------------- helpers


def _split_order(values: Sequence[object]) -> list[object]:
    """train, valid, oot first (those present), then any other split labels sorted."""
    present = list(dict.fromkeys(v for v in values if not pd.isna(v)))
    known = [s for s in SPLITS if s in present]
    return known + sorted((v for v in present if v not in SPLITS), key=str)


def _is_numeric(s: pd.Series) -> bool:
    """Numbers and booleans; not datetimes, timedeltas, strings or categoricals."""
    return pd.api.types.is_numeric_dtype(s.dtype) and not isinstance(s.dtype, pd.CategoricalDtype)


def _as_float(s: pd.Series) -> pd.Series:
    """A numeric column as float64 with NaN for missing (handles bool and nullable dtypes)."""
    if s.dtype == np.float64:
        return s
    return pd.Series(s.to_numpy(dtype=np.float64, na_value=np.nan), index=s.index, name=s.name)


def _feature_frame(panel: pd.DataFrame, features: Sequence[str]) -> pd.DataFrame:
    """The requested features (order kept, duplicates dropped) as a float frame."""
    features = list(dict.fromkeys(features))
    missing = [f for f in features if f not in panel.columns]
    if missing:
        raise KeyError(f"features not in the panel: {', '.join(missing)}")
    not_numeric = [f for f in features if not _is_numeric(panel[f])]
    if not_numeric:
        raise TypeError(f"features must be numeric: {', '.join(not_numeric)}")
    return pd.DataFrame({f: _as_float(panel[f]) for f in features}, index=panel.index)


def _check_method(method: str) -> None:
    if method not in _CORR_METHODS:
        raise ValueError(f"method must be one of {', '.join(_CORR_METHODS)}, not {method!r}")


# --------------------------------------------------------------------------- tables


def validation_summary(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per input table: its size, obligors, date range and share of missing cells.

    Columns: ``rows``, ``columns``, ``obligors`` (distinct ``obligor_id``; <NA> when the table
    has none), ``date_column`` (the table's main date: its first datetime column), ``first_date``
    and ``last_date`` (min / max of that column; NaT when the table has no datetime column) and
    ``missing_share`` (missing cells / all cells; NaN for an empty table). Index: table name,
    in the mapping's order.
    """
    records = []
    for name, df in tables.items():
        date_cols = [c for c in df.columns if pd.api.types.is_datetime64_any_dtype(df[c].dtype)]
        date_col = date_cols[0] if date_cols else None
        cells = df.shape[0] * df.shape[1]
        records.append({
            "table": name,
            "rows": len(df),
            "columns": df.shape[1],
            "obligors": df["obligor_id"].nunique() if "obligor_id" in df.columns else pd.NA,
            "date_column": date_col,
            "first_date": df[date_col].min() if date_col is not None else pd.NaT,
            "last_date": df[date_col].max() if date_col is not None else pd.NaT,
            "missing_share": float(df.isna().to_numpy().sum()) / cells if cells else np.nan,
        })
    out = pd.DataFrame.from_records(
        records, columns=["table", "rows", "columns", "obligors", "date_column", "first_date",
                          "last_date", "missing_share"]).set_index("table")
    out["obligors"] = out["obligors"].astype("Int64")
    for c in ("first_date", "last_date"):
        # A table with a tz-aware date column would make the column mixed; leave it as is then.
        if out[c].map(lambda v: getattr(v, "tzinfo", None) is None).all():
            out[c] = pd.to_datetime(out[c])
    return out


_PROFILE_NUMERIC = ["mean", "std", "min", "p01", "p50", "p99", "max"]
_PROFILE_QUANTILES = (("p01", 0.01), ("p50", 0.5), ("p99", 0.99))


def _numeric_profile(s: pd.Series) -> dict[str, float]:
    """Distinct values, infinities and finite-value statistics of one numeric column.

    One sort gives the order statistics and the distinct count together; a (SIMD) sort of
    a few million numbers is several times faster than the hash table behind ``nunique``.
    """
    if pd.api.types.is_integer_dtype(s.dtype) and not isinstance(s.dtype, pd.api.extensions.ExtensionDtype):
        ints = np.sort(s.to_numpy())  # exact distinct count even beyond 2**53
        n_unique = int(np.count_nonzero(ints[1:] != ints[:-1])) + 1 if len(ints) else 0
        finite = ints.astype(np.float64)
        count, n_inf = len(ints), 0
    else:
        values = np.sort(s.to_numpy(dtype=np.float64, na_value=np.nan))
        present = values[: len(values) - int(np.count_nonzero(np.isnan(values)))]  # NaN sorts last
        n_unique = int(np.count_nonzero(present[1:] != present[:-1])) + 1 if len(present) else 0
        neg = int(np.searchsorted(present, -np.inf, side="right"))
        pos = len(present) - int(np.searchsorted(present, np.inf, side="left"))
        finite = present[neg: len(present) - pos]
        count, n_inf = len(present), neg + pos
    out = {"count": count, "n_unique": n_unique, "n_inf": n_inf}
    if len(finite):
        out.update(mean=float(np.mean(finite)), min=float(finite[0]), max=float(finite[-1]),
                   std=float(np.std(finite, ddof=1)) if len(finite) > 1 else np.nan)
        out.update({name: sorted_quantile(finite, q) for name, q in _PROFILE_QUANTILES})
    return out


def data_profile(df: pd.DataFrame) -> pd.DataFrame:
    """One row per column of ``df``: what a reviewer checks before trusting a table.

    Columns: ``dtype``, ``count`` (non-missing), ``missing_share``, ``n_unique`` (distinct
    non-missing values), then for numeric (and boolean) columns ``mean``, ``std``, ``min``,
    ``p01``, ``p50``, ``p99``, ``max`` and ``n_inf``, and for the other columns ``top`` (the most
    frequent non-missing value). Fields that do not apply are NaN / <NA>.

    The numeric statistics are over the *finite* values: +/-inf are counted in ``n_inf`` (and
    in ``count``) but left out of mean, std, quantiles, min and max, which they would otherwise
    turn into inf or NaN. ``std`` has ddof=1, as pandas. Quantiles are those of
    ``numpy.quantile`` (linear interpolation).

    Speed: each numeric column is sorted once and everything but mean and std is read off the
    sorted values; that is several times faster than ``nunique`` plus ``DataFrame.quantile``
    and takes a few seconds on 2 million rows x 100 columns, with one column's copy in memory
    at a time. Other columns cost one ``value_counts`` each (giving ``n_unique`` and ``top``).
    """
    n = len(df)
    cols = list(df.columns)
    if len(set(cols)) != len(cols):
        raise ValueError("data_profile needs unique column names")

    out = pd.DataFrame(index=pd.Index(cols, name="column"))
    out["dtype"] = [str(t) for t in df.dtypes]
    rows: dict[str, dict[str, object]] = {}
    for i, c in enumerate(cols):
        s = df.iloc[:, i]
        if _is_numeric(s):
            rows[c] = _numeric_profile(s)
        else:
            counts = s.value_counts(dropna=True, sort=True)
            rows[c] = {"count": int(counts.sum()), "n_unique": len(counts),
                       "top": counts.index[0] if len(counts) else np.nan}
    stats = pd.DataFrame.from_dict(rows, orient="index").reindex(
        index=cols, columns=["count", "n_unique"] + _PROFILE_NUMERIC + ["n_inf", "top"])
    out["count"] = stats["count"].astype("int64")
    out["missing_share"] = (1 - out["count"] / n) if n else np.nan
    out["n_unique"] = stats["n_unique"].astype("int64")
    for c in _PROFILE_NUMERIC:
        out[c] = stats[c].astype(np.float64)
    out["n_inf"] = stats["n_inf"].astype("Int64")
    out["top"] = stats["top"].astype(object)
    return out


def missing_report(panel: pd.DataFrame, features: list[str]) -> pd.DataFrame:
    """Share of missing values per feature, overall and per split.

    Index ``feature``; columns ``overall`` then one column per split present in the panel
    (``train``, ``valid``, ``oot`` in that order, any other label after them). Shares are in
    [0, 1]. Sorted by ``overall`` descending (ties keep the order of ``features``), so the
    features a reviewer should look at come first.
    """
    features = list(dict.fromkeys(features))
    absent = [f for f in features if f not in panel.columns]
    if absent:
        raise KeyError(f"features not in the panel: {', '.join(absent)}")
    isna = panel[features].isna()
    out = pd.DataFrame({"overall": isna.mean() if len(panel) else np.nan}, index=features)
    if "split" in panel.columns:
        per_split = isna.groupby(panel["split"], sort=False).mean().T
        for split in _split_order(per_split.columns):
            out[split] = per_split[split]
    out.index.name = "feature"
    out.columns.name = "missing share"
    return out.sort_values("overall", ascending=False, kind="stable")


def default_rate_by_year(panel: pd.DataFrame) -> pd.DataFrame:
    """Rows, defaults and 12-month default rate per observation year and split.

    Tidy: one row per (``year``, ``split``) that has observations, columns ``year``, ``split``,
    ``rows``, ``defaults``, ``default_rate`` (defaults / rows), sorted by year and then split in
    train / valid / oot order. Tidy rather than pivoted because the split is by date, so most
    years fall into a single split and a year x split pivot would be mostly empty; a year cut by
    a split boundary simply shows two rows.
    """
    year = panel["obs_date"].dt.year.rename("year")
    grouped = panel["default_12m"].astype("int64").groupby([year, panel["split"]], sort=False)
    out = grouped.agg(rows="size", defaults="sum").reset_index()
    out["default_rate"] = out["defaults"] / out["rows"]
    order = {s: i for i, s in enumerate(_split_order(out["split"].tolist()))}
    out = (out.assign(_o=out["split"].map(order)).sort_values(["year", "_o"], kind="stable")
           .drop(columns="_o").reset_index(drop=True))
    out["year"] = out["year"].astype("int64")
    out["rows"] = out["rows"].astype("int64")
    out["defaults"] = out["defaults"].astype("int64")
    return out


def high_correlation_pairs(panel: pd.DataFrame, features: list[str], threshold: float = 0.9,
                           method: str = "spearman") -> pd.DataFrame:
    """Feature pairs whose correlation is at least ``threshold`` in absolute value.

    Columns ``feature_a``, ``feature_b`` (``feature_a`` comes first in ``features``), ``corr``
    (signed), ``abs_corr`` and ``n_obs`` (rows where both are present), sorted by ``abs_corr``
    descending. A modeller keeps one feature of each such pair; ``missing_report`` helps pick
    the better-populated one.

    ``method="spearman"`` ranks each feature once over its observed rows and takes the
    pairwise-complete Pearson correlation of those ranks: identical to pandas' Spearman when
    no values are missing, and O(features^2 x rows) instead of pandas' re-ranking of every
    pair (10 s for 100 features on 30,000 rows).
    """
    _check_method(method)
    if not 0 <= threshold <= 1:
        raise ValueError(f"threshold must be within [0, 1], not {threshold}")
    X = _feature_frame(panel, features)
    cols = ["feature_a", "feature_b", "corr", "abs_corr", "n_obs"]
    if X.shape[1] < 2:
        return pd.DataFrame(columns=cols)
    corr = (X.rank() if method == "spearman" else X).corr(method="pearson").to_numpy()
    i, j = np.triu_indices(len(X.columns), k=1)
    values = corr[i, j]
    keep = np.abs(values) >= threshold  # NaN (no overlap, constant column) never passes
    i, j, values = i[keep], j[keep], values[keep]
    present = X.notna().to_numpy()
    n_obs = [int(np.count_nonzero(present[:, a] & present[:, b])) for a, b in zip(i, j)]
    out = pd.DataFrame({"feature_a": X.columns[i], "feature_b": X.columns[j], "corr": values,
                        "abs_corr": np.abs(values), "n_obs": np.asarray(n_obs, dtype="int64")},
                       columns=cols)
    return out.sort_values("abs_corr", ascending=False, kind="stable").reset_index(drop=True)


def panel_fingerprint(panel: pd.DataFrame) -> str:
    """16 hex characters identifying the panel's content.

    SHA-256 over the column names and dtypes (in order) and the row hashes of
    ``pd.util.hash_pandas_object(panel, index=False)``. Identical panels give identical
    fingerprints across runs and machines; a changed value, row order, column name, column
    order or dtype gives a different one. The index is ignored, so a panel read back from
    Parquet with a fresh RangeIndex keeps its fingerprint.
    """
    h = hashlib.sha256()
    header = [[str(c), str(t)] for c, t in zip(panel.columns, panel.dtypes)]
    h.update(json.dumps({"shape": list(panel.shape), "columns": header}).encode())
    rows = pd.util.hash_pandas_object(panel, index=False).to_numpy(dtype=np.uint64)
    h.update(np.ascontiguousarray(rows).astype("<u8", copy=False).tobytes())
    return h.hexdigest()[:16]


# --------------------------------------------------------------------------- figures


def plot_ratio_distributions_by_industry(panel: pd.DataFrame, ratios: list[str], *,
                                         clip: tuple[float, float] | None = (0.01, 0.99)) -> Figure:
    """Box plots of each ratio per industry: one panel per ratio, up to three per row.

    Industries are on the vertical axis, sorted by the ratio's median (highest at the top), so
    a panel reads like a ranking. Values are clipped to the ratio's ``clip`` quantiles over the
    whole panel (default 1st and 99th percentile) so a few extreme ratios do not squash the
    boxes; the x-axis label says so. ``clip=None`` plots raw values. NaN is ignored; the
    number of rows plotted is in each panel's title.
    """
    ratios = list(dict.fromkeys(ratios))
    if not ratios:
        raise ValueError("ratios is empty")
    if clip is not None:
        lo_q, hi_q = clip
        if not 0 <= lo_q < hi_q <= 1:
            raise ValueError(f"clip must be two quantiles 0 <= low < high <= 1, not {clip}")
    X = _feature_frame(panel, ratios)
    industry = panel["industry"]

    ncols = min(3, len(ratios))
    nrows = math.ceil(len(ratios) / ncols)
    n_ind = max(1, industry.nunique())
    height = max(3.0, 0.26 * n_ind + 1.3)
    fig, axes = plt.subplots(nrows, ncols, figsize=(5.4 * ncols, height * nrows), squeeze=False)
    flat = axes.ravel()

    for ax, ratio in zip(flat, ratios):
        values = X[ratio]
        ok = values.notna() & industry.notna()
        values, ind = values[ok], industry[ok]
        xlabel = ratio
        if clip is not None and len(values):
            lo, hi = values.quantile([lo_q, hi_q]).to_numpy()
            values = values.clip(lo, hi)
            xlabel = f"{ratio}\n(clipped to {_pct(lo_q)}–{_pct(hi_q)} percentile: [{lo:.3g}, {hi:.3g}])"
        ax.set_title(f"{ratio} by industry (n = {len(values):,})", fontsize=10)
        ax.set_xlabel(xlabel, fontsize=9)
        if not len(values):
            ax.text(0.5, 0.5, "no non-missing values", ha="center", va="center", transform=ax.transAxes)
            ax.set_yticks([])
            continue
        groups = values.groupby(ind, sort=True)
        medians = groups.median().sort_values(kind="stable")  # ascending: highest ends at the top
        data = [groups.get_group(k).to_numpy() for k in medians.index]
        ax.boxplot(data, orientation="horizontal", tick_labels=[str(k) for k in medians.index],
                   widths=0.6, patch_artist=True,
                   boxprops={"facecolor": "tab:blue", "alpha": 0.35},
                   medianprops={"color": "black"},
                   flierprops={"marker": ".", "markersize": 2, "alpha": 0.4})
        ax.tick_params(axis="y", labelsize=8)
        ax.tick_params(axis="x", labelsize=8)
        ax.grid(axis="x", alpha=0.3)
        if ax.get_subplotspec().is_first_col():
            ax.set_ylabel("industry (sorted by median)", fontsize=9)

    for ax in flat[len(ratios):]:
        ax.set_visible(False)
    fig.suptitle("Ratio distributions by industry", fontsize=12)
    fig.tight_layout()
    plt.close(fig)
    return fig


def _pct(q: float) -> str:
    p = 100 * q
    text = f"{p:g}"
    suffix = "th"
    if not 10 <= p % 100 < 20 and float(p).is_integer():
        suffix = {1: "st", 2: "nd", 3: "rd"}.get(int(p) % 10, "th")
    return text + suffix


def plot_correlation_heatmap(panel: pd.DataFrame, features: list[str], *, method: str = "spearman",
                             max_features: int = 30) -> Figure:
    """Heat map of the features' correlation matrix, related features next to each other.

    The matrix is ``DataFrame.corr(method=method)`` (pairwise complete). Features are ordered by
    average-linkage hierarchical clustering on the distance ``1 - |corr|`` (with optimal leaf
    ordering), so blocks of redundant features show up as squares on the diagonal. With more
    than ``max_features`` features, the ones with the fewest missing values are kept (ties in the
    order given; the title says so). Features without two distinct values have no correlation and
    are left out too (listed under the plot). Colours run from -1 (blue) to +1 (red); the image
    is the only one on the first axes, its array the reordered correlation matrix.
    """
    _check_method(method)
    if max_features < 2:
        raise ValueError("max_features must be at least 2")
    X = _feature_frame(panel, features)
    constant = [c for c in X.columns if X[c].nunique(dropna=True) < 2]
    X = X.drop(columns=constant)
    n_available = X.shape[1]
    if n_available > max_features:
        keep = X.isna().sum().sort_values(kind="stable").index[:max_features]
        X = X[[c for c in X.columns if c in set(keep)]]

    corr = X.corr(method=method)
    names = list(corr.columns)
    if len(names) > 2:
        dist = (1 - corr.abs()).fillna(1.0).clip(lower=0.0).to_numpy()
        dist = (dist + dist.T) / 2
        np.fill_diagonal(dist, 0.0)
        condensed = squareform(dist, checks=False)
        link = hierarchy.optimal_leaf_ordering(hierarchy.linkage(condensed, method="average"), condensed)
        names = [names[k] for k in hierarchy.leaves_list(link)]
    corr = corr.loc[names, names]

    n = len(names)
    side = min(14.0, max(4.5, 0.34 * n + 2.5))
    fig, ax = plt.subplots(figsize=(side + 1.2, side), layout="constrained")
    cmap = plt.get_cmap("RdBu_r").with_extremes(bad="lightgrey")
    image = ax.imshow(np.ma.masked_invalid(corr.to_numpy()), cmap=cmap, vmin=-1, vmax=1,
                      interpolation="nearest")
    cbar = fig.colorbar(image, ax=ax, shrink=0.8)
    cbar.set_label(f"{method.capitalize()} correlation")
    fontsize = max(5.0, min(9.0, 220 / max(n, 1)))
    ax.set_xticks(range(n), names, rotation=90, fontsize=fontsize)
    ax.set_yticks(range(n), names, fontsize=fontsize)
    if 0 < n <= 15:
        for (r, c), v in np.ndenumerate(corr.to_numpy()):
            if np.isfinite(v):
                ax.text(c, r, f"{v:.2f}", ha="center", va="center", fontsize=fontsize - 1,
                        color="white" if abs(v) > 0.6 else "black")
    title = f"{method.capitalize()} correlation of {n} features (clustered on 1 − |corr|)"
    if n_available > n:
        title += f"\n{n} of {n_available} features: those with the fewest missing values"
    ax.set_title(title, fontsize=11)
    if constant:
        shown = ", ".join(constant[:8]) + (", …" if len(constant) > 8 else "")
        fig.supxlabel(f"Left out (fewer than two distinct values): {shown}", fontsize=7)
    plt.close(fig)
    return fig
