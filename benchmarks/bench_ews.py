"""Early warnings on the demo portfolio: time per stage, and how well the alerts work against the grade alone.

Loads the demo portfolio (``data/synthetic``; without it, generates 5,000 obligors x 10 years, seed 0)
and the PD model of the latest FINISHED ``20_train_pd_model`` run in the local MLflow store (read
only: nothing is trained and no run is written; without such a run the script stops and says to run
``make demo`` first; ``--model PATH`` takes a pickled ``PDModel`` instead). Then, timing each stage:

1. the as-of snapshot of every month end in the data (``workbench.features.snapshot``, one call);
2. scoring it with the model (``accounts.scoring.score_snapshot``);
3. the early warnings of all month ends at once (``accounts.ews.early_warnings``, ``EWSParams()``);
4. tiering at every month end (``accounts.tiering.assign_tiers``, one call per month end, each
   vectorised over the book) and, on its own, at the last one;
5. one as-of end to end, the monthly job: snapshot + scoring + early warnings with the earlier
   months' scored snapshots as history + tiering. This is the reference run: its alerts must equal
   the rows of that month in the all-months run of stage 3 (the vectorised backfill and the monthly
   path give the same alerts), or the script fails.

Then the effectiveness (``accounts.effectiveness.ews_effectiveness``, ``EffectivenessParams()``) on
the out-of-time month ends (split ``oot``: outcomes the model never saw) and, for comparison, on the
in-time ones the EWS thresholds were set on: hit rates of red and of red + amber at least 3 and 6
months before default against the PD alone at the same volume, with bootstrap intervals, the median
lead, the false-alarm rate and the alerts per month. Item 10 of issue 14 targets one as-of under 2 s
and all month ends under 60 s on 2 cores: measured and printed, not asserted. Prints the tables and
writes benchmarks/results/bench_ews.json.

    .venv/bin/python benchmarks/bench_ews.py [--data data/synthetic] [--generate] [--obligors 5000]
                                             [--years 10] [--seed 0] [--as-of YYYY-MM-DD] [--model PATH]
                                             [--n-boot 500]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


class _Timer:
    """Wall-clock seconds per named stage, in the order they ran."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def __call__(self, name: str, fn, *args, **kwargs):
        t0 = time.perf_counter()
        out = fn(*args, **kwargs)
        self.seconds[name] = time.perf_counter() - t0
        print(f"  {name:<44s} {self.seconds[name]:7.2f} s", flush=True)
        return out


def _load_portfolio(args) -> tuple[dict[str, pd.DataFrame], str]:
    from workbench.data import read_tables

    data = Path(args.data) if Path(args.data).is_absolute() else ROOT / args.data
    if not args.generate and (data / "behaviour.parquet").is_file():
        return read_tables(data, check=False), str(data)
    from workbench.synthetic import GeneratorSettings, generate_portfolio

    settings = GeneratorSettings(n_obligors=args.obligors, years=args.years, seed=args.seed)
    return generate_portfolio(settings), f"generated ({args.obligors} obligors x {args.years} years, seed {args.seed})"


def _load_model(path: str | None):
    from workbench.models import load_pd_model

    if path:
        return load_pd_model(path), str(path)
    from workbench import tracking

    try:
        run_id = tracking.find_latest_run_anywhere("20_train_pd_model")
    except LookupError as exc:
        raise SystemExit(f"no trained PD model: {exc}.\nRun `make demo` first (it trains the demo PD model into the "
                         f"local MLflow store), or pass --model PATH to a pickled PDModel.") from None
    return load_pd_model(tracking.resolve_output(run_id, "model")), f"MLflow run {run_id} (20_train_pd_model)"


def _effectiveness(alerts: pd.DataFrame, scored: pd.DataFrame, defaults: pd.DataFrame, months, data_end, n_boot):
    from workbench.accounts.effectiveness import EffectivenessParams, ews_effectiveness

    mask = scored["obs_date"].isin(months).to_numpy()
    return ews_effectiveness(alerts[mask], scored[mask], defaults, months, EffectivenessParams(n_boot=n_boot),
                             data_end=data_end)


def _figures(result, n_rows_per_month: float) -> dict:
    """Plain numbers of one effectiveness result, per source and variant, plus the paired differences."""
    out: dict = {}
    for (source, variant), row in result.estimates.iterrows():
        rec = {k: (None if not np.isfinite(v) else float(v)) for k, v in row.items()}
        rec["alert_share_of_book"] = float(row["alerts_per_month"]) / n_rows_per_month
        out.setdefault(source, {})[variant] = rec
    out["ews_minus_grade"] = {str(v): {k: float(x) for k, x in r.items()} for v, r in result.differences.iterrows()}
    out["beats_grade_at_6m"] = result.beats_grade_at_6m
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="data/synthetic", help="portfolio directory (default: the demo portfolio)")
    ap.add_argument("--generate", action="store_true", help="generate the portfolio even if --data exists")
    ap.add_argument("--obligors", type=int, default=5000)
    ap.add_argument("--years", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--as-of", default=None, help="month end of the one-as-of run (default: the last in the data)")
    ap.add_argument("--model", default=None, help="a pickled PDModel instead of the latest 20_train_pd_model run")
    ap.add_argument("--n-boot", type=int, default=500, help="bootstrap resamples of the intervals")
    args = ap.parse_args()
    os.chdir(ROOT)  # the MLflow store and the demo data are the project's

    from workbench.accounts.ews import EWSParams, early_warnings
    from workbench.accounts.scoring import score_snapshot
    from workbench.accounts.tiering import TieringParams, assign_tiers
    from workbench.features import PanelParams, snapshot
    from workbench.features.snapshot import month_ends
    from workbench.pricing import PricingParams

    t0 = time.perf_counter()
    tables, source = _load_portfolio(args)
    load_s = time.perf_counter() - t0
    model, model_source = _load_model(args.model)
    months = month_ends(tables)
    as_of = pd.Timestamp(args.as_of) + pd.offsets.MonthEnd(0) if args.as_of else months[-1]
    if as_of not in months:
        raise SystemExit(f"--as-of {as_of:%Y-%m-%d} is not a month end of the data "
                         f"({months[0]:%Y-%m-%d} to {months[-1]:%Y-%m-%d})")
    panel_params = PanelParams()
    if (ROOT / "params/build_features.yaml").is_file():  # the panel the model was trained on
        from workbench.jobs import BuildFeaturesParams
        from workbench.params import load_params

        panel_params = load_params(BuildFeaturesParams, "params/build_features.yaml").panel
    ews_params, tier_params, pricing = EWSParams(), TieringParams(), PricingParams()
    facilities = tables["facilities"]
    print(f"portfolio: {source} ({load_s:.1f} s); model: {model_source}")
    print(f"{len(months)} month ends {months[0]:%Y-%m-%d} to {months[-1]:%Y-%m-%d}; one as-of: {as_of:%Y-%m-%d}")

    print("all month ends:")
    timer = _Timer()
    snap = timer("snapshot", snapshot, tables, months, panel_params)
    scored = timer("scoring", score_snapshot, model, snap)
    ews = timer("early warnings", early_warnings, scored, None, ews_params)

    def tier_every_month():
        return [assign_tiers(part, facilities, tier_params, pricing) for _, part in scored.groupby("obs_date")]

    tiers_all = timer(f"tiering ({len(months)} month ends)", tier_every_month)
    all_months = {k: v for k, v in timer.seconds.items()}
    all_months["total"] = sum(all_months.values())

    print(f"one as-of ({as_of:%Y-%m-%d}):")
    one = _Timer()
    history = scored[scored["obs_date"] < as_of]
    snap1 = one("snapshot", snapshot, tables, as_of, panel_params)
    scored1 = one("scoring", score_snapshot, model, snap1)
    ews1 = one("early warnings (history given)", early_warnings, scored1, history, ews_params)
    tiers1 = one("tiering", assign_tiers, scored1, facilities, tier_params, pricing)
    one_as_of = dict(one.seconds)
    one_as_of["total"] = sum(one_as_of.values())

    # Reference: the monthly path and the backfill must agree on that month's alerts.
    backfill = ews.alerts[ews.alerts["obs_date"] == as_of].reset_index(drop=True)
    try:
        pd.testing.assert_frame_equal(ews1.alerts.reset_index(drop=True), backfill)
    except AssertionError as exc:
        raise SystemExit(f"the one-as-of alerts differ from the all-months run at {as_of:%Y-%m-%d}:\n{exc}") from None

    print("effectiveness:")
    eff_t = _Timer()
    split = scored.groupby("obs_date")["split"].agg(lambda s: s.mode().iat[0])
    oot = sorted(split.index[split == "oot"])
    in_time = sorted(split.index[split != "oot"])
    data_end = pd.Timestamp(tables["behaviour"]["month_end"].max())
    defaults = tables["defaults"]
    eff_oot = eff_t("out of time", _effectiveness, ews.alerts, scored, defaults, oot, data_end, args.n_boot)
    eff_in = eff_t("in time", _effectiveness, ews.alerts, scored, defaults, in_time, data_end, args.n_boot)

    pd.set_option("display.width", 250)
    pd.set_option("display.max_columns", 20)
    pd.set_option("display.max_colwidth", 40)
    rows_oot = float((scored["obs_date"].isin(oot)).sum()) / len(oot)
    rows_in = float((scored["obs_date"].isin(in_time)).sum()) / len(in_time)
    for name, eff, months_, n in (("OUT OF TIME", eff_oot, oot, rows_oot), ("IN TIME", eff_in, in_time, rows_in)):
        print(f"\n{name}: {len(months_)} month ends {months_[0]:%Y-%m-%d} to {months_[-1]:%Y-%m-%d}, "
              f"{n:,.0f} obligors a month; alert shares of the book: "
              + ", ".join(f"{v} {100 * eff.estimates.at[('ews', v), 'alerts_per_month'] / n:.1f} %"
                          for v in ("red", "red_amber")))
        print(eff.table().to_string())
        d = eff.differences
        print("EWS minus grade only (paired bootstrap): "
              + "; ".join(f"{v} {L}m {100 * d.at[v, f'hit_rate_{L}m']:+.1f} pp "
                          f"({100 * d.at[v, f'hit_rate_{L}m_low']:+.1f} to {100 * d.at[v, f'hit_rate_{L}m_high']:+.1f})"
                          if f"hit_rate_{L}m_low" in d.columns else f"{v} {L}m {100 * d.at[v, f'hit_rate_{L}m']:+.1f} pp"
                          for v in d.index for L in eff.params.leads))
        print(f"EWS beats the grade alone at 6 months (red and red + amber): {eff.beats_grade_at_6m}")

    signal_share = (ews.signals.groupby("indicator").size() / len(ews.alerts)).sort_values(ascending=False)
    print("\nsignals per obligor-month (all month ends): "
          + ", ".join(f"{k} {100 * v:.1f} %" for k, v in signal_share.items()))
    print(f"\nall {len(months)} month ends: {all_months['total']:.1f} s (target < 60 s); "
          f"one as-of: {one_as_of['total']:.2f} s (target < 2 s); reference alerts identical: True")
    command = "  ".join([".venv/bin/python benchmarks/bench_ews.py", *sys.argv[1:]]).strip()
    print(f"command: {command}")

    out = {
        "portfolio": {"source": source, "obligors": int(scored["obligor_id"].nunique()), "month_ends": len(months),
                      "rows": len(scored), "first": f"{months[0]:%Y-%m-%d}", "last": f"{months[-1]:%Y-%m-%d}"},
        "model": model_source,
        "seconds": {"load": load_s, "all_month_ends": all_months, "one_as_of": one_as_of,
                    "effectiveness": eff_t.seconds},
        "targets_s": {"one_as_of": 2.0, "all_month_ends": 60.0},
        "one_as_of": {"as_of": f"{as_of:%Y-%m-%d}", "obligors": len(scored1), "tiers": tiers1["tier"].value_counts()
                      .sort_index().to_dict(), "levels": ews1.alerts["level"].value_counts().to_dict(),
                      "identical_to_all_months": True},
        "tiering_rows_all_months": int(sum(len(t) for t in tiers_all)),
        "ews_params": ews_params.model_dump(mode="json"),
        "signal_share": {k: float(v) for k, v in signal_share.items()},
        "effectiveness": {
            "out_of_time": {"months": [f"{oot[0]:%Y-%m-%d}", f"{oot[-1]:%Y-%m-%d}"], "n_months": len(oot),
                            **_figures(eff_oot, rows_oot)},
            "in_time": {"months": [f"{in_time[0]:%Y-%m-%d}", f"{in_time[-1]:%Y-%m-%d}"], "n_months": len(in_time),
                        **_figures(eff_in, rows_in)},
            "params": eff_oot.params.model_dump(mode="json"),
        },
        "command": command,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
    }
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    (results / "bench_ews.json").write_text(json.dumps(out, indent=2, default=str))
    print(f"wrote {results / 'bench_ews.json'}")


if __name__ == "__main__":
    main()
