"""crossbook: cross-venue crypto market microstructure with a Rust core.

Read real exchange data (or simulate a market with known ground truth), measure who leads whom,
quote, backtest and explain. See README.md for the quick start.
"""

from crossbook._core import (
    CrossbookError,
    InvalidInputError,
    InvalidValueError,
    MalformedLineError,
    ParseError,
    SequenceGapError,
    TimestampOrderError,
    TruncatedFileError,
    UnknownFormatError,
    UnknownMessageError,
    __version__,
)

__all__ = [
    "CrossbookError",
    "InvalidInputError",
    "InvalidValueError",
    "MalformedLineError",
    "ParseError",
    "SequenceGapError",
    "TimestampOrderError",
    "TruncatedFileError",
    "UnknownFormatError",
    "UnknownMessageError",
    "__version__",
]
