//! Statistical models of the market (heatmap seed Part 3): HMM regimes (§3.5), Hawkes fill intensity
//! with the seed's three extensions, toxicity (trade classes, adverse selection) and liquidation
//! detection (§3.3–3.4).
//!
//! - [`hmm`]: four-regime hidden Markov model with diagonal Gaussian emissions, the batch and online
//!   forward filter; [`hmm_fit`]: Baum–Welch on past data, states ordered by volatility. Internals:
//!   `hmm_forward` (the sequential step, accumulators, `exp`), `hmm_kernel` (the batch pass: segments
//!   advanced side by side and merged exactly), `hmm_lanes` (the lane kernel, generic code),
//!   `hmm_avx2` (the same kernel with AVX2 + FMA intrinsics), `hmm_simd` (runtime CPU dispatch, the one
//!   `unsafe` call), `hmm_estep` (forward–backward and re-estimation).

pub mod hawkes;
pub mod hawkes_ext;
mod hawkes_fixed;
pub mod hawkes_gof;
pub mod hawkes_sim;
pub mod liquidation;
pub mod optim;
pub mod softmax;
pub mod toxicity;
pub mod toxicity_features;

#[cfg(test)]
mod hawkes_tests;
#[cfg(test)]
mod toxicity_tests;

pub mod hmm;
#[cfg(target_arch = "x86_64")]
mod hmm_avx2;
mod hmm_estep;
pub mod hmm_fit;
mod hmm_forward;
mod hmm_kernel;
#[cfg(test)]
mod hmm_kernel_tests;
mod hmm_lanes;
mod hmm_simd;
#[cfg(test)]
mod hmm_tests;
