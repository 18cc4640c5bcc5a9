"""Same code, data, params and seed: the same PD model on an idle and on a loaded machine.

Trains the PD model of ``params/train_pd_model.yaml`` on the demo portfolio (5,000 obligors x
10 years, seed 0) twice in this process: once on an idle machine, once with CPU burners (one
busy process per core) running beside it. The tuning budget is a number of trials, so both fits
must give byte-identical boosters and the same OOT AUC; the wall-clock time is what differs.
Prints a summary and writes benchmarks/results/bench_reproducibility.json.

    .venv/bin/python benchmarks/bench_reproducibility.py [--obligors 5000] [--years 10] [--burners 2]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing as mp
import os
import platform
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _burn(stop) -> None:
    while not stop.is_set():
        sum(i * i for i in range(10_000))


def _fit(panel, params) -> dict:
    from workbench.models import fit_on_panel

    t0 = time.perf_counter()
    result = fit_on_panel(panel, params.pd_model, params.target)
    seconds = time.perf_counter() - t0
    digest = hashlib.sha256()
    for booster in result.model.boosters_:
        digest.update(bytes(booster.get_booster().save_raw("json")))
    return {"seconds": seconds, "oot_auc": float(result.metrics.loc["oot", "auc"]),
            "boosters_sha256": digest.hexdigest(), "tuning": result.model.tuning_summary()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--obligors", type=int, default=5000)
    ap.add_argument("--years", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--burners", type=int, default=os.cpu_count() or 2)
    args = ap.parse_args()
    os.environ.setdefault("WORKBENCH_STATE_DIR", tempfile.mkdtemp(prefix="wb-bench-repro-"))

    from workbench.features import INPUT_TABLES, PanelParams, build_panel
    from workbench.jobs import TrainPDParams
    from workbench.params import load_params
    from workbench.synthetic import GeneratorSettings, generate_portfolio

    tables = generate_portfolio(GeneratorSettings(n_obligors=args.obligors, years=args.years, seed=args.seed))
    panel = build_panel({k: tables[k] for k in INPUT_TABLES}, PanelParams())
    params = load_params(TrainPDParams, "params/train_pd_model.yaml")

    idle = _fit(panel, params)
    stop = mp.Event()
    burners = [mp.Process(target=_burn, args=(stop,), daemon=True) for _ in range(args.burners)]
    for p in burners:
        p.start()
    try:
        loaded = _fit(panel, params)
    finally:
        stop.set()
        for p in burners:
            p.join(timeout=5)
    same = idle["boosters_sha256"] == loaded["boosters_sha256"] and idle["oot_auc"] == loaded["oot_auc"]
    out = {"portfolio": {"obligors": args.obligors, "years": args.years, "seed": args.seed, "rows": len(panel)},
           "trials": params.tuning.n_trials, "timeout_s": params.tuning.timeout_s, "burners": args.burners,
           "idle": idle, "loaded": loaded, "identical": same, "slowdown": loaded["seconds"] / idle["seconds"],
           "machine": {"cpus": os.cpu_count(), "python": platform.python_version()}}
    print(f"idle:   {idle['seconds']:.1f} s  OOT AUC {idle['oot_auc']:.6f}  boosters {idle['boosters_sha256'][:16]}")
    print(f"loaded: {loaded['seconds']:.1f} s  OOT AUC {loaded['oot_auc']:.6f}  boosters {loaded['boosters_sha256'][:16]}"
          f"  ({args.burners} CPU burners)")
    print(f"identical models: {same}  (slowdown x{out['slowdown']:.2f})")
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    (results / "bench_reproducibility.json").write_text(json.dumps(out, indent=2))
    if not same:
        raise SystemExit("the two fits differ: training depends on machine load")


if __name__ == "__main__":
    main()
