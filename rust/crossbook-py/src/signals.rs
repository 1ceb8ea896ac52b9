//! Streaming signals (crossbook.signals): vectorised functions (GIL released) and streaming classes.
//!
//! The streaming classes update in O(1) while holding the GIL: releasing it would cost more than the
//! update itself.

use crossbook_core::signals::depth::{check_bands, depth_into, depth_snapshots as core_depth_snapshots};
use crossbook_core::signals::flow::{trade_rate_ewma_series, trade_window_series, TradeRateEwma, TradeWindow};
use crossbook_core::signals::imbalance::{obi_snapshots as core_obi_snapshots, Obi, ObiParams};
use crossbook_core::signals::microprice::{weighted_mid_series, MicropriceModel};
use crossbook_core::signals::microprice_fit::MicropriceConfig;
use crossbook_core::signals::volatility::{bipower_series as core_bipower_series, BipowerVol};
use crossbook_core::signals::{check_levels, Level};
use crossbook_core::CoreError;
use numpy::ndarray::Array2;
use numpy::{IntoPyArray, PyArray1, PyArray2, PyReadonlyArray1};
use pyo3::prelude::*;

use crate::errors::CoreErr;

type F64Array<'py> = Bound<'py, PyArray1<f64>>;
type I64Array<'py> = Bound<'py, PyArray1<i64>>;
/// (keys[snapshots], bid[snapshots, bands], ask[snapshots, bands])
type DepthArrays<'py> = (I64Array<'py>, Bound<'py, PyArray2<f64>>, Bound<'py, PyArray2<f64>>);

fn invalid(msg: String) -> PyErr {
    CoreErr(CoreError::InvalidInput(msg)).into()
}

/// milliseconds (float) → ns, > 0
fn ms_to_ns(name: &str, ms: f64) -> PyResult<i64> {
    let ns = (ms * 1e6).round();
    if (1.0..9.0e18).contains(&ns) {
        Ok(ns as i64)
    } else {
        Err(invalid(format!("{name} must be a positive number of milliseconds (got {ms})")))
    }
}

fn matrix(rows: usize, cols: usize, v: Vec<f64>) -> PyResult<Array2<f64>> {
    Array2::from_shape_vec((rows, cols), v).map_err(|e| invalid(e.to_string()))
}

fn levels(name: &str, px: &[f64], qty: &[f64], descending: bool) -> PyResult<Vec<Level>> {
    if px.len() != qty.len() {
        return Err(invalid(format!("{name}: {} prices but {} sizes", px.len(), qty.len())));
    }
    let v: Vec<Level> = px.iter().zip(qty).map(|(&p, &q)| Level::new(p, q)).collect();
    check_levels(name, &v, descending).map_err(CoreErr)?;
    Ok(v)
}

/// Size-weighted mid of each BBO row.
#[pyfunction]
pub fn weighted_mid<'py>(
    py: Python<'py>,
    bid_px: PyReadonlyArray1<'py, f64>,
    bid_qty: PyReadonlyArray1<'py, f64>,
    ask_px: PyReadonlyArray1<'py, f64>,
    ask_qty: PyReadonlyArray1<'py, f64>,
) -> PyResult<F64Array<'py>> {
    let (b, bq, a, aq) = (bid_px.as_slice()?, bid_qty.as_slice()?, ask_px.as_slice()?, ask_qty.as_slice()?);
    let out = py.detach(|| weighted_mid_series(b, bq, a, aq)).map_err(CoreErr)?;
    Ok(out.into_pyarray(py))
}

/// Grid series of bipower variation and realised variance: (t_ns, bv, rv).
#[pyfunction]
pub fn bipower_series<'py>(
    py: Python<'py>,
    t_ns: PyReadonlyArray1<'py, i64>,
    mid: PyReadonlyArray1<'py, f64>,
    step_ns: i64,
    window: usize,
) -> PyResult<(I64Array<'py>, F64Array<'py>, F64Array<'py>)> {
    let (t, m) = (t_ns.as_slice()?, mid.as_slice()?);
    let s = py.detach(|| core_bipower_series(t, m, step_ns, window)).map_err(CoreErr)?;
    Ok((s.t_ns.into_pyarray(py), s.bv.into_pyarray(py), s.rv.into_pyarray(py)))
}

/// Per trade: (imbalance, rate_per_s) over the window (ns) ending at it.
#[pyfunction]
pub fn trade_window<'py>(
    py: Python<'py>,
    t_ns: PyReadonlyArray1<'py, i64>,
    qty: PyReadonlyArray1<'py, f64>,
    aggressor: PyReadonlyArray1<'py, i8>,
    window_ns: i64,
) -> PyResult<(F64Array<'py>, F64Array<'py>)> {
    let (t, q, a) = (t_ns.as_slice()?, qty.as_slice()?, aggressor.as_slice()?);
    let (imb, rate) = py.detach(|| trade_window_series(t, q, a, window_ns)).map_err(CoreErr)?;
    Ok((imb.into_pyarray(py), rate.into_pyarray(py)))
}

/// Per trade: EWMA arrival rate (trades/s) with time constant tau (ns).
#[pyfunction]
pub fn trade_rate_ewma<'py>(py: Python<'py>, t_ns: PyReadonlyArray1<'py, i64>, tau_ns: i64) -> PyResult<F64Array<'py>> {
    let t = t_ns.as_slice()?;
    let out = py.detach(|| trade_rate_ewma_series(t, tau_ns)).map_err(CoreErr)?;
    Ok(out.into_pyarray(py))
}

fn obi_calc(delta_bps: f64, half_life_bps: f64, notional: bool) -> PyResult<Obi> {
    Ok(Obi::new(ObiParams { delta_bps, half_life_bps, notional }).map_err(CoreErr)?)
}

/// Distance-weighted OIB of one snapshot (sides sorted best first).
#[pyfunction]
pub fn obi_levels(
    bid_px: PyReadonlyArray1<'_, f64>,
    bid_qty: PyReadonlyArray1<'_, f64>,
    ask_px: PyReadonlyArray1<'_, f64>,
    ask_qty: PyReadonlyArray1<'_, f64>,
    delta_bps: f64,
    half_life_bps: f64,
    notional: bool,
) -> PyResult<f64> {
    let obi = obi_calc(delta_bps, half_life_bps, notional)?;
    let bids = levels("bids", bid_px.as_slice()?, bid_qty.as_slice()?, true)?;
    let asks = levels("asks", ask_px.as_slice()?, ask_qty.as_slice()?, false)?;
    Ok(obi.compute(&bids, &asks))
}

/// Distance-weighted OIB per snapshot of long-format rows: (keys, oib).
#[pyfunction]
pub fn obi_snapshots<'py>(
    py: Python<'py>,
    key: PyReadonlyArray1<'py, i64>,
    side: PyReadonlyArray1<'py, i8>,
    px: PyReadonlyArray1<'py, f64>,
    qty: PyReadonlyArray1<'py, f64>,
    delta_bps: f64,
    half_life_bps: f64,
    notional: bool,
) -> PyResult<(I64Array<'py>, F64Array<'py>)> {
    let obi = obi_calc(delta_bps, half_life_bps, notional)?;
    let (k, s, p, q) = (key.as_slice()?, side.as_slice()?, px.as_slice()?, qty.as_slice()?);
    let (keys, v) = py.detach(|| core_obi_snapshots(k, s, p, q, &obi)).map_err(CoreErr)?;
    Ok((keys.into_pyarray(py), v.into_pyarray(py)))
}

/// Depth (size) within each band of mid for one snapshot: (bid[bands], ask[bands]).
#[pyfunction]
pub fn depth_levels<'py>(
    py: Python<'py>,
    bid_px: PyReadonlyArray1<'py, f64>,
    bid_qty: PyReadonlyArray1<'py, f64>,
    ask_px: PyReadonlyArray1<'py, f64>,
    ask_qty: PyReadonlyArray1<'py, f64>,
    bands_bps: PyReadonlyArray1<'py, f64>,
) -> PyResult<(F64Array<'py>, F64Array<'py>)> {
    let bands = bands_bps.as_slice()?;
    check_bands(bands).map_err(CoreErr)?;
    let bids = levels("bids", bid_px.as_slice()?, bid_qty.as_slice()?, true)?;
    let asks = levels("asks", ask_px.as_slice()?, ask_qty.as_slice()?, false)?;
    let (mut b, mut a) = (vec![0.0; bands.len()], vec![0.0; bands.len()]);
    depth_into(&bids, &asks, bands, &mut b, &mut a);
    Ok((b.into_pyarray(py), a.into_pyarray(py)))
}

/// Depth per snapshot of long-format rows: (keys, bid[snapshots, bands], ask[snapshots, bands]).
#[pyfunction]
pub fn depth_snapshots<'py>(
    py: Python<'py>,
    key: PyReadonlyArray1<'py, i64>,
    side: PyReadonlyArray1<'py, i8>,
    px: PyReadonlyArray1<'py, f64>,
    qty: PyReadonlyArray1<'py, f64>,
    bands_bps: PyReadonlyArray1<'py, f64>,
) -> PyResult<DepthArrays<'py>> {
    let (k, s, p, q, bands) =
        (key.as_slice()?, side.as_slice()?, px.as_slice()?, qty.as_slice()?, bands_bps.as_slice()?);
    let (keys, b, a) = py.detach(|| core_depth_snapshots(k, s, p, q, bands)).map_err(CoreErr)?;
    let n = keys.len();
    let (b, a) = (matrix(n, bands.len(), b)?, matrix(n, bands.len(), a)?);
    Ok((keys.into_pyarray(py), b.into_pyarray(py), a.into_pyarray(py)))
}

/// A fitted Stoikov micro-price table with O(1) lookup.
#[pyclass(name = "MicropriceModel", module = "crossbook._core", frozen)]
pub struct PyMicropriceModel {
    inner: MicropriceModel,
}

fn config(n_imb: usize, n_spread: usize, symmetrise: bool, max_move_ticks: f64, n_terms: usize) -> MicropriceConfig {
    MicropriceConfig { n_imb, n_spread, symmetrise, max_move_ticks, n_terms }
}

#[pymethods]
impl PyMicropriceModel {
    /// Fit from samples on a fixed time step (mid and spread in price units, imbalance in [0, 1]).
    #[staticmethod]
    #[pyo3(signature = (mid, spread, imbalance, tick, n_imb=10, n_spread=2, symmetrise=true, max_move_ticks=1.0, n_terms=0))]
    fn fit_samples(
        py: Python<'_>,
        mid: PyReadonlyArray1<'_, f64>,
        spread: PyReadonlyArray1<'_, f64>,
        imbalance: PyReadonlyArray1<'_, f64>,
        tick: f64,
        n_imb: usize,
        n_spread: usize,
        symmetrise: bool,
        max_move_ticks: f64,
        n_terms: usize,
    ) -> PyResult<Self> {
        let (m, s, i) = (mid.as_slice()?, spread.as_slice()?, imbalance.as_slice()?);
        let cfg = config(n_imb, n_spread, symmetrise, max_move_ticks, n_terms);
        let inner = py.detach(|| MicropriceModel::fit(m, s, i, tick, &cfg)).map_err(CoreErr)?;
        Ok(Self { inner })
    }

    /// Fit from BBO updates sampled on a grid of `step_ns`.
    #[staticmethod]
    #[pyo3(signature = (t_ns, bid_px, bid_qty, ask_px, ask_qty, tick, step_ns, n_imb=10, n_spread=2, symmetrise=true, max_move_ticks=1.0, n_terms=0))]
    fn fit_bbo(
        py: Python<'_>,
        t_ns: PyReadonlyArray1<'_, i64>,
        bid_px: PyReadonlyArray1<'_, f64>,
        bid_qty: PyReadonlyArray1<'_, f64>,
        ask_px: PyReadonlyArray1<'_, f64>,
        ask_qty: PyReadonlyArray1<'_, f64>,
        tick: f64,
        step_ns: i64,
        n_imb: usize,
        n_spread: usize,
        symmetrise: bool,
        max_move_ticks: f64,
        n_terms: usize,
    ) -> PyResult<Self> {
        let (t, b, bq, a, aq) =
            (t_ns.as_slice()?, bid_px.as_slice()?, bid_qty.as_slice()?, ask_px.as_slice()?, ask_qty.as_slice()?);
        let cfg = config(n_imb, n_spread, symmetrise, max_move_ticks, n_terms);
        let inner = py.detach(|| MicropriceModel::fit_bbo(t, b, bq, a, aq, tick, step_ns, &cfg)).map_err(CoreErr)?;
        Ok(Self { inner })
    }

    /// A model from a table g[spread - 1, bucket] in ticks.
    #[staticmethod]
    fn from_table(tick: f64, table: numpy::PyReadonlyArray2<'_, f64>) -> PyResult<Self> {
        let view = table.as_array();
        let (ns, ni) = view.dim();
        let values: Vec<f64> = view.iter().copied().collect();
        let inner = MicropriceModel::from_table(tick, ni, ns, values).map_err(CoreErr)?;
        Ok(Self { inner })
    }

    /// g(I, s) in price units (interpolated in imbalance); NaN outside the fitted states.
    fn adjust(&self, imbalance: f64, spread_ticks: f64) -> f64 {
        self.inner.adjust(imbalance, spread_ticks)
    }

    /// g(I, s) in ticks from the bucket holding I (the paper's step function).
    fn adjust_step_ticks(&self, imbalance: f64, spread_ticks: f64) -> f64 {
        self.inner.adjust_step(imbalance, spread_ticks)
    }

    /// [`adjust`] over arrays (price units).
    fn adjust_many<'py>(
        &self,
        py: Python<'py>,
        imbalance: PyReadonlyArray1<'py, f64>,
        spread_ticks: PyReadonlyArray1<'py, f64>,
    ) -> PyResult<F64Array<'py>> {
        let (i, s) = (imbalance.as_slice()?, spread_ticks.as_slice()?);
        if i.len() != s.len() {
            return Err(invalid(format!("array lengths differ: imbalance={}, spread_ticks={}", i.len(), s.len())));
        }
        let m = &self.inner;
        let out: Vec<f64> = py.detach(|| i.iter().zip(s).map(|(&x, &y)| m.adjust(x, y)).collect());
        Ok(out.into_pyarray(py))
    }

    /// Micro-price of one BBO (price units).
    fn micro_price(&self, bid_px: f64, bid_qty: f64, ask_px: f64, ask_qty: f64) -> f64 {
        self.inner.micro_price(bid_px, bid_qty, ask_px, ask_qty)
    }

    /// Micro-price of each BBO row (validated like weighted_mid).
    fn micro_price_many<'py>(
        &self,
        py: Python<'py>,
        bid_px: PyReadonlyArray1<'py, f64>,
        bid_qty: PyReadonlyArray1<'py, f64>,
        ask_px: PyReadonlyArray1<'py, f64>,
        ask_qty: PyReadonlyArray1<'py, f64>,
    ) -> PyResult<F64Array<'py>> {
        let (b, bq, a, aq) = (bid_px.as_slice()?, bid_qty.as_slice()?, ask_px.as_slice()?, ask_qty.as_slice()?);
        let m = &self.inner;
        let out = py.detach(|| m.micro_price_series(b, bq, a, aq)).map_err(CoreErr)?;
        Ok(out.into_pyarray(py))
    }

    #[getter]
    fn tick(&self) -> f64 {
        self.inner.tick()
    }
    #[getter]
    fn n_imb(&self) -> usize {
        self.inner.n_imb()
    }
    #[getter]
    fn n_spread(&self) -> usize {
        self.inner.n_spread()
    }
    /// G* in ticks, shape (n_spread, n_imb)
    #[getter]
    fn table<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray2<f64>>> {
        Ok(matrix(self.inner.n_spread(), self.inner.n_imb(), self.inner.table().to_vec())?.into_pyarray(py))
    }
    /// G1 in ticks, shape (n_spread, n_imb)
    #[getter]
    fn g1<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray2<f64>>> {
        Ok(matrix(self.inner.n_spread(), self.inner.n_imb(), self.inner.g1().to_vec())?.into_pyarray(py))
    }
    /// transitions out of each state, shape (n_spread, n_imb)
    #[getter]
    fn counts<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray2<f64>>> {
        Ok(matrix(self.inner.n_spread(), self.inner.n_imb(), self.inner.counts().to_vec())?.into_pyarray(py))
    }
    #[getter]
    fn terms(&self) -> usize {
        self.inner.terms()
    }
    #[getter]
    fn symmetrised(&self) -> bool {
        self.inner.symmetrised()
    }
    #[getter]
    fn n_transitions(&self) -> usize {
        self.inner.n_transitions()
    }
    #[getter]
    fn n_dropped(&self) -> usize {
        self.inner.n_dropped()
    }

    fn __repr__(&self) -> String {
        let m = &self.inner;
        let edge = |s: f64| m.adjust_step(1.0, s);
        format!(
            "MicropriceModel(tick={}, n_imb={}, n_spread={}, symmetrised={}, terms={}, transitions={}, \
             g(I=1, s=1)={:+.3} ticks)",
            m.tick(),
            m.n_imb(),
            m.n_spread(),
            m.symmetrised(),
            m.terms(),
            m.n_transitions(),
            edge(1.0)
        )
    }
}

/// Streaming bipower variation and realised variance of grid-sampled log mids.
#[pyclass(name = "BipowerVol", module = "crossbook._core")]
pub struct PyBipowerVol {
    inner: BipowerVol,
}

#[pymethods]
impl PyBipowerVol {
    #[new]
    #[pyo3(signature = (step_ms, window))]
    fn new(step_ms: f64, window: usize) -> PyResult<Self> {
        Ok(Self { inner: BipowerVol::new(ms_to_ns("step_ms", step_ms)?, window).map_err(CoreErr)? })
    }
    /// Feed a mid observed at t_ns.
    fn update(&mut self, t_ns: i64, mid: f64) -> PyResult<()> {
        Ok(self.inner.update(t_ns, mid).map_err(CoreErr)?)
    }
    /// bipower variation per window (NaN until warm)
    #[getter]
    fn bv(&self) -> f64 {
        self.inner.bv()
    }
    /// realised variance per window (NaN until warm)
    #[getter]
    fn rv(&self) -> f64 {
        self.inner.rv()
    }
    #[getter]
    fn step_ns(&self) -> i64 {
        self.inner.step_ns()
    }
    #[getter]
    fn window(&self) -> usize {
        self.inner.window()
    }
    fn __len__(&self) -> usize {
        self.inner.len()
    }
    /// A per-window variance per second.
    fn per_second(&self, variance_per_window: f64) -> f64 {
        self.inner.per_second(variance_per_window)
    }
    /// Annualised volatility (365-day year) from a per-window variance.
    fn annualised_vol(&self, variance_per_window: f64) -> f64 {
        self.inner.annualised_vol(variance_per_window)
    }
    fn __repr__(&self) -> String {
        let v = &self.inner;
        format!(
            "BipowerVol(step={} ms, window={}, returns={}, bv={:.4e}, rv={:.4e})",
            v.step_ns() as f64 / 1e6,
            v.window(),
            v.len(),
            v.bv(),
            v.rv()
        )
    }
}

/// Streaming signed-volume imbalance and arrival rate over a sliding time window.
#[pyclass(name = "TradeWindow", module = "crossbook._core")]
pub struct PyTradeWindow {
    inner: TradeWindow,
}

#[pymethods]
impl PyTradeWindow {
    #[new]
    #[pyo3(signature = (window_ms))]
    fn new(window_ms: f64) -> PyResult<Self> {
        Ok(Self { inner: TradeWindow::new(ms_to_ns("window_ms", window_ms)?).map_err(CoreErr)? })
    }
    /// Add a trade (aggressor +1 buy, -1 sell, 0 unknown).
    fn update(&mut self, t_ns: i64, qty: f64, aggressor: i8) -> PyResult<()> {
        Ok(self.inner.update(t_ns, qty, aggressor).map_err(CoreErr)?)
    }
    /// Move the window to t_ns without a trade.
    fn advance(&mut self, t_ns: i64) -> PyResult<()> {
        Ok(self.inner.advance(t_ns).map_err(CoreErr)?)
    }
    #[getter]
    fn imbalance(&self) -> f64 {
        self.inner.imbalance()
    }
    #[getter]
    fn rate_per_s(&self) -> f64 {
        self.inner.rate_per_s()
    }
    #[getter]
    fn buy_volume(&self) -> f64 {
        self.inner.buy_volume()
    }
    #[getter]
    fn sell_volume(&self) -> f64 {
        self.inner.sell_volume()
    }
    #[getter]
    fn count(&self) -> usize {
        self.inner.count()
    }
    #[getter]
    fn window_ns(&self) -> i64 {
        self.inner.window_ns()
    }
    fn __repr__(&self) -> String {
        let w = &self.inner;
        format!(
            "TradeWindow(window={} ms, trades={}, imbalance={:.4}, rate={:.3}/s)",
            w.window_ns() as f64 / 1e6,
            w.count(),
            w.imbalance(),
            w.rate_per_s()
        )
    }
}

/// Exponentially weighted trade arrival rate (trades/s).
#[pyclass(name = "TradeRateEwma", module = "crossbook._core")]
pub struct PyTradeRateEwma {
    inner: TradeRateEwma,
}

#[pymethods]
impl PyTradeRateEwma {
    #[new]
    #[pyo3(signature = (tau_ms))]
    fn new(tau_ms: f64) -> PyResult<Self> {
        Ok(Self { inner: TradeRateEwma::new(ms_to_ns("tau_ms", tau_ms)?).map_err(CoreErr)? })
    }
    /// Count one trade at t_ns.
    fn update(&mut self, t_ns: i64) -> PyResult<()> {
        Ok(self.inner.update(t_ns).map_err(CoreErr)?)
    }
    /// The rate just after the last trade (trades/s).
    #[getter]
    fn value(&self) -> f64 {
        self.inner.value()
    }
    /// The rate at t_ns (>= the last trade), decayed.
    fn value_at(&self, t_ns: i64) -> PyResult<f64> {
        Ok(self.inner.value_at(t_ns).map_err(CoreErr)?)
    }
    #[getter]
    fn tau_ns(&self) -> i64 {
        self.inner.tau_ns()
    }
    fn __repr__(&self) -> String {
        format!("TradeRateEwma(tau={} ms, rate={:.3}/s)", self.inner.tau_ns() as f64 / 1e6, self.inner.value())
    }
}
