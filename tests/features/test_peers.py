"""Peer benchmarks by hand: only peers usable at the date, leaders by direction, sector fallback."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.features.peers import PEER_RATIOS, peer_features


def _universe(n: int, industry: str, avail: list[str], leverage: list[float]) -> pd.DataFrame:
    df = pd.DataFrame({"industry": industry, "period_end": pd.Timestamp("2019-12-31"),
                       "available_date": pd.to_datetime(avail), "leverage": leverage})
    for r in PEER_RATIOS:
        if r != "leverage":
            df[r] = np.linspace(0.1, 1.0, n)
    return df


def test_only_peers_usable_at_the_observation_date_count():
    lev = [0.1, 0.2, 0.3, 0.4, 0.9]
    uni = _universe(5, "retail", ["2020-03-10"] * 4 + ["2020-08-01"], lev)
    q = uni.iloc[[1]].assign(obs_date=pd.Timestamp("2020-03-31"))
    early = peer_features(uni, q, min_peer_group=2).iloc[0]
    assert early["peer_group_size"] == 4  # the 0.9 statement arrives in August
    assert early["leverage_peer_pct"] == pytest.approx((1 + 0.5) / 4)
    assert early["leverage_vs_peer_median"] == pytest.approx(0.2 - np.median(lev[:4]))
    # Leverage: leaders are the least levered decile (10th percentile).
    assert early["leverage_vs_peer_leaders"] == pytest.approx(0.2 - np.quantile(lev[:4], 0.1))
    late = peer_features(uni, q.assign(obs_date=pd.Timestamp("2020-08-31")), min_peer_group=2).iloc[0]
    assert late["peer_group_size"] == 5
    assert late["leverage_vs_peer_median"] == pytest.approx(0.2 - 0.3)


def test_margin_leaders_are_the_top_decile():
    uni = _universe(5, "retail", ["2020-03-10"] * 5, [0.1, 0.2, 0.3, 0.4, 0.5])
    q = uni.iloc[[0]].assign(obs_date=pd.Timestamp("2020-03-31"))
    out = peer_features(uni, q, min_peer_group=2).iloc[0]
    margins = np.linspace(0.1, 1.0, 5)
    assert out["ebitda_margin_vs_peer_leaders"] == pytest.approx(margins[0] - np.quantile(margins, 0.9))


def test_small_industry_falls_back_to_its_sector_then_to_nan():
    chem = _universe(3, "chemicals", ["2020-03-10"] * 3, [0.1, 0.2, 0.3])
    metals = _universe(3, "metals_mining", ["2020-03-10"] * 3, [0.4, 0.5, 0.6])
    uni = pd.concat([chem, metals], ignore_index=True)
    q = uni.iloc[[0]].assign(obs_date=pd.Timestamp("2020-03-31"))
    out = peer_features(uni, q, min_peer_group=5).iloc[0]
    assert out["peer_fallback_sector"] == 1 and out["peer_group_size"] == 6
    assert out["leverage_vs_peer_median"] == pytest.approx(0.1 - 0.35)
    alone = peer_features(chem, q, min_peer_group=5).iloc[0]
    assert np.isnan(alone["leverage_peer_pct"]) and alone["peer_group_size"] == 3
