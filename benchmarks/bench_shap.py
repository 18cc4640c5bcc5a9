"""SHAP speed and exactness: ``workbench.explain.shap_values`` against ``shap.TreeExplainer``.

Builds the demo model (synthetic portfolio, default 5,000 obligors x 10 years, seed 0;
``params/train_pd_model.yaml`` with tuning disabled) or loads a pickled ``PDModel``
(``--model``, e.g. a run's ``pd_model.pkl``), takes --rows panel rows (resampled with
replacement when the panel is smaller) and, in the same process, on the same float32 matrix:

* reference: ``shap.TreeExplainer(booster).shap_values(X)`` with default settings for each
  booster of the bag, averaged (the model's score is the mean of the boosters' margins);
  explainer construction included;
* ``workbench.explain.shap_values(model, X, progress=False)`` (default engine), after a
  warm-up call on a few rows that loads (or, on a fresh checkout, compiles) the numba kernel;
  the warm-up is reported separately;
* the same function with ``engine="xgboost"`` (xgboost's ``pred_contribs``, which
  ``shap.TreeExplainer`` also calls for xgboost models) unless --skip-xgboost-engine.

Reports seconds, the speed ratio reference / ours (goal >= 2) and the largest absolute
difference of the SHAP values (must be <= 1e-6). Prints a summary and writes
benchmarks/results/bench_shap.json.

    .venv/bin/python benchmarks/bench_shap.py [--rows 100000] [--obligors 5000] [--model path/to/pd_model.pkl]
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import platform
import resource
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build_rows(obligors: int, years: int, seed: int, rows: int, model_path: str | None):
    """The model (trained or loaded), the panel rows to explain, and facts about both."""
    from workbench.features import INPUT_TABLES, PanelParams, build_panel
    from workbench.jobs import TrainPDParams
    from workbench.models import fit_on_panel
    from workbench.params import load_params
    from workbench.synthetic import GeneratorSettings, generate_portfolio

    t0 = time.perf_counter()
    tables = generate_portfolio(GeneratorSettings(n_obligors=obligors, years=years, seed=seed))
    panel = build_panel({k: tables[k] for k in INPUT_TABLES}, PanelParams())
    info = {"portfolio": {"obligors": obligors, "years": years, "seed": seed, "panel_rows": len(panel)},
            "panel_s": time.perf_counter() - t0}
    print(f"panel: {len(panel):,} rows in {info['panel_s']:.1f}s", flush=True)
    if model_path:
        with open(model_path, "rb") as fh:
            model = pickle.load(fh)
        info["model"] = {"source": str(model_path)}
    else:
        params = load_params(TrainPDParams, "params/train_pd_model.yaml", {"tuning.enabled": False})
        t0 = time.perf_counter()
        model = fit_on_panel(panel, params.pd_model, params.target).model
        info["model"] = {"source": "trained (params/train_pd_model.yaml, tuning disabled)",
                         "fit_s": time.perf_counter() - t0}
    boosters = [b.get_booster() for b in model.boosters_]
    info["model"].update({"n_bags": len(boosters), "trees_per_booster": [b.num_boosted_rounds() for b in boosters],
                          "max_depth": model.booster_params_.get("max_depth"),
                          "features": len(model.feature_names_in_)})
    print(f"model: {len(boosters)} boosters x {info['model']['trees_per_booster'][0]} trees, "
          f"{len(model.feature_names_in_)} features", flush=True)
    rng = np.random.default_rng(seed)
    take = rng.choice(len(panel), rows, replace=len(panel) < rows)
    X = panel.iloc[np.sort(take)].reset_index(drop=True)
    return model, X, info


def reference_shap(model, Xc) -> tuple[np.ndarray, float]:
    """shap.TreeExplainer with default settings per booster, averaged as the model averages margins."""
    import shap

    total, t0 = None, time.perf_counter()
    for k, clf in enumerate(model.boosters_):
        values = shap.TreeExplainer(clf.get_booster()).shap_values(Xc)
        total = values.astype(np.float64) if total is None else total + values
        print(f"  reference: booster {k + 1}/{len(model.boosters_)} done ({time.perf_counter() - t0:.1f}s)", flush=True)
    return total / len(model.boosters_), time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--obligors", type=int, default=5000)
    ap.add_argument("--years", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--model", default=None, help="pickled PDModel to explain instead of training one")
    ap.add_argument("--skip-xgboost-engine", action="store_true")
    args = ap.parse_args()
    os.environ.setdefault("WORKBENCH_STATE_DIR", tempfile.mkdtemp(prefix="bench-shap-"))

    import numba
    import xgboost

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PendingDeprecationWarning)  # shap's colour maps, on import
        import shap

    from workbench.explain import shap_values

    model, X, info = build_rows(args.obligors, args.years, args.seed, args.rows, args.model)
    # The reference gets the float32 matrix the boosters score (the model's encoding); ours takes the
    # input columns and encodes them itself. The panel has no special codes, so the columns are the same.
    X = X[model.feature_names_in_]
    Xc = model.encode(X)
    if list(Xc.columns) != list(X.columns):
        raise SystemExit("this benchmark compares column by column: the model's encoding added columns")

    t0 = time.perf_counter()
    shap_values(model, X.iloc[:1000], progress=False)
    warmup = time.perf_counter() - t0
    print(f"warm-up (numba kernel load/compile + 1,000 rows): {warmup:.2f}s", flush=True)

    print(f"reference shap.TreeExplainer on {len(Xc):,} rows ...", flush=True)
    ref, ref_s = reference_shap(model, Xc)

    print(f"workbench.explain.shap_values on {len(Xc):,} rows ...", flush=True)
    t0 = time.perf_counter()
    ours = shap_values(model, X, progress=False)
    ours_s = time.perf_counter() - t0
    diff = float(np.abs(ours.values.to_numpy() - ref).max())
    additivity = float(np.abs(ours.base_values() + ours.values.sum(axis=1).to_numpy() - ours.margin).max())

    result = {
        "benchmark": "shap",
        "machine": {"python": platform.python_version(), "processor": platform.machine(), "cpus": os.cpu_count(),
                    "numba_threads": numba.get_num_threads()},
        "versions": {"shap": shap.__version__, "xgboost": xgboost.__version__, "numba": numba.__version__},
        **info,
        "rows": len(Xc),
        "reference_s": ref_s,
        "ours_s": ours_s,
        "ours_engine": ours.engine,
        "ours_warmup_s": warmup,
        "speed_ratio": ref_s / ours_s,
        "max_abs_diff": diff,
        "max_abs_diff_ok": diff <= 1e-6,
        "max_additivity_error": additivity,
        "rows_per_s": len(Xc) / ours_s,
    }
    print(f"  reference {ref_s:.1f}s, ours ({ours.engine}) {ours_s:.1f}s: ratio {ref_s / ours_s:.2f}x; "
          f"max |diff| {diff:.2e}; additivity error {additivity:.2e}", flush=True)
    if not args.skip_xgboost_engine:
        t0 = time.perf_counter()
        via_xgb = shap_values(model, X, progress=False, engine="xgboost")
        xgb_s = time.perf_counter() - t0
        result["xgboost_engine_s"] = xgb_s
        result["xgboost_engine_ratio"] = ref_s / xgb_s
        result["xgboost_engine_max_abs_diff"] = float(np.abs(via_xgb.values.to_numpy() - ref).max())
        print(f"  engine='xgboost' {xgb_s:.1f}s: ratio {ref_s / xgb_s:.2f}x "
              f"(max |diff| {result['xgboost_engine_max_abs_diff']:.2e})", flush=True)
    result["peak_rss_mib"] = _peak_rss_mib()
    out = HERE / "results" / "bench_shap.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(f"written {out}")


if __name__ == "__main__":
    main()
