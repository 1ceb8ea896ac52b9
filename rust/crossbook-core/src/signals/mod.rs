//! Streaming market-microstructure signals, each an O(1) (or O(levels in band)) update:
//!
//! - [`microprice`]: size-weighted mid and Stoikov's (2018) micro-price (Markov fit, O(1) lookup);
//! - [`volatility`]: bipower variation (Barndorff-Nielsen & Shephard 2004) and realised variance on a
//!   time grid;
//! - [`imbalance`]: order-book imbalance with distance weights (seed `spot-anchored-perp-1h-signals.md`);
//! - [`flow`]: signed trade-volume imbalance and trade arrival rate over time windows, and an EWMA rate;
//! - [`depth`]: resting size within 1 / 5 / 10 bps of mid.
//!
//! Prices and sizes here are `f64` already decoded from the scaled integers of the data model (the
//! analysis edge); times are `i64` ns. Streaming structs reject bad input (NaN, negative sizes, time
//! going backwards) with [`CoreError::InvalidInput`] instead of silently corrupting their state.

pub mod depth;
pub mod flow;
pub mod imbalance;
mod linalg;
pub mod microprice;
pub mod microprice_fit;
mod snapshots;
pub mod volatility;

pub use snapshots::{for_each_snapshot, Snapshot};

use crate::error::{CoreError, Result};

/// One price level of a book side: price and resting size (base units or contracts, as the table says).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Level {
    /// price (quote currency)
    pub px: f64,
    /// resting size at that price (>= 0; 0 means the level is empty and is ignored)
    pub qty: f64,
}

impl Level {
    #[must_use]
    pub const fn new(px: f64, qty: f64) -> Self {
        Self { px, qty }
    }
}

/// The first level with a positive size (the best price of a side sorted best first), if any.
#[inline]
pub(crate) fn best(levels: &[Level]) -> Option<f64> {
    levels.iter().find(|l| l.qty > 0.0).map(|l| l.px)
}

/// Mid of the best bid and ask (first non-empty level of each side), or NaN when a side is empty or the
/// book is crossed (best bid above best ask). Sides are sorted best first.
#[inline]
#[must_use]
pub fn book_mid(bids: &[Level], asks: &[Level]) -> f64 {
    match (best(bids), best(asks)) {
        (Some(b), Some(a)) if b <= a => 0.5 * (b + a),
        _ => f64::NAN,
    }
}

/// Check one book side: finite positive prices, finite non-negative sizes, strictly sorted best first
/// (bids descending, asks ascending).
///
/// # Errors
/// [`CoreError::InvalidInput`] naming the side and the index of the first bad level.
pub fn check_levels(name: &str, levels: &[Level], descending: bool) -> Result<()> {
    for (k, l) in levels.iter().enumerate() {
        if !(l.px.is_finite() && l.px > 0.0) {
            return Err(CoreError::InvalidInput(format!(
                "{name}: price at level {k} is not a positive number ({})",
                l.px
            )));
        }
        check_qty(name, k, l.qty)?;
        if k > 0 {
            let prev = levels[k - 1].px;
            let sorted = if descending { l.px < prev } else { l.px > prev };
            if !sorted {
                let order = if descending { "descending" } else { "ascending" };
                return Err(CoreError::InvalidInput(format!(
                    "{name}: prices must be strictly {order} (best first); level {k} ({}) follows {prev}",
                    l.px
                )));
            }
        }
    }
    Ok(())
}

/// A size must be finite and non-negative.
#[inline]
pub(crate) fn check_qty(name: &str, index: usize, qty: f64) -> Result<()> {
    if qty.is_finite() && qty >= 0.0 {
        Ok(())
    } else {
        Err(CoreError::InvalidInput(format!("{name}: size at index {index} must be a finite number >= 0 (got {qty})")))
    }
}

/// A price must be finite and positive.
#[inline]
pub(crate) fn check_px(name: &str, index: usize, px: f64) -> Result<()> {
    if px.is_finite() && px > 0.0 {
        Ok(())
    } else {
        Err(CoreError::InvalidInput(format!("{name}: price at index {index} must be a finite number > 0 (got {px})")))
    }
}

/// Arrays that go together must have the same length.
pub(crate) fn check_lengths(names: &[&str], lens: &[usize]) -> Result<()> {
    match lens.first() {
        Some(&n) if lens.iter().any(|&l| l != n) => {
            let parts: Vec<String> = names.iter().zip(lens).map(|(s, l)| format!("{s}={l}")).collect();
            Err(CoreError::InvalidInput(format!("array lengths differ: {}", parts.join(", "))))
        }
        _ => Ok(()),
    }
}

/// The error for a clock that goes backwards.
pub(crate) fn backwards(name: &str, index: u64, t: i64, prev: i64) -> CoreError {
    CoreError::InvalidInput(format!(
        "{name}: timestamps must be non-decreasing; update {index} at {t} ns is before the previous ({prev} ns)"
    ))
}

/// An epoch-aligned time grid (points at multiples of `step` ns) sampled with the last-known state: the
/// value at grid point `g` is the last update with time `<= g`. A point is complete once an update with
/// time `> g` arrives (until then more updates at `g` may follow), so a stream reports each grid point
/// exactly once, in order, with the state that held just before the update that completed it.
#[derive(Debug, Clone)]
pub struct GridClock {
    step: i64,
    /// next grid point not yet reported; `None` before the first update
    next: Option<i64>,
    last_t: i64,
    updates: u64,
}

impl GridClock {
    /// A grid with `step_ns` > 0.
    ///
    /// # Errors
    /// [`CoreError::InvalidInput`] when `step_ns <= 0`.
    pub fn new(step_ns: i64) -> Result<Self> {
        if step_ns <= 0 {
            return Err(CoreError::InvalidInput(format!("grid step must be > 0 ns (got {step_ns})")));
        }
        Ok(Self { step: step_ns, next: None, last_t: i64::MIN, updates: 0 })
    }

    /// grid step (ns)
    #[must_use]
    pub fn step_ns(&self) -> i64 {
        self.step
    }

    /// Feed the time of an update. Returns `(first, count)`: the `count` grid points `first,
    /// first + step, …` that this update completes (all `< t`); the state before the update holds at them.
    ///
    /// # Errors
    /// [`CoreError::InvalidInput`] when `t` is before the previous update.
    #[inline]
    pub fn advance(&mut self, name: &str, t: i64) -> Result<(i64, u64)> {
        if t < self.last_t {
            return Err(backwards(name, self.updates, t, self.last_t));
        }
        self.last_t = t;
        self.updates += 1;
        match self.next {
            None => {
                // first grid point at or after the first update: the state is known there
                let q = t.div_euclid(self.step);
                let q = if t.rem_euclid(self.step) == 0 { q } else { q + 1 };
                self.next = Some(q.saturating_mul(self.step));
                Ok((0, 0))
            }
            Some(next) if t > next => {
                let count = (t - 1 - next) / self.step + 1;
                self.next = Some(next + count * self.step);
                Ok((next, count.unsigned_abs()))
            }
            Some(_) => Ok((0, 0)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_reports_points_strictly_before_the_update() {
        let mut g = GridClock::new(10).unwrap();
        assert_eq!(g.advance("x", 3).unwrap(), (0, 0)); // first grid point will be 10
        assert_eq!(g.advance("x", 10).unwrap(), (0, 0)); // 10 not complete yet
        assert_eq!(g.advance("x", 11).unwrap(), (10, 1));
        assert_eq!(g.advance("x", 45).unwrap(), (20, 3)); // 20, 30, 40
        assert_eq!(g.advance("x", 45).unwrap(), (0, 0));
        assert_eq!(g.advance("x", 50).unwrap(), (0, 0));
        assert_eq!(g.advance("x", 51).unwrap(), (50, 1));
        let e = g.advance("x", 7).unwrap_err();
        assert!(e.to_string().contains("before the previous (51 ns)"), "{e}");
    }

    #[test]
    fn grid_starts_on_an_exact_point_and_handles_negative_times() {
        let mut g = GridClock::new(10).unwrap();
        g.advance("x", 20).unwrap();
        assert_eq!(g.advance("x", 21).unwrap(), (20, 1));
        let mut g = GridClock::new(10).unwrap();
        g.advance("x", -15).unwrap();
        assert_eq!(g.advance("x", 1).unwrap(), (-10, 2));
        assert!(GridClock::new(0).is_err());
    }

    #[test]
    fn level_checks_name_the_bad_level() {
        let bids = [Level::new(10.0, 1.0), Level::new(10.0, 1.0)];
        let e = check_levels("bids", &bids, true).unwrap_err();
        assert_eq!(e.to_string(), "bids: prices must be strictly descending (best first); level 1 (10) follows 10");
        let e = check_levels("asks", &[Level::new(1.0, -2.0)], false).unwrap_err();
        assert_eq!(e.to_string(), "asks: size at index 0 must be a finite number >= 0 (got -2)");
        assert!(check_levels("asks", &[Level::new(f64::NAN, 1.0)], false).is_err());
        assert!(check_levels("asks", &[Level::new(1.0, 1.0), Level::new(2.0, 0.0)], false).is_ok());
    }

    #[test]
    fn mid_skips_empty_levels_and_rejects_crossed_books() {
        let bids = [Level::new(10.0, 0.0), Level::new(9.0, 1.0)];
        let asks = [Level::new(11.0, 2.0)];
        assert_eq!(book_mid(&bids, &asks), 10.0);
        assert!(book_mid(&[], &asks).is_nan());
        assert!(book_mid(&[Level::new(12.0, 1.0)], &asks).is_nan());
    }
}
