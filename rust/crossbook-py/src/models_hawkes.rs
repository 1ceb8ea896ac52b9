//! Hawkes fill intensity (crossbook.models.hawkes): fits (GIL released), simulators, the online
//! `HawkesIntensity` and the time-rescaling test. The seed's full model is in `models_fill`.

use crossbook_core::models::hawkes::{check_times, fit_hawkes_exp, HawkesExp, HawkesIntensity};
use crossbook_core::models::hawkes_ext::baseline::{
    fit_state_baseline, simulate_state_baseline, Covariates, StateBaseline,
};
use crossbook_core::models::hawkes_ext::marks::{fit_marked, simulate_marked, MarkDist, MarkedParams, Marks};
use crossbook_core::models::hawkes_ext::queue::{fit_queue, simulate_queue, QueueParams, QueuePath};
use crossbook_core::models::hawkes_ext::ExtFit;
use crossbook_core::models::hawkes_gof::ks_exp1;
use crossbook_core::models::hawkes_sim::simulate_hawkes_exp;
use numpy::{IntoPyArray, PyArray1, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::errors::CoreErr;

type F64Array<'py> = Bound<'py, PyArray1<f64>>;
type BoolArray<'py> = Bound<'py, PyArray1<bool>>;

fn params(mu: f64, alpha: f64, beta: f64) -> PyResult<HawkesExp> {
    Ok(HawkesExp::new(mu, alpha, beta).map_err(CoreErr)?)
}

/// Exponential Hawkes MLE: dict(mu, alpha = branching ratio, beta, loglik, std_err, ks_stat, ks_pvalue, …).
#[pyfunction]
#[pyo3(signature = (times_s, horizon_s, beta=None, gof=true))]
pub fn hawkes_fit_exp<'py>(
    py: Python<'py>,
    times_s: PyReadonlyArray1<'py, f64>,
    horizon_s: f64,
    beta: Option<f64>,
    gof: bool,
) -> PyResult<Bound<'py, PyDict>> {
    let t = times_s.as_slice()?;
    let (fit, ks) = py
        .detach(|| {
            let fit = fit_hawkes_exp(t, horizon_s, beta)?;
            let ks = if gof { Some(ks_exp1(&fit.params.compensator_increments(t))?) } else { None };
            Ok::<_, crossbook_core::CoreError>((fit, ks))
        })
        .map_err(CoreErr)?;
    let d = PyDict::new(py);
    d.set_item("mu", fit.params.mu)?;
    d.set_item("alpha", fit.params.branching)?;
    d.set_item("beta", fit.params.beta)?;
    d.set_item("kernel_alpha", fit.params.kernel_alpha())?;
    d.set_item("loglik", fit.loglik)?;
    d.set_item("n_events", fit.n_events)?;
    d.set_item("horizon_s", fit.horizon)?;
    d.set_item("iterations", fit.iterations)?;
    d.set_item("converged", fit.converged)?;
    d.set_item("fixed_beta", fit.fixed_beta)?;
    let se = PyDict::new(py);
    se.set_item("mu", fit.std_err[0])?;
    se.set_item("alpha", fit.std_err[1])?;
    se.set_item("beta", fit.std_err[2])?;
    d.set_item("std_err", se)?;
    if let Some(ks) = ks {
        d.set_item("ks_stat", ks.statistic)?;
        d.set_item("ks_pvalue", ks.p_value)?;
    }
    Ok(d)
}

/// Log-likelihood of exponential Hawkes parameters (alpha = branching ratio).
#[pyfunction]
pub fn hawkes_loglik(
    times_s: PyReadonlyArray1<'_, f64>,
    horizon_s: f64,
    mu: f64,
    alpha: f64,
    beta: f64,
) -> PyResult<f64> {
    let t = times_s.as_slice()?;
    check_times(t, horizon_s).map_err(CoreErr)?;
    Ok(params(mu, alpha, beta)?.loglik(t, horizon_s))
}

/// Time-rescaling KS test: (ks_stat, p_value, rescaled increments).
#[pyfunction]
pub fn hawkes_gof<'py>(
    py: Python<'py>,
    times_s: PyReadonlyArray1<'py, f64>,
    horizon_s: f64,
    mu: f64,
    alpha: f64,
    beta: f64,
) -> PyResult<(f64, f64, F64Array<'py>)> {
    let t = times_s.as_slice()?;
    let p = params(mu, alpha, beta)?;
    let (ks, tau) = py
        .detach(|| {
            check_times(t, horizon_s)?;
            let tau = p.compensator_increments(t);
            Ok::<_, crossbook_core::CoreError>((ks_exp1(&tau)?, tau))
        })
        .map_err(CoreErr)?;
    Ok((ks.statistic, ks.p_value, tau.into_pyarray(py)))
}

/// Ogata-thinning simulation of an exponential Hawkes process on [0, horizon_s].
#[pyfunction]
pub fn hawkes_simulate_exp<'py>(
    py: Python<'py>,
    mu: f64,
    alpha: f64,
    beta: f64,
    horizon_s: f64,
    seed: u64,
) -> PyResult<F64Array<'py>> {
    let p = params(mu, alpha, beta)?;
    let t = py.detach(|| simulate_hawkes_exp(&p, horizon_s, seed)).map_err(CoreErr)?;
    Ok(t.into_pyarray(py))
}

fn ext_dict<'py>(py: Python<'py>, fit: &ExtFit) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    let se = PyDict::new(py);
    for ((n, v), s) in fit.names.iter().zip(&fit.values).zip(&fit.std_err) {
        d.set_item(n, v)?;
        se.set_item(n, s)?;
    }
    d.set_item("std_err", se)?;
    d.set_item("loglik", fit.loglik)?;
    d.set_item("n_events", fit.n_events)?;
    d.set_item("iterations", fit.iterations)?;
    d.set_item("converged", fit.converged)?;
    d.set_item("ks_stat", fit.ks.statistic)?;
    d.set_item("ks_pvalue", fit.ks.p_value)?;
    Ok(d)
}

fn covariates(times: &[f64], values: &PyReadonlyArray2<'_, f64>, names: Vec<String>) -> PyResult<Covariates> {
    let arr = values.as_array();
    let shape = arr.shape();
    if shape[0] != times.len() || shape[1] != names.len() {
        return Err(CoreErr(crossbook_core::CoreError::InvalidInput(format!(
            "covariate values must be {} × {} (samples × names), got {} × {}",
            times.len(),
            names.len(),
            shape[0],
            shape[1]
        )))
        .into());
    }
    let v: Vec<f64> = arr.iter().copied().collect();
    Ok(Covariates::new(times.to_vec(), v, names).map_err(CoreErr)?)
}

/// Extension 1 fit: dict(mu0, w_<name>…, alpha, beta, std_err, loglik, ks_stat, ks_pvalue, …).
#[pyfunction]
pub fn hawkes_fit_state_baseline<'py>(
    py: Python<'py>,
    times_s: PyReadonlyArray1<'py, f64>,
    horizon_s: f64,
    cov_times_s: PyReadonlyArray1<'py, f64>,
    cov_values: PyReadonlyArray2<'py, f64>,
    names: Vec<String>,
) -> PyResult<Bound<'py, PyDict>> {
    let cov = covariates(cov_times_s.as_slice()?, &cov_values, names)?;
    let t = times_s.as_slice()?;
    let fit = py.detach(|| fit_state_baseline(t, horizon_s, &cov)).map_err(CoreErr)?;
    ext_dict(py, &fit)
}

/// Extension 1 simulation along given covariates.
#[pyfunction]
pub fn hawkes_simulate_state_baseline<'py>(
    py: Python<'py>,
    mu0: f64,
    weights: Vec<f64>,
    alpha: f64,
    beta: f64,
    cov_times_s: PyReadonlyArray1<'py, f64>,
    cov_values: PyReadonlyArray2<'py, f64>,
    horizon_s: f64,
    seed: u64,
) -> PyResult<F64Array<'py>> {
    let names = (0..weights.len()).map(|i| format!("z{i}")).collect();
    let cov = covariates(cov_times_s.as_slice()?, &cov_values, names)?;
    params(mu0, alpha, beta)?;
    let p = StateBaseline { mu0, weights, branching: alpha, beta };
    let t = py.detach(|| simulate_state_baseline(&p, &cov, horizon_s, seed)).map_err(CoreErr)?;
    Ok(t.into_pyarray(py))
}

/// Extension 2 fit: dict(mu, alpha, size_power, same_side_mult, aggressor_mult, beta, branching, …).
#[pyfunction]
#[pyo3(signature = (times_s, horizon_s, size, same_side, aggressor, median_size=None, size_cap=3.0))]
pub fn hawkes_fit_marked<'py>(
    py: Python<'py>,
    times_s: PyReadonlyArray1<'py, f64>,
    horizon_s: f64,
    size: PyReadonlyArray1<'py, f64>,
    same_side: PyReadonlyArray1<'py, bool>,
    aggressor: PyReadonlyArray1<'py, bool>,
    median_size: Option<f64>,
    size_cap: f64,
) -> PyResult<Bound<'py, PyDict>> {
    let t = times_s.as_slice()?;
    let marks = Marks { size: size.as_slice()?, same_side: same_side.as_slice()?, aggressor: aggressor.as_slice()? };
    let fit = py.detach(|| fit_marked(t, horizon_s, marks, median_size, size_cap)).map_err(CoreErr)?;
    ext_dict(py, &fit)
}

/// Extension 2 simulation with i.i.d. marks: (times, sizes, same_side, aggressor).
#[pyfunction]
#[pyo3(signature = (mu, alpha, beta, horizon_s, seed, size_power=0.5, same_side_mult=1.875, aggressor_mult=1.2,
    median_size=1.0, size_cap=3.0, size_sigma=0.8, p_same_side=0.5, p_aggressor=0.5))]
pub fn hawkes_simulate_marked<'py>(
    py: Python<'py>,
    mu: f64,
    alpha: f64,
    beta: f64,
    horizon_s: f64,
    seed: u64,
    size_power: f64,
    same_side_mult: f64,
    aggressor_mult: f64,
    median_size: f64,
    size_cap: f64,
    size_sigma: f64,
    p_same_side: f64,
    p_aggressor: f64,
) -> PyResult<(F64Array<'py>, F64Array<'py>, BoolArray<'py>, BoolArray<'py>)> {
    params(mu, alpha, beta)?;
    let p =
        MarkedParams { mu, branching: alpha, size_power, same_side_mult, aggressor_mult, beta, median_size, size_cap };
    let dist = MarkDist { size_sigma, p_same_side, p_aggressor };
    let (t, s, a, b) = py.detach(|| simulate_marked(&p, &dist, horizon_s, seed)).map_err(CoreErr)?;
    Ok((t.into_pyarray(py), s.into_pyarray(py), a.into_pyarray(py), b.into_pyarray(py)))
}

/// Extension 3 fit: dict(mu, alpha, beta, queue_sensitivity, typical_queue, …).
#[pyfunction]
pub fn hawkes_fit_queue<'py>(
    py: Python<'py>,
    times_s: PyReadonlyArray1<'py, f64>,
    horizon_s: f64,
    queue_times_s: PyReadonlyArray1<'py, f64>,
    queue_consumed: PyReadonlyArray1<'py, f64>,
    typical_queue: f64,
) -> PyResult<Bound<'py, PyDict>> {
    let t = times_s.as_slice()?;
    let path = QueuePath { times: queue_times_s.as_slice()?, consumed: queue_consumed.as_slice()? };
    let fit = py.detach(|| fit_queue(t, horizon_s, path, typical_queue)).map_err(CoreErr)?;
    ext_dict(py, &fit)
}

/// Extension 3 simulation along a given cumulative queue-consumption path.
#[pyfunction]
pub fn hawkes_simulate_queue<'py>(
    py: Python<'py>,
    mu: f64,
    alpha: f64,
    beta: f64,
    queue_sensitivity: f64,
    typical_queue: f64,
    queue_times_s: PyReadonlyArray1<'py, f64>,
    queue_consumed: PyReadonlyArray1<'py, f64>,
    horizon_s: f64,
    seed: u64,
) -> PyResult<F64Array<'py>> {
    params(mu, alpha, beta)?;
    let p = QueueParams { mu, branching: alpha, beta, sensitivity: queue_sensitivity, typical_queue };
    let path = QueuePath { times: queue_times_s.as_slice()?, consumed: queue_consumed.as_slice()? };
    let t = py.detach(|| simulate_queue(&p, path, horizon_s, seed)).map_err(CoreErr)?;
    Ok(t.into_pyarray(py))
}

/// O(1) online intensity of an exponential Hawkes process (alpha = branching ratio).
#[pyclass(name = "HawkesIntensity", module = "crossbook._core")]
pub struct PyHawkesIntensity {
    inner: HawkesIntensity,
}

#[pymethods]
impl PyHawkesIntensity {
    #[new]
    fn new(mu: f64, alpha: f64, beta: f64) -> PyResult<Self> {
        Ok(Self { inner: HawkesIntensity::new(params(mu, alpha, beta)?) })
    }

    /// Record an event at t (s); returns the intensity just before it.
    fn update(&mut self, t: f64) -> PyResult<f64> {
        Ok(self.inner.update(t).map_err(CoreErr)?)
    }

    /// Record events in order; returns the intensity just before each.
    fn update_many<'py>(&mut self, py: Python<'py>, times_s: PyReadonlyArray1<'py, f64>) -> PyResult<F64Array<'py>> {
        let t = times_s.as_slice()?;
        let out = t.iter().map(|&x| self.inner.update(x)).collect::<Result<Vec<f64>, _>>().map_err(CoreErr)?;
        Ok(out.into_pyarray(py))
    }

    /// λ(t), events per second, at t >= the last event.
    fn intensity(&self, t: f64) -> PyResult<f64> {
        Ok(self.inner.intensity(t).map_err(CoreErr)?)
    }

    /// Expected events in (t, t + h] given the history.
    fn expected_count(&self, t: f64, h: f64) -> PyResult<f64> {
        Ok(self.inner.expected_count(t, h).map_err(CoreErr)?)
    }

    #[getter]
    fn count(&self) -> u64 {
        self.inner.count()
    }

    #[getter]
    fn mu(&self) -> f64 {
        self.inner.params().mu
    }

    #[getter]
    fn alpha(&self) -> f64 {
        self.inner.params().branching
    }

    #[getter]
    fn beta(&self) -> f64 {
        self.inner.params().beta
    }

    fn __repr__(&self) -> String {
        let p = self.inner.params();
        format!("HawkesIntensity(mu={}, alpha={}, beta={}, events={})", p.mu, p.branching, p.beta, self.inner.count())
    }
}
