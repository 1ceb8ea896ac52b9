//! Lead-lag estimators. Positive lag always means the first series (x, the leader) leads the second.

pub mod grid;
pub mod hayashi_yoshida;
pub mod jumps;
pub mod lagfit;
pub mod monitor;
pub mod regime;
pub mod rows;
pub mod skew;
pub mod stream_config;
pub mod streaming;
pub mod xcorr;
