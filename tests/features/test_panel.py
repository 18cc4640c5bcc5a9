"""The modelling panel: point in time, complete, documented."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from workbench.features import (
    ID_COLUMNS,
    PanelParams,
    build_panel,
    feature_columns,
    feature_dictionary,
    summarise_panel,
)
from workbench.params import load_params
from workbench.synthetic import GeneratorSettings, generate_portfolio

PARAMS = load_params(PanelParams, None, {"split.train_end": "2018-12-31", "split.valid_end": "2019-12-31"})


@pytest.fixture(scope="module")
def tables():
    return generate_portfolio(GeneratorSettings(n_obligors=800, years=7, seed=4))


@pytest.fixture(scope="module")
def panel(tables):
    return build_panel(tables, PARAMS)


def test_one_row_per_obligor_and_observation_date(panel):
    assert not panel.duplicated(["obligor_id", "obs_date"]).any()
    assert (panel["obs_date"] == panel["obs_date"] + pd.offsets.MonthEnd(0)).all()
    assert list(panel.columns[: len(ID_COLUMNS)]) == list(ID_COLUMNS)


def test_statements_used_were_usable_at_the_observation_date(panel, tables):
    used = panel.merge(tables["financials"][["obligor_id", "period_end", "reported_date"]], on=["obligor_id", "period_end"])
    assert len(used) == len(panel)
    assert (used["reported_date"] <= used["obs_date"]).all()
    assert (used["period_end"] + pd.Timedelta(days=PARAMS.reporting_lag_days) <= used["obs_date"]).all()


def test_target_is_default_within_horizon_and_defaulted_obligors_are_dropped(panel, tables):
    dd = panel["obligor_id"].map(tables["defaults"].set_index("obligor_id")["default_date"])
    assert (dd.isna() | (dd > panel["obs_date"])).all()
    expected = dd.notna() & (dd <= panel["obs_date"] + pd.offsets.MonthEnd(12))
    assert (panel["default_12m"] == expected.astype(int)).all()
    assert panel["default_12m"].sum() > 20


def test_split_is_by_time_and_default_rates_are_plausible(panel):
    by_date = panel.groupby("split")["obs_date"].agg(["min", "max"])
    assert by_date.loc["train", "max"] < by_date.loc["valid", "min"]
    assert by_date.loc["valid", "max"] < by_date.loc["oot", "min"]
    summary = summarise_panel(panel)
    assert list(summary.index) == ["train", "valid", "oot"]
    assert summary["default_rate"].between(0.003, 0.06).all()


def test_outcome_window_never_runs_past_the_data(panel, tables):
    data_end = tables["behaviour"]["month_end"].max()
    assert (panel["obs_date"] + pd.offsets.MonthEnd(12) <= data_end).all()


def test_features_are_float32_and_never_infinite(panel):
    feats = feature_columns(panel)
    assert len(feats) >= 80 and not set(feats) & set(ID_COLUMNS)
    assert (panel[feats].dtypes == np.float32).all()
    assert not np.isinf(panel[feats].to_numpy()).any()


def test_every_panel_column_has_a_dictionary_entry(panel):
    dictionary = feature_dictionary(list(panel.columns))
    assert list(dictionary.index) == list(panel.columns)
    feats = dictionary.loc[feature_columns(panel)]
    assert feats["description"].str.len().gt(10).all()
    assert feats["direction"].isin([-1, 0, 1]).all()
    # Every feature with a prior direction has a business label for reason codes.
    assert feats.loc[feats["direction"] != 0, "label"].str.len().gt(3).all()


def test_changing_every_record_after_the_observation_date_changes_no_feature(tables):
    """Leakage guard: statements, behaviour, defaults, macro and questionnaires dated after the
    observation date are all altered (and late statements added); the features of rows observed up to
    then must not move."""
    panel = build_panel(tables, PARAMS)
    cut = panel["obs_date"].quantile(0.5)
    rng = np.random.default_rng(0)
    fin = tables["financials"].copy()
    usable = np.maximum(fin["reported_date"], fin["period_end"] + pd.Timedelta(days=PARAMS.reporting_lag_days))
    later = usable > cut
    for col in ("revenue", "ebitda", "ebit", "total_debt", "cash", "operating_cash_flow"):
        fin.loc[later, col] = fin.loc[later, col] * rng.uniform(0.2, 3.0, later.sum())
    # Rows are added too: late statements for in-between periods (half a year before a statement of a
    # row observed by the cut) that only arrive after the cut, with absurd figures. They must not shift
    # which statement counts as one or three years back for those rows, nor their volatility and trend.
    early = panel[(panel["obs_date"] <= cut) & panel["revenue_growth"].notna()
                  & panel["ebitda_margin_volatility"].notna()].drop_duplicates("obligor_id").iloc[:20]
    assert len(early) == 20
    late = fin.set_index(["obligor_id", "period_end"]).loc[list(zip(early["obligor_id"], early["period_end"]))]
    late = late.reset_index()
    late["period_end"] = late["period_end"] - pd.offsets.MonthEnd(6)
    late["reported_date"] = cut + pd.Timedelta(days=10)
    late[["revenue", "ebitda", "total_debt"]] = late[["revenue", "ebitda", "total_debt"]] * 50
    fin = pd.concat([fin, late[fin.columns]], ignore_index=True)
    beh = tables["behaviour"].copy()
    later = beh["month_end"] > cut
    beh.loc[later, "days_past_due"] = 89
    beh.loc[later, "utilisation"] = 1.2
    beh.loc[later, "covenant_breach"] = True
    dft = tables["defaults"]
    dft = dft[dft["default_date"] <= cut]  # every later default disappears
    macro = tables["macro"].copy()
    later = macro["month_end"] > cut
    macro.loc[later, macro.columns[1:]] = macro.loc[later, macro.columns[1:]] * 1.7 + 3
    quest = tables["questionnaires"].copy()
    later = quest["survey_date"] > cut
    quest.loc[later, "answer"] = 6 - quest.loc[later, "answer"]
    altered = dict(tables, financials=fin, behaviour=beh, defaults=dft, macro=macro, questionnaires=quest)
    again = build_panel(altered, PARAMS)
    feats = feature_columns(panel)
    before = panel[panel["obs_date"] <= cut].reset_index(drop=True)
    after = again[again["obs_date"] <= cut].reset_index(drop=True)
    pd.testing.assert_frame_equal(before[["obligor_id", "obs_date", *feats]], after[["obligor_id", "obs_date", *feats]])
    assert not panel[panel["obs_date"] > cut][feats].equals(again[again["obs_date"] > cut][feats])


class _RecordingTables(dict):
    """A table mapping that remembers which tables were looked up."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.read: set[str] = set()

    def __getitem__(self, key):
        self.read.add(key)
        return super().__getitem__(key)

    def get(self, key, default=None):
        self.read.add(key)
        return super().get(key, default)


def test_truth_table_is_never_read(tables, panel):
    recording = _RecordingTables(tables)
    build_panel(recording, PARAMS)
    assert "truth" not in recording.read
    without = build_panel({k: v for k, v in tables.items() if k != "truth"}, PARAMS)
    pd.testing.assert_frame_equal(without, panel)


def test_a_late_old_statement_never_feeds_earlier_rows_or_growth(tables):
    fin = tables["financials"].copy()
    ob = fin["obligor_id"].value_counts().index[0]
    rows = fin.index[fin["obligor_id"] == ob]
    first, second = rows[0], rows[1]
    # The first statement only reaches the bank well after the second one, with absurd revenue.
    fin.loc[first, "reported_date"] = fin.loc[second, "reported_date"] + pd.Timedelta(days=400)
    fin.loc[first, "revenue"] = 1e6
    panel = build_panel(dict(tables, financials=fin), PARAMS)
    mine = panel[panel["obligor_id"] == ob]
    assert (mine["period_end"] != fin.loc[first, "period_end"]).all()
    assert mine["revenue_growth"].dropna().gt(-0.99).all()


def test_missing_table_is_named(tables):
    with pytest.raises(KeyError, match="behaviour"):
        build_panel({k: v for k, v in tables.items() if k != "behaviour"}, PARAMS)


def test_questionnaires_are_optional(tables):
    panel = build_panel({k: v for k, v in tables.items() if k != "questionnaires"}, PARAMS)
    assert (panel["has_questionnaire"] == 0).all() and panel["questionnaire_score"].isna().all()


def test_processing_obligors_in_chunks_gives_the_same_panel(tables, panel):
    chunked = build_panel(tables, PARAMS.model_copy(update={"chunk_obligors": 150}))
    pd.testing.assert_frame_equal(chunked, panel)


def test_blocks_on_one_or_several_threads_give_the_same_panel_without_warnings(tables, panel, monkeypatch):
    import workbench.features.engine_pandas as engine_pandas

    params = PARAMS.model_copy(update={"chunk_obligors": 100})
    for threads in (1, 3):
        monkeypatch.setattr(engine_pandas, "_threads", lambda threads=threads: threads)
        with warnings.catch_warnings():
            # NaN where a window is empty is by design: it must not take process-wide filters to stay quiet.
            warnings.simplefilter("error", RuntimeWarning)
            pd.testing.assert_frame_equal(build_panel(tables, params), panel)


def test_compact_long_tables_give_the_same_panel(tables, panel):
    from workbench.data.io import compact_table

    compact = {name: compact_table(name, df) for name, df in tables.items()}
    assert compact["behaviour"]["obligor_id"].dtype == "category"
    pd.testing.assert_frame_equal(build_panel(compact, PARAMS), panel)


def test_chunks_of_unsorted_tables_give_the_same_panel(tables, panel):
    shuffled = {name: df.sample(frac=1.0, random_state=3) if name in ("financials", "behaviour", "questionnaires")
                else df for name, df in tables.items()}
    chunked = build_panel(shuffled, PARAMS.model_copy(update={"chunk_obligors": 200}))
    pd.testing.assert_frame_equal(chunked, panel)


@pytest.mark.parametrize("engine", ["pandas", "dask"])
def test_the_panel_is_not_a_fragmented_frame(tables, engine):
    # Built column by column it held a block per column, and the first column a report added
    # (``panel.assign(year=...)``) raised pandas' "DataFrame is highly fragmented" warning.
    from pandas.errors import PerformanceWarning

    panel = build_panel(tables, PARAMS.model_copy(update={"chunk_obligors": 300}), engine=engine)
    with warnings.catch_warnings():
        warnings.simplefilter("error", PerformanceWarning)
        widened = panel.assign(year=panel["obs_date"].dt.year)
    assert widened["year"].notna().all()
    assert panel[feature_columns(panel)].dtypes.eq(np.float32).all()


def test_reading_only_the_panel_columns_in_panel_types_gives_the_same_panel(tables, panel, tmp_path):
    # What the benchmark does at 2M statements: fewer columns, dates and statement ids as categories.
    from workbench.data import read_tables, write_tables
    from workbench.features import INPUT_TABLES, PANEL_COLUMNS, PANEL_DTYPES

    path = write_tables({k: v for k, v in tables.items() if k in INPUT_TABLES}, tmp_path / "p")
    narrow = read_tables(path, names=INPUT_TABLES, check=False, compact=True, columns=PANEL_COLUMNS,
                         dtypes=PANEL_DTYPES)
    assert list(narrow["obligors"].columns) == list(PANEL_COLUMNS["obligors"])
    assert narrow["behaviour"]["month_end"].dtype == "category"
    pd.testing.assert_frame_equal(build_panel(narrow, PARAMS.model_copy(update={"chunk_obligors": 250})), panel)
    # Checked, the tables are validated whole and then narrowed to the same columns and types.
    checked = read_tables(path, names=INPUT_TABLES, check=True, compact=True, columns=PANEL_COLUMNS,
                          dtypes=PANEL_DTYPES)
    for name in INPUT_TABLES:
        assert list(checked[name].columns) == list(narrow[name].columns)
        assert checked[name].dtypes.astype(str).tolist() == narrow[name].dtypes.astype(str).tolist()


def test_the_pandas_engine_marks_its_stages(tables):
    from workbench.features.stages import listening

    marks: list[str | None] = []
    with listening(marks.append):
        build_panel(tables, PARAMS)
    assert marks == ["obligor rows", "peers", "finalise", None]


def test_peers_on_the_engines_arrays_equal_peers_on_frames(tables, panel):
    """The pandas engine computes peers on its own arrays, the partitioned path (Dask's) with
    ``add_peer_features`` on frames: the panels are the same."""
    from workbench.features.assembly import add_peer_features, finalise, obligor_rows

    frame = obligor_rows(tables["financials"], tables["behaviour"], tables["defaults"], tables["obligors"],
                         tables["questionnaires"], tables["macro"], PARAMS, tables["behaviour"]["month_end"].max())
    pd.testing.assert_frame_equal(finalise(add_peer_features(frame, PARAMS.min_peer_group)), panel, check_exact=True)
