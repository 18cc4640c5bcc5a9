"""IFRS 9 staging: each facility in stage 1 (12-month ECL), 2 (significant increase in credit risk
since origination, lifetime ECL) or 3 (credit-impaired, lifetime ECL), with the trigger that put it there.

Rules, in order of precedence (the first that holds is the facility's ``trigger``; ``triggers`` lists
every one that holds, so a stage 3 facility also shows the stage 2 signs it had):

=====  ==================================  ============================================================
stage  trigger                             rule
=====  ==================================  ============================================================
3      "in default"                        the obligor is in default at the as-of (``defaulted``):
                                           IFRS 9 Appendix A "credit-impaired", B5.5.37 aligns it
                                           with the regulatory default definition (CRR art. 178)
3      "90+ days past due"                 days_past_due >= ``stage3_dpd``: B5.5.37's rebuttable
                                           presumption that default occurs at 90 days past due
2      "30+ days past due (backstop)"      days_past_due >= ``backstop_dpd``: IFRS 9 5.5.11's
                                           rebuttable presumption of a significant increase
2      "PD 3.4x its origination level"     pd / pd_origination >= ``pd_multiple`` while pd is not below
                                           ``low_credit_risk_pd`` (the IFRS 9 5.5.10 low-credit-risk
                                           exemption); needs the PD at origination (NaN: no signal)
2      "on the watchlist"                  ``watchlist`` (``use_watchlist``): a qualitative indicator,
                                           B5.5.17 (actual or expected changes in the borrower's
                                           situation, closer credit monitoring)
2      "forborne"                          ``forborne`` (``use_forbearance``): concessions to a
                                           borrower in difficulty, B5.5.17(e) and EBA ITS on
                                           forbearance (EBA/ITS/2013/03)
1      ""                                  none of the above
=====  ==================================  ============================================================

The quantitative test compares the 12-month PD now with the 12-month PD at origination, the proxy of
the lifetime-PD comparison that IFRS 9 5.5.9 asks for which B5.5.13 allows when the change in the two
is similar (EBA/Rep/2021/35, IFRS 9 implementation monitoring report, sec. 2.6). The low-credit-risk
exemption switches off only that test: arrears, the watchlist and forbearance still move a facility to
stage 2 (a client in arrears or on the watchlist is not low credit risk in substance, B5.5.22-24).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from .. import format as fmt
from ..params import StrictModel
from .checks import row_ids

__all__ = ["StagingParams", "STAGING_COLUMNS", "STAGES", "assign_stages", "stage_summary", "stage_table"]

STAGES = (1, 2, 3)
#: Columns ``assign_stages`` reads (watchlist / forborne only when their rule is on).
STAGING_COLUMNS = ("facility_id", "defaulted", "days_past_due", "pd", "pd_origination", "watchlist", "forborne")


class StagingParams(StrictModel):
    """Thresholds of the IFRS 9 stage rules."""

    stage3_dpd: int = Field(90, ge=1, description="Days past due from which a facility is credit-impaired (stage "
                                                  "3): IFRS 9 B5.5.37's rebuttable presumption, the CRR art. "
                                                  "178(1)(b) default definition")
    backstop_dpd: int = Field(30, ge=1, description="Days past due from which credit risk has increased "
                                                    "significantly (stage 2): IFRS 9 5.5.11's backstop")
    pd_multiple: float = Field(
        3.0, gt=1, description="Stage 2 when the 12-month PD is at least this multiple of the PD at origination: a "
                               "tripling is a common relative SICR threshold (IFRS 9 B5.5.17(a) names changes in "
                               "PD; EBA/Rep/2021/35 sec. 2.1 surveys banks' relative thresholds), the same as the "
                               "early warnings' amber pd_multiple_origination (accounts.ews)")
    low_credit_risk_pd: float = Field(
        0.003, ge=0, lt=1, description="IFRS 9 5.5.10 low-credit-risk exemption: no PD-multiple trigger while the PD "
                                       "now is below this, about the investment-grade boundary (BBB-). The early "
                                       "warnings apply the same exemption to their PD-multiple signal with their own "
                                       "EWSParams.low_risk_pd (0.2 %, which also floors their origination PD): a "
                                       "facility with a PD between the two can show an amber PD-multiple alert yet "
                                       "stay in stage 1; set both to one value to align them")
    use_watchlist: bool = Field(True, description="Clients on the watchlist (red early warning) are stage 2: a "
                                                  "qualitative SICR indicator (IFRS 9 B5.5.17)")
    use_forbearance: bool = Field(True, description="Forborne facilities are stage 2 (IFRS 9 B5.5.17(e); "
                                                    "EBA/ITS/2013/03 forborne exposures)")

    @model_validator(mode="after")
    def _ordered(self) -> "StagingParams":
        if self.backstop_dpd >= self.stage3_dpd:
            raise ValueError(f"backstop_dpd ({self.backstop_dpd}) must be below stage3_dpd ({self.stage3_dpd})")
        return self


def _flag(frame: pd.DataFrame, column: str) -> np.ndarray:
    values = frame[column]
    bad = values.isna().to_numpy()
    if bad.any():
        raise ValueError(f"{column} must be True or False; missing for facilities {row_ids(frame, bad)}")
    return values.astype(bool).to_numpy()


def assign_stages(frame: pd.DataFrame, params: StagingParams | None = None) -> pd.DataFrame:
    """The stage of each facility of ``frame`` (module docstring), in the frame's order.

    ``frame``: facility_id, defaulted, days_past_due, pd, pd_origination (NaN: unknown), watchlist and
    forborne (only when their rule is on). Returns facility_id, stage (1/2/3), trigger (the primary
    one in words, "" in stage 1), triggers (all that hold, "; "-joined), pd_multiple (pd /
    pd_origination, NaN when unknown) and low_credit_risk (pd below the exemption threshold).
    """
    params = params or StagingParams()
    needed = ["facility_id", "defaulted", "days_past_due", "pd", "pd_origination"]
    needed += ["watchlist"] if params.use_watchlist else []
    needed += ["forborne"] if params.use_forbearance else []
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise KeyError(f"facility frame lacks column(s) {', '.join(missing)} (needed for staging)")
    if frame["facility_id"].duplicated().any():
        dup = frame.loc[frame["facility_id"].duplicated(), "facility_id"].astype(str).unique()[:5].tolist()
        raise ValueError(f"facility_id must be unique; repeated: {dup}")
    n = len(frame)
    defaulted = _flag(frame, "defaulted")
    dpd = frame["days_past_due"].to_numpy(dtype=float)
    bad = ~(dpd >= 0)
    if bad.any():
        raise ValueError(f"days_past_due must be a number >= 0; not so for facilities {row_ids(frame, bad)}")
    pd_now = frame["pd"].to_numpy(dtype=float)
    bad = ~((pd_now >= 0) & (pd_now <= 1)) & ~defaulted
    if bad.any():
        raise ValueError(f"pd must lie in [0, 1]; not so for facilities {row_ids(frame, bad)}")
    pd_orig = frame["pd_origination"].to_numpy(dtype=float)
    bad = (pd_orig < 0) | (pd_orig > 1)
    if bad.any():
        raise ValueError(f"pd_origination must lie in [0, 1] (or be NaN: unknown); not so for facilities "
                         f"{row_ids(frame, bad)}")
    with np.errstate(divide="ignore", invalid="ignore"):
        multiple = np.where(pd_orig > 0, pd_now / pd_orig, np.where(pd_orig == 0, np.inf, np.nan))
    multiple = np.where(defaulted, np.nan, multiple)  # PD 1 of a defaulted obligor is a convention, not a rating
    low_risk = pd_now < params.low_credit_risk_pd
    no = np.zeros(n, dtype=bool)
    rules: list[tuple[int, np.ndarray, np.ndarray]] = [
        (3, defaulted, np.full(n, "in default", dtype=object)),
        (3, dpd >= params.stage3_dpd, np.full(n, f"{params.stage3_dpd}+ days past due", dtype=object)),
        (2, dpd >= params.backstop_dpd, np.full(n, f"{params.backstop_dpd}+ days past due (backstop)", dtype=object)),
        # 1e-12: a multiple of exactly the threshold must not miss it by floating-point rounding of the ratio.
        (2, ~low_risk & (multiple >= params.pd_multiple * (1 - 1e-12)),
         np.array([f"PD {m:.1f}x its origination level" if np.isfinite(m) else "PD above a zero origination PD"
                   for m in multiple], dtype=object)),
        (2, _flag(frame, "watchlist") if params.use_watchlist else no, np.full(n, "on the watchlist", dtype=object)),
        (2, _flag(frame, "forborne") if params.use_forbearance else no, np.full(n, "forborne", dtype=object)),
    ]
    holds = np.column_stack([r[1] for r in rules])
    stage_of_rule = np.array([r[0] for r in rules])
    words = np.column_stack([r[2] for r in rules])
    any_rule = holds.any(axis=1)
    first = np.argmax(holds, axis=1)
    stage = np.where(any_rule, stage_of_rule[first], 1).astype(np.int64)
    trigger = np.where(any_rule, words[np.arange(n), first], "")
    triggers = ["; ".join(w[h]) for w, h in zip(words, holds)]
    return pd.DataFrame({"facility_id": frame["facility_id"].to_numpy(), "stage": stage,
                         "trigger": trigger.astype(object), "triggers": np.array(triggers, dtype=object),
                         "pd_multiple": multiple, "low_credit_risk": low_risk & ~defaulted})


def _trigger_kind(trigger: pd.Series) -> pd.Series:
    # "PD 3.4x its origination level" -> one row for all PD-multiple triggers in the summary.
    return trigger.where(~trigger.str.startswith("PD "), "PD multiple since origination").replace("", "no trigger")


def stage_summary(stages: pd.DataFrame, ead=None) -> pd.DataFrame:
    """Facilities (and EAD, EUR m, when ``ead`` is given: an array aligned with ``stages`` or a Series by
    facility_id) per stage and primary trigger, with their shares, plus one total row per stage.
    Index: (stage, trigger); the stage totals have trigger "all"."""
    missing = [c for c in ("facility_id", "stage", "trigger") if c not in stages.columns]
    if missing:
        raise KeyError(f"stages lacks column(s) {', '.join(missing)}")
    df = pd.DataFrame({"stage": stages["stage"].to_numpy(), "trigger": _trigger_kind(stages["trigger"].astype(str))
                       .to_numpy()})
    if ead is not None:
        if isinstance(ead, pd.Series):
            values = stages["facility_id"].map(ead)
            if values.isna().any():
                raise KeyError(f"ead has no value for facilities "
                               f"{stages.loc[values.isna(), 'facility_id'].astype(str).tolist()[:5]}")
            df["ead"] = values.to_numpy(dtype=float)
        else:
            values = np.asarray(ead, dtype=float)
            if values.shape != (len(stages),):
                raise ValueError(f"ead must have one value per row of stages ({len(stages)}); got shape "
                                 f"{values.shape}")
            df["ead"] = values
    agg = {"facilities": ("stage", "size")} | ({"ead": ("ead", "sum")} if ead is not None else {})
    by_trigger = df.groupby(["stage", "trigger"]).agg(**agg)
    totals = df.groupby("stage").agg(**agg)
    totals.index = pd.MultiIndex.from_arrays([totals.index, ["all"] * len(totals)], names=["stage", "trigger"])
    out = pd.concat([totals, by_trigger])
    order = np.lexsort((-out["facilities"].to_numpy(), out.index.get_level_values(1) != "all",
                        out.index.get_level_values(0)))
    out = out.iloc[order]
    out["share_of_facilities"] = out["facilities"] / max(len(df), 1)
    if ead is not None:
        total = df["ead"].sum()
        out["share_of_ead"] = out["ead"] / total if total > 0 else np.nan
    return out


def stage_table(stages: pd.DataFrame, ead=None) -> pd.DataFrame:
    """``stage_summary`` for people."""
    summary = stage_summary(stages, ead)
    shown = summary.copy()
    shown.index = pd.Index([f"stage {s}" if t == "all" else f"  {t}" for s, t in summary.index], name="stage / trigger")
    return fmt.display_frame(shown, {"facilities": ("facilities", fmt.integer),
                                     "share_of_facilities": ("share of facilities", lambda v: fmt.percent(v, 1)),
                                     "ead": ("EAD (EUR m)", fmt.eur_m),
                                     "share_of_ead": ("share of EAD", lambda v: fmt.percent(v, 1))})
