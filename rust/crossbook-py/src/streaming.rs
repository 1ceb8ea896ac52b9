//! Streaming lead-lag (crossbook.leadlag_stream): `LeadLagEstimator`, `RegimeConditionedLeadLag`,
//! `LeadLagMonitor`, `SignalHealth` and the quote-side skew functions (the last ones in
//! `streaming_regime.rs` and `streaming_monitor.rs`).
//!
//! Times are int64 ns, prices any positive unit (logs are taken), lags and times since a leader move
//! are ms (as the seed), skews bp. Bad ticks raise `crossbook.InvalidInputError`.

use crossbook_core::leadlag::lagfit::{Direction, LagEstimate, LagFit};
use crossbook_core::leadlag::regime::VolatilityRegime;
use crossbook_core::leadlag::streaming::{fine_lags_ms, EstimateRecord, LeadLagConfig, LeadLagEstimator, SEED_LAGS_MS};
use crossbook_core::CoreError;
use numpy::{IntoPyArray, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::errors::CoreErr;

pub(crate) fn invalid(msg: String) -> PyErr {
    CoreErr(CoreError::InvalidInput(msg)).into()
}

pub(crate) fn direction(s: &str) -> PyResult<Direction> {
    Direction::parse(s).ok_or_else(|| invalid(format!("direction must be 'all', 'up' or 'down', got {s:?}")))
}

pub(crate) fn regime(s: &str) -> PyResult<VolatilityRegime> {
    VolatilityRegime::parse(s).ok_or_else(|| invalid(format!("regime must be 'low', 'medium' or 'high', got {s:?}")))
}

/// The estimator configuration from Python keywords; `grid` is "seed" (11 lags) or "fine"
/// (−100..=500 ms every 10 ms), overridden by an explicit `lags_ms`.
pub(crate) fn config(
    grid: &str,
    lags_ms: Option<Vec<i64>>,
    return_window_ms: i64,
    estimation_interval_ms: i64,
    min_samples: usize,
    min_pairs: usize,
    window_samples: usize,
    leader_capacity: usize,
    alpha: f64,
    initial: (f64, f64, f64, f64),
) -> PyResult<LeadLagConfig> {
    let grid_lags = match grid {
        "seed" => SEED_LAGS_MS.to_vec(),
        "fine" => fine_lags_ms(),
        _ => return Err(invalid(format!("grid must be 'seed' or 'fine', got {grid:?}"))),
    };
    Ok(LeadLagConfig {
        lags_ms: lags_ms.unwrap_or(grid_lags),
        return_window_ms,
        estimation_interval_ms,
        min_samples,
        min_pairs,
        window_samples,
        leader_capacity,
        alpha,
        initial_lag_ms: initial.0,
        initial_lag_std_ms: initial.1,
        initial_beta: initial.2,
        initial_beta_std: initial.3,
    })
}

/// A smoothed estimate as a dict (the latest unsmoothed best fit under `best_*`, NaN before one).
pub(crate) fn estimate_dict<'py>(py: Python<'py>, e: &LagEstimate) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("lag_ms", e.lag_ms)?;
    d.set_item("lag_std_ms", e.lag_std_ms)?;
    d.set_item("beta", e.beta)?;
    d.set_item("beta_std", e.beta_std)?;
    d.set_item("r_squared", e.r_squared)?;
    let nan = f64::NAN;
    let best = e.last;
    d.set_item("best_lag_ms", best.map_or(nan, |b| b.lag_ms as f64))?;
    d.set_item("best_beta", best.map_or(nan, |b| b.beta))?;
    d.set_item("best_beta_se", best.map_or(nan, |b| b.beta_se))?;
    d.set_item("best_r_squared", best.map_or(nan, |b| b.r_squared))?;
    d.set_item("best_n", best.map_or(0, |b| b.n))?;
    d.set_item("n_estimates", e.n_estimates)?;
    Ok(d)
}

/// Per-lag fits as numpy arrays (NaN and n = 0 where a lag had no fit).
pub(crate) fn curve_dict<'py>(py: Python<'py>, e: &LeadLagEstimator, d: Direction) -> PyResult<Bound<'py, PyDict>> {
    let fits = e.curve(d);
    let nan = f64::NAN;
    let out = PyDict::new(py);
    out.set_item("lag_ms", e.config().lags_ms.clone().into_pyarray(py))?;
    let n: Vec<i64> = fits.iter().map(|f| f.map_or(0, |f| f.n as i64)).collect();
    out.set_item("n", n.into_pyarray(py))?;
    for (name, get) in
        [("beta", (|f| f.beta) as fn(&LagFit) -> f64), ("beta_se", |f| f.beta_se), ("r_squared", |f| f.r_squared)]
    {
        let v: Vec<f64> = fits.iter().map(|f| f.as_ref().map_or(nan, get)).collect();
        out.set_item(name, v.into_pyarray(py))?;
    }
    Ok(out)
}

/// Reads one number off an estimate.
type Field = fn(&LagEstimate) -> f64;

/// Re-estimation records as columns: ts_ns, n_samples, then `{all,up,down}_{lag_ms, lag_std_ms,
/// beta, beta_std, r_squared, best_lag_ms, best_r_squared}`.
fn records_dict<'py>(py: Python<'py>, recs: &[EstimateRecord]) -> PyResult<Bound<'py, PyDict>> {
    let out = PyDict::new(py);
    out.set_item("ts_ns", recs.iter().map(|r| r.ts_ns).collect::<Vec<_>>().into_pyarray(py))?;
    out.set_item("n_samples", recs.iter().map(|r| r.n_samples as i64).collect::<Vec<_>>().into_pyarray(py))?;
    let fields: [(&str, Field); 7] = [
        ("lag_ms", |e| e.lag_ms),
        ("lag_std_ms", |e| e.lag_std_ms),
        ("beta", |e| e.beta),
        ("beta_std", |e| e.beta_std),
        ("r_squared", |e| e.r_squared),
        ("best_lag_ms", |e| e.last.map_or(f64::NAN, |b| b.lag_ms as f64)),
        ("best_r_squared", |e| e.last.map_or(f64::NAN, |b| b.r_squared)),
    ];
    for d in Direction::ALL {
        for (name, get) in fields {
            let v: Vec<f64> = recs.iter().map(|r| get(&r.estimates[d.index()])).collect();
            out.set_item(format!("{}_{name}", d.name()), v.into_pyarray(py))?;
        }
    }
    Ok(out)
}

pub(crate) fn estimator_repr(e: &LeadLagEstimator) -> String {
    let lags = &e.config().lags_ms;
    let (lo, hi) = (lags.first().copied().unwrap_or(0), lags.last().copied().unwrap_or(0));
    let up = e.estimate_for(Direction::Up);
    let down = e.estimate_for(Direction::Down);
    format!(
        "lags {} in [{lo}, {hi}] ms, window {}/{}, lag {:.1}±{:.1} ms, beta {:.3}±{:.3}, R² {:.3}, \
         up lag {:.1} ms, down lag {:.1} ms, estimates {}",
        lags.len(),
        e.window_len(),
        e.config().window_samples,
        e.lag_estimate_ms(),
        e.lag_estimate_std(),
        e.beta_estimate(),
        e.beta_estimate_std(),
        e.r_squared(),
        up.lag_ms,
        down.lag_ms,
        e.estimate_for(Direction::All).n_estimates,
    )
}

/// Streaming lead-lag estimator (seeds/lead-lag-skill.md); see `crossbook.leadlag_stream`.
#[pyclass(name = "LeadLagEstimator", module = "crossbook._core")]
pub struct PyLeadLagEstimator {
    pub(crate) inner: LeadLagEstimator,
}

#[pymethods]
impl PyLeadLagEstimator {
    #[new]
    #[pyo3(signature = (grid="seed", *, lags_ms=None, return_window_ms=100, estimation_interval_ms=1000,
        min_samples=100, min_pairs=50, window_samples=10_000, leader_capacity=65_536, alpha=0.1,
        initial_lag_ms=200.0, initial_lag_std_ms=100.0, initial_beta=0.8, initial_beta_std=0.2))]
    fn new(
        grid: &str,
        lags_ms: Option<Vec<i64>>,
        return_window_ms: i64,
        estimation_interval_ms: i64,
        min_samples: usize,
        min_pairs: usize,
        window_samples: usize,
        leader_capacity: usize,
        alpha: f64,
        initial_lag_ms: f64,
        initial_lag_std_ms: f64,
        initial_beta: f64,
        initial_beta_std: f64,
    ) -> PyResult<Self> {
        let cfg = config(
            grid,
            lags_ms,
            return_window_ms,
            estimation_interval_ms,
            min_samples,
            min_pairs,
            window_samples,
            leader_capacity,
            alpha,
            (initial_lag_ms, initial_lag_std_ms, initial_beta, initial_beta_std),
        )?;
        Ok(Self { inner: LeadLagEstimator::new(cfg).map_err(CoreErr)? })
    }

    /// A leader price at `ts_ns`.
    fn on_leader_price(&mut self, price: f64, ts_ns: i64) -> PyResult<()> {
        Ok(self.inner.on_leader_price(price, ts_ns).map_err(CoreErr)?)
    }

    /// A follower price at `ts_ns`.
    fn on_follower_price(&mut self, price: f64, ts_ns: i64) -> PyResult<()> {
        Ok(self.inner.on_follower_price(price, ts_ns).map_err(CoreErr)?)
    }

    /// Feed both streams (each sorted by time), merged by time; GIL released. Returns the
    /// re-estimations made during the call as a dict of numpy columns.
    fn update<'py>(
        &mut self,
        py: Python<'py>,
        leader_ts: PyReadonlyArray1<'py, i64>,
        leader_px: PyReadonlyArray1<'py, f64>,
        follower_ts: PyReadonlyArray1<'py, i64>,
        follower_px: PyReadonlyArray1<'py, f64>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let (lt, lp, ft, fp) =
            (leader_ts.as_slice()?, leader_px.as_slice()?, follower_ts.as_slice()?, follower_px.as_slice()?);
        let inner = &mut self.inner;
        let (res, recs) = py.detach(|| {
            inner.set_record(true);
            let r = inner.update(lt, lp, ft, fp);
            let recs = inner.take_records();
            inner.set_record(false);
            (r, recs)
        });
        res.map_err(CoreErr)?;
        records_dict(py, &recs)
    }

    /// Re-estimate now (ignoring the interval); False when fewer than `min_samples` rows are held.
    fn estimate(&mut self) -> bool {
        self.inner.estimate()
    }

    /// Start follower returns afresh at the next follower tick.
    fn reset_follower(&mut self) {
        self.inner.reset_follower();
    }

    /// (lag ms, beta, R²) of all moves (the seed's `get_current_estimate`).
    fn get_current_estimate(&self) -> (f64, f64, f64) {
        let c = self.inner.current();
        (c.lag_ms, c.beta, c.r_squared)
    }

    /// Smoothed estimate of a direction ("all", "up", "down") as a dict.
    #[pyo3(signature = (direction="all"))]
    fn current_estimate<'py>(&self, py: Python<'py>, direction: &str) -> PyResult<Bound<'py, PyDict>> {
        estimate_dict(py, self.inner.estimate_for(self::direction(direction)?))
    }

    /// Per-lag fits of the latest re-estimation (lag_ms, n, beta, beta_se, r_squared arrays).
    #[pyo3(signature = (direction="all"))]
    fn curve<'py>(&self, py: Python<'py>, direction: &str) -> PyResult<Bound<'py, PyDict>> {
        curve_dict(py, &self.inner, self::direction(direction)?)
    }

    #[getter]
    fn lags_ms(&self) -> Vec<i64> {
        self.inner.config().lags_ms.clone()
    }
    #[getter]
    fn lag_estimate_ms(&self) -> f64 {
        self.inner.lag_estimate_ms()
    }
    #[getter]
    fn lag_estimate_std(&self) -> f64 {
        self.inner.lag_estimate_std()
    }
    #[getter]
    fn beta_estimate(&self) -> f64 {
        self.inner.beta_estimate()
    }
    #[getter]
    fn beta_estimate_std(&self) -> f64 {
        self.inner.beta_estimate_std()
    }
    #[getter]
    fn r_squared(&self) -> f64 {
        self.inner.r_squared()
    }
    #[getter]
    fn sample_count(&self) -> u64 {
        self.inner.sample_count()
    }
    #[getter]
    fn window_len(&self) -> usize {
        self.inner.window_len()
    }
    #[getter]
    fn dropped(&self) -> u64 {
        self.inner.dropped()
    }
    #[getter]
    fn pending(&self) -> usize {
        self.inner.pending()
    }

    fn __repr__(&self) -> String {
        format!("LeadLagEstimator({})", estimator_repr(&self.inner))
    }
}
