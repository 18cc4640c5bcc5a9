"""SHAP figures: global importance, beeswarm, dependence (single and grid) and one obligor's waterfall.

Each function returns a closed matplotlib ``Figure`` (for display or logging by the caller;
``plt.show`` is never called). Features are named by their dictionary label and column name.
``X`` (the explained rows, for the feature values) may be None: the values stored in the
``ShapResult`` are used. Categorical columns are drawn at their codes, their names on the axis.
The drawing is our own rather than shap's plotting module, so that figures do not depend on
pyplot's current-figure state.

The dependence plot colours points by the feature that interacts most with the plotted one,
found with shap's ``approximate_interactions`` heuristic (see ``strongest_interaction``): rows
are sorted by the feature's value and cut into bins, and the partner is the feature whose
values correlate most, summed over bins, with the plotted feature's SHAP values *within* bins,
i.e. once the feature's own value is held roughly fixed.
"""

from __future__ import annotations

import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .shap_values import ShapResult, feature_label

__all__ = ["plot_importance", "plot_beeswarm", "plot_dependence", "plot_top_dependence", "plot_waterfall",
           "strongest_interaction"]

_CMAP = "coolwarm"
_MISSING_COLOUR = "#b0b0b0"


def _name(feature: str) -> str:
    label = feature_label(feature)
    return feature if label == feature else f"{label} ({feature})"


def _data(result: ShapResult, X: pd.DataFrame | None) -> pd.DataFrame:
    """Feature values aligned with the SHAP rows: the result's own, or X's columns."""
    if X is None:
        return result.data
    missing = [f for f in result.features if f not in X.columns]
    if missing:
        raise ValueError(f"X lacks explained features: {', '.join(missing[:5])}")
    if len(X) != len(result.values):
        raise ValueError(f"X has {len(X)} rows but the SHAP values have {len(result.values)}")
    data = X[result.features].apply(pd.to_numeric, errors="coerce").replace([np.inf, -np.inf], np.nan)
    # Categories are drawn at their codes (the model's view), labelled with their names where a plot has an axis.
    for f in _categories(result):
        data[f] = result.data[f].to_numpy()
    return data


def _categories(result: ShapResult) -> dict[str, list[str]]:
    return {f: names for f, names in result.extra.get("categories", {}).items() if f in result.values.columns}


def _quantile_colour(values: np.ndarray) -> np.ndarray:
    """Rank of each value in [0, 1] (NaN stays NaN): colours that heavy tails cannot wash out."""
    out = np.full(len(values), np.nan)
    ok = ~np.isnan(values)
    if ok.sum() > 1:
        out[ok] = pd.Series(values[ok]).rank(pct=True, method="average").to_numpy()
    elif ok.any():
        out[ok] = 0.5
    return out


def _sample(n: int, max_points: int) -> np.ndarray:
    if n <= max_points:
        return np.arange(n)
    return np.sort(np.random.default_rng(0).choice(n, max_points, replace=False))


def _top_features(result: ShapResult, top: int) -> list[str]:
    return result.table()["feature"].head(top).tolist()


def plot_importance(result: ShapResult, top: int = 20) -> Figure:
    """Mean |SHAP| (log-odds) of the ``top`` most important features, largest on top."""
    table = result.table().head(top)
    fig, ax = plt.subplots(figsize=(8, 0.35 * len(table) + 1.4), layout="constrained")
    y = np.arange(len(table))[::-1]
    ax.barh(y, table["mean_abs_shap"], color="tab:blue")
    ax.set_yticks(y, [_name(f) for f in table["feature"]], fontsize=8)
    for yi, v, share in zip(y, table["mean_abs_shap"], table["share"]):
        ax.text(v, yi, f" {share:.1%}", va="center", fontsize=7)
    ax.set_xlabel("mean |SHAP value| (log-odds of default)")
    ax.set_title(f"Feature importance, top {len(table)} of {len(result.features)}")
    ax.margins(x=0.12)
    plt.close(fig)
    return fig


def plot_beeswarm(result: ShapResult, X: pd.DataFrame | None, top: int = 15,
                  max_points: int = 5000) -> Figure:
    """SHAP value of every row for the ``top`` features, coloured by the feature value's quantile
    (blue low, red high, grey missing); rows piled up where values are dense. At most
    ``max_points`` rows (a fixed random sample) are drawn."""
    data = _data(result, X)
    features = _top_features(result, top)
    rows = _sample(len(result.values), max_points)
    fig, ax = plt.subplots(figsize=(9, 0.42 * len(features) + 1.6), layout="constrained")
    scatter = None
    for pos, f in enumerate(features):
        y0 = len(features) - 1 - pos
        s = result.values[f].to_numpy(dtype=float)[rows]
        colour = _quantile_colour(data[f].to_numpy(dtype=float)[rows])
        # Pile points up by how many fall into the same small SHAP bin (a beeswarm without overlap search).
        span = np.ptp(s) if len(s) else 0.0
        bins = np.floor((s - s.min()) / (span / 100.0)).astype(int) if span > 0 else np.zeros(len(s), dtype=int)
        order = np.argsort(bins, kind="stable")
        rank_in_bin = np.empty(len(s))
        _, starts, counts = np.unique(bins[order], return_index=True, return_counts=True)
        for st, cnt in zip(starts, counts):
            k = np.arange(cnt)
            rank_in_bin[order[st:st + cnt]] = np.where(k % 2 == 0, k / 2, -(k + 1) / 2)
        height = np.abs(rank_in_bin).max() if len(s) else 0.0
        jitter = 0.4 * rank_in_bin / height if height > 0 else np.zeros(len(s))
        miss = np.isnan(colour)
        ax.scatter(s[miss], y0 + jitter[miss], s=6, color=_MISSING_COLOUR, linewidths=0, rasterized=True)
        scatter = ax.scatter(s[~miss], y0 + jitter[~miss], s=6, c=colour[~miss], cmap=_CMAP, vmin=0, vmax=1,
                             linewidths=0, rasterized=True)
    ax.axvline(0, color="grey", linewidth=0.8)
    ax.set_yticks(np.arange(len(features))[::-1], [_name(f) for f in features], fontsize=8)
    ax.set_xlabel("SHAP value (log-odds of default; > 0 raises the PD)")
    ax.set_title(f"SHAP values of the top {len(features)} features ({len(rows):,} rows)")
    if scatter is not None:
        bar = fig.colorbar(scatter, ax=ax, fraction=0.03, pad=0.02)
        bar.set_ticks([0, 1], labels=["low", "high"])
        bar.set_label("feature value (quantile; grey = missing)")
    plt.close(fig)
    return fig


def strongest_interaction(result: ShapResult, X: pd.DataFrame | None, feature: str,
                          max_rows: int = 10_000) -> str | None:
    """The feature that interacts most with ``feature`` (shap's ``approximate_interactions``
    heuristic, see the module docstring); None when no other feature varies."""
    data = _data(result, X)
    rows = _sample(len(data), max_rows)
    x = data[feature].to_numpy(dtype=float)[rows]
    s = result.values[feature].to_numpy(dtype=float)[rows]
    others = [f for f in result.features if f != feature]
    if not others:
        return None
    Z = data[others].to_numpy(dtype=float)[rows]
    order = np.argsort(np.where(np.isnan(x), np.inf, x), kind="stable")
    n_bins = max(1, min(10, len(order) // 50))
    score = np.zeros(len(others))
    for part in np.array_split(order, n_bins):
        if len(part) < 3:
            continue
        sb = s[part] - s[part].mean()
        Zb = Z[part]
        # Missing partner values take the bin mean (no information either way).
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # an all-missing column: mean of nothing
            Zb = np.where(np.isnan(Zb), np.nanmean(Zb, axis=0), Zb)
        Zb = np.nan_to_num(Zb - Zb.mean(axis=0))
        denom = np.sqrt((Zb ** 2).sum(axis=0) * (sb ** 2).sum())
        with np.errstate(invalid="ignore", divide="ignore"):
            corr = np.where(denom > 0, (Zb * sb[:, None]).sum(axis=0) / denom, 0.0)
        score += np.abs(np.nan_to_num(corr))
    if not np.any(score > 0):
        return None
    return others[int(np.argmax(score))]


def _draw_dependence(ax, result: ShapResult, data: pd.DataFrame, feature: str, partner: str | None,
                     rows: np.ndarray, colorbar: bool) -> None:
    x = data[feature].to_numpy(dtype=float)[rows]
    s = result.values[feature].to_numpy(dtype=float)[rows]
    ok = ~np.isnan(x)
    if partner is not None:
        colour = _quantile_colour(data[partner].to_numpy(dtype=float)[rows])[ok]
        miss = np.isnan(colour)
        ax.scatter(x[ok][miss], s[ok][miss], s=6, color=_MISSING_COLOUR, linewidths=0, rasterized=True)
        sc = ax.scatter(x[ok][~miss], s[ok][~miss], s=6, c=colour[~miss], cmap=_CMAP, vmin=0, vmax=1,
                        linewidths=0, rasterized=True)
        if colorbar:
            bar = ax.figure.colorbar(sc, ax=ax, fraction=0.05, pad=0.02)
            bar.set_ticks([0, 1], labels=["low", "high"])
            bar.set_label(f"{partner} (quantile)", fontsize=8)
    else:
        ax.scatter(x[ok], s[ok], s=6, color="tab:blue", linewidths=0, rasterized=True)
    ax.axhline(0, color="grey", linewidth=0.8)
    names = _categories(result).get(feature)
    if names is not None:
        ax.set_xticks(np.arange(len(names)), names, rotation=45 if len(names) > 4 else 0, ha="right"
                      if len(names) > 4 else "center", fontsize=7)
    n_missing = int((~ok).sum())
    ax.set_xlabel(feature + (f" ({n_missing:,} missing not shown)" if n_missing else ""), fontsize=8)
    ax.set_ylabel("SHAP value (log-odds)", fontsize=8)
    ax.set_title(_name(feature), fontsize=9)


def plot_dependence(result: ShapResult, X: pd.DataFrame | None, feature: str,
                    interaction: str | bool | None = None, max_points: int = 5000) -> Figure:
    """SHAP value of ``feature`` against its value, coloured by ``interaction``'s value quantile.

    ``interaction=None`` picks the strongest interaction partner (``strongest_interaction``),
    a feature name forces one, ``False`` draws without colour.
    """
    if feature not in result.values.columns:
        raise ValueError(f"feature {feature!r} was not explained; known: {', '.join(result.features[:10])} ...")
    data = _data(result, X)
    if interaction is None or interaction is True:
        partner = strongest_interaction(result, X, feature)
    elif interaction is False:
        partner = None
    else:
        if interaction not in data.columns:
            raise ValueError(f"interaction feature {interaction!r} was not explained")
        partner = str(interaction)
    fig, ax = plt.subplots(figsize=(6.5, 4.5), layout="constrained")
    _draw_dependence(ax, result, data, feature, partner, _sample(len(data), max_points), colorbar=True)
    plt.close(fig)
    return fig


def plot_top_dependence(result: ShapResult, X: pd.DataFrame | None, top: int = 4,
                        max_points: int = 3000) -> Figure:
    """Dependence plots of the ``top`` most important features in a grid, each coloured by its
    strongest interaction partner."""
    data = _data(result, X)
    features = _top_features(result, top)
    ncols = 2 if len(features) > 1 else 1
    nrows = -(-len(features) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(6 * ncols, 4 * nrows), squeeze=False, layout="constrained")
    rows = _sample(len(data), max_points)
    for ax, f in zip(axes.ravel(), features):
        _draw_dependence(ax, result, data, f, strongest_interaction(result, X, f), rows, colorbar=True)
    for ax in axes.ravel()[len(features):]:
        ax.set_visible(False)
    fig.suptitle(f"SHAP dependence of the top {len(features)} features")
    plt.close(fig)
    return fig


def plot_waterfall(result: ShapResult, row, top: int = 10) -> Figure:
    """One obligor (``row``: an index label of the explained rows): from the base value, each of
    the ``top`` largest contributions, the rest summed, to the model's log-odds; the PD in the title."""
    if row not in result.values.index:
        raise KeyError(f"row {row!r} is not among the explained rows")
    pos = result.values.index.get_loc(row)
    if not isinstance(pos, (int, np.integer)):
        raise KeyError(f"row label {row!r} is not unique")
    contrib = result.values.iloc[pos]
    values = result.data.iloc[pos]
    base = float(result.base_values()[pos])
    margin = float(result.margin[pos])
    order = contrib.abs().sort_values(ascending=False, kind="stable").index
    shown = list(order[:top])
    rest = float(contrib[list(order[top:])].sum()) if len(order) > top else 0.0
    names = []
    for f in shown:
        v = values[f]
        names.append(f"{_name(f)} = {'missing' if pd.isna(v) else f'{v:.4g}'}")
    steps = [float(contrib[f]) for f in shown]
    if len(order) > top:
        names.append(f"{len(order) - top} other features")
        steps.append(rest)
    fig, ax = plt.subplots(figsize=(9, 0.4 * len(steps) + 1.9), layout="constrained")
    start = base
    for i, step in enumerate(steps):
        y = len(steps) - 1 - i
        ax.barh(y, step, left=start, color="tab:red" if step > 0 else "tab:blue", height=0.6)
        ax.text(start + step, y, f" {step:+.3f}" if step > 0 else f"{step:+.3f} ", va="center",
                ha="left" if step > 0 else "right", fontsize=7)
        start += step
    ax.axvline(base, color="grey", linestyle=":", linewidth=1)
    ax.axvline(margin, color="black", linestyle="--", linewidth=1)
    ax.set_yticks(np.arange(len(steps))[::-1], names, fontsize=8)
    ends = base + np.concatenate([[0.0], np.cumsum(steps)])
    lo, hi = float(min(ends.min(), margin)), float(max(ends.max(), margin))
    pad = 0.15 * (hi - lo) if hi > lo else 1.0
    ax.set_xlim(lo - pad, hi + pad)
    ax.set_xlabel(f"log-odds of default\nbase value {base:.3f} (dotted) to score {margin:.3f} (dashed)")
    title = f"Row {row}: score {margin:.3f}"
    if result.prob_default is not None:
        title += f", PD {float(result.prob_default[pos]):.2%}"
    ax.set_title(title)
    plt.close(fig)
    return fig
