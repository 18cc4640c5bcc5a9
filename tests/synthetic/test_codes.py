"""The generator's draw orders are the reference code lists, and its tables hold only reference codes."""

from __future__ import annotations

import pytest

from workbench import reference
from workbench.synthetic import codes


@pytest.mark.parametrize("order, reference_list", [
    (codes.SEGMENT_ORDER, reference.SEGMENTS),
    (codes.SIZE_BAND_ORDER, reference.SIZE_BANDS),
    (codes.PRODUCT_ORDER, reference.PRODUCTS),
    (codes.REPAYMENT_ORDER, reference.REPAYMENT_TYPES),
    (codes.COLLATERAL_ORDER, reference.COLLATERAL_TYPES),
    (tuple(codes.QUOTE_COLLATERAL), reference.COLLATERAL_TYPES),
    (codes.SENIORITY_ORDER, reference.SENIORITIES),
    (codes.DEFAULT_TYPE_ORDER, reference.DEFAULT_TYPES),
    (tuple(codes.CHANNEL_WEIGHTS), reference.CHANNELS),
    (codes.TOPIC_ORDER, reference.INTERACTION_TOPICS),
], ids=["segments", "size_bands", "products", "repayments", "collaterals", "quote_collaterals", "seniorities",
        "default_types", "channels", "topics"])
def test_each_draw_order_is_a_permutation_of_its_reference_list(order, reference_list):
    assert len(order) == len(set(order)) == len(reference_list)
    assert sorted(order) == sorted(reference_list)


def test_position_constants_name_their_codes():
    assert codes.PRODUCT_ORDER[codes.PROJECT_LOAN] == "project_loan"
    assert codes.PRODUCT_ORDER[codes.GUARANTEE] == "guarantee"
    assert codes.REPAYMENT_ORDER[codes.SCULPTED] == "sculpted" and codes.REPAYMENT_ORDER[codes.BULLET] == "bullet"
    assert codes.COLLATERAL_ORDER[codes.UNSECURED] == reference.NO_COLLATERAL
    assert codes.DEFAULT_TYPE_ORDER[codes.DPD90] == "90dpd"


def test_reactive_topics_come_after_the_routine_ones():
    assert codes.TOPIC_ORDER[-2:] == codes.REACTIVE_TOPICS == ("payment_arrears", "covenant_waiver")
    assert set(codes.ROUTINE_TOPICS).isdisjoint(codes.REACTIVE_TOPICS)


def test_weights_of_the_draws_sum_to_one():
    assert sum(codes.CHANNEL_WEIGHTS.values()) == pytest.approx(1.0)
    assert sum(share for _, share in codes.QUOTE_COLLATERAL.values()) == pytest.approx(1.0)


@pytest.mark.parametrize("table, column, reference_list", [
    ("obligors", "industry", reference.INDUSTRY_CODES),
    ("obligors", "region", reference.REGIONS),
    ("obligors", "segment", reference.SEGMENTS),
    ("obligors", "size_band", reference.SIZE_BANDS),
    ("facilities", "product", reference.PRODUCTS),
    ("facilities", "repayment_type", reference.REPAYMENT_TYPES),
    ("facilities", "collateral_type", reference.COLLATERAL_TYPES),
    ("facilities", "seniority", reference.SENIORITIES),
    ("quotes", "collateral_type", reference.COLLATERAL_TYPES),
    ("defaults", "default_type", reference.DEFAULT_TYPES),
    ("interactions", "channel", reference.CHANNELS),
    ("interactions", "topic", reference.INTERACTION_TOPICS),
    ("questionnaires", "question_id", tuple(reference.QUESTIONS)),
    ("projects", "sector", reference.INDUSTRY_CODES),
])
def test_generated_tables_hold_only_reference_codes_and_use_all_of_them(portfolio, table, column, reference_list):
    values = set(portfolio[table][column])
    assert values <= set(reference_list)
    if table not in ("projects", "defaults"):  # projects: project-finance industries only; few defaults
        assert values == set(reference_list)


def test_macro_has_one_index_per_reference_industry(portfolio):
    idx = [c for c in portfolio["macro"].columns if c.startswith("idx_")]
    assert idx == [f"idx_{code}" for code in reference.INDUSTRY_CODES]
