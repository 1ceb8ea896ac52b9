//! Venue clocks and feeds, and the lead-lag transmission line from the leader to the follower.
//!
//! Clocks: every message has a true time `t` (integer ms of the simulation grid). The venue prints
//! `ts_exchange = floor_ms(t + offset)`; our recorder stamps `ts_local = t + latency`, with one
//! latency draw per packet (all of a venue's messages of the same ms share it: a burst with one
//! timestamp) and `ts_local` never going backwards on a venue's stream (head-of-line blocking).
//! Latency is gamma distributed with the configured mean and std, so it is never negative.

use std::collections::VecDeque;

use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Gamma};

use super::config::{LagTable, Regime};

/// One venue's exchange clock and feed to our recorder.
pub struct Feed {
    rng: ChaCha8Rng,
    /// exchange clock − true time, ns
    offset_ns: i64,
    /// mean latency, ns (used as a constant when there is no jitter)
    mean_ns: f64,
    gamma: Option<Gamma<f64>>,
    pkt_t: i64,
    pkt_local: i64,
    last_local: i64,
}

impl Feed {
    /// A feed with `offset_ms` exchange clock offset and latency `mean_ms` ± `jitter_ms` (std).
    #[must_use]
    pub fn new(offset_ms: f64, mean_ms: f64, jitter_ms: f64, rng: ChaCha8Rng) -> Self {
        let gamma = if jitter_ms > 0.0 && mean_ms > 0.0 {
            let shape = (mean_ms / jitter_ms).powi(2);
            let scale = jitter_ms * jitter_ms / mean_ms * 1e6;
            Gamma::new(shape, scale).ok()
        } else {
            None
        };
        Self {
            rng,
            offset_ns: super::config::ms_to_ns(offset_ms),
            mean_ns: mean_ms * 1e6,
            gamma,
            pkt_t: i64::MIN,
            pkt_local: i64::MIN,
            last_local: i64::MIN,
        }
    }

    /// Exchange-clock time of true time `t` (ms truncation, as venues print ms).
    #[must_use]
    pub fn exchange_time(&self, t: i64) -> i64 {
        (t + self.offset_ns).div_euclid(1_000_000) * 1_000_000
    }

    /// Stamp a message sent at true time `t` (ns).
    pub fn stamp(&mut self, t: i64) -> super::output::Stamp {
        if t != self.pkt_t {
            let lat = match &self.gamma {
                Some(g) => g.sample(&mut self.rng),
                None => self.mean_ns,
            };
            let local = (t + lat.round() as i64).max(self.last_local);
            self.pkt_t = t;
            self.pkt_local = local;
            self.last_local = local;
        }
        super::output::Stamp { t, ex: self.exchange_time(t), local: self.pkt_local }
    }
}

/// Leader mid moves waiting to reach the follower: one FIFO per (regime, direction), since each
/// cell has one constant lag, so each queue is in delivery order.
pub struct LagLine {
    lags: LagTable,
    queues: [[VecDeque<(i64, f64)>; 2]; 4],
    /// Σ of pushed but undelivered log moves
    pending: f64,
    /// Σ of delivered log moves
    pub delivered: f64,
}

impl LagLine {
    #[must_use]
    pub fn new(lags: LagTable) -> Self {
        Self { lags, queues: Default::default(), pending: 0.0, delivered: 0.0 }
    }

    /// A leader log-mid move `dlog` at true time `t` (ns) in regime `r`.
    pub fn push(&mut self, t: i64, r: Regime, dlog: f64) {
        if dlog == 0.0 {
            return;
        }
        let d = usize::from(dlog < 0.0);
        self.queues[r.index()][d].push_back((t + self.lags[r.index()][d], dlog));
        self.pending += dlog;
    }

    /// Deliver every move due at or before `t`; returns the total delivered so far.
    pub fn deliver_until(&mut self, t: i64) -> f64 {
        for cell in &mut self.queues {
            for q in cell {
                while let Some(&(due, dlog)) = q.front() {
                    if due > t {
                        break;
                    }
                    q.pop_front();
                    self.delivered += dlog;
                    self.pending -= dlog;
                }
            }
        }
        self.delivered
    }

    /// Leader log move not yet seen by the follower.
    #[must_use]
    pub fn pending(&self) -> f64 {
        self.pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn stamps_truncate_to_ms_share_packets_and_never_go_back() {
        let mut f = Feed::new(-20.4, 30.0, 3.0, ChaCha8Rng::seed_from_u64(1));
        let mut last = i64::MIN;
        let mut sum = 0.0;
        let n = 200_000;
        for i in 0..n {
            let t = 1_000_000_000_000 + i * 1_000_000;
            let a = f.stamp(t);
            let b = f.stamp(t);
            assert_eq!(a, b, "same ms = same packet");
            assert!(a.local >= last && a.local >= t);
            assert_eq!(a.ex, t - 21_000_000, "floor of t − 20.4 ms");
            last = a.local;
            sum += (a.local - t) as f64;
        }
        // head-of-line blocking only adds a little on top of the 30 ms mean at 1 packet/ms
        let mean_ms = sum / n as f64 / 1e6;
        assert!(mean_ms > 30.0 && mean_ms < 33.0, "{mean_ms}");
    }

    #[test]
    fn lag_line_delivers_by_cell() {
        let mut lags = [[100_000_000i64; 2]; 4];
        lags[0] = [50_000_000, 200_000_000];
        let mut l = LagLine::new(lags);
        l.push(0, Regime::Quiet, 0.01);
        l.push(0, Regime::Quiet, -0.02);
        l.push(10_000_000, Regime::Cascade, 0.005);
        assert_eq!(l.deliver_until(49_999_999), 0.0);
        assert!((l.deliver_until(50_000_000) - 0.01).abs() < 1e-15);
        assert!((l.deliver_until(110_000_000) - 0.015).abs() < 1e-15);
        assert!((l.pending() + 0.02).abs() < 1e-15);
        assert!((l.deliver_until(200_000_000) + 0.005).abs() < 1e-15);
    }
}
