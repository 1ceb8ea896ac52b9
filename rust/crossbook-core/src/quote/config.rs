//! Configuration of the quote engine: the regime table, the component switches and every constant the
//! cycle uses, with units. Deserialisable from JSON (the Python `QuoteConfig` sends its TOML-loaded
//! values this way); unknown keys are rejected so a typo cannot silently fall back to a default.

use serde::{Deserialize, Serialize};

use super::params::RegimeTable;
use crate::error::{CoreError, Result};

/// Switches: each component of the cycle can be turned off; what "off" means is on each field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[allow(clippy::struct_excessive_bools)] // one switch per component is the point
pub struct Components {
    /// on: blend the regime rows by probability (seed); off: use the row of the most likely regime
    pub regime_blend: bool,
    /// on: κ × adverse-selection adjustment and the informed-flow spread premium; off: × 1, + 0
    pub adverse_selection: bool,
    /// on: half-spread × uncertainty multiplier (warm-up, κ uncertainty, regime entropy); off: × 1
    pub uncertainty: bool,
    /// on: half-spread at least the regime's floor; off: no floor
    pub spread_floor: bool,
    /// on: maker fee (bps, negative = rebate) added to the half-spread; off: + 0
    pub maker_fee: bool,
    /// on: Guéant's volatility term σc₂/2 in the half-spread; off: the seed's c₁ alone
    pub glft_vol_term: bool,
    /// on: GLFT inventory skew q·σ·c₂; off: 0
    pub inventory_skew: bool,
    /// on: centre on the (Stoikov) micro-price; off: on the mid
    pub microprice: bool,
    /// on: centre on the lead-lag adjusted micro-price (overrides `microprice`); off: not used
    pub leadlag_center: bool,
    /// on: add the lead-lag directional skew; off: 0
    pub leadlag_skew: bool,
    /// on: defensive quotes when the cascade flag is set; off: the flag is ignored
    pub defensive: bool,
    /// on: sizes shrink with inventory on the side that adds to |q|, zero at the limit; off: fixed size
    pub size_limits: bool,
}

impl Default for Components {
    fn default() -> Self {
        Self {
            regime_blend: true,
            adverse_selection: true,
            uncertainty: true,
            spread_floor: true,
            maker_fee: true,
            glft_vol_term: true,
            inventory_skew: true,
            microprice: true,
            leadlag_center: true,
            leadlag_skew: true,
            defensive: true,
            size_limits: true,
        }
    }
}

/// Every constant of the quote cycle. Depths and spreads in bps of the quote centre; κ in 1/bp; sizes
/// and inventory in base units of the instrument (contracts for inverse perps).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct QuoteParams {
    /// the § 3.5 regime table
    pub regimes: RegimeTable,
    /// component switches
    pub components: Components,
    /// floor on the fill-intensity κ before the multipliers, 1/bp (seed `kappa.max(100.0)` per unit of
    /// relative price = 0.01 per bp): caps c₁ near 1/κ = 100 bps
    pub kappa_floor: f64,
    /// maker fee added to the half-spread, bps (negative = rebate); Binance USDT-M base tier: 2 bps
    pub maker_fee_bps: f64,
    /// κ discount per percentage point of informed flow (seed `kappa_discount_per_informed_pct`)
    pub as_kappa_discount_per_pct: f64,
    /// lowest κ adjustment (seed: 0.3, "don't reduce kappa by more than 70 %")
    pub as_kappa_min: f64,
    /// half-spread premium per percentage point of informed flow, bps (seed
    /// `spread_premium_per_informed_pct`; 0: § 3.7 does not use it)
    pub as_spread_premium_bps_per_pct: f64,
    /// warm-up after the first quoted cycle, seconds; the multiplier starts at `warmup_mult` and falls
    /// linearly to 1 over it (the "warmup multiplier" § 3.8 mentions)
    pub warmup_s: f64,
    /// uncertainty multiplier at the first cycle (>= 1)
    pub warmup_mult: f64,
    /// multiplier added per unit of κ's coefficient of variation (σ/μ, capped at 1)
    pub kappa_cv_weight: f64,
    /// multiplier added at maximal regime uncertainty (normalised entropy 1; one-hot: 0)
    pub entropy_weight: f64,
    /// cap on the uncertainty multiplier (>= 1)
    pub max_uncertainty_mult: f64,
    /// cap on |directional skew|, bps (the lead-lag seed caps its skew at 5 bps)
    pub max_directional_skew_bps: f64,
    /// defensive mode: half-spread at least this, bps (the cascade row's floor)
    pub defensive_floor_bps: f64,
    /// defensive mode: half-spread multiplier (>= 1)
    pub defensive_widen: f64,
    /// defensive mode: size multiplier in [0, 1]
    pub defensive_size_mult: f64,
    /// defensive mode: with inventory, quote only the side that reduces it
    pub defensive_reduce_only: bool,
    /// quote size, base units; also the GLFT lot Δ (inventory enters the skew as q / order_size)
    pub order_size: f64,
    /// base units per 1.0 of the table's `max_inventory`
    pub inventory_scale: f64,
    /// sizes are rounded down to multiples of this, base units (0: no rounding)
    pub lot_size: f64,
}

impl Default for QuoteParams {
    fn default() -> Self {
        Self {
            regimes: RegimeTable::default(),
            components: Components::default(),
            kappa_floor: 0.01,
            maker_fee_bps: 2.0,
            as_kappa_discount_per_pct: 0.01,
            as_kappa_min: 0.3,
            as_spread_premium_bps_per_pct: 0.0,
            warmup_s: 60.0,
            warmup_mult: 2.0,
            kappa_cv_weight: 0.5,
            entropy_weight: 0.5,
            max_uncertainty_mult: 3.0,
            max_directional_skew_bps: 5.0,
            defensive_floor_bps: 50.0,
            defensive_widen: 1.5,
            defensive_size_mult: 0.5,
            defensive_reduce_only: true,
            order_size: 0.1,
            inventory_scale: 1.0,
            lot_size: 0.0,
        }
    }
}

fn need(name: &str, v: f64, ok: bool, what: &str) -> Result<()> {
    if v.is_finite() && ok {
        Ok(())
    } else {
        Err(CoreError::InvalidInput(format!("{name} must be a finite number {what} (got {v})")))
    }
}

impl QuoteParams {
    /// Parse from JSON (unknown keys are errors; missing keys take the defaults).
    ///
    /// # Errors
    /// [`CoreError::InvalidInput`] with serde's message, or the first invalid value.
    pub fn from_json(text: &str) -> Result<Self> {
        let p: Self = serde_json::from_str(text).map_err(|e| CoreError::InvalidInput(format!("quote config: {e}")))?;
        p.validate()?;
        Ok(p)
    }

    /// Serialise to JSON (the form [`Self::from_json`] reads).
    ///
    /// # Errors
    /// [`CoreError::InvalidInput`] if serde fails (it cannot for these plain fields).
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string(self).map_err(|e| CoreError::InvalidInput(format!("quote config: {e}")))
    }

    /// Check every value's range.
    ///
    /// # Errors
    /// [`CoreError::InvalidInput`] naming the first bad parameter.
    pub fn validate(&self) -> Result<()> {
        self.regimes.validate()?;
        let p = self;
        need("kappa_floor", p.kappa_floor, p.kappa_floor > 0.0, "> 0")?;
        need("maker_fee_bps", p.maker_fee_bps, true, "")?;
        need("as_kappa_discount_per_pct", p.as_kappa_discount_per_pct, p.as_kappa_discount_per_pct >= 0.0, ">= 0")?;
        need("as_kappa_min", p.as_kappa_min, p.as_kappa_min > 0.0 && p.as_kappa_min <= 1.0, "in (0, 1]")?;
        let prem = p.as_spread_premium_bps_per_pct;
        need("as_spread_premium_bps_per_pct", prem, prem >= 0.0, ">= 0")?;
        need("warmup_s", p.warmup_s, p.warmup_s >= 0.0, ">= 0")?;
        need("warmup_mult", p.warmup_mult, p.warmup_mult >= 1.0, ">= 1")?;
        need("kappa_cv_weight", p.kappa_cv_weight, p.kappa_cv_weight >= 0.0, ">= 0")?;
        need("entropy_weight", p.entropy_weight, p.entropy_weight >= 0.0, ">= 0")?;
        need("max_uncertainty_mult", p.max_uncertainty_mult, p.max_uncertainty_mult >= 1.0, ">= 1")?;
        let skew = p.max_directional_skew_bps;
        need("max_directional_skew_bps", skew, skew >= 0.0, ">= 0")?;
        need("defensive_floor_bps", p.defensive_floor_bps, p.defensive_floor_bps >= 0.0, ">= 0")?;
        need("defensive_widen", p.defensive_widen, p.defensive_widen >= 1.0, ">= 1")?;
        let m = p.defensive_size_mult;
        need("defensive_size_mult", m, (0.0..=1.0).contains(&m), "in [0, 1]")?;
        need("order_size", p.order_size, p.order_size > 0.0, "> 0")?;
        need("inventory_scale", p.inventory_scale, p.inventory_scale > 0.0, "> 0")?;
        need("lot_size", p.lot_size, p.lot_size >= 0.0, ">= 0")?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_round_trip_and_partial_configs() {
        let p = QuoteParams::default();
        let text = p.to_json().unwrap();
        assert_eq!(QuoteParams::from_json(&text).unwrap(), p);
        // missing keys take defaults, nested too
        let q = QuoteParams::from_json(r#"{"order_size": 0.5, "components": {"leadlag_skew": false}}"#).unwrap();
        assert_eq!(q.order_size, 0.5);
        assert!(!q.components.leadlag_skew);
        assert!(q.components.leadlag_center);
        assert_eq!(q.regimes, RegimeTable::default());
    }

    #[test]
    fn bad_configs_are_named() {
        let e = QuoteParams::from_json(r#"{"order_sise": 1}"#).unwrap_err().to_string();
        assert!(e.starts_with("quote config: unknown field `order_sise`"), "{e}");
        let e = QuoteParams::from_json(r#"{"kappa_floor": 0}"#).unwrap_err().to_string();
        assert_eq!(e, "kappa_floor must be a finite number > 0 (got 0)");
        let e = QuoteParams::from_json(r#"{"defensive_size_mult": 2}"#).unwrap_err().to_string();
        assert_eq!(e, "defensive_size_mult must be a finite number in [0, 1] (got 2)");
        let e = QuoteParams::from_json(r#"{"regimes": {"quiet": {"gamma": 1}}}"#).unwrap_err().to_string();
        assert!(e.contains("missing field `kappa_multiplier`"), "{e}");
    }
}
