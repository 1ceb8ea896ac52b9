//! Statistical models of the flow: Hawkes fill intensity (with the seed's three extensions),
//! toxicity (trade classes, adverse selection) and liquidation detection (heatmap seed §3.3–3.4).

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
