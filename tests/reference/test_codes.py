"""The desk's code lists: complete, consistent and the only ones the code and the contract use."""

from __future__ import annotations

import pytest

from workbench import reference
from workbench.reference import INDUSTRIES, INDUSTRY_CODES, SECTOR_OF, UNKNOWN_SECTOR, industry


def test_every_industry_has_one_entry_a_sector_an_outlook_and_a_cyclicality():
    assert len(set(INDUSTRY_CODES)) == len(INDUSTRIES) == 16
    assert set(SECTOR_OF) == set(INDUSTRY_CODES) and UNKNOWN_SECTOR not in SECTOR_OF.values()
    assert {i.outlook for i in INDUSTRIES} <= {"positive", "neutral", "negative"}
    assert {i.cyclicality for i in INDUSTRIES} <= {"high", "medium", "low"}
    assert {i.code for i in INDUSTRIES if i.project_finance} == {"renewable_energy", "infrastructure"}


def test_an_industry_is_looked_up_by_code_and_an_unknown_code_names_the_known_ones():
    assert industry("utilities").sector == "energy"
    with pytest.raises(KeyError, match="unknown industry 'gold'; known: utilities"):
        industry("gold")


@pytest.mark.parametrize("name", ["REGIONS", "SEGMENTS", "SIZE_BANDS", "PRODUCTS", "REPAYMENT_TYPES",
                                  "COLLATERAL_TYPES", "SENIORITIES", "DEFAULT_TYPES", "CHANNELS",
                                  "INTERACTION_TOPICS", "SPLITS"])
def test_code_lists_hold_each_code_once(name):
    codes = getattr(reference, name)
    assert isinstance(codes, tuple) and codes and len(set(codes)) == len(codes)


def test_no_collateral_is_a_collateral_type_and_splits_are_in_time_order():
    assert reference.NO_COLLATERAL in reference.COLLATERAL_TYPES
    assert reference.SPLITS == ("train", "valid", "oot")


def test_questionnaire_themes_cover_every_question_once():
    themed = [q for qs in reference.QUESTION_THEMES.values() for q in qs]
    assert sorted(themed) == sorted(reference.QUESTIONS) and len(themed) == len(set(themed))
    assert {q.sign for q in reference.QUESTIONS.values()} == {-1, 1}
