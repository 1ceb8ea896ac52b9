//! Weighted mid and Stoikov's micro-price (S. Stoikov 2018, "The micro-price: a high-frequency
//! estimator of future prices", Quantitative Finance 18(12), 1959–1966).
//!
//! With best bid `b` (size `q_b`), best ask `a` (size `q_a`), mid `M = (a + b)/2`, spread `s = a − b` and
//! imbalance `I = q_b / (q_b + q_a)`:
//!
//! - the weighted mid is `I·a + (1 − I)·b = (b·q_a + a·q_b) / (q_b + q_a)`;
//! - the micro-price is `M + g(I, s)`, the limit of expected mids at successive mid-price changes given
//!   the current (I, s). `g` is fitted from data as a Markov chain on discretised (I, s) states (see
//!   [`super::microprice_fit`]) and stored as a table, so the online lookup is O(1).
//!
//! Lookup: the table holds one value per (spread, imbalance bucket); [`MicropriceModel::adjust_ticks`]
//! interpolates linearly in imbalance between bucket centres (clamped at the outer centres), so `g` is
//! continuous in `I` and, after symmetrisation, `g(I) = −g(1 − I)` holds for every `I` (with an even
//! number of buckets the paper's step function would give `g(0.5) ≠ 0`). [`MicropriceModel::adjust_step`]
//! is the paper's piecewise-constant lookup.

use super::check_lengths;
use crate::error::{CoreError, Result};

/// `I = q_b / (q_b + q_a)`; NaN when both sizes are 0.
#[inline]
#[must_use]
pub fn imbalance(bid_qty: f64, ask_qty: f64) -> f64 {
    let total = bid_qty + ask_qty;
    if total > 0.0 {
        bid_qty / total
    } else {
        f64::NAN
    }
}

/// Size-weighted mid `(b·q_a + a·q_b) / (q_b + q_a)`: leans towards the side with less size. NaN when
/// both sizes are 0.
#[inline]
#[must_use]
pub fn weighted_mid(bid_px: f64, bid_qty: f64, ask_px: f64, ask_qty: f64) -> f64 {
    let total = bid_qty + ask_qty;
    if total > 0.0 {
        (bid_px * ask_qty + ask_px * bid_qty) / total
    } else {
        f64::NAN
    }
}

/// Check one BBO row: finite positive prices, finite non-negative sizes.
pub(crate) fn check_bbo(k: usize, bid_px: f64, bid_qty: f64, ask_px: f64, ask_qty: f64) -> Result<()> {
    super::check_px("bid_px", k, bid_px)?;
    super::check_px("ask_px", k, ask_px)?;
    super::check_qty("bid_qty", k, bid_qty)?;
    super::check_qty("ask_qty", k, ask_qty)
}

/// [`weighted_mid`] of each BBO row.
///
/// # Errors
/// [`CoreError::InvalidInput`] for length mismatches, NaN or non-positive prices, NaN or negative sizes.
pub fn weighted_mid_series(bid_px: &[f64], bid_qty: &[f64], ask_px: &[f64], ask_qty: &[f64]) -> Result<Vec<f64>> {
    check_lengths(
        &["bid_px", "bid_qty", "ask_px", "ask_qty"],
        &[bid_px.len(), bid_qty.len(), ask_px.len(), ask_qty.len()],
    )?;
    (0..bid_px.len())
        .map(|k| {
            check_bbo(k, bid_px[k], bid_qty[k], ask_px[k], ask_qty[k])?;
            Ok(weighted_mid(bid_px[k], bid_qty[k], ask_px[k], ask_qty[k]))
        })
        .collect()
}

/// A fitted micro-price adjustment table `g(I, s)` (in ticks), spread-major: `table[(s − 1)·n_imb + b]`
/// for spread `s` = 1..=n_spread ticks and imbalance bucket `b` = ⌊I·n_imb⌋. NaN marks states never seen
/// in the fit.
#[derive(Debug, Clone, PartialEq)]
pub struct MicropriceModel {
    pub(crate) tick: f64,
    pub(crate) n_imb: usize,
    pub(crate) n_spread: usize,
    /// G* = Σ_k B^k G1 (ticks)
    pub(crate) table: Vec<f64>,
    /// G1, the expected mid change at the next mid move (ticks)
    pub(crate) g1: Vec<f64>,
    /// transitions counted out of each state (mirrored ones included)
    pub(crate) counts: Vec<f64>,
    pub(crate) terms: usize,
    pub(crate) symmetrised: bool,
    pub(crate) n_transitions: usize,
    pub(crate) n_dropped: usize,
}

impl MicropriceModel {
    /// Build from a table (ticks, spread-major, `n_spread · n_imb` values; NaN = unseen state).
    ///
    /// # Errors
    /// [`CoreError::InvalidInput`] for a non-positive tick, fewer than 2 buckets, no spread state or a
    /// table of the wrong length.
    pub fn from_table(tick: f64, n_imb: usize, n_spread: usize, table: Vec<f64>) -> Result<Self> {
        if !(tick.is_finite() && tick > 0.0) {
            return Err(CoreError::InvalidInput(format!("tick must be a finite number > 0 (got {tick})")));
        }
        if n_imb < 2 || n_spread < 1 {
            return Err(CoreError::InvalidInput(format!(
                "need n_imb >= 2 and n_spread >= 1 (got n_imb={n_imb}, n_spread={n_spread})"
            )));
        }
        if table.len() != n_imb * n_spread {
            return Err(CoreError::InvalidInput(format!(
                "table has {} values; n_spread·n_imb = {}",
                table.len(),
                n_imb * n_spread
            )));
        }
        let n = table.len();
        Ok(Self {
            tick,
            n_imb,
            n_spread,
            g1: table.clone(),
            table,
            counts: vec![0.0; n],
            terms: 0,
            symmetrised: false,
            n_transitions: 0,
            n_dropped: 0,
        })
    }

    /// Row of spread `spread_ticks` (rounded), or `None` outside 1..=n_spread.
    #[inline]
    fn row(&self, spread_ticks: f64) -> Option<&[f64]> {
        let s = spread_ticks.round();
        if s >= 1.0 && s <= self.n_spread as f64 {
            let r = (s as usize - 1) * self.n_imb;
            Some(&self.table[r..r + self.n_imb])
        } else {
            None
        }
    }

    /// `g(I, s)` in ticks, linearly interpolated in imbalance between bucket centres. NaN for `I` outside
    /// [0, 1] (or NaN), a spread outside 1..=n_spread ticks, or a state the fit never saw.
    #[inline]
    #[must_use]
    pub fn adjust_ticks(&self, imbalance: f64, spread_ticks: f64) -> f64 {
        let Some(row) = self.row(spread_ticks) else { return f64::NAN };
        if !(0.0..=1.0).contains(&imbalance) {
            return f64::NAN;
        }
        let last = (self.n_imb - 1) as f64;
        let x = (imbalance * self.n_imb as f64 - 0.5).clamp(0.0, last);
        let b = (x as usize).min(self.n_imb - 2);
        let f = x - b as f64;
        if f == 0.0 {
            row[b]
        } else if f == 1.0 {
            row[b + 1]
        } else {
            row[b] + f * (row[b + 1] - row[b])
        }
    }

    /// `g(I, s)` in ticks from the bucket that holds `I` (the paper's step function).
    #[inline]
    #[must_use]
    pub fn adjust_step(&self, imbalance: f64, spread_ticks: f64) -> f64 {
        let Some(row) = self.row(spread_ticks) else { return f64::NAN };
        if !(0.0..=1.0).contains(&imbalance) {
            return f64::NAN;
        }
        row[((imbalance * self.n_imb as f64) as usize).min(self.n_imb - 1)]
    }

    /// `g(I, s)` in price units (ticks × tick).
    #[inline]
    #[must_use]
    pub fn adjust(&self, imbalance: f64, spread_ticks: f64) -> f64 {
        self.adjust_ticks(imbalance, spread_ticks) * self.tick
    }

    /// Micro-price `M + g(I, s)` of one BBO (price units); NaN where [`Self::adjust_ticks`] is NaN.
    #[inline]
    #[must_use]
    pub fn micro_price(&self, bid_px: f64, bid_qty: f64, ask_px: f64, ask_qty: f64) -> f64 {
        let mid = 0.5 * (bid_px + ask_px);
        mid + self.adjust(imbalance(bid_qty, ask_qty), (ask_px - bid_px) / self.tick)
    }

    /// [`Self::micro_price`] of each BBO row.
    ///
    /// # Errors
    /// As [`weighted_mid_series`].
    pub fn micro_price_series(
        &self,
        bid_px: &[f64],
        bid_qty: &[f64],
        ask_px: &[f64],
        ask_qty: &[f64],
    ) -> Result<Vec<f64>> {
        check_lengths(
            &["bid_px", "bid_qty", "ask_px", "ask_qty"],
            &[bid_px.len(), bid_qty.len(), ask_px.len(), ask_qty.len()],
        )?;
        (0..bid_px.len())
            .map(|k| {
                check_bbo(k, bid_px[k], bid_qty[k], ask_px[k], ask_qty[k])?;
                Ok(self.micro_price(bid_px[k], bid_qty[k], ask_px[k], ask_qty[k]))
            })
            .collect()
    }

    /// price tick
    #[must_use]
    pub fn tick(&self) -> f64 {
        self.tick
    }
    /// imbalance buckets
    #[must_use]
    pub fn n_imb(&self) -> usize {
        self.n_imb
    }
    /// spread states (1..=n_spread ticks)
    #[must_use]
    pub fn n_spread(&self) -> usize {
        self.n_spread
    }
    /// G* table in ticks, spread-major
    #[must_use]
    pub fn table(&self) -> &[f64] {
        &self.table
    }
    /// G1 table in ticks (expected change at the next mid move), spread-major
    #[must_use]
    pub fn g1(&self) -> &[f64] {
        &self.g1
    }
    /// transitions counted out of each state (mirrored ones included when symmetrised)
    #[must_use]
    pub fn counts(&self) -> &[f64] {
        &self.counts
    }
    /// number of terms B^k G1 summed
    #[must_use]
    pub fn terms(&self) -> usize {
        self.terms
    }
    /// whether the fit added the mirror image of every transition
    #[must_use]
    pub fn symmetrised(&self) -> bool {
        self.symmetrised
    }
    /// transitions used (before mirroring)
    #[must_use]
    pub fn n_transitions(&self) -> usize {
        self.n_transitions
    }
    /// transitions dropped because the mid moved more than `max_move_ticks`
    #[must_use]
    pub fn n_dropped(&self) -> usize {
        self.n_dropped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weighted_mid_hand_case() {
        // bid 100 x 3, ask 101 x 1: I = 0.75, wmid = 100·0.25 + 101·0.75 = 100.75
        assert_eq!(weighted_mid(100.0, 3.0, 101.0, 1.0), 100.75);
        assert_eq!(imbalance(3.0, 1.0), 0.75);
        assert!(weighted_mid(100.0, 0.0, 101.0, 0.0).is_nan());
        let w = weighted_mid_series(&[100.0, 10.0], &[3.0, 1.0], &[101.0, 12.0], &[1.0, 1.0]).unwrap();
        assert_eq!(w, vec![100.75, 11.0]);
        let e = weighted_mid_series(&[100.0], &[-3.0], &[101.0], &[1.0]).unwrap_err();
        assert_eq!(e.to_string(), "bid_qty: size at index 0 must be a finite number >= 0 (got -3)");
        assert!(weighted_mid_series(&[f64::NAN], &[3.0], &[101.0], &[1.0]).is_err());
        assert!(weighted_mid_series(&[1.0], &[3.0], &[101.0], &[]).is_err());
    }

    #[test]
    fn lookup_interpolates_between_bucket_centres() {
        // 4 buckets, centres 0.125, 0.375, 0.625, 0.875; spread 1 and 2
        let m = MicropriceModel::from_table(0.5, 4, 2, vec![-3.0, -1.0, 1.0, 3.0, -6.0, -2.0, 2.0, f64::NAN]).unwrap();
        assert_eq!(m.adjust_ticks(0.5, 1.0), 0.0);
        assert_eq!(m.adjust_ticks(0.125, 1.0), -3.0);
        assert_eq!(m.adjust_ticks(0.0, 1.0), -3.0); // clamped at the outer centre
        assert_eq!(m.adjust_ticks(1.0, 1.0), 3.0);
        assert_eq!(m.adjust_ticks(0.25, 1.0), -2.0);
        assert_eq!(m.adjust_ticks(0.3125, 2.0), -3.0);
        assert_eq!(m.adjust(0.25, 1.0), -1.0); // ticks × tick
        assert!(m.adjust_ticks(0.9, 2.0).is_nan()); // unseen state
        assert!(m.adjust_ticks(0.5, 3.0).is_nan());
        assert!(m.adjust_ticks(0.5, 0.0).is_nan());
        assert!(m.adjust_ticks(1.5, 1.0).is_nan());
        assert!(m.adjust_ticks(f64::NAN, 1.0).is_nan());
        assert_eq!(m.adjust_step(0.26, 1.0), -1.0);
        assert_eq!(m.adjust_step(1.0, 1.0), 3.0);
        // bid 100 x 1, ask 100.5 x 3 (spread 1 tick, I = 0.25): micro = 100.25 − 1.0
        assert_eq!(m.micro_price(100.0, 1.0, 100.5, 3.0), 99.25);
        assert!(MicropriceModel::from_table(0.0, 4, 1, vec![0.0; 4]).is_err());
        assert!(MicropriceModel::from_table(1.0, 4, 1, vec![0.0; 3]).is_err());
        assert!(MicropriceModel::from_table(1.0, 1, 1, vec![0.0]).is_err());
    }
}
