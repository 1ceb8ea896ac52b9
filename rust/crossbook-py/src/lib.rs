//! `crossbook._core`: thin PyO3 wrappers over `crossbook-core`. Only `python/crossbook/*` imports it.
// Python-facing functions mirror keyword-rich Python signatures; the argument count is the API.
#![allow(clippy::too_many_arguments)]

mod backtest;
mod book;
mod convert;
mod errors;
mod exchange;
mod jumps;
mod leadlag;
mod models_fill;
mod models_hawkes;
mod models_hmm;
mod models_toxicity;
mod parse;
mod quote;
mod signals;
mod sim;
mod stats;
mod streaming;
mod streaming_monitor;
mod streaming_regime;

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
    m.add_function(wrap_pyfunction!(signals::weighted_mid, m)?)?;
    m.add_function(wrap_pyfunction!(signals::bipower_series, m)?)?;
    m.add_function(wrap_pyfunction!(signals::trade_window, m)?)?;
    m.add_function(wrap_pyfunction!(signals::trade_rate_ewma, m)?)?;
    m.add_function(wrap_pyfunction!(signals::obi_levels, m)?)?;
    m.add_function(wrap_pyfunction!(signals::obi_snapshots, m)?)?;
    m.add_function(wrap_pyfunction!(signals::depth_levels, m)?)?;
    m.add_function(wrap_pyfunction!(signals::depth_snapshots, m)?)?;
    m.add_class::<signals::PyMicropriceModel>()?;
    m.add_class::<signals::PyBipowerVol>()?;
    m.add_class::<signals::PyTradeWindow>()?;
    m.add_class::<signals::PyTradeRateEwma>()?;
    m.add_function(wrap_pyfunction!(sim::simulate_market, m)?)?;
    m.add_function(wrap_pyfunction!(sim::sim_default_config, m)?)?;
    m.add_class::<streaming::PyLeadLagEstimator>()?;
    m.add_class::<streaming_regime::PyRegimeConditionedLeadLag>()?;
    m.add_class::<streaming_monitor::PyLeadLagMonitor>()?;
    m.add_class::<streaming_monitor::PySignalHealth>()?;
    m.add_function(wrap_pyfunction!(streaming_regime::predict_remaining_move, m)?)?;
    m.add_function(wrap_pyfunction!(streaming_regime::compute_adjusted_microprice, m)?)?;
    m.add_function(wrap_pyfunction!(streaming_regime::compute_lead_lag_skew_bps, m)?)?;
    m.add_function(wrap_pyfunction!(streaming_regime::compute_directional_skew, m)?)?;
    m.add_function(wrap_pyfunction!(book::book_top_of_book, m)?)?;
    m.add_function(wrap_pyfunction!(book::book_sample_grid, m)?)?;
    m.add_function(wrap_pyfunction!(book::book_at, m)?)?;
    m.add_class::<book::PyOrderBook>()?;
    m.add_class::<exchange::PyExchangeSim>()?;
    m.add_class::<quote::PyQuoteEngine>()?;
    m.add_function(wrap_pyfunction!(quote::quote_codes, m)?)?;
    m.add_function(wrap_pyfunction!(quote::glft_coefficients, m)?)?;
    m.add_function(wrap_pyfunction!(quote::quote_arrival_depths, m)?)?;
    m.add_function(wrap_pyfunction!(quote::quote_fit_intensity, m)?)?;
    m.add_function(wrap_pyfunction!(backtest::run_backtest, m)?)?;
    m.add_function(wrap_pyfunction!(backtest::backtest_default_params, m)?)?;
    m.add_function(wrap_pyfunction!(models_hawkes::hawkes_fit_exp, m)?)?;
    m.add_function(wrap_pyfunction!(models_hawkes::hawkes_loglik, m)?)?;
    m.add_function(wrap_pyfunction!(models_hawkes::hawkes_gof, m)?)?;
    m.add_function(wrap_pyfunction!(models_hawkes::hawkes_simulate_exp, m)?)?;
    m.add_function(wrap_pyfunction!(models_hawkes::hawkes_fit_state_baseline, m)?)?;
    m.add_function(wrap_pyfunction!(models_hawkes::hawkes_simulate_state_baseline, m)?)?;
    m.add_function(wrap_pyfunction!(models_hawkes::hawkes_fit_marked, m)?)?;
    m.add_function(wrap_pyfunction!(models_hawkes::hawkes_simulate_marked, m)?)?;
    m.add_function(wrap_pyfunction!(models_hawkes::hawkes_fit_queue, m)?)?;
    m.add_function(wrap_pyfunction!(models_hawkes::hawkes_simulate_queue, m)?)?;
    m.add_class::<models_hawkes::PyHawkesIntensity>()?;
    m.add_class::<models_fill::PyFillIntensityModel>()?;
    m.add_function(wrap_pyfunction!(models_toxicity::toxicity_feature_names, m)?)?;
    m.add_function(wrap_pyfunction!(models_toxicity::toxicity_features, m)?)?;
    m.add_function(wrap_pyfunction!(models_toxicity::toxicity_labels, m)?)?;
    m.add_class::<models_toxicity::PySoftmaxClassifier>()?;
    m.add_class::<models_toxicity::PyAdverseSelectionAdjuster>()?;
    m.add_class::<models_toxicity::PyLiquidationDetector>()?;
    m.add_function(wrap_pyfunction!(models_hmm::hmm_filter, m)?)?;
    m.add_function(wrap_pyfunction!(models_hmm::hmm_filter_into, m)?)?;
    m.add_function(wrap_pyfunction!(models_hmm::hmm_loglik, m)?)?;
    m.add_function(wrap_pyfunction!(models_hmm::hmm_fit, m)?)?;
    m.add_class::<models_hmm::PyHmmFilter>()?;
    m.add_function(wrap_pyfunction!(stats::ksg_mi, m)?)?;
    m.add_function(wrap_pyfunction!(stats::ksg_mi_shuffled, m)?)?;
    m.add_function(wrap_pyfunction!(stats::brier_score, m)?)?;
    m.add_function(wrap_pyfunction!(stats::brier_binned, m)?)?;
    m.add_function(wrap_pyfunction!(stats::corp_decomposition, m)?)?;
    Ok(())
}
