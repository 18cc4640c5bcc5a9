"""What experiments, runs and model versions say about themselves in the MLflow UI."""

from __future__ import annotations

import uuid

from workbench import tracking


def test_new_experiments_are_classical_model_development_so_the_ui_opens_on_runs():
    name = f"test-{uuid.uuid4().hex[:10]}"
    exp = tracking.client().get_experiment(tracking.ensure_experiment(name))
    assert exp.tags[tracking.EXPERIMENT_KIND_TAG] == tracking.CLASSICAL_ML == "custom_model_development"


def test_an_experiment_created_elsewhere_gets_its_kind_and_description():
    name = f"test-{uuid.uuid4().hex[:10]}"
    experiment_id = tracking.client().create_experiment(name)  # as an older workbench or another tool made it
    tracking.describe_experiment(name, "What this experiment holds.")
    tags = tracking.client().get_experiment(experiment_id).tags
    assert tags[tracking.EXPERIMENT_KIND_TAG] == tracking.CLASSICAL_ML
    assert tags[tracking.NOTE_TAG] == "What this experiment holds."


def test_a_run_description_is_the_note_the_ui_shows():
    with tracking.tracked_run(f"test-{uuid.uuid4().hex[:10]}", "r") as run:
        tracking.describe_run(run.run_id, "**r**: what it is")
    assert tracking.get_run_tags(run.run_id)[tracking.NOTE_TAG] == "**r**: what it is"


def test_only_a_registered_version_is_described(monkeypatch):
    from workbench.tracking import describe

    calls = []
    monkeypatch.setattr(describe, "describe_model_version", lambda *args: calls.append(args))
    describe.describe_registered({"model_uri": "runs:/x/pd_model"}, None, "text")
    describe.describe_registered({"model_uri": "runs:/x/pd_model", "version": "3"}, None, "text")
    assert calls == []
    describe.describe_registered({"model_uri": "runs:/x/pd_model", "version": "3"}, "key-account-pd", "text")
    assert calls == [("key-account-pd", "3", "text")]
