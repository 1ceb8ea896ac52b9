//! `parse_source`: bytes of one file → dict of numpy columns (see `convert.rs`).

use crossbook_core::parse::{self, Format, OnError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};

use crate::convert::tables_to_py;
use crate::errors::{CoreErr, Located};

/// Parse one source file's bytes (plain, gzip or lz4) in the given format.
///
/// `kind` names the data type where the format does not say it in-band (Binance public CSVs:
/// "bookTicker", "aggTrades", "trades", "metrics", "fundingRate"); `venue` and `symbol` override
/// what the content says. The GIL is released while parsing.
#[pyfunction]
#[pyo3(signature = (data, format, source="", errors="raise", kind=None, venue=None, symbol=None))]
pub fn parse_source<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyBytes>,
    format: &str,
    source: &str,
    errors: &str,
    kind: Option<&str>,
    venue: Option<&str>,
    symbol: Option<&str>,
) -> PyResult<Bound<'py, PyDict>> {
    let fmt = Format::from_name(format).map_err(CoreErr)?;
    let on_error = OnError::from_name(errors).map_err(CoreErr)?;
    let bytes = data.as_bytes();
    let opts = parse::Options { on_error, kind, venue, symbol };
    let tables = py.detach(|| parse::parse(bytes, fmt, &opts)).map_err(|e| Located(e, source))?;
    tables_to_py(py, tables)
}

/// The first `n` lines of plain, gzip or lz4 bytes, decompressing only what is needed.
#[pyfunction]
#[pyo3(signature = (data, n=5))]
pub fn head_lines<'py>(py: Python<'py>, data: &Bound<'py, PyBytes>, n: usize) -> Vec<Bound<'py, PyBytes>> {
    parse::head(data.as_bytes(), n).iter().map(|l| PyBytes::new(py, l)).collect()
}
