"""Where the workbench finds its checkout and where relative paths point."""

from __future__ import annotations

from workbench.paths import project_root, reports_dir, resolve_path, state_dir


def test_project_root_does_not_depend_on_cwd(tmp_path, monkeypatch):
    expected = project_root()
    monkeypatch.chdir(tmp_path)
    assert project_root() == expected
    assert (expected / "pyproject.toml").is_file()
    assert (expected / "notebooks").is_dir()


def test_relative_params_paths_resolve_against_state_dir(tmp_path, monkeypatch, isolated_state):
    monkeypatch.chdir(tmp_path)
    assert resolve_path("data/x") == isolated_state / "data" / "x"
    assert resolve_path(tmp_path / "abs") == tmp_path / "abs"
    assert state_dir() == isolated_state


def test_reports_of_a_kind_and_date_have_their_own_folder_in_the_state_dir(isolated_state):
    assert reports_dir("monitoring", "2024-06-30") == isolated_state / "experiments" / "reports" / "monitoring" / "2024-06-30"
