"""Portfolio data: the contract (pandera schemas), the synthetic generator, readers and adapters."""

from .adapters import FlatTable, FlatTableError, load_flat_table, read_flat_file
from .generator import INDUSTRIES, QUESTIONS, GeneratorSettings, generate_portfolio
from .io import read_tables, write_parquet_atomic, write_tables
from .schemas import SCHEMAS, TABLES, DataValidationError, Problem, validate

__all__ = [
    "FlatTable",
    "FlatTableError",
    "load_flat_table",
    "read_flat_file",
    "INDUSTRIES",
    "QUESTIONS",
    "GeneratorSettings",
    "generate_portfolio",
    "read_tables",
    "write_tables",
    "write_parquet_atomic",
    "SCHEMAS",
    "TABLES",
    "DataValidationError",
    "Problem",
    "validate",
]
