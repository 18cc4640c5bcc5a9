"""The Dask path end to end on a real two-worker LocalCluster: the PD model's boosters trained with
xgboost.dask on the workers give the pandas path's quality within ``AUC_TOLERANCE``, the monitoring book
computed on month chunks and obligor partitions equals the pandas book, and `workbench pipeline --engine
dask --scheduler ADDRESS` runs the credit pipeline on that cluster."""

from __future__ import annotations

import re
import time

import numpy as np
import pandas as pd
import pytest
import xgboost as xgb
from sklearn.metrics import roc_auc_score
from typer.testing import CliRunner

from workbench import jobs, tracking
from workbench.accounts.monthly import monitoring_book
from workbench.accounts.params import MonitoringParams
from workbench.data import write_tables
from workbench.features import PanelParams, build_panel
from workbench.models import fit_on_panel
from workbench.models.distributed import AUC_TOLERANCE, training_tasks
from workbench.models.params import PDModelParams
from workbench.params import load_params
from workbench.synthetic import GeneratorSettings, generate_portfolio

distributed = pytest.importorskip("distributed", reason="the [scale] extra is not installed")
pytestmark = pytest.mark.scale

SPLIT = {"split.train_end": "2017-12-31", "split.valid_end": "2018-12-31"}
TARGET = "default_12m"
BOOK_THROUGH = "2018-12-31"


@pytest.fixture(scope="module")
def panel():
    """Enough defaults for AUCs to be compared (2,500 obligors: about 50 defaults out of time)."""
    return build_panel(generate_portfolio(GeneratorSettings(n_obligors=2500, years=6, seed=3)),
                       load_params(PanelParams, None, SPLIT))


@pytest.fixture(scope="module")
def portfolio():
    """The small portfolio of the monitoring book and of the pipeline run."""
    return generate_portfolio(GeneratorSettings(n_obligors=600, years=6, seed=3))


def _params(engine: str) -> PDModelParams:
    # The test overlay's boosters; no tuning: its trials train in this process on either engine.
    return load_params(PDModelParams, None, {**_test_overlay(), "engine": engine, "tuning.enabled": False})


def _test_overlay() -> dict:
    cfg = load_params(jobs.TrainPDParams, "params/test/train_pd_model.yaml")
    return {f"xgb.{k}": v for k, v in cfg.xgb.model_dump().items()} | {"n_bags": cfg.n_bags, "seed": cfg.seed}


@pytest.fixture(scope="module")
def trained(panel, dask_cluster):
    """The same panel fitted on both engines; the dask fit inside a task stream of the cluster."""
    pandas_result = fit_on_panel(panel, _params("pandas"), TARGET)
    started = time.perf_counter()
    with distributed.get_task_stream(dask_cluster) as stream:
        dask_result = fit_on_panel(panel, _params("dask"), TARGET)
    return pandas_result, dask_result, stream.data, time.perf_counter() - started


def _auc(result, split: str) -> float:
    rows = result.predictions[result.predictions["split"] == split]
    return roc_auc_score(rows[TARGET], rows["pd"])


def test_dask_boosters_rank_as_well_as_pandas_within_the_stated_tolerance(trained, record_property):
    pandas_result, dask_result, _, _ = trained
    for split in ("valid", "oot"):
        on_pandas, on_dask = _auc(pandas_result, split), _auc(dask_result, split)
        record_property(f"{split}_auc", f"pandas {on_pandas:.4f} dask {on_dask:.4f}")
        print(f"{split} AUC: pandas {on_pandas:.4f}, dask {on_dask:.4f}, difference {on_dask - on_pandas:+.4f}")
        assert abs(on_dask - on_pandas) <= AUC_TOLERANCE, (split, on_pandas, on_dask)
    # Same model otherwise: boosters of the same type and count, the calibrated PDs at the same level.
    assert len(dask_result.model.boosters_) == len(pandas_result.model.boosters_)
    assert all(type(b) is xgb.XGBClassifier for b in dask_result.model.boosters_)
    oot = dask_result.predictions["split"] == "oot"
    assert dask_result.predictions.loc[oot, "pd"].mean() == pytest.approx(
        pandas_result.predictions.loc[oot, "pd"].mean(), rel=0.1)


def test_dask_boosters_are_trained_by_tasks_on_both_workers(trained, dask_cluster):
    _, dask_result, stream, _ = trained
    workers = set(dask_cluster.scheduler_info(n_workers=-1)["workers"])
    assert len(workers) == 2
    tasks = training_tasks(stream)
    # The early-stopping fit and every booster of the bag: one training task on each worker per fit.
    fits = 1 + len(dask_result.model.boosters_)
    assert {t["worker"] for t in tasks} == workers
    assert len(tasks) == 2 * fits, [t["key"] for t in tasks]


def test_monitoring_book_on_month_chunks_and_obligor_partitions_equals_the_pandas_book(portfolio, trained,
                                                                                      dask_cluster):
    model = trained[1].model
    params = load_params(MonitoringParams, None, {f"panel.{k}": v for k, v in SPLIT.items()})
    on_dask = params.model_copy(update={"panel": params.panel.model_copy(update={"engine": "dask",
                                                                                  "dask_partitions": 4})})
    # Four years of month ends: every lookback (a year for the grade, origination for the PD) is in them.
    expected = monitoring_book(portfolio, model, params, through=BOOK_THROUGH)
    with distributed.get_task_stream(dask_cluster) as stream:
        got = monitoring_book(portfolio, model, on_dask, through=BOOK_THROUGH)
    pd.testing.assert_frame_equal(got.scored, expected.scored)
    pd.testing.assert_frame_equal(got.ews.alerts, expected.ews.alerts)
    pd.testing.assert_frame_equal(got.ews.signals, expected.ews.signals)
    pd.testing.assert_frame_equal(got.outcomes, expected.outcomes)
    assert list(got.months) == list(expected.months) and got.data_end == expected.data_end
    # The book is not trivially equal: alerts of every level, and the work ran on both workers.
    assert set(expected.ews.alerts["level"]) == {"green", "amber", "red"}
    ran = {r["worker"] for r in stream.data if str(r["key"][0] if isinstance(r["key"], tuple) else r["key"])
           .startswith(("_scored_months", "_warned_obligors"))}
    assert ran == set(dask_cluster.scheduler_info(n_workers=-1)["workers"])


@pytest.fixture
def features_and_model():
    """The credit pipeline's first two steps (the ones with an engine) as a pipeline of their own: the review
    and pricing steps compute nothing on dask and would only add their kernels' minutes."""
    name = "test-features-and-model"
    jobs.register_pipeline(jobs.Pipeline(name, experiment="credit-pd", jobs=("10_build_features", "20_train_pd_model")))
    yield name
    jobs.PIPELINES.pop(name, None)


def test_cli_pipeline_with_engine_dask_runs_on_the_named_scheduler(tmp_path, dask_cluster, portfolio,
                                                                   features_and_model):
    data = tmp_path / "portfolio"
    write_tables(portfolio, data)
    address = dask_cluster.scheduler.address
    with distributed.get_task_stream(dask_cluster) as stream:
        result = CliRunner().invoke(jobs_cli(), ["pipeline", "--pipeline", features_and_model, "--engine", "dask",
                                                 "--scheduler", address, "--data", str(data),
                                                 "--params-dir", "params/test",
                                                 # where the work runs is checked here, not the model
                                                 "-p", "20_train_pd_model:tuning.n_trials=1"])
    assert result.exit_code == 0, result.output
    parent = re.search(r"Pipeline run:\s+([0-9a-f]{32})", result.output).group(1)
    tags = tracking.get_run_tags(parent)
    assert tags["workbench.pipeline"] == features_and_model
    for name in ("10_build_features", "20_train_pd_model"):
        step = tracking.get_run_tags(tags[f"workbench.step.{name}"])
        assert step["workbench.engine"] == "dask" and step["workbench.dask_scheduler"] == address, name
        assert step["workbench.dask_workers"] == "2"
    # The kernels' work reached this cluster: the panel's partitions and the boosters' training tasks.
    workers = set(dask_cluster.scheduler_info(n_workers=-1)["workers"])
    assert {t["worker"] for t in training_tasks(stream.data)} == workers
    assert any(str(r["key"][0] if isinstance(r["key"], tuple) else r["key"]).startswith("_local")
               for r in stream.data) or len(stream.data) > len(training_tasks(stream.data))


def test_cli_refuses_a_scheduler_without_the_dask_engine_and_an_unknown_engine():
    runner = CliRunner()
    result = runner.invoke(jobs_cli(), ["pipeline", "--scheduler", "tcp://127.0.0.1:1"])
    assert result.exit_code == 2 and "--engine dask" in result.output
    result = runner.invoke(jobs_cli(), ["pipeline", "--engine", "spark"])
    assert result.exit_code == 2 and "pandas or dask" in result.output


def test_dask_pipeline_is_the_credit_pipeline_with_the_dask_engine_in_features_and_training():
    dask_pipeline, credit = jobs.pipeline(jobs.DASK_PIPELINE), jobs.pipeline(jobs.CREDIT_PIPELINE)
    assert dask_pipeline.jobs == credit.jobs
    assert jobs.pipeline_overrides(jobs.DASK_PIPELINE, {"20_train_pd_model": {"n_bags": 1}}) == {
        "10_build_features": {"engine": "dask"}, "20_train_pd_model": {"engine": "dask", "n_bags": 1}}
    assert np.all([jobs.job(n).params_model is not None for n in dask_pipeline.jobs])


def jobs_cli():
    from workbench.cli import app

    return app
