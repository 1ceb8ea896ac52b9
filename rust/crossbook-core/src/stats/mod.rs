//! Statistics for the measurement layer (seed `heatmap-overlay-and-model-infrastructure.md` Part 3):
//!
//! - [`knn_mi`]: mutual information by the KSG k-nearest-neighbour estimator 1 (max-norm; equal-count x
//!   strips sorted by y instead of a k-d tree; parallel), with a shuffled-target null distribution — the
//!   signal audit of § 3.2;
//! - [`calibration`]: Brier score, its exact binned Murphy decomposition (with the within-bin terms),
//!   isotonic (PAV) recalibration and the CORP decomposition — the calibration pipeline of § 3.1.

pub mod calibration;
pub mod knn_mi;
mod sort;
pub mod special;
mod grid;
mod kbest;
mod marginal;
mod pairwise;
mod scratch;
