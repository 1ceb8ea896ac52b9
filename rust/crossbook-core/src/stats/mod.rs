//! Statistics for the measurement layer (seed `heatmap-overlay-and-model-infrastructure.md` Part 3):
//!
//! - [`knn_mi`]: mutual information by the KSG k-nearest-neighbour estimator 1 (max-norm; a grid of
//!   equal-count columns and rows instead of a k-d tree, radix-sorted marginals; parallel; equal to
//!   scikit-learn's), with a shuffled-target null distribution — the signal audit of § 3.2;
//! - [`calibration`]: Brier score, its exact binned Murphy decomposition (with the within-bin terms),
//!   isotonic (PAV) recalibration and the CORP decomposition — the calibration pipeline of § 3.1.

pub mod calibration;
mod grid;
mod kbest;
pub mod knn_mi;
mod marginal;
mod pairwise;
mod scratch;
mod sort;
pub mod special;
