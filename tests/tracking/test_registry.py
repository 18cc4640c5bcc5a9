"""The model registry as the workbench reads it."""

from __future__ import annotations

import uuid

from workbench import tracking


def test_a_resolved_version_carries_its_aliases():
    """``search_model_versions`` returns versions without aliases; the resolved version must have them."""
    name = f"test-model-{uuid.uuid4().hex[:8]}"
    c = tracking.client()
    c.create_registered_model(name)
    with tracking.tracked_run(f"test-{uuid.uuid4().hex[:8]}", "train") as run:
        pass
    for _ in range(2):
        c.create_model_version(name, source=f"{run.artifact_uri}/pd_model", run_id=run.run_id)
    c.set_registered_model_alias(name, "challenger", "2")
    c.set_registered_model_alias(name, "champion", "1")
    assert tracking.resolve_model_version(name)["aliases"] == ["challenger"]
    assert tracking.resolve_model_version(name, "champion") == {
        "name": name, "version": "1", "run_id": run.run_id, "aliases": ["champion"],
        "source": f"{run.artifact_uri}/pd_model"}


def test_a_logged_pd_model_serves_the_same_pds_and_logs_without_warnings():
    import logging

    import numpy as np
    import pandas as pd

    from workbench.models import PDModelParams, fit_pd_model
    from workbench.params import load_params

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"leverage": rng.uniform(0, 1, 800), "noise": rng.normal(size=800)})
    y = (rng.random(800) < 1 / (1 + np.exp(-(-3 + 3 * X["leverage"])))).astype(int)
    model = fit_pd_model(X, y, load_params(PDModelParams, None, {"tuning.enabled": False, "n_bags": 1,
                                                                 "xgb.n_estimators": 30}))
    name = f"test-model-{uuid.uuid4().hex[:8]}"
    seen: list[logging.LogRecord] = []
    handler = logging.Handler(level=logging.WARNING)
    handler.emit = seen.append
    logging.getLogger("mlflow").addHandler(handler)
    try:
        with tracking.tracked_run(f"test-{uuid.uuid4().hex[:8]}", "train") as run:
            registered = tracking.log_pd_model(run, model, X, registered_model=name)
    finally:
        logging.getLogger("mlflow").removeHandler(handler)
    # The wrapper is logged as code and the model as a plain pickle artifact: no CloudPickle warning.
    assert not [r for r in seen if "pickle" in r.getMessage().lower()]
    served = tracking.load_registered_model(name, registered["version"]).predict(X.head(20))
    assert list(served.columns) == ["pd", "grade"]
    assert np.array_equal(served["pd"].to_numpy(), model.predict_pd(X.head(20)))
    reloaded = tracking.load_pd_model_version(name, registered["version"])
    assert np.array_equal(reloaded.predict_pd(X), model.predict_pd(X))
