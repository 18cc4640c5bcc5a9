"""The notebook tests' plug-in job: registered before collection, so every per-job test covers it."""

from __future__ import annotations

import os
import sys
from pathlib import Path

FIXTURE_JOBS = Path(__file__).resolve().parents[1] / "fixtures" / "jobs"

# The dummy job's params model lives outside the workbench; its notebook's kernel imports it too
# (kernels inherit this process's environment).
sys.path.insert(0, str(FIXTURE_JOBS))
os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(FIXTURE_JOBS), os.environ.get("PYTHONPATH")) if p)

import dummy_job  # noqa: E402

dummy_job.register()
