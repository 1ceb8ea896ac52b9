//! Statistical models of the market: regimes (HMM), fill intensity (Hawkes), toxicity.
//!
//! - [`hmm`]: four-regime hidden Markov model with diagonal Gaussian emissions, the batch and online
//!   forward filter; [`hmm_fit`]: Baum–Welch on past data, states ordered by volatility.

pub mod hmm;
pub mod hmm_fit;
mod hmm_forward;
#[cfg(test)]
mod hmm_tests;
