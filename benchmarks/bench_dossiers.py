"""How long a batch of client dossiers takes, and what one kernel per batch saves.

Renders the dossiers of the ``--n`` largest clients (tier A first, then B, by exposure) of the demo
portfolio as of ``--as-of`` (default: the latest month end the accounts database holds, i.e. the
last monitoring report) through ``batch.render_client_reports``, the path of `workbench report
dossier`: one kernel, the dossier book built once. Reference, in the same process: one dossier
through the runner (``runner.run_notebook``: its own kernel and its own book), the cost of rendering
each client on its own. Prints the time of the batch, per dossier after the first, and the ratio to
the reference; writes benchmarks/results/bench_dossiers.json. Needs `make demo` first (the model and
a monitoring report); writes its dossiers to experiments/reports/dossier/<as_of>/ like the command.

    .venv/bin/python benchmarks/bench_dossiers.py [--n 100] [--as-of YYYY-MM-DD]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100, help="dossiers in the batch")
    parser.add_argument("--as-of", default="", help="month end (default: the latest stored in the accounts database)")
    args = parser.parse_args()

    import pandas as pd

    from workbench import jobs, tracking
    from workbench.accounts import AccountsStore, obligor_exposure
    from workbench.batch import client_details, render_client_reports
    from workbench.data import read_tables
    from workbench.paths import default_data_dir
    from workbench.runner import run_notebook

    spec = jobs.job("70_account_dossier")
    store = AccountsStore.open()
    stored = store.stored_as_of()
    if not stored:
        raise SystemExit("the accounts database holds no month: run `make demo` (or `workbench report monitoring`) first")
    as_of = args.as_of or f"{stored[-1]:%Y-%m-%d}"
    try:
        training = tracking.find_latest_run_anywhere("20_train_pd_model")
    except LookupError as exc:
        raise SystemExit(f"no trained PD model: {exc}; run `make demo` first") from None
    tables = read_tables(default_data_dir(), ["obligors", "facilities"], check=False)
    tiers = store.read_tiers(as_of)
    exposures = obligor_exposure(tables["facilities"], as_of)
    ranked = tiers.merge(exposures[["obligor_id", "ead"]], on="obligor_id", how="left").fillna({"ead": 0.0})
    ranked = ranked.sort_values(["tier", "ead", "obligor_id"], ascending=[True, False, True])
    chosen = ranked["obligor_id"].head(args.n).tolist()
    overrides = {"training_run_id": training, "data_dir": str(default_data_dir())}
    names = tables["obligors"].set_index("obligor_id")["name"].to_dict()
    print(f"{len(chosen)} dossiers as of {as_of} (tiers: {ranked.head(args.n)['tier'].value_counts().to_dict()})")

    started = time.perf_counter()
    result = render_client_reports(spec, as_of, chosen, spec.params_file, overrides,
                                   names={k: names.get(k, "") for k in chosen},
                                   details=client_details(tiers, exposures),
                                   progress=lambda r, k, n: print(f"  {k}/{n} {r.key} {r.seconds:.1f} s"
                                                                  + (f" FAILED {r.error}" if r.error else ""),
                                                                  flush=True) if k % 10 == 0 or k == 1 or r.error
                                   else None)
    batch_s = time.perf_counter() - started
    seconds = [r.seconds for r in result.rendered]

    started = time.perf_counter()
    single = run_notebook(spec.name, spec.params_file, {**overrides, "obligor_id": chosen[0], "as_of": as_of})
    single_s = time.perf_counter() - started

    figures = {
        "as_of": as_of, "dossiers": len(result.rendered), "failed": len(result.failed),
        "batch_seconds": batch_s, "first_dossier_seconds": seconds[0] if seconds else None,
        "median_later_dossier_seconds": float(pd.Series(seconds[1:]).median()) if len(seconds) > 1 else None,
        "reference_one_dossier_own_kernel_seconds": single_s,
        "batch_vs_one_kernel_each": (single_s * len(seconds)) / batch_s if batch_s else None,
        "target_seconds_for_100": 300, "batch_run": result.parent_run_id, "reference_run": single.run_id,
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "command": ".venv/bin/python benchmarks/bench_dossiers.py" + (f" --n {args.n}" if args.n != 100 else ""),
    }
    print(f"batch of {len(seconds)}: {batch_s:.0f} s (first {seconds[0]:.1f} s with the book, then median "
          f"{figures['median_later_dossier_seconds']:.2f} s each); {len(result.failed)} failed")
    print(f"reference: one dossier on its own kernel {single_s:.1f} s; {len(seconds)} that way "
          f"~{single_s * len(seconds):.0f} s = {figures['batch_vs_one_kernel_each']:.1f}x the batch")
    print(f"index: {result.index}")
    out = HERE / "results" / "bench_dossiers.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(figures, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
