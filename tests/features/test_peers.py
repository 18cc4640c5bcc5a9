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


def _reference_group_stats(universe: pd.DataFrame, queries: pd.DataFrame, group_cols: list[str]) -> pd.DataFrame:
    """The peer statistics as first written, a usable-prefix mask per group, ratio and month, with
    numpy's quantile: the compiled kernel must give these numbers exactly."""
    from workbench.features.peers import _DIRECTION, LEADER_QUANTILE

    res = {f"{r}_{s}": np.full(len(queries), np.nan, dtype=np.float32) for r in PEER_RATIOS
           for s in ("pct", "median", "leader")}
    res["size"] = np.zeros(len(queries), dtype=np.float32)
    u_groups = universe.groupby(group_cols, sort=False).indices
    u_avail, q_obs = universe["available_date"].to_numpy(), queries["obs_date"].to_numpy()
    for key, q_idx in queries.groupby(group_cols, sort=False).indices.items():
        u_idx = u_groups.get(key)
        if u_idx is None:
            continue
        avail = u_avail[u_idx]
        months, q_month = np.unique(q_obs[q_idx], return_inverse=True)
        res["size"][q_idx] = (avail[None, :] <= months[:, None]).sum(axis=1)[q_month]
        for r in PEER_RATIOS:
            vals = universe[r].to_numpy()[u_idx]
            ok = ~np.isnan(vals)
            order = np.argsort(vals[ok], kind="stable")
            sorted_vals, sorted_avail = vals[ok][order], avail[ok][order]
            x = queries[r].to_numpy()[q_idx]
            lead_q = LEADER_QUANTILE if _DIRECTION.get(r, -1) > 0 else 1 - LEADER_QUANTILE
            for j, month in enumerate(months):
                sel = q_month == j
                prefix = sorted_vals[sorted_avail <= month]
                if len(prefix) == 0:
                    continue
                less = np.searchsorted(prefix, x[sel], side="left")
                leq = np.searchsorted(prefix, x[sel], side="right")
                res[f"{r}_pct"][q_idx[sel]] = np.where(np.isnan(x[sel]), np.nan, (less + 0.5 * (leq - less)) / len(prefix))
                with np.errstate(invalid="ignore"):  # infinite peers: inf - inf is NaN, as intended
                    res[f"{r}_median"][q_idx[sel]] = float(np.quantile(prefix, 0.5))
                    res[f"{r}_leader"][q_idx[sel]] = float(np.quantile(prefix, lead_q))
    return pd.DataFrame(res, index=queries.index)


def _random_peers(seed: int, n_u: int, n_q: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    months = pd.date_range("2019-01-31", periods=18, freq="ME").to_numpy()

    def frame(n: int, date_col: str) -> pd.DataFrame:
        df = pd.DataFrame({"industry": rng.integers(0, 4, n).astype(np.int16),
                           "fiscal_year": rng.integers(2018, 2020, n).astype(np.int16),
                           date_col: rng.choice(months, n) - rng.integers(0, 20, n).astype("timedelta64[D]")})
        for r in PEER_RATIOS:
            # Float32 as in the panel, with ties, NaN and an occasional infinity (a float64 ratio too large for float32).
            v = np.round(rng.normal(size=n), 1).astype(np.float32)
            v[rng.random(n) < 0.1] = np.nan
            v[rng.random(n) < 0.01] = np.inf
            df[r] = v
        df.loc[rng.random(n) < 0.02, date_col] = pd.NaT
        return df

    return frame(n_u, "available_date"), frame(n_q, "obs_date")


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_compiled_peer_statistics_equal_the_usable_prefix_computation(seed):
    from workbench.features.peers import _group_stats

    universe, queries = _random_peers(seed, 3000, 800)
    got = _group_stats(universe, queries, ["industry", "fiscal_year"])
    expected = _reference_group_stats(universe, queries, ["industry", "fiscal_year"])
    pd.testing.assert_frame_equal(got, expected, check_exact=True)


def test_peer_feature_columns_are_listed_in_order():
    from workbench.features.peers import PEER_FEATURES

    universe, queries = _random_peers(3, 200, 50)
    universe["period_end"] = queries["period_end"] = pd.Timestamp("2019-12-31")
    universe["industry"] = queries["industry"] = "retail"
    assert tuple(peer_features(universe, queries, min_peer_group=5).columns) == PEER_FEATURES
