//! The backtest runner (crossbook.backtest): the replay runs in Rust with the GIL released; the
//! records come back as columns (numpy arrays, plus category names and nullable booleans).

use crossbook_core::backtest::columns::{cycle_table, day_table, equity_table, fill_table};
use crossbook_core::backtest::{
    run, BacktestOutput, BacktestParams, BboSlices, Column, MarketData, Table, TickerSlices, TradeSlices,
};
use crossbook_core::book::BookRows;
use crossbook_core::quote::QuoteParams;
use crossbook_core::CoreError;
use numpy::{Element, IntoPyArray, PyArray1, PyArrayMethods, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use crate::errors::CoreErr;

fn invalid(msg: String) -> PyErr {
    CoreErr(CoreError::InvalidInput(msg)).into()
}

fn col<'py, T: Element>(d: &Bound<'py, PyDict>, table: &str, key: &str) -> PyResult<PyReadonlyArray1<'py, T>> {
    let v = d.get_item(key)?.ok_or_else(|| invalid(format!("{table}: missing column {key:?}")))?;
    v.extract::<PyReadonlyArray1<'py, T>>().map_err(|e| invalid(format!("{table}: column {key:?}: {e}")))
}

struct Bbo<'py>([PyReadonlyArray1<'py, i64>; 6]);
impl<'py> Bbo<'py> {
    fn new(d: &Bound<'py, PyDict>, t: &str) -> PyResult<Self> {
        Ok(Self([
            col(d, t, "ts_local")?,
            col(d, t, "ts_exchange")?,
            col(d, t, "bid_px")?,
            col(d, t, "bid_qty")?,
            col(d, t, "ask_px")?,
            col(d, t, "ask_qty")?,
        ]))
    }
    fn slices(&self) -> PyResult<BboSlices<'_>> {
        let a = &self.0;
        Ok(BboSlices {
            ts_local: a[0].as_slice()?,
            ts_exchange: a[1].as_slice()?,
            bid_px: a[2].as_slice()?,
            bid_qty: a[3].as_slice()?,
            ask_px: a[4].as_slice()?,
            ask_qty: a[5].as_slice()?,
        })
    }
}

struct Trades<'py>([PyReadonlyArray1<'py, i64>; 4], PyReadonlyArray1<'py, i8>);
impl<'py> Trades<'py> {
    fn new(d: &Bound<'py, PyDict>, t: &str) -> PyResult<Self> {
        Ok(Self(
            [col(d, t, "ts_local")?, col(d, t, "ts_exchange")?, col(d, t, "px")?, col(d, t, "qty")?],
            col(d, t, "aggressor")?,
        ))
    }
    fn slices(&self) -> PyResult<TradeSlices<'_>> {
        let a = &self.0;
        Ok(TradeSlices {
            ts_local: a[0].as_slice()?,
            ts_exchange: a[1].as_slice()?,
            px: a[2].as_slice()?,
            qty: a[3].as_slice()?,
            aggressor: self.1.as_slice()?,
        })
    }
}

struct Ticker<'py>([PyReadonlyArray1<'py, i64>; 5], PyReadonlyArray1<'py, f64>);
impl<'py> Ticker<'py> {
    fn new(d: &Bound<'py, PyDict>, t: &str) -> PyResult<Self> {
        Ok(Self(
            [
                col(d, t, "ts_local")?,
                col(d, t, "ts_exchange")?,
                col(d, t, "mark_px")?,
                col(d, t, "next_funding_ts")?,
                col(d, t, "open_interest")?,
            ],
            col(d, t, "funding_rate")?,
        ))
    }
    fn slices(&self) -> PyResult<TickerSlices<'_>> {
        let a = &self.0;
        Ok(TickerSlices {
            ts_local: a[0].as_slice()?,
            ts_exchange: a[1].as_slice()?,
            mark_px: a[2].as_slice()?,
            next_funding_ts: a[3].as_slice()?,
            open_interest: a[4].as_slice()?,
            funding_rate: self.1.as_slice()?,
        })
    }
}

struct Book<'py> {
    i64s: [PyReadonlyArray1<'py, i64>; 7],
    side: PyReadonlyArray1<'py, i8>,
    snap: PyReadonlyArray1<'py, bool>,
    group: Vec<u32>,
}
impl<'py> Book<'py> {
    fn new(d: &Bound<'py, PyDict>) -> PyResult<Self> {
        let t = "quoted book";
        let i64s = [
            col(d, t, "ts_local")?,
            col(d, t, "ts_exchange")?,
            col(d, t, "px")?,
            col(d, t, "qty")?,
            col(d, t, "seq_first")?,
            col(d, t, "seq_last")?,
            col(d, t, "seq_prev")?,
        ];
        let n = i64s[0].len()?;
        Ok(Self { i64s, side: col(d, t, "side")?, snap: col(d, t, "is_snapshot")?, group: vec![0; n] })
    }
    fn rows(&self) -> PyResult<BookRows<'_>> {
        let a = &self.i64s;
        Ok(BookRows {
            group: &self.group,
            ts_local: a[0].as_slice()?,
            ts_exchange: a[1].as_slice()?,
            px: a[2].as_slice()?,
            qty: a[3].as_slice()?,
            seq_first: a[4].as_slice()?,
            seq_last: a[5].as_slice()?,
            seq_prev: a[6].as_slice()?,
            side: self.side.as_slice()?,
            is_snapshot: self.snap.as_slice()?,
        })
    }
}

/// A [`Table`] as a dict: numpy arrays; `("cat", codes, names)`, `("optbool", i8 codes)` and
/// `("matrix", 2-D floats)` tuples for the other kinds.
fn table_to_py<'py>(py: Python<'py>, t: Table) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    for (name, c) in t.columns {
        match c {
            Column::F64(v) => d.set_item(name, v.into_pyarray(py))?,
            Column::I64(v) => d.set_item(name, v.into_pyarray(py))?,
            Column::U64(v) => d.set_item(name, v.into_pyarray(py))?,
            Column::I8(v) => d.set_item(name, v.into_pyarray(py))?,
            Column::Bool(v) => d.set_item(name, v.into_pyarray(py))?,
            Column::OptBool(v) => d.set_item(
                name,
                PyTuple::new(py, ["optbool".into_pyobject(py)?.into_any(), v.into_pyarray(py).into_any()])?,
            )?,
            Column::Cat(v, names) => {
                let items = [
                    "cat".into_pyobject(py)?.into_any(),
                    v.into_pyarray(py).into_any(),
                    names.to_vec().into_pyobject(py)?.into_any(),
                ];
                d.set_item(name, PyTuple::new(py, items)?)?;
            }
            Column::F64Matrix(v, w) => {
                let rows = v.len().checked_div(w).unwrap_or(0);
                let a: Bound<'py, PyArray1<f64>> = v.into_pyarray(py);
                let m = a.reshape([rows, w])?;
                d.set_item(name, PyTuple::new(py, ["matrix".into_pyobject(py)?.into_any(), m.into_any()])?)?;
            }
        }
    }
    Ok(d)
}

/// Run a backtest. `params_json`: `crossbook_core::backtest::BacktestParams`; `quote_json`: the
/// quote engine's parameters. Tables are dicts of numpy columns (scaled int64 prices and sizes);
/// `quoted_book` may be None. Returns `{"cycles", "fills", "equity", "days"}` column dicts and
/// `"summary"` (JSON text).
#[pyfunction]
#[pyo3(signature = (params_json, quote_json, quoted_bbo, quoted_trade, quoted_ticker, leader_bbo, quoted_book=None))]
pub fn run_backtest<'py>(
    py: Python<'py>,
    params_json: &str,
    quote_json: &str,
    quoted_bbo: &Bound<'py, PyDict>,
    quoted_trade: &Bound<'py, PyDict>,
    quoted_ticker: &Bound<'py, PyDict>,
    leader_bbo: &Bound<'py, PyDict>,
    quoted_book: Option<&Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyDict>> {
    let params = BacktestParams::from_json(params_json).map_err(CoreErr)?;
    let quote = QuoteParams::from_json(quote_json).map_err(CoreErr)?;
    let qb = Bbo::new(quoted_bbo, "quoted bbo")?;
    let lb = Bbo::new(leader_bbo, "leader bbo")?;
    let qt = Trades::new(quoted_trade, "quoted trade")?;
    let tk = Ticker::new(quoted_ticker, "quoted ticker")?;
    let book = quoted_book.map(Book::new).transpose()?;
    let data = MarketData {
        quoted_bbo: qb.slices()?,
        quoted_trade: qt.slices()?,
        quoted_book: book.as_ref().map(Book::rows).transpose()?,
        quoted_ticker: tk.slices()?,
        leader_bbo: lb.slices()?,
    };
    let levels = params.book_levels;
    let out = py.detach(|| run(&data, &params, quote)).map_err(CoreErr)?;
    let BacktestOutput { cycles, book_levels, fills, equity, days, summary } = out;
    let summary = summary.to_json().map_err(CoreErr)?;
    // the row records go as soon as their columns exist (peak memory)
    let cycle_cols = cycle_table(&cycles, &book_levels, levels);
    drop((cycles, book_levels));
    let d = PyDict::new(py);
    d.set_item("cycles", table_to_py(py, cycle_cols)?)?;
    d.set_item("fills", table_to_py(py, fill_table(&fills))?)?;
    d.set_item("equity", table_to_py(py, equity_table(&equity))?)?;
    d.set_item("days", table_to_py(py, day_table(&days))?)?;
    d.set_item("summary", summary)?;
    Ok(d)
}

/// The default runner parameters as JSON (the Python config mirrors them).
#[pyfunction]
pub fn backtest_default_params() -> PyResult<String> {
    Ok(BacktestParams::default().to_json().map_err(CoreErr)?)
}
