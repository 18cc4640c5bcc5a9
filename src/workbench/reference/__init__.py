"""Reference data of the desk: code lists, the questionnaire catalogue, the master scale and
the names of logged metrics. Imports no other part of the workbench, so every layer may read it.
"""

from . import metrics
from .codes import (
    ALERT_LEVELS,
    CHANNELS,
    COLLATERAL_TYPES,
    COVENANT_TEST_FREQUENCIES,
    COVENANT_TYPES,
    DEFAULT_TYPES,
    INDUSTRIES,
    INDUSTRY_CODES,
    INTERACTION_TOPICS,
    NO_COLLATERAL,
    PRODUCTS,
    REGIONS,
    REPAYMENT_TYPES,
    SECTOR_OF,
    SEGMENTS,
    SENIORITIES,
    SIZE_BANDS,
    SPLITS,
    UNKNOWN_SECTOR,
    Cyclicality,
    Industry,
    Outlook,
    industry,
)
from .master_scale import DEFAULT_GRADE, MASTER_SCALE, MasterScale
from .questionnaire import ANSWER_RANGE, QUESTION_THEMES, QUESTIONS, Question

__all__ = [
    "ALERT_LEVELS",
    "metrics",
    "CHANNELS", "COLLATERAL_TYPES", "COVENANT_TYPES", "COVENANT_TEST_FREQUENCIES", "DEFAULT_TYPES",
    "INDUSTRIES", "INDUSTRY_CODES", "INTERACTION_TOPICS",
    "NO_COLLATERAL", "PRODUCTS", "REGIONS", "REPAYMENT_TYPES", "SECTOR_OF", "SEGMENTS", "SENIORITIES",
    "SIZE_BANDS", "SPLITS", "UNKNOWN_SECTOR", "Cyclicality", "Industry", "Outlook", "industry",
    "DEFAULT_GRADE", "MASTER_SCALE", "MasterScale",
    "ANSWER_RANGE", "QUESTION_THEMES", "QUESTIONS", "Question",
]
