//! The seed's full fill-intensity model (`FillIntensityModel`) and `intensity_to_kappa`
//! (crossbook.models.hawkes).

use crossbook_core::models::hawkes_ext::fill::{intensity_to_kappa, FillIntensityModel, MarketState, TradeMark};
use numpy::PyReadonlyArray1;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::errors::CoreErr;

/// The seed's full fill-intensity model (see `crossbook.models.hawkes.FillIntensityModel`).
#[pyclass(name = "FillIntensityModel", module = "crossbook._core")]
pub struct PyFillIntensityModel {
    inner: FillIntensityModel,
}

fn state(funding_rate: f64, oi_change_rate: f64, time_to_settlement_h: f64, regime: usize) -> PyResult<MarketState> {
    finite(&[
        ("funding_rate", funding_rate),
        ("oi_change_rate", oi_change_rate),
        ("time_to_settlement_h", time_to_settlement_h),
    ])?;
    Ok(MarketState { funding_rate, oi_change_rate, time_to_settlement_h, regime })
}

/// Every named argument must be finite (a NaN would otherwise come back as the answer).
fn finite(args: &[(&str, f64)]) -> PyResult<()> {
    match args.iter().find(|(_, v)| !v.is_finite()) {
        Some((name, v)) => {
            Err(CoreErr(crossbook_core::CoreError::InvalidInput(format!("{name} must be finite (got {v})"))).into())
        }
        None => Ok(()),
    }
}

#[pymethods]
impl PyFillIntensityModel {
    #[new]
    #[pyo3(signature = (*, mu_0=1.0, w_funding=0.0, w_oi_change=0.0, w_time_to_settlement=0.0, settlement_period_h=8.0,
        alpha_base=0.3, alpha_size_power=0.5, alpha_same_side_mult=1.875, alpha_aggressor_mult=1.2, size_cap=3.0,
        median_trade_size=1.0, mean_mark_multiplier=1.0, beta_time=1.0, beta_queue_sensitivity=0.5,
        typical_queue=1.0, regime_multipliers=[1.0, 1.0, 1.0, 1.0], depth_decay_per_bp=0.5))]
    fn new(
        mu_0: f64,
        w_funding: f64,
        w_oi_change: f64,
        w_time_to_settlement: f64,
        settlement_period_h: f64,
        alpha_base: f64,
        alpha_size_power: f64,
        alpha_same_side_mult: f64,
        alpha_aggressor_mult: f64,
        size_cap: f64,
        median_trade_size: f64,
        mean_mark_multiplier: f64,
        beta_time: f64,
        beta_queue_sensitivity: f64,
        typical_queue: f64,
        regime_multipliers: [f64; 4],
        depth_decay_per_bp: f64,
    ) -> PyResult<Self> {
        let inner = FillIntensityModel {
            mu_0,
            w_funding,
            w_oi_change,
            w_time_to_settlement,
            settlement_period_h,
            alpha_base,
            alpha_size_power,
            alpha_same_side_mult,
            alpha_aggressor_mult,
            size_cap,
            median_trade_size,
            mean_mark_multiplier,
            beta_time,
            beta_queue_sensitivity,
            typical_queue,
            regime_multipliers,
            depth_decay_per_bp,
        };
        inner.validate().map_err(CoreErr)?;
        Ok(Self { inner })
    }

    /// State-dependent baseline μ(t), trades per second.
    #[pyo3(signature = (funding_rate=0.0, oi_change_rate=0.0, time_to_settlement_h=0.0, regime=0))]
    fn baseline(
        &self,
        funding_rate: f64,
        oi_change_rate: f64,
        time_to_settlement_h: f64,
        regime: usize,
    ) -> PyResult<f64> {
        Ok(self.inner.baseline(&state(funding_rate, oi_change_rate, time_to_settlement_h, regime)?))
    }

    /// Excitation at t from past trades (arrays of equal length), trades per second.
    fn excitation_at(
        &self,
        t: f64,
        trade_t: PyReadonlyArray1<'_, f64>,
        size: PyReadonlyArray1<'_, f64>,
        same_side: PyReadonlyArray1<'_, bool>,
        aggressor: PyReadonlyArray1<'_, bool>,
        queue_consumed_since: PyReadonlyArray1<'_, f64>,
    ) -> PyResult<f64> {
        let (tt, s, ss, ag, q) = (
            trade_t.as_slice()?,
            size.as_slice()?,
            same_side.as_slice()?,
            aggressor.as_slice()?,
            queue_consumed_since.as_slice()?,
        );
        finite(&[("t", t)])?;
        if tt.iter().chain(s).chain(q).any(|v| !v.is_finite()) {
            return Err(CoreErr(crossbook_core::CoreError::InvalidInput(
                "trade times, sizes and queue values must be finite".into(),
            ))
            .into());
        }
        if [s.len(), ss.len(), ag.len(), q.len()].iter().any(|&l| l != tt.len()) {
            return Err(CoreErr(crossbook_core::CoreError::InvalidInput(
                "trade arrays must have equal lengths".into(),
            ))
            .into());
        }
        let trades: Vec<TradeMark> = (0..tt.len())
            .map(|i| TradeMark { t: tt[i], size: s[i], same_side: ss[i], aggressor: ag[i], queue_consumed_since: q[i] })
            .collect();
        Ok(self.inner.excitation_at(t, &trades))
    }

    /// Expected fills in [t0, t1] s ahead for a quote depth_bps from the mid.
    #[pyo3(signature = (t0, t1, depth_bps, excitation=0.0, funding_rate=0.0, oi_change_rate=0.0,
        time_to_settlement_h=0.0, regime=0))]
    fn expected_fills_in_window(
        &self,
        t0: f64,
        t1: f64,
        depth_bps: f64,
        excitation: f64,
        funding_rate: f64,
        oi_change_rate: f64,
        time_to_settlement_h: f64,
        regime: usize,
    ) -> PyResult<f64> {
        let s = state(funding_rate, oi_change_rate, time_to_settlement_h, regime)?;
        finite(&[("t0", t0), ("t1", t1), ("depth_bps", depth_bps), ("excitation", excitation)])?;
        Ok(self.inner.expected_fills_in_window(t0, t1, depth_bps, excitation, &s))
    }

    /// The seed's intensity_to_kappa (per unit of relative price, floor 100).
    #[pyo3(signature = (reference_depth_bps, excitation=0.0, funding_rate=0.0, oi_change_rate=0.0,
        time_to_settlement_h=0.0, regime=0))]
    fn kappa(
        &self,
        reference_depth_bps: f64,
        excitation: f64,
        funding_rate: f64,
        oi_change_rate: f64,
        time_to_settlement_h: f64,
        regime: usize,
    ) -> PyResult<f64> {
        let s = state(funding_rate, oi_change_rate, time_to_settlement_h, regime)?;
        Ok(intensity_to_kappa(&self.inner, &s, excitation, reference_depth_bps).map_err(CoreErr)?)
    }

    /// Every parameter by name.
    fn params<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let m = &self.inner;
        let d = PyDict::new(py);
        for (k, v) in [
            ("mu_0", m.mu_0),
            ("w_funding", m.w_funding),
            ("w_oi_change", m.w_oi_change),
            ("w_time_to_settlement", m.w_time_to_settlement),
            ("settlement_period_h", m.settlement_period_h),
            ("alpha_base", m.alpha_base),
            ("alpha_size_power", m.alpha_size_power),
            ("alpha_same_side_mult", m.alpha_same_side_mult),
            ("alpha_aggressor_mult", m.alpha_aggressor_mult),
            ("size_cap", m.size_cap),
            ("median_trade_size", m.median_trade_size),
            ("mean_mark_multiplier", m.mean_mark_multiplier),
            ("beta_time", m.beta_time),
            ("beta_queue_sensitivity", m.beta_queue_sensitivity),
            ("typical_queue", m.typical_queue),
            ("depth_decay_per_bp", m.depth_decay_per_bp),
        ] {
            d.set_item(k, v)?;
        }
        d.set_item("regime_multipliers", m.regime_multipliers.to_vec())?;
        Ok(d)
    }

    fn __repr__(&self) -> String {
        let m = &self.inner;
        format!(
            "FillIntensityModel(mu_0={}, alpha_base={}, beta_time={}, depth_decay_per_bp={}, \
             beta_queue_sensitivity={})",
            m.mu_0, m.alpha_base, m.beta_time, m.depth_decay_per_bp, m.beta_queue_sensitivity
        )
    }
}
