"""The size and shape of a synthetic portfolio."""

from __future__ import annotations

from dataclasses import dataclass

from workbench.data.schemas import TABLES

__all__ = ["GeneratorSettings"]


@dataclass(frozen=True)
class GeneratorSettings:
    """Size and shape of the synthetic portfolio.

    ``tables`` names the tables to return (default: all of ``TABLES``). Tables the
    requested ones depend on are still drawn internally when needed (facilities for
    the defaults' exposure, the behaviour arrays for interactions), but expensive
    ones nobody asked for (quotes, interactions, truth, ...) are skipped. A table is
    identical whether it is generated alone or with all the others.
    """

    n_obligors: int = 5000
    years: int = 10
    seed: int = 0
    start_year: int = 2015
    project_finance_share: float = 0.10
    new_client_share: float = 0.25
    tables: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if self.n_obligors < 10:
            raise ValueError(f"n_obligors must be >= 10, got {self.n_obligors}")
        if not 2 <= self.years <= 40:
            raise ValueError(f"years must be between 2 and 40, got {self.years}")
        if not 0 <= self.project_finance_share <= 0.5:
            raise ValueError("project_finance_share must be in [0, 0.5]")
        if self.tables is not None:
            if isinstance(self.tables, str):
                raise ValueError(f"tables must be a sequence of table names, not the string {self.tables!r}")
            names = tuple(dict.fromkeys(self.tables))
            unknown = [t for t in names if t not in TABLES]
            if unknown:
                raise ValueError(f"unknown tables {unknown}; known tables: {', '.join(TABLES)}")
            if not names:
                raise ValueError("tables must name at least one table (None means all)")
            object.__setattr__(self, "tables", names)
