"""Early-warning indicators: thresholds, level rules, reasons, lookbacks, the vectorised many-month path."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from workbench.accounts.ews import (
    INDICATOR_NAMES,
    INDICATORS,
    EWSParams,
    early_warnings,
    indicator_table,
    plot_alert_counts,
    plot_level_by,
)

NOW = pd.Timestamp("2020-12-31")
NEUTRAL = {"dpd": 0.0, "overdue_amount": 0.0, "dso_yoy": 0.0, "ebitda_margin_yoy": 0.0, "leverage_yoy": 0.0,
           "interest_cover": 5.0, "covenant_breaches_12m": 0.0, "pd": 0.01, "grade": 5,
           "utilisation_vs_12m_mean": 0.0, "credit_turnover_vs_12m": 0.0, "industry_index_3m": 0.02,
           "statement_age_days": 200.0, "dpd_max_12m": 0.0}


def frame(rows: list[dict]) -> pd.DataFrame:
    out = pd.DataFrame([{**NEUTRAL, "obligor_id": "A", "obs_date": NOW, **r} for r in rows])
    out["obs_date"] = pd.to_datetime(out["obs_date"])
    return out


def history_for(obligor: str = "A") -> pd.DataFrame:
    """Origination a year back (PD 1 %, grade 3) and the month 3 months back (no breaches)."""
    return frame([{"obligor_id": obligor, "obs_date": "2019-12-31", "grade": 3},
                  {"obligor_id": obligor, "obs_date": "2020-09-30", "grade": 3}])


# Indicator -> how its value enters the snapshot row (value -> column overrides).
TO_ROW = {
    "days_past_due": lambda v: {"dpd": v},
    "overdue_amount": lambda v: {"overdue_amount": v},
    "dso_increase": lambda v: {"dso_yoy": v},
    "ebitda_margin_decline": lambda v: {"ebitda_margin_yoy": -v},
    "leverage_increase": lambda v: {"leverage_yoy": v},
    "interest_cover_floor": lambda v: {"interest_cover": v},
    "covenant_breach": lambda v: {"covenant_breaches_12m": v},
    "pd_multiple_origination": lambda v: {"pd": 0.01 * v},
    "grade_notches_review": lambda v: {"grade": 3 + v},
    "grade_level": lambda v: {"grade": v},
    "arrears_history": lambda v: {"dpd_max_12m": v},
    "utilisation_spike": lambda v: {"utilisation_vs_12m_mean": v},
    "turnover_drop": lambda v: {"credit_turnover_vs_12m": -v},
    "industry_momentum": lambda v: {"industry_index_3m": v},
    "stale_statements": lambda v: {"statement_age_days": v},
}
CASES = [(spec.name, sev) for spec in INDICATORS for sev in ("amber", "red")]


def severity_of(indicator: str, value: float) -> str | None:
    res = early_warnings(frame([TO_ROW[indicator](value)]), history_for(), EWSParams())
    s = res.signals[res.signals["indicator"] == indicator]
    return None if s.empty else str(s["severity"].iloc[0])


def test_every_indicator_has_a_test_mapping():
    assert set(TO_ROW) == set(INDICATOR_NAMES)


@pytest.mark.parametrize(("indicator", "severity"), CASES)
def test_indicator_fires_at_its_threshold_and_not_just_short_of_it(indicator, severity):
    params = EWSParams()
    p = params.indicator(indicator)
    threshold = getattr(p, severity)
    direction = next(s.direction for s in INDICATORS if s.name == indicator)
    eps = 1e-4 * max(abs(threshold), 1.0)
    short = threshold - eps if direction == "above" else threshold + eps
    milder = {"amber": None, "red": "amber"}[severity]
    assert severity_of(indicator, threshold) == severity
    assert severity_of(indicator, short) == milder


def test_disabled_indicator_never_fires():
    params = EWSParams(days_past_due={**EWSParams().days_past_due.model_dump(), "enabled": False})
    res = early_warnings(frame([{"dpd": 60}]), None, params)
    assert res.signals.empty and res.alerts["level"].iloc[0] == "green"


def test_no_statement_on_file_is_stale():
    res = early_warnings(frame([{"statement_age_days": np.nan}]), None, EWSParams())
    assert res.signals[["indicator", "severity"]].values.tolist() == [["stale_statements", "amber"]]
    assert res.alerts["reasons"].iloc[0] == "no financial statement on file"


def test_low_risk_pd_suppresses_the_pd_multiple():
    hist = frame([{"obs_date": "2019-12-31", "pd": 0.0003, "grade": 1}])
    res = early_warnings(frame([{"pd": 0.0015, "grade": 4}]), hist, EWSParams())
    assert res.signals.empty


# --------------------------------------------------------------------------- level rules


def level_of(**row) -> tuple[str, float]:
    a = early_warnings(frame([row]), None, EWSParams()).alerts.iloc[0]
    return a["level"], a["score"]


def test_no_signal_is_green_with_no_reason():
    assert level_of() == ("green", 0.0)
    assert early_warnings(frame([{}]), None, EWSParams()).alerts["reasons"].iloc[0] == ""


def test_a_decisive_red_signal_makes_the_row_red():
    assert level_of(dpd=30)[0] == "red"


def test_a_decisive_amber_signal_makes_the_row_amber():
    assert level_of(dpd=5)[0] == "amber"


def test_a_context_signal_alone_below_the_amber_score_stays_green():
    level, score = level_of(industry_index_3m=-0.20)  # red, weight 0.5: score 1
    assert (level, score) == ("green", 1.0)
    assert level_of(dpd_max_12m=60) == ("green", 3.0)  # cured arrears red, weight 1.5 x 2: short of 4


def test_context_signals_reaching_the_amber_score_are_amber():
    # cured arrears red (3) + interest cover amber (0.5) + industry amber (0.5) = 4 = amber_score.
    assert level_of(dpd_max_12m=60, interest_cover=0.8, industry_index_3m=-0.12) == ("amber", 4.0)
    assert level_of(dpd_max_12m=60, interest_cover=0.8) == ("green", 3.5)


def test_context_signals_reaching_the_red_score_are_red():
    # cured arrears red (3) + utilisation red (2) + leverage red (2) + industry amber (0.5) + interest cover
    # amber (0.5) = 8 = red_score, no signal that sets the level.
    row = {"dpd_max_12m": 60, "utilisation_vs_12m_mean": 0.25, "leverage_yoy": 0.2, "industry_index_3m": -0.12,
           "interest_cover": 0.8}
    assert level_of(**row) == ("red", 8.0)
    assert level_of(**{**row, "interest_cover": 5.0}) == ("amber", 7.5)


def test_a_watch_grade_is_amber_and_the_worst_grade_red():
    assert level_of(grade=7) == ("green", 0.0)
    assert level_of(grade=8) == ("amber", 2.0)
    assert level_of(grade=10) == ("red", 4.0)


def test_a_watch_grade_with_more_signals_escalates_by_score():
    # grade 8 (2) + cured arrears red (3) + covenant breach amber (2) + interest cover amber (0.5) = 7.5: amber.
    row = {"grade": 8, "dpd_max_12m": 60, "covenant_breaches_12m": 1, "interest_cover": 0.8}
    assert level_of(**row) == ("amber", 7.5)
    # one more context signal (industry amber, 0.5) reaches red_score 8.
    assert level_of(**row, industry_index_3m=-0.12) == ("red", 8.0)


def test_cured_arrears_need_no_current_arrears():
    res = early_warnings(frame([{"dpd": 10, "dpd_max_12m": 45}, {"obligor_id": "B", "dpd_max_12m": 45}]), None,
                         EWSParams())
    fired = res.signals[res.signals["indicator"] == "arrears_history"]
    assert fired["obligor_id"].tolist() == ["B"]  # A's arrears are current: days_past_due covers them


def test_red_score_below_amber_score_is_refused():
    with pytest.raises(ValueError, match="red_score"):
        EWSParams(amber_score=5, red_score=3)


def test_red_threshold_on_the_wrong_side_is_refused():
    with pytest.raises(ValueError, match="interest_cover_floor"):
        EWSParams(interest_cover_floor={"amber": 1.0, "red": 2.0, "weight": 1})


# --------------------------------------------------------------------------- reasons


def test_reasons_name_every_signal_worst_first():
    res = early_warnings(frame([{"leverage_yoy": 0.12, "dpd": 45}]), None, EWSParams())
    assert res.alerts["reasons"].iloc[0] == ("45 days past due (red from 30); "
                                             "leverage up 0.12 in a year (amber from 0.08)")
    assert res.alerts["n_signals"].iloc[0] == 2


def test_table_shows_only_the_requested_levels_formatted():
    res = early_warnings(frame([{"obligor_id": "A", "dpd": 45}, {"obligor_id": "B", "dpd": 5},
                                {"obligor_id": "C"}]), None, EWSParams())
    shown = res.table(level="red")
    assert shown["obligor"].tolist() == ["A"] and shown["PD"].iloc[0].startswith("1.000")
    assert res.table()["obligor"].tolist() == ["A", "B"]
    with pytest.raises(ValueError, match="unknown alert level"):
        res.table(level="purple")


# --------------------------------------------------------------------------- lookbacks


def test_pd_at_origination_is_the_first_scored_month_in_history():
    hist = frame([{"obs_date": "2018-12-31", "pd": 0.004}, {"obs_date": "2019-12-31", "pd": 0.02}])
    res = early_warnings(frame([{"pd": 0.012}]), hist, EWSParams())
    s = res.signals.set_index("indicator")
    assert s.loc["pd_multiple_origination", "value"] == pytest.approx(3.0)


def test_grade_notches_compare_with_twelve_months_earlier():
    hist = frame([{"obs_date": "2019-12-31", "grade": 2}, {"obs_date": "2020-06-30", "grade": 6}])
    res = early_warnings(frame([{"grade": 6}]), hist, EWSParams())
    s = res.signals.set_index("indicator")
    assert s.loc["grade_notches_review", "value"] == 4
    assert s.loc["grade_notches_review", "severity"] == "amber"


def test_grade_notches_need_the_month_twelve_months_earlier():
    hist = frame([{"obs_date": "2020-06-30", "grade": 1}])
    assert "grade_notches_review" not in set(early_warnings(frame([{"grade": 9}]), hist, EWSParams())
                                             .signals["indicator"])


def test_a_breach_counted_three_months_ago_is_not_new():
    hist = frame([{"obs_date": "2020-09-30", "covenant_breaches_12m": 1}])
    assert early_warnings(frame([{"covenant_breaches_12m": 1}]), hist, EWSParams()).signals.empty
    hist2 = frame([{"obs_date": "2020-09-30", "covenant_breaches_12m": 0}])
    res = early_warnings(frame([{"covenant_breaches_12m": 1}]), hist2, EWSParams())
    assert res.signals["indicator"].tolist() == ["covenant_breach"]


def test_without_history_the_current_breach_count_is_used():
    res = early_warnings(frame([{"covenant_breaches_12m": 2}]), None, EWSParams())
    assert res.signals[["indicator", "severity"]].values.tolist() == [["covenant_breach", "red"]]


def random_book(n_obligors: int = 25, n_months: int = 30, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    months = pd.date_range("2018-01-31", periods=n_months, freq="ME")
    grid = pd.MultiIndex.from_product([[f"O{i:03d}" for i in range(n_obligors)], months],
                                      names=["obligor_id", "obs_date"]).to_frame(index=False)
    grid = grid[rng.random(len(grid)) > 0.1].reset_index(drop=True)  # gaps: months an obligor was not scored
    n = len(grid)
    grid["dpd"] = np.where(rng.random(n) < 0.1, rng.integers(1, 90, n), 0).astype(float)
    grid["overdue_amount"] = np.where(grid["dpd"] > 0, rng.exponential(2, n), 0.0)
    grid["dpd_max_12m"] = np.maximum(grid["dpd"], np.where(rng.random(n) < 0.1, rng.integers(1, 90, n), 0))
    grid["dso_yoy"] = rng.normal(0, 12, n)
    grid["ebitda_margin_yoy"] = rng.normal(0, 0.05, n)
    grid["leverage_yoy"] = rng.normal(0, 0.06, n)
    grid["interest_cover"] = rng.normal(3, 2, n)
    grid["covenant_breaches_12m"] = rng.integers(0, 3, n).astype(float)
    grid["pd"] = np.exp(rng.normal(-4.5, 1.2, n)).clip(max=0.5)
    grid["grade"] = rng.integers(1, 11, n)
    grid["utilisation_vs_12m_mean"] = rng.normal(0, 0.1, n)
    grid["credit_turnover_vs_12m"] = rng.normal(0, 0.15, n)
    grid["industry_index_3m"] = rng.normal(0, 0.08, n)
    grid["statement_age_days"] = np.where(rng.random(n) < 0.05, np.nan, rng.uniform(90, 800, n))
    return grid


def test_many_months_at_once_equal_month_by_month_with_history():
    book = random_book()
    params = EWSParams()
    at_once = early_warnings(book, None, params)
    parts = []
    for month in sorted(book["obs_date"].unique()):
        parts.append(early_warnings(book[book["obs_date"] == month], book[book["obs_date"] < month], params).alerts)
    by_month = pd.concat(parts).sort_values(["obligor_id", "obs_date"]).reset_index(drop=True)
    expected = at_once.alerts.sort_values(["obligor_id", "obs_date"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(by_month, expected)
    assert (expected["level"] != "green").any() and (expected["level"] == "red").any()


def test_duplicate_snapshot_rows_are_refused():
    with pytest.raises(ValueError, match="duplicate"):
        early_warnings(frame([{}, {}]), None, EWSParams())


def test_missing_column_is_named():
    with pytest.raises(KeyError, match="dso_yoy"):
        early_warnings(frame([{}]).drop(columns="dso_yoy"), None, EWSParams())


def test_counts_plots_and_catalogue():
    book = random_book(n_months=6)
    res = early_warnings(book, None, EWSParams())
    counts = res.counts()
    assert list(counts.columns) == ["green", "amber", "red"]
    assert counts.to_numpy().sum() == len(book)
    assert isinstance(plot_alert_counts(res), Figure)
    assert isinstance(plot_level_by(res, pd.Series(book["grade"].to_numpy(), name="grade")), Figure)
    table = indicator_table(EWSParams())
    assert list(table.index) == list(INDICATOR_NAMES) and table["threshold source"].str.len().min() > 20
