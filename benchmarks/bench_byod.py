"""Default quality on bring-your-own tables: ``fit_pd_model(X, y)`` against naive boosters and the scorecard.

Issue 17's question: does the PD model with the repository defaults (``PDModelParams()``, no tuning of
the params by the user) rank at least as well as what a user would otherwise try first? Competitors,
all fitted on exactly the same rows:

(a) ``xgboost.XGBClassifier()`` with library defaults (``enable_categorical=True``, ``tree_method="hist"``,
    text columns as pandas ``category``; special-value codes left as the numbers they are);
(b) ``lightgbm.LGBMClassifier(verbose=-1)``, library defaults, text columns as ``category``;
(c) ``workbench.models.ScorecardModel()`` with its defaults (``special_codes=`` where the table has them);
(d) the blend "default+scorecard": the PD model's margin (logit of its raw score) and the logit of the
    scorecard's PD, the scorecard fitted on the PD model's training rows (``~model.holdout_rows_``), stacked
    by ``LogisticRegression()`` fitted on the PD model's held-out rows (``model.holdout_rows_``). Both scores
    must be out of sample there: the default refits its boosters on all rows when the rows have no time
    order (``refit_full`` empty), so the blend's PD model is the default fitted again with
    ``refit_full=False`` (its time is counted in the blend's fit time).

Tables (the German credit and FICO HELOC data are reserved for independent validation, never used here):

* ``polish``: UCI Polish bankruptcy, year 1 (``/work/shared/data/polish-bankruptcy/1year.arff``, 7,027
  rows, 64 ratios, 271 bankruptcies), read with ``load_flat_table``; no special values.
* ``synthetic``: a ``workbench.synthetic`` portfolio (2,500 obligors x 8 years, seed 0) through
  ``build_panel``; 10,000 panel rows drawn at random (seed 0) from about 12,400; the panel's first 60
  numeric features (ratio, growth, history and behaviour blocks; the questionnaire, macro and peer blocks
  are left out) plus 4 text categoricals: ``industry`` and ``segment`` (panel), ``region`` and ``size_band``
  (joined from the obligors table) = 64 features. Special values, bureau style, in the 4 numeric columns
  with natural gaps ``dio``, ``cash_conversion_cycle``, ``revenue_cagr_3y``, ``ebitda_margin_volatility``:
  every missing value becomes -9 ("no record": one to one with the gap, so it carries exactly the
  information the gap carried), and 3 % of the non-missing values, drawn at random (seed 1) independently
  of the target and of every feature, become -8 ("not applicable": the value is lost and the flag is
  noise by construction, so the rule is informative-neutral). The table is written to a CSV in a temp
  dir (with ``obligor_id`` and ``obs_date``) and read back with ``load_flat_table``, so the CSV path with
  text columns is exercised. Rows of one obligor (different years) can fall on both sides of a split:
  this flatters every model alike, not one more than another.
* ``small``: a stratified subsample of 1,500 rows (seed 0) of ``polish`` (about 58 bankruptcies): the
  under-2,000-rows case.

Protocol (fixed before any result was looked at):

* per table, ``--splits`` (10; ``--quick``: 2) stratified 80/20 splits, ``StratifiedShuffleSplit`` with
  ``random_state=--seed`` (0); every model sees the same splits;
* per split, the test AUC of every model; per competitor, the paired difference d = AUC(default) -
  AUC(competitor); reported: mean d over the J splits with a 95 % t interval ``mean +- t(0.975, J-1) *
  s / sqrt(J)``. The splits overlap (every row is in many training parts), so that interval is
  optimistic; the Nadeau-Bengio corrected resampled t interval, with variance ``(1/J + n_test/n_train) *
  s^2``, is reported beside it and is the one the verdict uses;
* verdict per competitor: "better" if the corrected lower bound > 0, "not worse" if the corrected
  interval holds 0 (upper bound >= 0), "worse" if its upper bound < 0; "wins on average" if mean d > 0.
  The table's verdict: the default is not significantly worse than any competitor, and whether it wins on
  average against all of them;
* fit time per model: the median seconds over the splits (the blend's is the extra scorecard fit and the
  stacker, the default model's fit shared); for the default model also the median seconds per stage from
  ``model.timings_``.

Capabilities the issue is adding are used when present and the run says so when not: text columns and
``special_values`` in the PD model (without them every model gets the numeric columns only), text
columns in ``load_flat_table`` (without: the frame is built in memory), ``special_codes`` in the
scorecard, ``holdout_rows_`` for the blend (without: the blend is skipped). Timings are printed, never
asserted. With the defaults of issue 17 a full run takes about 20-30 minutes on 2 cores.

Prints the tables and writes benchmarks/results/bench_byod.json (machine, package versions, a reference
timing of a plain ``XGBClassifier()`` fit on the Polish table, per-split AUCs and times, the summary).

    .venv/bin/python benchmarks/bench_byod.py [--quick] [--tables polish,synthetic,small] [--splits 10] [--seed 0]
                                              [--out benchmarks/results/bench_byod.json]
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import os
import platform
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
POLISH = Path("/work/shared/data/polish-bankruptcy/1year.arff")
SPECIAL_COLUMNS = ("dio", "cash_conversion_cycle", "revenue_cagr_3y", "ebitda_margin_volatility")
NO_RECORD, NOT_APPLICABLE = -9.0, -8.0
NOT_APPLICABLE_SHARE = 0.03
COMPETITORS = ("xgboost", "lightgbm", "scorecard", "default+scorecard")
TABLES = ("polish", "synthetic", "small")


@dataclass
class Table:
    name: str
    X: pd.DataFrame
    y: np.ndarray
    special: dict[str, list[float]] | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def text_columns(self) -> list[str]:
        return [c for c in self.X.columns if not pd.api.types.is_numeric_dtype(self.X[c])]


# ------------------------------------------------------------------ capabilities
def capabilities() -> dict[str, bool]:
    from workbench.models import PDModel, PDModelParams, ScorecardModel

    card = inspect.signature(ScorecardModel).parameters
    fit_src = inspect.getsource(PDModel.fit)
    return {
        "pd_text_and_special": "special_values" in PDModelParams.model_fields,
        "pd_timings": "timings_" in fit_src,
        "pd_holdout_rows": "holdout_rows_" in fit_src,
        "scorecard_special_codes": "special_codes" in card,
        "scorecard_text": "max_categories" in card,
    }


# ------------------------------------------------------------------ tables
def polish_table() -> Table:
    from workbench.data import load_flat_table

    t = load_flat_table(POLISH, target="class")
    return Table("polish", t.X, t.y.to_numpy().astype(int))


def small_table(polish: Table, rows: int, seed: int) -> Table:
    from sklearn.model_selection import train_test_split

    keep, _ = train_test_split(np.arange(len(polish.y)), train_size=rows, stratify=polish.y, random_state=seed)
    keep = np.sort(keep)
    return Table("small", polish.X.iloc[keep].reset_index(drop=True), polish.y[keep],
                 notes=[f"stratified {rows:,}-row subsample (seed {seed}) of the Polish table"])


def synthetic_frame(n_rows: int = 10_000, n_numeric: int = 60, seed: int = 0) -> pd.DataFrame:
    """The synthetic flat table of the docstring (ids, date, 60 numeric + 4 text features, special codes, target)."""
    from workbench.features import INPUT_TABLES, PanelParams, build_panel
    from workbench.synthetic import GeneratorSettings, generate_portfolio

    tables = generate_portfolio(GeneratorSettings(n_obligors=2500, years=8, seed=seed, tables=tuple(INPUT_TABLES)))
    panel = build_panel({k: tables[k] for k in INPUT_TABLES}, PanelParams())
    numeric = [c for c in panel.columns if pd.api.types.is_numeric_dtype(panel[c]) and c != "default_12m"][:n_numeric]
    missing_specials = [c for c in SPECIAL_COLUMNS if c not in numeric]
    if missing_specials:
        raise RuntimeError(f"the panel's first {n_numeric} numeric features lack {missing_specials}")
    rows = np.sort(np.random.default_rng(seed).choice(len(panel), min(n_rows, len(panel)), replace=False))
    sub = panel.iloc[rows].reset_index(drop=True)
    obligors = tables["obligors"][["obligor_id", "region", "size_band"]]
    sub = sub.merge(obligors, on="obligor_id", how="left", validate="many_to_one")
    df = pd.DataFrame({"obligor_id": sub["obligor_id"].astype(str), "obs_date": sub["obs_date"]})
    for c in numeric:
        df[c] = sub[c].astype(float)
    for c in ("industry", "region", "size_band", "segment"):
        df[c] = sub[c].astype(str)
    rng = np.random.default_rng(seed + 1)
    for c in SPECIAL_COLUMNS:
        gap = df[c].isna().to_numpy()
        lost = ~gap & (rng.random(len(df)) < NOT_APPLICABLE_SHARE)
        df.loc[gap, c] = NO_RECORD
        df.loc[lost, c] = NOT_APPLICABLE
    df["default_12m"] = sub["default_12m"].astype(int).to_numpy()
    return df


def synthetic_table(seed: int) -> Table:
    from workbench.data import FlatTableError, load_flat_table

    df = synthetic_frame(seed=seed)
    special = {c: [NOT_APPLICABLE, NO_RECORD] for c in SPECIAL_COLUMNS}
    notes = [f"{len(df):,} panel rows of a 2,500 x 8 synthetic portfolio; special codes -9/-8 in "
             + ", ".join(SPECIAL_COLUMNS)]
    with tempfile.TemporaryDirectory(prefix="bench-byod-") as tmp:
        path = Path(tmp) / "synthetic_flat.csv"
        df.to_csv(path, index=False)
        try:
            t = load_flat_table(path, target="default_12m", id_column="obligor_id", date_column="obs_date")
            X, y = t.X, t.y.to_numpy().astype(int)
            notes.append("read back from CSV with load_flat_table")
        except FlatTableError as exc:
            X = df.drop(columns=["obligor_id", "obs_date", "default_12m"])
            y = df["default_12m"].to_numpy()
            notes.append(f"load_flat_table refused the text columns ({str(exc)[:80]}...): frame built in memory")
    return Table("synthetic", X, y, special=special, notes=notes)


# ------------------------------------------------------------------ models
def _as_category(X: pd.DataFrame, categories: dict[str, list]) -> pd.DataFrame:
    out = X.copy()
    for c, cats in categories.items():
        out[c] = pd.Categorical(X[c].astype(object).where(X[c].notna(), None), categories=cats)
    return out


def _cpu_counters() -> tuple[float, float]:
    """(busy CPU seconds of the whole machine from /proc/stat, CPU seconds of this process); (nan, nan) off Linux."""
    try:
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
    except OSError:
        return float("nan"), float("nan")
    t = os.times()
    return (sum(v[:8]) - v[3] - v[4]) / os.sysconf("SC_CLK_TCK"), t.user + t.system


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=float), 1e-9, 1 - 1e-9)
    return np.log(p / (1 - p))


def run_split(table: Table, train: np.ndarray, test: np.ndarray, caps: dict[str, bool], X_default: pd.DataFrame,
              X_cat: pd.DataFrame, X_card: pd.DataFrame) -> dict:
    """Fit every model on ``train`` and score ``test``; AUCs, fit seconds and the default model's stages."""
    import lightgbm as lgb
    import xgboost as xgb
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score

    from workbench.models import PDModelParams, ScorecardModel, fit_pd_model

    y_tr, y_te = table.y[train], table.y[test]
    auc, secs, out = {}, {}, {}

    params = PDModelParams(special_values=table.special) if table.special and caps["pd_text_and_special"] \
        else PDModelParams()
    c0, t0 = _cpu_counters(), time.perf_counter()
    model = fit_pd_model(X_default.iloc[train], y_tr, params)
    secs["default"] = time.perf_counter() - t0
    c1 = _cpu_counters()
    # Cores other processes kept busy during the fit: xgboost's OpenMP threads slow down many-fold when the
    # cores are shared, so a fit time measured beside other work is not the machine's.
    out["foreign_cores_during_default_fit"] = ((c1[0] - c0[0]) - (c1[1] - c0[1])) / secs["default"]
    auc["default"] = roc_auc_score(y_te, model.predict_pd(X_default.iloc[test]))
    if getattr(model, "timings_", None):
        out["default_timings"] = {k: float(v) for k, v in model.timings_.items()}

    t0 = time.perf_counter()
    booster = xgb.XGBClassifier(enable_categorical=True, tree_method="hist").fit(X_cat.iloc[train], y_tr)
    secs["xgboost"] = time.perf_counter() - t0
    auc["xgboost"] = roc_auc_score(y_te, booster.predict_proba(X_cat.iloc[test])[:, 1])

    t0 = time.perf_counter()
    light = lgb.LGBMClassifier(verbose=-1).fit(X_cat.iloc[train], y_tr)
    secs["lightgbm"] = time.perf_counter() - t0
    auc["lightgbm"] = roc_auc_score(y_te, light.predict_proba(X_cat.iloc[test])[:, 1])

    card_kwargs = {"special_codes": table.special} if table.special and caps["scorecard_special_codes"] else {}
    t0 = time.perf_counter()
    card = ScorecardModel(**card_kwargs).fit(X_card.iloc[train], y_tr)
    secs["scorecard"] = time.perf_counter() - t0
    auc["scorecard"] = roc_auc_score(y_te, card.predict_pd(X_card.iloc[test]))

    hold = getattr(model, "holdout_rows_", None)
    if hold is not None:
        hold = np.asarray(hold, dtype=bool)
        Xd_tr, Xc_tr = X_default.iloc[train], X_card.iloc[train]
        t0 = time.perf_counter()
        # Stacking needs scores the boosters have not seen: a default model refitted on all rows (the default
        # without a time order) is fitted again with its held-out rows kept out.
        blended = model if model.refit_rows_ < len(train) else fit_pd_model(
            Xd_tr, y_tr, params.model_copy(update={"refit_full": False}))
        inner = ScorecardModel(**card_kwargs).fit(Xc_tr[~hold], y_tr[~hold])

        def scores(Xd, Xc):
            return np.column_stack([blended.predict_margin(Xd), _logit(inner.predict_pd(Xc))])

        stack = LogisticRegression().fit(scores(Xd_tr[hold], Xc_tr[hold]), y_tr[hold])
        secs["default+scorecard"] = time.perf_counter() - t0
        auc["default+scorecard"] = roc_auc_score(
            y_te, stack.predict_proba(scores(X_default.iloc[test], X_card.iloc[test]))[:, 1])
        out["blend_weights"] = [float(w) for w in stack.coef_[0]]
    out.update(auc={k: float(v) for k, v in auc.items()}, fit_s={k: float(v) for k, v in secs.items()},
               n_train=int(len(train)), n_test=int(len(test)))
    return out


# ------------------------------------------------------------------ statistics
def paired_summary(d: np.ndarray, n_train: int, n_test: int) -> dict:
    """Mean paired difference with the naive and the Nadeau-Bengio corrected 95 % t intervals."""
    from scipy import stats

    d = np.asarray(d, dtype=float)
    J, mean = len(d), float(np.mean(d))
    if J < 2:
        nan = float("nan")
        return {"mean": mean, "sd": nan, "ci95": [nan, nan], "ci95_corrected": [nan, nan], "splits": J,
                "verdict": "n/a", "wins_on_average": mean > 0}
    s = float(np.std(d, ddof=1))
    t = float(stats.t.ppf(0.975, J - 1))
    half = t * s / np.sqrt(J)
    half_c = t * np.sqrt((1 / J + n_test / n_train) * s**2)
    lo, hi = mean - half_c, mean + half_c
    verdict = "better" if lo > 0 else ("not worse" if hi >= 0 else "worse")
    return {"mean": mean, "sd": s, "ci95": [mean - half, mean + half], "ci95_corrected": [lo, hi], "splits": J,
            "verdict": verdict, "wins_on_average": mean > 0}


def summarise(table: Table, runs: list[dict]) -> dict:
    models = list(runs[0]["auc"])
    n_train, n_test = runs[0]["n_train"], runs[0]["n_test"]
    out = {"models": {}, "vs_default": {}}
    for m in models:
        aucs = [r["auc"][m] for r in runs]
        out["models"][m] = {"auc_mean": float(np.mean(aucs)), "auc_sd": float(np.std(aucs, ddof=1)) if len(aucs) > 1
                            else float("nan"), "fit_s_median": float(np.median([r["fit_s"][m] for r in runs]))}
    for m in models:
        if m == "default":
            continue
        d = np.array([r["auc"]["default"] - r["auc"][m] for r in runs])
        out["vs_default"][m] = paired_summary(d, n_train, n_test)
    out["foreign_cores_max"] = float(max(r.get("foreign_cores_during_default_fit", np.nan) for r in runs))
    stages = [r["default_timings"] for r in runs if "default_timings" in r]
    if stages:
        out["default_stage_s_median"] = {k: float(np.median([s.get(k, np.nan) for s in stages])) for k in stages[0]}
    verdicts = [v["verdict"] for v in out["vs_default"].values()]
    out["verdict"] = {
        "not_significantly_worse_than_all": all(v != "worse" for v in verdicts),
        "wins_on_average_against_all": all(v["wins_on_average"] for v in out["vs_default"].values()),
        "competitors": [m for m in models if m != "default"],
    }
    return out


# ------------------------------------------------------------------ printing
def print_table(console, table: Table, summary: dict) -> None:
    from rich.table import Table as RichTable

    rt = RichTable(title=f"{table.name}: {len(table.y):,} rows x {table.X.shape[1]} features, "
                         f"{int(table.y.sum())} defaults", title_justify="left")
    for col in ("model", "AUC mean", "AUC sd", "fit s", "d = default - model", "95% t", "95% corrected", "verdict"):
        rt.add_column(col, justify="left" if col in ("model", "verdict") else "right")
    for m, s in summary["models"].items():
        v = summary["vs_default"].get(m)
        cells = ["", "", "", ""] if v is None else [
            f"{v['mean']:+.4f}", f"[{v['ci95'][0]:+.4f}, {v['ci95'][1]:+.4f}]",
            f"[{v['ci95_corrected'][0]:+.4f}, {v['ci95_corrected'][1]:+.4f}]",
            f"{v['verdict']}{', default wins on avg' if v['wins_on_average'] else ''}"]
        rt.add_row(m, f"{s['auc_mean']:.4f}", f"{s['auc_sd']:.4f}", f"{s['fit_s_median']:.1f}", *cells)
    console.print(rt)
    if "default_stage_s_median" in summary:
        console.print("  default model, median s per stage: " + ", ".join(
            f"{k} {v:.1f}" for k, v in summary["default_stage_s_median"].items()))
    if summary["foreign_cores_max"] > 0.25:
        console.print(f"  [yellow]timings:[/] other processes used up to {summary['foreign_cores_max']:.1f} cores "
                      "during the default fits; their times are inflated (OpenMP threads on shared cores)")
    v = summary["verdict"]
    worse = "not significantly worse than" if v["not_significantly_worse_than_all"] else "WORSE than one of"
    wins = "wins" if v["wins_on_average_against_all"] else "does not win"
    console.print(f"  verdict: default {worse} {', '.join(v['competitors'])}; {wins} on average against all")
    for note in table.notes:
        console.print(f"  note: {note}")


# ------------------------------------------------------------------ main
def machine() -> dict:
    out = {"python": platform.python_version(), "platform": platform.platform(), "processor": platform.machine(),
           "cpus": os.cpu_count(), "packages": {}}
    # By module: xgboost's distribution is "xgboost-cpu" in the lock, so its distribution name finds nothing.
    modules = {"xgboost": "xgboost", "lightgbm": "lightgbm", "optbinning": "optbinning", "optuna": "optuna",
               "scikit-learn": "sklearn", "numpy": "numpy", "pandas": "pandas", "scipy": "scipy"}
    for pkg, module in modules.items():
        try:
            out["packages"][pkg] = importlib.import_module(module).__version__
        except Exception:  # noqa: BLE001 - a missing package is reported, not fatal
            out["packages"][pkg] = None
    return out


def reference_timing(polish: Table, reps: int = 3) -> dict:
    """Seconds of a plain ``XGBClassifier()`` fit on the whole Polish table: the machine's speed, so that
    the fit times of two runs on different machines (or loads) can be compared."""
    import xgboost as xgb

    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        xgb.XGBClassifier(tree_method="hist").fit(polish.X, polish.y)
        times.append(time.perf_counter() - t0)
    return {"xgboost_default_fit_polish_s_median": float(np.median(times)), "reps": reps}


def main() -> None:
    from rich.console import Console
    from sklearn.model_selection import StratifiedShuffleSplit

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="2 splits per table (a smoke check, not a verdict)")
    ap.add_argument("--tables", default=",".join(TABLES), help="comma-separated: " + ", ".join(TABLES))
    ap.add_argument("--splits", type=int, default=None, help="stratified 80/20 splits per table (default 10)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=str(HERE / "results" / "bench_byod.json"),
                    help="where the JSON goes (a --quick smoke check need not replace a full run's)")
    args = ap.parse_args()
    names = [t.strip() for t in args.tables.split(",") if t.strip()]
    unknown = [t for t in names if t not in TABLES]
    if unknown:
        ap.error(f"unknown table(s) {unknown}; known: {', '.join(TABLES)}")
    n_splits = args.splits or (2 if args.quick else 10)
    if n_splits < 2:
        ap.error("--splits must be >= 2 (the intervals need two splits)")
    # Optuna studies go to a scratch SQLite file, not the project's.
    os.environ.setdefault("WORKBENCH_STATE_DIR", tempfile.mkdtemp(prefix="bench-byod-"))
    console = Console(width=max(Console().width, 150))
    caps = capabilities()
    notes = []
    if not caps["pd_text_and_special"]:
        notes.append("PD model without text columns / special_values yet: every model gets the numeric columns only")
    if not caps["scorecard_special_codes"]:
        notes.append("ScorecardModel without special_codes yet: the scorecard sees the codes as numbers")
    if not caps["scorecard_text"]:
        notes.append("ScorecardModel without text columns yet: the scorecard gets the numeric columns only")
    if not caps["pd_holdout_rows"]:
        notes.append("PDModel without holdout_rows_ yet: the default+scorecard blend is skipped")
    for n in notes:
        console.print(f"[yellow]note:[/] {n}")

    t_start = time.perf_counter()
    polish = polish_table()
    result = {"benchmark": "byod", "machine": machine(), "capabilities": caps, "notes": notes,
              "reference": reference_timing(polish),
              "protocol": {"splitter": "StratifiedShuffleSplit", "test_size": 0.2, "splits": n_splits,
                           "seed": args.seed, "interval": "95% t; Nadeau-Bengio corrected (1/J + n_test/n_train) s^2",
                           "quick": bool(args.quick)},
              "tables": {}}
    console.print(f"reference: XGBClassifier() on the Polish table "
                  f"{result['reference']['xgboost_default_fit_polish_s_median']:.2f}s; {os.cpu_count()} cpus")
    for name in names:
        table = {"polish": lambda: polish, "small": lambda: small_table(polish, 1500, args.seed),
                 "synthetic": lambda: synthetic_table(args.seed)}[name]()
        text = table.text_columns
        categories = {c: sorted(table.X[c].dropna().astype(str).unique()) for c in text}
        X_default = table.X if caps["pd_text_and_special"] else table.X.drop(columns=text)
        X_card = table.X if caps["scorecard_text"] and caps["pd_text_and_special"] else table.X.drop(columns=text)
        X_cat = _as_category(table.X, categories) if caps["pd_text_and_special"] else table.X.drop(columns=text)
        splitter = StratifiedShuffleSplit(n_splits, test_size=0.2, random_state=args.seed)
        runs, t0 = [], time.perf_counter()
        with warnings.catch_warnings():
            # Unseen categories in a test part and optbinning's pandas notices are expected here.
            warnings.simplefilter("ignore")
            for k, (train, test) in enumerate(splitter.split(np.zeros(len(table.y)), table.y)):
                r = run_split(table, train, test, caps, X_default, X_cat, X_card)
                r["split"] = k
                runs.append(r)
                console.print(f"  {name} split {k + 1}/{n_splits}: " + ", ".join(
                    f"{m} {a:.4f}" for m, a in r["auc"].items()) + f"; default fit {r['fit_s']['default']:.1f}s")
        summary = summarise(table, runs)
        print_table(console, table, summary)
        result["tables"][name] = {
            "rows": int(len(table.y)), "features": int(table.X.shape[1]), "defaults": int(table.y.sum()),
            "text_columns": text, "special_values": table.special, "notes": table.notes,
            "seconds": time.perf_counter() - t0, "splits": runs, "summary": summary}
    result["seconds"] = time.perf_counter() - t_start
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, default=float))
    console.print(f"{result['seconds']:.0f}s; written {out}")


if __name__ == "__main__":
    main()
