//! `RegimeConditionedLeadLag` and the quote-side functions (predict_remaining_move,
//! compute_adjusted_microprice, compute_lead_lag_skew_bps, compute_directional_skew).

use crossbook_core::leadlag::regime::{RegimeConditionedLeadLag, VolatilityRegime};
use crossbook_core::leadlag::skew;
use crossbook_core::leadlag::streaming::{CurrentEstimate, LeadLagEstimator};
use numpy::PyReadonlyArray1;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::errors::CoreErr;
use crate::streaming::{config, curve_dict, direction, estimate_dict, invalid, regime, PyLeadLagEstimator};

/// One streaming estimator per volatility regime; see `crossbook.leadlag_stream`.
#[pyclass(name = "RegimeConditionedLeadLag", module = "crossbook._core")]
pub struct PyRegimeConditionedLeadLag {
    inner: RegimeConditionedLeadLag,
}

impl PyRegimeConditionedLeadLag {
    fn pick(&self, name: Option<&str>) -> PyResult<&LeadLagEstimator> {
        let r = match name {
            Some(s) => regime(s)?,
            None => self.inner.current_regime(),
        };
        Ok(self.inner.estimator(r))
    }
}

#[pymethods]
impl PyRegimeConditionedLeadLag {
    #[new]
    #[pyo3(signature = (vol_thresholds=(1e-4, 3e-4), grid="seed", *, lags_ms=None, return_window_ms=100,
        estimation_interval_ms=1000, min_samples=100, min_pairs=50, window_samples=10_000,
        leader_capacity=65_536, alpha=0.1, initial_lag_ms=200.0, initial_lag_std_ms=100.0,
        initial_beta=0.8, initial_beta_std=0.2))]
    fn new(
        vol_thresholds: (f64, f64),
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
        let inner = RegimeConditionedLeadLag::new(cfg, [vol_thresholds.0, vol_thresholds.1]).map_err(CoreErr)?;
        Ok(Self { inner })
    }

    /// Set the regime from a volatility (fraction per 100 ms); returns its name.
    fn update_regime(&mut self, current_volatility: f64) -> PyResult<&'static str> {
        Ok(self.inner.update_regime(current_volatility).map_err(CoreErr)?.name())
    }

    /// Set the regime by name ("low", "medium", "high").
    fn set_regime(&mut self, name: &str) -> PyResult<()> {
        self.inner.set_regime(regime(name)?);
        Ok(())
    }

    /// A leader price at `ts_ns` (to every regime's estimator).
    fn on_leader_price(&mut self, price: f64, ts_ns: i64) -> PyResult<()> {
        Ok(self.inner.on_leader_price(price, ts_ns).map_err(CoreErr)?)
    }

    /// A follower price at `ts_ns` (to the current regime's estimator).
    fn on_follower_price(&mut self, price: f64, ts_ns: i64) -> PyResult<()> {
        Ok(self.inner.on_follower_price(price, ts_ns).map_err(CoreErr)?)
    }

    /// Both prices at one time (the seed's `on_prices`).
    fn on_prices(&mut self, leader_price: f64, follower_price: f64, ts_ns: i64) -> PyResult<()> {
        Ok(self.inner.on_prices(leader_price, follower_price, ts_ns).map_err(CoreErr)?)
    }

    /// Feed leader, follower and volatility series merged by time (volatility first at equal
    /// times, then leader, then follower); GIL released.
    fn update<'py>(
        &mut self,
        py: Python<'py>,
        leader_ts: PyReadonlyArray1<'py, i64>,
        leader_px: PyReadonlyArray1<'py, f64>,
        follower_ts: PyReadonlyArray1<'py, i64>,
        follower_px: PyReadonlyArray1<'py, f64>,
        vol_ts: PyReadonlyArray1<'py, i64>,
        vol: PyReadonlyArray1<'py, f64>,
    ) -> PyResult<()> {
        let (lt, lp, ft, fp, vt, vv) = (
            leader_ts.as_slice()?,
            leader_px.as_slice()?,
            follower_ts.as_slice()?,
            follower_px.as_slice()?,
            vol_ts.as_slice()?,
            vol.as_slice()?,
        );
        let inner = &mut self.inner;
        py.detach(|| inner.update(lt, lp, ft, fp, vt, vv)).map_err(CoreErr)?;
        Ok(())
    }

    #[getter]
    fn current_regime(&self) -> &'static str {
        self.inner.current_regime().name()
    }

    #[getter]
    fn vol_thresholds(&self) -> (f64, f64) {
        let [a, b] = self.inner.vol_thresholds();
        (a, b)
    }

    /// (lag ms, beta, R²) of the current regime (the seed's `get_current_estimate`).
    fn get_current_estimate(&self) -> (f64, f64, f64) {
        let c = self.inner.get_current_estimate();
        (c.lag_ms, c.beta, c.r_squared)
    }

    /// Smoothed estimate of a regime (default: the current one) and direction, as a dict.
    #[pyo3(signature = (regime=None, direction="all"))]
    fn current_estimate<'py>(
        &self,
        py: Python<'py>,
        regime: Option<&str>,
        direction: &str,
    ) -> PyResult<Bound<'py, PyDict>> {
        estimate_dict(py, self.pick(regime)?.estimate_for(self::direction(direction)?))
    }

    /// Per-lag fits of a regime's latest re-estimation.
    #[pyo3(signature = (regime=None, direction="all"))]
    fn curve<'py>(&self, py: Python<'py>, regime: Option<&str>, direction: &str) -> PyResult<Bound<'py, PyDict>> {
        curve_dict(py, self.pick(regime)?, self::direction(direction)?)
    }

    /// Follower returns formed in a regime (default: the current one).
    #[pyo3(signature = (regime=None))]
    fn sample_count(&self, regime: Option<&str>) -> PyResult<u64> {
        Ok(self.pick(regime)?.sample_count())
    }

    /// Follower move still to come (fraction) given a leader move, from the current regime.
    fn predict_remaining_move(&self, leader_return: f64, time_since_leader_move_ms: f64) -> PyResult<f64> {
        Ok(self.inner.predict_remaining_move(leader_return, time_since_leader_move_ms).map_err(CoreErr)?)
    }

    fn __repr__(&self) -> String {
        let mut parts = Vec::new();
        for r in VolatilityRegime::ALL {
            let e = self.inner.estimator(r);
            parts.push(format!(
                "{}: lag {:.1} ms, beta {:.3}, R² {:.3}, n {}",
                r.name(),
                e.lag_estimate_ms(),
                e.beta_estimate(),
                e.r_squared(),
                e.window_len()
            ));
        }
        let [a, b] = self.inner.vol_thresholds();
        format!(
            "RegimeConditionedLeadLag(current {}, thresholds [{a}, {b}]; {})",
            self.inner.current_regime().name(),
            parts.join("; ")
        )
    }
}

/// Where a quote-side function takes its (lag, β, R²): an estimator, a regime-conditioned one
/// (its current regime), or a tuple `(lag_ms, beta, r_squared)`.
fn estimate_from(obj: &Bound<'_, PyAny>, leader_return: f64, directional: bool) -> PyResult<CurrentEstimate> {
    let pick = |e: &LeadLagEstimator| {
        if directional {
            e.current_for_move(leader_return)
        } else {
            e.current()
        }
    };
    if let Ok(e) = obj.cast::<PyLeadLagEstimator>() {
        return Ok(pick(&e.borrow().inner));
    }
    if let Ok(r) = obj.cast::<PyRegimeConditionedLeadLag>() {
        let r = r.borrow();
        return Ok(pick(r.inner.estimator(r.inner.current_regime())));
    }
    if let Ok((lag_ms, beta, r_squared)) = obj.extract::<(f64, f64, f64)>() {
        return Ok(CurrentEstimate { lag_ms, beta, r_squared });
    }
    Err(invalid(format!(
        "estimate must be a LeadLagEstimator, a RegimeConditionedLeadLag or a (lag_ms, beta, r_squared) tuple, got {}",
        obj.get_type().name().map_or_else(|_| "?".to_string(), |n| n.to_string())
    )))
}

/// Follower move still to come (fraction): β·r·(1 − t/lag)·sqrt(R²) while t < lag, 0 if R² < 0.1.
/// `directional` uses the up- or down-move estimate for the sign of `leader_return`.
#[pyfunction]
#[pyo3(signature = (estimate, leader_return, time_since_leader_move_ms, directional=false))]
pub fn predict_remaining_move(
    estimate: &Bound<'_, PyAny>,
    leader_return: f64,
    time_since_leader_move_ms: f64,
    directional: bool,
) -> PyResult<f64> {
    let e = estimate_from(estimate, leader_return, directional)?;
    Ok(skew::predict_remaining_move(&e, leader_return, time_since_leader_move_ms).map_err(CoreErr)?)
}

/// Local microprice times (1 + predicted remaining move).
#[pyfunction]
#[pyo3(signature = (local_microprice, estimate, leader_return, time_since_leader_move_ms, directional=false))]
pub fn compute_adjusted_microprice(
    local_microprice: f64,
    estimate: &Bound<'_, PyAny>,
    leader_return: f64,
    time_since_leader_move_ms: f64,
    directional: bool,
) -> PyResult<f64> {
    let e = estimate_from(estimate, leader_return, directional)?;
    Ok(skew::compute_adjusted_microprice(local_microprice, &e, leader_return, time_since_leader_move_ms)
        .map_err(CoreErr)?)
}

/// Quote skew in bp: sign(r)·|r|·1e4·sqrt(R²)·(1 − t/lag)·0.5, capped at ±max_skew_bps; 0 when
/// R² < 0.2 or t >= lag.
#[pyfunction]
#[pyo3(signature = (estimate, leader_return, time_since_leader_move_ms, max_skew_bps=5.0, directional=false))]
pub fn compute_lead_lag_skew_bps(
    estimate: &Bound<'_, PyAny>,
    leader_return: f64,
    time_since_leader_move_ms: f64,
    max_skew_bps: f64,
    directional: bool,
) -> PyResult<f64> {
    let e = estimate_from(estimate, leader_return, directional)?;
    Ok(skew::compute_lead_lag_skew_bps(&e, leader_return, time_since_leader_move_ms, max_skew_bps).map_err(CoreErr)?)
}

/// Directional skew in bp: base + sign(move)·R²·full_confidence_bps while t < lag, else base.
#[pyfunction]
#[pyo3(signature = (estimate, leader_move, time_since_leader_move_ms, base_skew_bps=0.0,
    full_confidence_bps=2.0, directional=false))]
pub fn compute_directional_skew(
    estimate: &Bound<'_, PyAny>,
    leader_move: f64,
    time_since_leader_move_ms: f64,
    base_skew_bps: f64,
    full_confidence_bps: f64,
    directional: bool,
) -> PyResult<f64> {
    let e = estimate_from(estimate, leader_move, directional)?;
    Ok(skew::compute_directional_skew(&e, leader_move, time_since_leader_move_ms, base_skew_bps, full_confidence_bps)
        .map_err(CoreErr)?)
}
