//! L2 order book: integer price levels ([`l2`]), sequence sync rules ([`sync`]), rebuilding
//! top of book from a book table ([`replay`]) and sampling onto a time grid ([`grid`], the heatmap
//! input).
//!
//! Prices and sizes are scaled integers (`value × 10^8`, see [`crate::units`]); times are ns UTC.

pub mod grid;
pub mod l2;
pub mod replay;
pub mod sync;

pub use grid::{sample_grid, Grid};
pub use l2::{BookSide, L2Book, Level, Side};
pub use replay::{book_at, run, top_of_book, TopOfBook};
pub use sync::{Applied, BookRows, BookSink, Msg, OnGap, Rule, SyncBook, SyncStats};

#[cfg(test)]
mod tests;
