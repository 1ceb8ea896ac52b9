//! The follower venue (Hyperliquid-like): block-timed quotes whose mid follows the leader.
//!
//! At every block (mean `follower_block_ms`, uniform jitter) the fair log mid is
//! `base + β · Σ(leader log-mid moves delivered so far) + noise`, where each leader move is
//! delivered `lag(regime, direction)` after it happened (see [`super::venue::LagLine`]) and the noise
//! is an Ornstein–Uhlenbeck process. With one lag for every move this is exactly
//! `base + β · (leader_logmid(t − lag) − leader_logmid_0) + noise`. Quotes are that mid rounded to
//! the follower tick with the regime's spread; bbo rows go out when they change, full 20-level
//! snapshots on the first block at least `follower_book_interval_ms` after the previous one.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

use super::config::SimConfig;
use super::output::{Out, Stamp, FOLLOWER, NONE};
use super::price::BP;

/// Deepest tick (from the touch) a snapshot may reach.
const MAX_DEPTH: usize = 64;

/// Follower quote state.
pub struct Follower {
    rng: ChaCha8Rng,
    /// true time (ms since start) of the next block
    pub next_block_ms: i64,
    last_block_ms: i64,
    block_ms: f64,
    jitter: f64,
    base_log: f64,
    beta: f64,
    noise: f64,
    noise_sd: f64,
    tau_ms: f64,
    tick: f64,
    /// touch, follower ticks
    pub bid: i64,
    pub ask: i64,
    bid_lots: i64,
    ask_lots: i64,
    last_bbo: (i64, i64, i64, i64),
    /// persistent log size multipliers per depth tick, bids then asks
    depth: [Vec<f64>; 2],
    last_book_ms: i64,
    book_interval_ms: i64,
    levels: usize,
    touch_lots: f64,
    pub tick_scaled: i64,
    pub lot_scaled: i64,
}

impl Follower {
    /// Start with fair mid = leader mid × (1 + basis).
    #[must_use]
    pub fn new(cfg: &SimConfig, leader_mid: f64, rng: ChaCha8Rng) -> Self {
        let mut f = Self {
            rng,
            next_block_ms: 0,
            last_block_ms: 0,
            block_ms: cfg.follower_block_ms,
            jitter: cfg.follower_block_jitter,
            base_log: leader_mid.ln() + cfg.follower_basis_bps * BP,
            beta: cfg.beta,
            noise: 0.0,
            noise_sd: cfg.follower_noise_bps * BP,
            tau_ms: cfg.follower_noise_tau_s * 1000.0,
            tick: cfg.follower_tick,
            bid: 0,
            ask: 0,
            bid_lots: 0,
            ask_lots: 0,
            last_bbo: (0, 0, 0, 0),
            depth: [vec![0.0; MAX_DEPTH], vec![0.0; MAX_DEPTH]],
            last_book_ms: i64::MIN / 2,
            book_interval_ms: cfg.follower_book_interval_ms.round() as i64,
            levels: cfg.follower_levels as usize,
            touch_lots: cfg.follower_touch_qty / cfg.follower_lot,
            tick_scaled: (cfg.follower_tick * 1e8).round() as i64,
            lot_scaled: (cfg.follower_lot * 1e8).round() as i64,
        };
        f.noise = f.noise_sd * f.normal();
        for side in 0..2 {
            for k in 0..MAX_DEPTH {
                f.depth[side][k] = 0.7 * f.normal();
            }
        }
        f
    }

    fn normal(&mut self) -> f64 {
        StandardNormal.sample(&mut self.rng)
    }

    /// Schedule the block after the one at `t_ms`.
    pub fn schedule_next(&mut self, t_ms: i64) {
        let u: f64 = self.rng.random_range(-1.0..=1.0);
        let dt = (self.block_ms * (1.0 + self.jitter * u)).round().max(1.0);
        self.last_block_ms = t_ms;
        self.next_block_ms = t_ms + dt as i64;
    }

    /// True time (ms since start) of the previous block.
    #[must_use]
    pub fn last_block_ms(&self) -> i64 {
        self.last_block_ms
    }

    /// Fair log mid given Σ delivered leader log moves.
    #[must_use]
    pub fn fair_log(&self, delivered: f64) -> f64 {
        self.base_log + self.beta * delivered + self.noise
    }

    /// Requote at the block at `t_ms`: advance the noise, round the fair mid to ticks.
    pub fn requote(&mut self, t_ms: i64, delivered: f64, spread_ticks: u32) {
        let dt = (t_ms - self.last_block_ms).max(1) as f64;
        let a = (-dt / self.tau_ms).exp();
        self.noise = self.noise * a + self.noise_sd * (1.0 - a * a).sqrt() * self.normal();
        let mid_ticks = self.fair_log(delivered).exp() / self.tick;
        let s = i64::from(spread_ticks);
        let bid = (mid_ticks - s as f64 / 2.0).round() as i64;
        let moved = bid != self.bid || bid + s != self.ask;
        self.bid = bid;
        self.ask = bid + s;
        if moved || self.bid_lots == 0 {
            self.bid_lots = self.touch_size(0, 0);
            self.ask_lots = self.touch_size(1, 0);
        } else if self.rng.random::<f64>() < 0.2 {
            if self.rng.random::<bool>() {
                self.bid_lots = self.touch_size(0, 0);
            } else {
                self.ask_lots = self.touch_size(1, 0);
            }
        }
    }

    fn touch_size(&mut self, side: usize, k: usize) -> i64 {
        let z = self.normal();
        let m = self.depth[side][k.min(MAX_DEPTH - 1)];
        let mean = self.touch_lots * (1.0 + 0.4 * (k as f64).sqrt());
        (mean * (m + 0.3 * z - 0.3).exp()).round().max(1.0) as i64
    }

    /// Scaled bbo when it changed since the last call.
    pub fn bbo_if_changed(&mut self) -> Option<((i64, i64), (i64, i64))> {
        let now = (self.bid, self.bid_lots, self.ask, self.ask_lots);
        if now == self.last_bbo {
            return None;
        }
        self.last_bbo = now;
        let (t, l) = (self.tick_scaled, self.lot_scaled);
        Some(((now.0 * t, now.1 * l), (now.2 * t, now.3 * l)))
    }

    /// Quoted mid in quote currency.
    #[must_use]
    pub fn mid(&self) -> f64 {
        (self.bid + self.ask) as f64 / 2.0 * self.tick
    }

    /// Whether the block at `t_ms` publishes a full book.
    #[must_use]
    pub fn snapshot_due(&self, t_ms: i64) -> bool {
        t_ms - self.last_book_ms >= self.book_interval_ms
    }

    /// Write a full snapshot (`levels` per side, touch = current bbo, no sequence ids); the depth
    /// profile drifts slowly between snapshots (persistent bands, some gaps).
    pub fn snapshot(&mut self, out: &mut Out, s: Stamp, t_ms: i64) {
        self.last_book_ms = t_ms;
        for side in 0..2 {
            for k in 0..MAX_DEPTH {
                let z = self.normal();
                self.depth[side][k] = 0.95 * self.depth[side][k] + 0.22 * z;
            }
        }
        let (t, l) = (self.tick_scaled, self.lot_scaled);
        for (side, sign) in [(0usize, 1i8), (1, -1)] {
            let (touch, touch_lots) = if sign > 0 { (self.bid, self.bid_lots) } else { (self.ask, self.ask_lots) };
            out.book(FOLLOWER, s, sign, touch * t, touch_lots * l, true, (NONE, NONE, NONE));
            let mut n = 1;
            for k in 1..MAX_DEPTH {
                if n >= self.levels {
                    break;
                }
                if self.depth[side][k] < -0.9 {
                    continue;
                }
                let px = if sign > 0 { self.bid - k as i64 } else { self.ask + k as i64 };
                let lots = self.touch_size(side, k);
                out.book(FOLLOWER, s, sign, px * t, lots * l, true, (NONE, NONE, NONE));
                n += 1;
            }
        }
    }
}
