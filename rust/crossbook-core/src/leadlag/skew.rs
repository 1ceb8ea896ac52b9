//! Using a lead-lag estimate on the quote side (seeds/lead-lag-skill.md "Integration into Quote
//! Engine" and the infrastructure seed's `compute_directional_skew`).
//!
//! Units: returns and moves are fractions (0.0001 = 1 bp; log and simple returns agree at this
//! size); times since the leader's move and lags are milliseconds (as the seed); skews are basis
//! points. A positive skew means the follower is expected to move up: lean quotes up (the seed's
//! engine subtracts it from the bid depth and adds it to the ask depth).
//!
//! Every function validates its inputs: non-finite numbers, a negative time, a non-positive
//! microprice or a negative cap are [`CoreError::InvalidInput`], never a silent 0.

use super::streaming::CurrentEstimate;
use crate::error::{CoreError, Result};

/// Below this R² the predicted move is 0 (the signal is unreliable).
pub const MIN_R2_PREDICT: f64 = 0.1;
/// Below this R² the lead-lag skew is 0.
pub const MIN_R2_SKEW: f64 = 0.2;
/// Fraction of the leader's move (in bp, scaled by confidence and time left) used as skew.
pub const SKEW_GAIN: f64 = 0.5;
/// Directional skew at full confidence (R² = 1), bp.
pub const DIRECTIONAL_FULL_CONFIDENCE_BPS: f64 = 2.0;

fn finite(name: &str, v: f64) -> Result<f64> {
    if v.is_finite() {
        Ok(v)
    } else {
        Err(CoreError::InvalidInput(format!("{name} must be finite, got {v}")))
    }
}

fn check(e: &CurrentEstimate, leader_return: f64, time_since_leader_move_ms: f64) -> Result<()> {
    finite("lag_ms", e.lag_ms)?;
    finite("beta", e.beta)?;
    finite("r_squared", e.r_squared)?;
    finite("leader return", leader_return)?;
    if finite("time since the leader's move", time_since_leader_move_ms)? < 0.0 {
        return Err(CoreError::InvalidInput(format!(
            "time since the leader's move must be >= 0 ms, got {time_since_leader_move_ms}"
        )));
    }
    Ok(())
}

/// Share of the lag still to run, in (0, 1], or `None` once the lag has elapsed (or the leader
/// does not lead: lag <= 0).
fn time_left(lag_ms: f64, t_ms: f64) -> Option<f64> {
    (lag_ms > 0.0 && t_ms < lag_ms).then(|| 1.0 - t_ms / lag_ms)
}

/// Sign with 0 for 0 (Rust's `signum` gives +1 for +0.0, which would skew on no move).
fn sign(v: f64) -> f64 {
    if v > 0.0 {
        1.0
    } else if v < 0.0 {
        -1.0
    } else {
        0.0
    }
}

/// Follower move still to come (fraction) after a leader move of `leader_return`,
/// `time_since_leader_move_ms` ago: `β · r · (1 − t / lag) · sqrt(R²)` while t < lag, else 0;
/// 0 when R² < [`MIN_R2_PREDICT`]. Linear completion over the lag, scaled by confidence.
///
/// # Errors
/// [`CoreError::InvalidInput`] for non-finite inputs or a negative time.
pub fn predict_remaining_move(e: &CurrentEstimate, leader_return: f64, time_since_leader_move_ms: f64) -> Result<f64> {
    check(e, leader_return, time_since_leader_move_ms)?;
    if e.r_squared < MIN_R2_PREDICT {
        return Ok(0.0);
    }
    Ok(match time_left(e.lag_ms, time_since_leader_move_ms) {
        Some(left) => e.beta * leader_return * left * e.r_squared.sqrt(),
        None => 0.0,
    })
}

/// The local microprice moved by the predicted remaining move: `mp · (1 + predicted)` (price
/// units of `local_microprice`).
///
/// # Errors
/// [`CoreError::InvalidInput`] for a non-positive or non-finite microprice, or as
/// [`predict_remaining_move`].
pub fn compute_adjusted_microprice(
    local_microprice: f64,
    e: &CurrentEstimate,
    leader_return: f64,
    time_since_leader_move_ms: f64,
) -> Result<f64> {
    if !(local_microprice.is_finite() && local_microprice > 0.0) {
        return Err(CoreError::InvalidInput(format!(
            "local microprice must be finite and > 0, got {local_microprice}"
        )));
    }
    let m = predict_remaining_move(e, leader_return, time_since_leader_move_ms)?;
    Ok(local_microprice * (1.0 + m))
}

/// Quote skew (bp) while the lag has not elapsed: `sign(r) · |r|·10⁴ · sqrt(R²) · (1 − t/lag) ·`
/// [`SKEW_GAIN`], capped to ±`max_skew_bps`; 0 when R² < [`MIN_R2_SKEW`] or t >= lag.
///
/// # Errors
/// [`CoreError::InvalidInput`] for a negative or non-finite cap, or as [`predict_remaining_move`].
pub fn compute_lead_lag_skew_bps(
    e: &CurrentEstimate,
    leader_return: f64,
    time_since_leader_move_ms: f64,
    max_skew_bps: f64,
) -> Result<f64> {
    check(e, leader_return, time_since_leader_move_ms)?;
    if finite("max_skew_bps", max_skew_bps)? < 0.0 {
        return Err(CoreError::InvalidInput(format!("max_skew_bps must be >= 0, got {max_skew_bps}")));
    }
    if e.r_squared < MIN_R2_SKEW {
        return Ok(0.0);
    }
    let Some(left) = time_left(e.lag_ms, time_since_leader_move_ms) else {
        return Ok(0.0);
    };
    let magnitude_bps = leader_return.abs() * 1e4;
    let skew = sign(leader_return) * magnitude_bps * e.r_squared.sqrt() * left * SKEW_GAIN;
    Ok(skew.clamp(-max_skew_bps, max_skew_bps))
}

/// The infrastructure seed's directional skew (bp): while t < lag,
/// `base_skew_bps + sign(move) · R² · full_confidence_bps` (2 bp at R² = 1 by default), else
/// `base_skew_bps`.
///
/// # Errors
/// [`CoreError::InvalidInput`] for non-finite inputs or a negative time.
pub fn compute_directional_skew(
    e: &CurrentEstimate,
    leader_move: f64,
    time_since_leader_move_ms: f64,
    base_skew_bps: f64,
    full_confidence_bps: f64,
) -> Result<f64> {
    check(e, leader_move, time_since_leader_move_ms)?;
    finite("base_skew_bps", base_skew_bps)?;
    finite("full_confidence_bps", full_confidence_bps)?;
    Ok(match time_left(e.lag_ms, time_since_leader_move_ms) {
        Some(_) => base_skew_bps + sign(leader_move) * e.r_squared * full_confidence_bps,
        None => base_skew_bps,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const E: CurrentEstimate = CurrentEstimate { lag_ms: 200.0, beta: 0.8, r_squared: 0.25 };

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12 * b.abs().max(1e-12)
    }

    #[test]
    fn hand_computed_values() {
        // 0.8 · 1e-3 · (1 − 50/200) · sqrt(0.25) = 3e-4
        assert!(close(predict_remaining_move(&E, 1e-3, 50.0).unwrap(), 3e-4));
        assert!(close(predict_remaining_move(&E, -1e-3, 150.0).unwrap(), -1e-4));
        assert_eq!(predict_remaining_move(&E, 1e-3, 200.0).unwrap(), 0.0);
        let weak = CurrentEstimate { r_squared: 0.09, ..E };
        assert_eq!(predict_remaining_move(&weak, 1e-3, 0.0).unwrap(), 0.0);
        let no_lead = CurrentEstimate { lag_ms: 0.0, ..E };
        assert_eq!(predict_remaining_move(&no_lead, 1e-3, 0.0).unwrap(), 0.0);
        assert!(close(compute_adjusted_microprice(100.0, &E, 1e-3, 50.0).unwrap(), 100.03));
        // 10 bp · 0.5 · 0.75 · 0.5 = 1.875 bp
        assert!(close(compute_lead_lag_skew_bps(&E, 1e-3, 50.0, 5.0).unwrap(), 1.875));
        assert_eq!(compute_lead_lag_skew_bps(&E, 1e-3, 50.0, 1.0).unwrap(), 1.0);
        assert_eq!(compute_lead_lag_skew_bps(&E, -1e-2, 0.0, 5.0).unwrap(), -5.0);
        let r2_019 = CurrentEstimate { r_squared: 0.19, ..E };
        assert_eq!(compute_lead_lag_skew_bps(&r2_019, 1e-3, 0.0, 5.0).unwrap(), 0.0);
        assert_eq!(compute_lead_lag_skew_bps(&E, 1e-3, 250.0, 5.0).unwrap(), 0.0);
        // 0.5 + 1 · 0.25 · 2 = 1.0; no move → base
        assert!(close(compute_directional_skew(&E, 1e-4, 10.0, 0.5, 2.0).unwrap(), 1.0));
        assert!(close(compute_directional_skew(&E, -1e-4, 10.0, 0.5, 2.0).unwrap(), 0.0));
        assert_eq!(compute_directional_skew(&E, 0.0, 10.0, 0.5, 2.0).unwrap(), 0.5);
        assert_eq!(compute_directional_skew(&E, 1e-4, 300.0, 0.5, 2.0).unwrap(), 0.5);
    }

    #[test]
    fn bad_inputs() {
        let msg = |r: Result<f64>| r.unwrap_err().to_string();
        assert_eq!(msg(predict_remaining_move(&E, f64::NAN, 0.0)), "leader return must be finite, got NaN");
        assert_eq!(msg(predict_remaining_move(&E, 1e-3, -1.0)), "time since the leader's move must be >= 0 ms, got -1");
        assert_eq!(
            msg(compute_adjusted_microprice(0.0, &E, 1e-3, 0.0)),
            "local microprice must be finite and > 0, got 0"
        );
        assert_eq!(msg(compute_lead_lag_skew_bps(&E, 1e-3, 0.0, -1.0)), "max_skew_bps must be >= 0, got -1");
        let nan = CurrentEstimate { r_squared: f64::NAN, ..E };
        assert_eq!(msg(compute_directional_skew(&nan, 1e-3, 0.0, 0.0, 2.0)), "r_squared must be finite, got NaN");
    }
}
