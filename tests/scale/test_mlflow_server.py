"""The workbench against a real MLflow tracking server, with and without MLflow's basic-auth app.

Without auth: the test pipeline (features -> PD model -> pricing -> review, the suite's test params
on the suite's small test portfolio), the sign-off and the monitoring report all go through a
server on a loopback port that stores runs in SQLite and serves the artifacts itself. With auth:
a request without credentials is refused, runs and sign-offs record the user the server
authenticated (not the OS account, which is the same for everyone here), and only validators can
move ``champion`` of the approved model consumers use. Each test starts and stops its own server
(``mlflow_server.py``).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from typer.testing import CliRunner

from workbench import signoff, tracking
from workbench.cli import app
from workbench.data import write_tables
from workbench.paths import reports_dir
from workbench.synthetic import GeneratorSettings, generate_portfolio

from .mlflow_server import ADMIN, as_user, health_status, mlflow_server

pytestmark = [pytest.mark.scale,
              # importing mlflow.server (for the auth app's client) imports its FastAPI app, which says this
              pytest.mark.filterwarnings("ignore:starlette.middleware.wsgi is deprecated")]

MODEL = signoff.DEFAULT_MODEL_NAME
APPROVED = signoff.APPROVED_MODEL_NAME
# What this file checks is where runs, models and sign-offs go, not the model: one tuning trial.
QUICK_TRAINING = ("-p", "20_train_pd_model:tuning.n_trials=1")
MONITORING_AS_OF = "2020-12-31"  # the test portfolio's last month end (params/test/monitor_portfolio.yaml)


def _os_user(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    # getpass reads $LOGNAME first: the modeller and the validator are different people on one machine.
    for var in ("LOGNAME", "USER", "LNAME", "USERNAME"):
        monkeypatch.setenv(var, name)


def _use_server(monkeypatch: pytest.MonkeyPatch, url: str, state: Path) -> None:
    monkeypatch.setenv("WORKBENCH_STATE_DIR", str(state))
    monkeypatch.setenv("MLFLOW_TRACKING_URI", url)
    monkeypatch.delenv("MLFLOW_TRACKING_USERNAME", raising=False)
    monkeypatch.delenv("MLFLOW_TRACKING_PASSWORD", raising=False)


def test_the_pipeline_review_signoff_and_monitoring_run_through_a_tracking_server(tmp_path, monkeypatch):
    state = tmp_path / "state"
    data = state / "data" / "test-portfolio"  # where params/test/build_features.yaml reads the portfolio
    write_tables(generate_portfolio(GeneratorSettings(n_obligors=700, years=6, seed=3)), data)
    cli = CliRunner()
    with mlflow_server(tmp_path / "server") as server:
        _use_server(monkeypatch, server.url, state)
        assert tracking.current_identity().source == "os"  # a server without auth: nobody logs in

        _os_user(monkeypatch, "mo.deller")
        pipeline = cli.invoke(app, ["pipeline", "--data", str(data), "--params-dir", "params/test", *QUICK_TRAINING])
        assert pipeline.exit_code == 0, pipeline.output
        assert f"MLflow store:       {server.url}" in pipeline.output

        # The model is registered on the server; its files went through the server to its artifact store.
        registered = tracking.resolve_model_version(MODEL)
        assert registered["aliases"] == ["challenger"]
        assert registered["source"].startswith("mlflow-artifacts:/")
        assert list(server.artifacts.rglob("MLmodel")) and not (state / "mlartifacts").exists()
        training = tracking.get_run(registered["run_id"])
        assert training.data.tags["workbench.user"] == "mo.deller"
        # The pipeline's review notebook validated it, and the gate has nothing against it.
        review = signoff.find_validation_run(MODEL, registered["version"])
        assert review and tracking.get_run(review).info.status == "FINISHED"
        assert signoff.check_version(MODEL, registered["version"]) == []

        _os_user(monkeypatch, "val.idator")
        approved = cli.invoke(app, ["review", "approve", MODEL, registered["version"], "--by", "Val Idator",
                                    "--comment", "validated on the team server"])
        assert approved.exit_code == 0, approved.output
        consumer = signoff.model_for_consumers(MODEL)
        assert consumer.approved and consumer.run_id == registered["run_id"]
        assert consumer.approved_model == APPROVED and consumer.model_uri == f"models:/{APPROVED}@champion"
        assert f"{APPROVED}@champion = version {consumer.approved_version}" in approved.stdout
        assert tracking.alias_version(APPROVED, "champion") == consumer.approved_version
        status = cli.invoke(app, ["review", "status", MODEL])
        assert status.exit_code == 0 and "verified (1 signed decisions" in status.stdout, status.output

        report = cli.invoke(app, ["report", "monitoring", "--as-of", MONITORING_AS_OF, "--params",
                                  "params/test/monitor_portfolio.yaml"])
        assert report.exit_code == 0, report.output
        monitoring = tracking.get_run(tracking.find_latest_run("monitoring", "50_monitor_portfolio"))
        assert monitoring.info.status == "FINISHED"
        tags = monitoring.data.tags
        assert tags["workbench.upstream.20_train_pd_model"] == registered["run_id"]  # the signed-off champion
        assert tags["workbench.model_version"] == f"{MODEL}/{registered['version']}"
        assert tags["workbench.model_approved"] == "true"
        assert (reports_dir("monitoring", MONITORING_AS_OF) / "50_monitor_portfolio.html").is_file()
        assert "50_monitor_portfolio.html" in tracking.list_artifacts(monitoring.info.run_id)
    assert health_status(server.url) is None  # stopped with the test


MODELLER, VALIDATOR, CONSUMER = "modeller", "validator", "consumer"
GOOD_METRICS = {"oot/auc": 0.81, "oot/gini": 0.62, "oot/ks": 0.48, "oot/brier": 0.031, "oot/red_grades": 0.0,
                "reproducibility/passed": 1.0}


def _status_without_credentials(url: str) -> int:
    try:
        with urllib.request.urlopen(f"{url}/api/2.0/mlflow/experiments/search?max_results=1", timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as exc:
        return exc.code


def _register_version(name: str) -> tuple[str, str]:
    """What the training notebook does, in small: a run with the standard tags, a registered version."""
    c = tracking.client()
    with tracking.tracked_run("server-tests-training", "train", tags=tracking.standard_tags(None, None, None)) as run:
        c.log_text(run.run_id, "not a model", "pd_model/MLmodel.txt")
    tracking.ensure_registered_model(name)
    version = str(c.create_model_version(name, source=f"{run.artifact_uri}/pd_model", run_id=run.run_id).version)
    c.set_registered_model_alias(name, "challenger", version)
    return version, run.run_id


def _validate(name: str, version: str) -> str:
    """What the review notebook records: a finished validation run linked to the version."""
    run = tracking.start_run("server-tests-validation", f"review {name} v{version}", tags={
        **tracking.standard_tags(None, None, None),
        signoff.REVIEW_MODEL_NAME_TAG: name, signoff.REVIEW_MODEL_VERSION_TAG: version})
    run.log_metrics(GOOD_METRICS)
    signoff.link_validation_run(name, version, run.run_id)
    tracking.end_run(run.run_id, "FINISHED")
    return run.run_id


def test_with_basic_auth_the_server_checked_user_is_recorded_and_only_validators_move_the_approved_champion(
        tmp_path, monkeypatch):
    from mlflow.exceptions import MlflowException
    from mlflow.server import get_app_client

    with mlflow_server(tmp_path / "server", auth=True) as server:
        _use_server(monkeypatch, server.url, tmp_path / "state")
        _os_user(monkeypatch, "shared.os.account")  # everyone on the same OS account: only MLflow tells them apart

        # Without credentials the server answers nothing, and the workbench says what to set before any run.
        assert _status_without_credentials(server.url) == 401
        with pytest.raises(tracking.TrackingAuthError, match="MLFLOW_TRACKING_USERNAME"):
            tracking.check_store()
        as_user(monkeypatch, MODELLER, "not-the-password")
        with pytest.raises(tracking.TrackingAuthError, match="refused the credentials"):
            tracking.current_identity()

        # The admin opens accounts and creates the approved model first: whoever creates a model may manage it.
        as_user(monkeypatch, ADMIN, server.admin_password)
        admin = get_app_client("basic-auth", tracking_uri=server.url)
        passwords = {user: f"{user}-password-0123" for user in (MODELLER, VALIDATOR, CONSUMER)}
        for user, password in passwords.items():
            admin.create_user(user, password)
        tracking.ensure_registered_model(APPROVED, "The signed-off copies consumers use; only validators edit it")
        admin.grant_user_permission(VALIDATOR, "registered_model", APPROVED, "MANAGE")

        # The modeller trains: the run records the user the server authenticated, not the OS account.
        as_user(monkeypatch, MODELLER, passwords[MODELLER])
        version, training_run = _register_version(MODEL)
        tags = tracking.get_run_tags(training_run)
        assert tags["workbench.user"] == tags["mlflow.user"] == MODELLER
        assert tags["workbench.os_user"] == "shared.os.account" and tags["workbench.user_source"] == "mlflow-basic-auth"
        as_user(monkeypatch, ADMIN, server.admin_password)
        admin.grant_user_permission(VALIDATOR, "registered_model", MODEL, "EDIT")  # records decisions on it

        as_user(monkeypatch, VALIDATOR, passwords[VALIDATOR])
        _validate(MODEL, version)
        # A modeller cannot approve: not their own version (self-approval by the authenticated user) ...
        as_user(monkeypatch, MODELLER, passwords[MODELLER])
        with pytest.raises(signoff.SignoffRefused, match=f"self-approval.*MLflow user '{MODELLER}'"):
            signoff.approve(MODEL, version, by="Mo Deller", comment="my own")
        # ... and not with a reason either: the server refuses them the approved model, and nothing is recorded.
        with pytest.raises(signoff.SignoffRefused, match=f"copy version {version} into {APPROVED}") as refused:
            signoff.approve(MODEL, version, by="Mo Deller", comment="my own", override_reason="in a hurry")
        assert "Nothing was recorded" in str(refused.value)
        assert not [k for k in tracking.client().get_registered_model(MODEL).tags if k.startswith("signoff.")]

        # The validator approves: the signed record names the MLflow user; the copy becomes the consumers' champion.
        as_user(monkeypatch, VALIDATOR, passwords[VALIDATOR])
        decision = signoff.approve(MODEL, version, by="Val Idator", comment="independent validation")
        assert (decision.user, decision.os_user, decision.trained_by) == (VALIDATOR, "shared.os.account", MODELLER)
        # Deleting an alias needs MANAGE on key-account-pd; with EDIT the challenger stays, and the approval says so.
        assert not decision.challenger_removed and any("stays on version" in note for note in decision.notes)
        mirror = tracking.get_model_version(MODEL, version).tags
        assert mirror["signoff.001.user"] == mirror["signoff.user"] == VALIDATOR
        ledger = json.loads(tracking.client().get_registered_model(MODEL).tags["signoff.ledger.000001"])
        assert ledger["user"] == VALIDATOR and signoff.verify(MODEL).ok
        rejected = signoff.reject(MODEL, version, by="Val Idator", comment="noted: a second look")
        assert rejected.user == VALIDATOR
        copy = tracking.alias_version(APPROVED, "champion")
        assert copy == decision.approved_version
        assert tracking.get_model_version(APPROVED, copy).run_id == training_run

        as_user(monkeypatch, CONSUMER, passwords[CONSUMER])  # READ, the server's default permission
        consumer = signoff.model_for_consumers(MODEL)
        assert consumer.approved and (consumer.approved_model, consumer.approved_version) == (APPROVED, copy)
        assert consumer.signed_off_by == f"Val Idator (MLflow user {VALIDATOR})"

        # A modeller may move aliases of key-account-pd (registering needs the same EDIT) but not of the approved
        # model: the server refuses it, and a champion moved on key-account-pd fails verification for consumers.
        as_user(monkeypatch, MODELLER, passwords[MODELLER])
        with pytest.raises(MlflowException) as denied:
            tracking.client().set_registered_model_alias(APPROVED, "champion", copy)
        assert denied.value.error_code == "PERMISSION_DENIED" and denied.value.get_http_status_code() == 403
        second, _ = _register_version(MODEL)
        tracking.set_alias(MODEL, "champion", second)
        with pytest.raises(signoff.SignoffNotVerified, match="moved around the sign-off"):
            signoff.model_for_consumers(MODEL)
        assert tracking.alias_version(APPROVED, "champion") == copy
    assert health_status(server.url) is None  # stopped with the test
