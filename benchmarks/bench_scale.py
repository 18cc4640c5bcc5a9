"""Where one machine ends: the panel, training and the EWS backfill on pandas and on a Dask LocalCluster.

For each stage and each size, a fresh child process loads a cached synthetic portfolio
(``benchmarks/.cache/``, generated once per size) and runs the stage with one engine, so that every
peak RSS is that run's own (for Dask: the driver plus every worker). Stages:

* ``panel``: ``features.build_panel`` with ``engine`` pandas or dask (obligor partitions);
* ``train``: ``models.fit_pd_model`` on the panel's training rows, tuning off and a fixed number of
  trees, with ``PDModelParams.engine`` pandas or dask (``xgboost.dask`` on the cluster);
* ``ews``: ``accounts.monthly.monitoring_book`` (snapshot of every month end -> scores -> early
  warnings), the backfill's engine room, with the snapshot partitioned like the panel under dask.

Then, per stage and engine, time and memory are fitted as a fixed cost plus a cost per statement
(``t = c + k * n``, least squares: Dask pays a large fixed cost for its cluster, scheduling and
shipping, and may pay less per statement when it has more cores than pandas uses) and the crossover,
the size where Dask's fitted time drops below pandas', is solved from the two fits. Sizes beyond the
largest measured one are an EXTRAPOLATION of those fits, and the output says so; where Dask's cost
per statement is not lower than pandas' there is no crossover on this machine. Each run is bounded to ``--timeout`` seconds (10 minutes).

Reference in the same process as each child: the naive rolling window of ``bench_features.py``
(``groupby().rolling(12).max()`` of days past due), so machines can be compared by ratio.

    .venv/bin/python benchmarks/bench_scale.py [--sizes 5000 20000 60000] [--stages panel train ews]
        [--workers 2] [--out benchmarks/results/bench_scale.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TABLES = ("obligors", "financials", "behaviour", "defaults", "macro", "questionnaires", "facilities")
ENGINES = ("pandas", "dask")
STAGES = ("panel", "train", "ews")
# The EWS book scores every obligor at every month end: its sizes are a fraction of the panel's.
EWS_SHARE = 0.2


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _portfolio(obligors: int, years: int, seed: int) -> Path:
    import hashlib

    import workbench.synthetic as synthetic
    from workbench.data import write_tables
    from workbench.synthetic import GeneratorSettings, generate_portfolio

    digest = hashlib.sha256()
    for module in sorted(Path(synthetic.__file__).parent.glob("*.py")):
        digest.update(module.read_bytes())
    path = HERE / ".cache" / f"scale-{obligors}x{years}-seed{seed}-{digest.hexdigest()[:8]}"
    if (path / "facilities.parquet").is_file():
        return path
    print(f"  generating {obligors:,} obligors x {years} years (cached in {path.name}) ...", flush=True)
    tables = generate_portfolio(GeneratorSettings(n_obligors=obligors, years=years, seed=seed, tables=TABLES))
    write_tables(tables, path)
    return path


class _Sampler:
    """Peak RSS of this process and its children (the LocalCluster's workers), sampled every 50 ms."""

    def __init__(self) -> None:
        import psutil

        self._proc = psutil.Process()
        self.peak_mib = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            total = 0
            try:
                total = self._proc.memory_info().rss
                for child in self._proc.children(recursive=True):
                    try:
                        total += child.memory_info().rss
                    except Exception:  # a worker that just exited
                        pass
            except Exception:
                pass
            self.peak_mib = max(self.peak_mib, total / 2**20)
            self._stop.wait(0.05)

    def __enter__(self) -> "_Sampler":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def _cluster(engine: str, workers: int):
    import contextlib

    if engine != "dask":
        return contextlib.nullcontext()
    from workbench.scale import dask_client

    return dask_client(None, n_workers=workers)


def child(stage: str, engine: str, path: str, workers: int) -> dict:
    """Runs in a fresh process: one stage with one engine on one cached portfolio."""
    import numpy as np

    from workbench.data import read_tables
    from workbench.features import PANEL_COLUMNS, PANEL_DTYPES, PanelParams, build_panel

    if stage == "ews":  # the book reads facilities and the full tables
        tables = read_tables(path, names=TABLES, check=False, compact=True)
    else:  # the panel's own read (bench_features.py): only its columns, compact types
        tables = read_tables(path, names=[t for t in TABLES if t != "facilities"], check=False, compact=True,
                             columns=PANEL_COLUMNS, dtypes=PANEL_DTYPES)
    out: dict = {"stage": stage, "engine": engine, "obligors": int(tables["obligors"]["obligor_id"].nunique()),
                 "statements": len(tables["financials"])}
    panel_params = PanelParams(engine=engine, dask_partitions=max(2 * workers, 8))
    with _cluster(engine, workers), _Sampler() as sampler:
        if stage == "panel":
            t0 = time.perf_counter()
            panel = build_panel(tables, panel_params)
            out["seconds"] = time.perf_counter() - t0
            out["rows"] = len(panel)
        elif stage == "train":
            from workbench.features import feature_columns
            from workbench.models import PDModelParams, fit_pd_model

            panel = build_panel(tables, PanelParams())
            part = panel[panel["split"] == "train"]
            features = [c for c in feature_columns(part) if c != "default_12m"]
            params = PDModelParams(engine=engine, n_bags=1, refit_full=False,
                                   tuning={"enabled": False}, xgb={"n_estimators": 300})
            t0 = time.perf_counter()
            model = fit_pd_model(part[features], part["default_12m"], params,
                                 time=part["obs_date"].to_numpy(), groups=part["obligor_id"].to_numpy())
            out["seconds"] = time.perf_counter() - t0
            out["rows"] = len(part)
            out["trees"] = int(model.n_trees_)
        elif stage == "ews":
            from workbench.accounts.monthly import monitoring_book
            from workbench.accounts.params import MonitoringParams
            from workbench.features import feature_columns
            from workbench.models import PDModelParams, fit_pd_model

            # A small fixed model: the stage under test is the book, not the fit.
            panel = build_panel(tables, PanelParams())
            part = panel[panel["split"] == "train"].sample(n=min(20_000, (panel["split"] == "train").sum()),
                                                          random_state=0)
            features = [c for c in feature_columns(part) if c != "default_12m"]
            model = fit_pd_model(part[features], part["default_12m"],
                                 PDModelParams(n_bags=1, tuning={"enabled": False},
                                               xgb={"n_estimators": 100}))
            del panel, part
            params = MonitoringParams(panel=panel_params)
            t0 = time.perf_counter()
            book = monitoring_book(tables, model, params)
            out["seconds"] = time.perf_counter() - t0
            out["rows"] = len(book.scored)
            out["months"] = len(book.months)
        else:
            raise SystemExit(f"unknown stage {stage!r}")
    out["peak_rss_mib"] = max(sampler.peak_mib, _rss_mib())
    beh = tables["behaviour"]
    t0 = time.perf_counter()
    beh.groupby("obligor_id", sort=False)["days_past_due"].rolling(12, min_periods=1).max()
    out["reference_s"] = time.perf_counter() - t0
    out["ratio_to_reference"] = out["seconds"] / out["reference_s"]
    del np
    return out


def affine_fit(sizes: list[float], values: list[float]) -> tuple[float, float] | None:
    """(c, k) of ``value = c + k * size`` by least squares: a fixed cost (process start, a cluster's
    scheduling and shipping) plus a cost per statement; None below two distinct sizes."""
    pts = [(float(s), float(v)) for s, v in zip(sizes, values)]
    if len({p[0] for p in pts}) < 2:
        return None
    mx = sum(p[0] for p in pts) / len(pts)
    my = sum(p[1] for p in pts) / len(pts)
    k = sum((p[0] - mx) * (p[1] - my) for p in pts) / sum((p[0] - mx) ** 2 for p in pts)
    return my - k * mx, k


def crossover(pandas_fit: tuple[float, float] | None, dask_fit: tuple[float, float] | None) -> float | None:
    """Size where the fitted Dask time equals pandas' and stays below it after; None when it never does
    (Dask's cost per statement is not lower) or when Dask is already faster at every size."""
    if not pandas_fit or not dask_fit:
        return None
    (cp, kp), (cd, kd) = pandas_fit, dask_fit
    if kp <= kd:
        return None
    return max(0.0, (cd - cp) / (kp - kd))


def summarise(runs: list[dict], size_key: str = "statements") -> dict:
    """Per stage: fits of time and memory per engine, and the crossover (measured or extrapolated)."""
    out = {}
    for stage in STAGES:
        per = {e: [r for r in runs if r["stage"] == stage and r["engine"] == e and "seconds" in r] for e in ENGINES}
        if not any(per.values()):
            continue
        fits = {e: {"time": affine_fit([r[size_key] for r in rs], [r["seconds"] for r in rs]),
                    "memory": affine_fit([r[size_key] for r in rs], [r["peak_rss_mib"] for r in rs])}
                for e, rs in per.items()}
        n_star = crossover(fits["pandas"]["time"], fits["dask"]["time"])
        largest = max((r[size_key] for rs in per.values() for r in rs), default=0)
        entry = {"model": "seconds = c + k * statements (least squares over the sizes measured)",
                 "fits": {e: {k: (None if v is None else {"c": v[0], "k": v[1]}) for k, v in f.items()}
                          for e, f in fits.items()},
                 "crossover_statements": n_star,
                 "crossover_is": None if n_star is None else ("measured range" if n_star <= largest
                                                              else "extrapolated beyond the largest size measured"),
                 "largest_measured_statements": largest}
        if n_star is not None:
            for e in ENGINES:
                mem = fits[e]["memory"]
                entry[f"{e}_memory_at_crossover_mib"] = None if mem is None else mem[0] + mem[1] * n_star
        out[stage] = entry
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[5_000, 20_000, 60_000], help="obligors per portfolio")
    ap.add_argument("--years", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--stages", nargs="+", default=list(STAGES), choices=STAGES)
    ap.add_argument("--engines", nargs="+", default=list(ENGINES), choices=ENGINES)
    ap.add_argument("--workers", type=int, default=2, help="LocalCluster workers (one thread each)")
    ap.add_argument("--timeout", type=float, default=600, help="seconds allowed per run")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "bench_scale.json")
    ap.add_argument("--child", nargs=4, metavar=("STAGE", "ENGINE", "PATH", "WORKERS"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        stage, engine, path, workers = args.child
        print(json.dumps(child(stage, engine, path, int(workers))))
        return

    runs: list[dict] = []
    for stage in args.stages:
        sizes = sorted({max(500, int(s * EWS_SHARE)) for s in args.sizes}) if stage == "ews" else args.sizes
        for size in sizes:
            path = _portfolio(size, args.years, args.seed)
            for engine in args.engines:
                print(f"{stage:>5} {engine:>6} {size:>8,} obligors ...", end=" ", flush=True)
                t0 = time.perf_counter()
                try:
                    proc = subprocess.run([sys.executable, __file__, "--child", stage, engine, str(path),
                                           str(args.workers)], capture_output=True, text=True, check=False,
                                          timeout=args.timeout)
                except subprocess.TimeoutExpired:
                    print(f"over {args.timeout:.0f}s: stopped")
                    runs.append({"stage": stage, "engine": engine, "obligors": size, "timed_out": args.timeout})
                    continue
                if proc.returncode != 0:
                    print("FAILED")
                    print(proc.stderr[-3000:], file=sys.stderr)
                    raise SystemExit(f"{stage} with {engine} on {size:,} obligors failed")
                run = json.loads(proc.stdout.strip().splitlines()[-1])
                run["wall_s_with_start"] = time.perf_counter() - t0
                runs.append(run)
                print(f"{run['seconds']:7.1f}s  peak {run['peak_rss_mib'] / 1024:5.2f} GiB  "
                      f"({run['statements']:,} statements, {run['rows']:,} rows)", flush=True)
    summary = summarise(runs)
    result = {
        "benchmark": "scale",
        "settings": {"sizes": args.sizes, "years": args.years, "seed": args.seed, "workers": args.workers,
                     "stages": args.stages, "engines": args.engines, "ews_share": EWS_SHARE},
        "machine": {"python": platform.python_version(), "processor": platform.machine(), "cpus": os.cpu_count()},
        "runs": runs,
        "summary": summary,
    }
    args.out.parent.mkdir(exist_ok=True)
    tmp = args.out.with_suffix(".tmp")
    tmp.write_text(json.dumps(result, indent=2))
    tmp.replace(args.out)
    print()
    for stage, s in summary.items():
        fits = s["fits"]
        growth = "  ".join(f"{e}: {fits[e]['time']['c']:.1f} s + {fits[e]['time']['k'] * 1e6:.1f} s per million "
                           "statements" for e in ENGINES if fits[e]["time"])
        if s["crossover_statements"] is None:
            verdict = "Dask does not overtake pandas on this machine (its time grows at least as fast)"
        else:
            verdict = (f"Dask overtakes at about {s['crossover_statements']:,.0f} statements "
                       f"({s['crossover_is']})")
        print(f"{stage:>5}: {growth}.  {verdict}")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
