"""How the financing mix writes amounts, percentages and long notes (as the desk writes them)."""

from __future__ import annotations

import textwrap

__all__ = ["amt", "pct", "wrap"]


def amt(x: float) -> str:
    """An amount in EUR m: 1234.56 -> '1,234.6'."""
    return f"{x:,.1f}"


def pct(x: float, digits: int | None = None) -> str:
    """0.3 -> '30 %', 0.058 -> '5.8 %' (as the desk writes them); fixed decimals when ``digits`` is set."""
    if digits is not None:
        return f"{100 * x:.{digits}f} %"
    return f"{100 * x:.4g} %"


def wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width)) or text
