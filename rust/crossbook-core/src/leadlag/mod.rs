//! Lead-lag estimators. Positive lag always means the first series (x, the leader) leads the second.

pub mod grid;
pub mod hayashi_yoshida;
pub mod jumps;
pub mod xcorr;
