"""Collect the benchmarks' JSON results into one dated record and the committed summary ``benchmarks/RESULTS.md``.

The last step of ``make bench``, after every ``benchmarks/bench_*.py`` has written its
``benchmarks/results/<bench name>.json``:

1. reads every ``bench_*.json`` present in the results directory; a ``bench_*.py`` without one is "not run";
2. writes ``benchmarks/results/<YYYY-MM-DD>.json`` (today, or ``--date``): the date, this machine (Python,
   processor, CPUs, memory, platform) and every benchmark's whole JSON with the file's modification time
   as ``measured_at`` (UTC);
3. writes ``benchmarks/RESULTS.md``: one table with a row per benchmark (what it measures: the first line
   of the script's docstring; a few headline figures; when it was measured), then a short section per
   benchmark that has several runs (per-stage crossover, engines, models, seeds ...).

Both files are written atomically (a temp file beside the target, then ``os.replace``). The headline figures
come from one small extractor per benchmark (``HEADLINES``), written against the keys each script writes.
They are tolerant: a missing key leaves that figure out; an extractor that raises turns the row into
"unreadable: <error>" and the summary goes on. Standard library only, so it runs without the project's
dependencies.

    python benchmarks/summarise.py [--date YYYY-MM-DD] [--results benchmarks/results]
                                   [--out-md benchmarks/RESULTS.md] [--benchmarks-dir benchmarks]
"""

from __future__ import annotations

import argparse
import ast
import datetime as dt
import json
import math
import os
import platform
import re
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

Figures = list[tuple[str, str]]


# ------------------------------------------------------------------ tolerant access and formatting
def dig(data: Any, *keys: Any) -> Any:
    """``data[k1][k2]...``, or None as soon as a key is missing or a level is not a dict / list."""
    for key in keys:
        if isinstance(data, dict):
            data = data.get(key)
        elif isinstance(data, list) and isinstance(key, int) and -len(data) <= key < len(data):
            data = data[key]
        else:
            return None
    return data


def num(x: Any) -> float | None:
    """A finite number (not a bool), else None."""
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return None
    return float(x) if math.isfinite(x) else None


def secs(x: Any) -> str | None:
    """Seconds with one decimal (two significant digits below 0.1 s, so that they do not read 0.0)."""
    v = num(x)
    if v is None:
        return None
    return f"{v:.2g} s" if 0 < abs(v) < 0.1 else f"{v:,.1f} s"


def gib(x: Any) -> str | None:
    v = num(x)
    return None if v is None else f"{v:.2f} GiB"


def gib_from_mib(x: Any) -> str | None:
    v = num(x)
    return None if v is None else gib(v / 1024)


def auc(x: Any) -> str | None:
    v = num(x)
    return None if v is None else f"{v:.4f}"


def ratio(x: Any) -> str | None:
    v = num(x)
    return None if v is None else f"{v:,.2f}x"


def pct(x: Any) -> str | None:
    v = num(x)
    return None if v is None else f"{100 * v:.1f} %"


def count(x: Any) -> str | None:
    v = num(x)
    return None if v is None else f"{v:,.0f}"


def sci(x: Any) -> str | None:
    v = num(x)
    return None if v is None else f"{v:.1e}"


def eur_m(x: Any) -> str | None:
    v = num(x)
    return None if v is None else f"{v:,.0f}"


def yes_no(x: Any) -> str | None:
    return None if not isinstance(x, bool) else ("yes" if x else "no")


def both(fmt: str, *parts: str | None) -> str | None:
    """``fmt.format(*parts)``, or None when any part is missing."""
    return None if any(p is None for p in parts) else fmt.format(*parts)


def with_target(value: str | None, target: Any) -> str | None:
    """``"19.8 s (target 60 s)"``; the value alone without a target."""
    t = num(target)
    return value if value is None or t is None else f"{value} (target {t:g} s)"


def figs(*pairs: tuple[str, str | None]) -> Figures:
    """The (label, value) pairs whose value is known."""
    return [(label, value) for label, value in pairs if value is not None]


def size_label(obligors: Any, years: Any) -> str | None:
    o, y = num(obligors), num(years)
    return None if o is None else f"{o:,.0f} obligors" + ("" if y is None else f" x {y:.0f} years")


def obj(data: Any) -> dict:
    """``data`` if it is a dict, else an empty one (so that ``.get`` never fails on a surprise type)."""
    return data if isinstance(data, dict) else {}


def _items(data: Any) -> list[tuple[str, Any]]:
    return list(data.items()) if isinstance(data, dict) else []


def _dicts(data: Any) -> list[dict]:
    return [r for r in data if isinstance(r, dict)] if isinstance(data, list) else []


# ------------------------------------------------------------------ headline extractors, one per benchmark
def h_byod(r: dict) -> Figures:
    quick = " (quick)" if dig(r, "protocol", "quick") else ""
    out = figs(("splits per table", both("{}" + quick, count(dig(r, "protocol", "splits")))))
    for table, t in _items(r.get("tables")):
        summary = obj(dig(t, "summary"))
        worse = [m for m, v in _items(summary.get("vs_default")) if dig(v, "verdict") == "worse"]
        ok = dig(summary, "verdict", "not_significantly_worse_than_all")
        verdict = (f"worse than {', '.join(worse)}" if worse else "not worse than any" if ok is True else None)
        value = auc(dig(summary, "models", "default", "auc_mean"))
        out += figs((f"{table} default AUC", value if verdict is None or value is None else f"{value}, {verdict}"))
    return out


def h_dossiers(r: dict) -> Figures:
    n, failed = num(r.get("dossiers")), num(r.get("failed"))
    batch = secs(r.get("batch_seconds"))
    return figs((f"{count(n) or '?'} dossiers on one kernel",
                 with_target(batch, r.get("target_seconds_for_100")) if n == 100 else batch),
                ("first", secs(r.get("first_dossier_seconds"))),
                ("then median", secs(r.get("median_later_dossier_seconds"))),
                ("one on its own kernel", secs(r.get("reference_one_dossier_own_kernel_seconds"))),
                ("own kernel each / batch", ratio(r.get("batch_vs_one_kernel_each"))),
                ("failed", count(failed) if failed else None))


def h_ews(r: dict) -> Figures:
    oot = obj(dig(r, "effectiveness", "out_of_time"))
    return figs(
        (" ".join(filter(None, ("all", count(dig(r, "portfolio", "month_ends")), "month ends"))),
         with_target(secs(dig(r, "seconds", "all_month_ends", "total")), dig(r, "targets_s", "all_month_ends"))),
        ("one as-of", with_target(secs(dig(r, "seconds", "one_as_of", "total")), dig(r, "targets_s", "one_as_of"))),
        ("out-of-time hit rate 6m before, red + amber",
         both("{} vs grade alone {}", pct(dig(oot, "ews", "red_amber", "hit_rate_6m")),
              pct(dig(oot, "grade_only", "red_amber", "hit_rate_6m")))),
        ("EWS beats the grade alone at 6m (red and red + amber)", yes_no(oot.get("beats_grade_at_6m"))))


def h_features(r: dict) -> Figures:
    runs = _dicts(r.get("runs"))
    out = figs(("size", size_label(dig(r, "settings", "obligors"), dig(r, "settings", "years"))),
               ("statements", count(dig(runs, 0, "statements"))))
    for run in runs:
        engine = run.get("engine", "?")
        peak = gib_from_mib(run.get("peak_rss_mib"))
        workers = run.get("worker_peak_rss_mib")
        workers = [g for g in (gib_from_mib(w) for w in workers) if g] if isinstance(workers, list) else []
        build = secs(run.get("build_s"))
        notes = []
        if engine == "pandas":  # the targets are the pandas panel's
            build = with_target(build, dig(r, "targets", "pandas_build_s"))
            target_gib = num(dig(r, "targets", "pandas_peak_gib"))
            notes += [] if target_gib is None else [f"target {target_gib:g} GiB"]
        where = _peak_stage(run)
        notes += [f"in {where}"] if where else []
        if peak and notes:
            peak = f"{peak} ({'; '.join(notes)})"
        if peak and workers:
            peak = f"{peak} driver, workers {' / '.join(w.removesuffix(' GiB') for w in workers)} GiB"
        out += figs((f"{engine} panel", build), (f"{engine} peak", peak))
    return out


def h_generator(r: dict) -> Figures:
    s = obj(r.get("seconds"))
    return figs(("size", size_label(dig(r, "settings", "obligors"), dig(r, "settings", "years"))),
                ("generate", secs(s.get("generate"))), ("validate", secs(s.get("validate"))),
                ("panel", secs(s.get("build_panel"))), ("peak", gib_from_mib(r.get("peak_rss_mib"))))


def h_generator_scale(r: dict) -> Figures:
    rows = [num(v) for _, v in _items(r.get("rows"))]
    return figs(("size", size_label(dig(r, "settings", "obligors"), dig(r, "settings", "years"))),
                ("total", secs(dig(r, "seconds", "total"))), ("peak", gib(r.get("peak_rss_gib"))),
                ("rows", count(sum(rows)) if rows and None not in rows else None))


def h_portfolio(r: dict) -> Figures:
    n = num(dig(r, "numba", "scenarios"))
    full = next((c for c in _dicts(r.get("convergence")) if n is not None and c.get("scenarios") == n), {})
    return figs(
        ("obligors x scenarios", both("{} x {}", count(dig(r, "book", "obligors")), count(n))),
        ("numba", with_target(secs(dig(r, "numba", "seconds")), dig(r, "numba", "target_seconds"))),
        ("numpy scaled", secs(dig(r, "numpy_reference", "seconds_scaled_to_numba_scenarios"))),
        ("speed-up", ratio(dig(r, "numpy_reference", "speedup_numba_vs_numpy"))),
        ("peak", gib_from_mib(dig(r, "memory", "peak_rss_mib"))),
        ("VaR 99.9 %", both("{} ± {} EUR m", eur_m(full.get("var_999")), eur_m(full.get("var_999_se")))))


def h_pricing(r: dict) -> Figures:
    return figs(("facilities", count(dig(r, "settings", "rows"))),
                ("vectorised", with_target(secs(dig(r, "vectorised_s", "total")), r.get("target_s"))),
                ("per-row loop, scaled", secs(r.get("loop_scaled_s"))), ("speed-up", ratio(r.get("speed_ratio"))),
                ("loop = vectorised to 1e-12", yes_no(r.get("max_abs_diff_ok"))))


def h_reproducibility(r: dict) -> Figures:
    burners = count(r.get("burners"))
    return figs(("idle", secs(dig(r, "idle", "seconds"))),
                (f"loaded ({burners or '?'} CPU burners)", secs(dig(r, "loaded", "seconds"))),
                ("slowdown", ratio(r.get("slowdown"))), ("identical models", yes_no(r.get("identical"))),
                ("OOT AUC", auc(dig(r, "idle", "oot_auc"))))


def h_shap(r: dict) -> Figures:
    engine = r.get("ours_engine")
    return figs(("rows", count(r.get("rows"))),
                ("ours" + (f" ({engine})" if isinstance(engine, str) else ""), secs(r.get("ours_s"))),
                ("shap.TreeExplainer", secs(r.get("reference_s"))), ("speed-up", ratio(r.get("speed_ratio"))),
                ("max abs diff", sci(r.get("max_abs_diff"))))


def h_train(r: dict) -> Figures:
    s = obj(r.get("synthetic"))
    return figs(("OOT AUC", auc(s.get("oot_auc"))), ("oracle AUC", auc(s.get("oracle_oot_auc"))),
                ("AUC / oracle", auc(s.get("ratio_to_oracle"))),
                ("mean over seeds", auc(dig(r, "ratio_to_oracle_over_seeds", "mean"))),
                ("LightGBM same budget", auc(dig(s, "lightgbm_same_budget", "oot_auc"))),
                ("tune + fit", secs(s.get("tune_and_fit_s"))),
                ("Polish mean AUC", auc(dig(r, "polish", "auc_mean"))))


def _variant_means(r: dict) -> dict[str, float]:
    per: dict[str, list[float]] = {}
    for run in _dicts(r.get("runs")):
        v = num(run.get("ratio_to_oracle"))
        if v is not None and isinstance(run.get("variant"), str):
            per.setdefault(run["variant"], []).append(v)
    return {k: sum(v) / len(v) for k, v in per.items()}


def h_train_variants(r: dict) -> Figures:
    means = _variant_means(r)
    seeds = {num(run.get("seed")) for run in _dicts(r.get("runs"))} - {None}
    others = {k: v for k, v in means.items() if k != "as_shipped"}
    best = max(others, key=others.get) if others else None
    return figs(("seeds", count(len(seeds)) if seeds else None),
                ("as_shipped mean AUC / oracle", auc(means.get("as_shipped"))),
                (f"best other ({best})", auc(others.get(best)) if best else None))


def _crossover_text(s: dict) -> str | None:
    if not isinstance(s, dict) or "crossover_statements" not in s:
        return None
    n = num(s.get("crossover_statements"))
    if n is None:
        return "Dask never overtakes pandas on this machine"
    where = str(s.get("crossover_is") or "")
    return f"Dask faster from ~{n:,.0f} statements" + (" (extrapolated)" if where.startswith("extrapolated") else
                                                         " (measured range)" if where else "")


def h_scale(r: dict) -> Figures:
    sizes = [count(x) for x in dig(r, "settings", "sizes")] if isinstance(dig(r, "settings", "sizes"), list) else []
    out = figs(("sizes", both("{} obligors", ", ".join(x for x in sizes if x) or None)))
    for stage, s in _items(r.get("summary")):
        out += figs((str(stage), _crossover_text(s)))
    timed_out = [x for x in _dicts(r.get("runs")) if "timed_out" in x]
    return out + figs(("runs timed out", count(len(timed_out)) if timed_out else None))


HEADLINES: dict[str, Callable[[dict], Figures]] = {
    "bench_byod": h_byod,
    "bench_dossiers": h_dossiers,
    "bench_ews": h_ews,
    "bench_features": h_features,
    "bench_generator": h_generator,
    "bench_generator_scale": h_generator_scale,
    "bench_portfolio": h_portfolio,
    "bench_pricing": h_pricing,
    "bench_reproducibility": h_reproducibility,
    "bench_scale": h_scale,
    "bench_shap": h_shap,
    "bench_train": h_train,
    "bench_train_variants": h_train_variants,
}


# ------------------------------------------------------------------ secondary tables (benchmarks with several runs)
Section = tuple[list[str], list[list[str | None]], list[str]]  # columns, rows, notes under the table


def s_byod(r: dict) -> Section:
    rows = []
    for table, t in _items(r.get("tables")):
        summary = obj(dig(t, "summary"))
        for model, m in _items(summary.get("models")):
            v = obj(dig(summary, "vs_default", model))
            ci = v.get("ci95_corrected")
            rows.append([table, model, auc(dig(m, "auc_mean")), auc(dig(m, "auc_sd")), secs(dig(m, "fit_s_median")),
                         None if num(v.get("mean")) is None else f"{v['mean']:+.4f}",
                         both("{} to {}", *(f"{x:+.4f}" if num(x) is not None else None for x in ci))
                         if isinstance(ci, list) and len(ci) == 2 else None,
                         v.get("verdict") if isinstance(v.get("verdict"), str) else None])
    return (["table", "model", "AUC mean", "AUC sd", "fit (median)", "d = default - model", "95 % corrected",
             "verdict"], rows, [])


def s_ews(r: dict) -> Section:
    oot = obj(dig(r, "effectiveness", "out_of_time"))
    leads = sorted({int(m.group(1)) for _, variants in _items(oot) for _, rec in _items(variants)
                    for k in (rec if isinstance(rec, dict) else {}) if (m := re.fullmatch(r"hit_rate_(\d+)m", k))})
    rows = []
    variants = [v for v, _ in _items(oot.get("ews"))] + [v for v, _ in _items(oot.get("grade_only"))
                                                          if v not in obj(oot.get("ews"))]
    for variant in variants:
        for source, name in (("ews", "EWS"), ("grade_only", "grade alone, same volume:")):
            rec = dig(oot, source, variant)
            if not isinstance(rec, dict):
                continue
            cells = []
            for L in leads:
                lo, hi = pct(rec.get(f"hit_rate_{L}m_low")), pct(rec.get(f"hit_rate_{L}m_high"))
                point = pct(rec.get(f"hit_rate_{L}m"))
                cells.append(point if point is None or lo is None or hi is None else f"{point} ({lo[:-2]}-{hi})")
            lead = num(rec.get("median_lead_months"))
            rows.append([f"{name} {str(variant).replace('_', ' + ')}", *cells,
                         None if lead is None else f"{lead:g} months", pct(rec.get("false_alarm_rate")),
                         count(rec.get("alerts_per_month"))])
    notes = []
    months, conf = oot.get("months"), num(dig(r, "effectiveness", "params", "confidence"))
    if isinstance(months, list) and len(months) == 2:
        notes.append(f"Out-of-time month ends {months[0]} to {months[1]}"
                     + (f"; {100 * conf:g} % bootstrap intervals over obligors." if conf else "."))
    stages = [(k, secs(v)) for k, v in _items(dig(r, "seconds", "all_month_ends")) if k != "total"]
    if stages:
        notes.append("All month ends, seconds per stage: " + ", ".join(f"{k} {v}" for k, v in stages if v) + ".")
    return (["alerts", *(f"hit rate >= {L}m before" for L in leads), "median lead", "false alarms",
             "alerts / month"], rows, notes)


def s_features(r: dict) -> list[Section]:
    """Per engine, then (when the JSON has them) per stage of each engine's run."""
    runs = _dicts(r.get("runs"))
    rows = []
    for run in runs:
        workers = run.get("worker_peak_rss_mib")
        workers = ", ".join(g for g in (gib_from_mib(w) for w in workers) if g) if isinstance(workers, list) else None
        rows.append([run.get("engine"), count(run.get("statements")), secs(run.get("load_s")),
                     secs(run.get("load_cpu_s")), secs(run.get("build_s")), secs(run.get("build_cpu_s")),
                     count(run.get("statements_per_s")), gib_from_mib(run.get("peak_rss_mib")), workers or None,
                     ratio(run.get("ratio_to_reference"))])
    columns = ["engine", "statements", "load", "load CPU", "build", "build CPU", "statements / s", "peak RSS",
               "workers' peak RSS", "x reference"]
    engines = _drop_empty_columns(columns, rows)
    stage_rows = [[run.get("engine"), st.get("stage"), secs(st.get("wall_s")), secs(st.get("cpu_s")),
                   gib_from_mib(st.get("peak_rss_mib")), gib_from_mib(st.get("rss_end_mib"))]
                  for run in runs for st in _dicts(run.get("stages"))]
    if not stage_rows:
        return [engines]
    stages = _drop_empty_columns(["engine", "stage", "wall", "CPU (all threads)", "peak RSS", "RSS at the end"],
                                 stage_rows)
    note = "Per stage of each engine's child process"
    if any(run.get("engine") == "dask" for run in runs):
        note += " (for Dask: the driver's; the workers' peaks are in the engines' table)"
    return [engines, (stages[0], stages[1], [note + "."])]


def _drop_empty_columns(columns: list[str], rows: list[list[str | None]]) -> Section:
    """The table without the columns no row fills (the keys an older JSON lacks, say)."""
    keep = [i for i in range(len(columns)) if any(i < len(row) and row[i] is not None for row in rows)]
    return [columns[i] for i in keep], [[row[i] for i in keep] for row in rows], []


def _peak_stage(run: dict) -> str | None:
    """The stage of a bench_features run with the highest peak RSS."""
    stages = [st for st in _dicts(run.get("stages")) if num(st.get("peak_rss_mib")) is not None]
    return str(max(stages, key=lambda st: st["peak_rss_mib"]).get("stage")) if stages else None


def s_portfolio(r: dict) -> Section:
    rows = []
    for c in _dicts(r.get("convergence")):
        rows.append([count(c.get("scenarios")), both("{} ± {}", eur_m(c.get("var_999")), eur_m(c.get("var_999_se"))),
                     both("{} ± {}", eur_m(c.get("es_999")), eur_m(c.get("es_999_se"))),
                     both("{} ± {}", f"{c['expected_loss']:,.1f}" if num(c.get("expected_loss")) is not None else None,
                          f"{c['expected_loss_se']:,.2f}" if num(c.get("expected_loss_se")) is not None else None),
                     secs(c.get("seconds_under_tracemalloc")),
                     None if num(c.get("tracemalloc_peak_mib")) is None else f"{c['tracemalloc_peak_mib']:,.1f} MiB"])
    return (["scenarios", "VaR 99.9 % (EUR m)", "ES 99.9 % (EUR m)", "EL (EUR m)", "seconds (traced)",
             "tracemalloc peak"], rows, ["Convergence runs under tracemalloc: their times are not the benchmark's."])


def s_scale(r: dict) -> Section:
    """One row per stage and size, pandas beside Dask."""
    engines = ("pandas", "dask")
    order = {s: i for i, s in enumerate(("panel", "train", "ews"))}
    by_key: dict[tuple, dict[str, dict]] = {}
    for x in _dicts(r.get("runs")):
        by_key.setdefault((str(x.get("stage")), num(x.get("obligors"))), {})[str(x.get("engine"))] = x
    rows = []
    for (stage, obligors), per in sorted(by_key.items(), key=lambda kv: (order.get(kv[0][0], 99), str(kv[0][0]),
                                                                         kv[0][1] or 0)):
        statements = next((count(x.get("statements")) for x in per.values() if count(x.get("statements"))), None)

        def seconds(x: dict | None) -> str | None:
            if x is None:
                return None
            if "timed_out" in x:
                return f"timed out (> {num(x['timed_out']) or 0:.0f} s)"
            return secs(x.get("seconds"))

        rows.append([stage, count(obligors), statements, *(seconds(per.get(e)) for e in engines),
                     *(gib_from_mib(dig(per, e, "peak_rss_mib")) for e in engines)])
    notes = []
    for stage, s in _items(r.get("summary")):
        growth = [f"{e} {c:.1f} s + {k * 1e6:.1f} s per million statements" for e in engines
                  if (c := num(dig(s, "fits", e, "time", "c"))) is not None
                  and (k := num(dig(s, "fits", e, "time", "k"))) is not None]
        text = _crossover_text(s)
        if growth or text:
            notes.append(f"{stage}: " + ", ".join(growth) + ("; " if growth and text else "") + (text or "") + ".")
    if notes:
        notes.insert(0, "Time fitted as a fixed cost plus a cost per statement, t = c + k n (least squares over "
                        "the sizes measured); peak RSS counts the driver and every worker.")
    return ["stage", "obligors", "statements", "pandas", "dask", "pandas peak RSS", "dask peak RSS"], rows, notes


def s_train(r: dict) -> Section:
    rows = []
    for seed, s in _items(r.get("synthetic_by_seed")):
        rate, mean_pd = num(dig(s, "oot_default_rate")), num(dig(s, "oot_mean_pd"))
        rows.append([seed, auc(dig(s, "oot_auc")), auc(dig(s, "oracle_oot_auc")), auc(dig(s, "ratio_to_oracle")),
                     auc(dig(s, "lightgbm_same_budget", "oot_auc")),
                     ratio(mean_pd / rate) if rate and mean_pd is not None else None])
    return ["seed", "OOT AUC", "oracle AUC", "AUC / oracle", "LightGBM same budget", "mean PD / default rate"], rows, []


def s_train_variants(r: dict) -> Section:
    runs = _dicts(r.get("runs"))
    seeds = sorted({num(run.get("seed")) for run in runs} - {None})
    means = _variant_means(r)
    cell = {(run.get("variant"), num(run.get("seed"))): auc(run.get("ratio_to_oracle")) for run in runs
            if isinstance(run.get("variant"), str)}
    rows = [[v, *(cell.get((v, s)) for s in seeds), auc(m)] for v, m in means.items()]
    return ["variant", *(f"seed {s:g}" for s in seeds), "mean"], rows, ["OOT AUC as a ratio of the oracle AUC."]


SECTIONS: dict[str, Callable[[dict], Section | list[Section]]] = {
    "bench_byod": s_byod,
    "bench_ews": s_ews,
    "bench_features": s_features,
    "bench_portfolio": s_portfolio,
    "bench_scale": s_scale,
    "bench_train": s_train,
    "bench_train_variants": s_train_variants,
}
#: A section is shown when its table has at least this many rows ("several runs").
MIN_SECTION_ROWS = 2


# ------------------------------------------------------------------ machine, files
def machine() -> dict:
    processor = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            processor = next((line.split(":", 1)[1].strip() for line in fh if line.startswith("model name")),
                             processor)
    except OSError:
        pass
    memory = None
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (AttributeError, ValueError, OSError):
        try:
            with open("/proc/meminfo") as fh:
                kib = next(int(line.split()[1]) for line in fh if line.startswith("MemTotal:"))
            memory = kib / 2**20
        except (OSError, StopIteration, ValueError, IndexError):
            pass
    return {"python": platform.python_version(), "processor": processor, "architecture": platform.machine(),
            "cpus": os.cpu_count(), "memory_gib": None if memory is None else round(memory, 2),
            "platform": platform.platform()}


def machine_line(m: dict) -> str:
    mem = gib(m.get("memory_gib"))
    return ", ".join(p for p in (
        f"{m.get('processor')} ({m.get('architecture')})", f"{m.get('cpus')} CPUs",
        f"{mem} memory" if mem else None, f"Python {m.get('python')}", m.get("platform")) if p)


def first_docstring_line(script: Path) -> str | None:
    """The first line of a script's module docstring, read without importing it."""
    try:
        doc = ast.get_docstring(ast.parse(script.read_text(encoding="utf-8")))
    except (OSError, SyntaxError, ValueError):
        return None
    return doc.strip().splitlines()[0].strip() if doc and doc.strip() else None


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to a temp file beside ``path``, then move it over ``path`` (readers never see half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def utc_mtime(path: Path) -> dt.datetime:
    return dt.datetime.fromtimestamp(path.stat().st_mtime, tz=dt.timezone.utc).replace(microsecond=0)


def shown(path: Path, base: Path | None = None) -> str:
    """A path relative to ``base`` (default: the working directory) when it lies below it, else absolute."""
    try:
        return str(path.resolve().relative_to((base or Path.cwd()).resolve()))
    except ValueError:
        return str(path.resolve())


# ------------------------------------------------------------------ Markdown
def cell(text: Any) -> str:
    """Table-safe Markdown: docstring ``code`` as `code`, no pipes or line breaks."""
    s = "" if text is None else str(text)
    s = s.replace("``", "`").replace("|", "\\|")
    return " ".join(s.split())


def md_table(columns: list[str], rows: list[list[Any]]) -> list[str]:
    out = ["| " + " | ".join(cell(c) for c in columns) + " |", "|" + "---|" * len(columns)]
    out += ["| " + " | ".join(cell("" if v is None else v) for v in row) + " |" for row in rows]
    return out


def error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:200]


# ------------------------------------------------------------------ main
def collect(results: Path, benchmarks_dir: Path) -> dict[str, dict]:
    """Per benchmark name: its script's docstring line, and the JSON (or an error, or nothing: not run)."""
    names = {p.stem for p in benchmarks_dir.glob("bench_*.py")} | {p.stem for p in results.glob("bench_*.json")}
    out = {}
    for name in sorted(names):
        script, result = benchmarks_dir / f"{name}.py", results / f"{name}.json"
        entry: dict = {"what": first_docstring_line(script) if script.is_file() else "(no script in the benchmarks "
                                                                                     "directory)"}
        if result.is_file():
            entry["measured_at"] = utc_mtime(result)
            try:
                entry["data"] = json.loads(result.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                entry["error"] = error_text(exc)
        out[name] = entry
    return out


def dated_record(day: dt.date, mach: dict, entries: dict[str, dict]) -> dict:
    benchmarks = {}
    for name, e in entries.items():
        if "measured_at" not in e:
            continue
        data = e.get("data")
        body = dict(data) if isinstance(data, dict) else ({"error": e["error"]} if "error" in e else {"result": data})
        body["measured_at"] = e["measured_at"].isoformat().replace("+00:00", "Z")
        benchmarks[name] = body
    return {"date": day.isoformat(), "machine": mach, "benchmarks": benchmarks,
            "not_run": [n for n, e in entries.items() if "measured_at" not in e]}


def headline(name: str, e: dict) -> str:
    if "measured_at" not in e:
        return "not run"
    if "error" in e:
        return f"unreadable: {e['error']}"
    data = e["data"]
    if not isinstance(data, dict):
        return f"unreadable: the JSON is a {type(data).__name__}, not an object"
    extractor = HEADLINES.get(name)
    if extractor is None:
        return "(no headline extractor for this benchmark: see the dated JSON)"
    try:
        figures = extractor(data)
    except Exception as exc:  # noqa: BLE001 - one bad extractor must not stop the summary
        return f"unreadable: {error_text(exc)}"
    text = "; ".join(f"{label}: {value}" for label, value in figures) or "(none of the expected figures present)"
    cpus, here = num(dig(data, "machine", "cpus")), os.cpu_count()
    if cpus is not None and here is not None and int(cpus) != here:
        text += f" (measured on {cpus:.0f} CPUs)"
    return text


def render(day: dt.date, mach: dict, entries: dict[str, dict], dated_json: Path) -> str:
    lines = ["# Benchmark results", "",
             f"Machine: {machine_line(mach)}.", "",
             f"Summary of {day.isoformat()}. Regenerate with `make bench` (the demo, every `benchmarks/bench_*.py`, "
             "then `python benchmarks/summarise.py`); the full figures of this summary are in "
             f"`{shown(dated_json, HERE.parent)}` "
             "(not committed). A benchmark without a JSON result is listed as not run; `measured at` is the time "
             "its JSON was written.", ""]
    rows = []
    for name, e in entries.items():
        at = e.get("measured_at")
        rows.append([f"`{name}`", e.get("what") or "", headline(name, e),
                     at.strftime("%Y-%m-%d %H:%M UTC") if at else "-"])
    lines += md_table(["benchmark", "what it measures", "headline figures", "measured at"], rows)
    for name, e in entries.items():
        section = SECTIONS.get(name)
        if section is None or not isinstance(e.get("data"), dict):
            continue
        try:
            tables = section(e["data"])
            tables = [tables] if isinstance(tables, tuple) else tables
            tables = [t for t in tables if len(t[1]) >= MIN_SECTION_ROWS]
        except Exception as exc:  # noqa: BLE001 - a detail table is optional
            lines += ["", f"## {name}", "", f"Details unreadable: {error_text(exc)}"]
            continue
        if tables:
            lines += ["", f"## {name}"]
        for columns, rows, notes in tables:
            lines += ["", *md_table(columns, rows)]
            for note in notes:
                lines += ["", note]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--date", type=dt.date.fromisoformat, default=None,
                    help="date of the summary, YYYY-MM-DD (default: today)")
    ap.add_argument("--results", type=Path, default=HERE / "results", help="where the bench_*.json are")
    ap.add_argument("--out-md", type=Path, default=HERE / "RESULTS.md", help="the Markdown summary to write")
    ap.add_argument("--benchmarks-dir", type=Path, default=HERE, help="where the bench_*.py are")
    args = ap.parse_args(argv)
    day = args.date or dt.date.today()

    entries = collect(args.results, args.benchmarks_dir)
    mach = machine()
    dated = args.results / f"{day.isoformat()}.json"
    write_atomic(dated, json.dumps(dated_record(day, mach, entries), indent=2, default=str) + "\n")
    write_atomic(args.out_md, render(day, mach, entries, dated))

    read = [n for n, e in entries.items() if "data" in e]
    missing = [n for n, e in entries.items() if "measured_at" not in e]
    bad = [n for n, e in entries.items() if "error" in e]
    print(f"{len(read)} benchmark results read" + (f"; not run: {', '.join(missing)}" if missing else "")
          + (f"; unreadable: {', '.join(bad)}" if bad else ""))
    print(f"wrote {shown(dated)} and {shown(args.out_md)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
