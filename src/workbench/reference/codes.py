"""The desk's code lists: industries, regions, segments, products, collateral, contact channels.

One place for every code a table may hold. The data contract validates against these
lists, the synthetic generator draws from them and the feature, pricing and structuring
code reads their attributes (an industry's sector for peer fallback, its outlook and
cyclicality for admission). A bank that codes its book differently edits this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = [
    "Outlook",
    "Cyclicality",
    "Industry",
    "INDUSTRIES",
    "INDUSTRY_CODES",
    "SECTOR_OF",
    "UNKNOWN_SECTOR",
    "industry",
    "REGIONS",
    "SEGMENTS",
    "SIZE_BANDS",
    "PRODUCTS",
    "REPAYMENT_TYPES",
    "NO_COLLATERAL",
    "COLLATERAL_TYPES",
    "SENIORITIES",
    "DEFAULT_TYPES",
    "CHANNELS",
    "INTERACTION_TOPICS",
    "SPLITS",
    "ALERT_LEVELS",
    "COVENANT_TYPES",
    "COVENANT_TEST_FREQUENCIES",
]

Outlook = Literal["positive", "neutral", "negative"]
Cyclicality = Literal["high", "medium", "low"]


@dataclass(frozen=True)
class Industry:
    """One industry of the book: its sector (the peer group when the industry is too thin),
    the sector team's outlook, its cyclicality and whether its clients are project companies."""

    code: str
    sector: str
    outlook: Outlook
    cyclicality: Cyclicality
    project_finance: bool = False


# Outlook: the sector team's view (structural growth or defensive demand -> positive; structural
# pressure -> negative). Cyclicality: sensitivity of the industry to the business cycle
# (high >= 0.70, medium 0.40-0.70, low < 0.40 loading on the macro factor).
INDUSTRIES: tuple[Industry, ...] = (
    Industry("utilities", "energy", "positive", "low"),
    Industry("telecoms", "services_tmt", "neutral", "low"),
    Industry("oil_gas", "energy", "neutral", "high"),
    Industry("metals_mining", "materials_industrials", "negative", "high"),
    Industry("chemicals", "materials_industrials", "neutral", "medium"),
    Industry("automotive", "materials_industrials", "neutral", "high"),
    Industry("construction", "real_assets", "negative", "high"),
    Industry("real_estate", "real_assets", "negative", "high"),
    Industry("retail", "consumer", "negative", "medium"),
    Industry("food_beverage", "consumer", "neutral", "low"),
    Industry("transport_logistics", "services_tmt", "neutral", "medium"),
    Industry("technology", "services_tmt", "positive", "medium"),
    Industry("healthcare_pharma", "services_tmt", "positive", "low"),
    Industry("machinery", "materials_industrials", "neutral", "high"),
    Industry("renewable_energy", "energy", "positive", "low", project_finance=True),
    Industry("infrastructure", "real_assets", "neutral", "low", project_finance=True),
)
INDUSTRY_CODES: tuple[str, ...] = tuple(i.code for i in INDUSTRIES)
#: Industry code -> sector; an industry not listed falls into ``UNKNOWN_SECTOR``.
SECTOR_OF: dict[str, str] = {i.code: i.sector for i in INDUSTRIES}
UNKNOWN_SECTOR = "all"


def industry(code: str) -> Industry:
    """The reference entry of an industry code; ``KeyError`` naming the known codes."""
    for entry in INDUSTRIES:
        if entry.code == code:
            return entry
    raise KeyError(f"unknown industry {code!r}; known: {', '.join(INDUSTRY_CODES)}")


REGIONS: tuple[str, ...] = ("DACH", "Benelux", "France", "Iberia", "Italy", "Nordics", "UK_Ireland", "CEE")
SEGMENTS: tuple[str, ...] = ("corporate", "project_finance")
SIZE_BANDS: tuple[str, ...] = ("mid_corporate", "large_corporate", "very_large_corporate")

PRODUCTS: tuple[str, ...] = ("term_loan", "revolver", "project_loan", "trade_finance", "guarantee")
REPAYMENT_TYPES: tuple[str, ...] = ("annuity", "equal_principal", "bullet", "balloon", "revolving", "sculpted")
NO_COLLATERAL = "none"
#: Collateral types: "none" plus the Basel II F-IRB eligible types (paragraphs 289-295).
COLLATERAL_TYPES: tuple[str, ...] = (NO_COLLATERAL, "financial", "receivables", "real_estate", "other_physical")
SENIORITIES: tuple[str, ...] = ("senior", "subordinated")
DEFAULT_TYPES: tuple[str, ...] = ("90dpd", "bankruptcy", "distressed_restructuring", "unlikely_to_pay")

CHANNELS: tuple[str, ...] = ("call", "email", "meeting", "site_visit", "video_call")
INTERACTION_TOPICS: tuple[str, ...] = (
    "annual_review", "financing_need", "pricing", "product_offer", "service_request", "market_update",
    "site_visit_report", "payment_arrears", "covenant_waiver",
)

#: Financial covenant types: ``max_*`` a ratio the statement must stay at or below, ``min_*`` one it must
#: stay at or above (the ratios and the test are defined once in ``workbench.data.covenants``).
COVENANT_TYPES: tuple[str, ...] = ("max_leverage", "min_interest_cover", "min_dscr", "min_equity_ratio")
#: Months between two tests of a covenant: quarterly, semi-annual or annual.
COVENANT_TEST_FREQUENCIES: tuple[int, ...] = (3, 6, 12)

#: The time split of a modelling panel, in time order.
SPLITS: tuple[str, ...] = ("train", "valid", "oot")

#: Early-warning alert levels, mildest first (the order ranks them).
ALERT_LEVELS: tuple[str, ...] = ("green", "amber", "red")
