//! Trade flow: signed-volume imbalance and arrival rate over a sliding time window, and an
//! exponentially weighted arrival rate.
//!
//! [`TradeWindow`] keeps the trades of the window `(t − W, t]` in a ring buffer (`VecDeque`): each trade
//! is pushed once and evicted once, so an update is O(1) amortised. With buy volume `V⁺` and sell volume
//! `V⁻` (by aggressor) inside the window, the imbalance is `(V⁺ − V⁻) / (V⁺ + V⁻)` ∈ [−1, 1] (NaN when no
//! signed volume is in the window) and the arrival rate is `count / W` trades per second. Trades with an
//! unknown aggressor (0) count towards the rate but not the imbalance. The running sums are
//! recomputed from the buffer after as many evictions as the buffer holds (O(1) amortised), so
//! floating-point drift cannot build up; they are exactly 0 when the window is empty.
//!
//! The usual windows are 1 s and 10 s ([`WINDOWS_NS`]).

use std::collections::VecDeque;

use super::{backwards, check_lengths};
use crate::error::{CoreError, Result};

/// The standard windows: 1 s and 10 s (ns).
pub const WINDOWS_NS: [i64; 2] = [1_000_000_000, 10_000_000_000];

const NS_PER_S: f64 = 1e9;

#[derive(Debug, Clone, Copy)]
struct Entry {
    t: i64,
    qty: f64,
    aggressor: i8,
}

/// Signed-volume imbalance and trade count over the sliding window `(t − W, t]`.
#[derive(Debug, Clone)]
pub struct TradeWindow {
    window_ns: i64,
    buf: VecDeque<Entry>,
    buy: f64,
    sell: f64,
    last_t: i64,
    updates: u64,
    evicted_since_sum: usize,
}

impl TradeWindow {
    /// A window of `window_ns` > 0 ns.
    ///
    /// # Errors
    /// [`CoreError::InvalidInput`] when `window_ns <= 0`.
    pub fn new(window_ns: i64) -> Result<Self> {
        if window_ns <= 0 {
            return Err(CoreError::InvalidInput(format!("window must be > 0 ns (got {window_ns})")));
        }
        Ok(Self {
            window_ns,
            buf: VecDeque::with_capacity(64),
            buy: 0.0,
            sell: 0.0,
            last_t: i64::MIN,
            updates: 0,
            evicted_since_sum: 0,
        })
    }

    /// window length (ns)
    #[must_use]
    pub fn window_ns(&self) -> i64 {
        self.window_ns
    }

    /// Add a trade at `t_ns` of size `qty` (>= 0) with `aggressor` +1 buy, −1 sell, 0 unknown.
    ///
    /// # Errors
    /// [`CoreError::InvalidInput`] when time goes backwards, the size is negative or NaN, or the aggressor
    /// is not −1/0/+1; the window is unchanged then.
    #[inline]
    pub fn update(&mut self, t_ns: i64, qty: f64, aggressor: i8) -> Result<()> {
        if !(qty.is_finite() && qty >= 0.0) {
            return Err(CoreError::InvalidInput(format!(
                "trade {}: size must be a finite number >= 0 (got {qty})",
                self.updates
            )));
        }
        if !(-1..=1).contains(&aggressor) {
            return Err(CoreError::InvalidInput(format!(
                "trade {}: aggressor must be +1, -1 or 0 (got {aggressor})",
                self.updates
            )));
        }
        self.advance(t_ns)?;
        self.updates += 1;
        self.buf.push_back(Entry { t: t_ns, qty, aggressor });
        match aggressor {
            1 => self.buy += qty,
            -1 => self.sell += qty,
            _ => {}
        }
        Ok(())
    }

    /// Move the window's right edge to `t_ns` without a trade (to read the signals at any time).
    ///
    /// # Errors
    /// [`CoreError::InvalidInput`] when `t_ns` is before the last update or advance.
    #[inline]
    pub fn advance(&mut self, t_ns: i64) -> Result<()> {
        if t_ns < self.last_t {
            return Err(backwards("trades", self.updates, t_ns, self.last_t));
        }
        self.last_t = t_ns;
        let cutoff = t_ns.saturating_sub(self.window_ns);
        let mut evicted = 0usize;
        while let Some(e) = self.buf.front() {
            if e.t > cutoff {
                break;
            }
            match e.aggressor {
                1 => self.buy -= e.qty,
                -1 => self.sell -= e.qty,
                _ => {}
            }
            self.buf.pop_front();
            evicted += 1;
        }
        if evicted > 0 {
            self.evicted_since_sum += evicted;
            if self.evicted_since_sum >= self.buf.len() {
                self.resum();
            }
        }
        Ok(())
    }

    /// Recompute the sums from the buffer (exactly 0 when empty).
    fn resum(&mut self) {
        let (mut buy, mut sell) = (0.0, 0.0);
        for e in &self.buf {
            match e.aggressor {
                1 => buy += e.qty,
                -1 => sell += e.qty,
                _ => {}
            }
        }
        self.buy = buy;
        self.sell = sell;
        self.evicted_since_sum = 0;
    }

    /// `(V⁺ − V⁻) / (V⁺ + V⁻)` over the window; NaN when no signed volume is in it.
    #[inline]
    #[must_use]
    pub fn imbalance(&self) -> f64 {
        let total = self.buy + self.sell;
        if total > 0.0 {
            (self.buy - self.sell) / total
        } else {
            f64::NAN
        }
    }

    /// Aggressive buy volume in the window.
    #[must_use]
    pub fn buy_volume(&self) -> f64 {
        self.buy
    }

    /// Aggressive sell volume in the window.
    #[must_use]
    pub fn sell_volume(&self) -> f64 {
        self.sell
    }

    /// Trades in the window (all aggressors).
    #[must_use]
    pub fn count(&self) -> usize {
        self.buf.len()
    }

    /// Arrival rate over the window: trades per second.
    #[inline]
    #[must_use]
    pub fn rate_per_s(&self) -> f64 {
        self.buf.len() as f64 * NS_PER_S / self.window_ns as f64
    }
}

/// Exponentially weighted trade arrival rate (trades per second) with time constant τ:
/// `λ(t) = Σ_{trades tᵢ ≤ t} exp(−(t − tᵢ)/τ) / τ`, updated in O(1) per trade. For a Poisson stream of
/// rate μ its mean is μ·(1 − exp(−(t − t₀)/τ)), so it is biased low for the first few τ (warm-up).
#[derive(Debug, Clone)]
pub struct TradeRateEwma {
    tau_ns: f64,
    inv_tau_s: f64,
    level: f64,
    last_t: i64,
    updates: u64,
}

impl TradeRateEwma {
    /// # Errors
    /// [`CoreError::InvalidInput`] when `tau_ns <= 0`.
    pub fn new(tau_ns: i64) -> Result<Self> {
        if tau_ns <= 0 {
            return Err(CoreError::InvalidInput(format!("tau must be > 0 ns (got {tau_ns})")));
        }
        Ok(Self {
            tau_ns: tau_ns as f64,
            inv_tau_s: NS_PER_S / tau_ns as f64,
            level: 0.0,
            last_t: i64::MIN,
            updates: 0,
        })
    }

    /// time constant τ (ns)
    #[must_use]
    pub fn tau_ns(&self) -> i64 {
        self.tau_ns as i64
    }

    /// Count one trade at `t_ns`.
    ///
    /// # Errors
    /// [`CoreError::InvalidInput`] when time goes backwards.
    #[inline]
    pub fn update(&mut self, t_ns: i64) -> Result<()> {
        self.level = self.value_at(t_ns)? + self.inv_tau_s;
        self.last_t = t_ns;
        self.updates += 1;
        Ok(())
    }

    /// The rate (trades/s) at `t_ns >=` the last trade, decayed since it.
    ///
    /// # Errors
    /// [`CoreError::InvalidInput`] when `t_ns` is before the last trade.
    #[inline]
    pub fn value_at(&self, t_ns: i64) -> Result<f64> {
        if self.updates == 0 {
            return Ok(0.0);
        }
        if t_ns < self.last_t {
            return Err(backwards("trades", self.updates, t_ns, self.last_t));
        }
        let dt = (t_ns - self.last_t) as f64;
        Ok(if dt == 0.0 { self.level } else { self.level * (-dt / self.tau_ns).exp() })
    }

    /// The rate (trades/s) just after the last trade.
    #[must_use]
    pub fn value(&self) -> f64 {
        self.level
    }
}

/// Per trade, after adding it: `(imbalance, rate_per_s)` over the window ending at that trade.
///
/// # Errors
/// Length mismatch, or as [`TradeWindow::update`] (the message names the trade index).
pub fn trade_window_series(
    t_ns: &[i64],
    qty: &[f64],
    aggressor: &[i8],
    window_ns: i64,
) -> Result<(Vec<f64>, Vec<f64>)> {
    check_lengths(&["t_ns", "qty", "aggressor"], &[t_ns.len(), qty.len(), aggressor.len()])?;
    let mut w = TradeWindow::new(window_ns)?;
    let mut imb = Vec::with_capacity(t_ns.len());
    let mut rate = Vec::with_capacity(t_ns.len());
    for ((&t, &q), &a) in t_ns.iter().zip(qty).zip(aggressor) {
        w.update(t, q, a)?;
        imb.push(w.imbalance());
        rate.push(w.rate_per_s());
    }
    Ok((imb, rate))
}

/// Per trade, after counting it: the EWMA arrival rate (trades/s) with time constant `tau_ns`.
///
/// # Errors
/// As [`TradeRateEwma`].
pub fn trade_rate_ewma_series(t_ns: &[i64], tau_ns: i64) -> Result<Vec<f64>> {
    let mut r = TradeRateEwma::new(tau_ns)?;
    t_ns.iter()
        .map(|&t| {
            r.update(t)?;
            Ok(r.value())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = 1_000_000_000;

    #[test]
    fn window_is_half_open() {
        let mut w = TradeWindow::new(S).unwrap();
        w.update(0, 2.0, 1).unwrap();
        w.update(S / 2, 1.0, -1).unwrap();
        assert!((w.imbalance() - 1.0 / 3.0).abs() < 1e-15);
        assert_eq!(w.rate_per_s(), 2.0);
        w.update(S, 1.0, 0).unwrap(); // the trade at 0 is now exactly W old: out
        assert_eq!(w.count(), 2);
        assert_eq!(w.imbalance(), -1.0);
        w.advance(3 * S).unwrap();
        assert_eq!(w.count(), 0);
        assert!(w.imbalance().is_nan());
        assert_eq!((w.buy_volume(), w.sell_volume()), (0.0, 0.0));
    }

    #[test]
    fn bad_trades_are_rejected_without_changing_state() {
        let mut w = TradeWindow::new(S).unwrap();
        w.update(10, 1.0, 1).unwrap();
        assert!(w.update(11, -1.0, 1).is_err());
        assert!(w.update(11, f64::NAN, 1).is_err());
        assert!(w.update(11, 1.0, 3).is_err());
        let e = w.update(5, 1.0, 1).unwrap_err();
        assert_eq!(
            e.to_string(),
            "trades: timestamps must be non-decreasing; update 1 at 5 ns is before the previous (10 ns)"
        );
        assert_eq!(w.count(), 1);
        assert_eq!(w.imbalance(), 1.0);
        assert!(TradeWindow::new(0).is_err());
    }

    #[test]
    fn sums_do_not_drift() {
        let mut w = TradeWindow::new(10).unwrap();
        let mut t = 0;
        for k in 0..100_000 {
            t += 1 + (k % 3);
            let q = if k % 7 == 0 { 1e6 } else { 1e-6 * (k % 5) as f64 };
            w.update(t, q, if k % 2 == 0 { 1 } else { -1 }).unwrap();
        }
        let (mut b, mut s) = (0.0, 0.0);
        for e in &w.buf {
            if e.aggressor == 1 {
                b += e.qty
            } else {
                s += e.qty
            }
        }
        assert!((w.buy_volume() - b).abs() <= 1e-9 * b.max(1.0));
        assert!((w.sell_volume() - s).abs() <= 1e-9 * s.max(1.0));
    }

    #[test]
    fn ewma_rate_matches_closed_form() {
        let mut r = TradeRateEwma::new(2 * S).unwrap();
        assert_eq!(r.value_at(0).unwrap(), 0.0);
        r.update(0).unwrap();
        r.update(S).unwrap();
        let want = 0.5 * ((-0.5f64).exp() + 1.0);
        assert!((r.value() - want).abs() < 1e-15);
        assert!((r.value_at(3 * S).unwrap() - want * (-1.0f64).exp()).abs() < 1e-15);
        assert!(r.update(0).is_err());
        // a steady stream of 10 trades/s converges to ~10/s
        let mut r = TradeRateEwma::new(S).unwrap();
        for k in 0..200 {
            r.update(k * S / 10).unwrap();
        }
        assert!((r.value() - 10.0).abs() < 0.6, "{}", r.value());
    }

    #[test]
    fn series_match_streaming() {
        let (imb, rate) = trade_window_series(&[0, 1, 2], &[1.0, 1.0, 2.0], &[1, -1, -1], 2).unwrap();
        assert_eq!(imb, vec![1.0, 0.0, -1.0]);
        assert_eq!(rate, vec![0.5e9, 1e9, 1e9]);
        assert!(trade_window_series(&[0], &[1.0, 2.0], &[1], 2).is_err());
        assert_eq!(trade_rate_ewma_series(&[], S).unwrap(), Vec::<f64>::new());
    }
}
