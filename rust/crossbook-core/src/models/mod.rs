//! Statistical models of the market: regimes (HMM), fill intensity (Hawkes), toxicity.
//!
//! - [`hmm`]: four-regime hidden Markov model with diagonal Gaussian emissions, the batch and online
//!   forward filter; [`hmm_fit`]: Baum–Welch on past data, states ordered by volatility. Internals:
//!   `hmm_forward` (the recursion step, accumulators, `exp`), `hmm_kernel` (specialised batch kernels),
//!   `hmm_estep` (forward–backward and re-estimation).

pub mod hmm;
mod hmm_estep;
pub mod hmm_fit;
mod hmm_forward;
mod hmm_kernel;
#[cfg(test)]
mod hmm_tests;
