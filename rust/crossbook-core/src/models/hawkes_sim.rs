//! Ogata's (1981) thinning simulator for the exponential Hawkes process: ground truth for the fits.
//!
//! Between events the intensity only decays, so λ(t+) bounds it until the next event: draw a
//! candidate after an Exp(λ(t+)) wait, accept it with probability λ(candidate)/λ(t+), and restart the
//! bound from the candidate either way (exact, no discretisation).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Exp1};

use super::hawkes::HawkesExp;
use crate::error::{CoreError, Result};

/// Simulations stop with an error past this many events (an explosive n >= 1 process).
pub const MAX_SIM_EVENTS: usize = 50_000_000;

/// The error for a runaway simulation.
pub(crate) fn runaway() -> CoreError {
    CoreError::InvalidInput(format!(
        "simulation exceeded {MAX_SIM_EVENTS} events (branching ratio >= 1 or horizon too long)"
    ))
}

/// Check a simulation horizon (seconds).
pub(crate) fn check_horizon(horizon: f64) -> Result<()> {
    if horizon.is_finite() && horizon > 0.0 {
        Ok(())
    } else {
        Err(CoreError::InvalidInput(format!("horizon must be a finite number of seconds > 0 (got {horizon})")))
    }
}

/// Event times (seconds, increasing) of an exponential Hawkes process on `[0, horizon]`, started
/// empty (no events before 0), from a seeded ChaCha8 stream.
///
/// # Errors
/// [`CoreError::InvalidInput`] for a bad horizon or more than [`MAX_SIM_EVENTS`] events.
pub fn simulate_hawkes_exp(p: &HawkesExp, horizon: f64, seed: u64) -> Result<Vec<f64>> {
    check_horizon(horizon)?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let alpha = p.kernel_alpha();
    let mut out = Vec::new();
    let (mut t, mut x) = (0.0, 0.0); // x = λ(t) − μ
    loop {
        let bound = p.mu + x;
        let e: f64 = Exp1.sample(&mut rng);
        let w = e / bound;
        t += w;
        if t > horizon {
            break;
        }
        x *= (-p.beta * w).exp();
        if rng.random::<f64>() * bound <= p.mu + x {
            out.push(t);
            x += alpha;
            if out.len() > MAX_SIM_EVENTS {
                return Err(runaway());
            }
        }
    }
    Ok(out)
}
