"""The tags every run carries: git commit, params hash, data fingerprint, notebook, version."""

from __future__ import annotations

import hashlib
import subprocess
import uuid
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display in tests

import pytest

from workbench import __version__, tracking
from workbench.jobs import TrainPDParams
from workbench.params import params_hash
from workbench.paths import project_root


def _experiment() -> str:
    # The store is shared by the session; a fresh experiment keeps tests independent.
    return f"test-{uuid.uuid4().hex[:10]}"


def _status(run_id: str) -> str:
    return tracking.client().get_run(run_id).info.status


def test_data_fingerprint_tracks_names_and_bytes(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "sub").mkdir(parents=True)
    (data / "a.parquet").write_bytes(b"one")
    (data / "sub" / "b.parquet").write_bytes(b"two")

    first = tracking.data_fingerprint(data)
    # The documented recipe: sha256 over each relative name and its bytes, sorted, NUL-separated.
    recipe = hashlib.sha256(b"a.parquet\0one\0sub/b.parquet\0two\0").hexdigest()[:16]
    assert first == recipe
    assert tracking.data_fingerprint(data) == first

    (data / "sub" / "b.parquet").write_bytes(b"TWO")
    changed = tracking.data_fingerprint(data)
    assert changed != first

    (data / "sub" / "b.parquet").rename(data / "sub" / "c.parquet")
    assert tracking.data_fingerprint(data) != changed

    single = tracking.data_fingerprint(data / "a.parquet")
    (data / "a.parquet").write_bytes(b"uno")
    assert tracking.data_fingerprint(data / "a.parquet") != single

    assert tracking.data_fingerprint(tmp_path / "nope") == "missing"


def _fake_checkout(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    (path / "pyproject.toml").write_text('[project]\nname = "workbench"\n')
    return path


def test_git_commit_outside_a_repo_is_unknown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _fake_checkout(tmp_path / "checkout")
    monkeypatch.setenv("WORKBENCH_ROOT", str(root))
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))  # do not find a repo above tmp
    assert tracking.git_commit() == "unknown"


def test_git_commit_reports_head_and_dirty(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _fake_checkout(tmp_path / "checkout")
    monkeypatch.setenv("WORKBENCH_ROOT", str(root))

    def git(*args: str) -> str:
        cmd = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false", *args]
        return subprocess.run(cmd, cwd=root, check=True, capture_output=True, text=True).stdout.strip()

    git("init", "-q")
    git("add", "pyproject.toml")
    git("commit", "-q", "-m", "init")
    head = git("rev-parse", "HEAD")
    assert tracking.git_commit() == head
    (root / "pyproject.toml").write_text('[project]\nname = "workbench"\n# edited\n')
    assert tracking.git_commit() == f"{head}-dirty"


def test_standard_tags(tmp_path: Path) -> None:
    params = TrainPDParams(seed=7)
    data = tmp_path / "d.parquet"
    data.write_bytes(b"x")
    nb = project_root() / "notebooks" / "20_train_pd_model.ipynb"

    tags = tracking.standard_tags(nb, params, data)

    assert set(tags) == {
        "workbench.git_commit",
        "workbench.params_hash",
        "workbench.data_fingerprint",
        "workbench.notebook",
        "workbench.version",
        "workbench.user",
    }
    assert tags["workbench.params_hash"] == params_hash(params)
    assert tags["workbench.data_fingerprint"] == tracking.data_fingerprint(data)
    assert tags["workbench.notebook"] == "notebooks/20_train_pd_model.ipynb"  # relative to the checkout
    assert tags["workbench.version"] == __version__
    assert all(isinstance(v, str) and v for v in tags.values())


def test_standard_tags_record_the_os_user(monkeypatch: pytest.MonkeyPatch) -> None:
    # getpass reads $LOGNAME, then $USER: the tag follows whoever runs the process.
    monkeypatch.setenv("LOGNAME", "ana.lyst")
    monkeypatch.setenv("USER", "ana.lyst")
    assert tracking.standard_tags(None, None, None)["workbench.user"] == "ana.lyst"
    monkeypatch.setenv("LOGNAME", "bo.ss")
    assert tracking.standard_tags(None, None, None)["workbench.user"] == "bo.ss"


def test_an_os_user_that_cannot_be_found_is_unknown(monkeypatch: pytest.MonkeyPatch) -> None:
    import getpass

    def nobody() -> str:
        raise OSError("No username set in the environment")

    monkeypatch.setattr(getpass, "getuser", nobody)
    assert tracking.standard_tags(None, None, None)["workbench.user"] == "unknown"
