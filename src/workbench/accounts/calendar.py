"""The review and service calendar of the key accounts, and the interaction log's rules and summary.

Pure, no database (``workbench.accounts.store`` keeps the interaction log; ``workbench accounts log`` adds to
it after ``check_interaction``):

* ``service_calendar(tiers, interactions, facilities, covenant_tests, as_of=...)`` -- per tiered obligor the
  next review due (its tier's frequency from its last ``annual_review`` interaction, as ``reviews_due``
  counts it) and whether it is overdue, the facilities maturing and the covenant tests falling within the
  horizon (90 days), and the contact summary; ``ServiceCalendar.events()`` lists what is due, by date;
* ``interaction_summary(interactions, as_of)`` -- last contact, contacts by channel and by topic over the
  last 12 months, days since the last meeting (a ``meeting`` or ``site_visit``);
* ``interactions_as_of(interactions, as_of)`` -- the log as it stood at the end of ``as_of``: contacts dated
  on or before it *and* recorded by then (a report for an earlier as-of ignores later entries, so a rerun
  of it gives the same figures even after someone logged a contact with a back date).

"Within the horizon" is ``as_of <= date <= as_of + horizon_days``: a maturity or test on the as-of itself
has not happened yet at the month end the calendar is made for.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pydantic import Field

from ..params import StrictModel
from ..reference.codes import CHANNELS, INTERACTION_TOPICS
from .reviews import REVIEW_TOPIC, reviews_due

__all__ = [
    "INTERACTION_COLUMNS",
    "INTERACTION_SOURCES",
    "MEETING_CHANNELS",
    "COVENANT_TEST_COLUMNS",
    "CalendarParams",
    "ServiceCalendar",
    "check_interaction",
    "normalise_interactions",
    "interactions_as_of",
    "interaction_summary",
    "service_calendar",
    "interaction_summary_table",
]

#: The interaction log (the ``interactions`` table of the accounts database), in this order. ``seq`` tells
#: apart identical contacts of the data (same obligor, day, channel, topic); missing for manual entries.
INTERACTION_COLUMNS: tuple[str, ...] = ("id", "obligor_id", "date", "channel", "topic", "note", "recorded_at",
                                        "recorded_by", "source", "seq")
#: Where a logged interaction comes from: the data's ``interactions`` table, or ``workbench accounts log``.
INTERACTION_SOURCES: tuple[str, ...] = ("data", "manual")
#: Channels that count as meeting the client in person.
MEETING_CHANNELS: tuple[str, ...] = ("meeting", "site_visit")
#: What a covenant-tests frame must hold (``workbench.accounts.covenants.covenant_tests`` gives more).
COVENANT_TEST_COLUMNS: tuple[str, ...] = ("obligor_id", "covenant_id", "type", "next_test_date")


class CalendarParams(StrictModel):
    """What the service calendar looks ahead to and back on."""

    horizon_days: int = Field(
        90, ge=1, le=730,
        description="Days ahead in which maturities, covenant tests and reviews count as upcoming: a quarter, "
        "the rhythm of the tier A reviews and of the watchlist committee, long enough to prepare a "
        "refinancing or a waiver.")
    contact_months: int = Field(
        12, ge=1, le=60,
        description="Months back over which contacts are counted by channel and topic: one year, the cycle "
        "of the annual review.")
    meeting_channels: tuple[str, ...] = Field(
        MEETING_CHANNELS,
        description="Channels that count as meeting the client (for 'days since the last meeting'): in "
        "person, at the bank or at the client's site.")


# --------------------------------------------------------------------------- the log's rules and frames


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value)) or (
        isinstance(value, str) and not value.strip())


def check_interaction(channel: str, topic: str, note: str | None, date: Any, recorded_at: dt.datetime) -> dt.date:
    """Refuse (ValueError naming the known codes) an interaction with an unknown channel or topic, without a
    note, or dated after the day it is recorded. Returns the contact date (default: the recording day)."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel '{channel}': choose one of {', '.join(CHANNELS)}")
    if topic not in INTERACTION_TOPICS:
        raise ValueError(f"unknown topic '{topic}': choose one of {', '.join(INTERACTION_TOPICS)}")
    if _blank(note):
        raise ValueError("say what was discussed (--note TEXT): a logged contact carries its note")
    day = recorded_at.date() if _blank(date) else pd.Timestamp(date).date()
    if day > recorded_at.date():
        raise ValueError(f"the contact date {day} is after the day it is recorded ({recorded_at.date()}): log "
                         "a contact once it has happened")
    return day


def normalise_interactions(frame: pd.DataFrame | None) -> pd.DataFrame:
    """An interaction-log frame with exactly ``INTERACTION_COLUMNS`` (those missing are added empty: the
    data's table has only obligor_id, date, channel, topic), dates ``datetime64[ns]``, sorted by obligor and
    date."""
    if frame is None:
        frame = pd.DataFrame(columns=["obligor_id", "date", "channel", "topic"])
    missing = [c for c in ("obligor_id", "date", "channel", "topic") if c not in frame.columns]
    if missing:
        raise KeyError(f"interactions frame lacks columns {missing} (has {list(frame.columns)})")
    src = frame.reset_index(drop=True)
    out = pd.DataFrame(index=pd.RangeIndex(len(src)))
    for col in INTERACTION_COLUMNS:
        values = src[col] if col in src.columns else pd.Series(None, index=src.index, dtype=object)
        if col in ("date", "recorded_at"):
            out[col] = pd.to_datetime(values).astype("datetime64[ns]")
        elif col in ("id", "seq"):
            out[col] = pd.to_numeric(values).astype("Int64")
        else:
            s = values.astype(object).where(values.notna(), None)
            out[col] = pd.Series(s.tolist(), index=out.index, dtype="str")
    return out.sort_values(["obligor_id", "date", "id"], kind="stable").reset_index(drop=True)


def interactions_as_of(interactions: pd.DataFrame | None, as_of: Any) -> pd.DataFrame:
    """The contacts dated on or before ``as_of`` and, where the frame says when they were recorded, recorded
    by the end of that day."""
    f = normalise_interactions(interactions)
    day = pd.Timestamp(as_of).normalize()
    keep = f["date"] <= day
    keep &= f["recorded_at"].isna() | (f["recorded_at"] < day + pd.Timedelta(days=1))
    return f[keep].reset_index(drop=True)


def _unknown_codes(f: pd.DataFrame) -> None:
    for column, known in (("channel", CHANNELS), ("topic", INTERACTION_TOPICS)):
        bad = f.loc[~f[column].isin(known), ["obligor_id", "date", column]]
        if len(bad):
            raise ValueError(f"interactions: unknown {column} {sorted(set(bad[column].astype(str)))[:5]} in rows "
                             f"{bad.head(3).to_dict('records')}; known: {', '.join(known)}")


def interaction_summary(interactions: pd.DataFrame | None, as_of: Any, obligor_ids: Any = None,
                        params: CalendarParams | None = None) -> pd.DataFrame:
    """Per obligor (``obligor_ids``, else every obligor with a contact): last_contact,
    days_since_contact, contacts (over the last ``contact_months`` months up to ``as_of``), one
    ``channel_<code>`` and one ``topic_<code>`` count per reference code over the same months, last_meeting
    and days_since_meeting (a meeting channel, at any time before; missing if never)."""
    params = params or CalendarParams()
    day = pd.Timestamp(as_of).normalize()
    f = interactions_as_of(interactions, day)
    _unknown_codes(f)
    ids = pd.Index(pd.unique(f["obligor_id"]) if obligor_ids is None else pd.unique(pd.Series(obligor_ids)),
                   name="obligor_id")
    f = f[f["obligor_id"].isin(ids)]
    recent = f[f["date"] > day - pd.DateOffset(months=params.contact_months)]
    last = f.groupby("obligor_id")["date"].max()
    meetings = f[f["channel"].isin(params.meeting_channels)].groupby("obligor_id")["date"].max()
    out = pd.DataFrame(index=ids)
    out["last_contact"] = last.reindex(ids).astype("datetime64[ns]")
    out["days_since_contact"] = (day - out["last_contact"]).dt.days.astype("Int64")
    out["contacts"] = recent.groupby("obligor_id").size().reindex(ids, fill_value=0).astype("int64")
    for column, codes in (("channel", CHANNELS), ("topic", INTERACTION_TOPICS)):
        counts = pd.crosstab(recent["obligor_id"], recent[column]) if len(recent) else pd.DataFrame()
        counts = counts.reindex(index=ids, columns=list(codes), fill_value=0).fillna(0).astype("int64")
        for code in codes:
            out[f"{column}_{code}"] = counts[code].to_numpy()
    out["last_meeting"] = meetings.reindex(ids).astype("datetime64[ns]")
    out["days_since_meeting"] = (day - out["last_meeting"]).dt.days.astype("Int64")
    return out.reset_index()


# --------------------------------------------------------------------------- the calendar


@dataclass(frozen=True)
class ServiceCalendar:
    """What is due for each tiered client at ``as_of``: reviews, maturities, covenant tests, and contacts.

    ``reviews``: one row per tiered obligor (``reviews_due``'s columns plus days_to_review and
    review_within_horizon); ``maturities``: facility_id, maturity_date, limit (and product where the
    facilities have it) of the facilities maturing within the horizon; ``covenant_tests``: the tests within
    the horizon (every column of the given frame kept); ``contacts``: ``interaction_summary``;
    ``per_obligor``: one row per tiered obligor with the next of each and the counts.
    """

    as_of: pd.Timestamp
    horizon_days: int
    reviews: pd.DataFrame
    maturities: pd.DataFrame
    covenant_tests: pd.DataFrame
    contacts: pd.DataFrame
    per_obligor: pd.DataFrame

    def events(self, obligor_id: str | None = None) -> pd.DataFrame:
        """What is due, one row per event, by date: date, obligor_id, event ("review", "review overdue",
        "maturity", "covenant test"), detail, days (from the as-of; negative for an overdue review)."""
        r = self.reviews[self.reviews["overdue"] | self.reviews["review_within_horizon"]]
        parts = [pd.DataFrame({
            "date": r["next_due"], "obligor_id": r["obligor_id"],
            "event": np.where(r["overdue"], "review overdue", "review"),
            "detail": ("tier " + r["tier"].astype(str) + ", every " + r["review_frequency_months"].astype(str)
                       + " months"),
        })]
        m = self.maturities
        parts.append(pd.DataFrame({"date": m["maturity_date"], "obligor_id": m["obligor_id"], "event": "maturity",
                                   "detail": m["facility_id"].astype(str) + ", limit EUR "
                                   + m["limit"].map(lambda v: f"{v:,.1f}") + "m"}))
        c = self.covenant_tests
        parts.append(pd.DataFrame({"date": c["next_test_date"], "obligor_id": c["obligor_id"],
                                   "event": "covenant test",
                                   "detail": c["covenant_id"].astype(str) + " (" + c["type"].astype(str) + ")"}))
        out = pd.concat([p for p in parts if len(p)], ignore_index=True) if any(len(p) for p in parts) else \
            pd.DataFrame({"date": pd.Series(dtype="datetime64[ns]"), "obligor_id": pd.Series(dtype="str"),
                          "event": pd.Series(dtype="str"), "detail": pd.Series(dtype="str")})
        out["date"] = pd.to_datetime(out["date"]).astype("datetime64[ns]")
        if obligor_id is not None:
            out = out[out["obligor_id"] == obligor_id]
        out["days"] = (out["date"] - self.as_of).dt.days.astype("int64")
        return out.sort_values(["date", "obligor_id", "event"], kind="stable").reset_index(drop=True)

    def events_table(self, obligor_id: str | None = None) -> pd.DataFrame:
        """``events`` as a reviewer reads them."""
        from .. import format as fmt

        return fmt.display_frame(self.events(obligor_id), {
            "date": ("Date", fmt.date), "obligor_id": ("Obligor", fmt.text), "event": ("Event", fmt.text),
            "detail": ("Detail", fmt.text), "days": ("Days from as-of", fmt.integer)})

    def table(self) -> pd.DataFrame:
        """One row per tiered client: next review and whether overdue, maturities and covenant tests within the
        horizon with the next date, last contact and last meeting."""
        from .. import format as fmt

        return fmt.display_frame(self.per_obligor, {
            "obligor_id": ("Obligor", fmt.text), "tier": ("Tier", fmt.text), "last_review": ("Last review", fmt.date),
            "next_due": ("Next review", fmt.date), "overdue": ("Overdue", fmt.yes_no),
            "months_overdue": ("Months overdue", fmt.integer),
            "maturities": (f"Maturities ({self.horizon_days} d)", fmt.integer),
            "next_maturity": ("Next maturity", fmt.date),
            "covenant_tests": (f"Covenant tests ({self.horizon_days} d)", fmt.integer),
            "next_covenant_test": ("Next test", fmt.date), "last_contact": ("Last contact", fmt.date),
            "contacts": ("Contacts (12 m)", fmt.integer), "days_since_meeting": ("Days since meeting", fmt.integer),
        })

    def contacts_table(self, obligor_id: str | None = None) -> pd.DataFrame:
        return interaction_summary_table(self.contacts if obligor_id is None
                                         else self.contacts[self.contacts["obligor_id"] == obligor_id])


def _window(dates: pd.Series, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
    return (dates >= start) & (dates <= end)


def service_calendar(tiers: pd.DataFrame, interactions: pd.DataFrame | None, facilities: pd.DataFrame,
                     covenant_tests: pd.DataFrame | None = None, *, as_of: Any, obligors: pd.DataFrame | None = None,
                     data_start: Any = None, horizon_days: int | None = None,
                     params: CalendarParams | None = None) -> ServiceCalendar:
    """The service calendar of the tiered obligors at ``as_of``.

    ``tiers``: obligor_id, tier, review_frequency_months (``month_tiers``' output); ``interactions``: the
    log (``AccountsStore.read_interactions`` or the data's table; filtered to what was known at ``as_of``);
    ``facilities``: facility_id, obligor_id, limit, maturity_date (origination_date, product where present);
    ``covenant_tests``: obligor_id, covenant_id, type, next_test_date (None: no covenants). A client never
    reviewed in the data counts from the later of its ``relationship_start`` (``obligors``) and ``data_start``
    (see ``reviews_due``); without either it is due at the as-of (unknown, so asked for now, not overdue).
    ``horizon_days`` overrides ``params.horizon_days``."""
    params = params or CalendarParams()
    horizon = int(horizon_days if horizon_days is not None else params.horizon_days)
    day = pd.Timestamp(as_of).normalize()
    end = day + pd.Timedelta(days=horizon)
    log = interactions_as_of(interactions, day)
    ids = tiers["obligor_id"]

    if obligors is None or "relationship_start" not in obligors.columns:
        # No start known: from the data's start if given, else unknown (handled below).
        start = pd.Timestamp(data_start) if data_start is not None else pd.NaT
        starts = pd.DataFrame({"obligor_id": ids.to_numpy(),
                               "relationship_start": pd.Series(start, index=range(len(ids))).astype("datetime64[ns]")})
    else:
        starts = obligors[["obligor_id", "relationship_start"]]
    reviews = reviews_due(tiers, log[log["topic"] == REVIEW_TOPIC], starts, day, data_start=data_start)
    unknown = reviews["next_due"].isna()
    if unknown.any():
        reviews.loc[unknown, "next_due"] = day + pd.offsets.MonthEnd(0)
        reviews.loc[unknown, "months_overdue"] = 0
        reviews.loc[unknown, "overdue"] = False
    reviews["months_overdue"] = reviews["months_overdue"].astype("int64")
    reviews["overdue"] = reviews["overdue"].astype(bool)
    reviews["days_to_review"] = (reviews["next_due"] - day).dt.days.astype("int64")
    reviews["review_within_horizon"] = ~reviews["overdue"] & (reviews["next_due"] <= end)
    reviews = reviews.reset_index(drop=True)

    for column in ("facility_id", "obligor_id", "limit", "maturity_date"):
        if column not in facilities.columns:
            raise KeyError(f"facilities lack column {column!r}")
    fac = facilities[facilities["obligor_id"].isin(ids)]
    mature = _window(pd.to_datetime(fac["maturity_date"]), day, end)
    if "origination_date" in fac.columns:
        mature &= pd.to_datetime(fac["origination_date"]) <= day  # not yet booked at the as-of: not known then
    keep = [c for c in ("obligor_id", "facility_id", "product", "maturity_date", "limit", "drawn") if c in fac.columns]
    maturities = fac.loc[mature, keep].copy()
    maturities["maturity_date"] = pd.to_datetime(maturities["maturity_date"]).astype("datetime64[ns]")
    maturities["days_to_maturity"] = (maturities["maturity_date"] - day).dt.days.astype("int64")
    maturities = maturities.sort_values(["maturity_date", "obligor_id", "facility_id"]).reset_index(drop=True)

    if covenant_tests is None:
        covenant_tests = pd.DataFrame({c: pd.Series(dtype="datetime64[ns]" if c == "next_test_date" else "str")
                                       for c in COVENANT_TEST_COLUMNS})
    missing = [c for c in COVENANT_TEST_COLUMNS if c not in covenant_tests.columns]
    if missing:
        raise KeyError(f"covenant tests lack columns {missing} (has {list(covenant_tests.columns)})")
    cov = covenant_tests[covenant_tests["obligor_id"].isin(ids)].copy()
    cov["next_test_date"] = pd.to_datetime(cov["next_test_date"]).astype("datetime64[ns]")
    tests = cov[_window(cov["next_test_date"], day, end)].copy()
    tests["days_to_test"] = (tests["next_test_date"] - day).dt.days.astype("int64")
    tests = tests.sort_values(["next_test_date", "obligor_id", "covenant_id"]).reset_index(drop=True)

    contacts = interaction_summary(log, day, ids, params)

    per = reviews[["obligor_id", "tier", "last_review", "next_due", "overdue", "months_overdue"]].set_index(
        "obligor_id")
    g = maturities.groupby("obligor_id")
    per["maturities"] = g.size().reindex(per.index, fill_value=0).astype("int64")
    per["next_maturity"] = g["maturity_date"].min().reindex(per.index)
    per["limit_maturing"] = g["limit"].sum().reindex(per.index, fill_value=0.0)
    g = tests.groupby("obligor_id")
    per["covenant_tests"] = g.size().reindex(per.index, fill_value=0).astype("int64")
    per["next_covenant_test"] = g["next_test_date"].min().reindex(per.index)
    c = contacts.set_index("obligor_id")
    for column in ("last_contact", "days_since_contact", "contacts", "last_meeting", "days_since_meeting"):
        per[column] = c[column].reindex(per.index)
    per["next_maturity"] = pd.to_datetime(per["next_maturity"]).astype("datetime64[ns]")
    per["next_covenant_test"] = pd.to_datetime(per["next_covenant_test"]).astype("datetime64[ns]")
    return ServiceCalendar(day, horizon, reviews, maturities, tests, contacts, per.reset_index())


def interaction_summary_table(summary: pd.DataFrame) -> pd.DataFrame:
    """``interaction_summary`` as a reviewer reads it: the contact dates and counts, then the channels and
    topics with at least one contact in the window."""
    from .. import format as fmt

    columns: dict[str, tuple[str, Any]] = {
        "obligor_id": ("Obligor", fmt.text), "last_contact": ("Last contact", fmt.date),
        "days_since_contact": ("Days since contact", fmt.integer), "contacts": ("Contacts (12 m)", fmt.integer),
        "last_meeting": ("Last meeting", fmt.date), "days_since_meeting": ("Days since meeting", fmt.integer),
    }
    for prefix, codes in (("channel", CHANNELS), ("topic", INTERACTION_TOPICS)):
        for code in codes:
            column = f"{prefix}_{code}"
            if column in summary.columns and summary[column].sum() > 0:
                columns[column] = (code.replace("_", " "), fmt.integer)
    return fmt.display_frame(summary, columns)
