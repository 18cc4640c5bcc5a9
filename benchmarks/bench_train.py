"""PD model quality and speed: synthetic panel against the oracle and LightGBM; the Polish data.

1. Synthetic portfolio (default 5,000 obligors x 10 years, seed 0): build the panel,
   tune (N optuna trials) and fit the PD model; out-of-time AUC against the oracle AUC
   of the true PD (``truth``, which only benchmarks may read), calibration, and
   LightGBM tuned with the same number of trials on the same folds, in the same run.
   The AUC ratio to the oracle carries a bootstrap interval (OOT obligors resampled), and
   ``--seeds 0,1,2`` repeats the whole exercise on other portfolios: with about 120 OOT
   defaults per portfolio the ratio moves by about +-0.01 from one seed to the next.
2. Polish bankruptcy data, year 1 (UCI 365): mean AUC of ``fit_pd_model`` with the
   repository defaults over 10 stratified 90/10 splits. Published reference for this
   protocol on this file (Expert Systems 2024, doi 10.1111/exsy.13599): XGBoost 0.956,
   best ensemble 0.964.

Prints a summary and writes benchmarks/results/bench_train.json.

    .venv/bin/python benchmarks/bench_train.py [--trials 15] [--seeds 0] [--polish-splits 10] [--skip-polish]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
POLISH = HERE.parent / "tests" / "fixtures" / "data" / "polish-bankruptcy" / "1year.arff"


def _lightgbm_same_budget(panel: pd.DataFrame, features: list[str], target: str, trials: int, seed: int) -> dict:
    import lightgbm as lgb
    import optuna
    from sklearn.metrics import roc_auc_score

    from workbench.models import validation_folds

    train = panel[panel["split"] == "train"]
    valid = panel[panel["split"] == "valid"]
    oot = panel[panel["split"] == "oot"]
    folds = validation_folds(train[target].to_numpy(), 3, time=train["obs_date"].to_numpy())
    X, y = train[features], train[target].to_numpy()

    def settings(t):
        return dict(n_estimators=1500, learning_rate=t.suggest_float("learning_rate", 0.01, 0.2, log=True),
                    num_leaves=t.suggest_int("num_leaves", 4, 64, log=True),
                    min_child_samples=t.suggest_int("min_child_samples", 5, 300, log=True),
                    subsample=t.suggest_float("subsample", 0.5, 1.0), subsample_freq=1,
                    colsample_bytree=t.suggest_float("colsample_bytree", 0.2, 1.0),
                    reg_lambda=t.suggest_float("reg_lambda", 1e-3, 50, log=True), n_jobs=2, verbose=-1,
                    random_state=seed)

    def objective(t):
        aucs = []
        for a, b in folds:
            m = lgb.LGBMClassifier(**settings(t)).fit(X.iloc[a], y[a], eval_X=(X.iloc[b],), eval_y=(y[b],),
                                                       callbacks=[lgb.early_stopping(100, verbose=False)])
            aucs.append(roc_auc_score(y[b], m.predict_proba(X.iloc[b])[:, 1]))
        return float(np.mean(aucs))

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    t0 = time.perf_counter()
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed))
    study.optimize(objective, n_trials=trials)
    best = lgb.LGBMClassifier(**settings(optuna.trial.FixedTrial(study.best_params)))
    best.fit(X, y, eval_X=(valid[features],), eval_y=(valid[target],),
             callbacks=[lgb.early_stopping(100, verbose=False)])
    seconds = time.perf_counter() - t0
    return {"oot_auc": float(roc_auc_score(oot[target], best.predict_proba(oot[features])[:, 1])),
            "seconds": seconds}


def synthetic(obligors: int, years: int, seed: int, trials: int) -> dict:
    from sklearn.metrics import roc_auc_score

    from workbench.features import INPUT_TABLES, PanelParams, build_panel
    from workbench.jobs import TrainPDParams
    from workbench.models import fit_on_panel
    from workbench.params import load_params
    from workbench.synthetic import GeneratorSettings, generate_portfolio

    tables = generate_portfolio(GeneratorSettings(n_obligors=obligors, years=years, seed=seed))
    panel = build_panel({k: tables[k] for k in INPUT_TABLES}, PanelParams())
    params = load_params(TrainPDParams, "params/train_pd_model.yaml",
                         {"tuning.n_trials": trials, "tuning.timeout_s": None})
    t0 = time.perf_counter()
    result = fit_on_panel(panel, params.pd_model, params.target)
    seconds = time.perf_counter() - t0
    oot = result.predictions[result.predictions["split"] == "oot"].merge(
        tables["truth"], left_on=["obligor_id", "obs_date"], right_on=["obligor_id", "month_end"], how="left")
    model_auc = roc_auc_score(oot["default_12m"], oot["pd"])
    oracle_auc = roc_auc_score(oot["default_12m"], oot["pd_12m"])
    ratio_interval = _bootstrap_ratio(oot, seed)
    lgbm = _lightgbm_same_budget(panel, result.features, "default_12m", trials, params.seed)
    return {
        "portfolio": {"obligors": obligors, "years": years, "seed": seed, "panel_rows": len(panel),
                      "features": len(result.features)},
        "trials": trials, "tune_and_fit_s": seconds,
        "oot_auc": model_auc, "oracle_oot_auc": oracle_auc, "ratio_to_oracle": model_auc / oracle_auc,
        "ratio_to_oracle_90ci": ratio_interval,
        "oot_mean_pd": float(oot["pd"].mean()), "oot_default_rate": float(oot["default_12m"].mean()),
        "lightgbm_same_budget": lgbm, "ratio_to_lightgbm": model_auc / lgbm["oot_auc"],
    }


def _bootstrap_ratio(oot: pd.DataFrame, seed: int, reps: int = 500) -> list[float]:
    """5 % and 95 % quantiles of (model AUC / oracle AUC) over OOT obligors drawn with replacement
    (all rows of a drawn obligor travel together: rows of one obligor are not independent)."""
    from sklearn.metrics import roc_auc_score

    codes, uniq = pd.factorize(oot["obligor_id"])
    rows_of = pd.Series(np.arange(len(oot))).groupby(codes).agg(list).tolist()
    y, p_model, p_oracle = (oot[c].to_numpy() for c in ("default_12m", "pd", "pd_12m"))
    rng = np.random.default_rng(seed)
    ratios = []
    for _ in range(reps):
        idx = np.concatenate([rows_of[k] for k in rng.integers(0, len(uniq), len(uniq))])
        if 0 < y[idx].sum() < len(idx):
            ratios.append(roc_auc_score(y[idx], p_model[idx]) / roc_auc_score(y[idx], p_oracle[idx]))
    return [float(q) for q in np.quantile(ratios, [0.05, 0.95])]


def polish(splits: int, seed: int) -> dict:
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    from workbench.data import load_flat_table
    from workbench.models import fit_pd_model

    table = load_flat_table(POLISH, target="class")
    aucs, t0 = [], time.perf_counter()
    for k, (a, b) in enumerate(StratifiedKFold(splits, shuffle=True, random_state=seed).split(table.X, table.y)):
        model = fit_pd_model(table.X.iloc[a], table.y.iloc[a])
        aucs.append(float(roc_auc_score(table.y.iloc[b], model.predict_pd(table.X.iloc[b]))))
        print(f"  polish split {k + 1}/{splits}: AUC {aucs[-1]:.4f}", flush=True)
    return {"splits": splits, "auc_mean": float(np.mean(aucs)), "auc_std": float(np.std(aucs)), "aucs": aucs,
            "seconds": time.perf_counter() - t0,
            "published": {"xgboost": 0.956, "best_ensemble": 0.964, "source": "doi 10.1111/exsy.13599"}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--obligors", type=int, default=5000)
    ap.add_argument("--years", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--seeds", default=None, help="comma-separated portfolio seeds (overrides --seed)")
    ap.add_argument("--trials", type=int, default=15)
    ap.add_argument("--polish-splits", type=int, default=10)
    ap.add_argument("--skip-polish", action="store_true")
    args = ap.parse_args()
    # Studies go to a scratch SQLite file, not the project's.
    os.environ.setdefault("WORKBENCH_STATE_DIR", tempfile.mkdtemp(prefix="bench-train-"))
    result = {"benchmark": "train",
              "machine": {"python": platform.python_version(), "processor": platform.machine(), "cpus": os.cpu_count()}}
    seeds = [int(x) for x in args.seeds.split(",")] if args.seeds else [args.seed]
    runs = []
    for seed in seeds:
        print(f"synthetic portfolio, seed {seed} ...", flush=True)
        s = synthetic(args.obligors, args.years, seed, args.trials)
        runs.append(s)
        lo, hi = s["ratio_to_oracle_90ci"]
        print(f"  OOT AUC {s['oot_auc']:.4f} vs oracle {s['oracle_oot_auc']:.4f} (ratio {s['ratio_to_oracle']:.3f}, "
              f"90% bootstrap {lo:.3f}-{hi:.3f}); LightGBM same budget {s['lightgbm_same_budget']['oot_auc']:.4f}; "
              f"tune+fit {s['tune_and_fit_s']:.0f}s ({args.trials} trials); "
              f"mean PD {s['oot_mean_pd']:.4f} vs default rate {s['oot_default_rate']:.4f}", flush=True)
    result["synthetic"] = runs[0]
    if len(runs) > 1:
        ratios = [r["ratio_to_oracle"] for r in runs]
        result["synthetic_by_seed"] = {str(sd): r for sd, r in zip(seeds, runs)}
        result["ratio_to_oracle_over_seeds"] = {"mean": float(np.mean(ratios)), "min": float(np.min(ratios)),
                                                "max": float(np.max(ratios))}
        print(f"  ratio to oracle over seeds {seeds}: mean {np.mean(ratios):.3f}, "
              f"min {np.min(ratios):.3f}, max {np.max(ratios):.3f}")
    if not args.skip_polish:
        print("Polish bankruptcy data ...", flush=True)
        result["polish"] = polish(args.polish_splits, args.seed)
        p = result["polish"]
        print(f"  mean AUC over {p['splits']} stratified splits {p['auc_mean']:.4f} (sd {p['auc_std']:.4f}); "
              f"published XGBoost 0.956, best ensemble 0.964; {p['seconds']:.0f}s")
    result["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out = HERE / "results" / "bench_train.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(f"written {out}")


if __name__ == "__main__":
    main()
