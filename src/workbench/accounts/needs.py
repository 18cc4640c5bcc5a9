"""Needs analysis of key accounts: questionnaire answers and figures turned into needs, and an offer.

For every obligor of a one-month scored snapshot at once, ``needs_profile`` scores seven needs
(``NEEDS``: working capital, capex / expansion, project finance, refinancing of maturities within 24
months, hedging of rate / FX exposure, cash management, advisory) from 0 (no sign of the need) to 1
(strong signs), keeps the answers and figures behind each score, and turns the identified needs into
suggested products and value-added services, never offering a product the client is not eligible for.

**Scores.** Each need has a rule (``NeedRule``) listing its inputs with weights. An input is either a
questionnaire answer (question id of ``workbench.reference.QUESTIONS``, from the obligor's latest
survey on or before the as-of date) or a figure: a snapshot column (``utilisation``, ``dso``,
``capex_to_revenue``, ...) or one of ``DERIVED_FIGURES`` computed here from the facilities
(``maturing_share``: the share of the committed amount, ``max(limit, drawn)``, of the live term
loans, revolvers and project loans maturing within ``maturity_horizon_months``; one-year trade lines
and guarantees are renewed in the course of business, not refinanced). Each input maps linearly from its ``low`` anchor (component 0) to its
``high`` anchor (component 1), clipped; ``high < low`` reverses it (a low current ratio signals a
working-capital need). The score is the weighted mean of the components that are known; when the
known inputs carry less than ``min_known_weight`` of the rule's weight the score is NaN ("not enough
information"), so a client without a questionnaire is not scored on one figure. A need is
**identified** when its score is at or above its threshold (the rule's, else ``threshold``).

**Evidence.** ``NeedsProfile.evidence`` has one row per obligor, need and input: the raw value, its
component, weight and contribution to the score, and a sentence ("Q08 Planned expansion or
acquisitions: answer 5 of 5 (survey 2019-06-19) -> 1.00, weight 0.45").

**Offer and eligibility.** Each identified need suggests the rule's products (codes of
``workbench.reference.PRODUCTS``) and services (text). A product is a credit decision: it is kept only
when the structuring desk's admission rules (``workbench.structuring.admission``) would not decline
it. ``assess_admission`` takes one panel row and one request (0.7 ms a call: 4,000 obligors x 4
products would take ~12 s), so eligibility is screened vectorised by ``admission_screen``, which
applies exactly the rules that make ``assess_admission`` decline: the *fail* statuses of its checks
(grade D; industry score below ``industry_fail_below``; leverage, debt/EBITDA (or an EBITDA <= 0),
interest cover and current ratio beyond the fail limit of the grade band, loosened for project
finance; EBITDA margin below its floor; arrears and covenant breaches at their fail levels). None of
these depends on the request (amount, tenor and collateral only ever *refer*), so a declined client is
declined for every product and an eligible one may still be referred to the committee. A test checks
the screen against ``assess_admission`` for every obligor of a generated portfolio and every product.
A declined product stays in ``offers`` with ``eligible=False`` and its reason, for the reviewer;
``suggested`` holds only the eligible ones. ``offer_table(obligor_id)`` runs the full
``assess_admission`` for that client's suggested products (a few calls) to show approve / refer.

The representative request of a product (``ProductRequest``) is a share of the client's revenue over a
product tenor, unsecured; it only matters for the referral detail of ``offer_table``.

The snapshot must be *scored* (``pd`` and ``grade`` columns, as ``accounts.scoring`` adds them):
without a grade the admission rules cannot be applied and no product could be vouched for.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from pydantic import Field, field_validator, model_validator

from .. import format as fmt
from ..params import StrictModel
from ..pricing.grid import live_facilities
from ..reference import ANSWER_RANGE, DEFAULT_GRADE, PRODUCTS, QUESTIONS
from ..structuring.admission import AdmissionParams, AdmissionResult, FacilityRequest, assess_admission, industry_score
from ..structuring.admission.context import PROJECT_FINANCE, band_limits, parse_grade

__all__ = ["NEEDS", "DERIVED_FIGURES", "NeedInput", "NeedRule", "ProductRequest", "NeedsParams", "NeedsProfile",
           "needs_profile", "admission_screen", "plot_needs", "EVIDENCE_COLUMNS", "OFFER_COLUMNS"]

NEEDS: tuple[str, ...] = ("working_capital", "capex_expansion", "project_finance", "refinancing", "hedging",
                          "cash_management", "advisory")
#: Figures computed here rather than read from the snapshot.
DERIVED_FIGURES: dict[str, str] = {
    "maturing_share": "share of the committed amount (max(limit, drawn)) of the live facilities of the "
                      "maturing_products maturing within the horizon",
}
EVIDENCE_COLUMNS = ("obligor_id", "need", "score", "input", "source", "value", "component", "weight",
                    "contribution", "evidence")
OFFER_COLUMNS = ("obligor_id", "need", "score", "product", "eligible", "reason", "services", "amount",
                 "tenor_years")
_FACILITY_COLUMNS = ("obligor_id", "limit", "drawn", "origination_date", "maturity_date")
_QUESTIONNAIRE_COLUMNS = ("obligor_id", "survey_date", "question_id", "answer")
_LO, _HI = ANSWER_RANGE


class NeedInput(StrictModel):
    """One answer or figure feeding a need, mapped linearly from ``low`` (0) to ``high`` (1), clipped."""

    source: Literal["answer", "figure"] = Field(..., description="answer: a questionnaire question id; figure: a "
                                                "snapshot column or a DERIVED_FIGURES name")
    name: str = Field(..., description="Question id (Q01..) or figure name")
    weight: float = Field(..., gt=0, description="Weight in the need's score (normalised over the known inputs)")
    low: float = Field(_LO, description="Value scoring 0 (for answers: 1 = the low end of the scale)")
    high: float = Field(_HI, description="Value scoring 1; below low reverses the input (low values signal the need)")
    unit: Literal["share", "x", "days", "number", "flag", "log_eur_m"] = Field(
        "number", description="How the figure is shown in the evidence (answers show as 'n of 5')")
    why: str = Field("", description="Why the input signals the need (shown in the params table)")

    @model_validator(mode="after")
    def _valid(self) -> NeedInput:
        if self.low == self.high:
            raise ValueError(f"input {self.name}: low and high must differ")
        if self.source == "answer" and self.name not in QUESTIONS:
            raise ValueError(f"input {self.name}: not a question of the catalogue ({', '.join(QUESTIONS)})")
        return self


class NeedRule(StrictModel):
    """How one need is scored and what it suggests."""

    label: str = Field(..., description="The need in words")
    inputs: tuple[NeedInput, ...] = Field(..., min_length=1, description="Answers and figures with weights")
    threshold: float | None = Field(None, ge=0, le=1, description="Identified at or above this score; None = "
                                    "NeedsParams.threshold")
    products: tuple[str, ...] = Field((), description="Suggested products (codes of reference PRODUCTS), each "
                                      "subject to the admission rules")
    services: tuple[str, ...] = Field((), description="Value-added services suggested with the need (no credit "
                                      "decision)")

    @field_validator("products")
    @classmethod
    def _known_products(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        bad = [p for p in v if p not in PRODUCTS]
        if bad:
            raise ValueError(f"unknown product(s) {', '.join(bad)}; known: {', '.join(PRODUCTS)}")
        return v


class ProductRequest(StrictModel):
    """The representative facility request of a product, for the admission assessment."""

    revenue_share: float = Field(..., gt=0, le=2, description="Amount as a share of the client's revenue")
    tenor_years: float = Field(..., gt=0, le=50, description="Tenor of the product")
    min_amount: float = Field(1.0, gt=0, description="Smallest amount (EUR m), also used without a revenue figure")


def _a(name: str, weight: float, *, reverse: bool = False, why: str = "") -> NeedInput:
    return NeedInput(source="answer", name=name, weight=weight, low=_HI if reverse else _LO,
                     high=_LO if reverse else _HI, why=why)


def _f(name: str, weight: float, low: float, high: float, unit: str = "number", why: str = "") -> NeedInput:
    return NeedInput(source="figure", name=name, weight=weight, low=low, high=high, unit=unit, why=why)


def _default_needs() -> dict[str, NeedRule]:
    """The desk's default rules. Anchors are set where a relationship manager would start a conversation:
    the figure's "no need" end is about the synthetic book's median, the "need" end about its top decile
    (utilisation median 0.46, DSO 45 days, revenue growth 7 %, capex/revenue 6 %, current ratio 2.0x)."""
    return {
        "working_capital": NeedRule(
            label="Working capital", products=("revolver", "trade_finance"),
            services=("receivables and supply-chain finance review", "cash-conversion-cycle benchmark"),
            inputs=(_f("utilisation", 0.30, 0.40, 0.80, "share", "lines drawn close to the limit"),
                    _a("Q07", 0.20, why="funding needs over the next 12 months"),
                    _f("current_ratio", 0.15, 1.8, 1.0, "x", "thin liquidity"),
                    _f("dso", 0.15, 40.0, 75.0, "days", "slow collections tie up cash"),
                    _f("revenue_growth", 0.20, 0.03, 0.15, "share", "growth consumes working capital"))),
        "capex_expansion": NeedRule(
            label="Capex / expansion", products=("term_loan",),
            services=("financing structure matched to the asset life", "export-credit cover for imported equipment"),
            inputs=(_a("Q08", 0.45, why="planned expansion or acquisitions"),
                    _a("Q07", 0.15, why="funding needs over the next 12 months"),
                    _f("capex_to_revenue", 0.20, 0.06, 0.15, "share", "high investment intensity"),
                    _f("revenue_growth", 0.20, 0.05, 0.20, "share", "growth needs capacity"))),
        "project_finance": NeedRule(
            label="Project finance", products=("project_loan", "guarantee"),
            services=("financial model review and DSCR sculpting", "completion and performance guarantees"),
            inputs=(_f("project_finance", 0.50, 0.0, 1.0, "flag", "a project company (segment project_finance)"),
                    _a("Q08", 0.30, why="a major investment planned"),
                    _f("capex_to_revenue", 0.20, 0.08, 0.20, "share", "heavy investment relative to revenue"))),
        "refinancing": NeedRule(
            label="Refinancing of maturities within 24 months", products=("term_loan", "revolver"),
            services=("refinancing plan (amend and extend)", "debt capital markets: bond or Schuldschein"),
            inputs=(_f("maturing_share", 0.75, 0.10, 0.60, "share", "facilities maturing within the horizon"),
                    _a("Q07", 0.25, why="funding needs over the next 12 months"))),
        "hedging": NeedRule(
            label="Hedging of rate / FX exposure",
            services=("interest-rate swap or cap on floating-rate debt", "FX forwards and options for trade flows",
                      "commodity hedging review"),
            inputs=(_a("Q10", 0.55, reverse=True, why="little hedging of rate, FX and commodity risks"),
                    _f("leverage", 0.25, 0.15, 0.50, "share", "more debt, more rate exposure"),
                    _f("interest_cover", 0.20, 8.0, 2.0, "x", "earnings sensitive to the rate"))),
        "cash_management": NeedRule(
            label="Cash management",
            services=("cash pooling and liquidity management", "payments and collections platform",
                      "investment of surplus cash (deposits, money-market funds)"),
            inputs=(_f("cash_to_assets", 0.35, 0.08, 0.16, "share", "surplus cash to manage"),
                    _f("log_revenue", 0.25, 6.0, 8.0, "log_eur_m", "size: many payment flows"),
                    _f("dso", 0.20, 40.0, 75.0, "days", "collections to speed up"),
                    _a("Q04", 0.20, reverse=True, why="many customers: many incoming payments"))),
        "advisory": NeedRule(
            label="Advisory",
            services=("M&A advisory for planned acquisitions", "succession and key-person planning",
                      "capital structure and rating advisory"),
            inputs=(_a("Q08", 0.35, why="acquisitions planned"),
                    _a("Q09", 0.25, why="dependence on a few key persons"),
                    _a("Q02", 0.20, reverse=True, why="business plan to sharpen"),
                    _f("leverage", 0.20, 0.30, 0.60, "share", "capital structure to review"))),
    }


def _default_requests() -> dict[str, ProductRequest]:
    """A typical ticket per product: a term loan of 15 % of revenue over 5 years, a revolver of 10 % over 3,
    a project loan of 30 % over 15, trade finance of 5 % over 1 and a guarantee of 5 % over 3."""
    return {"term_loan": ProductRequest(revenue_share=0.15, tenor_years=5.0),
            "revolver": ProductRequest(revenue_share=0.10, tenor_years=3.0),
            "project_loan": ProductRequest(revenue_share=0.30, tenor_years=15.0),
            "trade_finance": ProductRequest(revenue_share=0.05, tenor_years=1.0),
            "guarantee": ProductRequest(revenue_share=0.05, tenor_years=3.0)}


class NeedsParams(StrictModel):
    """Rules of the needs analysis: inputs and weights per need, when a need is identified, what it
    suggests, the representative request per product and the admission policy that vets it."""

    needs: dict[str, NeedRule] = Field(default_factory=_default_needs,
                                       description="Need -> its rule (see _default_needs for the defaults)")
    threshold: float = Field(0.6, ge=0, le=1, description="A need is identified at or above this score (rules "
                             "may override): 0.6 means the signs point clearly past the middle of their anchors")
    min_known_weight: float = Field(0.5, gt=0, le=1, description="A score needs known inputs carrying at least "
                                    "this share of the rule's weight, else it is NaN (not enough information)")
    maturity_horizon_months: int = Field(24, ge=1, le=120, description="Maturities within this many months after "
                                         "the as-of count for refinancing (the issue's 24 months)")
    maturing_products: tuple[str, ...] = Field(
        ("term_loan", "revolver", "project_loan"),
        description="Products whose maturities count for refinancing (when the facilities carry a product): "
                    "trade finance lines (one year, self-liquidating) and guarantees are renewed in the course of "
                    "business, not refinanced")
    product_requests: dict[str, ProductRequest] = Field(default_factory=_default_requests,
                                                        description="Product -> representative request")
    admission: AdmissionParams = Field(default_factory=AdmissionParams, description="The structuring desk's "
                                       "admission policy: pass the structuring params' block to share it")

    @model_validator(mode="after")
    def _complete(self) -> NeedsParams:
        missing = sorted({p for r in self.needs.values() for p in r.products} - set(self.product_requests))
        if missing:
            raise ValueError(f"product_requests lacks product(s) {', '.join(missing)} used by the needs rules")
        bad = [q for q in self.maturing_products if q not in PRODUCTS]
        if bad:
            raise ValueError(f"maturing_products: unknown product(s) {', '.join(bad)}; known: {', '.join(PRODUCTS)}")
        return self

    def need_threshold(self, need: str) -> float:
        t = self.needs[need].threshold
        return self.threshold if t is None else t


# ----------------------------------------------------------------------------------------------
# Admission screen


def _band_of(bands, grade: int):
    for b in bands:
        if b.grade_from <= grade <= b.grade_to:
            return b
    return None


def _num_col(frame: pd.DataFrame, name: str) -> np.ndarray:
    if name not in frame.columns:
        return np.full(len(frame), np.nan)
    v = pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=np.float64)
    return np.where(np.isfinite(v), v, np.nan)


def _fmt2(v: float) -> str:
    return f"{v:,.2f}" if abs(v) < 1000 else f"{v:,.0f}"


def admission_screen(rows: pd.DataFrame, params: AdmissionParams | None = None) -> pd.DataFrame:
    """Whether ``assess_admission`` would decline each row, whatever the request, vectorised.

    Applies every rule under which a check of ``ADMISSION_CHECKS`` *fails* (see the module docstring);
    the refer rules are not needed for eligibility. ``rows``: snapshot rows with ``grade`` (and the
    admission's ``PANEL_COLUMNS``; a missing column counts as missing values, which refer, never fail).
    Returns, on the same index, ``declined`` (bool), ``failed_checks`` (names, comma-separated) and
    ``decline_reason`` (the failures in words; empty when not declined).
    """
    p = params or AdmissionParams()
    if "grade" not in rows.columns:
        raise KeyError("admission_screen needs column grade (a scored snapshot)")
    n = len(rows)
    codes, uniques = pd.factorize(rows["grade"], use_na_sentinel=True)
    parsed = [parse_grade(g) for g in uniques]
    grade = np.array([parsed[c] if c >= 0 else None for c in codes], dtype=object) if n else np.array([], object)
    defaulted = np.array([g == DEFAULT_GRADE for g in grade], dtype=bool)
    segment = rows["segment"].astype(str).to_numpy() if "segment" in rows.columns else np.full(n, "")
    is_pf = segment == PROJECT_FINANCE
    fails: dict[str, np.ndarray] = {}

    # Industry score: a function of the industry and the macro columns only, so per distinct combination.
    ind_cols = ["industry", *p.macro_anchors]
    keys = pd.DataFrame({c: (rows[c] if c in rows.columns else pd.Series(np.nan, index=rows.index))
                         for c in ind_cols}).reset_index(drop=True)
    combo_code, combos = pd.factorize(pd.MultiIndex.from_frame(keys.astype(object).where(keys.notna(), None)))
    combo_score = np.array([industry_score(pd.Series(dict(zip(ind_cols, c))), p)[0] for c in combos], dtype=float)
    score = combo_score[combo_code] if n else np.array([], float)

    # Band limits (with the project-finance allowance) per distinct performing grade and segment flag.
    lev_fail, d2e_fail, ic_fail, cr_fail = (np.full(n, np.nan) for _ in range(4))
    has_band = np.zeros(n, dtype=bool)
    perf = np.array([isinstance(g, int) for g in grade], dtype=bool)
    if perf.any():
        gnum = np.where(perf, [g if isinstance(g, int) else 0 for g in grade], 0).astype(np.int64)
        for g, pf in set(zip(gnum[perf].tolist(), is_pf[perf].tolist())):
            band = _band_of(p.grade_bands, g)
            if band is None:
                continue
            lim = band_limits(band, PROJECT_FINANCE if pf else "", p.project_finance)
            sel = perf & (gnum == g) & (is_pf == pf)
            has_band[sel] = True
            lev_fail[sel], d2e_fail[sel] = lim.max_leverage.fail, lim.max_debt_to_ebitda.fail
            ic_fail[sel], cr_fail[sel] = lim.min_interest_cover.fail, lim.min_current_ratio.fail

    lev, d2e, ic, cr = (_num_col(rows, c) for c in ("leverage", "debt_to_ebitda", "interest_cover", "current_ratio"))
    d2e_undef = _num_col(rows, "debt_to_ebitda__undefined") == 1
    margin, dpd, cov = (_num_col(rows, c) for c in ("ebitda_margin", "dpd_max_12m", "covenant_breaches_12m"))
    with np.errstate(invalid="ignore"):
        fails["rating grade"] = defaulted
        fails["industry score"] = np.isfinite(score) & (score < p.industry_fail_below)
        fails["leverage"] = has_band & (lev > lev_fail)
        fails["debt/EBITDA"] = has_band & ((np.isnan(d2e) & d2e_undef) | (d2e > d2e_fail))
        fails["interest cover"] = has_band & (ic < ic_fail)
        fails["current ratio"] = has_band & (cr < cr_fail)
        fails["EBITDA margin"] = margin < p.min_ebitda_margin.fail
        fails["arrears"] = dpd > p.dpd_fail_above
        fails["covenant breaches"] = cov >= p.covenant_breaches_fail_at
    texts = {
        "rating grade": lambda i: "client in default (grade D)",
        "industry score": lambda i: f"industry score {score[i]:.0f}/100 below {p.industry_fail_below:g}",
        "leverage": lambda i: f"leverage {_fmt2(lev[i])} above the limit {_fmt2(lev_fail[i])}",
        "debt/EBITDA": lambda i: ("debt/EBITDA undefined: EBITDA <= 0 (loss-making)" if np.isnan(d2e[i]) else
                                  f"debt/EBITDA {_fmt2(d2e[i])}x above the limit {_fmt2(d2e_fail[i])}x"),
        "interest cover": lambda i: f"interest cover {_fmt2(ic[i])}x below the floor {_fmt2(ic_fail[i])}x",
        "current ratio": lambda i: f"current ratio {_fmt2(cr[i])}x below the floor {_fmt2(cr_fail[i])}x",
        "EBITDA margin": lambda i: f"EBITDA margin {_fmt2(margin[i])} below the floor {p.min_ebitda_margin.fail:g}",
        "arrears": lambda i: f"{dpd[i]:.0f} days past due in 12 months (fail above {p.dpd_fail_above:g})",
        "covenant breaches": lambda i: f"{cov[i]:.0f} covenant breaches in 12 months "
                                       f"(fail from {p.covenant_breaches_fail_at})",
    }
    names = [[] for _ in range(n)]
    for check, mask in fails.items():
        for i in np.flatnonzero(mask):  # the declined rows only: a small share of the book
            names[i].append(check)
    declined = np.zeros(n, dtype=bool)
    for mask in fails.values():
        declined |= mask
    reason = ["; ".join(texts[c](i) for c in names[i]) for i in range(n)]
    return pd.DataFrame({"declined": declined, "failed_checks": [", ".join(x) for x in names],
                         "decline_reason": reason}, index=rows.index)


# ----------------------------------------------------------------------------------------------
# Inputs


def _month_end(value) -> pd.Timestamp:
    return pd.Timestamp(value).normalize() + pd.offsets.MonthEnd(0)


def _latest_answers(questionnaires: pd.DataFrame | None, obligors: pd.Index, as_of: pd.Timestamp,
                    questions: list[str]) -> tuple[pd.DataFrame, pd.Series]:
    """Answers of each obligor's latest survey on or before ``as_of`` (obligor x question) and its date."""
    answers = pd.DataFrame(np.nan, index=obligors, columns=questions)
    dates = pd.Series(pd.NaT, index=obligors, dtype="datetime64[ns]")
    if questionnaires is None or questionnaires.empty or not questions:
        return answers, dates
    missing = [c for c in _QUESTIONNAIRE_COLUMNS if c not in questionnaires.columns]
    if missing:
        raise KeyError(f"needs_profile: table questionnaires lacks column(s) {', '.join(missing)}")
    q = questionnaires[["obligor_id", "survey_date", "question_id", "answer"]]
    q = q.assign(obligor_id=q["obligor_id"].astype(str), survey_date=pd.to_datetime(q["survey_date"]))
    q = q[(q["survey_date"] <= as_of) & q["obligor_id"].isin(obligors)]
    if q.empty:
        return answers, dates
    latest = q.groupby("obligor_id")["survey_date"].max()
    q = q[q["survey_date"].to_numpy() == q["obligor_id"].map(latest).to_numpy()]
    q = q[q["question_id"].astype(str).isin(questions)]
    wide = (q.assign(question_id=q["question_id"].astype(str))
            .drop_duplicates(["obligor_id", "question_id"], keep="last")
            .set_index(["obligor_id", "question_id"])["answer"].astype(float).unstack())
    answers.update(wide)
    dates.loc[latest.index] = latest.to_numpy()
    return answers, dates


def _maturities(facilities: pd.DataFrame, obligors: pd.Index, as_of: pd.Timestamp, horizon_months: int,
                products: tuple[str, ...]) -> pd.DataFrame:
    """Committed and maturing amounts (EUR m) of the live facilities of ``products`` per obligor, and the
    maturing share (all facilities count when the table has no product column)."""
    missing = [c for c in _FACILITY_COLUMNS if c not in facilities.columns]
    if missing:
        raise KeyError(f"needs_profile: table facilities lacks column(s) {', '.join(missing)}")
    live = live_facilities(facilities, as_of)
    if "product" in live.columns:
        live = live[live["product"].astype(str).isin(products).to_numpy()]
    committed = np.maximum(live["limit"].to_numpy(dtype=float), live["drawn"].to_numpy(dtype=float))
    horizon = as_of + pd.DateOffset(months=horizon_months)
    maturing = np.where((live["maturity_date"] <= horizon).to_numpy(), committed, 0.0)
    per = pd.DataFrame({"committed": committed, "maturing": maturing}, index=live["obligor_id"].astype(str).to_numpy())
    sums = per.groupby(level=0).sum().reindex(obligors)
    sums["maturing_share"] = sums["maturing"] / sums["committed"].where(sums["committed"] > 0)
    return sums


def _figure_text(unit: str, v: float) -> str:
    if not np.isfinite(v):
        return "n/a"
    if unit == "share":
        return fmt.percent(v, 1)
    if unit == "x":
        return fmt.multiple(v)
    if unit == "days":
        return f"{v:.0f} days"
    if unit == "flag":
        return fmt.yes_no(v)
    if unit == "log_eur_m":
        return f"EUR {np.exp(v):,.0f} m (log {v:.2f})"
    return fmt.number(v)


# ----------------------------------------------------------------------------------------------
# The profile


@dataclass
class NeedsProfile:
    """Needs of every obligor of one month end, the evidence behind them and the resulting offer.

    ``scores``: obligor x need (0..1, NaN = not enough information); ``identified``: the same shape,
    True where the score reaches the need's threshold; ``evidence``: long (``EVIDENCE_COLUMNS``);
    ``offers``: one row per identified need and product (or one services-only row for a need without
    products), ``OFFER_COLUMNS``; ``rows``: the snapshot rows the admission read, by obligor.
    """

    as_of: pd.Timestamp
    scores: pd.DataFrame
    identified: pd.DataFrame
    evidence: pd.DataFrame
    offers: pd.DataFrame
    params: NeedsParams
    rows: pd.DataFrame

    @property
    def suggested(self) -> pd.DataFrame:
        """The offer without the products the client is not eligible for."""
        return self.offers[self.offers["eligible"]].reset_index(drop=True)

    def _check_obligor(self, obligor_id: str) -> str:
        oid = str(obligor_id)
        if oid not in self.scores.index:
            raise KeyError(f"obligor {oid!r} is not in the needs profile of {fmt.date(self.as_of)}")
        return oid

    def table(self, obligor_id: str) -> pd.DataFrame:
        """One client's needs: score, threshold, identified, the evidence behind the score, and what
        is suggested (eligible products, services)."""
        oid = self._check_obligor(obligor_id)
        ev = self.evidence[self.evidence["obligor_id"] == oid]
        ev = ev.assign(_c=ev["contribution"].fillna(-1.0)).sort_values(["need", "_c"], ascending=[True, False])
        why = ev.groupby("need", sort=False)["evidence"].agg("; ".join)
        sug = self.suggested[self.suggested["obligor_id"] == oid]
        products = sug.dropna(subset=["product"]).groupby("need")["product"].agg(", ".join)
        services = sug.drop_duplicates("need").set_index("need")["services"]
        needs = list(self.params.needs)
        t = pd.DataFrame({
            "label": [self.params.needs[k].label for k in needs],
            "score": self.scores.loc[oid, needs].to_numpy(dtype=float),
            "threshold": [self.params.need_threshold(k) for k in needs],
            "identified": self.identified.loc[oid, needs].to_numpy(dtype=bool),
            "evidence": [why.get(k, "") for k in needs],
            "products": [products.get(k, "") for k in needs],
            "services": [services.get(k, "") for k in needs],
        }, index=pd.Index(needs, name="need"))
        return fmt.display_frame(t.set_index("label"), {
            "score": ("score", _score_text), "threshold": ("threshold", _score_text), "identified": ("identified", fmt.yes_no),
            "products": ("suggested products", fmt.text), "services": ("services", fmt.text),
            "evidence": ("answers and figures behind the score", fmt.text),
        }, index=("need", fmt.text))

    def admission(self, obligor_id: str, product: str) -> AdmissionResult:
        """The full admission assessment of the product's representative request for this client."""
        oid = self._check_obligor(obligor_id)
        if product not in self.params.product_requests:
            raise KeyError(f"no representative request for product {product!r}")
        row = self.rows.loc[oid]
        amount = _request_amount(self.params.product_requests[product], _num_col(row.to_frame().T, "log_revenue"))
        req = FacilityRequest(amount=float(amount[0]), tenor_years=self.params.product_requests[product].tenor_years,
                              purpose=f"{product} (needs analysis)")
        return assess_admission(row, req, self.params.admission)

    def offer_table(self, obligor_id: str) -> pd.DataFrame:
        """One client's offer: per identified need its products with the admission outcome (the full
        assessment: approve, or refer with the checks the committee must decide; not eligible with the
        reason) and the services."""
        oid = self._check_obligor(obligor_id)
        o = self.offers[self.offers["obligor_id"] == oid].copy()
        outcome = []
        for product, eligible, reason in zip(o["product"], o["eligible"], o["reason"]):
            if product is None or (isinstance(product, float) and np.isnan(product)):
                outcome.append(reason)
            elif not eligible:
                outcome.append(reason)
            else:
                res = self.admission(oid, product)
                outcome.append("approve" if res.decision == "approve" else
                               f"refer: {', '.join(res.referred)}" if res.decision == "refer" else
                               f"not eligible: {', '.join(res.failed)}")
        o["outcome"] = outcome
        o["label"] = [self.params.needs[k].label for k in o["need"]]
        o = o.set_index("label")
        return fmt.display_frame(o, {
            "score": ("score", _score_text), "product": ("product", fmt.text),
            "amount": ("amount (EUR m)", lambda v: fmt.eur_m(v) if fmt.finite(v) is not None else ""),
            "tenor_years": ("tenor (years)", lambda v: fmt.number(v, 3) if fmt.finite(v) is not None else ""),
            "outcome": ("admission", fmt.text), "services": ("services", fmt.text),
        }, index=("need", fmt.text))


def _score_text(v) -> str:
    x = fmt.finite(v)
    return "n/a" if x is None else f"{x:.2f}"


def _request_amount(req: ProductRequest, log_revenue: np.ndarray) -> np.ndarray:
    revenue = np.exp(log_revenue)
    return np.where(np.isfinite(revenue), np.maximum(req.revenue_share * revenue, req.min_amount), req.min_amount)


def needs_profile(questionnaires: pd.DataFrame | None, snapshot: pd.DataFrame, facilities: pd.DataFrame,
                  params: NeedsParams | None = None, as_of=None) -> NeedsProfile:
    """Needs scores, evidence and eligible offer for every obligor of a one-month scored snapshot.

    Args:
        questionnaires: the questionnaires table (obligor_id, survey_date, question_id, answer); None or
            empty = no answers (answer inputs unknown).
        snapshot: one month end of the scored snapshot (one row per obligor, with ``grade`` and ``pd``);
            filter it to one obligor for a single client.
        facilities: the facilities table (obligor_id, limit, drawn, origination_date, maturity_date).
        params: the rules; None = :class:`NeedsParams` defaults.
        as_of: the as-of date; None = the snapshot's month end. Must be that month end when given.
    """
    p = params or NeedsParams()
    for col in ("obligor_id", "obs_date", "grade"):
        if col not in snapshot.columns:
            raise KeyError(f"needs_profile: the snapshot lacks column {col}"
                           + (" (score it first: admission needs the grade)" if col == "grade" else ""))
    dates = pd.to_datetime(snapshot["obs_date"]).unique()
    if len(dates) != 1:
        raise ValueError(f"needs_profile takes a one-month snapshot; got {len(dates)} month ends")
    snap_date = _month_end(dates[0])
    when = snap_date if as_of is None else _month_end(as_of)
    if when != snap_date:
        raise ValueError(f"needs_profile: as_of {fmt.date(when)} is not the snapshot's month end {fmt.date(snap_date)}")
    ids = snapshot["obligor_id"].astype(str)
    dup = ids[ids.duplicated()].unique()
    if len(dup):
        raise ValueError(f"needs_profile: obligor(s) {', '.join(dup[:5])} appear more than once in the snapshot")
    obligors = pd.Index(ids.to_numpy(), name="obligor_id")
    rows = snapshot.set_axis(obligors)
    figures = sorted({i.name for r in p.needs.values() for i in r.inputs if i.source == "figure"})
    unknown = [f for f in figures if f not in rows.columns and f not in DERIVED_FIGURES]
    if unknown:
        raise KeyError(f"needs_profile: figure(s) {', '.join(unknown)} are neither snapshot columns nor derived "
                       f"figures ({', '.join(DERIVED_FIGURES)})")
    questions = sorted({i.name for r in p.needs.values() for i in r.inputs if i.source == "answer"})
    answers, survey_dates = _latest_answers(questionnaires, obligors, when, questions)
    mat = _maturities(facilities, obligors, when, p.maturity_horizon_months, p.maturing_products)
    derived = {"maturing_share": mat["maturing_share"].to_numpy(dtype=float)}
    survey_text = np.array([f" (survey {d:%Y-%m-%d})" if pd.notna(d) else "" for d in survey_dates], dtype=object)
    mat_text = np.array([f" ({c:,.1f} of EUR {t:,.1f} m committed)" if np.isfinite(t) else " (no live facility)"
                         for c, t in zip(mat["maturing"].to_numpy(dtype=float), mat["committed"].to_numpy(dtype=float))],
                        dtype=object)

    n = len(obligors)
    scores, identified, ev_parts = {}, {}, []
    for need, rule in p.needs.items():
        total_w = sum(i.weight for i in rule.inputs)
        comps, known_w, weighted = [], np.zeros(n), np.zeros(n)
        values = []
        for inp in rule.inputs:
            if inp.source == "answer":
                v = answers[inp.name].to_numpy(dtype=float)
            elif inp.name in DERIVED_FIGURES:
                v = derived[inp.name]
            else:
                v = _num_col(rows, inp.name)
            c = np.clip((v - inp.low) / (inp.high - inp.low), 0.0, 1.0)
            known = np.isfinite(c)
            known_w += np.where(known, inp.weight, 0.0)
            weighted += np.where(known, inp.weight * np.nan_to_num(c), 0.0)
            comps.append(c)
            values.append(v)
        enough = known_w >= p.min_known_weight * total_w - 1e-12
        score = np.where(enough & (known_w > 0), weighted / np.where(known_w > 0, known_w, 1.0), np.nan)
        scores[need] = score
        identified[need] = np.nan_to_num(score, nan=-1.0) >= p.need_threshold(need)
        for inp, v, c in zip(rule.inputs, values, comps):
            contribution = np.where(enough & np.isfinite(c), inp.weight * np.nan_to_num(c) / np.where(
                known_w > 0, known_w, 1.0), np.nan)
            if inp.source == "answer":
                head = f"{inp.name} {QUESTIONS[inp.name].text}: "
                shown = np.array([f"answer {x:.0f} of {_HI}" if np.isfinite(x) else "no answer" for x in v],
                                 dtype=object) + survey_text
            else:
                head = f"{inp.name}: "
                shown = np.array([_figure_text(inp.unit, x) for x in v], dtype=object)
                if inp.name == "maturing_share":
                    shown = shown + mat_text
            tail = np.array([f" -> {x:.2f}, weight {inp.weight:g}" if np.isfinite(x) else " (unknown)" for x in c],
                            dtype=object)
            ev_parts.append(pd.DataFrame({
                "obligor_id": obligors.to_numpy(), "need": need, "score": score, "input": inp.name,
                "source": inp.source, "value": v, "component": c, "weight": inp.weight,
                "contribution": contribution, "evidence": head + shown + tail}))
    score_frame = pd.DataFrame(scores, index=obligors)
    ident_frame = pd.DataFrame(identified, index=obligors)
    evidence = pd.concat(ev_parts, ignore_index=True) if ev_parts else pd.DataFrame(columns=list(EVIDENCE_COLUMNS))

    offers = _offers(ident_frame, score_frame, rows, p)
    return NeedsProfile(as_of=when, scores=score_frame, identified=ident_frame, evidence=evidence, offers=offers,
                        params=p, rows=rows)


def _offers(identified: pd.DataFrame, scores: pd.DataFrame, rows: pd.DataFrame, p: NeedsParams) -> pd.DataFrame:
    """One row per identified need and product (a services-only row for a need without products)."""
    long = identified.stack()
    long = long[long.to_numpy()].reset_index()
    long.columns = ["obligor_id", "need", "_identified"]
    long["score"] = scores.stack().reindex(pd.MultiIndex.from_frame(long[["obligor_id", "need"]])).to_numpy()
    per_need = pd.DataFrame([{"need": k, "product": prod, "services": "; ".join(r.services)}
                             for k, r in p.needs.items() for prod in (r.products or (None,))])
    offers = long.drop(columns="_identified").merge(per_need, on="need", how="left")
    credit = offers["product"].notna().to_numpy()
    screened_ids = pd.Index(offers.loc[credit, "obligor_id"].unique())
    screen = admission_screen(rows.loc[screened_ids], p.admission) if len(screened_ids) else None
    eligible = np.ones(len(offers), dtype=bool)
    reason = np.array(["value-added service: no credit decision"] * len(offers), dtype=object)
    amount = np.full(len(offers), np.nan)
    tenor = np.full(len(offers), np.nan)
    if screen is not None:
        idx = np.flatnonzero(credit)
        s = screen.loc[offers["obligor_id"].to_numpy()[idx]]
        declined = s["declined"].to_numpy()
        eligible[idx] = ~declined
        reason[idx] = np.where(declined, "not eligible: " + s["decline_reason"].to_numpy().astype(object),
                               "eligible: no admission check fails (approve or refer: see offer_table)")
        log_rev = _num_col(rows, "log_revenue")
        pos = rows.index.get_indexer(offers["obligor_id"].to_numpy()[idx])
        for product, req in p.product_requests.items():
            sel = offers["product"].to_numpy()[idx] == product
            amount[idx[sel]] = _request_amount(req, log_rev[pos[sel]])
            tenor[idx[sel]] = req.tenor_years
    offers["eligible"] = eligible
    offers["reason"] = reason
    offers["amount"] = amount
    offers["tenor_years"] = tenor
    order = {k: i for i, k in enumerate(p.needs)}
    offers = offers.assign(_n=offers["need"].map(order)).sort_values(["obligor_id", "_n"], kind="stable")
    return offers[list(OFFER_COLUMNS)].reset_index(drop=True)


def plot_needs(profile: NeedsProfile, obligor_id: str) -> Figure:
    """One client's needs scores as horizontal bars (identified needs highlighted), with the thresholds."""
    oid = profile._check_obligor(obligor_id)
    needs = list(profile.params.needs)
    scores = profile.scores.loc[oid, needs].to_numpy(dtype=float)
    ident = profile.identified.loc[oid, needs].to_numpy(dtype=bool)
    labels = [profile.params.needs[k].label for k in needs]
    y = np.arange(len(needs))[::-1]
    fig, ax = plt.subplots(figsize=(7.5, 0.45 * len(needs) + 1.4))
    ax.barh(y, np.nan_to_num(scores), color=np.where(ident, "tab:blue", "lightgray"), edgecolor="dimgray")
    for yi, k, s in zip(y, needs, scores):
        t = profile.params.need_threshold(k)
        ax.plot([t, t], [yi - 0.4, yi + 0.4], color="tab:red", linestyle="--", linewidth=1)
        ax.text(min(np.nan_to_num(s), 0.9) + 0.02, yi, _score_text(s), va="center", fontsize=8)
    ax.set_yticks(y)
    ax.set_yticklabels(labels, fontsize=8)
    ax.set_xlim(0, 1)
    ax.set_xlabel("score (0 no sign .. 1 strong signs); dashed red: threshold; blue: identified", fontsize=8)
    ax.set_title(f"Needs of {oid} at {fmt.date(profile.as_of)}", fontsize=10)
    fig.tight_layout()
    plt.close(fig)
    return fig
