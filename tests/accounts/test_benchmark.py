"""Peer benchmarking: medians and leaders of a hand-made industry, direction-aware readings, the sector
fallback, the vectorised positions and the radar chart."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from workbench.accounts.benchmark import BenchmarkParams, peer_benchmark, peer_positions, plot_radar
from workbench.features.peers import LEADER_QUANTILE, PEER_RATIOS

AS_OF = pd.Timestamp("2020-06-30")


def _industry(industry: str, n: int, start: int = 0, obs_date: pd.Timestamp = AS_OF, prefix: str = "T") -> pd.DataFrame:
    """``n`` obligors of one industry with evenly spread ratios: obligor k has leverage 0.05 (k+1),
    EBITDA margin 0.02 (k+1), interest cover k+1, ..."""
    k = np.arange(n, dtype=float)
    return pd.DataFrame({
        "obligor_id": [f"{prefix}{start + i:03d}" for i in range(n)],
        "obs_date": obs_date,
        "period_end": pd.Timestamp("2019-12-31"),
        "industry": industry,
        "leverage": 0.05 * (k + 1),
        "debt_to_ebitda": 0.5 * (k + 1),
        "interest_cover": k + 1,
        "ebitda_margin": 0.02 * (k + 1),
        "roa": 0.01 * (k + 1),
        "current_ratio": 0.8 + 0.1 * k,
    })


@pytest.fixture()
def tech() -> pd.DataFrame:
    return _industry("technology", 11)


def test_median_and_leaders_follow_the_ratio_direction(tech):
    b = peer_benchmark(tech, "T005")
    pos = b.positions.set_index("ratio")
    lev, margin = tech["leverage"].to_numpy(), tech["ebitda_margin"].to_numpy()
    assert pos.loc["leverage", "median"] == pytest.approx(np.median(lev))
    # Leverage is riskier when higher: the leaders are the low decile; a margin's leaders the high one.
    assert pos.loc["leverage", "leaders"] == pytest.approx(np.quantile(lev, LEADER_QUANTILE))
    assert pos.loc["ebitda_margin", "leaders"] == pytest.approx(np.quantile(margin, 1 - LEADER_QUANTILE))
    assert pos.loc["leverage", "percentile"] == pytest.approx(5.5 / 11)
    assert b.peer_level == "industry" and b.peer_group == "technology" and b.peer_group_size == 11
    assert set(pos["reading"]) == {"in line"}


def test_low_leverage_is_a_strength_and_high_leverage_a_weakness(tech):
    lowest = peer_benchmark(tech, "T000").positions.set_index("ratio")
    highest = peer_benchmark(tech, "T010").positions.set_index("ratio")
    # T000 has the lowest of every ratio: good for leverage and debt/EBITDA, bad for margins and cover.
    assert lowest.loc["leverage", "reading"] == "strength"
    assert lowest.loc["debt_to_ebitda", "reading"] == "strength"
    assert lowest.loc["ebitda_margin", "reading"] == "weakness"
    assert lowest.loc["interest_cover", "reading"] == "weakness"
    assert highest.loc["leverage", "reading"] == "weakness"
    assert highest.loc["ebitda_margin", "reading"] == "strength"
    assert lowest.loc["leverage", "good_percentile"] == pytest.approx(1 - 0.5 / 11)


def test_strengths_and_weaknesses_are_sentences_on_the_right_side(tech):
    b = peer_benchmark(tech, "T000")
    assert any(s.startswith("Leverage") and "lower than the peer median" in s for s in b.strengths)
    assert any("EBITDA margin" in s and "lower than the peer median" in s for s in b.weaknesses)
    assert not any("Leverage" in s for s in b.weaknesses)
    table = b.table()
    assert list(table.columns) == ["client", "peer median", "leaders (best decile)", "percentile", "reading"]
    assert table.loc["Leverage (debt / assets)", "reading"].startswith("strength")


def test_small_industry_falls_back_to_its_sector_and_says_so():
    snap = pd.concat([_industry("telecoms", 3, prefix="S"), _industry("technology", 9, start=10, prefix="S")],
                     ignore_index=True)
    b = peer_benchmark(snap, "S000")
    assert b.peer_level == "sector" and b.peer_group == "services_tmt" and b.peer_group_size == 12
    assert "fewer than 10" in b.peers_text and "services_tmt" in b.peers_text
    assert b.positions["median"].notna().all()
    # With a smaller minimum the industry itself is enough.
    own = peer_benchmark(snap, "S000", params=BenchmarkParams(min_peer_group=3))
    assert own.peer_level == "industry" and own.peer_group_size == 3


def test_too_few_peers_anywhere_gives_no_benchmark():
    b = peer_benchmark(_industry("utilities", 4), "T000")
    assert b.peer_level == "none"
    assert b.positions["median"].isna().all()
    assert set(b.positions["reading"]) == {"not available"}
    assert "No benchmark" in b.peers_text


def test_peer_positions_covers_every_obligor_and_month_and_matches_the_benchmark(tech):
    later = _industry("technology", 11, obs_date=pd.Timestamp("2020-07-31"))
    later["leverage"] = later["leverage"][::-1].to_numpy()  # the ranking reverses a month later
    snap = pd.concat([tech, later], ignore_index=True)
    pos = peer_positions(snap)
    assert len(pos) == len(snap) * len(PEER_RATIOS)
    june = pos[(pos["obligor_id"] == "T000") & (pos["obs_date"] == AS_OF) & (pos["ratio"] == "leverage")]
    july = pos[(pos["obligor_id"] == "T000") & (pos["obs_date"] != AS_OF) & (pos["ratio"] == "leverage")]
    assert june["reading"].item() == "strength" and july["reading"].item() == "weakness"
    b = peer_benchmark(snap, "T000", as_of=AS_OF)
    assert b.positions.set_index("ratio").loc["leverage", "percentile"] == pytest.approx(
        june["percentile"].item())
    assert peer_benchmark(snap, "T000").obs_date == pd.Timestamp("2020-07-31")  # the latest by default


def test_missing_ratio_reads_not_available_with_the_reason(tech):
    tech = tech.copy()
    tech["interest_cover__undefined"] = 0
    tech.loc[0, "interest_cover"] = np.nan
    tech.loc[0, "interest_cover__undefined"] = 1
    b = peer_benchmark(tech, "T000")
    assert b.positions.set_index("ratio").loc["interest_cover", "reading"] == "not available"
    assert "debt-free" in b.table().loc["Interest cover (EBIT / interest)", "reading"]


def test_radar_returns_a_figure_with_three_profiles(tech):
    b = peer_benchmark(tech, "T002")
    fig = plot_radar(b)
    assert isinstance(fig, Figure)
    labels = [line.get_label() for line in fig.axes[0].get_lines()]
    assert labels == ["leaders (best decile)", "peer median", "client T002"]
    prof = b.profiles()
    assert prof["median"].to_numpy() == pytest.approx(np.full(len(PEER_RATIOS), 0.5))
    assert (prof["leaders"] > 0.8).all()


def test_unknown_obligor_and_missing_columns_are_refused(tech):
    with pytest.raises(KeyError, match="X999"):
        peer_benchmark(tech, "X999")
    with pytest.raises(KeyError, match="roa"):
        peer_benchmark(tech.drop(columns="roa"), "T000")
