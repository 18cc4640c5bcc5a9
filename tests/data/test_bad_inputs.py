"""The bad-input corpus: every case exits with its code, names what is wrong and changes nothing."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from workbench import tracking
from workbench.cli import app
from workbench.synthetic import GeneratorSettings, generate_portfolio

from .bad_inputs.corpus import CASES


@pytest.fixture(scope="module")
def tables():
    return generate_portfolio(GeneratorSettings(n_obligors=60, years=3, seed=9))


def _files(root: Path) -> dict[str, str]:
    out = {}
    for sub in ("data", "experiments", "mlartifacts"):
        for path in sorted((root / sub).rglob("*")) if (root / sub).exists() else []:
            if path.is_file():
                out[str(path.relative_to(root))] = hashlib.sha256(path.read_bytes()).hexdigest()
    optuna = root / "optuna.db"
    if optuna.exists():
        out["optuna.db"] = hashlib.sha256(optuna.read_bytes()).hexdigest()
    return out


def _store() -> dict[str, object]:
    """What the MLflow store holds, logically (the SQLite file itself may be checkpointed by a read)."""
    c = tracking.client()
    ids = [e.experiment_id for e in c.search_experiments()]
    runs = sorted((r.info.run_id, r.info.status, len(r.data.tags)) for r in c.search_runs(ids, max_results=5000)) \
        if ids else []
    models = sorted((m.name, tuple(sorted((m.aliases or {}).items()))) for m in c.search_registered_models())
    return {"experiments": sorted(ids), "runs": runs, "models": models}


def test_the_corpus_covers_at_least_25_distinct_classes():
    names = [case.name for case in CASES]
    assert len(names) == len(set(names)) >= 25


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_is_refused_naming_what_is_wrong_and_nothing_changes(case, tables, tmp_path, monkeypatch,
                                                                       isolated_state):
    with tracking.tracked_run("bad-inputs-baseline", "a run that must survive") as run:
        run.log_metrics({"x": 1.0})
    folder = tmp_path / case.name
    folder.mkdir()
    args = case.build(folder, tables)
    before_files, before_store = _files(isolated_state), _store()
    for key, value in case.env.items():
        monkeypatch.setenv(key, value)
    result = CliRunner().invoke(app, args)
    for key in case.env:
        monkeypatch.delenv(key)
    assert result.exit_code == case.code, result.output
    message = " ".join(result.output.split())  # rich wraps long lines
    for words in case.says:
        assert " ".join(words.split()) in message, (words, result.output)
    assert "Traceback" not in result.output
    assert _files(isolated_state) == before_files
    assert _store() == before_store


def test_a_state_dir_that_is_a_file_and_a_corrupt_store_are_named(tmp_path, monkeypatch):
    afile = tmp_path / "state-file"
    afile.write_text("not a directory")
    monkeypatch.setenv("WORKBENCH_STATE_DIR", str(afile))
    result = CliRunner().invoke(app, ["run", "20_train_pd_model"])
    assert result.exit_code == 2 and f"the state dir {afile} is a file" in " ".join(result.output.split())
    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    (corrupt / "mlflow.db").write_bytes(b"this is not sqlite" * 100)
    monkeypatch.setenv("WORKBENCH_STATE_DIR", str(corrupt))
    result = CliRunner().invoke(app, ["run", "20_train_pd_model"])
    assert result.exit_code == 2 and "mlflow.db cannot be read" in " ".join(result.output.split())
    assert (corrupt / "mlflow.db").read_bytes() == b"this is not sqlite" * 100
