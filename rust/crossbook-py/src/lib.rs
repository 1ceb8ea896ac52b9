//! `crossbook._core`: thin PyO3 wrappers over `crossbook-core`. Only `python/crossbook/*` imports it.
// Python-facing functions mirror keyword-rich Python signatures; the argument count is the API.
#![allow(clippy::too_many_arguments)]

mod convert;
mod errors;
mod exchange;
mod jumps;
mod leadlag;
mod parse;

use pyo3::prelude::*;

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    errors::register(m)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(parse::parse_source, m)?)?;
    m.add_function(wrap_pyfunction!(parse::head_lines, m)?)?;
    m.add_function(wrap_pyfunction!(leadlag::hy_contrast, m)?)?;
    m.add_function(wrap_pyfunction!(leadlag::hy_contrast_blocks, m)?)?;
    m.add_function(wrap_pyfunction!(jumps::jump_study, m)?)?;
    m.add_function(wrap_pyfunction!(jumps::xcorr_grid, m)?)?;
    m.add_function(wrap_pyfunction!(jumps::xcorr_aligned, m)?)?;
    m.add_class::<exchange::PyExchangeSim>()?;
    Ok(())
}
