//! Regime-dependent quoting parameters (seed `heatmap-overlay-and-model-infrastructure.md` § 3.5,
//! `RegimeSpecificParams` / `get_regime_params` / `blend_params_by_belief`).
//!
//! Four regimes, in this order everywhere (probability vectors, tables, records): quiet, trending,
//! volatile, cascade. Each has a risk aversion γ, a multiplier on the fill-intensity decay κ, a floor
//! on the half-spread and an inventory limit. The engine blends them with the regime probabilities it
//! is given (a fixed one-hot vector until the HMM lands): `blended.x = Σᵢ pᵢ · paramsᵢ.x`, exactly the
//! seed's `blend_params_by_belief`.

use serde::{Deserialize, Serialize};

use crate::error::{CoreError, Result};

/// Number of regimes.
pub const N_REGIMES: usize = 4;

/// Regime names, in index order.
pub const REGIME_NAMES: [&str; N_REGIMES] = ["quiet", "trending", "volatile", "cascade"];

/// The seed's `MarketRegime`, in index order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Regime {
    /// low volatility, balanced flow, normal fill rates
    Quiet = 0,
    /// directional momentum, elevated adverse selection
    Trending = 1,
    /// high volatility, wide spreads, uncertain direction
    Volatile = 2,
    /// liquidation cascade, extreme toxicity
    Cascade = 3,
}

impl Regime {
    /// All regimes in index order.
    pub const ALL: [Regime; N_REGIMES] = [Regime::Quiet, Regime::Trending, Regime::Volatile, Regime::Cascade];

    /// lower-case name (`"quiet"`, …)
    #[must_use]
    pub fn name(self) -> &'static str {
        REGIME_NAMES[self as usize]
    }
}

/// Parameters of one regime (seed `RegimeSpecificParams`). Units:
/// - `gamma`: risk aversion γ per bp of price per lot of inventory (see [`super::glft`] for why bps);
/// - `kappa_multiplier`: dimensionless factor on the fill-intensity decay κ;
/// - `spread_floor_bps`: minimum **half**-spread in bps of the quote centre (the seed applies this
///   "spread floor" to the half-spread: `glft_half_spread.max(spread_floor)`);
/// - `max_inventory`: inventory limit in units of `QuoteParams::inventory_scale` (base units of the
///   instrument when the scale is 1).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegimeParams {
    pub gamma: f64,
    pub kappa_multiplier: f64,
    pub spread_floor_bps: f64,
    pub max_inventory: f64,
}

impl RegimeParams {
    const ZERO: Self = Self { gamma: 0.0, kappa_multiplier: 0.0, spread_floor_bps: 0.0, max_inventory: 0.0 };

    /// Check one row: γ, κ multiplier and max inventory finite and > 0, floor finite and >= 0.
    ///
    /// # Errors
    /// [`CoreError::InvalidInput`] naming the regime and the field.
    pub fn validate(&self, name: &str) -> Result<()> {
        let pos = [("gamma", self.gamma), ("kappa_multiplier", self.kappa_multiplier)];
        for (field, v) in pos.into_iter().chain([("max_inventory", self.max_inventory)]) {
            if !(v.is_finite() && v > 0.0) {
                return Err(CoreError::InvalidInput(format!(
                    "regime {name}: {field} must be a finite number > 0 (got {v})"
                )));
            }
        }
        if !(self.spread_floor_bps.is_finite() && self.spread_floor_bps >= 0.0) {
            return Err(CoreError::InvalidInput(format!(
                "regime {name}: spread_floor_bps must be a finite number >= 0 (got {})",
                self.spread_floor_bps
            )));
        }
        Ok(())
    }
}

/// The § 3.5 table, one row per regime.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegimeTable {
    pub quiet: RegimeParams,
    pub trending: RegimeParams,
    pub volatile: RegimeParams,
    pub cascade: RegimeParams,
}

impl Default for RegimeTable {
    /// The seed's `get_regime_params` values.
    fn default() -> Self {
        let row = |gamma, kappa_multiplier, spread_floor_bps, max_inventory| RegimeParams {
            gamma,
            kappa_multiplier,
            spread_floor_bps,
            max_inventory,
        };
        Self {
            quiet: row(0.3, 1.0, 5.0, 1.0),
            trending: row(0.5, 0.7, 10.0, 0.5),
            volatile: row(0.8, 1.5, 15.0, 0.3),
            cascade: row(2.0, 5.0, 50.0, 0.1),
        }
    }
}

impl RegimeTable {
    /// Rows in regime index order.
    #[must_use]
    pub fn rows(&self) -> [RegimeParams; N_REGIMES] {
        [self.quiet, self.trending, self.volatile, self.cascade]
    }

    /// The parameters of one regime (seed `get_regime_params`).
    #[must_use]
    pub fn get(&self, regime: Regime) -> RegimeParams {
        self.rows()[regime as usize]
    }

    /// Check every row.
    ///
    /// # Errors
    /// [`CoreError::InvalidInput`] for the first bad field.
    pub fn validate(&self) -> Result<()> {
        for (r, p) in Regime::ALL.iter().zip(self.rows()) {
            p.validate(r.name())?;
        }
        Ok(())
    }

    /// Probability-weighted blend (seed `blend_params_by_belief`). `probs` must already be a
    /// probability vector (see [`normalise_probs`]).
    #[must_use]
    pub fn blend(&self, probs: &[f64; N_REGIMES]) -> RegimeParams {
        let mut b = RegimeParams::ZERO;
        for (p, r) in probs.iter().zip(self.rows()) {
            b.gamma += p * r.gamma;
            b.kappa_multiplier += p * r.kappa_multiplier;
            b.spread_floor_bps += p * r.spread_floor_bps;
            b.max_inventory += p * r.max_inventory;
        }
        b
    }
}

/// The most likely regime (seed `most_likely_regime`); ties go to the lower index (the calmer regime).
#[must_use]
pub fn most_likely(probs: &[f64; N_REGIMES]) -> Regime {
    let mut best = 0;
    for k in 1..N_REGIMES {
        if probs[k] > probs[best] {
            best = k;
        }
    }
    Regime::ALL[best]
}

/// Normalise regime probabilities to sum to 1. `None` when any is NaN, infinite or negative, or all are 0.
#[must_use]
pub fn normalise_probs(probs: &[f64; N_REGIMES]) -> Option<[f64; N_REGIMES]> {
    if probs.iter().any(|p| !(p.is_finite() && *p >= 0.0)) {
        return None;
    }
    let total: f64 = probs.iter().sum();
    if !(total > 0.0 && total.is_finite()) {
        return None;
    }
    Some(probs.map(|p| p / total))
}

/// Shannon entropy of a probability vector divided by ln 4: 0 for a certain regime, 1 for uniform.
#[must_use]
pub fn normalised_entropy(probs: &[f64; N_REGIMES]) -> f64 {
    let h: f64 = probs.iter().filter(|p| **p > 0.0).map(|p| -p * p.ln()).sum();
    h / (N_REGIMES as f64).ln()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn one_hot_blend_is_the_row() {
        let t = RegimeTable::default();
        for r in Regime::ALL {
            let mut p = [0.0; 4];
            p[r as usize] = 1.0;
            assert_eq!(t.blend(&p), t.get(r));
        }
    }

    #[test]
    fn blend_by_hand() {
        // 0.5 quiet + 0.25 trending + 0.25 cascade
        let b = RegimeTable::default().blend(&[0.5, 0.25, 0.0, 0.25]);
        assert!(close(b.gamma, 0.5 * 0.3 + 0.25 * 0.5 + 0.25 * 2.0)); // 0.775
        assert!(close(b.gamma, 0.775));
        assert!(close(b.kappa_multiplier, 0.5 + 0.175 + 1.25)); // 1.925
        assert!(close(b.spread_floor_bps, 2.5 + 2.5 + 12.5)); // 17.5
        assert!(close(b.max_inventory, 0.5 + 0.125 + 0.025)); // 0.65
                                                              // uniform
        let u = RegimeTable::default().blend(&[0.25; 4]);
        assert!(close(u.gamma, (0.3 + 0.5 + 0.8 + 2.0) / 4.0));
        assert!(close(u.max_inventory, (1.0 + 0.5 + 0.3 + 0.1) / 4.0));
    }

    #[test]
    fn probabilities_are_normalised_or_rejected() {
        assert_eq!(normalise_probs(&[2.0, 0.0, 0.0, 2.0]), Some([0.5, 0.0, 0.0, 0.5]));
        assert_eq!(normalise_probs(&[0.0; 4]), None);
        assert_eq!(normalise_probs(&[1.0, -0.1, 0.0, 0.1]), None);
        assert_eq!(normalise_probs(&[f64::NAN, 1.0, 0.0, 0.0]), None);
        assert_eq!(most_likely(&[0.1, 0.4, 0.4, 0.1]), Regime::Trending);
        assert_eq!(most_likely(&[0.0, 0.0, 0.0, 1.0]), Regime::Cascade);
        assert!(close(normalised_entropy(&[0.25; 4]), 1.0));
        assert!(close(normalised_entropy(&[1.0, 0.0, 0.0, 0.0]), 0.0));
    }

    #[test]
    fn validation_names_the_field() {
        let mut t = RegimeTable::default();
        assert!(t.validate().is_ok());
        t.volatile.gamma = 0.0;
        assert_eq!(t.validate().unwrap_err().to_string(), "regime volatile: gamma must be a finite number > 0 (got 0)");
        let mut t = RegimeTable::default();
        t.cascade.spread_floor_bps = f64::NAN;
        assert!(t.validate().unwrap_err().to_string().starts_with("regime cascade: spread_floor_bps"));
    }
}
