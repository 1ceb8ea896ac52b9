//! Order-book imbalance (OIB) with distance weights, as defined in the seed
//! `spot-anchored-perp-1h-signals.md` (§ "OIB (order-book imbalance) definition"):
//!
//! ```text
//! m      = (best_bid + best_ask) / 2
//! w(p)   = exp(−λ · |p/m − 1|),        λ = ln 2 / (h · 1e-4)    (h = half-life in bps)
//! D_bid  = Σ_{bids p ≥ m(1−δ)} size · p · w(p)                  (δ = band in bps · 1e-4)
//! D_ask  = Σ_{asks p ≤ m(1+δ)} size · p · w(p)
//! OIB    = (D_bid − D_ask) / (D_bid + D_ask)                     ∈ [−1, 1], > 0 = more bids
//! ```
//!
//! The seed weighs quote notional (size · p); `notional = false` weighs the size alone (base units or
//! contracts), which differs by at most the band (±δ) in relative terms. Defaults: Tier 1 (BTC/ETH on
//! Binance USDT-M) δ = 25 bps, h = 25 bps (λ ≈ 277.3); Tier 2 (thin alts) δ = 50 bps, h = 50 bps
//! (λ ≈ 138.6). The band is inclusive. Cost: O(levels inside the band) per snapshot, one `exp` each.

use std::f64::consts::LN_2;

use super::{book_mid, Level};
use crate::error::{CoreError, Result};

/// Band and half-life of the distance-weighted OIB.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ObiParams {
    /// half-width of the band around mid that counts (bps)
    pub delta_bps: f64,
    /// distance at which a level's weight halves (bps); `f64::INFINITY` = unweighted
    pub half_life_bps: f64,
    /// weigh size · price (quote notional, the seed's definition) instead of size
    pub notional: bool,
}

impl ObiParams {
    /// Tier 1 (BTC/ETH, high liquidity): δ = 25 bps, h = 25 bps.
    pub const TIER1: Self = Self { delta_bps: 25.0, half_life_bps: 25.0, notional: true };
    /// Tier 2 (thin alts): δ = 50 bps, h = 50 bps.
    pub const TIER2: Self = Self { delta_bps: 50.0, half_life_bps: 50.0, notional: true };

    /// Decay rate λ = ln 2 / (h · 1e-4) per unit of relative distance |p/m − 1|.
    #[must_use]
    pub fn lambda(&self) -> f64 {
        LN_2 / (self.half_life_bps * 1e-4)
    }
}

impl Default for ObiParams {
    fn default() -> Self {
        Self::TIER1
    }
}

/// A distance-weighted OIB calculator with its constants precomputed.
#[derive(Debug, Clone, Copy)]
pub struct Obi {
    params: ObiParams,
    delta: f64,
    lambda: f64,
}

impl Obi {
    /// # Errors
    /// [`CoreError::InvalidInput`] when `delta_bps` is negative or not finite, or `half_life_bps` is not
    /// positive (infinity is allowed: no distance weighting).
    pub fn new(params: ObiParams) -> Result<Self> {
        if !(params.delta_bps.is_finite() && params.delta_bps >= 0.0) {
            return Err(CoreError::InvalidInput(format!(
                "delta_bps must be finite and >= 0 (got {})",
                params.delta_bps
            )));
        }
        if params.half_life_bps.is_nan() || params.half_life_bps <= 0.0 {
            return Err(CoreError::InvalidInput(format!("half_life_bps must be > 0 (got {})", params.half_life_bps)));
        }
        Ok(Self { params, delta: params.delta_bps * 1e-4, lambda: params.lambda() })
    }

    #[must_use]
    pub fn params(&self) -> ObiParams {
        self.params
    }

    /// OIB of one snapshot, sides sorted best first (see [`super::check_levels`]); empty levels are
    /// skipped. NaN when a side is empty, the book is crossed, or no size lies inside the band.
    #[inline]
    #[must_use]
    pub fn compute(&self, bids: &[Level], asks: &[Level]) -> f64 {
        let m = book_mid(bids, asks);
        if m.is_nan() {
            return f64::NAN;
        }
        let lo = m * (1.0 - self.delta);
        let hi = m * (1.0 + self.delta);
        let d_bid = self.side_sum(bids.iter().take_while(|l| l.px >= lo), m);
        let d_ask = self.side_sum(asks.iter().take_while(|l| l.px <= hi), m);
        let total = d_bid + d_ask;
        if total > 0.0 {
            (d_bid - d_ask) / total
        } else {
            f64::NAN
        }
    }

    #[inline]
    fn side_sum<'a>(&self, levels: impl Iterator<Item = &'a Level>, m: f64) -> f64 {
        let mut d = 0.0;
        for l in levels {
            if l.qty > 0.0 {
                let w = (-self.lambda * (l.px / m - 1.0).abs()).exp();
                d += w * if self.params.notional { l.qty * l.px } else { l.qty };
            }
        }
        d
    }
}

/// OIB of each snapshot of long-format rows (see [`super::for_each_snapshot`]): `(keys, oib)`.
///
/// # Errors
/// As [`super::for_each_snapshot`].
pub fn obi_snapshots(key: &[i64], side: &[i8], px: &[f64], qty: &[f64], obi: &Obi) -> Result<(Vec<i64>, Vec<f64>)> {
    let (mut keys, mut out) = (Vec::new(), Vec::new());
    super::for_each_snapshot(key, side, px, qty, |s| {
        keys.push(s.key);
        out.push(obi.compute(s.bids, s.asks));
    })?;
    Ok((keys, out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lv(v: &[(f64, f64)]) -> Vec<Level> {
        v.iter().map(|&(p, q)| Level::new(p, q)).collect()
    }

    #[test]
    fn seed_lambdas() {
        assert!((ObiParams::TIER1.lambda() - 277.258_872).abs() < 1e-5);
        assert!((ObiParams::TIER2.lambda() - 138.629_436).abs() < 1e-5);
    }

    #[test]
    fn hand_computed_case() {
        // mid = 100, band 25 bps = [99.75, 100.25], λ = ln2 / 0.0025
        let bids = lv(&[(99.9, 2.0), (99.8, 1.0), (99.7, 50.0)]); // 99.7 is outside the band
        let asks = lv(&[(100.1, 1.0), (100.2, 3.0), (100.3, 50.0)]); // 100.3 outside
        let obi = Obi::new(ObiParams::TIER1).unwrap();
        let lam = 2f64.ln() / 0.0025;
        let w = |p: f64| (-lam * (p / 100.0 - 1.0f64).abs()).exp();
        let db = 2.0 * 99.9 * w(99.9) + 1.0 * 99.8 * w(99.8);
        let da = 1.0 * 100.1 * w(100.1) + 3.0 * 100.2 * w(100.2);
        let want = (db - da) / (db + da);
        let got = obi.compute(&bids, &asks);
        assert!((got - want).abs() < 1e-14, "{got} vs {want}");
        // by hand: w(0.1%) = 2^-0.4 = 0.757858, w(0.2%) = 2^-0.8 = 0.574349
        // D_bid = 199.8·0.757858 + 99.8·0.574349 = 208.7401; D_ask = 100.1·0.757858 + 300.6·0.574349 = 248.5110
        assert!((got - (208.7401 - 248.5110) / (208.7401 + 248.5110)).abs() < 1e-5, "{got}");
        // size-only weighting
        let q = Obi::new(ObiParams { notional: false, ..ObiParams::TIER1 }).unwrap();
        let (qb, qa) = (2.0 * w(99.9) + w(99.8), w(100.1) + 3.0 * w(100.2));
        assert!((q.compute(&bids, &asks) - (qb - qa) / (qb + qa)).abs() < 1e-14);
        // unweighted, wide band counts everything
        let flat = Obi::new(ObiParams { delta_bps: 100.0, half_life_bps: f64::INFINITY, notional: false }).unwrap();
        assert!((flat.compute(&bids, &asks) - (53.0 - 54.0) / 107.0).abs() < 1e-15);
    }

    #[test]
    fn empty_and_degenerate() {
        let obi = Obi::new(ObiParams::TIER2).unwrap();
        assert!(obi.compute(&[], &lv(&[(1.0, 1.0)])).is_nan());
        // spread wider than the band: nothing counts
        assert!(obi.compute(&lv(&[(90.0, 1.0)]), &lv(&[(110.0, 1.0)])).is_nan());
        // an empty level is skipped (mid = 100.01), unweighted sizes
        let flat = Obi::new(ObiParams { delta_bps: 25.0, half_life_bps: f64::INFINITY, notional: false }).unwrap();
        assert_eq!(flat.compute(&lv(&[(100.0, 1.0)]), &lv(&[(100.01, 0.0), (100.02, 3.0)])), -0.5);
        assert!(Obi::new(ObiParams { delta_bps: -1.0, ..ObiParams::TIER1 }).is_err());
        assert!(Obi::new(ObiParams { half_life_bps: 0.0, ..ObiParams::TIER1 }).is_err());
    }

    #[test]
    fn snapshots_in_long_format() {
        let obi = Obi::new(ObiParams { delta_bps: 100.0, half_life_bps: f64::INFINITY, notional: false }).unwrap();
        let (k, v) =
            obi_snapshots(&[5, 5, 6, 6], &[1, -1, -1, 1], &[99.0, 101.0, 101.0, 99.0], &[3.0, 1.0, 1.0, 1.0], &obi)
                .unwrap();
        assert_eq!(k, vec![5, 6]);
        assert_eq!(v, vec![0.5, 0.0]);
    }
}
