//! `crossbook._core`: thin PyO3 wrappers over `crossbook-core`. Only `python/crossbook/*` imports it.

mod book;
mod convert;
mod errors;
mod parse;

use pyo3::prelude::*;

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    errors::register(m)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(parse::parse_source, m)?)?;
    m.add_function(wrap_pyfunction!(parse::head_lines, m)?)?;
    m.add_function(wrap_pyfunction!(book::book_top_of_book, m)?)?;
    m.add_function(wrap_pyfunction!(book::book_sample_grid, m)?)?;
    m.add_function(wrap_pyfunction!(book::book_at, m)?)?;
    m.add_class::<book::PyOrderBook>()?;
    Ok(())
}
