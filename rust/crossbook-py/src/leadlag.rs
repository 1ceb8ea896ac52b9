//! Lead-lag estimators (crossbook.leadlag).

use crossbook_core::leadlag::hayashi_yoshida;
use numpy::{IntoPyArray, PyArray1, PyArray2, PyReadonlyArray1};
use pyo3::prelude::*;

use crate::errors::CoreErr;

/// Normalised Hayashi–Yoshida contrast of x vs y at each lag (ns; positive = x leads y).
#[pyfunction]
pub fn hy_contrast<'py>(
    py: Python<'py>,
    t_x: PyReadonlyArray1<'py, i64>,
    x: PyReadonlyArray1<'py, f64>,
    t_y: PyReadonlyArray1<'py, i64>,
    y: PyReadonlyArray1<'py, f64>,
    lags_ns: PyReadonlyArray1<'py, i64>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let (tx, xv, ty, yv, lags) = (t_x.as_slice()?, x.as_slice()?, t_y.as_slice()?, y.as_slice()?, lags_ns.as_slice()?);
    let out = py.detach(|| hayashi_yoshida::hy_contrast(tx, xv, ty, yv, lags)).map_err(CoreErr)?;
    Ok(out.into_pyarray(py))
}

/// (raw[lags, blocks], nx[blocks], ny[blocks])
type BlockArrays<'py> = (Bound<'py, PyArray2<f64>>, Bound<'py, PyArray1<f64>>, Bound<'py, PyArray1<f64>>);

/// Per-block raw HY contrast for a block bootstrap: returns (raw[lags, blocks], nx[blocks], ny[blocks]).
#[pyfunction]
pub fn hy_contrast_blocks<'py>(
    py: Python<'py>,
    t_x: PyReadonlyArray1<'py, i64>,
    x: PyReadonlyArray1<'py, f64>,
    t_y: PyReadonlyArray1<'py, i64>,
    y: PyReadonlyArray1<'py, f64>,
    lags_ns: PyReadonlyArray1<'py, i64>,
    n_blocks: usize,
) -> PyResult<BlockArrays<'py>> {
    let (tx, xv, ty, yv, lags) = (t_x.as_slice()?, x.as_slice()?, t_y.as_slice()?, y.as_slice()?, lags_ns.as_slice()?);
    let b = py.detach(|| hayashi_yoshida::hy_contrast_blocks(tx, xv, ty, yv, lags, n_blocks)).map_err(CoreErr)?;
    let raw = numpy::ndarray::Array2::from_shape_vec((lags.len(), b.n_blocks), b.raw)
        .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))?;
    Ok((raw.into_pyarray(py), b.nx.into_pyarray(py), b.ny.into_pyarray(py)))
}
