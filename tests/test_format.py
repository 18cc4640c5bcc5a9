"""Numbers for people: integers, percentages, 4 significant digits, by the metric's name."""

from __future__ import annotations

import math

import pytest

from workbench import format as fmt


@pytest.mark.parametrize("value, shown", [(19261.0, "19,261"), (3, "3"), (float("nan"), "n/a"), (None, "n/a")])
def test_counts_are_whole_numbers_with_separators(value, shown):
    assert fmt.integer(value) == shown


@pytest.mark.parametrize("value, shown", [(0.88682096437723, "0.8868"), (0.025588494, "0.02559"), (1219.56, "1,220"),
                                          (123456.7, "123,457"), (0.0, "0"), (3.2e-06, "3.200e-06"),
                                          (math.inf, "n/a"), (-0.5, "-0.5000")])
def test_other_figures_have_four_significant_digits(value, shown):
    assert fmt.number(value) == shown


@pytest.mark.parametrize("name, value, shown", [
    ("train/rows", 19261.0, "19,261"), ("oot/default_rate", 0.0298, "2.98 %"), ("oot/auc", 0.88682, "0.8868"),
    ("portfolio/raroc_grid", 0.1948, "19.48 %"), ("oot/red_grades", 0.0, "0"), ("mix/wacc", 0.0612, "6.12 %"),
    ("oot/mean_pd_over_default_rate", 0.8712, "0.8712"), ("migration/same_grade", 0.71, "71.00 %"),
])
def test_a_metric_is_shown_as_its_name_says(name, value, shown):
    assert fmt.metric(name, value) == shown


def test_a_line_of_metrics_keeps_the_asked_order_and_skips_the_absent():
    line = fmt.metrics_line({"oot/auc": 0.88682, "train/rows": 10.0}, ["train/rows", "oot/auc", "valid/auc"])
    assert line == "train/rows 10  oot/auc 0.8868"


@pytest.mark.parametrize("name", ["reproducibility/passed", "mix/feasible", "grid/floor_respected",
                                  "capacity/gearing_binds", "grid/monotone_in_grade"])
def test_yes_no_flags_are_shown_as_whole_numbers(name):
    assert fmt.metric(name, 1.0) == "1" and fmt.metric(name, 0.0) == "0"
