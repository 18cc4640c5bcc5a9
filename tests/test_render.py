"""Rendering one notebook for many parameter sets on one kernel (the dossier batches)."""

from __future__ import annotations

import nbformat
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from workbench.batch import write_index
from workbench.jobs.dossier import select_clients
from workbench.render import RenderJob, render_batch


@pytest.fixture()
def notebook(tmp_path):
    nb = new_notebook(cells=[
        new_code_cell("x = 0", metadata={"tags": ["parameters"]}),
        new_code_cell("runs = globals().get('runs', 0) + 1\nprint(f'run {runs} x={x}')"),
        new_code_cell("assert x != 13, 'thirteen'"),
    ], metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    path = tmp_path / "tiny.ipynb"
    nbformat.write(nb, path)
    return path


def test_reports_share_one_kernel_and_a_failing_one_does_not_stop_the_batch(notebook, tmp_path):
    jobs = [RenderJob(str(x), {"x": x}, tmp_path / "out" / f"{x}.html") for x in (1, 13, 2)]
    results = render_batch(notebook, jobs, hide_input=False)
    assert [r.ok for r in results] == [True, False, True]
    assert "thirteen" in results[1].error and results[1].html is None
    # The third report ran in the kernel of the first two: what they left there is still there.
    assert "run 3 x=2" in (tmp_path / "out" / "2.html").read_text(encoding="utf-8")
    assert (tmp_path / "out" / "1.html").stat().st_mode & 0o777 == 0o600


def test_the_index_lists_every_report_of_the_folder_with_names_and_details(tmp_path):
    for key in ("OB2", "OB1"):
        (tmp_path / f"{key}.html").write_text("<html></html>")
    path = write_index(tmp_path, "dossier", "2024-12-31", {"OB1": "Acme <AG>"}, {"OB1": {"tier": "A"}})
    page = path.read_text(encoding="utf-8")
    assert page.index('href="OB1.html"') < page.index('href="OB2.html"')
    assert "Acme &lt;AG&gt;" in page and "<td>A</td>" in page and page.count("<tr>") == 3
    assert path.stat().st_mode & 0o777 == 0o600


def test_a_batch_takes_the_named_clients_or_the_tiers_largest():
    tiers = pd.DataFrame({"obligor_id": ["a", "b", "c", "d"], "tier": ["A", "A", "B", "A"]})
    exposures = pd.DataFrame({"obligor_id": ["a", "b", "c"], "ead": [5.0, 9.0, 100.0]})
    assert select_clients(tiers, exposures, tier="A", top=2) == ["b", "a"]
    assert select_clients(tiers, exposures, tier="A") == ["b", "a", "d"]  # no exposure last
    assert select_clients(tiers, exposures, obligors=["c", "a", "c"]) == ["c", "a"]
    with pytest.raises(ValueError, match="zz"):
        select_clients(tiers, exposures, obligors=["zz"])
    with pytest.raises(ValueError, match="tier 'C'"):
        select_clients(tiers, exposures, tier="C")
