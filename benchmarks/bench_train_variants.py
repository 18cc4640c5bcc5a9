"""PD model variants across several synthetic portfolios: is a change better than the noise?

With about 120 out-of-time defaults per 5,000-obligor portfolio, the OOT AUC moves by about 0.01
from one seed to the next, so a model change is only worth keeping if it wins across seeds.
For each seed this builds (and caches) the panel, then fits the PD model under each variant
(params overrides of params/train_pd_model.yaml) and reports the OOT AUC as a ratio of the
oracle AUC of the true PD, and the mean PD against the default rate.

Prints a seeds x variants table and writes benchmarks/results/bench_train_variants.json.

    .venv/bin/python benchmarks/bench_train_variants.py [--seeds 0,1,2,3,4] [--variants as_shipped,no_tuning]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"

#: Variant name -> params overrides (dotted keys, as `-p` on the command line).
VARIANTS: dict[str, dict] = {
    "as_shipped": {},
    "bags_10": {"n_bags": 10},
    "no_tuning": {"tuning.enabled": False},
    "max_depth_le_4": {"tuning.search_space.max_depth": {"low": 2, "high": 4}},
    "min_child_weight_ge_10": {"tuning.search_space.min_child_weight": {"low": 10, "high": 200, "log": True}},
}


def _panel_and_truth(seed: int, obligors: int, years: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    from workbench.features import INPUT_TABLES, PanelParams, build_panel
    from workbench.synthetic import GeneratorSettings, generate_portfolio

    panel_path = CACHE / f"variants-panel-{obligors}x{years}-s{seed}.parquet"
    truth_path = CACHE / f"variants-truth-{obligors}x{years}-s{seed}.parquet"
    if not (panel_path.exists() and truth_path.exists()):
        CACHE.mkdir(exist_ok=True)
        tables = generate_portfolio(GeneratorSettings(n_obligors=obligors, years=years, seed=seed))
        build_panel({k: tables[k] for k in INPUT_TABLES}, PanelParams()).to_parquet(panel_path)
        tables["truth"][["obligor_id", "month_end", "pd_12m"]].to_parquet(truth_path)
    return pd.read_parquet(panel_path), pd.read_parquet(truth_path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", default="0,1,2,3,4")
    ap.add_argument("--variants", default=",".join(VARIANTS), help=f"comma-separated, from {', '.join(VARIANTS)}")
    ap.add_argument("--obligors", type=int, default=5000)
    ap.add_argument("--years", type=int, default=10)
    args = ap.parse_args()
    unknown = [v for v in args.variants.split(",") if v not in VARIANTS]
    if unknown:
        ap.error(f"unknown variant(s) {unknown}; known: {', '.join(VARIANTS)}")
    os.environ.setdefault("WORKBENCH_STATE_DIR", tempfile.mkdtemp(prefix="bench-variants-"))

    import optuna
    from sklearn.metrics import roc_auc_score

    from workbench.jobs import TrainPDParams
    from workbench.models import fit_on_panel
    from workbench.params import load_params

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    rows = []
    for seed in (int(s) for s in args.seeds.split(",")):
        panel, truth = _panel_and_truth(seed, args.obligors, args.years)
        for name in args.variants.split(","):
            params = load_params(TrainPDParams, "params/train_pd_model.yaml", {"tuning.timeout_s": None, **VARIANTS[name]})
            t0 = time.perf_counter()
            result = fit_on_panel(panel, params.pd_model, params.target)
            p = result.predictions
            oot = p[p["split"] == "oot"].merge(truth, left_on=["obligor_id", "obs_date"],
                                               right_on=["obligor_id", "month_end"], how="left")
            ratio = roc_auc_score(oot["default_12m"], oot["pd"]) / roc_auc_score(oot["default_12m"], oot["pd_12m"])
            rows.append({"seed": seed, "variant": name, "ratio_to_oracle": float(ratio),
                         "mean_pd_over_default_rate": float(oot["pd"].mean() / oot["default_12m"].mean()),
                         "seconds": time.perf_counter() - t0})
            print(f"  seed {seed} {name:>24}: ratio {ratio:.4f}  ({rows[-1]['seconds']:.0f}s)", flush=True)
    table = pd.DataFrame(rows).pivot(index="variant", columns="seed", values="ratio_to_oracle")
    table["mean"] = table.mean(axis=1)
    print(table.round(4).to_string())
    out = HERE / "results" / "bench_train_variants.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"benchmark": "train_variants", "machine": {"python": platform.python_version(),
                                                                          "cpus": os.cpu_count()},
                               "portfolio": {"obligors": args.obligors, "years": args.years},
                               "variants": VARIANTS, "runs": rows}, indent=2))
    print(f"written {out}")


if __name__ == "__main__":
    main()
