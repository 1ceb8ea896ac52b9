//! L2 order book (crossbook.book): rebuild from a book table, grid sampling, and the
//! `OrderBook` class for notebooks. Prices and sizes are the scaled integers of the tables.

use crossbook_core::book::{self, BookRows, L2Book, Level, OnGap, Side, SyncStats};
use crossbook_core::CoreError;
use numpy::{Element, IntoPyArray, PyArray2, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::errors::CoreErr;

fn invalid(msg: String) -> PyErr {
    CoreErr(CoreError::InvalidInput(msg)).into()
}

fn col<'py, T: Element>(d: &Bound<'py, PyDict>, key: &str) -> PyResult<PyReadonlyArray1<'py, T>> {
    let v = d.get_item(key)?.ok_or_else(|| invalid(format!("book columns: missing {key:?}")))?;
    v.extract::<PyReadonlyArray1<'py, T>>().map_err(|e| invalid(format!("book column {key:?}: {e}")))
}

/// Borrowed numpy columns of a book table plus the group id per row.
struct Cols<'py> {
    group: PyReadonlyArray1<'py, u32>,
    ts_local: PyReadonlyArray1<'py, i64>,
    ts_exchange: PyReadonlyArray1<'py, i64>,
    side: PyReadonlyArray1<'py, i8>,
    px: PyReadonlyArray1<'py, i64>,
    qty: PyReadonlyArray1<'py, i64>,
    is_snapshot: PyReadonlyArray1<'py, bool>,
    seq_first: PyReadonlyArray1<'py, i64>,
    seq_last: PyReadonlyArray1<'py, i64>,
    seq_prev: PyReadonlyArray1<'py, i64>,
}

impl<'py> Cols<'py> {
    fn extract(d: &Bound<'py, PyDict>) -> PyResult<Self> {
        Ok(Self {
            group: col(d, "group")?,
            ts_local: col(d, "ts_local")?,
            ts_exchange: col(d, "ts_exchange")?,
            side: col(d, "side")?,
            px: col(d, "px")?,
            qty: col(d, "qty")?,
            is_snapshot: col(d, "is_snapshot")?,
            seq_first: col(d, "seq_first")?,
            seq_last: col(d, "seq_last")?,
            seq_prev: col(d, "seq_prev")?,
        })
    }

    fn rows(&self) -> PyResult<BookRows<'_>> {
        Ok(BookRows {
            group: self.group.as_slice()?,
            ts_local: self.ts_local.as_slice()?,
            ts_exchange: self.ts_exchange.as_slice()?,
            side: self.side.as_slice()?,
            px: self.px.as_slice()?,
            qty: self.qty.as_slice()?,
            is_snapshot: self.is_snapshot.as_slice()?,
            seq_first: self.seq_first.as_slice()?,
            seq_last: self.seq_last.as_slice()?,
            seq_prev: self.seq_prev.as_slice()?,
        })
    }
}

/// Per-group counters as `{name: ndarray}` plus `rule` as a list of names.
fn stats_to_py<'py>(py: Python<'py>, stats: &[SyncStats]) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    let field = |f: fn(&SyncStats) -> u64| stats.iter().map(f).collect::<Vec<u64>>();
    d.set_item("messages", field(|s| s.messages).into_pyarray(py))?;
    d.set_item("applied", field(|s| s.applied).into_pyarray(py))?;
    d.set_item("snapshots", field(|s| s.snapshots).into_pyarray(py))?;
    d.set_item("dropped", field(|s| s.dropped).into_pyarray(py))?;
    d.set_item("gaps", field(|s| s.gaps).into_pyarray(py))?;
    d.set_item("crossed", field(|s| s.crossed).into_pyarray(py))?;
    d.set_item("level_rows", field(|s| s.level_rows).into_pyarray(py))?;
    d.set_item("rule", stats.iter().map(|s| s.rule.name()).collect::<Vec<_>>())?;
    Ok(d)
}

/// Rebuild the books of a book table; best bid/ask after each applied message.
///
/// `cols` holds the book columns (nulls as the int64 minimum) and `group` (uint32, one id per
/// `(venue, symbol)`, indexing `names`). Returns `(top_of_book_columns, stats)`. GIL released.
#[pyfunction]
#[pyo3(signature = (cols, names, on_gap="raise"))]
pub fn book_top_of_book<'py>(
    py: Python<'py>,
    cols: &Bound<'py, PyDict>,
    names: Vec<String>,
    on_gap: &str,
) -> PyResult<(Bound<'py, PyDict>, Bound<'py, PyDict>)> {
    let on_gap = OnGap::from_name(on_gap).map_err(CoreErr)?;
    let c = Cols::extract(cols)?;
    let rows = c.rows()?;
    let (t, stats) = py.detach(|| book::top_of_book(&rows, &names, on_gap)).map_err(CoreErr)?;
    let d = PyDict::new(py);
    d.set_item("group", t.group.into_pyarray(py))?;
    d.set_item("ts_local", t.ts_local.into_pyarray(py))?;
    d.set_item("ts_exchange", t.ts_exchange.into_pyarray(py))?;
    d.set_item("seq", t.seq.into_pyarray(py))?;
    d.set_item("bid_px", t.bid_px.into_pyarray(py))?;
    d.set_item("bid_qty", t.bid_qty.into_pyarray(py))?;
    d.set_item("ask_px", t.ask_px.into_pyarray(py))?;
    d.set_item("ask_qty", t.ask_qty.into_pyarray(py))?;
    Ok((d, stats_to_py(py, &stats)?))
}

/// Rebuild the books and sample `levels` levels per side every `interval_ns` (long format).
/// Returns `(grid_columns, stats)`. GIL released.
#[pyfunction]
#[pyo3(signature = (cols, names, interval_ns, levels, on_gap="raise"))]
pub fn book_sample_grid<'py>(
    py: Python<'py>,
    cols: &Bound<'py, PyDict>,
    names: Vec<String>,
    interval_ns: i64,
    levels: usize,
    on_gap: &str,
) -> PyResult<(Bound<'py, PyDict>, Bound<'py, PyDict>)> {
    let on_gap = OnGap::from_name(on_gap).map_err(CoreErr)?;
    let c = Cols::extract(cols)?;
    let rows = c.rows()?;
    let (g, stats) = py.detach(|| book::sample_grid(&rows, &names, on_gap, interval_ns, levels)).map_err(CoreErr)?;
    let d = PyDict::new(py);
    d.set_item("group", g.group.into_pyarray(py))?;
    d.set_item("ts", g.ts.into_pyarray(py))?;
    d.set_item("side", g.side.into_pyarray(py))?;
    d.set_item("level", g.level.into_pyarray(py))?;
    d.set_item("px", g.px.into_pyarray(py))?;
    d.set_item("qty", g.qty.into_pyarray(py))?;
    Ok((d, stats_to_py(py, &stats)?))
}

/// The book of group `group` after every message received at or before `until_ns`.
/// Returns `(OrderBook, stats, synced)`. GIL released.
#[pyfunction]
#[pyo3(signature = (cols, names, group, until_ns, on_gap="raise", px_exp=8, qty_exp=8))]
pub fn book_at<'py>(
    py: Python<'py>,
    cols: &Bound<'py, PyDict>,
    names: Vec<String>,
    group: u32,
    until_ns: i64,
    on_gap: &str,
    px_exp: u32,
    qty_exp: u32,
) -> PyResult<(PyOrderBook, Bound<'py, PyDict>, bool)> {
    let on_gap = OnGap::from_name(on_gap).map_err(CoreErr)?;
    let c = Cols::extract(cols)?;
    let rows = c.rows()?;
    let (b, stats, synced) = py.detach(|| book::book_at(&rows, &names, group, on_gap, until_ns)).map_err(CoreErr)?;
    let ob = PyOrderBook::with(b, px_exp, qty_exp)?;
    Ok((ob, stats_to_py(py, &[stats])?, synced))
}

/// Exact decimal text of a scaled integer (`6180020000000`, 8 → `"61800.2"`).
fn decimal(v: i64, exp: u32) -> String {
    let p = crossbook_core::units::pow10(exp).unsigned_abs();
    let a = v.unsigned_abs();
    let (int, frac) = (a / p, a % p);
    let sign = if v < 0 { "-" } else { "" };
    if frac == 0 {
        return format!("{sign}{int}");
    }
    let width = exp as usize;
    let f = format!("{frac:0width$}");
    format!("{sign}{int}.{}", f.trim_end_matches('0'))
}

type LevelArrays<'py> = (Bound<'py, PyArray2<i64>>, Bound<'py, PyArray2<i64>>);

/// An L2 order book for notebooks: integer prices and sizes as in the tables (scaled by
/// `10^px_exp` / `10^qty_exp`; the exponents only affect `repr`).
#[pyclass(name = "OrderBook", module = "crossbook._core")]
pub struct PyOrderBook {
    book: L2Book,
    px_exp: u32,
    qty_exp: u32,
}

impl PyOrderBook {
    fn with(book: L2Book, px_exp: u32, qty_exp: u32) -> PyResult<Self> {
        if px_exp > 18 || qty_exp > 18 {
            return Err(invalid(format!("exponents must be at most 18, got px_exp={px_exp} qty_exp={qty_exp}")));
        }
        Ok(Self { book, px_exp, qty_exp })
    }
}

fn side_of(side: i8) -> PyResult<Side> {
    Side::from_i8(side).ok_or_else(|| invalid(format!("side must be +1 (bid) or -1 (ask), got {side}")))
}

fn to_levels(px: &[i64], qty: &[i64], what: &str) -> PyResult<Vec<Level>> {
    if px.len() != qty.len() {
        return Err(invalid(format!("{what}: {} prices but {} sizes", px.len(), qty.len())));
    }
    Ok(px.iter().zip(qty).map(|(&px, &qty)| Level { px, qty }).collect())
}

#[pymethods]
impl PyOrderBook {
    #[new]
    #[pyo3(signature = (px_exp=8, qty_exp=8))]
    fn new(px_exp: u32, qty_exp: u32) -> PyResult<Self> {
        Self::with(L2Book::new(), px_exp, qty_exp)
    }

    /// Replace both sides with a snapshot (prices and sizes as int64 arrays; zero sizes skipped).
    fn apply_snapshot(
        &mut self,
        py: Python<'_>,
        bid_px: PyReadonlyArray1<'_, i64>,
        bid_qty: PyReadonlyArray1<'_, i64>,
        ask_px: PyReadonlyArray1<'_, i64>,
        ask_qty: PyReadonlyArray1<'_, i64>,
    ) -> PyResult<()> {
        let bids = to_levels(bid_px.as_slice()?, bid_qty.as_slice()?, "bids")?;
        let asks = to_levels(ask_px.as_slice()?, ask_qty.as_slice()?, "asks")?;
        let book = &mut self.book;
        py.detach(|| book.apply_snapshot(&bids, &asks));
        Ok(())
    }

    /// Apply level updates: absolute sizes, 0 deletes (deleting an absent level is a no-op);
    /// rows with side 0 (sequence-only) are ignored.
    fn apply_levels(
        &mut self,
        py: Python<'_>,
        side: PyReadonlyArray1<'_, i8>,
        px: PyReadonlyArray1<'_, i64>,
        qty: PyReadonlyArray1<'_, i64>,
    ) -> PyResult<()> {
        let (s, p, q) = (side.as_slice()?, px.as_slice()?, qty.as_slice()?);
        if s.len() != p.len() || p.len() != q.len() {
            return Err(invalid(format!("apply_levels: {} sides, {} prices, {} sizes", s.len(), p.len(), q.len())));
        }
        if let Some(&bad) = s.iter().find(|&&v| !matches!(v, -1..=1)) {
            return Err(invalid(format!("side must be +1, -1 or 0, got {bad}")));
        }
        let book = &mut self.book;
        py.detach(|| {
            for ((&s, &p), &q) in s.iter().zip(p).zip(q) {
                if let Some(side) = Side::from_i8(s) {
                    book.set(side, p, q);
                }
            }
        });
        Ok(())
    }

    /// Set one level (`side` +1 bid / -1 ask; `qty` 0 deletes). Returns True if the book changed.
    fn set_level(&mut self, side: i8, px: i64, qty: i64) -> PyResult<bool> {
        Ok(self.book.set(side_of(side)?, px, qty))
    }

    /// Remove every level.
    fn clear(&mut self) {
        self.book.clear();
    }

    /// `(px, qty)` of the highest bid, or None.
    fn best_bid(&self) -> Option<(i64, i64)> {
        self.book.best_bid().map(|l| (l.px, l.qty))
    }

    /// `(px, qty)` of the lowest ask, or None.
    fn best_ask(&self) -> Option<(i64, i64)> {
        self.book.best_ask().map(|l| (l.px, l.qty))
    }

    /// Mid price in scaled units (float; may end in .5), or None without both sides.
    fn mid(&self) -> Option<f64> {
        self.book.mid()
    }

    /// Best ask minus best bid in scaled units, or None.
    fn spread(&self) -> Option<i64> {
        self.book.spread()
    }

    /// True when the best bid is at or above the best ask.
    fn is_crossed(&self) -> bool {
        self.book.is_crossed()
    }

    /// Up to `n` levels per side, best first: `(bids, asks)`, each an int64 array of shape (k, 2)
    /// with columns px, qty.
    #[pyo3(signature = (n=10))]
    fn top<'py>(&self, py: Python<'py>, n: usize) -> PyResult<LevelArrays<'py>> {
        let side = |s: Side| -> PyResult<Bound<'py, PyArray2<i64>>> {
            let rows: Vec<Vec<i64>> = self.book.top(s, n).map(|l| vec![l.px, l.qty]).collect();
            if rows.is_empty() {
                return Ok(numpy::ndarray::Array2::<i64>::zeros((0, 2)).into_pyarray(py));
            }
            PyArray2::from_vec2(py, &rows).map_err(|e| invalid(e.to_string()))
        };
        Ok((side(Side::Bid)?, side(Side::Ask)?))
    }

    /// `(bid_qty, ask_qty)` resting within `bps` basis points of the mid (bounds inclusive), or
    /// None without both sides.
    fn depth_within_bps(&self, bps: f64) -> PyResult<Option<(i64, i64)>> {
        if !bps.is_finite() || bps < 0.0 {
            return Err(invalid(format!("bps must be finite and >= 0, got {bps}")));
        }
        Ok(self.book.depth_within_bps(bps))
    }

    /// Resting size at `px` (0 if no level). Without `side`, the bid side is used when it holds
    /// the price, else the ask side.
    #[pyo3(signature = (px, side=None))]
    fn queue_at(&self, px: i64, side: Option<i8>) -> PyResult<i64> {
        Ok(match side {
            Some(s) => self.book.queue_at(side_of(s)?, px),
            None => match self.book.queue_at(Side::Bid, px) {
                0 => self.book.queue_at(Side::Ask, px),
                q => q,
            },
        })
    }

    /// Number of bid levels.
    #[getter]
    fn n_bids(&self) -> usize {
        self.book.len().0
    }

    /// Number of ask levels.
    #[getter]
    fn n_asks(&self) -> usize {
        self.book.len().1
    }

    /// Price exponent: an integer price p means p / 10**px_exp.
    #[getter]
    fn px_exp(&self) -> u32 {
        self.px_exp
    }

    /// Size exponent.
    #[getter]
    fn qty_exp(&self) -> u32 {
        self.qty_exp
    }

    fn __len__(&self) -> usize {
        let (b, a) = self.book.len();
        b + a
    }

    fn __repr__(&self) -> String {
        let (nb, na) = self.book.len();
        let lv = |l: Option<Level>| match l {
            Some(l) => format!("{} x {}", decimal(l.px, self.px_exp), decimal(l.qty, self.qty_exp)),
            None => "None".into(),
        };
        let spread = match self.book.spread() {
            Some(s) => decimal(s, self.px_exp),
            None => "None".into(),
        };
        format!(
            "OrderBook(bids={nb}, asks={na}, best_bid={}, best_ask={}, spread={spread})",
            lv(self.book.best_bid()),
            lv(self.book.best_ask())
        )
    }
}

#[cfg(test)]
mod tests {
    use super::decimal;

    #[test]
    fn decimal_text_is_exact() {
        assert_eq!(decimal(6_180_020_000_000, 8), "61800.2");
        assert_eq!(decimal(250_700_000, 8), "2.507");
        assert_eq!(decimal(-5, 8), "-0.00000005");
        assert_eq!(decimal(100_000_000, 8), "1");
        assert_eq!(decimal(7, 0), "7");
    }
}
