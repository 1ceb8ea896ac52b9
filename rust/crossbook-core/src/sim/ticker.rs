//! Derivative state tickers: leader `markPriceUpdate`-like rows (mark, index, funding, next funding
//! time, open interest) and follower `activeAssetCtx`-like rows (mark, oracle, funding, open
//! interest; no exchange time, so `ts_exchange = ts_local`).
//!
//! - the perp premium over spot is an OU process (τ = 60 s, 1.5 bp std) whose mean follows the
//!   regime: +1 bp normally, ±2 bp in a trend, ±6 bp in a cascade (sign of the drift);
//! - index (spot) = latent price × e^(−premium); mark = index × e^(EMA of the leader's premium);
//! - leader funding per 8 h: P + clamp(0.01 % − P, ±0.05 %) with P the mean premium since the
//!   last funding time (Binance's formula); follower funding per hour: (P_f + 0.01 %) / 8, P_f the
//!   follower's mean premium over its oracle;
//! - open interest: a random walk, growing in trends, shrinking by the liquidated size.

use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

use super::config::{Regime, SimConfig};
use super::output::{Out, Stamp, FOLLOWER, LEADER, NONE};
use super::price::BP;

const HOUR_NS: i64 = 3_600_000_000_000;

/// Ticker state of both venues.
pub struct Tickers {
    rng: ChaCha8Rng,
    premium: f64,
    mark_ema: f64,
    prem_sum: f64,
    prem_n: f64,
    funding_epoch: i64,
    oi: [f64; 2],
    /// base units liquidated since the last row, per venue
    pub liquidated: [f64; 2],
    oracle: f64,
    oracle_ms: i64,
    fprem_sum: f64,
    fprem_n: f64,
    /// ms between rows
    pub interval_ms: i64,
    pub next_follower_ms: i64,
    lots: [f64; 2],
    follower_tick: f64,
}

fn scaled(px: f64, step: f64) -> i64 {
    ((px / step).round() * step * 1e8).round() as i64
}

impl Tickers {
    #[must_use]
    pub fn new(cfg: &SimConfig, rng: ChaCha8Rng) -> Self {
        let interval_ms = cfg.ticker_interval_ms.round() as i64;
        Self {
            rng,
            premium: BP,
            mark_ema: BP,
            prem_sum: 0.0,
            prem_n: 0.0,
            funding_epoch: i64::MIN,
            oi: [cfg.open_interest, cfg.follower_open_interest],
            liquidated: [0.0; 2],
            oracle: cfg.price,
            oracle_ms: i64::MIN / 2,
            fprem_sum: 0.0,
            fprem_n: 0.0,
            interval_ms,
            next_follower_ms: interval_ms,
            lots: [cfg.leader_lot, cfg.follower_lot],
            follower_tick: cfg.follower_tick,
        }
    }

    fn normal(&mut self) -> f64 {
        StandardNormal.sample(&mut self.rng)
    }

    fn step_oi(&mut self, v: usize, regime: Regime, dt_s: f64) -> i64 {
        let z = self.normal();
        let scale = self.oi[v] * 1e-5;
        let trend = if regime == Regime::Trending { 2.0 * scale } else { 0.0 };
        self.oi[v] = (self.oi[v] + trend * dt_s + scale * dt_s.sqrt() * z - self.liquidated[v]).max(0.0);
        self.liquidated[v] = 0.0;
        let lot = self.lots[v];
        ((self.oi[v] / lot).round() * lot * 1e8).round() as i64
    }

    /// Leader row at true time `s.t`; `latent_log` is the latent log price, `mid` the leader mid.
    pub fn leader(&mut self, out: &mut Out, s: Stamp, latent_log: f64, mid: f64, regime: Regime, dir: i8) {
        let dt_s = self.interval_ms as f64 / 1000.0;
        let target = match regime {
            Regime::Trending => 2.0 * BP * f64::from(dir),
            Regime::Cascade => 6.0 * BP * f64::from(dir),
            _ => BP,
        };
        let a = (-dt_s / 60.0).exp();
        let z = self.normal();
        self.premium = target + (self.premium - target) * a + 1.5 * BP * (1.0 - a * a).sqrt() * z;
        let index = (latent_log - self.premium).exp();
        let b = (-dt_s / 30.0).exp();
        self.mark_ema = self.mark_ema * b + (mid / index).ln() * (1.0 - b);
        let mark = index * self.mark_ema.exp();
        // funding epochs: every 8 h of the exchange clock
        let epoch = s.ex.div_euclid(8 * HOUR_NS);
        if epoch != self.funding_epoch {
            self.funding_epoch = epoch;
            self.prem_sum = 0.0;
            self.prem_n = 0.0;
        }
        self.prem_sum += self.mark_ema;
        self.prem_n += 1.0;
        let p = self.prem_sum / self.prem_n;
        let funding = ((p + (1e-4 - p).clamp(-5e-4, 5e-4)) * 1e8).round() / 1e8;
        let next = (epoch + 1) * 8 * HOUR_NS;
        let oi = self.step_oi(0, regime, dt_s);
        out.ticker(LEADER, s, scaled(mark, 0.01), scaled(index, 1e-8), NONE, funding, next, oi);
    }

    /// Follower row (stamp with `ex == local`); `follower_mid` is its quoted mid.
    pub fn follower(&mut self, out: &mut Out, s: Stamp, t_ms: i64, latent_log: f64, follower_mid: f64, regime: Regime) {
        let dt_s = self.interval_ms as f64 / 1000.0;
        if t_ms - self.oracle_ms >= 3000 {
            self.oracle = (latent_log - self.premium).exp();
            self.oracle_ms = t_ms;
        }
        let prem = (follower_mid / self.oracle).ln();
        self.fprem_sum += prem;
        self.fprem_n += 1.0;
        let funding = (((self.fprem_sum / self.fprem_n + 1e-4) / 8.0).clamp(-0.04, 0.04) * 1e8).round() / 1e8;
        let oi = self.step_oi(1, regime, dt_s);
        let tick = self.follower_tick;
        out.ticker(FOLLOWER, s, scaled(follower_mid, tick), NONE, scaled(self.oracle, tick), funding, NONE, oi);
        self.next_follower_ms = t_ms + self.interval_ms;
    }
}
