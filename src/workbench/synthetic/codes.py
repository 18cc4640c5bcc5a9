"""The order in which the generator draws the reference code lists that carry a meaning per position.

The generator draws codes as positions (``rng.choice(len(order), p=...)``, ``order[code]``) and
gives some positions a role (the corporate product mix, the collateral of a term loan, the 90-day
default), so those orders are part of the output: they are fixed here, once, in reference names.
Each is a permutation of its list in ``workbench.reference`` (``tests/synthetic/test_codes.py``
holds them in step), so the tables hold only reference codes. Lists drawn uniformly (regions,
the routine interaction topics) and the industries and questions are taken in reference order.
"""

from __future__ import annotations

from workbench.reference import INTERACTION_TOPICS, NO_COLLATERAL

__all__ = [
    "SEGMENT_ORDER", "SIZE_BAND_ORDER",
    "PRODUCT_ORDER", "TERM_LOAN", "REVOLVER", "TRADE_FINANCE", "GUARANTEE", "PROJECT_LOAN",
    "REPAYMENT_ORDER", "ANNUITY", "EQUAL_PRINCIPAL", "BULLET", "BALLOON", "REVOLVING", "SCULPTED",
    "COLLATERAL_ORDER", "REAL_ESTATE", "OTHER_PHYSICAL", "FINANCIAL", "UNSECURED", "RECEIVABLES",
    "QUOTE_COLLATERAL", "SENIORITY_ORDER",
    "DEFAULT_TYPE_ORDER", "DPD90", "BANKRUPTCY", "DISTRESSED_RESTRUCTURING", "UNLIKELY_TO_PAY",
    "CHANNEL_WEIGHTS", "REACTIVE_TOPICS", "ROUTINE_TOPICS", "TOPIC_ORDER",
]

#: Segment by ``is_pf``: position 0 corporate, 1 project finance.
SEGMENT_ORDER: tuple[str, ...] = ("corporate", "project_finance")
#: Size bands by ascending sales (below 250, below 1,500, above).
SIZE_BAND_ORDER: tuple[str, ...] = ("mid_corporate", "large_corporate", "very_large_corporate")

#: Facility products; the first four are the corporate mix, drawn without replacement.
PRODUCT_ORDER: tuple[str, ...] = ("term_loan", "revolver", "trade_finance", "guarantee", "project_loan")
TERM_LOAN, REVOLVER, TRADE_FINANCE, GUARANTEE, PROJECT_LOAN = range(len(PRODUCT_ORDER))

#: Repayment types; a term loan draws one of the first four.
REPAYMENT_ORDER: tuple[str, ...] = ("annuity", "equal_principal", "bullet", "balloon", "revolving", "sculpted")
ANNUITY, EQUAL_PRINCIPAL, BULLET, BALLOON, REVOLVING, SCULPTED = range(len(REPAYMENT_ORDER))

#: Facility collateral types.
COLLATERAL_ORDER: tuple[str, ...] = ("real_estate", "other_physical", "financial", NO_COLLATERAL, "receivables")
REAL_ESTATE, OTHER_PHYSICAL, FINANCIAL, UNSECURED, RECEIVABLES = range(len(COLLATERAL_ORDER))

#: Collateral of a quote: type -> (LGD the desk prices with, share of quotes), in draw order.
QUOTE_COLLATERAL: dict[str, tuple[float, float]] = {
    NO_COLLATERAL: (0.45, 0.45),
    "financial": (0.10, 0.05),
    "receivables": (0.35, 0.15),
    "real_estate": (0.30, 0.2),
    "other_physical": (0.38, 0.15),
}

#: Seniority by the "subordinated" draw: position 0 senior, 1 subordinated.
SENIORITY_ORDER: tuple[str, ...] = ("senior", "subordinated")

#: Default types by code (-1: no default).
DEFAULT_TYPE_ORDER: tuple[str, ...] = ("90dpd", "bankruptcy", "distressed_restructuring", "unlikely_to_pay")
DPD90, BANKRUPTCY, DISTRESSED_RESTRUCTURING, UNLIKELY_TO_PAY = range(len(DEFAULT_TYPE_ORDER))

#: Contact channel -> share of interactions, in draw order.
CHANNEL_WEIGHTS: dict[str, float] = {"call": 0.35, "email": 0.3, "meeting": 0.15, "site_visit": 0.05,
                                     "video_call": 0.15}

#: The topics of the desk's reaction to arrears (first) and to covenant breaches (second).
REACTIVE_TOPICS: tuple[str, str] = ("payment_arrears", "covenant_waiver")
#: The other reference topics, in reference order: drawn uniformly for routine contacts.
ROUTINE_TOPICS: tuple[str, ...] = tuple(t for t in INTERACTION_TOPICS if t not in REACTIVE_TOPICS)
#: Topic codes: the routine topics, then the reactive ones.
TOPIC_ORDER: tuple[str, ...] = ROUTINE_TOPICS + REACTIVE_TOPICS
