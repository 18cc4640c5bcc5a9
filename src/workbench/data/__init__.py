"""Portfolio data: the contract (pandera schemas), readers and adapters, atomic writes.

The synthetic portfolio lives in ``workbench.synthetic``, which no production module imports.
"""

from .adapters import FlatTable, FlatTableError, load_flat_table, read_flat_file
from .io import (
    read_tables,
    write_csv_atomic,
    write_parquet_atomic,
    write_pickle_atomic,
    write_tables,
    write_text_atomic,
)
from .params import ContractParams
from .portfolio import OPTIONAL_TABLES, REQUIRED_TABLES, data_as_of, validate_portfolio
from .schemas import SCHEMAS, TABLES, DataValidationError, Problem, validate

__all__ = [
    "FlatTable",
    "FlatTableError",
    "load_flat_table",
    "read_flat_file",
    "read_tables",
    "write_tables",
    "write_parquet_atomic",
    "write_csv_atomic",
    "write_pickle_atomic",
    "write_text_atomic",
    "SCHEMAS",
    "TABLES",
    "DataValidationError",
    "Problem",
    "validate",
    "ContractParams",
    "REQUIRED_TABLES",
    "OPTIONAL_TABLES",
    "data_as_of",
    "validate_portfolio",
]
