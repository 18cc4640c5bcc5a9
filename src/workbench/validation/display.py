"""How the review report shows its figures: formatted tables and one-line notes.

The review notebook's HTML is read by validators and the credit committee, so nothing it
displays is a raw repr: figures go through ``workbench.format`` (integers as integers, rates and
probabilities as percentages, 4 significant digits elsewhere), tables are pre-formatted frames of
strings, and where a figure would be empty (no champion yet) a ``Note`` says so in one line.
Pure functions; nothing is shown from here, the notebook displays what they return.
"""

from __future__ import annotations

import html
import numbers
import re
from collections.abc import Callable, Mapping
from typing import Any

import pandas

from .. import format as fmt

__all__ = [
    "Note", "figure_text", "percent_text", "format_rows_by_name", "format_columns", "format_values",
    "PROBABILITY_FIGURES",
]

#: Figures that are probabilities (PDs, p-values), shown as percentages like the rates.
PROBABILITY_FIGURES: tuple[str, ...] = ("pd", "mean_pd", "hosmer_lemeshow_p", "binomial_p", "jeffreys_p")
#: Flags logged as 0/1 (``reproducibility/passed``): shown as integers.
_CODE = re.compile(r"`([^`]+)`")
_BOLD = re.compile(r"\*\*([^*]+)\*\*")


class Note:
    """A short text for the report in place of a table or figure (``"No champion yet: ..."``).

    Shown as a paragraph in the HTML (```code``` and ``**bold**`` rendered), as plain text elsewhere.
    """

    def __init__(self, text: str) -> None:
        self.text = str(text)

    def __repr__(self) -> str:
        return self.text

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Note) and other.text == self.text

    __hash__ = None  # type: ignore[assignment]

    def _repr_markdown_(self) -> str:
        return self.text

    def _repr_html_(self) -> str:
        return f"<p>{inline_html(self.text)}</p>"


def inline_html(text: str) -> str:
    """Escape ``text`` for HTML and render its ```code``` and ``**bold**`` spans."""
    escaped = html.escape(str(text), quote=False)
    return _BOLD.sub(r"<strong>\1</strong>", _CODE.sub(r"<code>\1</code>", escaped))


def percent_text(value: Any) -> str:
    """``fmt.percent`` that does not round a small positive share to ``0.00 %``."""
    x = fmt.finite(value)
    if x is not None and 0 < abs(x) < 0.00005:
        return "< 0.01 %" if x > 0 else "> -0.01 %"
    return fmt.percent(value)


def figure_text(name: str, value: Any) -> str:
    """A figure named like a metric (``oot/auc``, ``rows``, ``mean_pd``, ``jeffreys_p``) as a reader
    should see it: ``fmt.metric`` (counts as integers, rates as percentages, 4 significant digits),
    with probabilities (PDs, p-values) as percentages, 0/1 flags and integer values as integers.
    Text stays as it is."""
    if isinstance(value, str):
        return value
    figure = str(name).rsplit("/", 1)[-1]
    if fmt.finite(value) is None:
        return "n/a"
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return fmt.integer(value)
    if figure in PROBABILITY_FIGURES:
        return percent_text(value)
    if fmt.is_rate_metric(str(name)) and not fmt.is_count_metric(str(name)):
        return percent_text(value)
    return fmt.metric(str(name), value)


def format_rows_by_name(frame: pandas.DataFrame, columns: list[str] | None = None) -> pandas.DataFrame:
    """A copy of ``frame`` (one row per figure, the index its name) with the chosen columns
    (default: all) formatted by the row's name, as strings."""
    out = frame.copy().astype(object)
    chosen = list(frame.columns) if columns is None else columns
    for name in frame.index:
        for column in chosen:
            out.at[name, column] = figure_text(str(name), frame.at[name, column])
    return out


def format_columns(frame: pandas.DataFrame, formats: Mapping[str, Callable[[Any], str]] | None = None) -> pandas.DataFrame:
    """A copy of ``frame`` with each column formatted by its name (``figure_text``) or by the
    formatter ``formats`` gives for it; text columns are left as they are."""
    formats = dict(formats or {})
    out = frame.copy().astype(object)
    for column in frame.columns:
        formatter = formats.get(column)
        if formatter is None and frame[column].dtype == object:
            continue
        out[column] = [formatter(v) if formatter else figure_text(str(column), v) for v in frame[column]]
    return out


def format_values(values: Mapping[str, Any], label: str = "value") -> pandas.DataFrame:
    """``{"oot/auc": 0.8647, "oot/red_grades": 0.0}`` as a two-column table: metric, value as a
    reader should see it (``figure_text``), in the mapping's order."""
    frame = pandas.DataFrame({"metric": list(values), label: [figure_text(k, v) for k, v in values.items()]})
    return frame.set_index("metric")
