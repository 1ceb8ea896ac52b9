//! Funding payments of perpetual swaps at settlement times.
//!
//! At each settlement time `t` the position held just before `t` (fills at exchange times `< t`)
//! pays `position × mark × rate` (quote currency) when the rate is positive and it is long, and
//! receives it when short — the perp convention (hftbacktest does not model funding; this follows
//! Binance USDT-M: "if the funding rate is positive, longs pay shorts"). The mark price and rate
//! are the latest the venue side has seen (ticker `mark_px`, `funding_rate`) at or before `t`; when
//! no mark was seen the mid of the replayed book is used; with no rate (or no price at all) the
//! settlement is skipped and counted. A settlement with a flat position pays nothing and is not
//! recorded.

use crate::error::{CoreError, Result};

/// Default settlement interval: 8 h (Binance USDT-M and COIN-M at 00:00, 08:00, 16:00 UTC).
pub const EIGHT_HOURS_NS: i64 = 8 * 3_600 * 1_000_000_000;

/// When funding settles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FundingSchedule {
    /// Spot, or funding not simulated.
    None,
    /// Every `interval_ns` from `offset_ns` past the epoch (default 8 h from 0: 00/08/16 UTC).
    Every { interval_ns: i64, offset_ns: i64 },
    /// Explicit settlement times, ns UTC, strictly increasing.
    Times(Vec<i64>),
}

impl FundingSchedule {
    /// The perp default: every 8 h at 00:00, 08:00, 16:00 UTC.
    #[must_use]
    pub fn every_8h() -> Self {
        FundingSchedule::Every { interval_ns: EIGHT_HOURS_NS, offset_ns: 0 }
    }

    /// # Errors
    /// [`CoreError::InvalidInput`] for a non-positive interval or times that do not increase.
    pub fn validate(&self) -> Result<()> {
        match self {
            FundingSchedule::Every { interval_ns, .. } if *interval_ns <= 0 => {
                Err(CoreError::InvalidInput(format!("funding interval must be > 0 ns, got {interval_ns}")))
            }
            FundingSchedule::Times(ts) => match ts.windows(2).position(|w| w[1] <= w[0]) {
                Some(i) => Err(CoreError::InvalidInput(format!(
                    "funding times must be strictly increasing (index {}: {} after {})",
                    i + 1,
                    ts[i + 1],
                    ts[i]
                ))),
                None => Ok(()),
            },
            _ => Ok(()),
        }
    }
}

/// Walks the settlement times forward.
#[derive(Debug, Clone)]
pub struct FundingClock {
    schedule: FundingSchedule,
    /// Next settlement time not yet processed (`None` when there is none, or not started).
    next: Option<i64>,
    /// [`FundingSchedule::Times`] index of `next`.
    idx: usize,
    started: bool,
}

impl FundingClock {
    #[must_use]
    pub fn new(schedule: FundingSchedule) -> Self {
        Self { schedule, next: None, idx: 0, started: false }
    }

    /// The next settlement time, starting at the first one at or after `t0` on the first call.
    pub fn next(&mut self, t0: i64) -> Option<i64> {
        if !self.started {
            self.started = true;
            self.next = match &self.schedule {
                FundingSchedule::None => None,
                FundingSchedule::Every { interval_ns, offset_ns } => {
                    let k = (i128::from(t0) - i128::from(*offset_ns)).div_euclid(i128::from(*interval_ns));
                    let mut t = i128::from(*offset_ns) + k * i128::from(*interval_ns);
                    if t < i128::from(t0) {
                        t += i128::from(*interval_ns);
                    }
                    i64::try_from(t).ok()
                }
                FundingSchedule::Times(ts) => {
                    self.idx = ts.partition_point(|&x| x < t0);
                    ts.get(self.idx).copied()
                }
            };
        }
        self.next
    }

    /// Mark the current settlement done and move to the following one.
    pub fn advance(&mut self) {
        self.next = match (&self.schedule, self.next) {
            (FundingSchedule::Every { interval_ns, .. }, Some(t)) => t.checked_add(*interval_ns),
            (FundingSchedule::Times(ts), Some(_)) => {
                self.idx += 1;
                ts.get(self.idx).copied()
            }
            _ => None,
        };
    }
}

/// One funding settlement. `#[repr(C)]` so it can cross to numpy as is.
#[derive(Debug, Clone, Copy, PartialEq)]
#[repr(C)]
pub struct FundingPayment {
    /// Settlement time, exchange clock, ns.
    pub ts_exchange: i64,
    /// When we learn of it: `ts_exchange` + response latency, ns.
    pub ts_local: i64,
    /// Position at settlement, scaled (+ long).
    pub position: i64,
    /// Mark price used, scaled.
    pub mark_px: i64,
    /// Funding rate of the interval, fraction (0.0001 = 1 bp).
    pub rate: f64,
    /// Quote currency; positive = received, negative = paid.
    pub payment: f64,
}

/// `−position × mark × rate` in quote currency (linear contracts).
#[must_use]
pub fn payment(position: i64, mark_px: i64, rate: f64, px_exp: u32, qty_exp: u32) -> f64 {
    -super::fees::notional(mark_px, position, px_exp, qty_exp) * rate
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_8h_starts_at_the_next_boundary() {
        let mut c = FundingClock::new(FundingSchedule::every_8h());
        let t0 = 3 * EIGHT_HOURS_NS + 5;
        assert_eq!(c.next(t0), Some(4 * EIGHT_HOURS_NS));
        c.advance();
        assert_eq!(c.next(0), Some(5 * EIGHT_HOURS_NS));
        let mut c = FundingClock::new(FundingSchedule::every_8h());
        assert_eq!(c.next(2 * EIGHT_HOURS_NS), Some(2 * EIGHT_HOURS_NS));
        let mut c = FundingClock::new(FundingSchedule::every_8h());
        assert_eq!(c.next(-1), Some(0));
    }

    #[test]
    fn explicit_times_and_sign() {
        let mut c = FundingClock::new(FundingSchedule::Times(vec![10, 20, 30]));
        assert_eq!(c.next(15), Some(20));
        c.advance();
        assert_eq!(c.next(0), Some(30));
        c.advance();
        assert_eq!(c.next(0), None);
        assert!(FundingSchedule::Times(vec![10, 10]).validate().is_err());
        assert!(FundingSchedule::Every { interval_ns: 0, offset_ns: 0 }.validate().is_err());
        // long 2 BTC at mark 50 000, rate +1 bp: pays 10
        assert_eq!(payment(200_000_000, 5_000_000_000_000, 0.0001, 8, 8), -10.0);
        assert_eq!(payment(-200_000_000, 5_000_000_000_000, 0.0001, 8, 8), 10.0);
    }
}
