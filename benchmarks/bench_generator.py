"""Speed and memory of the synthetic portfolio generator and the feature panel.

Prints a table and writes benchmarks/results/bench_generator.json. Times are in
seconds on this machine; to compare machines, read the ratios: each stage is
divided by a reference run in the same process (writing the same tables to Parquet,
plain pandas/pyarrow work that scales with the data size).

    .venv/bin/python benchmarks/bench_generator.py [--obligors 5000] [--years 10] [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import tempfile
import time
from pathlib import Path

from workbench.data import validate
from workbench.features import INPUT_TABLES, PanelParams, build_panel
from workbench.synthetic import GeneratorSettings, generate_portfolio


def _timed(fn, repeat: int = 1):
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--obligors", type=int, default=5000)
    ap.add_argument("--years", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()

    settings = GeneratorSettings(n_obligors=args.obligors, years=args.years, seed=args.seed)
    t_gen, tables = _timed(lambda: generate_portfolio(settings), args.repeat)
    t_validate, _ = _timed(lambda: validate(tables), args.repeat)
    t_panel, panel = _timed(lambda: build_panel({k: tables[k] for k in INPUT_TABLES}, PanelParams()), args.repeat)
    with tempfile.TemporaryDirectory() as tmp:
        def write_all() -> int:
            for name, df in tables.items():
                df.to_parquet(Path(tmp) / f"{name}.parquet", index=False)
            return sum((Path(tmp) / f"{n}.parquet").stat().st_size for n in tables)
        t_ref, size = _timed(write_all, args.repeat)
    rows = {name: len(df) for name, df in tables.items()}
    result = {
        "benchmark": "generator",
        "settings": {"obligors": args.obligors, "years": args.years, "seed": args.seed, "repeat": args.repeat},
        "machine": {"python": platform.python_version(), "processor": platform.machine(),
                    "cpus": __import__("os").cpu_count()},
        "seconds": {"generate": t_gen, "validate": t_validate, "build_panel": t_panel, "reference_parquet_write": t_ref},
        "ratio_to_reference": {"generate": t_gen / t_ref, "validate": t_validate / t_ref, "build_panel": t_panel / t_ref},
        "rows": rows, "panel_rows": len(panel), "parquet_bytes": size,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    out = Path(__file__).parent / "results" / "bench_generator.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(f"portfolio {args.obligors} obligors x {args.years} years: {sum(rows.values()):,} rows in {len(rows)} tables, "
          f"{size / 2**20:.1f} MiB Parquet")
    for stage, secs in result["seconds"].items():
        ratio = result["ratio_to_reference"].get(stage)
        print(f"  {stage:<24} {secs:7.2f} s" + (f"   x{ratio:.2f} reference" if ratio else ""))
    print(f"  peak RSS {result['peak_rss_mib']:.0f} MiB; written {out}")


if __name__ == "__main__":
    main()
