"""Data: readers for every supported source, the normalized schema, the instrument registry.

``crossbook.data.read(path)`` detects the format from the content and returns :class:`Tables`
(``{"bbo", "book", "trade", "ticker", "liquidation"}`` → polars DataFrames).
"""

from crossbook.data import instruments
from crossbook.data.instruments import to_float
from crossbook.data.readers import Tables, read, read_many
from crossbook.data.schema import SCHEMAS, TABLES

__all__ = ["SCHEMAS", "TABLES", "Tables", "instruments", "read", "read_many", "to_float"]
