"""The standard client questionnaire: its questions, what a high answer means, and its themes.

Answers run 1..5. ``sign`` says how a high answer relates to credit quality (+1: better,
-1: worse); features orient every answer so that 5 is the favourable end before averaging
per theme. Needs analysis reads the same catalogue.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Question", "QUESTIONS", "QUESTION_THEMES", "ANSWER_RANGE"]

ANSWER_RANGE: tuple[int, int] = (1, 5)


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    sign: int
    theme: str


_CATALOGUE: tuple[Question, ...] = (
    Question("Q01", "Experience and depth of the management team (1 weak .. 5 strong)", +1, "management"),
    Question("Q02", "Clarity and credibility of the business plan", +1, "management"),
    Question("Q03", "Market position versus competitors", +1, "market_position"),
    Question("Q04", "Customer concentration (1 diversified .. 5 concentrated)", -1, "market_position"),
    Question("Q05", "Supplier concentration (1 diversified .. 5 concentrated)", -1, "market_position"),
    Question("Q06", "Quality and timeliness of financial reporting", +1, "management"),
    Question("Q07", "Funding needs over the next 12 months (1 none .. 5 large)", -1, "financial_policy"),
    Question("Q08", "Planned expansion or acquisitions (1 none .. 5 major)", -1, "financial_policy"),
    Question("Q09", "Dependence on a few key persons (1 low .. 5 high)", -1, "management"),
    Question("Q10", "Hedging of interest-rate, FX and commodity risks", +1, "financial_policy"),
)

#: Question id -> question, in catalogue order.
QUESTIONS: dict[str, Question] = {q.id: q for q in _CATALOGUE}
#: Theme -> its question ids, in the order themes first appear.
QUESTION_THEMES: dict[str, tuple[str, ...]] = {
    theme: tuple(q.id for q in _CATALOGUE if q.theme == theme)
    for theme in dict.fromkeys(q.theme for q in _CATALOGUE)
}
