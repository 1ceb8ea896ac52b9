//! Queue-position models: how much visible size is ahead of our resting order at its price level.
//!
//! With market-by-price (L2) data we only see the total size at a level, never the order of the
//! orders in it. When our order reaches the venue it joins *behind* all the visible size at its
//! price (`ahead = visible size`). After that, three things move it forward:
//!
//! 1. **Trades at our price** (by an aggressor on the other side) consume the queue from the front:
//!    the traded size first eats the size ahead of us, and whatever is left fills us (see
//!    `matching.rs`). Every model does this.
//! 2. **Decreases of the level without a trade** (cancellations). Whether they came from ahead of us
//!    or behind is unknown; this is where the models differ.
//! 3. **Increases of the level** always join behind us (price-time priority), in every model; the
//!    size ahead can never exceed the visible size, so `ahead = min(ahead, level)` after any change.
//!
//! The models, following hftbacktest's documentation of its queue models
//! (<https://hftbacktest.readthedocs.io/en/v1.8.4/reference/queue_models.html> and the Rust docs of
//! <https://docs.rs/crate/hftbacktest/latest/source/src/backtest/models/queue.rs>; the
//! `ProbQueueModel` description: "Your order's queue position advances when a trade occurs at the
//! same price level or the quantity at the level decreases. The advancement in queue position
//! depends on the probability based on the relative queue position. To avoid double counting the
//! quantity decrease caused by trades, all trade quantities occurring at the level before the book
//! quantity changes will be subtracted from the book quantity changes."):
//!
//! - [`QueueModel::RiskAverse`] — hftbacktest's `RiskAdverseQueueModel`: cancellations are always
//!   behind us; only trades advance the order (and the `min(ahead, level)` cap).
//! - [`QueueModel::PowerProb`] / [`QueueModel::LogProb`] — hftbacktest's `ProbQueueModel` with
//!   `PowerProbQueueFunc(n)` (`f(x) = x^n`) and `LogProbQueueFunc` (`f(x) = ln(1 + x)`). With
//!   `front` = size ahead, `back` = previous level size − front, and `chg` = (previous − new level
//!   size) − size traded at the level since the previous level change: if `chg ≤ 0` nothing moves;
//!   otherwise the probability that the decrease was *behind* us is
//!   `p = f(back) / (f(back) + f(front))` and the new estimate is
//!   `front − (1 − p)·chg + min(back − p·chg, 0)`, capped to `[0, new level size]` and rounded to
//!   the nearest size unit. In words: a fraction `f(front)/(f(front)+f(back))` of the decrease is
//!   taken from ahead of us. `f` of the log model is applied to sizes in instrument units
//!   (`qty / 10^qty_exp`, e.g. BTC), as hftbacktest applies it to its float quantities; the power
//!   model only depends on the ratio `front/back`. hftbacktest's other probability functions are
//!   there too, with the same update: [`QueueModel::PowerProb2`] `p = f(back)/f(back + front)`
//!   (`PowerProbQueueFunc2`), [`QueueModel::PowerProb3`] `p = 1 − f(front/(front + back))`
//!   (`PowerProbQueueFunc3`, the one its grid-trading example uses), [`QueueModel::LogProb2`]
//!   `p = f(back)/f(back + front)` with `f(x) = ln(1 + x)` (`LogProbQueueFunc2`).
//! - [`QueueModel::Inferred`] — our own inference from visible size changes at our level
//!   ("fleeting liquidity first"). Size that joined the level behind us within the last
//!   `recent_ns` is the likeliest to be canceled (fleeting orders; Hasbrouck & Saar 2009,
//!   "Technology and liquidity provision"), so an unexplained decrease first removes that recent
//!   size, newest first; only the excess is split between the size ahead and the older size behind
//!   in proportion to their sizes (uniform cancellation per unit of size). Unlike the hftbacktest
//!   formula, `back` here is measured *after* removing the traded size from the previous level
//!   (`back = previous − traded − front − recent`), so a trade and the level decrease that reflects
//!   it do not count twice. With `recent_ns = 0` this is the plain proportional rule
//!   (`f(x) = x`).

use std::collections::VecDeque;

use crate::error::{CoreError, Result};

/// Which queue-position model the simulator uses (see the module docs for the exact rules).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum QueueModel {
    /// Only trades at our price advance the order.
    RiskAverse,
    /// hftbacktest `ProbQueueModel` with `f(x) = x^n` (`n > 0`; `n = 2` is `SquareProbQueueModel`).
    PowerProb { n: f64 },
    /// hftbacktest `ProbQueueModel` with `f(x) = ln(1 + x)`, `x` in instrument units.
    LogProb,
    /// `PowerProbQueueFunc2`: `p = (back / (back + front))^n`.
    PowerProb2 { n: f64 },
    /// `PowerProbQueueFunc3`: `p = 1 − (front / (front + back))^n`.
    PowerProb3 { n: f64 },
    /// `LogProbQueueFunc2`: `p = ln(1 + back) / ln(1 + back + front)`, sizes in instrument units.
    LogProb2,
    /// Our rule: decreases come first from size that joined behind us within `recent_ns` (ns),
    /// then proportionally from ahead / older behind.
    Inferred { recent_ns: i64 },
}

impl QueueModel {
    /// Reject parameters that cannot be used.
    ///
    /// # Errors
    /// [`CoreError::InvalidInput`] for a power `n` that is not finite and positive, or a negative
    /// `recent_ns`.
    pub fn validate(&self) -> Result<()> {
        match *self {
            QueueModel::PowerProb { n } | QueueModel::PowerProb2 { n } | QueueModel::PowerProb3 { n }
                if !(n.is_finite() && n > 0.0) =>
            {
                Err(CoreError::InvalidInput(format!("queue model power n must be finite and > 0, got {n}")))
            }
            QueueModel::Inferred { recent_ns } if recent_ns < 0 => {
                Err(CoreError::InvalidInput(format!("queue model recent_ns must be >= 0, got {recent_ns}")))
            }
            _ => Ok(()),
        }
    }

    /// Queue state of an order that joins a level currently holding `level_qty` (scaled).
    #[must_use]
    pub fn join(&self, level_qty: i64) -> QueuePos {
        QueuePos { ahead: level_qty.max(0), traded: 0, recent: VecDeque::new() }
    }

    /// A trade of `qty` (scaled) printed at our level; the size it took from ahead of us has already
    /// been removed by the matching sweep. Remembered so the level decrease that follows is not
    /// counted twice.
    pub fn on_trade(&self, q: &mut QueuePos, qty: i64) {
        q.traded = q.traded.saturating_add(qty);
    }

    /// The visible size of our level changed from `prev` to `new` (scaled) at exchange time `ts`.
    /// `unit` = `10^qty_exp` (the log model works in instrument units).
    pub fn on_depth(&self, q: &mut QueuePos, ts: i64, prev: i64, new: i64, unit: f64) {
        let traded = std::mem::take(&mut q.traded);
        match *self {
            QueueModel::RiskAverse => {}
            QueueModel::PowerProb { .. }
            | QueueModel::LogProb
            | QueueModel::PowerProb2 { .. }
            | QueueModel::PowerProb3 { .. }
            | QueueModel::LogProb2 => {
                let chg = prev.saturating_sub(new).saturating_sub(traded);
                let front = q.ahead;
                if chg > 0 && front > 0 {
                    let back = prev - front;
                    let p = self.prob_behind(front, back, unit);
                    let (f, b, c) = (front as f64, back as f64, chg as f64);
                    let est = f - (1.0 - p) * c + (b - p * c).min(0.0);
                    q.ahead = round_to_i64(est);
                }
            }
            QueueModel::Inferred { recent_ns } => inferred_depth(q, recent_ns, ts, prev.saturating_sub(traded), new),
        }
        q.ahead = q.ahead.clamp(0, new.max(0));
    }

    /// Probability that a decrease at the level came from behind us: `f(back)/(f(back)+f(front))`.
    fn prob_behind(&self, front: i64, back: i64, unit: f64) -> f64 {
        if back <= 0 {
            return 0.0;
        }
        match *self {
            // x^n ratio form, `1 / (1 + (front/back)^n)`: identical, and free of overflow for large n
            QueueModel::PowerProb { n } => 1.0 / (1.0 + (front as f64 / back as f64).powf(n)),
            QueueModel::LogProb => {
                let (fb, ff) = ((back as f64 / unit).ln_1p(), (front as f64 / unit).ln_1p());
                if fb + ff > 0.0 {
                    fb / (fb + ff)
                } else {
                    0.0
                }
            }
            QueueModel::PowerProb2 { n } => (back as f64 / (back as f64 + front as f64)).powf(n),
            QueueModel::PowerProb3 { n } => 1.0 - (front as f64 / (front as f64 + back as f64)).powf(n),
            QueueModel::LogProb2 => {
                let total = ((back as f64 + front as f64) / unit).ln_1p();
                if total > 0.0 {
                    (back as f64 / unit).ln_1p() / total
                } else {
                    0.0
                }
            }
            QueueModel::RiskAverse | QueueModel::Inferred { .. } => 0.0,
        }
    }
}

/// Queue-position state of one resting order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueuePos {
    /// Visible size ahead of us at our level, scaled.
    pub ahead: i64,
    /// Size traded at our level since the last level change, scaled.
    traded: i64,
    /// [`QueueModel::Inferred`]: size that joined behind us, as (exchange ns, size), oldest first.
    recent: VecDeque<(i64, i64)>,
}

/// [`QueueModel::Inferred`] on a level change; `prev_net` = previous size minus traded size.
fn inferred_depth(q: &mut QueuePos, recent_ns: i64, ts: i64, prev_net: i64, new: i64) {
    while q.recent.front().is_some_and(|&(t0, _)| t0.saturating_add(recent_ns) <= ts) {
        q.recent.pop_front();
    }
    let recent_total: i64 = q.recent.iter().map(|&(_, s)| s).sum();
    let prev_net = prev_net.max(0);
    let chg = prev_net - new;
    if chg < 0 {
        if recent_ns > 0 {
            q.recent.push_back((ts, -chg));
        }
    } else if chg > 0 {
        let mut d = chg;
        while d > 0 {
            let Some(last) = q.recent.back_mut() else { break };
            let take = last.1.min(d);
            last.1 -= take;
            d -= take;
            if last.1 == 0 {
                q.recent.pop_back();
            }
        }
        if d > 0 {
            let front = q.ahead.max(0);
            let back = (prev_net - front - recent_total).max(0);
            let denom = i128::from(front) + i128::from(back);
            if denom > 0 {
                // round half up of d·front/denom, exact in integers
                let share = (2 * i128::from(d) * i128::from(front) + denom) / (2 * denom);
                q.ahead = front - i64::try_from(share).unwrap_or(front);
            }
        }
    }
    // recent size lives behind us: never more than the level holds behind our position
    let mut excess: i64 = q.recent.iter().map(|&(_, s)| s).sum::<i64>() - (new - q.ahead.clamp(0, new.max(0))).max(0);
    while excess > 0 {
        let Some(last) = q.recent.back_mut() else { break };
        let take = last.1.min(excess);
        last.1 -= take;
        excess -= take;
        if last.1 == 0 {
            q.recent.pop_back();
        }
    }
}

/// Round half away from zero into i64, saturating (NaN → 0).
fn round_to_i64(x: f64) -> i64 {
    if x.is_nan() {
        0
    } else {
        // float → int `as` saturates at the bounds
        x.round() as i64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const U: i64 = 100_000_000; // one instrument unit at qty_exp = 8
    const UNIT: f64 = 1e8;

    /// Join a level of 10, then 30 more join behind us: front 10, back 30, level 40.
    fn joined(m: QueueModel) -> QueuePos {
        let mut q = m.join(10 * U);
        m.on_depth(&mut q, 1, 10 * U, 40 * U, UNIT);
        assert_eq!(q.ahead, 10 * U);
        q
    }

    #[test]
    fn risk_averse_ignores_cancels_but_caps_at_level() {
        let m = QueueModel::RiskAverse;
        let mut q = joined(m);
        m.on_depth(&mut q, 2, 40 * U, 32 * U, UNIT);
        assert_eq!(q.ahead, 10 * U);
        m.on_depth(&mut q, 3, 32 * U, 4 * U, UNIT);
        assert_eq!(q.ahead, 4 * U);
    }

    #[test]
    fn power_two_takes_a_tenth_of_the_cancel_from_ahead() {
        // p_behind = 30² / (30² + 10²) = 0.9 → ahead = 10 − 0.1·8 = 9.2
        let m = QueueModel::PowerProb { n: 2.0 };
        let mut q = joined(m);
        m.on_depth(&mut q, 2, 40 * U, 32 * U, UNIT);
        assert_eq!(q.ahead, 920_000_000);
    }

    #[test]
    fn log_model_uses_instrument_units() {
        let m = QueueModel::LogProb;
        let mut q = joined(m);
        m.on_depth(&mut q, 2, 40 * U, 32 * U, UNIT);
        let p = 31f64.ln() / (31f64.ln() + 11f64.ln());
        let want = (10.0 * UNIT - (1.0 - p) * 8.0 * UNIT).round() as i64;
        assert_eq!(q.ahead, want);
        assert_eq!(q.ahead, 671_063_979); // 10 − 0.41117·8 = 6.71064 units
    }

    #[test]
    fn other_hftbacktest_probability_functions() {
        // front 10, back 30, cancel 8: est = 10 − (1 − p)·8
        let cases = [
            (QueueModel::PowerProb2 { n: 2.0 }, 0.75f64.powi(2)),
            (QueueModel::PowerProb3 { n: 3.0 }, 1.0 - 0.25f64.powi(3)),
            (QueueModel::LogProb2, 31f64.ln() / 41f64.ln()),
        ];
        for (m, p) in cases {
            let mut q = joined(m);
            m.on_depth(&mut q, 2, 40 * U, 32 * U, UNIT);
            assert_eq!(q.ahead, (10.0 * UNIT - (1.0 - p) * 8.0 * UNIT).round() as i64, "{m:?}");
        }
        assert_eq!(QueueModel::PowerProb3 { n: 3.0 }.prob_behind(10, 30, UNIT), 1.0 - 1.0 / 64.0);
    }

    #[test]
    fn prob_models_net_out_trades() {
        // a trade of 5 at our level then the level drops by exactly 5: no cancel to attribute
        let m = QueueModel::PowerProb { n: 1.0 };
        let mut q = joined(m);
        q.ahead -= 5 * U; // the matching sweep ate 5 ahead of us
        m.on_trade(&mut q, 5 * U);
        m.on_depth(&mut q, 2, 40 * U, 35 * U, UNIT);
        assert_eq!(q.ahead, 5 * U);
    }

    #[test]
    fn inferred_cancels_recent_size_first_then_proportionally() {
        let m = QueueModel::Inferred { recent_ns: 1_000 };
        let mut q = m.join(10 * U);
        m.on_depth(&mut q, 100, 10 * U, 40 * U, UNIT); // 30 join behind at t=100
        m.on_depth(&mut q, 500, 40 * U, 32 * U, UNIT); // within 1 µs: all 8 from the recent 30
        assert_eq!(q.ahead, 10 * U);
        // at t=1100 the recent size has settled: 22 behind, 10 ahead; a cancel of 8 → 8·10/32 = 2.5 from ahead → 7.5
        m.on_depth(&mut q, 1_100, 32 * U, 24 * U, UNIT);
        assert_eq!(q.ahead, 10 * U - 250_000_000);
    }

    #[test]
    fn inferred_without_window_is_proportional() {
        let m = QueueModel::Inferred { recent_ns: 0 };
        let mut q = m.join(10 * U);
        m.on_depth(&mut q, 1, 10 * U, 40 * U, UNIT);
        m.on_depth(&mut q, 2, 40 * U, 32 * U, UNIT);
        assert_eq!(q.ahead, 8 * U);
    }

    #[test]
    fn bad_parameters_are_typed_errors() {
        assert!(QueueModel::PowerProb { n: f64::NAN }.validate().is_err());
        assert!(QueueModel::PowerProb { n: 0.0 }.validate().is_err());
        assert!(QueueModel::Inferred { recent_ns: -1 }.validate().is_err());
        assert!(QueueModel::LogProb.validate().is_ok());
    }
}
