"""Pricing speed: 1,000,000 facilities priced vectorised against a per-row Python loop.

Each facility (synthetic, seeded: PD log-uniform 0.01 %-30 %, tenor 0.5-15 years, one of the
params' collateral types with coverage 0-2, 10 % subordinated, 30 % SMEs with sales EUR 1-50m)
goes through the whole pricing chain of ``workbench.pricing``:

1. F-IRB LGD from seniority and collateral (``lgd.foundation_lgd``, BCBS June 2006 para 287-295);
2. IRB capital K (``capital.irb_capital``, para 272-273);
3. cost of funds off the params' funding curve and the hurdle rate
   (``economics.cost_of_funds``, ``economics.required_rate``);
4. the grid price of its cell: master-scale grade (searchsorted on the PD band edges) x tenor
   bucket (the first bucket at or above the tenor) x collateral type, read from a
   10 x 6 x 5 table of required rates by integer indexing.

The vectorised run prices all rows (best of --repeat runs, each stage timed); the reference is
a plain Python loop over --loop-rows rows (math, bisect and scipy.special scalar calls), timed
and scaled linearly to the full count; a second loop over --stats-loop-rows rows calls
scipy.stats.norm.cdf / ppf instead, the usual way of writing the formula, to show that overhead.
The loop and the vectorised chain must agree (max abs difference of K, LGD, rate and grid rate
<= 1e-12). Target: the vectorised chain under 2 s for 1M facilities on this 2-core
machine. Prints a table and writes benchmarks/results/bench_pricing.json.

    .venv/bin/python benchmarks/bench_pricing.py [--rows 1000000] [--loop-rows 10000] [--stats-loop-rows 1000]
                                                 [--repeat 3] [--seed 0]
"""

from __future__ import annotations

import argparse
import bisect
import json
import math
import os
import platform
import resource
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def make_facilities(rows: int, seed: int, collateral_types: list[str]) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    sme = rng.random(rows) < 0.30
    return {
        "pd": np.exp(rng.uniform(np.log(1e-4), np.log(0.30), rows)),
        "tenor": rng.uniform(0.5, 15.0, rows),
        "exposure": rng.uniform(1.0, 200.0, rows),
        "collateral_type": np.asarray(collateral_types)[rng.integers(0, len(collateral_types), rows)],
        "coverage": rng.uniform(0.0, 2.0, rows),
        "seniority": np.where(rng.random(rows) < 0.10, "subordinated", "senior"),
        "sales": np.where(sme, rng.uniform(1.0, 50.0, rows), np.nan),
    }


def grade_edges() -> np.ndarray:
    """Geometric PD band edges of the desk's master scale (``workbench.reference.MASTER_SCALE``)."""
    from workbench.reference import MASTER_SCALE

    return MASTER_SCALE.edges


def build_grid(params) -> np.ndarray:
    """Required rate (decimal) per grade x tenor bucket x collateral type, at the grade's geometric
    mid PD, the bucket's tenor and ``params.grid.collateral_coverage`` (senior, no SME adjustment)."""
    from workbench.pricing.economics import required_rate_from_params
    from workbench.pricing.lgd import foundation_lgd

    edges = grade_edges()
    pd_mid = np.sqrt(edges[:-1] * edges[1:])
    tenors = np.asarray(params.grid.tenor_buckets, dtype=float)
    ctypes = np.asarray(params.grid.collateral_types)
    lgd = foundation_lgd(1.0, ctypes, params.grid.collateral_coverage, "senior", params=params.lgd)
    return required_rate_from_params(pd_mid[:, None, None], lgd[None, None, :], tenors[None, :, None],
                                     params.economics, params.capital)


def price_vectorised(f: dict[str, np.ndarray], params, grid: np.ndarray) -> tuple[dict, dict]:
    from workbench.pricing.capital import irb_capital
    from workbench.pricing.economics import bps_to_rate, cost_of_funds, economics_kwargs, required_rate
    from workbench.pricing.lgd import foundation_lgd, label_codes

    kw = economics_kwargs(params.economics, params.capital)
    t = {}
    t0 = time.perf_counter()
    lgd = foundation_lgd(f["exposure"], f["collateral_type"], f["coverage"] * f["exposure"], f["seniority"],
                         params=params.lgd)
    t["lgd"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    k = irb_capital(f["pd"], lgd, f["tenor"], f["sales"], pd_floor=kw["pd_floor"])
    t["capital"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    cof = bps_to_rate(cost_of_funds(f["tenor"], params.economics.funding_curve_bps))
    rate = required_rate(f["pd"], lgd, f["tenor"], hurdle=kw["hurdle"], cost_of_funds=cof, opex=kw["opex"],
                         tax=kw["tax"], capital_return=kw["capital_return"], sales=f["sales"], pd_floor=kw["pd_floor"])
    t["required_rate"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    grade = np.searchsorted(grade_edges()[1:-1], f["pd"], side="right")  # 0-based; beyond the ends: first/last
    tenors = np.asarray(params.grid.tenor_buckets, dtype=float)
    bucket = np.minimum(np.searchsorted(tenors, f["tenor"], side="left"), len(tenors) - 1)
    coll = label_codes(f["collateral_type"], params.grid.collateral_types, name="collateral_type")
    grid_rate = grid[grade, bucket, coll]
    t["grid_lookup"] = time.perf_counter() - t0
    t["total"] = sum(t.values())
    return t, {"lgd": lgd, "capital_k": k, "rate": rate, "grid_rate": grid_rate}


def price_loop(f: dict[str, np.ndarray], rows: int, params, grid: np.ndarray, code_of: dict[str, int],
               normal: str = "special") -> dict:
    """The same chain, one facility at a time, with Python scalars; the normal CDF and its inverse from
    ``scipy.special`` (ndtr / ndtri, thin ufuncs) or, with ``normal="stats"``, ``scipy.stats.norm``
    (cdf / ppf, which validate and broadcast their arguments on every call)."""
    if normal == "stats":
        from scipy.stats import norm

        ndtr, ndtri = norm.cdf, norm.ppf
    else:
        from scipy.special import ndtr, ndtri

    lgdp = params.lgd
    coll = {name: (c.lgd, c.c_min, c.c_full) for name, c in lgdp.collateral.items()}
    econ = params.economics
    curve = sorted(econ.funding_curve_bps.items())
    knots = [float(x) for x, _ in curve]
    bps = [float(y) for _, y in curve]
    edges = grade_edges()[1:-1].tolist()
    tenors = [float(x) for x in params.grid.tenor_buckets]
    floor, g999 = params.capital.pd_floor, float(ndtri(0.999))
    hurdle, cap_ret, tax, opex = econ.hurdle_rate, econ.capital_return_rate, econ.tax_rate, econ.opex_bps / 1e4
    out = {"lgd": [], "capital_k": [], "rate": [], "grid_rate": []}
    for i in range(rows):
        pd_, m, e = float(f["pd"][i]), float(f["tenor"][i]), float(f["exposure"][i])
        ctype, sales = str(f["collateral_type"][i]), float(f["sales"][i])
        unsecured = lgdp.senior_unsecured if f["seniority"][i] == "senior" else lgdp.subordinated
        lgd = unsecured
        if ctype != "none":
            c_lgd, c_min, c_full = coll[ctype]
            c = float(f["coverage"][i]) * e / e
            share = min(1.0, c / c_full) if c >= c_min else 0.0
            lgd = share * c_lgd + (1.0 - share) * unsecured
        p = max(pd_, floor)
        w = -math.expm1(-50.0 * p) / (1.0 - math.exp(-50.0))
        r = 0.24 - 0.12 * w
        if not math.isnan(sales):
            r -= 0.04 * (1.0 - (min(max(sales, 5.0), 50.0) - 5.0) / 45.0)
        b = (0.11852 - 0.05478 * math.log(p)) ** 2
        mc = min(max(m, 1.0), 5.0)
        k = lgd * (float(ndtr((float(ndtri(p)) + math.sqrt(r) * g999) / math.sqrt(1.0 - r))) - p) \
            * (1.0 + (mc - 2.5) * b) / (1.0 - 1.5 * b)
        if m <= knots[0]:
            cof = bps[0]
        elif m >= knots[-1]:
            cof = bps[-1]
        else:
            j = bisect.bisect_right(knots, m)
            cof = bps[j - 1] + (bps[j] - bps[j - 1]) * (m - knots[j - 1]) / (knots[j] - knots[j - 1])
        rate = cof / 1e4 + p * lgd + opex + (hurdle - cap_ret) * k / (1.0 - tax)
        grade = bisect.bisect_right(edges, pd_)
        bucket = min(bisect.bisect_left(tenors, m), len(tenors) - 1)
        out["lgd"].append(lgd)
        out["capital_k"].append(k)
        out["rate"].append(rate)
        out["grid_rate"].append(float(grid[grade, bucket, code_of[ctype]]))
    return {k: np.array(v) for k, v in out.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--loop-rows", type=int, default=10_000)
    ap.add_argument("--stats-loop-rows", type=int, default=1_000,
                    help="rows of the loop variant calling scipy.stats.norm (0: skip)")
    ap.add_argument("--repeat", type=int, default=3, help="vectorised runs; the best is reported")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    import scipy

    from workbench.pricing import PricingParams

    params = PricingParams()
    code_of = {name: i for i, name in enumerate(params.grid.collateral_types)}
    t0 = time.perf_counter()
    facilities = make_facilities(args.rows, args.seed, params.grid.collateral_types)
    generate_s = time.perf_counter() - t0
    grid = build_grid(params)
    print(f"{args.rows:,} facilities generated in {generate_s:.2f}s; grid {grid.shape} "
          f"(grade x tenor bucket x collateral)", flush=True)

    runs = []
    for _ in range(args.repeat):
        timing, vec = price_vectorised(facilities, params, grid)
        runs.append(timing)
        print(f"  vectorised: {timing['total']:.3f}s", flush=True)
    best = min(runs, key=lambda r: r["total"])

    n = min(args.loop_rows, args.rows)
    t0 = time.perf_counter()
    loop = price_loop(facilities, n, params, grid, code_of)
    loop_s = time.perf_counter() - t0
    loop_scaled = loop_s * args.rows / n
    diffs = {k: float(np.max(np.abs(loop[k] - vec[k][:n]))) for k in loop}
    ns = min(args.stats_loop_rows, args.rows)
    stats_s = None
    if ns > 0:
        t0 = time.perf_counter()
        stats_loop = price_loop(facilities, ns, params, grid, code_of, normal="stats")
        stats_s = time.perf_counter() - t0
        diffs_stats = float(np.max(np.abs(stats_loop["capital_k"] - vec["capital_k"][:ns])))

    print()
    print(f"{'stage':<16}{'vectorised s':>14}")
    for stage in ("lgd", "capital", "required_rate", "grid_lookup", "total"):
        print(f"{stage:<16}{best[stage]:>14.3f}")
    print()
    print(f"{'':<30}{'seconds':>10}{'rows/s':>14}")
    print(f"{'vectorised, ' + format(args.rows, ','):<30}{best['total']:>10.3f}{args.rows / best['total']:>14,.0f}")
    print(f"{'loop, ' + format(n, ','):<30}{loop_s:>10.3f}{n / loop_s:>14,.0f}")
    print(f"{'loop scaled to ' + format(args.rows, ','):<30}{loop_scaled:>10.1f}")
    if stats_s is not None:
        print(f"{'loop with stats.norm, ' + format(ns, ','):<30}{stats_s:>10.3f}{ns / stats_s:>14,.0f}")
        print(f"{'  scaled to ' + format(args.rows, ','):<30}{stats_s * args.rows / ns:>10.1f}")
    print(f"speed-up {loop_scaled / best['total']:.0f}x; target < 2 s: {'met' if best['total'] < 2 else 'MISSED'}; "
          f"max abs difference loop vs vectorised: " + ", ".join(f"{k} {v:.1e}" for k, v in diffs.items()))

    result = {
        "benchmark": "pricing",
        "settings": {"rows": args.rows, "loop_rows": n, "repeat": args.repeat, "seed": args.seed,
                     "grid_shape": list(grid.shape)},
        "machine": {"python": platform.python_version(), "processor": platform.machine(), "cpus": os.cpu_count()},
        "versions": {"numpy": np.__version__, "scipy": scipy.__version__},
        "generate_s": generate_s,
        "vectorised_s": best,
        "vectorised_runs_total_s": [r["total"] for r in runs],
        "vectorised_rows_per_s": args.rows / best["total"],
        "loop_s": loop_s,
        "loop_rows_per_s": n / loop_s,
        "loop_scaled_s": loop_scaled,
        "speed_ratio": loop_scaled / best["total"],
        "stats_norm_loop": None if stats_s is None else {
            "rows": ns, "seconds": stats_s, "rows_per_s": ns / stats_s, "scaled_s": stats_s * args.rows / ns,
            "speed_ratio": stats_s * args.rows / ns / best["total"], "max_abs_diff_capital_k": diffs_stats},
        "target_s": 2.0,
        "target_met": best["total"] < 2.0,
        "max_abs_diff": diffs,
        "max_abs_diff_ok": max(diffs.values()) <= 1e-12,
        "peak_rss_mib": _peak_rss_mib(),
    }
    out = HERE / "results" / "bench_pricing.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(f"written {out}")
    if not result["max_abs_diff_ok"]:
        raise SystemExit(f"loop and vectorised pricing disagree beyond 1e-12: {diffs}")


if __name__ == "__main__":
    main()
