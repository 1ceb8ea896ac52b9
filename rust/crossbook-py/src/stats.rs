//! Measurement statistics (crossbook.research.calibration / .audit): KSG mutual information, Brier
//! decompositions, isotonic recalibration. All O(n) or O(n log n) work runs with the GIL released.

use crossbook_core::stats::calibration::{self, Decomposition};
use crossbook_core::stats::knn_mi;
use numpy::{IntoPyArray, PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::errors::CoreErr;

type F64Array<'py> = Bound<'py, PyArray1<f64>>;

/// KSG estimator 1 of I(X;Y) in nats (unclipped): dict with mi_nats (None when skipped for ties), n,
/// ties_x, ties_y, constant.
#[pyfunction]
#[pyo3(signature = (x, y, k=3, standardize=true, skip_if_tied=false))]
pub fn ksg_mi<'py>(
    py: Python<'py>,
    x: PyReadonlyArray1<'py, f64>,
    y: PyReadonlyArray1<'py, f64>,
    k: usize,
    standardize: bool,
    skip_if_tied: bool,
) -> PyResult<Bound<'py, PyDict>> {
    let (xs, ys) = (x.as_slice()?, y.as_slice()?);
    let e = py.detach(|| knn_mi::ksg_mi(xs, ys, k, standardize, skip_if_tied)).map_err(CoreErr)?;
    let d = PyDict::new(py);
    d.set_item("mi_nats", e.mi_nats)?;
    d.set_item("n", e.n)?;
    d.set_item("ties_x", e.ties_x)?;
    d.set_item("ties_y", e.ties_y)?;
    d.set_item("constant", e.constant)?;
    Ok(d)
}

/// KSG estimates (nats, unclipped) of x against `n_shuffles` seeded permutations of y.
#[pyfunction]
#[pyo3(signature = (x, y, k=3, standardize=true, n_shuffles=20, seed=0))]
pub fn ksg_mi_shuffled<'py>(
    py: Python<'py>,
    x: PyReadonlyArray1<'py, f64>,
    y: PyReadonlyArray1<'py, f64>,
    k: usize,
    standardize: bool,
    n_shuffles: usize,
    seed: u64,
) -> PyResult<F64Array<'py>> {
    let (xs, ys) = (x.as_slice()?, y.as_slice()?);
    let v = py.detach(|| knn_mi::ksg_mi_shuffled(xs, ys, k, standardize, n_shuffles, seed)).map_err(CoreErr)?;
    Ok(v.into_pyarray(py))
}

fn decomposition_dict<'py>(py: Python<'py>, d: Decomposition) -> PyResult<Bound<'py, PyDict>> {
    let out = PyDict::new(py);
    out.set_item("brier", d.brier)?;
    out.set_item("reliability", d.reliability)?;
    out.set_item("resolution", d.resolution)?;
    out.set_item("uncertainty", d.uncertainty)?;
    out.set_item("within_bin_variance", d.within_bin_variance)?;
    out.set_item("within_bin_covariance", d.within_bin_covariance)?;
    out.set_item("base_rate", d.base_rate)?;
    out.set_item("n", d.n)?;
    let col = |f: fn(&calibration::Bin) -> f64| d.bins.iter().map(f).collect::<Vec<f64>>();
    let bins = PyDict::new(py);
    bins.set_item("index", d.bins.iter().map(|b| b.index as i64).collect::<Vec<i64>>().into_pyarray(py))?;
    bins.set_item("count", d.bins.iter().map(|b| b.count as i64).collect::<Vec<i64>>().into_pyarray(py))?;
    bins.set_item("mean_predicted", col(|b| b.mean_predicted).into_pyarray(py))?;
    bins.set_item("frequency", col(|b| b.frequency).into_pyarray(py))?;
    bins.set_item("p_min", col(|b| b.p_min).into_pyarray(py))?;
    bins.set_item("p_max", col(|b| b.p_max).into_pyarray(py))?;
    out.set_item("bins", bins)?;
    Ok(out)
}

/// Brier score with the exact binned decomposition over the bins cut by `inner_edges` (ascending).
#[pyfunction]
pub fn brier_binned<'py>(
    py: Python<'py>,
    p: PyReadonlyArray1<'py, f64>,
    y: PyReadonlyArray1<'py, f64>,
    inner_edges: PyReadonlyArray1<'py, f64>,
) -> PyResult<Bound<'py, PyDict>> {
    let (ps, ys, es) = (p.as_slice()?, y.as_slice()?, inner_edges.as_slice()?);
    let d = py.detach(|| calibration::binned_decomposition(ps, ys, es)).map_err(CoreErr)?;
    decomposition_dict(py, d)
}

/// Brier score, mean of (p − y)².
#[pyfunction]
pub fn brier_score<'py>(
    py: Python<'py>,
    p: PyReadonlyArray1<'py, f64>,
    y: PyReadonlyArray1<'py, f64>,
) -> PyResult<f64> {
    let (ps, ys) = (p.as_slice()?, y.as_slice()?);
    Ok(py.detach(|| calibration::brier_score(ps, ys)).map_err(CoreErr)?)
}

/// CORP decomposition: (dict of brier, mcb, dsc, unc; PAV-recalibrated forecasts in input order).
#[pyfunction]
pub fn corp_decomposition<'py>(
    py: Python<'py>,
    p: PyReadonlyArray1<'py, f64>,
    y: PyReadonlyArray1<'py, f64>,
) -> PyResult<(Bound<'py, PyDict>, F64Array<'py>)> {
    let (ps, ys) = (p.as_slice()?, y.as_slice()?);
    let (c, rec) = py.detach(|| calibration::corp_decomposition(ps, ys)).map_err(CoreErr)?;
    let d = PyDict::new(py);
    d.set_item("brier", c.brier)?;
    d.set_item("mcb", c.mcb)?;
    d.set_item("dsc", c.dsc)?;
    d.set_item("unc", c.unc)?;
    Ok((d, rec.into_pyarray(py)))
}
