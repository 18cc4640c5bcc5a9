from __future__ import annotations

import re

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from workbench.features import PanelParams, build_panel, feature_columns
from workbench.features.report import (
    data_profile,
    default_rate_by_year,
    high_correlation_pairs,
    missing_report,
    panel_fingerprint,
    plot_correlation_heatmap,
    plot_ratio_distributions_by_industry,
    validation_summary,
)
from workbench.synthetic import GeneratorSettings, generate_portfolio

SETTINGS = GeneratorSettings(n_obligors=600, years=6, seed=1)
PARAMS = PanelParams(split={"train_end": "2017-12-31", "valid_end": "2018-12-31"})
RATIOS = ["leverage", "ebitda_margin", "interest_cover", "current_ratio"]


@pytest.fixture(scope="module")
def tables():
    return generate_portfolio(SETTINGS)


@pytest.fixture(scope="module")
def panel(tables):
    return build_panel(tables, PARAMS)


@pytest.fixture
def small() -> pd.DataFrame:
    """Hand-made panel: 8 rows, known NaNs per split, known defaults per year."""
    return pd.DataFrame({
        "obligor_id": ["A", "B", "C", "D", "A", "B", "C", "D"],
        "obs_date": pd.to_datetime(["2016-03-31", "2016-06-30", "2016-12-31", "2017-03-31",
                                    "2017-06-30", "2017-09-30", "2018-03-31", "2018-06-30"]),
        "industry": ["x", "x", "y", "y", "x", "y", "x", "y"],
        "split": ["train", "train", "train", "valid", "valid", "valid", "oot", "oot"],
        "default_12m": np.array([0, 1, 0, 0, 1, 1, 0, 0], dtype=np.int8),
        "f_none": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0],
        "f_train": [np.nan, np.nan, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0],   # 2/3 missing in train only
        "f_oot": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, np.nan, 1.0],        # 1/2 missing in oot only
        "f_all": [np.nan] * 8,
    })


def _assert_closed(fig):
    assert isinstance(fig, Figure)
    assert not plt.fignum_exists(fig.number), "figure should be closed before it is returned"


# --------------------------------------------------------------------------- validation_summary


def test_validation_summary_matches_the_tables(tables):
    summary = validation_summary(tables)
    assert list(summary.index) == list(tables)
    for name, df in tables.items():
        row = summary.loc[name]
        assert row["rows"] == len(df) and row["columns"] == df.shape[1]
        if "obligor_id" in df.columns:
            assert row["obligors"] == df["obligor_id"].nunique()
        else:
            assert pd.isna(row["obligors"])
        first_dt = next(c for c in df.columns if pd.api.types.is_datetime64_any_dtype(df[c]))
        assert row["date_column"] == first_dt
        assert row["first_date"] == df[first_dt].min() and row["last_date"] == df[first_dt].max()
        assert row["missing_share"] == pytest.approx(df.isna().to_numpy().mean())


def test_validation_summary_counts_missing_cells_and_handles_tables_without_dates():
    t = pd.DataFrame({"obligor_id": ["a", "a", "b", None],
                      "value": [1.0, np.nan, np.nan, 2.0],
                      "when": pd.to_datetime(["2020-01-31", None, "2019-05-31", "2021-02-28"]),
                      "later": pd.to_datetime(["1990-01-01"] * 4)})
    summary = validation_summary({"t": t, "plain": pd.DataFrame({"x": [1, 2, 3]}), "empty": t.iloc[:0]})
    assert summary.loc["t", "obligors"] == 2
    assert summary.loc["t", "missing_share"] == pytest.approx(4 / 16)
    assert summary.loc["t", "date_column"] == "when"
    assert summary.loc["t", "first_date"] == pd.Timestamp("2019-05-31")
    assert summary.loc["t", "last_date"] == pd.Timestamp("2021-02-28")
    assert summary.loc["plain", "rows"] == 3 and pd.isna(summary.loc["plain", "first_date"])
    assert pd.isna(summary.loc["plain", "obligors"]) and summary.loc["plain", "missing_share"] == 0
    assert summary.loc["empty", "rows"] == 0 and np.isnan(summary.loc["empty", "missing_share"])


# --------------------------------------------------------------------------- data_profile


def test_data_profile_numeric_statistics_are_numpys_over_finite_values():
    rng = np.random.default_rng(0)
    x = rng.lognormal(size=1000)
    x[::10] = np.nan
    x[5], x[6], x[7] = np.inf, -np.inf, np.inf
    df = pd.DataFrame({
        "x": x,
        "n": rng.integers(-5, 5, 1000),
        "flag": rng.random(1000) < 0.3,
        "small": pd.array([1, None, 3] * 333 + [1], dtype="Int64"),
        "name": pd.Series(["b", "a", "b", None] * 250, dtype="str"),
        "when": pd.to_datetime(["2020-01-31", "2020-02-29"] * 500),
    })
    prof = data_profile(df)
    assert list(prof.index) == list(df.columns)

    finite = x[np.isfinite(x)]
    row = prof.loc["x"]
    assert row["count"] == np.count_nonzero(~np.isnan(x)) and row["n_inf"] == 3
    assert row["missing_share"] == pytest.approx(0.1)
    assert row["n_unique"] == df["x"].nunique()
    for col, q in (("p01", 0.01), ("p50", 0.5), ("p99", 0.99)):
        assert row[col] == pytest.approx(np.quantile(finite, q), rel=1e-12)
    assert row["min"] == finite.min() and row["max"] == finite.max()
    assert row["mean"] == pytest.approx(finite.mean()) and row["std"] == pytest.approx(finite.std(ddof=1))

    n = df["n"].to_numpy()
    assert prof.loc["n", "n_unique"] == len(np.unique(n)) and prof.loc["n", "n_inf"] == 0
    assert prof.loc["n", "p50"] == np.quantile(n, 0.5) and prof.loc["n", "mean"] == pytest.approx(n.mean())
    assert prof.loc["flag", "mean"] == pytest.approx(df["flag"].mean()) and prof.loc["flag", "n_unique"] == 2
    assert prof.loc["small", "count"] == 667 and prof.loc["small", "p99"] == pytest.approx(3.0)

    assert prof.loc["name", "top"] == "b" and prof.loc["name", "n_unique"] == 2
    assert prof.loc["name", "count"] == 750 and prof.loc["name", "missing_share"] == pytest.approx(0.25)
    assert pd.isna(prof.loc["name", "mean"]) and pd.isna(prof.loc["name", "n_inf"])
    assert prof.loc["when", "n_unique"] == 2 and prof.loc["when", "dtype"].startswith("datetime64")
    assert pd.isna(prof.loc["x", "top"])


def test_data_profile_of_the_panel_agrees_with_pandas(panel):
    prof = data_profile(panel)
    assert (prof["count"] == panel.count()).all()
    assert (prof["n_unique"] == panel.nunique()).all()
    feats = feature_columns(panel)
    values = panel[feats].to_numpy(dtype=np.float64)
    expected = np.nanquantile(values, [0.01, 0.5, 0.99], axis=0)
    np.testing.assert_allclose(prof.loc[feats, ["p01", "p50", "p99"]].to_numpy().T, expected, rtol=1e-9)
    np.testing.assert_allclose(prof.loc[feats, "mean"], np.nanmean(values, axis=0), rtol=1e-9)
    assert (prof.loc[feats, "n_inf"] == 0).all()
    assert prof.loc["split", "top"] in {"train", "valid", "oot"}


# --------------------------------------------------------------------------- missing_report


def test_missing_report_shares_overall_and_per_split(small):
    rep = missing_report(small, ["f_none", "f_train", "f_oot", "f_all"])
    assert list(rep.columns) == ["overall", "train", "valid", "oot"]
    assert list(rep.index) == ["f_all", "f_train", "f_oot", "f_none"]  # by overall share, descending
    assert rep.loc["f_train"].tolist() == pytest.approx([2 / 8, 2 / 3, 0, 0])
    assert rep.loc["f_oot"].tolist() == pytest.approx([1 / 8, 0, 0, 1 / 2])
    assert rep.loc["f_all"].tolist() == pytest.approx([1, 1, 1, 1])
    assert rep.loc["f_none"].tolist() == pytest.approx([0, 0, 0, 0])
    only_two = missing_report(small[small["split"] != "valid"], ["f_train"])
    assert list(only_two.columns) == ["overall", "train", "oot"]


def test_missing_report_on_the_panel(panel):
    feats = feature_columns(panel)
    rep = missing_report(panel, feats)
    assert set(rep.index) == set(feats) and rep["overall"].is_monotonic_decreasing
    pd.testing.assert_series_equal(rep["overall"].sort_index(), panel[feats].isna().mean().sort_index(),
                                   check_names=False)
    train = panel[panel["split"] == "train"]
    assert rep.loc["leverage", "train"] == pytest.approx(train["leverage"].isna().mean())


# --------------------------------------------------------------------------- default_rate_by_year


def test_default_rate_by_year_counts(small):
    out = default_rate_by_year(small)
    assert list(out.columns) == ["year", "split", "rows", "defaults", "default_rate"]
    assert list(zip(out["year"], out["split"])) == [(2016, "train"), (2017, "valid"), (2018, "oot")]
    assert out["rows"].tolist() == [3, 3, 2] and out["defaults"].tolist() == [1, 2, 0]
    assert out["default_rate"].tolist() == pytest.approx([1 / 3, 2 / 3, 0])


def test_default_rate_by_year_on_the_panel(panel):
    out = default_rate_by_year(panel)
    assert out["rows"].sum() == len(panel) and out["defaults"].sum() == panel["default_12m"].sum()
    assert out["year"].is_monotonic_increasing
    assert set(out["split"]) == {"train", "valid", "oot"}
    first = out.iloc[0]
    part = panel[(panel["obs_date"].dt.year == first["year"]) & (panel["split"] == first["split"])]
    assert first["default_rate"] == pytest.approx(part["default_12m"].mean())


# --------------------------------------------------------------------------- box plots


def test_ratio_boxplots_sorted_by_median_clipped_and_labelled(panel):
    fig = plot_ratio_distributions_by_industry(panel, RATIOS)
    _assert_closed(fig)
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert len(axes) == len(RATIOS) and len(fig.axes) == 6  # 2 x 3 grid, two hidden
    for ax, ratio in zip(axes, RATIOS):
        label = ax.get_xlabel()
        assert ratio in label and "clipped" in label and "1st" in label and "99th" in label
        values = panel[ratio].dropna()
        lo, hi = values.quantile([0.01, 0.99])
        assert f"n = {len(values):,}" in ax.get_title()
        # industries bottom to top in ascending order of median
        medians = values.groupby(panel.loc[values.index, "industry"]).median()
        shown = [t.get_text() for t in ax.get_yticklabels()]
        assert sorted(shown) == sorted(medians.index)
        assert medians[shown].is_monotonic_increasing
        # every plotted point (whisker ends, fliers) lies within the clip limits
        plotted = np.concatenate([line.get_xdata() for line in ax.get_lines()]).astype(float)
        assert plotted.min() >= lo - 1e-12 and plotted.max() <= hi + 1e-12
        assert plotted.max() < values.max() or hi == values.max()


def test_ratio_boxplots_without_clipping_and_with_bad_input(panel):
    fig = plot_ratio_distributions_by_industry(panel, ["interest_cover"], clip=None)
    _assert_closed(fig)
    ax, = fig.axes
    assert "clipped" not in ax.get_xlabel()
    plotted = np.concatenate([line.get_xdata() for line in ax.get_lines()]).astype(float)
    assert plotted.max() == panel["interest_cover"].max()
    with pytest.raises(KeyError):
        plot_ratio_distributions_by_industry(panel, ["no_such_ratio"])
    with pytest.raises(ValueError):
        plot_ratio_distributions_by_industry(panel, ["leverage"], clip=(0.9, 0.1))


# --------------------------------------------------------------------------- heat map


def _heatmap_data(fig):
    ax = fig.axes[0]
    assert len(ax.images) == 1
    image = ax.images[0]
    names = [t.get_text() for t in ax.get_xticklabels()]
    return np.ma.getdata(image.get_array()).astype(float), names, image


def test_heatmap_is_the_symmetric_correlation_matrix(panel):
    feats = feature_columns(panel)
    fig = plot_correlation_heatmap(panel, feats, max_features=12)
    _assert_closed(fig)
    data, names, image = _heatmap_data(fig)
    assert data.shape == (12, 12) and len(names) == 12
    np.testing.assert_allclose(data, data.T)
    np.testing.assert_allclose(np.diag(data), 1.0)
    assert image.get_clim() == (-1, 1)
    assert names == [t.get_text() for t in fig.axes[0].get_yticklabels()]
    # the 12 kept are among the least-missing usable features, and the values are pandas' Spearman
    usable = [f for f in feats if panel[f].nunique() > 1]
    missing = panel[usable].isna().sum()
    assert missing[names].max() <= missing.drop(names).min()
    expected = panel[names].astype(float).corr(method="spearman").to_numpy()
    np.testing.assert_allclose(data, expected, atol=1e-12)


def test_heatmap_clusters_related_features_together():
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal(500), rng.standard_normal(500)
    noise = lambda: 0.2 * rng.standard_normal(500)  # noqa: E731
    df = pd.DataFrame({"a1": a + noise(), "b1": b + noise(), "a2": a + noise(), "b2": -b + noise(),
                       "a3": -a + noise(), "b3": b + noise(), "const": 1.0})
    fig = plot_correlation_heatmap(df, list(df.columns), method="pearson")
    _assert_closed(fig)
    _, names, _ = _heatmap_data(fig)
    assert "const" not in names and len(names) == 6  # no correlation for a constant column
    groups = "".join(name[0] for name in names)
    assert groups in {"aaabbb", "bbbaaa"}, names
    assert "Pearson" in fig.axes[0].get_title()


# --------------------------------------------------------------------------- fingerprint


def test_fingerprint_stable_across_builds_and_sensitive_to_changes(panel):
    fp = panel_fingerprint(panel)
    assert re.fullmatch(r"[0-9a-f]{16}", fp)
    rebuilt = build_panel(generate_portfolio(SETTINGS), PARAMS)
    assert panel_fingerprint(rebuilt) == fp
    assert panel_fingerprint(rebuilt.set_index(rebuilt.index + 7)) == fp  # index is not content

    changed = panel.copy()
    old = changed["leverage"].to_numpy()[10]
    changed.loc[changed.index[10], "leverage"] = np.nextafter(old, old.dtype.type(np.inf))  # one ulp
    assert changed["leverage"].to_numpy()[10] != old
    assert panel_fingerprint(changed) != fp
    changed = panel.copy()
    changed.loc[changed.index[3], "industry"] = "other"
    assert panel_fingerprint(changed) != fp
    assert panel_fingerprint(panel.rename(columns={"leverage": "lev"})) != fp
    assert panel_fingerprint(panel.astype({"default_12m": "int64"})) != fp
    assert panel_fingerprint(panel.drop(columns="leverage")) != fp
    assert panel_fingerprint(panel.iloc[:-1]) != fp


# --------------------------------------------------------------------------- correlation pairs


def test_spearman_pairs_equal_pandas_spearman_without_missing_values():
    rng = np.random.default_rng(5)
    df = pd.DataFrame(rng.standard_normal((400, 4)), columns=list("abcd"))
    df["e"] = df["a"] * 0.9 + rng.standard_normal(400) * 0.1
    pairs = high_correlation_pairs(df, list(df.columns), threshold=0.5)
    expected = df.corr(method="spearman")
    for r in pairs.itertuples():
        assert r.corr == pytest.approx(expected.loc[r.feature_a, r.feature_b])
    assert ("a", "e") in set(zip(pairs["feature_a"], pairs["feature_b"]))


def test_high_correlation_pairs_finds_duplicates_and_mirrors():
    rng = np.random.default_rng(2)
    a = rng.standard_normal(300)
    df = pd.DataFrame({"a": a, "c": rng.standard_normal(300), "a_copy": a.copy(), "minus_a": -a,
                       "a_cubed": a ** 3, "const": 0.0})
    df.loc[:49, "a_cubed"] = np.nan
    pairs = high_correlation_pairs(df, list(df.columns))
    assert list(pairs.columns) == ["feature_a", "feature_b", "corr", "abs_corr", "n_obs"]
    found = {(r.feature_a, r.feature_b): r.corr for r in pairs.itertuples()}
    # a_cubed misses 50 rows: its ranks run over its 250 observed rows, so the rank correlation with
    # a (ranked over 300) is just below 1 -- exactly the Pearson correlation of the two rank columns.
    ranked = df.rank().corr()
    assert found == pytest.approx({("a", "a_copy"): 1.0, ("a", "minus_a"): -1.0,
                                   ("a", "a_cubed"): ranked.loc["a", "a_cubed"],
                                   ("a_copy", "minus_a"): -1.0, ("a_copy", "a_cubed"): ranked.loc["a", "a_cubed"],
                                   ("minus_a", "a_cubed"): -ranked.loc["a", "a_cubed"]})
    assert ranked.loc["a", "a_cubed"] > 0.999
    assert pairs["abs_corr"].is_monotonic_decreasing
    assert pairs.set_index(["feature_a", "feature_b"]).loc[("a", "a_cubed"), "n_obs"] == 250
    # Pearson sees the cube as imperfect; a high threshold drops it
    pearson = high_correlation_pairs(df, ["a", "a_cubed", "a_copy"], threshold=0.99, method="pearson")
    assert list(zip(pearson["feature_a"], pearson["feature_b"])) == [("a", "a_copy")]
    with pytest.raises(ValueError):
        high_correlation_pairs(df, ["a", "c"], threshold=1.5)


def test_high_correlation_pairs_on_the_panel(panel):
    feats = feature_columns(panel)
    pairs = high_correlation_pairs(panel, feats, threshold=0.8)
    # Spearman as documented: Pearson of each feature's ranks over its observed rows.
    corr = panel[feats].astype(float).rank().corr(method="pearson")
    for r in pairs.itertuples():
        assert r.corr == pytest.approx(corr.loc[r.feature_a, r.feature_b]) and r.abs_corr >= 0.8
    upper = corr.where(np.triu(np.ones(corr.shape, dtype=bool), k=1))
    assert len(pairs) == int((upper.abs() >= 0.8).sum().sum())
