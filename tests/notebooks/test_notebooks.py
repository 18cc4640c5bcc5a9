"""Every registered job, executed through the runner on a small portfolio with its test params.

The credit pipeline runs once per module (kernels take seconds to start); jobs outside it run
once each, reading the pipeline's runs. Each test then checks one promise: nested FINISHED runs
with their executed notebook and HTML, outputs passed on through MLflow, a standalone run finding
its upstream, a failing notebook marked FAILED without touching earlier results. Tests do not
depend on each other's order: a test that needs "the latest run" asks the store for it.

The job list comes from the registry, so a job registered from outside (``conftest.py``'s dummy
job) is checked like the workbench's own.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from typer.testing import CliRunner

from workbench import jobs, tracking
from workbench.accounts import AccountsStore
from workbench.cli import app
from workbench.data import write_tables
from workbench.jobs import CREDIT_PIPELINE
from workbench.params import load_params
from workbench.paths import project_root, reports_dir, resolve_path, state_dir
from workbench.reference import metrics
from workbench.runner import NotebookFailed, run_notebook, run_registered_pipeline
from workbench.synthetic import GeneratorSettings, generate_portfolio

pytestmark = pytest.mark.notebooks
TEST_PARAMS = "params/test"
PIPELINE_JOBS = jobs.pipeline(CREDIT_PIPELINE).jobs
OTHER_JOBS = [name for name in jobs.JOBS if name not in PIPELINE_JOBS]


@pytest.fixture(scope="module")
def portfolio_dir(isolated_state_module: Path) -> Path:
    # params/test/build_features.yaml reads data/test-portfolio under the state dir.
    features = jobs.job("10_build_features")
    data_dir = resolve_path(load_params(features.params_model, features.test_params_file).data_dir)
    write_tables(generate_portfolio(GeneratorSettings(n_obligors=700, years=6, seed=3)), data_dir)
    return data_dir


@pytest.fixture(scope="module")
def isolated_state_module(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # The autouse per-test fixture sets the same directory; module fixtures need it before that runs.
    state = tmp_path_factory.getbasetemp() / "state"
    state.mkdir(exist_ok=True)
    mp = pytest.MonkeyPatch()
    mp.setenv("WORKBENCH_STATE_DIR", str(state))
    mp.delenv("MLFLOW_TRACKING_URI", raising=False)
    yield state
    mp.undo()


@pytest.fixture(scope="module")
def pipeline(portfolio_dir: Path):
    return run_registered_pipeline(CREDIT_PIPELINE, portfolio_dir, TEST_PARAMS)


@pytest.fixture(scope="module")
def standalone(pipeline):
    """Each job outside the pipeline, run once on its test params with the pipeline's runs upstream."""
    by_name = {s.name: s for s in pipeline.steps}
    results = {}
    for name in OTHER_JOBS:
        job = jobs.job(name)
        upstream = {u.param: by_name[u.job].run_id for u in job.upstream if u.job in by_name}
        results[name] = run_notebook(name, job.test_params_file, upstream)
    return results


def _step(pipeline, name: str):
    return next(s for s in pipeline.steps if s.name == name)


def _registered_version(training_run_id: str) -> str:
    """The model version a training run registered (tag ``workbench.registered_model`` = name/version@alias)."""
    return _run(training_run_id).data.tags["workbench.registered_model"].split("/")[1].split("@")[0]


def _run(run_id: str):
    return tracking.client().get_run(run_id)


def test_pipeline_is_a_finished_parent_with_a_finished_child_per_notebook(pipeline):
    parent = _run(pipeline.parent_run_id)
    assert parent.info.status == "FINISHED"
    assert tuple(s.name for s in pipeline.steps) == PIPELINE_JOBS
    for step in pipeline.steps:
        child = _run(step.run_id)
        assert child.info.status == "FINISHED"
        assert child.data.tags["mlflow.parentRunId"] == pipeline.parent_run_id
        for key in ("workbench.git_commit", "workbench.params_hash", "workbench.data_fingerprint",
                    "workbench.notebook", "workbench.version"):
            assert child.data.tags.get(key), (step.name, key)
        artifacts = tracking.list_artifacts(step.run_id)
        assert f"{step.name}.ipynb" in artifacts and f"{step.name}.html" in artifacts
        assert step.output_notebook.is_file() and step.html.is_file()
        assert step.output_notebook.parent.parent == state_dir() / "experiments" / CREDIT_PIPELINE


def test_executed_notebooks_have_no_errors_and_show_their_results(pipeline):
    for step in pipeline.steps:
        nb = nbformat.read(step.output_notebook, as_version=4)
        outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
        assert not [o for o in outputs if o.get("output_type") == "error"], step.name
        assert any("image/png" in o.get("data", {}) for o in outputs), f"{step.name} shows no figure"
        injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
        assert len(injected) == 1 and step.run_id in injected[0].source


@pytest.mark.parametrize("name", OTHER_JOBS)
def test_every_job_outside_the_pipeline_finishes_on_its_test_params(standalone, name):
    result = standalone[name]
    run = _run(result.run_id)
    assert run.info.status == "FINISHED"
    assert run.info.experiment_id == tracking.client().get_experiment_by_name(jobs.job(name).experiment).experiment_id
    artifacts = set(tracking.list_artifacts(result.run_id))
    if jobs.job(name).private_outputs:  # it names clients: on disk for its owner, never an MLflow artifact
        assert not {f"{name}.ipynb", f"{name}.html"} & artifacts
        assert result.html.stat().st_mode & 0o777 == 0o600 and result.output_notebook.stat().st_mode & 0o777 == 0o600
    else:
        assert {f"{name}.ipynb", f"{name}.html"} <= artifacts
    assert set(jobs.job(name).key_figures) & set(run.data.metrics), "no key figure logged"


def test_a_plug_in_job_runs_from_the_cli_with_no_change_to_the_workbench():
    result = CliRunner().invoke(app, ["run", "99_dummy_report", "-p", "rows=7", "-p", "as_of=2024-12-31"])
    assert result.exit_code == 0, result.output
    run = _run(tracking.find_latest_run("dummy", "99_dummy_report"))
    assert run.data.metrics["dummy/rows"] == 7 and run.data.params["greeting"] == "hello"
    # An as-of report writes to the folder of its kind and date, whatever ran before.
    folder = reports_dir("dummy", "2024-12-31")
    assert run.data.tags["workbench.output_dir"] == str(folder)
    assert (folder / "99_dummy_report.ipynb").is_file() and (folder / "99_dummy_report.html").is_file()


def test_a_rerun_of_an_as_of_report_replaces_its_folder_and_supersedes_the_earlier_run():
    args = ["run", "99_dummy_report", "-p", "as_of=2024-11-30"]
    assert CliRunner().invoke(app, args + ["-p", "rows=3"]).exit_code == 0
    first = tracking.find_latest_run("dummy", "99_dummy_report")
    assert CliRunner().invoke(app, args + ["-p", "rows=4"]).exit_code == 0
    second = tracking.find_latest_run("dummy", "99_dummy_report")
    assert second != first
    assert _run(first).data.tags[tracking.SUPERSEDED_TAG] == second
    assert tracking.SUPERSEDED_TAG not in _run(second).data.tags
    assert _run(second).data.tags[tracking.AS_OF_TAG] == "2024-11-30"
    folder = reports_dir("dummy", "2024-11-30")
    assert (folder / "99_dummy_report.html").is_file()
    # Nothing of the runs' staging folders is left beside the published one.
    assert not [p.name for p in folder.parent.iterdir() if p.name.startswith(".")]


MONITORING = "50_monitor_portfolio"
MONITORING_TEST_PARAMS = "params/test/monitor_portfolio.yaml"
MONITORING_AS_OF = "2020-12-31"


def _accounts_rows(as_of: str) -> dict[str, pd.DataFrame]:
    store = AccountsStore.open()
    return {"tiers": store.read_tiers(as_of), "alerts": store.read_alerts(as_of),
            "watchlist": store.read_watchlist(as_of)}


def _report_csvs(folder: Path) -> dict[str, pd.DataFrame]:
    return {name: pd.read_csv(folder / f"{name}.csv") for name in ("tiers", "alerts", "watchlist", "large_exposures")}


def test_the_monitoring_report_shows_tiers_alerts_with_reasons_and_the_watchlist(standalone):
    result = standalone[MONITORING]
    assert result.output_dir == reports_dir("monitoring", MONITORING_AS_OF)
    html = result.html.read_text(encoding="utf-8")
    for heading in ("Tiers and their service", "Early warnings", "The watchlist", "Model monitoring",
                    "How well the early warnings work"):
        assert heading in html
    assert "early-warning reasons" in html and "relationship manager" in html
    logged = _run(result.run_id).data.metrics
    assert logged[metrics.MONITORING_RED_ALERTS] == (_accounts_rows(MONITORING_AS_OF)["alerts"]["level"] == "red").sum()


def test_rerunning_the_monitoring_report_leaves_identical_rows_and_tables(pipeline, standalone):
    first = standalone[MONITORING]
    rows, tables = _accounts_rows(MONITORING_AS_OF), _report_csvs(first.output_dir)
    training = _step(pipeline, "20_train_pd_model").run_id
    result = CliRunner().invoke(app, ["report", "monitoring", "--as-of", MONITORING_AS_OF, "--params",
                                      MONITORING_TEST_PARAMS, "-p", f"training_run_id={training}"])
    assert result.exit_code == 0, result.output
    for name, frame in _accounts_rows(MONITORING_AS_OF).items():
        pd.testing.assert_frame_equal(frame, rows[name], obj=name)
    for name, frame in _report_csvs(reports_dir("monitoring", MONITORING_AS_OF)).items():
        pd.testing.assert_frame_equal(frame, tables[name], obj=name)
    latest = tracking.find_latest_run("monitoring", MONITORING)
    assert _run(first.run_id).data.tags[tracking.SUPERSEDED_TAG] == latest


def test_a_backfill_records_every_month_end_in_between(pipeline, standalone):
    training = _step(pipeline, "20_train_pd_model").run_id
    base = ["report", "monitoring", "--params", MONITORING_TEST_PARAMS, "-p", f"training_run_id={training}"]
    # 2020-12-31 is stored already: months before it need --force, which also recomputes it.
    refused = CliRunner().invoke(app, base + ["--from", "2020-08-31", "--to", "2020-10-31"])
    assert refused.exit_code == 2 and "--force" in refused.output
    result = CliRunner().invoke(app, base + ["--from", "2020-08-31", "--to", "2020-10-31", "--force"])
    assert result.exit_code == 0, result.output
    stored = {f"{d:%Y-%m-%d}" for d in AccountsStore.open().stored_as_of()}
    assert {"2020-08-31", "2020-09-30", "2020-10-31", MONITORING_AS_OF} <= stored
    watchlist = AccountsStore.open().read_watchlist("2020-09-30")
    assert {"new", "unchanged", "escalated", "de-escalated", "eligible for exit"} & set(watchlist["status"])
    assert (reports_dir("monitoring", "2020-10-31") / f"{MONITORING}.html").is_file()


PORTFOLIO = "80_portfolio_risk"


def test_the_portfolio_report_shows_stages_ecl_stress_and_the_loss_distribution(standalone):
    result = standalone[PORTFOLIO]
    assert result.output_dir == reports_dir("portfolio", MONITORING_AS_OF)
    html = result.html.read_text(encoding="utf-8")
    for heading in ("IFRS 9: stages", "IFRS 9: expected credit loss", "The ECL movement", "Stress test",
                    "Credit loss distribution", "Risk contributions", "Concentration"):
        assert heading in html
    logged = _run(result.run_id).data.metrics
    facilities = pd.read_csv(result.output_dir / "ecl_facilities.csv")
    assert logged[metrics.PORTFOLIO_ECL] == pytest.approx(facilities["ecl"].sum())
    assert set(facilities["stage"]) <= {1, 2, 3} and (facilities["ecl"] >= 0).all()
    assert logged[metrics.PORTFOLIO_MC_SCENARIOS] == load_params(
        jobs.job(PORTFOLIO).params_model, jobs.job(PORTFOLIO).test_params_file).simulation.n_scenarios
    assert 0 < logged[metrics.PORTFOLIO_EXPECTED_LOSS] < logged[metrics.PORTFOLIO_VAR_999] <= \
        logged[metrics.PORTFOLIO_ES_999]
    contributions = pd.read_csv(result.output_dir / "loss_contributions.csv")
    assert contributions["es_contribution_99_9"].sum() == pytest.approx(logged[metrics.PORTFOLIO_ES_999], rel=1e-9)
    stress = pd.read_csv(result.output_dir / "stress_summary.csv").set_index("scenario")
    assert stress.loc["severe", "ecl"] >= stress.loc["baseline", "ecl"]


DOSSIER_TEST_PARAMS = "params/test/account_dossier.yaml"


def test_a_dossier_batch_renders_exactly_the_clients_asked_for_with_an_index(pipeline, standalone):
    # The monitoring report of the standalone runs stored the tiers of MONITORING_AS_OF.
    training = _step(pipeline, "20_train_pd_model").run_id
    tiers = AccountsStore.open().read_tiers(MONITORING_AS_OF)
    tier = tiers["tier"].value_counts().index[0]
    result = CliRunner().invoke(app, ["report", "dossier", "--tier", tier, "--top", "2", "--as-of", MONITORING_AS_OF,
                                      "--params", DOSSIER_TEST_PARAMS, "-p", f"training_run_id={training}"])
    assert result.exit_code == 0, result.output
    folder = reports_dir("dossier", MONITORING_AS_OF)
    dossiers = sorted(p.stem for p in folder.glob("*.html") if p.name != "index.html")
    assert len(dossiers) == 2 and set(dossiers) <= set(tiers.loc[tiers["tier"] == tier, "obligor_id"])
    index = (folder / "index.html").read_text(encoding="utf-8")
    assert all(f'href="{d}.html"' in index for d in dossiers) and index.count("<tr>") == 3  # header + 2
    for path in folder.iterdir():
        assert path.stat().st_mode & 0o777 == 0o600, path  # they name clients
    page = (folder / f"{dossiers[0]}.html").read_text(encoding="utf-8")
    for section in ("Against the industry", "Facilities, collateral and covenants", "Needs and the suggested offer"):
        assert section in page
    assert page.count("image/png") >= 3  # the rating history, the radar chart, the needs
    experiment = tracking.client().get_experiment_by_name("dossier").experiment_id
    batches = [r for r in tracking.client().search_runs([experiment], filter_string="tags.`workbench.mode` = 'batch'",
                                                         order_by=["attributes.start_time DESC"])
               if "mlflow.parentRunId" not in r.data.tags]
    parent = batches[0]
    assert parent.info.status == "FINISHED" and parent.data.tags[tracking.AS_OF_TAG] == MONITORING_AS_OF
    kids = tracking.client().search_runs([experiment],
                                         filter_string=f"tags.mlflow.parentRunId = '{parent.info.run_id}'")
    assert sorted(k.data.tags["workbench.obligor_id"] for k in kids) == dossiers
    for kid in kids:  # ids and figures only
        assert kid.info.status == "FINISHED" and not tracking.list_artifacts(kid.info.run_id)


@pytest.mark.parametrize("name", [n for n in jobs.JOBS if jobs.JOBS[n].hide_code])
def test_reports_for_readers_hide_their_code(pipeline, standalone, name):
    result = _step(pipeline, name) if name in PIPELINE_JOBS else standalone[name]
    html = result.html.read_text(encoding="utf-8")
    assert "load_params" not in html  # every notebook's code calls it: input cells are left out
    heading = next(c.source for c in nbformat.read(jobs.job(name).path, as_version=4).cells if c.cell_type == "markdown")
    assert heading.splitlines()[0].lstrip("# ").strip() in html  # the text a reader needs is there


def test_other_reports_keep_their_code(pipeline):
    shown = [s for s in pipeline.steps if not jobs.job(s.name).hide_code]
    assert shown and all("load_params" in s.html.read_text(encoding="utf-8") for s in shown)


def test_training_run_logs_split_metrics_and_learns(pipeline):
    train_run = _run(_step(pipeline, "20_train_pd_model").run_id)
    metrics = train_run.data.metrics
    for split in ("train", "valid", "oot"):
        for name in ("auc", "gini", "brier", "ks", "rows"):
            assert f"{split}/{name}" in metrics
    assert metrics["oot/auc"] > 0.65
    assert metrics["oot/gini"] == pytest.approx(2 * metrics["oot/auc"] - 1)
    assert train_run.data.params["xgb.max_depth"] == "2"  # from params/test


def test_outputs_flow_downstream_through_recorded_run_ids(pipeline):
    features, training, pricing = (_step(pipeline, n) for n in ("10_build_features", "20_train_pd_model",
                                                                 "30_calibrate_pricing"))
    assert _run(training.run_id).data.tags["workbench.upstream.10_build_features"] == features.run_id
    assert _run(pricing.run_id).data.tags["workbench.upstream.20_train_pd_model"] == training.run_id
    panel = pd.read_parquet(tracking.resolve_output(features.run_id, "panel"))
    predictions = pd.read_parquet(tracking.resolve_output(training.run_id, "predictions"))
    assert len(predictions) == len(panel)
    from workbench.pricing import grid_from_table

    grid = grid_from_table(pd.read_parquet(tracking.resolve_output(pricing.run_id, "price_grid")))
    assert grid.has_market_layer and grid.is_monotone() and grid.floor_respected()


def test_pricing_run_logs_the_grid_response_model_and_portfolio_raroc(pipeline):
    pricing = _step(pipeline, "30_calibrate_pricing")
    logged = _run(pricing.run_id).data.metrics
    assert logged[metrics.GRID_MONOTONE_IN_GRADE] == 1.0 and logged[metrics.GRID_FLOOR_RESPECTED] == 1.0
    assert {metrics.PORTFOLIO_RAROC_TODAY, metrics.PORTFOLIO_RAROC_GRID} <= set(logged)
    assert {"price_grid", "price_grid_csv", "price_response"} <= set(tracking.run_outputs(pricing.run_id))
    assert {"figures/capital_curve.png", "figures/acceptance_curves.png",
            "figures/grid_heatmap_tier_b_unsecured.png"} <= set(tracking.list_artifacts(pricing.run_id))


def test_cli_price_quotes_from_the_latest_calibrated_grid(pipeline):
    latest = tracking.find_latest_run_anywhere("30_calibrate_pricing")
    result = CliRunner().invoke(app, ["price", "--grade", "5", "--tenor", "4", "--collateral", "real_estate",
                                      "--amount", "20", "--sales", "30"])
    assert result.exit_code == 0, result.output
    assert "RAROC at the recommended spread" in result.output
    assert latest in result.output
    bad = CliRunner().invoke(app, ["price", "--grade", "5", "--tenor", "4", "--collateral", "gold", "--amount", "20"])
    assert bad.exit_code == 2 and "gold" in bad.output


def test_training_run_registers_a_challenger_that_reproduces_its_predictions(pipeline):
    training = _step(pipeline, "20_train_pd_model")
    assert _run(training.run_id).data.tags["workbench.registered_model"].endswith("@challenger")
    # The version this run registered (the alias may have moved on since, to a later run's version).
    model = tracking.load_registered_model("key-account-pd", _registered_version(training.run_id))
    panel = pd.read_parquet(tracking.resolve_output(_step(pipeline, "10_build_features").run_id, "panel"))
    predictions = pd.read_parquet(tracking.resolve_output(training.run_id, "predictions"))
    features = model.metadata.get_input_schema().input_names()
    served = model.predict(panel[features].head(50))
    assert list(served.columns) == ["pd", "grade"]
    assert served["pd"].to_numpy() == pytest.approx(predictions["pd"].head(50).to_numpy(), rel=1e-6)


def test_training_run_logs_back_tests_challengers_and_trials(pipeline):
    training = _step(pipeline, "20_train_pd_model")
    logged = _run(training.run_id).data.metrics
    for name in (metrics.oot_auc_of("xgboost"), metrics.oot_auc_of("scorecard"), metrics.oot_auc_of("altman_z2"),
                 *metrics.OOT_BACKTEST_METRICS):
        assert name in logged, name
    artifacts = set(tracking.list_artifacts(training.run_id))
    assert {"tables/grade_backtest_oot.csv", "figures/cap_oot.png", "figures/calibration_oot.png",
            "pd_model/MLmodel"} <= artifacts
    c = tracking.client()
    exp = _run(training.run_id).info.experiment_id
    trials = c.search_runs([exp], filter_string=f"tags.`mlflow.parentRunId` = '{training.run_id}'")
    assert len(trials) == 3
    for t in trials:  # a completed trial logs its CV AUC and finishes; a pruned one is KILLED without it
        complete = t.data.tags["workbench.optuna_state"] == "COMPLETE"
        assert t.info.status == ("FINISHED" if complete else "KILLED")
        assert (metrics.CV_AUC in t.data.metrics) == complete
    # The first trial is the configured defaults, which the pruner never stops (it has no history yet).
    assert any(t.data.tags["workbench.optuna_state"] == "COMPLETE" for t in trials)


def test_review_run_reproduces_the_training_metrics_and_links_the_model_version(pipeline):
    from workbench.signoff import REQUIRED_VALIDATION_METRICS

    training, review = _step(pipeline, "20_train_pd_model"), _step(pipeline, "40_review_model")
    run = _run(review.run_id)
    version = _registered_version(training.run_id)
    assert run.data.tags["workbench.review.model_name"] == "key-account-pd"
    assert run.data.tags["workbench.review.model_version"] == version
    assert set(REQUIRED_VALIDATION_METRICS) <= set(run.data.metrics)
    assert run.data.metrics[metrics.REPRODUCIBILITY_PASSED] == 1.0
    trained = _run(training.run_id).data.metrics
    # Training and review log the same figure under the same name, and agree on it.
    for name in (metrics.OOT_AUC, *metrics.OOT_BACKTEST_METRICS):
        assert run.data.metrics[name] == pytest.approx(trained[name], abs=1e-12, nan_ok=True), name
    mv = tracking.client().get_model_version("key-account-pd", version)
    assert mv.tags["validation_run_id"] == review.run_id
    assert {"tables/reproducibility.csv", "tables/champion_vs_challenger_oot.csv", "tables/grade_backtest_oot.csv",
            "tables/grade_migration_oot.csv", "figures/grade_backtest_oot.png"} <= set(tracking.list_artifacts(review.run_id))
    # What it reviewed, under new params (the job's own model_version param is empty), and its verdict.
    assert run.data.params["review.model_version"] == version
    assert run.data.params["review.training_run_id"] == training.run_id
    assert run.data.tags["workbench.review.verdict"].startswith(("meets the gate", "does not meet the gate"))
    # The version's description keeps the training paragraph and adds the review's, linking this run.
    training_part, review_part = mv.description.split("\n\n")
    assert training_part.startswith("Calibrated xgboost 12-month PD model")
    assert f"review run {review.run_id}" in review_part and run.data.tags["workbench.review.verdict"] in review_part


def _html_text(html: str) -> str:
    """The visible text of an HTML fragment, whitespace collapsed (no style or script content)."""
    import html as html_lib

    html = re.sub(r"(?is)<(style|script)\b.*?</\1>", " ", html)
    return re.sub(r"\s+", " ", html_lib.unescape(re.sub(r"(?s)<[^>]+>", " ", html))).strip()


def test_review_report_opens_with_the_header_and_the_verdict_box(pipeline):
    from workbench.signoff import REQUIRED_VALIDATION_METRICS

    training, review = _step(pipeline, "20_train_pd_model"), _step(pipeline, "40_review_model")
    version = _registered_version(training.run_id)
    html = review.html.read_text(encoding="utf-8")
    body = html[html.index("<body"):]
    header_at, verdict_at = (re.search(rf"""<div class=["']{name}["']""", body).start()
                             for name in ("review-header", "review-verdict"))
    # First screen: the title paragraph, then the header, then the verdict box; no table or figure before them.
    before = body[:header_at]
    assert "<table" not in before and "<img" not in before
    assert _html_text(before).startswith("Validation review of a PD model version")
    assert header_at < verdict_at
    end = body.index("How to read the verdict", verdict_at)
    header, verdict = _html_text(body[header_at:verdict_at]), _html_text(body[verdict_at:end])
    assert f"key-account-pd version {version} (@challenger)" in header  # the aliases the registry has
    for label in ("Training run", "Trained", "Trained by", "Git commit", "Data fingerprint", "Params hash",
                  "Reviewed"):
        assert label in header, label
    training_tags = _run(training.run_id).data.tags
    for value in (training.run_id, training_tags["workbench.git_commit"], training_tags["workbench.data_fingerprint"],
                  training_tags["workbench.params_hash"], review.run_id):
        assert value in header, value
    assert verdict.startswith("Verdict: ")
    assert _run(review.run_id).data.tags["workbench.review.verdict"] in verdict
    for name in REQUIRED_VALIDATION_METRICS:
        assert f"{name} recorded" in verdict, name
    assert "reproducibility passed" in verdict and "no red grade" in verdict
    assert "PASS" in verdict and "Findings:" in verdict
    assert "No champion to compare with" in verdict  # the pipeline's first version has no champion


def test_review_report_shows_no_raw_reprs_or_stray_return_values(pipeline):
    review = _step(pipeline, "40_review_model")
    html = review.html.read_text(encoding="utf-8")
    text = _html_text(html[html.index("<body"):])
    for stray in ("ReviewModelParams(", "{'", "'aliases'", "'tables/", "Empty DataFrame", "RunHandle(",
                  "<Figure size", "passed': True", "000000"):
        assert stray not in text, stray
    assert "No champion yet: this version would be the first" in text
    nb = nbformat.read(review.output_notebook, as_version=4)
    images = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if "image/png" in o.get("data", {})]
    assert len(images) == 1  # the grade back-test once; no empty migration figure without a champion


def test_approving_the_reviewed_version_makes_it_champion(pipeline, monkeypatch):
    training = _step(pipeline, "20_train_pd_model")
    version = _registered_version(training.run_id)
    # The validator is another person than the modeller whose OS user trained the version.
    for var in ("LOGNAME", "USER", "LNAME", "USERNAME"):
        monkeypatch.setenv(var, "validator")
    result = CliRunner().invoke(app, ["review", "approve", "key-account-pd", version, "--by", "tester",
                                      "--comment", "ok"])
    assert result.exit_code == 0, result.output
    assert tracking.alias_version("key-account-pd", "champion") == version
    assert tracking.alias_version("key-account-pd", "challenger") != version  # challenger moved off
    tags = tracking.client().get_model_version("key-account-pd", version).tags
    assert tags["signoff.decision"] == "approved" and tags["signoff.by"] == "tester"
    assert tags["signoff.validation_run_id"] == _step(pipeline, "40_review_model").run_id


def test_cli_structure_renders_a_proposal_for_a_project_finance_obligor(pipeline, portfolio_dir):
    from workbench.data import read_tables

    tables = read_tables(portfolio_dir, ["obligors", "projects"], check=False)
    obligor = sorted(set(tables["projects"]["obligor_id"]))[0]
    result = CliRunner().invoke(app, ["structure", "--obligor", obligor, "--amount", "30", "--tenor", "6",
                                      "--params", f"{TEST_PARAMS}/structure_financing.yaml"])
    assert result.exit_code == 0, result.output
    html = Path(result.output.strip().splitlines()[-1])
    assert html.is_file() and html.suffix == ".html"
    run = _run(re.search(r"run ([0-9a-f]{32})", result.output).group(1))
    assert run.data.tags["workbench.obligor_id"] == obligor
    assert run.data.params["amount_eur_m"] == "30.0" and run.data.params["tenor_years"] == "6.0"
    m = run.data.metrics
    assert m["sculpting/min_dscr"] == pytest.approx(m["sculpting/llcr"]) == pytest.approx(1.30)
    assert {"tables/admission_checks.csv", "tables/sculpted_schedule.csv", "tables/financing_mix.csv",
            "figures/sensitivity_tornado.png"} <= set(tracking.list_artifacts(run.info.run_id))
    unknown = CliRunner().invoke(app, ["structure", "--obligor", "OB_NOPE", "--params",
                                       f"{TEST_PARAMS}/structure_financing.yaml"])
    assert unknown.exit_code != 0 and "OB_NOPE" in unknown.output
    nobody = CliRunner().invoke(app, ["structure"])
    assert nobody.exit_code == 2 and "--obligor" in nobody.output


def test_structure_notebook_takes_a_project_id(pipeline, portfolio_dir):
    from workbench.data import read_tables

    projects = read_tables(portfolio_dir, ["projects"], check=False)["projects"].sort_values("project_id")
    project = projects.iloc[-1]
    result = run_notebook("60_structure_financing", f"{TEST_PARAMS}/structure_financing.yaml",
                          {"project_id": project["project_id"], "amount_eur_m": 20.0})
    assert _run(result.run_id).data.tags["workbench.obligor_id"] == project["obligor_id"]


def test_features_run_logs_profile_dictionary_and_panel_fingerprint(pipeline):
    from workbench.features import feature_dictionary, panel_fingerprint

    features = _step(pipeline, "10_build_features")
    artifacts = tracking.list_artifacts(features.run_id)
    assert {"tables/data_profile.csv", "tables/feature_dictionary.csv", "outputs/panel.parquet"} <= set(artifacts)
    panel = pd.read_parquet(tracking.resolve_output(features.run_id, "panel"))
    assert _run(features.run_id).data.tags["workbench.panel_fingerprint"] == panel_fingerprint(panel)
    assert len(feature_dictionary(list(panel.columns))) == panel.shape[1]


def test_cli_run_of_one_notebook_finds_the_latest_upstream_run(pipeline):
    upstream = tracking.find_latest_run_anywhere("10_build_features")
    result = CliRunner().invoke(app, ["run", "20_train_pd_model", "--params", f"{TEST_PARAMS}/train_pd_model.yaml",
                                      "-p", "xgb.n_estimators=20", "-p", "register_model=false"])
    assert result.exit_code == 0, result.output
    latest = tracking.find_latest_run("credit-pd", "20_train_pd_model")
    run = _run(latest)
    assert run.data.tags["workbench.upstream.10_build_features"] == upstream
    assert run.data.params["xgb.n_estimators"] == "20"
    assert "mlflow.parentRunId" not in run.data.tags


def test_failing_notebook_is_marked_failed_and_earlier_results_survive(pipeline, portfolio_dir):
    before = {p: p.stat().st_mtime_ns for s in pipeline.steps for p in s.output_notebook.parent.iterdir()}
    with pytest.raises(NotebookFailed) as err:
        run_registered_pipeline(CREDIT_PIPELINE, portfolio_dir, TEST_PARAMS,
                                {"20_train_pd_model": {"target": "no_such_column"}})
    failed = err.value.result
    assert failed.name == "20_train_pd_model" and failed.status == "FAILED"
    assert "no_such_column" in str(err.value)
    run = _run(failed.run_id)
    assert run.info.status == "FAILED" and "no_such_column" in run.data.tags["workbench.error"]
    assert f"{failed.name}.ipynb" in tracking.list_artifacts(failed.run_id)
    parent = _run(run.data.tags["mlflow.parentRunId"])
    assert parent.info.status == "FAILED"
    assert "30_calibrate_pricing" not in [s.name for s in err.value.pipeline_result.steps]
    assert {p: p.stat().st_mtime_ns for p in before} == before


def test_bad_params_fail_before_any_run_is_created(portfolio_dir):
    c = tracking.client()
    count = lambda: sum(len(c.search_runs([e.experiment_id], max_results=5000)) for e in c.search_experiments())  # noqa: E731
    runs_before = count()
    result = CliRunner().invoke(app, ["pipeline", "--data", str(portfolio_dir), "--params-dir", TEST_PARAMS,
                                      "-p", "20_train_pd_model:xgb.max_dept=3"])
    assert result.exit_code == 2
    assert "unknown key 'xgb.max_dept'" in result.output and "xgb.max_depth" in result.output
    assert count() == runs_before


# --------------------------------------------------------------------------- static checks (no kernel)


def _parameters_cell(nb) -> nbformat.NotebookNode:
    cells = [c for c in nb.cells if c.cell_type == "code" and "parameters" in c.metadata.get("tags", [])]
    assert len(cells) == 1
    return cells[0]


@pytest.mark.parametrize("name", list(jobs.JOBS))
def test_parameters_cell_matches_the_params_model(name):
    import ast

    from workbench.runner import PARAMETER_NAMES

    spec = jobs.JOBS[name]
    nb = nbformat.read(spec.path, as_version=4)
    assert nb.metadata.kernelspec.name == "python3"
    tree = ast.parse(_parameters_cell(nb).source)
    assigned = {t.id: ast.literal_eval(node.value) for node in tree.body for t in node.targets}
    assert tuple(assigned) == PARAMETER_NAMES
    assert assigned["params_file"] == spec.params_file
    # The default params file validates against the model the notebook loads it with.
    load_params(spec.params_model, assigned["params_file"], assigned["overrides"])
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert f"load_params({spec.params_model.__name__}, params_file, overrides)" in code


def test_every_notebook_is_registered_and_committed_clean():
    on_disk = {p.stem for p in (project_root() / "notebooks").glob("*.ipynb")}
    assert on_disk == {name for name, job in jobs.JOBS.items() if job.notebook_path is None}
    for name in jobs.JOBS:
        nb = json.loads(jobs.JOBS[name].path.read_text())
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                assert cell["outputs"] == [] and cell["execution_count"] is None, name
                assert not any(line.lstrip().startswith(("def ", "class ")) for line in cell["source"]), name


def test_no_client_name_reaches_a_logged_artifact(pipeline, standalone, portfolio_dir, tmp_path):
    """Runs are read by people outside the desk: artifacts identify clients by obligor id only."""
    from workbench.data import read_tables

    names = set(read_tables(portfolio_dir, ["obligors"], check=False)["obligors"]["name"].astype(str))
    runs = [s.run_id for s in pipeline.steps] + [r.run_id for r in standalone.values()]
    found = []
    for run_id in runs:
        for artifact in tracking.list_artifacts(run_id):
            local_file = tracking.RunHandle(run_id).download_artifact(artifact, tmp_path / run_id[:8])
            if local_file.suffix == ".parquet":
                frame = pd.read_parquet(local_file)
                text = " ".join(frame.select_dtypes(exclude="number").astype(str).to_numpy().ravel().tolist())
            elif local_file.suffix in (".png", ".pkl", ".json") or local_file.name == "MLmodel":
                continue
            else:
                text = local_file.read_text(encoding="utf-8", errors="replace")
            found += [(artifact, name) for name in names if name in text]
    assert not found, found[:10]
