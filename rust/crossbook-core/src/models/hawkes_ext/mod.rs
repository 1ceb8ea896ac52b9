//! The seed's three exchange-specific extensions of the exponential Hawkes model (heatmap seed §3.3),
//! each a model variant with its own maximum-likelihood fit, simulator and time-rescaling test, and
//! the full fill-intensity model that combines them with `intensity_to_kappa`.
//!
//! - [`baseline`] (Extension 1): state-dependent baseline `μ(t) = μ₀·exp(w·z(t))` on piecewise-constant
//!   covariates (funding, OI change rate, the settlement cycle);
//! - [`marks`] (Extension 2): excitation by trade size, side and aggressor,
//!   `α_j = n·min((s_j/s̃)^p, cap)·m_side^[same side]·m_aggr^[aggressor]`;
//! - [`queue`] (Extension 3): queue-consumption kernel
//!   `β·e^(−β(t−t_j))·(1 + c·min(ΔQ_j(t)/Q, 1))`, ΔQ_j(t) the queue consumed since event j;
//! - [`fill`]: `FillIntensityModel` (the seed's `HyperliquidFillIntensityModel`) and
//!   `intensity_to_kappa` with the seed's 0.1 bp perturbation and floor.
//!
//! All kernels are normalised as in [`super::hawkes`]: `n·β·e^(−βt)` integrates to n, the branching
//! ratio. Every fit is exact maximum likelihood with an O(N + K) likelihood (N events, K covariate or
//! queue samples) maximised by the damped Newton method of [`super::optim`] over unconstrained
//! parameters, started from the plain Hawkes fit; gradients are analytic for the baseline and marks
//! variants and central differences of the exact likelihood for the queue variant.

pub mod baseline;
pub mod fill;
pub mod marks;
pub mod queue;

use super::hawkes_gof::KsResult;
use super::optim::{standard_errors, NewtonResult};

/// A fitted extension: named parameters in natural units, with their standard errors.
#[derive(Debug, Clone, PartialEq)]
pub struct ExtFit {
    /// parameter names (model-specific, documented with each fit)
    pub names: Vec<String>,
    /// parameter values, natural units
    pub values: Vec<f64>,
    /// asymptotic standard errors (delta method; 0 for parameters held fixed)
    pub std_err: Vec<f64>,
    /// log-likelihood at the optimum
    pub loglik: f64,
    /// events used
    pub n_events: usize,
    /// Newton iterations
    pub iterations: usize,
    /// the optimiser met its tolerances
    pub converged: bool,
    /// time-rescaling KS test of the fitted model
    pub ks: KsResult,
}

impl ExtFit {
    /// The value of parameter `name`.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<f64> {
        self.names.iter().position(|n| n == name).map(|i| self.values[i])
    }
}

/// Standard errors of natural parameters `θ = h(u)` from the Newton result in `u`, given
/// `dθ/du` per parameter (the transforms are all one-to-one per coordinate).
pub(crate) fn natural_se(r: &NewtonResult, dtheta_du: &[f64]) -> Vec<f64> {
    let se = standard_errors(&r.hess, r.x.len());
    se.iter().zip(dtheta_du).map(|(s, d)| s * d.abs()).collect()
}

#[cfg(test)]
mod tests;
