"""`workbench tune` with real worker processes started at once on one Optuna study (SQLite, and
PostgreSQL when its binaries are there), and the training fit reproducible from the stored study."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import optuna
import pandas as pd
import pytest

from workbench.jobs import TrainPDParams
from workbench.models import fit_on_panel, flat_table_panel
from workbench.models.tuning import WORKER_ATTR
from workbench.params import load_params

from .postgres_server import postgres_server

pytestmark = pytest.mark.scale

PARAMS = "params/test/train_pd_model.yaml"
#: Small fits: the machine is shared and the point is the bookkeeping, not the model.
FAST = ["-p", "xgb.n_estimators=40", "-p", "n_jobs=1"]


@pytest.fixture(scope="module")
def table(tmp_path_factory) -> Path:
    rng = np.random.default_rng(3)
    n = 480
    frame = pd.DataFrame({"date": np.repeat(pd.date_range("2016-01-31", periods=24, freq="ME"), n // 24),
                          "leverage": rng.normal(size=n), "margin": rng.normal(size=n), "noise": rng.normal(size=n)})
    frame["default"] = (rng.random(n) < 1 / (1 + np.exp(-(-2.0 + 1.2 * frame["leverage"] - 0.8 * frame["margin"])))
                        ).astype(int)
    path = tmp_path_factory.mktemp("tune") / "book.csv"
    frame.to_csv(path, index=False)
    return path


def _tune_argv(table: Path, storage: str, study: str, trials: int, workers: int, *extra: str) -> list[str]:
    return [sys.executable, "-m", "workbench.cli_tune", "--study", study, "--storage", storage, "--trials", str(trials),
            "--workers", str(workers), "--table", str(table), "--target", "default", "--time", "date",
            "--params", PARAMS, *FAST, *extra]


def _assert_filled_once(storage: str, study: str, shares: list[int]) -> list[optuna.trial.FrozenTrial]:
    """The study holds exactly sum(shares) finished trials, numbered 0.., each worker its share, no
    two with the same settings, and one (trial 0) with the configured defaults."""
    trials = optuna.load_study(study_name=study, storage=storage).get_trials()
    assert sorted(t.number for t in trials) == list(range(sum(shares)))
    assert {t.state for t in trials} <= {optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED}
    assert Counter(t.user_attrs[WORKER_ATTR] for t in trials) == dict(enumerate(shares))
    assert len({tuple(sorted(t.params.items())) for t in trials}) == len(trials)
    cfg = load_params(TrainPDParams, PARAMS)
    defaults = [t.number for t in trials if t.params["max_depth"] == cfg.xgb.max_depth
                and t.params["learning_rate"] == pytest.approx(cfg.xgb.learning_rate)]
    assert defaults == [0]
    return trials


def test_two_workers_started_together_finish_exactly_the_trials_and_the_fit_from_the_study_repeats(table, tmp_path):
    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    done = subprocess.run(_tune_argv(table, storage, "book", 6, 2), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    _assert_filled_once(storage, "book", [3, 3])
    assert "best trial" in done.stderr and "by worker: 0: 3, 1: 3" in done.stderr
    command = done.stdout.strip().splitlines()[-1]
    assert command.startswith("workbench train --table") and "-p tuning.n_trials=6" in command
    assert "-p tuning.study_name=book" in command and f"-p tuning.storage={storage}" in command

    # What the training notebook does with the printed overrides: no further trial, the same model twice.
    cfg = load_params(TrainPDParams, PARAMS, {"table_path": str(table), "target": "default", "time_column": "date",
                                              "xgb.n_estimators": 40, "n_jobs": 1, "tuning.study_name": "book",
                                              "tuning.storage": storage, "tuning.n_trials": 6})
    panel = flat_table_panel(cfg.table_path, target=cfg.target, time_column=cfg.time_column, seed=cfg.seed)
    first, second = (fit_on_panel(panel, cfg.pd_model, cfg.target) for _ in range(2))
    best = optuna.load_study(study_name="book", storage=storage).best_trial
    for result in (first, second):
        assert result.model.tuning_.asked == 0 and result.model.tuning_.n_trials == 6
        assert result.model.tuning_.best_trial == best.number and result.model.booster_params_ == best.params
    pd.testing.assert_frame_equal(first.predictions, second.predictions)


def test_workers_started_by_hand_share_a_postgresql_study(table):
    with postgres_server("optuna") as pg:
        workers = [subprocess.Popen(_tune_argv(table, pg.url, "pg-book", 5, 2, "--worker-index", str(k)),
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for k in (0, 1)]
        outcomes = [w.communicate(timeout=300) for w in workers]
        assert [w.returncode for w in workers] == [0, 0], [err for _, err in outcomes]
        _assert_filled_once(pg.url, "pg-book", [3, 2])
        assert "worker 1 of 2: 2 trials" in outcomes[1][1]
