"""Wall time and peak memory of the synthetic portfolio generator at a large size.

Run it in a fresh process (peak RSS is per process):

    .venv/bin/python benchmarks/bench_generator_scale.py [--obligors 200000] [--years 10] [--seed 0]
        [--tables behaviour,financials,...] [--out benchmarks/results/bench_generator_scale.json (default)]

Prints one JSON record: seconds per stage (as reported by the generator's progress
messages), total seconds, peak RSS in GiB and the row count of every table.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import time
from pathlib import Path

from workbench.synthetic import GeneratorSettings, generate_portfolio


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--obligors", type=int, default=200_000)
    ap.add_argument("--years", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--tables", default=None, help="comma-separated table names (default: all)")
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results" / "bench_generator_scale.json",
                    help="where the record is written as JSON")
    args = ap.parse_args()

    tables = tuple(args.tables.split(",")) if args.tables else None
    settings = GeneratorSettings(n_obligors=args.obligors, years=args.years, seed=args.seed, tables=tables)
    stages: list[tuple[str, float]] = []
    t0 = time.perf_counter()
    out = generate_portfolio(settings, progress=lambda msg: stages.append((msg, time.perf_counter() - t0)))
    total = time.perf_counter() - t0
    ends = [t for _, t in stages[1:]] + [total]
    record = {
        "benchmark": "generator_scale",
        "settings": {"obligors": args.obligors, "years": args.years, "seed": args.seed, "tables": tables},
        "machine": {"python": platform.python_version(), "processor": platform.machine(),
                    "cpus": __import__("os").cpu_count()},
        "seconds": {"total": round(total, 2),
                    **{msg: round(end - start, 2) for (msg, start), end in zip(stages, ends)}},
        "peak_rss_gib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2, 3),
        "rows": {name: len(df) for name, df in out.items()},
    }
    text = json.dumps(record, indent=2)
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
