//! crossbook-core: pure-Rust engines for cross-venue crypto market microstructure.
//!
//! No Python here: `cargo test -p crossbook-core` runs without libpython. The binding crate
//! (`rust/crossbook-py`) wraps these functions for `crossbook._core`.
//!
//! Conventions used throughout:
//! - timestamps are `i64` nanoseconds since the Unix epoch, UTC;
//! - prices and sizes are `i64` scaled integers (see [`units`]), decoded to `f64` only at the analysis edge;
//! - errors are [`error::CoreError`]; bad data never panics.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::panic))]

pub mod backtest;
pub mod book;
pub mod error;
pub mod exchange;
pub mod leadlag;
pub mod models;
pub mod parse;
pub mod quote;
pub mod ring;
pub mod signals;
pub mod sim;
pub mod stats;
pub mod tables;
pub mod units;

pub use error::{CoreError, Result};
