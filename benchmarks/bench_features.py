"""Speed and memory of the feature panel at scale, with pandas and with a Dask LocalCluster.

Generates (once, cached under benchmarks/.cache/, in a child process) a synthetic portfolio of
--obligors x --years, warms the compiled kernels up on a tiny panel (their first use in a checkout
compiles them into numba's cache: its seconds are recorded as ``warm_up_s``, not in the build),
then builds the panel in a fresh child process per engine so that each peak RSS is that engine's
own. Per stage (loading, then the engine's own stages as it marks them
with ``workbench.features.stages``: obligor rows, peers, finalise for pandas) the child records
wall time, CPU time (user + system, all threads) and peak RSS: RSS sampled every 2 ms by a
thread, and the process's ``ru_maxrss`` where it rose during the stage, so the stage that set
the process peak reports it exactly. Prints a table and writes
benchmarks/results/bench_features.json.

Each timing is also given as a ratio to a reference run in the same process: one
naive per-obligor rolling window (``groupby().rolling(12).max()`` of days past
due), the textbook way to compute a single behaviour feature.

    .venv/bin/python benchmarks/bench_features.py [--obligors 275000] [--years 10] [--engines pandas dask]

The default, 275,000 obligors x 10 years, gives about 2M statements and 25M behaviour
months: in this portfolio an obligor has about 7 usable statements in 10 years (new
clients arrive over the decade, defaulters leave), so the 200,000 obligors that would
give 2M statements at one statement a year give 1.45M here. Tables are loaded with
compact dtypes, the panel's own compact types and only the columns the panel reads
(``read_tables(compact=True, columns=PANEL_COLUMNS, dtypes=PANEL_DTYPES)``).

Wall times depend on what else runs on the machine; CPU times (user + system of the child
process) much less so: compare both.
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
TABLES = ("obligors", "financials", "behaviour", "defaults", "macro", "questionnaires")


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _sys_s() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_stime


class Stages:
    """Wall time, CPU time and peak RSS of consecutive named stages of this process.

    ``mark(name)`` ends the running stage and starts ``name`` (None: no new stage). A thread samples
    the resident set from /proc/self/statm every ``interval`` seconds; a stage during which the
    process's ``ru_maxrss`` rose reports at least that, so a peak between two samples is not lost.
    """

    def __init__(self, interval: float = 0.002) -> None:
        self.rows: list[dict] = []
        self._interval = interval
        self._page = os.sysconf("SC_PAGE_SIZE")
        self._name: str | None = None
        self._peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _rss(self) -> int:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * self._page

    def _sample(self) -> None:
        while not self._stop.is_set():
            self._peak = max(self._peak, self._rss())
            self._stop.wait(self._interval)

    def mark(self, name: str | None) -> None:
        now, cpu, sys_, maxrss, rss = time.perf_counter(), _cpu_s(), _sys_s(), _peak_rss_mib(), self._rss()
        if self._name is not None:
            peak = max(self._peak, rss) / 2**20
            if maxrss > self._maxrss_start:
                peak = max(peak, maxrss)
            self.rows.append({"stage": self._name, "wall_s": now - self._t0, "cpu_s": cpu - self._cpu0,
                              "sys_s": sys_ - self._sys0, "peak_rss_mib": peak, "rss_end_mib": rss / 2**20})
        self._name, self._t0, self._cpu0, self._sys0 = name, now, cpu, sys_
        self._maxrss_start, self._peak = maxrss, rss

    def __enter__(self) -> "Stages":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.mark(None)
        self._stop.set()
        self._thread.join()


def _cache_path(obligors: int, years: int, seed: int) -> Path:
    import hashlib

    import workbench.synthetic as synthetic

    # The cache is only valid for the generator that wrote it (every module of the package).
    digest = hashlib.sha256()
    for module in sorted(Path(synthetic.__file__).parent.glob("*.py")):
        digest.update(module.read_bytes())
    return HERE / ".cache" / f"portfolio-{obligors}x{years}-seed{seed}-{digest.hexdigest()[:8]}"


def _portfolio(obligors: int, years: int, seed: int) -> Path:
    from workbench.data import write_tables
    from workbench.synthetic import GeneratorSettings, generate_portfolio

    path = _cache_path(obligors, years, seed)
    if (path / "financials.parquet").is_file():
        return path
    print(f"generating {obligors:,} obligors x {years} years (cached in {path}) ...", flush=True)
    t0 = time.perf_counter()
    tables = generate_portfolio(GeneratorSettings(n_obligors=obligors, years=years, seed=seed, tables=TABLES))
    write_tables(tables, path)
    print(f"  generated and written in {time.perf_counter() - t0:.0f}s", flush=True)
    return path


def warm_up() -> float:
    """Seconds to build the panel of a tiny portfolio: the compiled kernels' first use in this
    checkout (compiled, then loaded from numba's cache), kept out of the timed build."""
    from workbench.features import PanelParams, build_panel
    from workbench.synthetic import GeneratorSettings, generate_portfolio

    tables = generate_portfolio(GeneratorSettings(n_obligors=300, years=4, seed=1, tables=TABLES))
    t0 = time.perf_counter()
    build_panel(tables, PanelParams())
    return time.perf_counter() - t0


def _run_child(*args: str) -> str:
    """Run this script in a fresh process and return the last line it prints.

    Heavy steps run in children so that each peak RSS is its own: a process started by another
    reports at least its parent's peak as ``ru_maxrss`` (Linux keeps it across exec)."""
    proc = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        print(proc.stderr[-3000:], file=sys.stderr)
        raise SystemExit(f"{' '.join(args[:2])} failed")
    return proc.stdout.strip().splitlines()[-1]


def child(path: str, engine: str, workers: int) -> dict:
    """Runs in a fresh process: load, build, report seconds, CPU seconds and peak RSS, per stage too."""
    from workbench.data import read_tables
    from workbench.features import PANEL_COLUMNS, PANEL_DTYPES, PanelParams, build_panel
    from workbench.features.stages import listening

    params = PanelParams(engine=engine, dask_partitions=max(2 * workers, 8))
    result: dict = {"engine": engine}
    with Stages() as stages:
        stages.mark("loading")
        t0, c0 = time.perf_counter(), _cpu_s()
        tables = read_tables(path, names=TABLES, check=False, compact=True, columns=PANEL_COLUMNS, dtypes=PANEL_DTYPES)
        result.update(load_s=time.perf_counter() - t0, load_cpu_s=_cpu_s() - c0, rss_after_load_mib=_peak_rss_mib(),
                      statements=len(tables["financials"]), behaviour_rows=len(tables["behaviour"]))
        if engine == "dask":
            from distributed import Client, LocalCluster

            stages.mark("cluster start")
            with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                              memory_limit=0) as cluster, Client(cluster) as client:
                t0, c0 = time.perf_counter(), _cpu_s()
                with listening(stages.mark):
                    panel = build_panel(tables, params)
                result.update(build_s=time.perf_counter() - t0, build_cpu_s=_cpu_s() - c0)
                worker_rss = client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
                result["worker_peak_rss_mib"] = sorted(worker_rss.values())
        else:
            t0, c0 = time.perf_counter(), _cpu_s()
            with listening(stages.mark):
                panel = build_panel(tables, params)
            result.update(build_s=time.perf_counter() - t0, build_cpu_s=_cpu_s() - c0)
    result["stages"] = stages.rows
    result["peak_rss_mib"] = _peak_rss_mib()  # before the reference below, which has its own appetite
    result["panel_rows"], result["panel_columns"] = panel.shape
    result["statements_per_s"] = result["statements"] / result["build_s"]
    # Reference in the same process: one naive rolling behaviour feature.
    beh = tables["behaviour"]
    t0, c0 = time.perf_counter(), _cpu_s()
    beh.groupby("obligor_id", sort=False)["days_past_due"].rolling(12, min_periods=1).max()
    result["reference_s"], result["reference_cpu_s"] = time.perf_counter() - t0, _cpu_s() - c0
    result["ratio_to_reference"] = result["build_s"] / result["reference_s"]
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--obligors", type=int, default=275_000)
    ap.add_argument("--years", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--engines", nargs="+", default=["pandas", "dask"], choices=["pandas", "dask"])
    ap.add_argument("--workers", type=int, default=2, help="Dask LocalCluster workers")
    ap.add_argument("--child", nargs=3, metavar=("PATH", "ENGINE", "WORKERS"), help=argparse.SUPPRESS)
    ap.add_argument("--generate", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--warm-up", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.child[0], args.child[1], int(args.child[2]))))
        return
    if args.generate:
        _portfolio(args.obligors, args.years, args.seed)
        return
    if args.warm_up:
        print(json.dumps(warm_up()))
        return

    path = _cache_path(args.obligors, args.years, args.seed)
    if not (path / "financials.parquet").is_file():  # generated in a child of its own, progress shown
        subprocess.run([sys.executable, __file__, "--generate", "--obligors", str(args.obligors),
                        "--years", str(args.years), "--seed", str(args.seed)], check=True)
    warm_up_s = json.loads(_run_child("--warm-up"))
    print(f"kernels warmed up on a tiny panel in {warm_up_s:.1f}s", flush=True)
    runs = []
    for engine in args.engines:
        print(f"building the panel with {engine} ...", flush=True)
        runs.append(json.loads(_run_child("--child", str(path), engine, str(args.workers))))
    result = {
        "benchmark": "features",
        "settings": {"obligors": args.obligors, "years": args.years, "seed": args.seed, "workers": args.workers},
        # Issue 18's targets for the pandas panel at 2.0M statements, on 2 cores.
        "targets": {"pandas_build_s": 10.0, "pandas_peak_gib": 2.5},
        "warm_up_s": warm_up_s,
        "machine": {"python": platform.python_version(), "processor": platform.machine(), "cpus": os.cpu_count()},
        "runs": runs,
    }
    out = HERE / "results" / "bench_features.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(f"{runs[0]['statements']:,} statements, {runs[0]['behaviour_rows']:,} behaviour months "
          f"-> {runs[0]['panel_rows']:,} panel rows x {runs[0]['panel_columns']} columns")
    for r in runs:
        extra = f", workers peak {r['worker_peak_rss_mib']} MiB" if "worker_peak_rss_mib" in r else ""
        print(f"  {r['engine']:<7} build {r['build_s']:6.1f}s (CPU {r['build_cpu_s']:.1f}s; "
              f"{r['statements_per_s']:,.0f} statements/s, x{r['ratio_to_reference']:.1f} the naive rolling "
              f"reference), load {r['load_s']:.1f}s (CPU {r['load_cpu_s']:.1f}s), "
              f"peak RSS {r['peak_rss_mib']:,.0f} MiB{extra}")
        print(f"    {'stage':<18}{'wall s':>8}{'CPU s':>8}{'of sys':>8}{'peak MiB':>10}{'end MiB':>9}")
        for st in r["stages"]:
            print(f"    {st['stage']:<18}{st['wall_s']:8.1f}{st['cpu_s']:8.1f}{st['sys_s']:8.1f}"
                  f"{st['peak_rss_mib']:10,.0f}{st['rss_end_mib']:9,.0f}")
    print(f"written {out}")


if __name__ == "__main__":
    main()
