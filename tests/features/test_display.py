"""Tables for people: the feature report's tables and a job's params as a reader reads them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.features import (
    PanelParams,
    display_correlation_pairs,
    display_default_rates,
    display_dictionary,
    display_frame,
    display_missing,
    display_panel_summary,
    display_profile,
    display_validation_summary,
    feature_dictionary,
    params_table,
)
from workbench.format import NBSP, bps, date, eur_m, multiple, signed
from workbench.params import flatten_params, load_params


def plain(table: pd.DataFrame) -> pd.DataFrame:
    """The table with its no-break spaces ("45.00\u00a0%") as plain ones, to compare with text."""
    return table.map(lambda s: s.replace(NBSP, " ") if isinstance(s, str) else s)



def test_formatters_give_units_people_read():
    assert date(pd.Timestamp("2018-02-21 02:47:27.870182400")) == "2018-02-21"  # never to the nanosecond
    assert eur_m(1219.56) == "1,219.6" and bps(259.3199) == "259" and multiple(1.3) == "1.30x"
    assert signed(0.41234) == "+0.4123" and signed(-0.7) == "-0.7000"
    assert date(pd.NaT) == eur_m(np.nan) == multiple(np.inf) == "n/a"


def test_display_frame_keeps_the_asked_columns_in_order_with_their_headers():
    frame = pd.DataFrame({"b": [0.25], "a": [1234.0], "dropped": [1]}, index=["x"])
    out = display_frame(frame, {"a": ("amount (EUR m)", eur_m), "b": ("share", lambda v: f"{100 * v:.0f} %"),
                                "absent": ("never", str)})
    # A number and its "%" are joined by a no-break space: a narrow HTML column never wraps between them.
    assert list(out.columns) == ["amount (EUR m)", "share"] and out.loc["x"].tolist() == ["1,234.0", "25\u00a0%"]


def test_params_table_lists_every_parameter_with_readable_values():
    from workbench.jobs import BuildFeaturesParams

    cfg = load_params(BuildFeaturesParams, "params/build_features.yaml", {"data_dir": "data/x"})
    table = params_table(cfg)
    assert table.index.name == "parameter" and list(table.columns) == ["value"]
    assert table.loc["split.train_end", "value"] == "2020-12-31"
    assert table.loc["chunk_obligors", "value"] == "10,000" and table.loc["min_peer_group", "value"] == "10"
    assert list(table.index) == list(flatten_params(cfg))  # one row per logged param: nothing left out, no repr


def test_params_table_leaves_out_what_has_its_own_table_and_names_an_unknown_key():
    from workbench.jobs import StructureFinancingParams

    cfg = load_params(StructureFinancingParams, "params/structure_financing.yaml", {})
    table = params_table(cfg, exclude=["admission", "financing.channels"])
    assert not any(k.startswith(("admission.", "financing.channels")) for k in table.index)
    assert table.loc["financing.constraints.min_equity_share", "value"] == "0.2"  # as configured
    assert table.loc["amount_eur_m", "value"] == "(none)" and table.loc["purpose", "value"] == "(empty)"
    assert table.loc["cfads_haircuts", "value"] == "0.1, 0.2, 0.3"
    assert table.iloc[-1]["value"] == "shown in their own tables below"
    with pytest.raises(KeyError, match="financing.nope"):
        params_table(cfg, exclude=["financing.nope"])


@pytest.fixture(scope="module")
def report():
    from workbench.features import build_panel, feature_columns
    from workbench.features.panel import summarise_panel
    from workbench.features.report import (
        data_profile,
        default_rate_by_year,
        high_correlation_pairs,
        missing_report,
        validation_summary,
    )
    from workbench.synthetic import GeneratorSettings, generate_portfolio

    tables = generate_portfolio(GeneratorSettings(n_obligors=250, years=6, seed=2))
    panel = build_panel(tables, PanelParams(split={"train_end": "2017-12-31", "valid_end": "2018-12-31"}))
    features = feature_columns(panel)
    return dict(tables=validation_summary(tables), summary=summarise_panel(panel), rates=default_rate_by_year(panel),
                pairs=high_correlation_pairs(panel, features), missing=missing_report(panel, features),
                profile=data_profile(panel), dictionary=feature_dictionary(list(panel.columns)))


def test_report_tables_show_counts_percentages_and_dates(report):
    tables = plain(display_validation_summary(report["tables"]))
    assert tables.loc["behaviour", "rows"] == f"{report['tables'].loc['behaviour', 'rows']:,d}"
    assert tables.loc["macro", "obligors"] == "n/a"
    assert tables["missing cells"].str.endswith(" %").all()
    assert tables["first date"].str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()
    summary = plain(display_panel_summary(report["summary"]))
    assert list(summary.index) == ["train", "valid", "oot"]
    assert summary.loc["oot", "default rate"] == f"{100 * report['summary'].loc['oot', 'default_rate']:.2f} %"
    rates = plain(display_default_rates(report["rates"]))
    assert rates.index.names == ["year", "split"] and rates["default rate"].str.endswith(" %").all()


def test_dictionary_table_is_in_full_with_each_features_role(report):
    table = display_dictionary(report["dictionary"])
    assert table.index.name == "feature" and "role" in table.columns
    assert table.loc["policy_rate", "role"] == "macro" and table.loc["peer_group_size", "role"] == "meta"
    assert table.loc["leverage", "direction with PD"] == "+1 (riskier when higher)"
    longest = report["dictionary"]["description"].str.len().max()
    assert table["description"].str.len().max() == longest  # nothing cut


def test_correlation_missing_and_profile_tables(report):
    pairs = display_correlation_pairs(report["pairs"], top=5)
    assert list(pairs.index) == [1, 2, 3, 4, 5] and pairs["rows with both"].str.fullmatch(r"[\d,]+").all()
    missing = plain(display_missing(report["missing"], top=3))
    assert list(missing.columns) == ["missing overall", "missing, train", "missing, valid", "missing, oot"]
    assert len(missing) == 3 and missing.stack().str.endswith(" %").all()
    profile = display_profile(report["profile"], top=8)
    assert profile.loc["obs_date", "most frequent"].count(":") == 0  # a date, not a timestamp
    assert profile.loc["obligor_id", "mean"] == ""  # no statistic for a text column
    assert "e+" not in "".join(profile.stack())
