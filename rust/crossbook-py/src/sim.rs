//! `simulate_market`: the multi-venue simulator (config as JSON in, tables + truth out).

use crossbook_core::sim::{self, SimConfig};
use numpy::IntoPyArray;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::convert::tables_to_py;
use crate::errors::CoreErr;

/// Run the simulator on a JSON object of config overrides (see `crossbook.sim.SimConfig`).
///
/// Returns `{"tables": <as parse_source>, "truth": <json str>, "labels": uint8 array aligned to
/// trade rows, "segments": {regime, start_ms, end_ms, dir}, "book_events": {...}}`.
/// The GIL is released while simulating.
#[pyfunction]
pub fn simulate_market<'py>(py: Python<'py>, config_json: &str) -> PyResult<Bound<'py, PyDict>> {
    let cfg = SimConfig::from_json(config_json).map_err(CoreErr)?;
    let out = py.detach(|| sim::simulate(&cfg)).map_err(CoreErr)?;
    let d = PyDict::new(py);
    d.set_item("truth", out.truth.to_json())?;
    d.set_item("labels", out.labels.into_pyarray(py))?;
    let segs = PyDict::new(py);
    let s = &out.segments;
    segs.set_item("regime", PyList::new(py, s.iter().map(|x| x.regime.name()))?)?;
    segs.set_item("start_ms", s.iter().map(|x| x.start_ms).collect::<Vec<_>>().into_pyarray(py))?;
    segs.set_item("end_ms", s.iter().map(|x| x.end_ms).collect::<Vec<_>>().into_pyarray(py))?;
    segs.set_item("dir", s.iter().map(|x| x.dir).collect::<Vec<_>>().into_pyarray(py))?;
    d.set_item("segments", segs)?;
    let ev = PyDict::new(py);
    let e = &out.book_events;
    ev.set_item("kind", PyList::new(py, e.iter().map(|x| x.kind))?)?;
    ev.set_item("side", e.iter().map(|x| x.side).collect::<Vec<_>>().into_pyarray(py))?;
    ev.set_item("px", e.iter().map(|x| x.px).collect::<Vec<_>>().into_pyarray(py))?;
    ev.set_item("qty", e.iter().map(|x| x.qty).collect::<Vec<_>>().into_pyarray(py))?;
    ev.set_item("start_ns", e.iter().map(|x| x.start_ns).collect::<Vec<_>>().into_pyarray(py))?;
    ev.set_item("end_ns", e.iter().map(|x| x.end_ns).collect::<Vec<_>>().into_pyarray(py))?;
    ev.set_item("end_reason", PyList::new(py, e.iter().map(|x| x.end_reason))?)?;
    d.set_item("book_events", ev)?;
    d.set_item("tables", tables_to_py(py, out.tables)?)?;
    Ok(d)
}

/// The simulator's default config as a JSON object.
#[pyfunction]
pub fn sim_default_config() -> String {
    SimConfig::default_json()
}
