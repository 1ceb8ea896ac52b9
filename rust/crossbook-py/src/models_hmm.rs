//! Regime HMM (crossbook.models): the batch forward filter and the Baum–Welch fit (GIL released), and the
//! online filter class (one O(K²) update per call, GIL held: releasing it would cost more than the update).

use crossbook_core::models::hmm::{GaussianHmm, OnlineFilter};
use crossbook_core::models::hmm_fit::{fit, FitConfig};
use crossbook_core::CoreError;
use numpy::ndarray::Array2;
use numpy::{
    IntoPyArray, PyArray1, PyArray2, PyReadonlyArray1, PyReadonlyArray2, PyReadwriteArray2, PyUntypedArrayMethods,
};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::errors::CoreErr;

type F64Array<'py> = Bound<'py, PyArray1<f64>>;
type F64Matrix<'py> = Bound<'py, PyArray2<f64>>;

fn invalid(msg: String) -> PyErr {
    CoreErr(CoreError::InvalidInput(msg)).into()
}

fn matrix(rows: usize, cols: usize, v: Vec<f64>) -> PyResult<Array2<f64>> {
    Array2::from_shape_vec((rows, cols), v).map_err(|e| invalid(e.to_string()))
}

/// A C-contiguous 2-D array's values, or an error naming it (`as_slice` alone also accepts Fortran order,
/// whose values would be read as the transpose).
fn slice2<'a>(name: &str, a: &'a PyReadonlyArray2<'_, f64>) -> PyResult<&'a [f64]> {
    let err = || invalid(format!("{name} must be a C-contiguous float64 array"));
    if !a.is_c_contiguous() {
        return Err(err());
    }
    a.as_slice().map_err(|_| err())
}

/// The model from numpy parameters, with every shape checked against K = len(startprob).
fn model(
    startprob: &PyReadonlyArray1<'_, f64>,
    transmat: &PyReadonlyArray2<'_, f64>,
    means: &PyReadonlyArray2<'_, f64>,
    variances: &PyReadonlyArray2<'_, f64>,
) -> PyResult<GaussianHmm> {
    let k = startprob.len();
    let (ts, ms, vs) = (transmat.shape(), means.shape(), variances.shape());
    if ts != [k, k] {
        return Err(invalid(format!("transmat must have shape ({k}, {k}) for {k} states, got {ts:?}")));
    }
    if ms[0] != k || ms[1] == 0 {
        return Err(invalid(format!("means must have shape ({k}, d) with d >= 1, got {ms:?}")));
    }
    if vs != ms {
        return Err(invalid(format!("variances must have the shape of means {ms:?}, got {vs:?}")));
    }
    let sp = startprob.as_slice().map_err(|_| invalid("startprob must be a contiguous float64 array".into()))?;
    Ok(GaussianHmm::new(
        sp.to_vec(),
        slice2("transmat", transmat)?.to_vec(),
        slice2("means", means)?.to_vec(),
        slice2("variances", variances)?.to_vec(),
    )
    .map_err(CoreErr)?)
}

fn obs<'a>(x: &'a PyReadonlyArray2<'_, f64>, d: usize) -> PyResult<&'a [f64]> {
    let s = x.shape();
    if s[1] != d {
        return Err(invalid(format!("X must have shape (n, {d}) like the means, got {s:?}")));
    }
    slice2("X", x)
}

/// Filtered probabilities (n, K) and the total log-likelihood of X under the model.
#[pyfunction]
pub fn hmm_filter<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'py, f64>,
    startprob: PyReadonlyArray1<'py, f64>,
    transmat: PyReadonlyArray2<'py, f64>,
    means: PyReadonlyArray2<'py, f64>,
    variances: PyReadonlyArray2<'py, f64>,
) -> PyResult<(F64Matrix<'py>, f64)> {
    let m = model(&startprob, &transmat, &means, &variances)?;
    let xs = obs(&x, m.n_features())?;
    let (probs, ll) = py.detach(|| m.filter(xs)).map_err(CoreErr)?;
    let n = probs.len() / m.n_states();
    Ok((matrix(n, m.n_states(), probs)?.into_pyarray(py), ll))
}

/// The forward filter writing the probabilities into `out` (n, K) (C-contiguous float64, any contents:
/// numpy's `empty` saves the pass that zeroes a fresh buffer); returns the total log-likelihood.
#[pyfunction]
pub fn hmm_filter_into(
    py: Python<'_>,
    x: PyReadonlyArray2<'_, f64>,
    startprob: PyReadonlyArray1<'_, f64>,
    transmat: PyReadonlyArray2<'_, f64>,
    means: PyReadonlyArray2<'_, f64>,
    variances: PyReadonlyArray2<'_, f64>,
    mut out: PyReadwriteArray2<'_, f64>,
) -> PyResult<f64> {
    let m = model(&startprob, &transmat, &means, &variances)?;
    let xs = obs(&x, m.n_features())?;
    let (n, k) = (x.shape()[0], m.n_states());
    if out.shape() != [n, k] {
        return Err(invalid(format!("out must have shape ({n}, {k}), got {:?}", out.shape())));
    }
    let err = || invalid("out must be a C-contiguous float64 array".into());
    if !out.is_c_contiguous() {
        return Err(err());
    }
    let o = out.as_slice_mut().map_err(|_| err())?;
    Ok(py.detach(|| m.filter_into(xs, o)).map_err(CoreErr)?)
}

/// The total log-likelihood of X under the model (the forward pass without keeping probabilities).
#[pyfunction]
pub fn hmm_loglik(
    py: Python<'_>,
    x: PyReadonlyArray2<'_, f64>,
    startprob: PyReadonlyArray1<'_, f64>,
    transmat: PyReadonlyArray2<'_, f64>,
    means: PyReadonlyArray2<'_, f64>,
    variances: PyReadonlyArray2<'_, f64>,
) -> PyResult<f64> {
    let m = model(&startprob, &transmat, &means, &variances)?;
    let xs = obs(&x, m.n_features())?;
    Ok(py.detach(|| m.loglik(xs)).map_err(CoreErr)?)
}

/// Baum–Welch fit; returns a dict of the parameters (states ordered by feature `order_by`) and diagnostics.
#[pyfunction]
#[pyo3(signature = (x, n_states=4, n_iter=100, tol=1e-6, n_restarts=4, seed=0, var_floor=1e-3, order_by=0, transmat_init=None, zero_mean=None))]
pub fn hmm_fit<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'py, f64>,
    n_states: usize,
    n_iter: usize,
    tol: f64,
    n_restarts: usize,
    seed: u64,
    var_floor: f64,
    order_by: usize,
    transmat_init: Option<PyReadonlyArray2<'py, f64>>,
    zero_mean: Option<Vec<bool>>,
) -> PyResult<Bound<'py, PyDict>> {
    let d = x.shape()[1];
    let xs = slice2("X", &x)?;
    let transmat_init = match &transmat_init {
        Some(t) => {
            if t.shape() != [n_states, n_states] {
                return Err(invalid(format!(
                    "transmat_init must have shape ({n_states}, {n_states}), got {:?}",
                    t.shape()
                )));
            }
            Some(slice2("transmat_init", t)?.to_vec())
        }
        None => None,
    };
    let zero_mean = zero_mean.unwrap_or_default();
    let cfg = FitConfig { n_states, n_iter, tol, n_restarts, seed, var_floor, order_by, transmat_init, zero_mean };
    let r = py.detach(|| fit(xs, d, &cfg)).map_err(CoreErr)?;
    let (k, m) = (r.model.n_states(), &r.model);
    let out = PyDict::new(py);
    out.set_item("startprob", m.startprob().to_vec().into_pyarray(py))?;
    out.set_item("transmat", matrix(k, k, m.transmat().to_vec())?.into_pyarray(py))?;
    out.set_item("means", matrix(k, d, m.means().to_vec())?.into_pyarray(py))?;
    out.set_item("variances", matrix(k, d, m.variances().to_vec())?.into_pyarray(py))?;
    out.set_item("loglik", r.loglik)?;
    out.set_item("n_iter", r.n_iter)?;
    out.set_item("converged", r.converged)?;
    out.set_item("restart_logliks", r.restart_logliks.into_pyarray(py))?;
    out.set_item("best_restart", r.best_restart)?;
    out.set_item("n_reinit", r.n_reinit)?;
    out.set_item("n_log_space", r.n_log_space)?;
    out.set_item("var_floor", r.var_floor.into_pyarray(py))?;
    Ok(out)
}

/// The online forward filter: `update(x)` returns P(state_t | x_0..x_t), O(K²) per call.
#[pyclass(name = "HmmFilter", module = "crossbook._core")]
pub struct PyHmmFilter {
    inner: OnlineFilter,
}

#[pymethods]
impl PyHmmFilter {
    #[new]
    fn new(
        startprob: PyReadonlyArray1<'_, f64>,
        transmat: PyReadonlyArray2<'_, f64>,
        means: PyReadonlyArray2<'_, f64>,
        variances: PyReadonlyArray2<'_, f64>,
    ) -> PyResult<Self> {
        Ok(Self { inner: OnlineFilter::new(model(&startprob, &transmat, &means, &variances)?) })
    }

    /// Feed one observation (d floats: an array or a sequence); returns the filtered probabilities (K,).
    fn update<'py>(&mut self, py: Python<'py>, x: &Bound<'py, PyAny>) -> PyResult<F64Array<'py>> {
        let p = if let Ok(a) = x.extract::<PyReadonlyArray1<'py, f64>>() {
            match a.as_slice() {
                Ok(s) => self.inner.update(s).map_err(CoreErr)?.to_vec(),
                Err(_) => self.inner.update(&a.as_array().to_vec()).map_err(CoreErr)?.to_vec(),
            }
        } else {
            let v: Vec<f64> = x.extract()?;
            self.inner.update(&v).map_err(CoreErr)?.to_vec()
        };
        Ok(p.into_pyarray(py))
    }

    /// Feed n observations (n, d); returns their filtered probabilities (n, K). GIL released.
    fn update_many<'py>(&mut self, py: Python<'py>, x: PyReadonlyArray2<'py, f64>) -> PyResult<F64Matrix<'py>> {
        let k = self.inner.model().n_states();
        let xs = obs(&x, self.inner.model().n_features())?;
        let inner = &mut self.inner;
        let p = py.detach(move || inner.update_many(xs)).map_err(CoreErr)?;
        let n = p.len() / k;
        Ok(matrix(n, k, p)?.into_pyarray(py))
    }

    /// P(state_t | x_0..x_t) after the last update (the start probabilities before any)
    #[getter]
    fn probs<'py>(&self, py: Python<'py>) -> F64Array<'py> {
        self.inner.probs().to_vec().into_pyarray(py)
    }

    /// P(state_{t+1} | x_0..x_t)
    fn predicted<'py>(&self, py: Python<'py>) -> F64Array<'py> {
        self.inner.predicted().into_pyarray(py)
    }

    /// index of the most probable state
    #[getter]
    fn most_likely(&self) -> usize {
        self.inner.most_likely()
    }

    /// ln P(x_0..x_t) of everything fed so far
    #[getter]
    fn loglik(&self) -> f64 {
        self.inner.loglik()
    }

    #[getter]
    fn n_updates(&self) -> u64 {
        self.inner.n_updates()
    }

    #[getter]
    fn n_states(&self) -> usize {
        self.inner.model().n_states()
    }

    #[getter]
    fn n_features(&self) -> usize {
        self.inner.model().n_features()
    }

    #[getter]
    fn startprob<'py>(&self, py: Python<'py>) -> F64Array<'py> {
        self.inner.model().startprob().to_vec().into_pyarray(py)
    }

    #[getter]
    fn transmat<'py>(&self, py: Python<'py>) -> PyResult<F64Matrix<'py>> {
        let k = self.inner.model().n_states();
        Ok(matrix(k, k, self.inner.model().transmat().to_vec())?.into_pyarray(py))
    }

    #[getter]
    fn means<'py>(&self, py: Python<'py>) -> PyResult<F64Matrix<'py>> {
        let m = self.inner.model();
        Ok(matrix(m.n_states(), m.n_features(), m.means().to_vec())?.into_pyarray(py))
    }

    #[getter]
    fn variances<'py>(&self, py: Python<'py>) -> PyResult<F64Matrix<'py>> {
        let m = self.inner.model();
        Ok(matrix(m.n_states(), m.n_features(), m.variances().to_vec())?.into_pyarray(py))
    }

    /// Forget every observation.
    fn reset(&mut self) {
        self.inner.reset();
    }

    fn __repr__(&self) -> String {
        let p: Vec<String> = self.inner.probs().iter().map(|v| format!("{v:.3}")).collect();
        format!(
            "HmmFilter(states={}, features={}, updates={}, probs=[{}], loglik={:.6})",
            self.inner.model().n_states(),
            self.inner.model().n_features(),
            self.inner.n_updates(),
            p.join(", "),
            self.inner.loglik()
        )
    }
}
