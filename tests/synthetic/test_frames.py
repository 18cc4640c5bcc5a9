"""Column helpers: vectorised date arithmetic agrees with pandas."""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.synthetic.frames import add_years


def test_vectorised_year_offsets_match_pandas():
    dates = pd.to_datetime(["2016-02-29", "2015-01-31", "2020-12-31", "2019-03-15"]).values
    years = np.array([1, -3, 4, 2])
    expected = [pd.Timestamp(d) + pd.DateOffset(years=int(k)) for d, k in zip(dates, years)]
    assert list(pd.to_datetime(add_years(dates, years))) == expected
