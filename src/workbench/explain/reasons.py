"""Reason codes: per obligor, the main adverse drivers and mitigating factors in business words.

``reason_codes(model, X)`` ranks each row's SHAP contributions (``shap_values``, or the
scorecard's exact contributions) and words the largest ones with the feature dictionary, e.g.
``"High leverage versus industry peers: 0.71, 92nd percentile"`` or, for a mitigating factor,
``"Low leverage versus industry peers: 0.12, 8th percentile"``.

**Direction rule.** A code never cites a feature against its documented direction. For a
feature with dictionary direction ``s`` (+1: higher is riskier, -1: higher is safer) and the
obligor's position ``q`` in [0, 1] (its percentile, see below):

* it is cited as **adverse** only if its contribution is > ``min_contribution`` *and* the
  obligor is on the risky side of the median: ``s * (q - 0.5) > 0`` (above the median for +1
  features, below it for -1 features);
* it is cited as **mitigating** only if its contribution is < ``-min_contribution`` *and*
  ``s * (q - 0.5) < 0``;
* without a position (no percentile can be computed) a directional feature is not cited.

Monotone constraints make the contribution's sign agree with the position most of the time,
but interactions and the path-dependent baseline can break it (a below-median leverage that
still raises the score because of what it splits with); those contributions are left out
rather than worded "High leverage". Features without a direction (``s = 0``, or not in the
dictionary: bring-your-own-data columns, labelled by their column name) are cited by the sign
of their contribution alone. Among the eligible contributions the largest (in absolute log-odds)
are cited; features sharing a label (utilisation and its 3-month mean) are cited once.

**Position (percentile).** In order: the value itself for percentile features
(``<ratio>_peer_pct``); the ``<feature>_peer_pct`` column of ``peer_percentiles`` or X
(percentile among industry peers at the observation date, as the panel computes it) where it
is not missing; else the mid-rank percentile of the value within ``reference`` (the training
population), within the obligor's industry when both frames have an ``industry`` column and
the industry has at least ``MIN_GROUP`` values, else within all of ``reference``. Without
``reference`` the rows of X serve as reference when there are at least ``MIN_REFERENCE_ROWS``
of them; otherwise no percentile is known and the text omits it.

**Missing values.** The dictionary does not mark missingness as meaningful for any feature (a
ratio that cannot be computed has its own ``__undefined`` flag, which is cited instead), so a
NaN value is never cited, unless the feature is listed in ``missing_meaningful``: then it is
cited, by the sign of its contribution, as ``"<label>: not reported"``.

**Categories and special codes.** A text column (``purpose``) or a special code of a bureau
column (``-9``: no record) has no position on a scale: it is cited by the sign of its contribution,
in words: ``"purpose: business"``, ``"bureau_score: special value -9"`` (``ShapResult.extra``).

**Reasons and context.** Only features the dictionary gives the role ``obligor`` (and
bring-your-own-data columns it does not know) can be an obligor's reasons. Macro features (GDP
growth, the policy rate, the industry index) and meta features (peer-group size, the sector
fallback, statement and survey age, whether there is a survey, the statement count, the segment
flag) move the score too, but they are not something about the obligor a relationship manager
can act on: the ``context`` largest of them (by absolute contribution, either sign) are shown
as ``kind="context"``, worded neutrally with their value and whether they raise or lower the
PD, e.g. ``"Central-bank policy rate: 4.25 % (raises the PD)"``. The direction rule does not
apply to them (they are not worded as the obligor's strength or weakness).

``reason_table`` turns the long format into the table a reader sees: one block per obligor
(id, date, PD and grade), its adverse drivers, mitigating factors and context, each in full.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Literal

import numpy as np
import pandas as pd

from ..features.dictionary import CONTEXT_ROLES, FEATURES, REASON_ROLES, feature_role
from ..format import date, pd_percent, signed, text
from .shap_values import ShapResult, feature_direction, feature_label, scorecard_contributions, shap_values

__all__ = ["reason_codes", "reason_table", "context_label", "favourable_label", "direction_allows",
           "MIN_REFERENCE_ROWS", "MIN_GROUP", "KINDS"]

#: The kinds of a cited factor, in the order they are shown.
KINDS = ("adverse", "mitigating", "context")

MIN_REFERENCE_ROWS = 50
MIN_GROUP = 20

# First words of the dictionary's risk labels and their favourable counterpart.
_FLIP_FIRST = {
    "High": "Low", "Low": "High", "Weak": "Strong", "Thin": "Solid", "Little": "Ample", "Negative": "Positive",
    "Slow": "Fast", "Slow-moving": "Fast-moving", "Stretched": "Prompt", "Long": "Short", "Short": "Long",
    "Small": "Large", "Shrinking": "Growing", "Volatile": "Stable", "Unaudited": "Audited", "Stale": "Recent",
    "Outdated": "Recent", "Rising": "Falling", "Falling": "Rising", "Slowing": "Strengthening",
    "New": "Established",
}
# Phrases inside a label and their favourable counterpart (first match wins).
_FLIP_PHRASE = (
    (" rising", " falling"), ("trending down", "trending up"), ("more than usual", "less than usual"),
    ("drawn to the limit", "well below the limit"), ("declining", "growing"), ("downturn", "upturn"),
    ("turning down", "turning up"),
)
_ACRONYMS = {"ebitda": "EBITDA", "ebit": "EBIT", "roa": "ROA", "roe": "ROE", "dso": "DSO", "dio": "DIO", "dpo": "DPO",
             "ocf": "OCF", "dscr": "DSCR"}


def _humanise(name: str) -> str:
    words = [_ACRONYMS.get(w, w) for w in name.split("_")]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def favourable_label(feature: str, value: float | None = None) -> str:
    """The wording of ``feature`` as a mitigating factor: the dictionary's risk label turned
    round ("High leverage" -> "Low leverage", "Covenant breaches" -> "No covenant breaches" at 0,
    else "Limited covenant breaches"); features without a direction keep their label."""
    label = feature_label(feature)
    spec = FEATURES.get(feature)
    if spec is None or not spec.label or spec.direction == 0:
        return label
    if feature.endswith("_yoy"):
        return f"{_humanise(feature[:-4])} improving year on year"
    first, _, rest = label.partition(" ")
    if first in _FLIP_FIRST:
        return f"{_FLIP_FIRST[first]} {rest}".strip()
    for old, new in _FLIP_PHRASE:
        if old in label:
            return label.replace(old, new)
    if label.startswith("No "):
        return f"{label[3:4].upper()}{label[4:]} available"
    lower = label[:1].lower() + label[1:]
    return f"No {lower}" if value is not None and value == 0 else f"Limited {lower}"


def direction_allows(direction: int | np.ndarray, position: float | np.ndarray,
                     contribution: float | np.ndarray) -> np.ndarray:
    """The direction rule, vectorised: may a contribution be cited given the feature's direction
    and the obligor's percentile? (Adverse or mitigating follows from the contribution's sign.)"""
    s = np.asarray(direction, dtype=float)
    q = np.asarray(position, dtype=float)
    c = np.asarray(contribution, dtype=float)
    side = s * (q - 0.5)  # > 0: on the risky side of the median
    with np.errstate(invalid="ignore"):
        agrees = np.where(c > 0, side > 0, side < 0)
    return np.where(s == 0, True, agrees & ~np.isnan(q))


def _ordinal(q: float) -> str:
    k = min(99, max(1, round(q * 100)))  # percentile ranks run 1..99
    suffix = "th" if 10 <= k % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(k % 10, "th")
    return f"{k}{suffix}"


def _fmt(v: float) -> str:
    if float(v).is_integer() and abs(v) < 1e9:
        return f"{int(v):,}"
    a = abs(v)
    if a >= 100:
        return f"{v:,.0f}"
    if a >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}" if a >= 0.01 else f"{v:.2g}"  # 0.004, not 0.00


def _mid_rank(sorted_ref: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Percentile of x within sorted_ref, ties counted half (as the panel's peer percentiles)."""
    lo = np.searchsorted(sorted_ref, x, side="left")
    hi = np.searchsorted(sorted_ref, x, side="right")
    out = (lo + hi) / (2.0 * len(sorted_ref))
    return np.where(np.isnan(x), np.nan, out)


def _numeric(frame: pd.DataFrame, col: str) -> np.ndarray:
    return pd.to_numeric(frame[col], errors="coerce").to_numpy(dtype=float).copy()


_BASES = (None, "peers", "industry", "reference")  # codes 0..3 of the basis array


def _positions(features: list[str], V: np.ndarray, X: pd.DataFrame, peer_percentiles: pd.DataFrame | None,
               reference: pd.DataFrame | None) -> tuple[np.ndarray, np.ndarray]:
    """Percentile of each value (rows x features, NaN when unknown) and its basis (codes into
    ``_BASES``, rows x features)."""
    n, p = V.shape
    Q = np.full((n, p), np.nan)
    B = np.zeros((n, p), dtype=np.int8)
    if reference is None and len(X) >= MIN_REFERENCE_ROWS:
        reference = X
    by_industry = (reference is not None and "industry" in reference.columns and "industry" in X.columns)
    if by_industry:
        x_ind = X["industry"].astype(str).to_numpy()
        ref_ind = reference["industry"].astype(str).to_numpy()
        groups = {g: (np.flatnonzero(x_ind == g), np.flatnonzero(ref_ind == g)) for g in np.unique(x_ind)}
    for j, f in enumerate(features):
        spec = FEATURES.get(f)
        if spec is not None and spec.unit == "percentile":
            Q[:, j], B[:, j] = np.clip(V[:, j], 0.0, 1.0), 1
            continue
        if reference is not None and f in reference.columns:
            ref = _numeric(reference, f)
            ref[~np.isfinite(ref)] = np.nan
            overall = np.sort(ref[~np.isnan(ref)])
            if len(overall):
                Q[:, j], B[:, j] = _mid_rank(overall, V[:, j]), 3
                if by_industry:
                    for rows, ref_rows in groups.values():
                        vals = ref[ref_rows]
                        vals = np.sort(vals[~np.isnan(vals)])
                        if len(vals) >= MIN_GROUP:  # else the whole reference: too few peers to rank against
                            Q[rows, j], B[rows, j] = _mid_rank(vals, V[rows, j]), 2
        # The panel's peer percentile, where it has one, takes precedence over the reference.
        peer_col = f"{f}_peer_pct"
        source = (peer_percentiles if peer_percentiles is not None and peer_col in peer_percentiles.columns
                  else X if peer_col in X.columns else None)
        if source is not None:
            peer = _numeric(source, peer_col)
            ok = ~np.isnan(peer)
            Q[ok, j], B[ok, j] = peer[ok], 1
    B[np.isnan(Q)] = 0
    return Q, B


def _with_unit(unit: str, value: float) -> str:
    """The value as the text cites it, with the unit a reader needs: ``30 days``, ``1.25x``,
    ``EUR 0.40 m``, ``2.5 of 5``; plain for ratios, scores and counts."""
    if unit in ("days", "months", "years"):
        return f"{_fmt(value)} {unit}"
    if unit == "x":
        return f"{_fmt(value)}x"
    if unit == "EUR m":
        return f"EUR {_fmt(value)} m"
    if unit == "score 1-5":
        return f"{_fmt(value)} of 5"
    return _fmt(value)


def _wording(feature: str, kind: str, value: float, q: float, basis: str | None) -> tuple[str, str]:
    """(label, text) of one cited contribution."""
    spec = FEATURES.get(feature)
    if value != value:  # NaN
        label = feature_label(feature) if kind == "adverse" else favourable_label(feature)
        return label, f"{label}: not reported"
    if spec is not None and spec.group == "ratio_flag":
        # A flag's label describes the flag being set; word the state the obligor is in.
        label = (spec.label[:1].upper() + spec.label[1:]) if value == 1 else f"{_humanise(feature[:-11])} defined"
        return label, label
    lookup_name = feature
    if basis == "peers" and f"{feature}_peer_pct" in FEATURES:
        lookup_name = f"{feature}_peer_pct"  # "High leverage versus industry peers"
    label = feature_label(lookup_name) if kind == "adverse" else favourable_label(lookup_name, value)
    details = []
    is_percentile = spec is not None and spec.unit == "percentile"
    is_flag = spec is not None and spec.unit == "0/1"
    if not is_percentile and not is_flag:
        details.append(_with_unit(spec.unit if spec is not None else "", value))
    if q == q and not is_flag:  # q is not NaN
        details.append(f"{_ordinal(q)} percentile" + (" in its industry" if basis == "industry" else ""))
    return label, f"{label}: {', '.join(details)}" if details else label


def context_label(feature: str) -> str:
    """The neutral wording of a macro or meta feature: its dictionary description up to the first
    parenthesis ("Central-bank policy rate (lagged)" -> "Central-bank policy rate"); the
    humanised column name without a description."""
    spec = FEATURES.get(feature)
    if spec is None or not spec.description:
        return _humanise(feature)
    return spec.description.split(" (", 1)[0].strip()


def _context_value(feature: str, value: float) -> str:
    spec = FEATURES.get(feature)
    unit = spec.unit if spec is not None else ""
    if unit == "0/1":
        return "yes" if value >= 0.5 else "no"
    if unit == "%":
        return f"{value:.2f} %"
    if unit == "pp":
        return f"{value:+.2f} pp"
    if unit == "ratio" and spec is not None and spec.role == "macro":
        return f"{100 * value:+.1f} %"  # a change of an index: -0.031 -> -3.1 %
    return _with_unit(unit, value)


def _context_wording(feature: str, value: float, contribution: float) -> tuple[str, str]:
    """(label, text) of a macro or meta feature shown as context."""
    label = context_label(feature)
    effect = "raises the PD" if contribution > 0 else "lowers the PD"
    shown = "not reported" if value != value else _context_value(feature, value)
    return label, f"{label}: {shown} ({effect})"


def _value_words(shap: ShapResult, features: list[str]) -> np.ndarray:
    """Rows x features: the value in words where the model has them (a category, ``special value -7``),
    else None."""
    out = np.full(shap.values.shape, None, dtype=object)
    text = shap.extra.get("value_text")
    if text is None:
        return out
    for j, f in enumerate(features):
        if f in text.columns:
            column = text[f].to_numpy(dtype=object)
            out[:, j] = np.where(pd.isna(column), None, column)
    return out


def reason_codes(model, X: pd.DataFrame, top: int = 4, *, context: int = 2, ids: Collection[str] = (),
                 shap: ShapResult | None = None, peer_percentiles: pd.DataFrame | None = None,
                 reference: pd.DataFrame | None = None, format: Literal["wide", "long"] = "wide",
                 missing_meaningful: Collection[str] = (), min_contribution: float = 1e-6) -> pd.DataFrame:
    """The ``top`` adverse drivers and ``top`` mitigating factors of each row of X, in words,
    and the ``context`` macro and meta features that move its score most.

    ``model``: a ``PDModel`` / xgboost model (SHAP values) or a ``ScorecardModel`` (exact
    contributions); ignored when ``shap`` (a ``ShapResult`` of these rows) is given.
    ``peer_percentiles``: optional frame with ``<feature>_peer_pct`` columns, row-aligned with X.
    ``reference``: the training population for percentiles (see the module docstring for the
    direction rule, the percentiles, missing values and what is a reason or context).
    ``ids``: columns of X copied into the result before the codes (e.g. ``obligor_id``,
    ``obs_date``), so that the table says whose codes they are.

    ``format="wide"``: indexed like X, columns ``adverse_1..top``, ``mitigating_1..top`` and
    ``context_1..context`` (text; NaN where a row has fewer). ``format="long"``: one row per
    cited factor with ``row`` (X's index label), ``kind`` (``adverse``, ``mitigating`` or
    ``context``), ``rank``, ``feature``, ``label``, ``value``, ``peer_percentile`` (the
    percentile used, from peers or the reference; NaN for context), ``percentile_basis``
    (``peers``, ``industry``, ``reference`` or None), ``contribution`` (log-odds) and ``text``.
    """
    if top < 1:
        raise ValueError(f"top must be >= 1, got {top}")
    if context < 0:
        raise ValueError(f"context must be >= 0, got {context}")
    if format not in ("wide", "long"):
        raise ValueError(f"format must be 'wide' or 'long', got {format!r}")
    if not isinstance(X, pd.DataFrame):
        raise TypeError(f"X must be a pandas DataFrame, got {type(X).__name__}")
    ids = list(dict.fromkeys(ids))
    absent = [c for c in ids if c not in X.columns]
    if absent:
        raise KeyError(f"ids not in X: {', '.join(map(str, absent))}")
    if shap is None:
        from ..models.scorecard import ScorecardModel  # here: optbinning is slow to import

        if model is None:
            raise ValueError("pass a model or shap=")
        shap = (scorecard_contributions(model, X) if isinstance(model, ScorecardModel)
                else shap_values(model, X, progress=False))
    if len(shap.values) != len(X):
        raise ValueError(f"shap has {len(shap.values)} rows but X has {len(X)}")
    if peer_percentiles is not None and len(peer_percentiles) != len(X):
        raise ValueError(f"peer_percentiles has {len(peer_percentiles)} rows but X has {len(X)}")
    if peer_percentiles is not None:
        peer_percentiles = peer_percentiles.reset_index(drop=True)

    features = shap.features
    C = shap.values.to_numpy(dtype=float)
    V = shap.data[features].to_numpy(dtype=float)
    Q, B = _positions(features, V, X.reset_index(drop=True), peer_percentiles, reference)
    s = np.array([feature_direction(f) for f in features], dtype=float)

    words = _value_words(shap, features)
    worded = words != None  # noqa: E711 (elementwise: a category or a special code in words)
    missing = np.isnan(V) & ~worded
    cite_missing = np.array([f in set(missing_meaningful) for f in features])
    roles = np.array([feature_role(f) for f in features], dtype=object)
    is_reason = np.isin(roles, REASON_ROLES)[None, :]
    is_context = np.isin(roles, CONTEXT_ROLES)[None, :]
    # A category or a special code has no position on a scale: it is cited by the sign of its contribution.
    allowed = np.where(missing, cite_missing[None, :],
                       worded | direction_allows(s[None, :], Q, C)) & is_reason
    adverse = allowed & (C > min_contribution)
    mitigating = allowed & (C < -min_contribution)
    shown_context = is_context & (np.abs(C) > min_contribution) & (~missing | cite_missing[None, :])

    records = []
    for kind, mask, score, limit in (("adverse", adverse, C, top), ("mitigating", mitigating, -C, top),
                                     ("context", shown_context, np.abs(C), context)):
        if limit == 0:
            continue
        ranked = np.where(mask, score, -np.inf)
        order = np.argsort(-ranked, axis=1, kind="stable")
        n_valid = mask.sum(axis=1)
        for r in np.flatnonzero(n_valid).tolist():
            seen: set[str] = set()
            for j in order[r, :n_valid[r]].tolist():
                q, basis = float(Q[r, j]), _BASES[B[r, j]]
                if kind == "context":
                    q, basis = float("nan"), None
                    label, text = _context_wording(features[j], float(V[r, j]), float(C[r, j]))
                elif worded[r, j]:
                    q, basis = float("nan"), None
                    label = feature_label(features[j]) if kind == "adverse" else favourable_label(features[j])
                    text = f"{label}: {words[r, j]}"
                else:
                    label, text = _wording(features[j], kind, float(V[r, j]), q, basis)
                # Features sharing a label (utilisation and its 3-month mean) are cited once, the largest.
                if label in seen:
                    continue
                seen.add(label)
                records.append((r, kind, len(seen), features[j], label, V[r, j], q, basis, C[r, j], text))
                if len(seen) == limit:
                    break
    long = pd.DataFrame.from_records(records, columns=["pos", "kind", "rank", "feature", "label", "value",
                                                        "peer_percentile", "percentile_basis", "contribution",
                                                        "text"])
    id_values = X[ids].reset_index(drop=True)
    if format == "long":
        order_of_kind = long["kind"].map({k: i for i, k in enumerate(KINDS)})
        long = (long.assign(_kind=order_of_kind).sort_values(["pos", "_kind", "rank"], kind="stable")
                .drop(columns="_kind").reset_index(drop=True))
        positions = long["pos"].to_numpy(dtype=int)
        long.insert(0, "row", X.index.to_numpy()[positions])
        for k, col in enumerate(ids):
            long.insert(1 + k, col, id_values[col].to_numpy()[positions])
        return long.drop(columns="pos")
    counts = {"adverse": top, "mitigating": top, "context": context}
    wide = pd.DataFrame(index=X.index, columns=[f"{kind}_{k}" for kind in KINDS for k in range(1, counts[kind] + 1)],
                        dtype=object)
    for kind in KINDS:
        part = long[long["kind"] == kind]
        for k in range(1, counts[kind] + 1):
            sel = part[part["rank"] == k]
            column = np.full(len(X), np.nan, dtype=object)
            column[sel["pos"].to_numpy(dtype=int)] = sel["text"].to_numpy(dtype=object)
            wide[f"{kind}_{k}"] = column
    for k, col in enumerate(ids):
        wide.insert(k, col, id_values[col].to_numpy())
    return wide


_KIND_HEADINGS = {"adverse": "adverse driver", "mitigating": "mitigating factor",
                  "context": "context (economy, data; not a reason)"}


def reason_table(reasons: pd.DataFrame, scores: pd.DataFrame | None = None) -> pd.DataFrame:
    """The long format of ``reason_codes`` as a reader sees it, every text in full.

    One block per row explained, labelled with its ``obligor_id`` and ``obs_date`` when the
    codes carry them (``ids=``), else its row label, and with its PD and grade when ``scores``
    (a frame with ``pd`` and ``grade``, indexed like the X explained, e.g. the training run's
    predictions) is given. Index: (``obligor``, ``kind``, ``#``); columns ``reason or context``
    (the text) and ``effect on score (log-odds)`` (the contribution with its sign: positive
    raises the PD). Kinds are shown as "adverse driver", "mitigating factor" and "context
    (economy, data; not a reason)", in that order.
    """
    needed = {"row", "kind", "rank", "text", "contribution"}
    if not needed <= set(reasons.columns):
        raise ValueError("reason_table needs the long format of reason_codes (format='long'); missing: "
                         + ", ".join(sorted(needed - set(reasons.columns))))
    if scores is not None and not {"pd", "grade"} <= set(scores.columns):
        raise ValueError("scores needs columns 'pd' and 'grade'")

    def who(record: pd.Series) -> str:
        parts = [text(record["obligor_id"]) if "obligor_id" in record.index else text(record["row"])]
        if "obs_date" in record.index:
            parts.append(date(record["obs_date"]))
        if scores is not None and record["row"] in scores.index:
            parts.append(f"PD {pd_percent(scores.loc[record['row'], 'pd'])}")
            parts.append(f"grade {text(scores.loc[record['row'], 'grade'])}")
        return ", ".join(parts)

    index = pd.MultiIndex.from_arrays(
        [[who(r) for _, r in reasons.iterrows()], reasons["kind"].map(_KIND_HEADINGS).to_numpy(),
         reasons["rank"].astype(int).to_numpy()], names=["obligor", "kind", "#"])
    return pd.DataFrame({"reason or context": reasons["text"].map(text).to_numpy(),
                         "effect on score (log-odds)": reasons["contribution"].map(signed).to_numpy()}, index=index)
