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
