//! Jump pairing and return cross-correlation (crossbook.leadlag_study).

use crossbook_core::leadlag::jumps::{self, JumpParams, Jumps, Summary};
use crossbook_core::leadlag::xcorr;
use numpy::{IntoPyArray, PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::errors::CoreErr;

fn summary_dict<'py>(py: Python<'py>, s: &Summary) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("jumps_a", s.jumps_a)?;
    d.set_item("jumps_b", s.jumps_b)?;
    d.set_item("paired", s.paired)?;
    d.set_item("noise_a", s.noise_a)?;
    d.set_item("noise_b", s.noise_b)?;
    d.set_item("a_leads_b", s.a_leads_b)?;
    d.set_item("b_leads_a", s.b_leads_a)?;
    d.set_item("simultaneous", s.simultaneous)?;
    d.set_item("a_leads_median_ns", s.a_leads_median_ns)?;
    d.set_item("a_leads_mean_ns", s.a_leads_mean_ns)?;
    d.set_item("b_leads_median_ns", s.b_leads_median_ns)?;
    d.set_item("b_leads_mean_ns", s.b_leads_mean_ns)?;
    Ok(d)
}

fn jumps_dict<'py>(py: Python<'py>, j: Jumps, partner: Vec<i64>) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("t", j.t.into_pyarray(py))?;
    d.set_item("sign", j.sign.into_pyarray(py))?;
    d.set_item("ret", j.ret.into_pyarray(py))?;
    d.set_item("partner", partner.into_pyarray(py))?;
    Ok(d)
}

fn count_column(b: &[Summary], f: fn(&Summary) -> usize) -> Vec<i64> {
    b.iter().map(|s| i64::try_from(f(s)).unwrap_or(i64::MAX)).collect()
}

/// Jumps of A and B (native ticks, or a forward-filled grid when `grid_ns` is given), their
/// pairing within `window_ns`, and the chance baseline under circular shifts of B.
///
/// Returns `{"summary": {...}, "a": {t, sign, ret, partner}, "b": {...}, "shifts_ns": array,
/// "baseline": {paired, a_leads_b, b_leads_a, simultaneous: arrays, one value per shift}}`.
#[pyfunction]
#[pyo3(signature = (t_a, p_a, t_b, p_b, threshold, window_ns, grid_ns=None, span=1, shifts_ns=None, n_shifts=20))]
pub fn jump_study<'py>(
    py: Python<'py>,
    t_a: PyReadonlyArray1<'py, i64>,
    p_a: PyReadonlyArray1<'py, f64>,
    t_b: PyReadonlyArray1<'py, i64>,
    p_b: PyReadonlyArray1<'py, f64>,
    threshold: f64,
    window_ns: i64,
    grid_ns: Option<i64>,
    span: usize,
    shifts_ns: Option<PyReadonlyArray1<'py, i64>>,
    n_shifts: usize,
) -> PyResult<Bound<'py, PyDict>> {
    let shifts = match &shifts_ns {
        Some(a) => Some(a.as_slice()?.to_vec()),
        None => None,
    };
    let params = JumpParams { threshold, window_ns, grid_ns, span, shifts_ns: shifts, n_shifts };
    let (ta, pa, tb, pb) = (t_a.as_slice()?, p_a.as_slice()?, t_b.as_slice()?, p_b.as_slice()?);
    let st = py.detach(|| jumps::jump_study(ta, pa, tb, pb, &params)).map_err(CoreErr)?;
    let out = PyDict::new(py);
    out.set_item("summary", summary_dict(py, &st.summary)?)?;
    let base = PyDict::new(py);
    base.set_item("paired", count_column(&st.baseline, |s| s.paired).into_pyarray(py))?;
    base.set_item("a_leads_b", count_column(&st.baseline, |s| s.a_leads_b).into_pyarray(py))?;
    base.set_item("b_leads_a", count_column(&st.baseline, |s| s.b_leads_a).into_pyarray(py))?;
    base.set_item("simultaneous", count_column(&st.baseline, |s| s.simultaneous).into_pyarray(py))?;
    out.set_item("baseline", base)?;
    out.set_item("shifts_ns", st.shifts_ns.into_pyarray(py))?;
    out.set_item("a", jumps_dict(py, st.a, st.pairing.a_partner)?)?;
    out.set_item("b", jumps_dict(py, st.b, st.pairing.b_partner)?)?;
    Ok(out)
}

/// Pearson correlation of A's and B's log returns on a forward-filled grid of `grid_ns`, at each
/// lag (grid steps; positive = A leads B). Returns `{"corr", "n", "len", "start_ns"}`.
#[pyfunction]
pub fn xcorr_grid<'py>(
    py: Python<'py>,
    t_a: PyReadonlyArray1<'py, i64>,
    p_a: PyReadonlyArray1<'py, f64>,
    t_b: PyReadonlyArray1<'py, i64>,
    p_b: PyReadonlyArray1<'py, f64>,
    grid_ns: i64,
    lags: PyReadonlyArray1<'py, i64>,
) -> PyResult<Bound<'py, PyDict>> {
    let (ta, pa, tb, pb, l) = (t_a.as_slice()?, p_a.as_slice()?, t_b.as_slice()?, p_b.as_slice()?, lags.as_slice()?);
    let r = py.detach(|| xcorr::xcorr_grid(ta, pa, tb, pb, grid_ns, l)).map_err(CoreErr)?;
    let out = PyDict::new(py);
    out.set_item("corr", r.corr.into_pyarray(py))?;
    let n: Vec<i64> = r.n.iter().map(|&v| i64::try_from(v).unwrap_or(i64::MAX)).collect();
    out.set_item("n", n.into_pyarray(py))?;
    out.set_item("len", r.len)?;
    out.set_item("start_ns", r.start_ns)?;
    Ok(out)
}

/// Pearson `corr(x_t, y_{t+lag})` of two aligned series at each lag (positive = x leads y),
/// skipping non-finite pairs.
#[pyfunction]
pub fn xcorr_aligned<'py>(
    py: Python<'py>,
    x: PyReadonlyArray1<'py, f64>,
    y: PyReadonlyArray1<'py, f64>,
    lags: PyReadonlyArray1<'py, i64>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let (xs, ys, l) = (x.as_slice()?, y.as_slice()?, lags.as_slice()?);
    let out = py.detach(|| xcorr::xcorr_aligned(xs, ys, l)).map_err(CoreErr)?;
    Ok(out.into_pyarray(py))
}
