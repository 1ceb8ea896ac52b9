"""Type stubs of the Rust extension `crossbook._core` (import through `crossbook.*`, not directly)."""

from typing import Any

import numpy as np
import numpy.typing as npt

__version__: str

class CrossbookError(Exception): ...
class ParseError(CrossbookError): ...
class MalformedLineError(ParseError): ...
class UnknownMessageError(ParseError): ...
class InvalidValueError(ParseError): ...
class TimestampOrderError(ParseError): ...
class TruncatedFileError(ParseError): ...
class UnknownFormatError(ParseError): ...
class SequenceGapError(CrossbookError): ...
class InvalidInputError(CrossbookError): ...

def parse_source(
    data: bytes,
    format: str,
    source: str = "",
    errors: str = "raise",
    kind: str | None = None,
    venue: str | None = None,
    symbol: str | None = None,
) -> dict[str, Any]: ...
def head_lines(data: bytes, n: int = 5) -> list[bytes]: ...
def hy_contrast(
    t_x: npt.NDArray[np.int64],
    x: npt.NDArray[np.float64],
    t_y: npt.NDArray[np.int64],
    y: npt.NDArray[np.float64],
    lags_ns: npt.NDArray[np.int64],
) -> npt.NDArray[np.float64]: ...
def hy_contrast_blocks(
    t_x: npt.NDArray[np.int64],
    x: npt.NDArray[np.float64],
    t_y: npt.NDArray[np.int64],
    y: npt.NDArray[np.float64],
    lags_ns: npt.NDArray[np.int64],
    n_blocks: int,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]: ...
def jump_study(
    t_a: npt.NDArray[np.int64],
    p_a: npt.NDArray[np.float64],
    t_b: npt.NDArray[np.int64],
    p_b: npt.NDArray[np.float64],
    threshold: float,
    window_ns: int,
    grid_ns: int | None = None,
    span: int = 1,
    shifts_ns: npt.NDArray[np.int64] | None = None,
    n_shifts: int = 20,
) -> dict[str, Any]: ...
def xcorr_grid(
    t_a: npt.NDArray[np.int64],
    p_a: npt.NDArray[np.float64],
    t_b: npt.NDArray[np.int64],
    p_b: npt.NDArray[np.float64],
    grid_ns: int,
    lags: npt.NDArray[np.int64],
) -> dict[str, Any]: ...
def xcorr_aligned(
    x: npt.NDArray[np.float64], y: npt.NDArray[np.float64], lags: npt.NDArray[np.int64]
) -> npt.NDArray[np.float64]: ...
