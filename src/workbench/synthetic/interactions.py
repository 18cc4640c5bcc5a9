"""``interactions``: the desk's contacts with each client; arrears and covenant breaches bring more of them."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .behaviour import Behaviour
from .codes import CHANNEL_WEIGHTS, ROUTINE_TOPICS, TOPIC_ORDER
from .frames import frame, ns, str_take
from .latent import Latent
from .streams import S_INTER, rng

__all__ = ["interactions_table"]


def interactions_table(L: Latent, B: Behaviour) -> pd.DataFrame:
    s, n, T = L.s, L.s.n_obligors, L.T
    active = L.active()
    # Arrears and covenant breaches drive the desk's contacts.
    # Contacts in a month react to the arrears and breaches seen at the previous month end.
    stress = np.zeros((n, T), dtype=bool)
    stress[:, 1:] = (active & ((B.dpd > 0) | B.breach))[:, :-1]
    channels = np.array(list(CHANNEL_WEIGHTS))
    channel_p = list(CHANNEL_WEIGHTS.values())
    # Routine topics are codes 0 .. n_routine - 1; then payment arrears, then covenant waiver.
    n_routine = len(ROUTINE_TOPICS)
    parts: dict[str, list[np.ndarray]] = {"ob": [], "date": [], "channel": [], "topic": []}
    for y in range(s.years):
        r = rng(s.seed, S_INTER, y + 1)
        months = np.arange(12 * y, min(12 * y + 12, T))
        lam = (0.25 + 0.25 * (L.sales0 > 1500))[:, None] + 0.8 * stress[:, months]
        counts = r.poisson(lam) * active[:, months]
        ii, mm = np.nonzero(counts)
        reps = counts[ii, mm]
        ii, tt_ = np.repeat(ii, reps), np.repeat(months[mm], reps)
        k = len(ii)
        st = stress[ii, tt_]
        react = st & (r.random(k) < 0.7)
        arrears = r.random(k) < 0.5
        topic = np.where(react, np.where(arrears, n_routine, n_routine + 1), r.integers(0, n_routine, k))
        day = r.integers(0, 28, k).astype("timedelta64[D]")
        parts["ob"].append(ii)
        parts["date"].append(L.first_days(tt_) + day)
        parts["channel"].append(r.choice(len(channels), k, p=channel_p))
        parts["topic"].append(topic)
    p = {k: np.concatenate(v) for k, v in parts.items()}
    order = L.order_by_obligor(p["ob"], p["date"])
    return frame({
        "obligor_id": L.ids(p["ob"][order]), "date": ns(p["date"][order]),
        "channel": str_take(channels, p["channel"][order]), "topic": str_take(TOPIC_ORDER, p["topic"][order]),
    })
