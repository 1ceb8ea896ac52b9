//! Moving core column buffers into Python: each `Vec` becomes a numpy array without a copy;
//! `Python` (crossbook.data) assembles polars frames from the dict.

use crossbook_core::tables::Tables;
use numpy::IntoPyArray;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

macro_rules! cols {
    ($py:expr, $dict:expr, $t:expr, [$($f:ident),*]) => {{
        let d = PyDict::new($py);
        $( d.set_item(stringify!($f), $t.$f.into_pyarray($py))?; )*
        d
    }};
}

/// Convert [`Tables`] into `{"bbo": {col: ndarray}, ..., "symbols": [...], "venues": [...],
/// "skipped": [(line, kind, message)], "lines": n}`.
pub fn tables_to_py(py: Python<'_>, t: Tables) -> PyResult<Bound<'_, PyDict>> {
    let out = PyDict::new(py);
    let symbols = PyList::new(py, &t.symbols)?;
    let venues = PyList::new(py, &t.venues)?;
    let skipped = PyList::empty(py);
    for s in &t.skipped {
        skipped.append((s.line, s.kind, s.message.as_str()))?;
    }
    let lines = t.lines;
    let Tables { bbo, book, trade, ticker, liquidation, .. } = t;
    out.set_item("bbo", cols!(py, out, bbo, [symbol, ts_exchange, ts_local, bid_px, bid_qty, ask_px, ask_qty, seq]))?;
    out.set_item(
        "book",
        cols!(
            py,
            out,
            book,
            [symbol, ts_exchange, ts_local, side, px, qty, is_snapshot, seq_first, seq_last, seq_prev]
        ),
    )?;
    out.set_item("trade", cols!(py, out, trade, [symbol, ts_exchange, ts_local, px, qty, aggressor, trade_id]))?;
    out.set_item(
        "ticker",
        cols!(
            py,
            out,
            ticker,
            [
                symbol,
                ts_exchange,
                ts_local,
                mark_px,
                index_px,
                oracle_px,
                funding_rate,
                predicted_funding_rate,
                next_funding_ts,
                open_interest
            ]
        ),
    )?;
    out.set_item("liquidation", cols!(py, out, liquidation, [symbol, ts_exchange, ts_local, side, px, qty]))?;
    out.set_item("symbols", symbols)?;
    out.set_item("venues", venues)?;
    out.set_item("skipped", skipped)?;
    out.set_item("lines", lines)?;
    Ok(out)
}
