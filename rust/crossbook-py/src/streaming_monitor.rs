//! `LeadLagMonitor` and `SignalHealth`.

use crossbook_core::leadlag::monitor::{LeadLagMonitor, MonitorConfig, SignalHealth};
use numpy::{IntoPyArray, PyArray1};
use pyo3::prelude::*;

use crate::errors::CoreErr;

/// Health level of the lead-lag signal.
#[pyclass(eq, eq_int, hash, frozen, name = "SignalHealth", module = "crossbook._core", rename_all = "UPPERCASE")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PySignalHealth {
    Ok,
    Warning,
    Critical,
}

impl From<&SignalHealth> for PySignalHealth {
    fn from(h: &SignalHealth) -> Self {
        match h {
            SignalHealth::Ok => Self::Ok,
            SignalHealth::Warning(_) => Self::Warning,
            SignalHealth::Critical(_) => Self::Critical,
        }
    }
}

/// R² history with warning / critical floors and a 24 h decay-rate warning.
#[pyclass(name = "LeadLagMonitor", module = "crossbook._core")]
pub struct PyLeadLagMonitor {
    inner: LeadLagMonitor,
}

#[pymethods]
impl PyLeadLagMonitor {
    #[new]
    #[pyo3(signature = (min_r2_warning=0.15, min_r2_critical=0.10, decay_rate_warning=0.10,
        decay_window_ns=86_400_000_000_000, record_interval_ns=60_000_000_000, history_capacity=4096))]
    fn new(
        min_r2_warning: f64,
        min_r2_critical: f64,
        decay_rate_warning: f64,
        decay_window_ns: i64,
        record_interval_ns: i64,
        history_capacity: usize,
    ) -> PyResult<Self> {
        let cfg = MonitorConfig {
            min_r2_warning,
            min_r2_critical,
            decay_rate_warning,
            decay_window_ns,
            record_interval_ns,
            history_capacity,
        };
        Ok(Self { inner: LeadLagMonitor::new(cfg).map_err(CoreErr)? })
    }

    /// Record R² at `ts_ns`; returns whether it was kept (one point per `record_interval_ns`).
    fn record(&mut self, ts_ns: i64, r2: f64) -> PyResult<bool> {
        Ok(self.inner.record(ts_ns, r2).map_err(CoreErr)?)
    }

    /// (SignalHealth, message) for the current R².
    fn check_health(&self, current_r2: f64) -> PyResult<(PySignalHealth, String)> {
        let h = self.inner.check_health(current_r2).map_err(CoreErr)?;
        Ok(((&h).into(), h.message().to_string()))
    }

    /// Relative decay of R² per day over the last window, or None without a full window.
    fn decay_rate(&self) -> Option<f64> {
        self.inner.decay_rate()
    }

    /// The recorded points: (ts_ns int64 array, r2 float64 array).
    fn history<'py>(&self, py: Python<'py>) -> (Bound<'py, PyArray1<i64>>, Bound<'py, PyArray1<f64>>) {
        let h = self.inner.history();
        let ts: Vec<i64> = h.iter().map(|p| p.0).collect();
        let r2: Vec<f64> = h.iter().map(|p| p.1).collect();
        (ts.into_pyarray(py), r2.into_pyarray(py))
    }

    fn __repr__(&self) -> String {
        let c = self.inner.config();
        let h = self.inner.history();
        let last = h.latest().map_or("none".to_string(), |p| format!("{:.3}", p.1));
        let decay = self.inner.decay_rate().map_or("n/a".to_string(), |d| format!("{:.1}%/day", d * 100.0));
        format!(
            "LeadLagMonitor(points {}, last R² {last}, decay {decay}; warning < {}, critical < {}, decay warning > {:.1}%/day)",
            h.len(),
            c.min_r2_warning,
            c.min_r2_critical,
            c.decay_rate_warning * 100.0
        )
    }
}
