"""What consumer notebooks read first: the PD model's training run, explicit or the signed-off champion."""

from __future__ import annotations

import pytest
from test_signoff import (  # noqa: F401  (approver_os_user: the autouse fixture fixing the approver's OS user)
    approver_os_user,
    champion_version,
    new_version,
    training_run_of,
    unique_model_name,
)

from workbench import tracking
from workbench.jobs.inputs import consumer_training_run
from workbench.signoff import SignoffNotVerified

UPSTREAM = "workbench.upstream.20_train_pd_model"


@pytest.fixture
def run():
    handle = tracking.start_run("inputs-tests", "consumer")
    yield handle
    tracking.end_run(handle.run_id)


def test_an_explicit_training_run_wins_and_is_recorded_as_lineage(run):
    name = unique_model_name()
    champion_version(name)
    other = new_version(name)
    explicit = training_run_of(name, other)
    assert consumer_training_run(run, explicit, model_name=name) == explicit
    tags = run.tags
    assert tags[UPSTREAM] == explicit
    assert "workbench.model_version" not in tags and "workbench.warning" not in tags
    with pytest.raises(LookupError, match="no MLflow run"):
        consumer_training_run(run, "0" * 32, model_name=name)


def test_without_one_the_champions_training_run_is_used_and_tagged(run, capsys):
    name = unique_model_name()
    first = champion_version(name)
    new_version(name)
    assert consumer_training_run(run, "", model_name=name) == training_run_of(name, first)
    tags = run.tags
    assert tags[UPSTREAM] == training_run_of(name, first)
    assert tags["workbench.model_version"] == f"{name}/{first}" and tags["workbench.model_approved"] == "true"
    assert "workbench.warning" not in tags
    assert "UNAPPROVED" not in capsys.readouterr().out


def test_an_unapproved_model_is_used_with_a_printed_and_tagged_warning(run, capsys):
    name = unique_model_name()
    version = new_version(name)
    assert consumer_training_run(run, "", model_name=name) == training_run_of(name, version)
    tags = run.tags
    assert tags["workbench.model_version"] == f"{name}/{version}" and tags["workbench.model_approved"] == "false"
    assert tags["workbench.warning"].startswith(f"UNAPPROVED model version {version} of {name}")
    assert f"UNAPPROVED model version {version}" in capsys.readouterr().out


def test_a_champion_that_does_not_verify_is_refused(run):
    name = unique_model_name()
    first = champion_version(name)
    second = new_version(name)
    tracking.client().set_registered_model_alias(name, "champion", second)
    with pytest.raises(SignoffNotVerified) as exc:
        consumer_training_run(run, "", model_name=name)
    assert f"champion version {second}" in str(exc.value) and f"makes version {first} champion" in str(exc.value)
    assert UPSTREAM not in run.tags


def _store_tiers(url: str, as_of: str, tiers: dict[str, str]) -> None:
    import pandas as pd

    from workbench.accounts import AccountsStore
    from workbench.accounts.watchlist import WATCHLIST_COLUMNS

    frame = pd.DataFrame({"obligor_id": list(tiers), "tier": list(tiers.values()), "rule": "r", "value_score": 0.5})
    alerts = pd.DataFrame({"obligor_id": list(tiers), "level": "green"})
    AccountsStore.open(url).write_as_of(as_of, frame, alerts, pd.DataFrame(columns=list(WATCHLIST_COLUMNS)))


def test_pricing_takes_the_tiers_of_the_latest_stored_month_on_or_before_its_date(tmp_path):
    from workbench.jobs.inputs import assigned_tiers

    url = f"sqlite:///{tmp_path / 'accounts.db'}"
    assert assigned_tiers("2024-12-31", url) is None  # no database yet: the size band for everyone
    _store_tiers(url, "2024-06-30", {"OB1": "A", "OB2": "C"})
    _store_tiers(url, "2024-11-30", {"OB1": "B"})
    assert assigned_tiers("2024-05-31", url) is None  # nothing that early
    assert assigned_tiers("2024-07-31", url).set_index("obligor_id")["tier"].to_dict() == {"OB1": "A", "OB2": "C"}
    assert assigned_tiers("2024-12-31", url).set_index("obligor_id")["tier"].to_dict() == {"OB1": "B"}


def test_pricing_grades_take_an_approved_override_and_keep_the_models(tmp_path):
    import datetime as dt

    import pandas as pd

    from workbench.accounts import AccountsStore
    from workbench.jobs.inputs import with_approved_overrides

    url = f"sqlite:///{tmp_path / 'accounts.db'}"
    grades = pd.DataFrame({"obligor_id": ["OB1", "OB2"], "grade": ["4", "6"], "pd": [0.004, 0.02]})
    assert with_approved_overrides(grades, "2024-12-31", url) is grades  # no database: the model's grades
    _store_tiers(url, "2024-11-30", {"OB1": "A", "OB2": "B"})  # the store knows the obligors
    store = AccountsStore.open(url)
    # Recorded in December 2024: an override recorded later would not count for an as-of in 2024.
    proposal = store.propose_override("OB1", 6, "covenant reset pending", "R. Manager", as_of="2024-11-30",
                                      model_grade=4, proposed_at=dt.datetime(2024, 12, 5))
    store.approve_override(proposal.id, "C. Credit", decided_at=dt.datetime(2024, 12, 6))
    applied = with_approved_overrides(grades, "2024-12-31", url).set_index("obligor_id")
    assert applied.loc["OB1", "grade"] == 6 and applied.loc["OB1", "model_grade"] == 4
    assert applied.loc["OB1", "override"] == "down" and applied.loc["OB2", "grade"] == 6
